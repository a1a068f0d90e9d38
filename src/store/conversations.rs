//! Conversations: creating, listing and searching (the picker's page), renaming,
//! deleting, forking and loading one whole.
//!
//! Listing is one indexed query over `conversations_recent` with the ledger's cost per row
//! from `usage_by_conversation`, so the first page costs the same whatever the store holds.
//! Search matches every word typed as a prefix (`rust life` finds "Rust lifetimes"), in
//! titles and in message text, through the two FTS5 indexes. Its page holds the
//! conversations with the most recent matches (see [`matching`]), newest activity first.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::tails::TAILS;
use super::{
    ConversationId, MessageStatus, Result, Store, StoreError, StoredMessage, now_ms, title_from,
};
use crate::api::{ContentBlock, Message, Role};

/// One row of the picker and of `chatterm history list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub title: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub model: String,
    pub message_count: i64,
    /// What its requests cost, from the ledger (unpriced requests count 0).
    pub cost_usd: f64,
    /// The conversation this one was forked from, if any.
    pub parent: Option<ConversationId>,
}

/// A conversation with all its messages, for resuming and exporting.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConversation {
    pub summary: ConversationSummary,
    pub messages: Vec<StoredMessage>,
}

impl LoadedConversation {
    /// The history to send to the API: the complete messages, in order, exactly as stored,
    /// with what was shown of answers cut short (see `recovery.rs`).
    pub fn history(&self) -> Vec<Message> {
        super::recovery::history(&self.messages)
    }
}

const SUMMARY_COLUMNS: &str = "c.id, c.title, c.created_ms, c.updated_ms, c.model, \
     c.message_count, c.parent_id, \
     (SELECT TOTAL(cost_usd) FROM usage_ledger u WHERE u.conversation = CAST(c.id AS TEXT))";

fn summary(row: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: ConversationId(row.get(0)?),
        title: row.get(1)?,
        created_ms: row.get(2)?,
        updated_ms: row.get(3)?,
        model: row.get(4)?,
        message_count: row.get(5)?,
        parent: row.get::<_, Option<i64>>(6)?.map(ConversationId),
        cost_usd: row.get(7)?,
    })
}

