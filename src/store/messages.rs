//! Writing messages: appending, the streaming answer's checkpoint, its end, retries, tool
//! results, and a bulk import.
//!
//! Invariants:
//! - Positions within a conversation are assigned inside the writing transaction (max + 1),
//!   so two processes appending to one conversation never collide or lose a row.
//! - An answer row belongs to the handle that inserted it: [`Store::save_progress`] inserts
//!   it at the first checkpoint and updates that row (by id) at the next ones, appending
//!   only the text that grew when that is all that changed (`tails.rs`), and
//!   [`Store::end_answer`] gives that row its final status and whole content. No write ever
//!   looks for "the conversation's streaming row", so another process's answer, or a dead
//!   process's partial, is never overwritten (see `recovery.rs`).
//! - A user message ends any answer this handle still had open in the conversation (its
//!   end was never written, e.g. the turn's task panicked): that row becomes `interrupted`
//!   rather than being rewritten by the next answer.
//! - Every write also moves the conversation's `updated_ms`, which orders the picker.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::tails::Written;
use super::{
    ConversationId, MessageStatus, Result, Store, StoreError, StoredMessage, attachments, now_ms,
    searchable_text,
};
use crate::api::{ContentBlock, Message, Role, ToolResultBlock, ToolUseBlock};

/// What a checkpoint wrote: a new row, or this handle's row (whole or a tail).
enum Saved {
    New(i64, Written),
    Row(Written),
}

/// A new message as the store takes it.
struct Row<'a> {
    role: Role,
    content: &'a [ContentBlock],
    status: MessageStatus,
    model: Option<&'a str>,
    error: Option<&'a str>,
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn encode(content: &[ContentBlock]) -> Result<String> {
    serde_json::to_string(content).map_err(|e| StoreError::Sql(format!("encoding blocks: {e}")))
}

impl Store {
    /// Appends a message that is complete as it is (a user message, before it is sent).
    pub fn append(&self, id: ConversationId, message: &Message) -> Result<()> {
        let row = Row {
            role: message.role,
            content: &message.content,
            status: MessageStatus::Complete,
            model: None,
            error: None,
        };
        let open = self.answering.release(&self.path, id);
        self.write(id, |tx, store| {
            if let Some(open) = open {
                store.fold(tx, open)?;
                tx.execute(
                    "UPDATE messages SET status = 'interrupted' \
                     WHERE id = ?1 AND status = 'streaming'",
                    params![open],
                )
                .map_err(|e| store.sql_err(e))?;
            }
            store.insert(tx, id, &row).map(|_| ())
        })
    }

    /// Checkpoints the answer streaming now: creates its `streaming` row (this handle's
    /// from then on), appends what its last text block gained, or rewrites it (see
    /// `tails.rs` for which).
    pub fn save_progress(
        &self,
        id: ConversationId,
        content: &[ContentBlock],
        model: &str,
    ) -> Result<()> {
        let mine = self.answering.row(id);
        let saved = self.write(id, |tx, store| {
            if let Some((row, written)) = mine {
                match written.grown(content) {
                    // Nothing new (an event that changed no block): the row is current.
                    Some("") => return Ok(Saved::Row(written)),
                    Some(suffix) => {
                        if let Some(now) = store.append_tail(tx, row, written, suffix)? {
                            return Ok(Saved::Row(now));
                        }
                    }
                    None => {
                        if let Some(text_len) =
                            store.rewrite(tx, row, content, MessageStatus::Streaming, None)?
                        {
                            return Ok(Saved::Row(Written::whole(content, text_len)));
                        }
                    }
                }
            }
            let row = Row {
                role: Role::Assistant,
                content,
                status: MessageStatus::Streaming,
                model: Some(model),
                error: None,
            };
            let (row, text_len) = store.insert(tx, id, &row)?;
            Ok(Saved::New(row, Written::whole(content, text_len)))
        })?;
        match saved {
            Saved::New(row, written) => self.answering.claim(&self.path, id, row, written),
            Saved::Row(written) => self.answering.wrote(id, written),
        }
        Ok(())
    }

