//! A streaming answer's tails: checkpoints that cost what the answer gained, not its size.
//!
//! While an answer streams, a checkpoint (every `engine::journal::CHECKPOINT_EVERY`) nearly
//! always differs from the one before only in its last text block having grown. Rewriting
//! the whole row each time would push O(n²) bytes through JSON and SQLite's WAL over a
//! stream; so such a checkpoint appends just the new suffix as a row of `answer_tails`
//! (schema V5). The handle remembers what it last wrote ([`Written`]: the block count, the
//! last text block's length, citations and last few bytes, the row's size, the tails'
//! total) and decides from that alone, never by re-reading or comparing the whole of what
//! came before. Any other change (a
//! new block, a citation) rewrites the row and drops its tails, and so does the tails'
//! total reaching the size of the row's searchable text as last written (the text
//! doubled): the row is never far behind, a whole stream writes O(answer) bytes, and the
//! search index still gets the text as it doubles, as it did when every checkpoint
//! rewrote the row (`messages.rs`, `Store::rewrite`).
//!
//! What a row says is its content with its tails, in `seq` order, appended to its last
//! text block ([`merge`]). [`Store::load`] reads both in one statement ([`TAILS`], one
//! snapshot); a fork's copy and settling an abandoned row write the merged content back
//! ([`Store::fold`]), and so does ending an answer without new content. An answer's end
//! writes its whole content and drops its tails, so only `streaming` rows have tails. For
//! recovery, a row was last checkpointed at its newest write, row or tail ([`FRESHNESS`]).

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, StoreError, searchable_text};
use crate::api::ContentBlock;

/// SQL: the tails of message `m`, concatenated in order (NULL without any).
pub(super) const TAILS: &str = "(SELECT group_concat(t.text, '' ORDER BY t.seq) \
     FROM answer_tails t WHERE t.message_id = m.id)";

/// SQL: when message `m` was last checkpointed (its row or its newest tail), 0 if never.
pub(super) const FRESHNESS: &str = "MAX(COALESCE(m.checkpoint_ms, 0), \
     COALESCE((SELECT MAX(t.at_ms) FROM answer_tails t WHERE t.message_id = m.id), 0))";

/// How many of the last text block's final bytes [`Written`] keeps.
const EDGE: usize = 16;

/// The last [`EDGE`] bytes (or fewer) of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Edge {
    bytes: [u8; EDGE],
    len: usize,
}

impl Edge {
    fn of(text: &[u8]) -> Self {
        let tail = &text[text.len().saturating_sub(EDGE)..];
        let mut edge = Self {
            len: tail.len(),
            ..Self::default()
        };
        edge.bytes[..tail.len()].copy_from_slice(tail);
        edge
    }

    fn get(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The edge of this edge's text with `more` appended.
    fn then(self, more: &[u8]) -> Self {
        if more.len() >= EDGE {
            return Self::of(more);
        }
        let mut joined = [0u8; 2 * EDGE];
        joined[..self.len].copy_from_slice(self.get());
        joined[self.len..self.len + more.len()].copy_from_slice(more);
        Self::of(&joined[..self.len + more.len()])
    }
}

/// What a handle last wrote of the answer row it owns: enough to tell whether the next
/// checkpoint only grew the last text block, without looking at the content's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Written {
    blocks: usize,
    /// The last block's length in bytes, row and tails together, when it is text.
    text_len: Option<usize>,
    /// Its citations: one arriving means a rewrite.
    citations: usize,
    /// Its last bytes (up to [`EDGE`]): a text that no longer ends the same way where the
    /// written one ended was not appended to (a restarted block), and is rewritten.
    edge: Edge,
    /// The size of its searchable text when the row was last written.
    row_text: usize,
    /// The tails written since.
    tail_bytes: usize,
    next_seq: i64,
}

impl Written {
    /// `content` was just written to the row whole (no tails), its searchable text
    /// `row_text` bytes long.
    pub(super) fn whole(content: &[ContentBlock], row_text: usize) -> Self {
        let last = match content.last() {
            Some(ContentBlock::Text(t)) => Some(t),
            _ => None,
        };
        Self {
            blocks: content.len(),
            text_len: last.map(|t| t.text.len()),
            citations: last.map_or(0, |t| t.citations.as_ref().map_or(0, Vec::len)),
            edge: last.map_or(Edge::default(), |t| Edge::of(t.text.as_bytes())),
            row_text,
            tail_bytes: 0,
            next_seq: 0,
        }
    }