/// An FTS5 query for what the user typed: each word quoted (so operators and punctuation
/// are plain text) and matched as a prefix; all words must match. `None` when nothing
/// searchable was typed.
pub fn fts_query(typed: &str) -> Option<String> {
    let terms: Vec<String> = typed
        .split_whitespace()
        .map(|w| w.replace('"', "\"\""))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The ids of up to `limit` conversations whose title matches `query`, and of up to
/// `limit` whose messages do, found newest match first: FTS5 walks its index by rowid in
/// descending order and the walk stops at `limit` distinct conversations, so a word that
/// is in half a million messages costs no more than a rare one.
fn matching(conn: &Connection, query: &str, limit: i64) -> rusqlite::Result<Vec<i64>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut ids: Vec<i64> = Vec::new();
    let mut titles = conn.prepare_cached(
        "SELECT rowid FROM titles_fts WHERE titles_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
    )?;
    for id in titles.query_map(
        params![query, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| r.get(0),
    )? {
        ids.push(id?);
    }
    let mut messages = conn.prepare_cached(
        "SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.id = f.rowid \
         WHERE messages_fts MATCH ?1 ORDER BY f.rowid DESC",
    )?;
    let mut rows = messages.query(params![query])?;
    let mut found = std::collections::HashSet::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        if found.insert(id) {
            ids.push(id);
            if found.len() >= limit {
                break;
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

impl Store {
    /// Creates a conversation, titled from its first message.
    pub fn create(&self, model: &str, first_text: &str) -> Result<ConversationId> {
        let conn = self.conn()?;
        let now = now_ms();
        conn.execute(
            "INSERT INTO conversations (title, created_ms, updated_ms, model) VALUES (?1, ?2, ?2, ?3)",
            params![title_from(first_text), now, model],
        )
        .map_err(|e| self.sql_err(e))?;
        Ok(ConversationId(conn.last_insert_rowid()))
    }

    /// The most recently active conversations, newest first; with `search`, only those
    /// whose title or messages match it (see the module docs).
    pub fn list(&self, search: Option<&str>, limit: usize) -> Result<Vec<ConversationSummary>> {
        let conn = self.conn()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let query = search.and_then(fts_query);
        let rows = match &query {
            None => {
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM conversations c \
                     ORDER BY c.updated_ms DESC, c.id DESC LIMIT ?1"
                );
                let mut stmt = conn.prepare_cached(&sql).map_err(|e| self.sql_err(e))?;
                stmt.query_map(params![limit], summary)
                    .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            }
            Some(q) => {
                let ids = matching(&conn, q, limit).map_err(|e| self.sql_err(e))?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                // Integers from the database itself: nothing typed reaches this text.
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.id IN ({}) \
                     ORDER BY c.updated_ms DESC, c.id DESC LIMIT ?1",
                    ids.join(",")
                );
                let mut stmt = conn.prepare(&sql).map_err(|e| self.sql_err(e))?;
                stmt.query_map(params![limit], summary)
                    .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            }
        };
        rows.map_err(|e| self.sql_err(e))
    }

    /// The most recently active conversation (`--continue`).
    pub fn latest(&self) -> Result<Option<ConversationId>> {
        let conn = self.conn()?;
        conn.query_row(
            "SELECT id FROM conversations ORDER BY updated_ms DESC, id DESC LIMIT 1",
            [],
            |r| r.get(0).map(ConversationId),
        )
        .optional()
        .map_err(|e| self.sql_err(e))
    }

    pub fn summary(&self, id: ConversationId) -> Result<ConversationSummary> {
        let conn = self.conn()?;
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM conversations c WHERE c.id = ?1");
        conn.query_row(&sql, params![id.0], summary)
            .optional()
            .map_err(|e| self.sql_err(e))?
            .ok_or(StoreError::NotFound(id))
    }

    /// The conversation and every message of it, in order. Opening it settles the answer
    /// rows a dead writer left `streaming` (see `recovery.rs`); a store that cannot be
    /// written (read-only, locked) still loads, and such rows read as interrupted anyway.
    pub fn load(&self, id: ConversationId) -> Result<LoadedConversation> {
        let summary = self.summary(id)?;
        let conn = self.conn()?;
        let _ = self.settle_abandoned(&conn, id);
        // A streaming row's tails come in the same statement: one snapshot of both.
        let sql = format!(
            "SELECT m.position, m.role, m.content, m.status, m.model, m.error, m.created_ms, \
               {TAILS} FROM messages m WHERE m.conversation_id = ?1 ORDER BY m.position"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map(params![id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.sql_err(e))?;
        let mut messages = Vec::with_capacity(rows.len());
        for (position, role, content, status, model, error, created_ms, tails) in rows {
            let mut content: Vec<ContentBlock> = serde_json::from_str(&content).map_err(|e| {
                StoreError::Sql(format!("conversation {id}, message {position}: {e}"))
            })?;
            super::tails::merge(&mut content, tails.as_deref().unwrap_or(""));
            super::attachments::expand(&conn, &mut content)?;
            messages.push(StoredMessage {
                position,
                role: if role == "assistant" {
                    Role::Assistant
                } else {
                    Role::User
                },
                content,
                status: MessageStatus::parse(&status),
                model,
                error,
                created_ms,
            });
        }
        Ok(LoadedConversation { summary, messages })
    }

    /// How many attachments the store keeps, and their bytes (as JSON).
    pub fn attachment_stats(&self) -> Result<(u64, u64)> {
        super::attachments::count(&*self.conn()?).map_err(|e| self.sql_err(e))
    }

    /// Gives the conversation a title of the user's choosing.
    pub fn rename(&self, id: ConversationId, title: &str) -> Result<()> {
        let title = title.trim();
        let changed = self
            .conn()?
            .execute(
                "UPDATE conversations SET title = ?2, title_source = 'user' WHERE id = ?1",
                params![id.0, title],
            )
            .map_err(|e| self.sql_err(e))?;
        if changed == 0 {
            return Err(StoreError::NotFound(id));
        }
        Ok(())
    }

    /// Sets a generated title unless the user already chose one. True when it was set.
    pub fn set_auto_title(&self, id: ConversationId, title: &str) -> Result<bool> {
        let changed = self
            .conn()?
            .execute(
                "UPDATE conversations SET title = ?2, title_source = 'auto' \
                 WHERE id = ?1 AND title_source != 'user'",
                params![id.0, title.trim()],
            )
            .map_err(|e| self.sql_err(e))?;
        Ok(changed > 0)
    }

    /// Deletes the conversation with its messages and tool results, and the attachments no
    /// other conversation refers to. Its branches and its ledger entries (money that was
    /// spent) stay.
    pub fn delete(&self, id: ConversationId) -> Result<()> {
        let changed = self
            .conn()?
            .execute("DELETE FROM conversations WHERE id = ?1", params![id.0])
            .map_err(|e| self.sql_err(e))?;
        if changed == 0 {
            return Err(StoreError::NotFound(id));
        }
        Ok(())
    }

    /// Gives the copies in `branch` of `original`'s rows before `cut` that still stream
    /// (another process is answering) the text of their tails (`tails.rs`).
    fn copy_tails(&self, conn: &Connection, original: i64, branch: i64, cut: i64) -> Result<()> {
        let streaming = conn
            .prepare(
                "SELECT m.id, m.position FROM messages m \
                 WHERE m.conversation_id = ?1 AND m.position < ?2 \
                   AND EXISTS (SELECT 1 FROM answer_tails t WHERE t.message_id = m.id)",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![original, cut], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<(i64, i64)>>>()
            })
            .map_err(|e| self.sql_err(e))?;
        for (row, position) in streaming {
            let Some((content, _)) = self.merged(conn, row)? else {
                continue;
            };
            let json = serde_json::to_string(&content)
                .map_err(|e| StoreError::Sql(format!("encoding blocks: {e}")))?;
            conn.execute(
                "UPDATE messages SET content = ?3, text = ?4 \
                 WHERE conversation_id = ?1 AND position = ?2",
                params![branch, position, json, super::searchable_text(&content)],
            )
            .map_err(|e| self.sql_err(e))?;
        }
        Ok(())
    }

    /// A new branch of `id` holding its messages before the `user_index`-th (0-based) typed
    /// user message; the original is untouched. Returns the branch's id.
    pub fn fork(&self, id: ConversationId, user_index: usize) -> Result<ConversationId> {
        let original = self.load(id)?;
        let cut = original
            .messages
            .iter()
            .filter(|m| m.is_typed())
            .nth(user_index)
            .map(|m| m.position);
        let Some(cut) = cut else {
            return Err(StoreError::Sql(format!(
                "conversation {id} has no user message {}",
                user_index + 1
            )));
        };
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO conversations (title, title_source, created_ms, updated_ms, model, \
               parent_id, forked_at) \
             SELECT title, title_source, ?2, ?2, model, id, ?3 FROM conversations WHERE id = ?1",
            params![id.0, now, cut],
        )
        .map_err(|e| self.sql_err(e))?;
        let branch = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO messages (conversation_id, position, role, content, status, model, \
               error, text, created_ms) \
             SELECT ?2, position, role, content, \
               CASE status WHEN 'streaming' THEN 'interrupted' ELSE status END, \
               model, error, text, created_ms \
             FROM messages WHERE conversation_id = ?1 AND position < ?3",
            params![id.0, branch, cut],
        )
        .map_err(|e| self.sql_err(e))?;
        self.copy_tails(&tx, id.0, branch, cut)?;
        super::attachments::copy_links(&tx, id.0, branch, cut).map_err(|e| self.sql_err(e))?;
        tx.commit().map_err(|e| self.sql_err(e))?;
        Ok(ConversationId(branch))
    }
}