    /// The answer ended with `status`. `content` is the final (or partial) content; `None`
    /// keeps what the last checkpoint saved (a stream that ended before anything usable).
    /// Only this handle's own answer row is written; without one, a new row is added.
    pub fn end_answer(
        &self,
        id: ConversationId,
        content: Option<&[ContentBlock]>,
        model: &str,
        status: MessageStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let mine = self.answering.release(&self.path, id);
        self.write(id, |tx, store| {
            if status == MessageStatus::Complete {
                tx.execute(
                    "UPDATE conversations SET model = ?2 WHERE id = ?1",
                    params![id.0, model],
                )
                .map_err(|e| store.sql_err(e))?;
            }
            let Some(content) = content else {
                if let Some(row) = mine {
                    store.fold(tx, row)?;
                    tx.execute(
                        "UPDATE messages SET status = ?2, error = ?3 WHERE id = ?1",
                        params![row, status.as_str(), error],
                    )
                    .map_err(|e| store.sql_err(e))?;
                }
                return Ok(());
            };
            if let Some(row) = mine
                && store.rewrite(tx, row, content, status, error)?.is_some()
            {
                return Ok(());
            }
            let row = Row {
                role: Role::Assistant,
                content,
                status,
                model: Some(model),
                error,
            };
            store.insert(tx, id, &row).map(|_| ())
        })
    }

    /// A retry took the newest complete answer out of the history: it stays for display.
    pub fn supersede_last_answer(&self, id: ConversationId) -> Result<()> {
        self.write(id, |tx, store| {
            tx.execute(
                "UPDATE messages SET status = 'superseded' WHERE id = ( \
                   SELECT id FROM messages WHERE conversation_id = ?1 \
                   ORDER BY position DESC LIMIT 1) \
                 AND role = 'assistant' AND status = 'complete'",
                params![id.0],
            )
            .map_err(|e| store.sql_err(e))?;
            Ok(())
        })
    }