    /// The text `content` adds at the end of its last text block, when that is its only
    /// change since what was written and the tails stay smaller than the row; `None` when
    /// the row must be rewritten. The accumulator only ever appends to the block that is
    /// streaming, so the counts, the length and the edge suffice.
    pub(super) fn grown<'c>(&self, content: &'c [ContentBlock]) -> Option<&'c str> {
        let Some(ContentBlock::Text(last)) = content.last() else {
            return None;
        };
        if content.len() != self.blocks
            || last.citations.as_ref().map_or(0, Vec::len) != self.citations
        {
            return None;
        }
        // `get` is None when the text shrank or the cut is not a character boundary.
        let end = self.text_len?;
        let suffix = last.text.get(end..)?;
        if &last.text.as_bytes()[end - self.edge.len..end] != self.edge.get() {
            return None;
        }
        (self.tail_bytes + suffix.len() < self.row_text).then_some(suffix)
    }

    /// What was written after appending `suffix` as the next tail.
    fn appended(self, suffix: &str) -> Self {
        Self {
            text_len: self.text_len.map(|n| n + suffix.len()),
            edge: self.edge.then(suffix.as_bytes()),
            tail_bytes: self.tail_bytes + suffix.len(),
            next_seq: self.next_seq + 1,
            ..self
        }
    }
}

/// Appends `tails` to the content's last text block (a new block if it ends otherwise).
pub(super) fn merge(content: &mut Vec<ContentBlock>, tails: &str) {
    if tails.is_empty() {
        return;
    }
    match content.last_mut() {
        Some(ContentBlock::Text(t)) => t.text.push_str(tails),
        _ => content.push(ContentBlock::text(tails)),
    }
}

impl Store {
    /// Appends `suffix` to row `row` as its next tail; returns what is written now, or
    /// `None` when the row is gone. A row settled by mistake (its writer was alive, see
    /// `recovery.rs`) is `streaming` again, as a rewrite would make it; the check reads
    /// the row and writes nothing in the usual case.
    pub(super) fn append_tail(
        &self,
        conn: &Connection,
        row: i64,
        written: Written,
        suffix: &str,
    ) -> Result<Option<Written>> {
        let added = conn
            .execute(
                "INSERT INTO answer_tails (message_id, seq, text, at_ms) \
                 SELECT id, ?2, ?3, ?4 FROM messages WHERE id = ?1",
                params![row, written.next_seq, suffix, super::now_ms()],
            )
            .map_err(|e| self.sql_err(e))?;
        if added == 0 {
            return Ok(None);
        }
        conn.execute(
            "UPDATE messages SET status = 'streaming', error = NULL \
             WHERE id = ?1 AND status != 'streaming'",
            params![row],
        )
        .map_err(|e| self.sql_err(e))?;
        Ok(Some(written.appended(suffix)))
    }

    /// Drops row `row`'s tails (its content was just written whole).
    pub(super) fn clear_tails(&self, conn: &Connection, row: i64) -> Result<()> {
        conn.execute(
            "DELETE FROM answer_tails WHERE message_id = ?1",
            params![row],
        )
        .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// Row `row`'s content with its tails merged, and the last tail's `seq` (`None`
    /// without tails). `None` when the row is gone or its content does not parse (it is
    /// then left as it is; loading its conversation reports it).
    pub(super) fn merged(
        &self,
        conn: &Connection,
        row: i64,
    ) -> Result<Option<(Vec<ContentBlock>, Option<i64>)>> {
        let sql = format!(
            "SELECT m.content, {TAILS}, \
               (SELECT MAX(t.seq) FROM answer_tails t WHERE t.message_id = m.id) \
             FROM messages m WHERE m.id = ?1"
        );
        let found = conn
            .query_row(&sql, params![row], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .optional()
            .map_err(|e| self.sql_err(e))?;
        let Some((json, tails, last)) = found else {
            return Ok(None);
        };
        let Ok(mut content) = serde_json::from_str::<Vec<ContentBlock>>(&json) else {
            return Ok(None);
        };
        merge(&mut content, tails.as_deref().unwrap_or(""));
        Ok(Some((content, last)))
    }

    /// Writes row `row`'s tails into its content (and its search text) and drops them;
    /// returns the merged content. Only the tails it read are dropped, so one appended
    /// meanwhile by a live writer stays after them. Run it inside a transaction: a reader
    /// between the two writes would see the tails twice.
    pub(super) fn fold(&self, conn: &Connection, row: i64) -> Result<Option<Vec<ContentBlock>>> {
        let Some((content, last)) = self.merged(conn, row)? else {
            return Ok(None);
        };
        if let Some(last) = last {
            let json = serde_json::to_string(&content)
                .map_err(|e| StoreError::Sql(format!("encoding blocks: {e}")))?;
            conn.execute(
                "UPDATE messages SET content = ?2, text = ?3 WHERE id = ?1",
                params![row, json, searchable_text(&content)],
            )
            .map_err(|e| self.sql_err(e))?;
            conn.execute(
                "DELETE FROM answer_tails WHERE message_id = ?1 AND seq <= ?2",
                params![row, last],
            )
            .map_err(|e| self.sql_err(e))?;
        }
        Ok(Some(content))
    }
}

#[cfg(test)]
#[path = "tails_tests.rs"]
mod tests;
