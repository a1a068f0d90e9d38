//! Attachments kept once by content hash (schema version 4).
//!
//! A user message's attachment blocks (images, documents, text files: see
//! [`crate::attach::is_content_block`]) are not written into its `content` JSON. Each is
//! kept once in `attachments`, keyed by the SHA-256 of the block's JSON
//! ([`crate::attach::hash_block`]), and the message holds `{"type":
//! "chatterm_attachment", "hash": …}` in its place, with a `message_attachments` row per
//! reference. Loading puts the very block back, so a resumed conversation sends the same
//! bytes as before and its prompt cache still hits; the same screenshot in ten
//! conversations is stored once.
//!
//! An attachment lives as long as a message refers to it: deleting a conversation
//! cascades to its messages and their references, and a trigger deletes an attachment
//! when its last reference goes (see the V4 migration). A fork copies the references of
//! the messages it copies.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{Result, StoreError, now_ms};
use crate::api::ContentBlock;

/// The `type` of a reference block in stored content.
const REFERENCE: &str = "chatterm_attachment";

/// `content` with its attachment blocks kept in `attachments` and replaced by references;
/// returns the content to store and the hashes it refers to.
pub(super) fn stash(
    conn: &Connection,
    content: &[ContentBlock],
) -> rusqlite::Result<(Vec<ContentBlock>, Vec<String>)> {
    let mut stored = Vec::with_capacity(content.len());
    let mut hashes = Vec::new();
    for block in content {
        if !crate::attach::is_content_block(block) {
            stored.push(block.clone());
            continue;
        }
        let mut plain = block.clone();
        if let Some(slot) = plain.cache_control_mut() {
            *slot = None;
        }
        let hash = crate::attach::hash_block(&plain);
        let json = serde_json::to_string(&plain).unwrap_or_default();
        conn.execute(
            "INSERT OR IGNORE INTO attachments (hash, block, size, created_ms) \
             VALUES (?1, ?2, ?3, ?4)",
            params![hash, json, json.len() as i64, now_ms()],
        )?;
        stored.push(ContentBlock::Other(
            json!({"type": REFERENCE, "hash": hash}),
        ));
        hashes.push(hash);
    }
    Ok((stored, hashes))
}

/// Records that message `message` refers to `hashes`.
pub(super) fn link(conn: &Connection, message: i64, hashes: &[String]) -> rusqlite::Result<()> {
    for hash in hashes {
        conn.execute(
            "INSERT OR IGNORE INTO message_attachments (message_id, hash) VALUES (?1, ?2)",
            params![message, hash],
        )?;
    }
    Ok(())
}

/// Copies the references of `from`'s messages before `cut` to the same positions of
/// `branch` (a fork).
pub(super) fn copy_links(
    conn: &Connection,
    from: i64,
    branch: i64,
    cut: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO message_attachments (message_id, hash) \
         SELECT copy.id, link.hash FROM messages AS original \
         JOIN message_attachments AS link ON link.message_id = original.id \
         JOIN messages AS copy ON copy.conversation_id = ?2 AND copy.position = original.position \
         WHERE original.conversation_id = ?1 AND original.position < ?3",
        params![from, branch, cut],
    )?;
    Ok(())
}

/// Puts the kept blocks back in place of their references.
pub(super) fn expand(conn: &Connection, content: &mut [ContentBlock]) -> Result<()> {
    for block in content.iter_mut() {
        let ContentBlock::Other(v) = block else {
            continue;
        };
        if v.get("type").and_then(Value::as_str) != Some(REFERENCE) {
            continue;
        }
        let hash = v.get("hash").and_then(Value::as_str).unwrap_or_default();
        let json: Option<String> = conn
            .query_row(
                "SELECT block FROM attachments WHERE hash = ?1",
                params![hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| StoreError::Sql(e.to_string()))?;
        let json = json.ok_or_else(|| StoreError::Sql(format!("attachment {hash} is missing")))?;
        *block = serde_json::from_str(&json)
            .map_err(|e| StoreError::Sql(format!("attachment {hash}: {e}")))?;
    }
    Ok(())
}

/// How many attachments are kept, and their bytes (tests, `history` statistics).
pub(super) fn count(conn: &Connection) -> rusqlite::Result<(u64, u64)> {
    conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM attachments",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )
}