    /// Keeps one tool call's result as soon as it is known.
    pub fn save_tool_result(
        &self,
        id: ConversationId,
        call: &ToolUseBlock,
        result: &ToolResultBlock,
        duration_ms: u64,
        run: super::ToolRun,
    ) -> Result<()> {
        let result_json = serde_json::to_string(&ContentBlock::ToolResult(result.clone()))
            .map_err(|e| StoreError::Sql(format!("encoding a tool result: {e}")))?;
        self.write(id, |tx, store| {
            tx.execute(
                "INSERT INTO tool_results (conversation_id, tool_use_id, name, input, result, \
                   is_error, duration_ms, created_ms, outcome) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id.0,
                    call.id,
                    call.name,
                    call.input.to_string(),
                    result_json,
                    result.is_error.unwrap_or(false),
                    i64::try_from(duration_ms).unwrap_or(i64::MAX),
                    now_ms(),
                    run.as_str()
                ],
            )
            .map_err(|e| store.sql_err(e))?;
            Ok(())
        })
    }

    /// The tool results kept for a conversation: (tool_use id, result block), oldest first.
    pub fn tool_results(&self, id: ConversationId) -> Result<Vec<(String, ToolResultBlock)>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT tool_use_id, result FROM tool_results WHERE conversation_id = ?1 \
                 ORDER BY id",
            )
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map(params![id.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(|e| self.sql_err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(use_id, json)| match serde_json::from_str(&json) {
                Ok(ContentBlock::ToolResult(b)) => Some((use_id, b)),
                _ => None,
            })
            .collect())
    }

    /// Imports whole conversations in one transaction (benchmarks, tests, migrations from
    /// other tools). Each is `(title, model, updated_ms, messages)`.
    pub fn import<'a, I>(&self, conversations: I) -> Result<Vec<ConversationId>>
    where
        I: IntoIterator<Item = (&'a str, &'a str, i64, &'a [StoredMessage])>,
    {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(|e| self.sql_err(e))?;
        let mut ids = Vec::new();
        {
            let mut conv = tx
                .prepare_cached(
                    "INSERT INTO conversations (title, created_ms, updated_ms, model) \
                     VALUES (?1, ?2, ?2, ?3)",
                )
                .map_err(|e| self.sql_err(e))?;
            let mut msg = tx
                .prepare_cached(
                    "INSERT INTO messages (conversation_id, position, role, content, status, \
                       model, error, text, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(|e| self.sql_err(e))?;
            for (title, model, updated_ms, messages) in conversations {
                conv.execute(params![title, updated_ms, model])
                    .map_err(|e| self.sql_err(e))?;
                let id = tx.last_insert_rowid();
                for m in messages {
                    msg.execute(params![
                        id,
                        m.position,
                        role_str(m.role),
                        encode(&m.content)?,
                        m.status.as_str(),
                        m.model,
                        m.error,
                        searchable_text(&m.content),
                        m.created_ms
                    ])
                    .map_err(|e| self.sql_err(e))?;
                }
                ids.push(ConversationId(id));
            }
        }
        tx.commit().map_err(|e| self.sql_err(e))?;
        Ok(ids)
    }

    /// Runs `f` in an immediate transaction (so the position it reads stays its own) and
    /// moves the conversation's last-activity time.
    fn write<T, F>(&self, id: ConversationId, f: F) -> Result<T>
    where
        F: FnOnce(&Transaction<'_>, &Store) -> Result<T>,
    {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql_err(e))?;
        let touched = tx
            .execute(
                "UPDATE conversations SET updated_ms = MAX(updated_ms, ?2) WHERE id = ?1",
                params![id.0, now_ms()],
            )
            .map_err(|e| self.sql_err(e))?;
        if touched == 0 {
            return Err(StoreError::NotFound(id));
        }
        let value = f(&tx, self)?;
        tx.commit().map_err(|e| self.sql_err(e))?;
        Ok(value)
    }

    /// Inserts the row at the conversation's end, stamped with this process as its writer;
    /// returns its id and the size of its searchable text.
    /// A user message's attachments are kept once by hash (`attachments.rs`).
    fn insert(&self, conn: &Connection, id: ConversationId, row: &Row<'_>) -> Result<(i64, usize)> {
        let now = now_ms();
        let (stored, hashes) = match row.role {
            Role::User => attachments::stash(conn, row.content).map_err(|e| self.sql_err(e))?,
            Role::Assistant => (Vec::new(), Vec::new()),
        };
        let content = if row.role == Role::User {
            stored.as_slice()
        } else {
            row.content
        };
        let (json, text) = (encode(content)?, searchable_text(row.content));
        let text_len = text.len();
        conn.execute(
            "INSERT INTO messages (conversation_id, position, role, content, status, model, \
               error, text, created_ms, writer_pid, checkpoint_ms) \
             SELECT ?1, COALESCE(MAX(position), -1) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8 \
             FROM messages WHERE conversation_id = ?1",
            params![
                id.0,
                role_str(row.role),
                json,
                row.status.as_str(),
                row.model,
                row.error,
                text,
                now,
                std::process::id()
            ],
        )
        .map_err(|e| self.sql_err(e))?;
        let message = conn.last_insert_rowid();
        attachments::link(conn, message, &hashes).map_err(|e| self.sql_err(e))?;
        Ok((message, text_len))
    }

    /// Rewrites answer row `row` (this handle's own) whole and drops its tails; returns the
    /// size of its searchable text, or `None` when it is gone (its conversation was deleted
    /// meanwhile).
    ///
    /// The full-text index re-reads the whole text whenever it is written, so a streaming
    /// checkpoint writes it only once the text has doubled since it was last written: over
    /// a stream that is O(answer) of indexing, not O(answer) per checkpoint (quadratic).
    /// The answer's end writes it whole, and so does settling a row a crash left
    /// streaming (`recovery.rs`).
    fn rewrite(
        &self,
        conn: &Connection,
        row: i64,
        content: &[ContentBlock],
        status: MessageStatus,
        error: Option<&str>,
    ) -> Result<Option<usize>> {
        let text = searchable_text(content);
        let index = status != MessageStatus::Streaming || {
            let indexed: Option<i64> = conn
                .query_row(
                    "SELECT length(CAST(text AS BLOB)) FROM messages WHERE id = ?1",
                    params![row],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.sql_err(e))?
                .flatten();
            text.len() as u64 >= 2 * indexed.unwrap_or(0).max(0) as u64
        };
        let (content, now, text_len) = (encode(content)?, now_ms(), text.len());
        let changed = if index {
            conn.execute(
                "UPDATE messages SET content = ?2, text = ?3, status = ?4, error = ?5, \
                   checkpoint_ms = ?6 WHERE id = ?1",
                params![row, content, text, status.as_str(), error, now],
            )
        } else {
            conn.execute(
                "UPDATE messages SET content = ?2, status = ?3, error = ?4, checkpoint_ms = ?5 \
                   WHERE id = ?1",
                params![row, content, status.as_str(), error, now],
            )
        }
        .map_err(|e| self.sql_err(e))?;
        if changed == 0 {
            return Ok(None);
        }
        self.clear_tails(conn, row)?;
        Ok(Some(text_len))
    }
}

/// Builds a message row for [`Store::import`].
pub fn stored(position: i64, role: Role, content: Vec<ContentBlock>) -> StoredMessage {
    StoredMessage {
        position,
        role,
        content,
        status: MessageStatus::Complete,
        model: None,
        error: None,
        created_ms: now_ms(),
    }
}
