//! What a crash leaves behind, and how it reads afterwards.
//!
//! **Answer rows belong to their writer.** A streaming answer's row is inserted at its
//! first checkpoint and remembered by the [`Store`] handle that inserted it ([`Answering`]);
//! later checkpoints and the answer's end update that row by its id and nothing else. So
//! a process that continues a conversation another (dead or alive) process left mid-answer
//! writes its own rows, and two processes continuing one conversation never touch each
//! other's. Each row also records its writer's process id and its last checkpoint time.
//!
//! **Opening settles abandoned rows.** [`Store::load`] (resume, `--continue`, the picker,
//! `history show/export`) turns a `streaming` row into `interrupted` when its writer is
//! gone: a row that no handle of this process is writing, whose writer process no longer
//! runs (or is this process, which is not writing it, or is unknown), or whose last
//! checkpoint (of the row or of its newest tail, `tails.rs`) is older than
//! [`STALE_AFTER`]. Settling folds the row's tails into its content first. A row whose writer still runs is left alone,
//! so opening a conversation another chatterm is answering in does not cut its answer
//! short. The liveness test is a process-id probe: a reused process id can keep an
//! abandoned row `streaming` until [`STALE_AFTER`] (it reads as interrupted all the same,
//! see [`MessageStatus::shown_as`]), and a live writer whose row was settled by mistake
//! (another pid namespace) puts its status back at its next checkpoint, because it writes
//! its row by id, status included.
//!
//! **What is sent after a crash** ([`history`]): complete messages as stored, byte for
//! byte; superseded answers never. An answer that was cut short (interrupted, failed, or
//! left streaming by a dead process) is sent as what the user saw of it: its non-empty
//! text blocks (a partial tool call or thinking block cannot be sent), followed by the
//! text block [`CUT_SHORT`] so the model knows it never finished. A partial with no text is
//! left out, and so is one followed by another answer to the same question (a retry), so
//! two answers never follow each other. A question whose answer never began leaves two
//! user messages in a row, which the API merges into one turn; calls left unanswered at the
//! very end are answered by the engine before the next message
//! (`engine::tool_plan::answer_dangling_calls`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::tails::{FRESHNESS, Written};
use super::{ConversationId, MessageStatus, Result, Store, StoredMessage, now_ms};
use crate::api::{ContentBlock, Message, Role};

/// The text block that ends an answer cut short, in the history sent to the API.
pub const CUT_SHORT: &str = "[this answer was cut short here and never finished]";

/// A `streaming` row not checkpointed for this long is abandoned whoever wrote it: a live
/// stream checkpoints at least every few seconds while content arrives, and a stalled one
/// hits the client's idle timeout long before this.
pub const STALE_AFTER: Duration = Duration::from_secs(600);

/// Answer rows being written by any handle of this process, by database file: a second
/// handle on the same file (a test's second "process") must not take them for abandoned.
static WRITING: Mutex<BTreeSet<(String, i64)>> = Mutex::new(BTreeSet::new());

fn writing() -> std::sync::MutexGuard<'static, BTreeSet<(String, i64)>> {
    // A poisoned set is still a set of row ids.
    WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The answer rows one [`Store`] handle is writing, by conversation (one at a time each),
/// with what it last wrote of each (see `tails.rs`).
#[derive(Debug, Default)]
pub(super) struct Answering {
    rows: Mutex<HashMap<ConversationId, (i64, Written)>>,
}

impl Answering {
    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, (i64, Written)>> {
        self.rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The row this handle is writing the conversation's answer into, if any, and what it
    /// last wrote there.
    pub(super) fn row(&self, id: ConversationId) -> Option<(i64, Written)> {
        self.rows().get(&id).copied()
    }

    pub(super) fn claim(&self, path: &str, id: ConversationId, row: i64, written: Written) {
        if let Some((old, _)) = self.rows().insert(id, (row, written)) {
            writing().remove(&(path.to_owned(), old));
        }
        writing().insert((path.to_owned(), row));
    }

    /// Records what was just written to the conversation's answer row.
    pub(super) fn wrote(&self, id: ConversationId, written: Written) {
        if let Some(open) = self.rows().get_mut(&id) {
            open.1 = written;
        }
    }

    /// Forgets the conversation's answer row (its answer ended); returns it.
    pub(super) fn release(&self, path: &str, id: ConversationId) -> Option<i64> {
        let (row, _) = self.rows().remove(&id)?;
        writing().remove(&(path.to_owned(), row));
        Some(row)
    }
}

/// Whether process `pid` still runs (a zombie does not: it can write nothing).
#[cfg(unix)]
fn process_runs(pid: i64) -> bool {
    use nix::errno::Errno;
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if raw <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Err(Errno::ESRCH) => false,
        // EPERM: it runs, as another user.
        Ok(()) | Err(_) => !is_zombie(raw),
    }
}

/// Linux only: a killed process its parent has not reaped yet still answers the probe.
#[cfg(unix)]
fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) STATE ...": the name may hold spaces and parentheses.
    stat.rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
}

/// Without a probe, only age tells.
#[cfg(not(unix))]
fn process_runs(_pid: i64) -> bool {
    true
}

/// Whether a `streaming` row's writer is gone (see the module docs).
fn abandoned(path: &str, row: i64, writer: Option<i64>, checkpoint_ms: Option<i64>) -> bool {
    if writing().contains(&(path.to_owned(), row)) {
        return false;
    }
    let stale_ms = i64::try_from(STALE_AFTER.as_millis()).unwrap_or(i64::MAX);
    let stale = checkpoint_ms.is_none_or(|t| now_ms().saturating_sub(t) > stale_ms);
    match writer {
        None => true,
        Some(pid) if pid == i64::from(std::process::id()) => true,
        Some(pid) => stale || !process_runs(pid),
    }
}

impl Store {
    /// Turns the conversation's abandoned `streaming` rows into `interrupted`, their tails
    /// folded in (`tails.rs`). Returns how many it settled.
    pub(super) fn settle_abandoned(&self, conn: &Connection, id: ConversationId) -> Result<usize> {
        let sql = format!(
            "SELECT m.id, m.writer_pid, {FRESHNESS} FROM messages m \
             WHERE m.conversation_id = ?1 AND m.status = 'streaming'"
        );
        let rows = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(params![id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<Vec<(i64, _, _)>>>()
            })
            .map_err(|e| self.sql_err(e))?;
        let mut settled = 0;
        for (row, writer, checkpoint) in rows {
            if abandoned(&self.path, row, writer, checkpoint) {
                settled += self.settle(conn, row)?;
            }
        }
        Ok(settled)
    }

    /// Settles one abandoned row in one transaction, so no reader sees its tails both
    /// folded in and still there.
    fn settle(&self, conn: &Connection, row: i64) -> Result<usize> {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(|e| self.sql_err(e))?;
        // Checkpoints index the text only as it doubles: index all of it now. Content that
        // does not parse keeps its index.
        let content = self.fold(&tx, row)?;
        let text = content.map(|c| super::searchable_text(&c));
        let settled = tx
            .execute(
                "UPDATE messages SET status = 'interrupted', text = COALESCE(?2, text) \
                 WHERE id = ?1 AND status = 'streaming'",
                params![row, text],
            )
            .map_err(|e| self.sql_err(e))?;
        tx.commit().map_err(|e| self.sql_err(e))?;
        Ok(settled)
    }
}

/// The history to send for stored messages (see the module docs).
pub(super) fn history(messages: &[StoredMessage]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let mut last_was_partial = false;
    for m in messages {
        let (message, partial) = match m.status {
            MessageStatus::Complete => (m.to_message(), false),
            MessageStatus::Superseded => continue,
            MessageStatus::Streaming | MessageStatus::Interrupted | MessageStatus::Failed => {
                match as_sent(m) {
                    Some(message) => (message, true),
                    None => continue,
                }
            }
        };
        let after_answer = out.last().is_some_and(|l| l.role == Role::Assistant);
        if message.role == Role::Assistant && after_answer {
            if partial {
                continue;
            }
            if last_was_partial {
                out.pop();
            }
        }
        out.push(message);
        last_was_partial = partial;
    }
    out
}

/// An answer cut short, as it is sent: its text, then [`CUT_SHORT`]. `None` without text.
fn as_sent(m: &StoredMessage) -> Option<Message> {
    if m.role != Role::Assistant {
        return None;
    }
    let mut content: Vec<ContentBlock> = m
        .content
        .iter()
        .filter(|b| b.as_text().is_some_and(|t| !t.trim().is_empty()))
        .cloned()
        .collect();
    if content.is_empty() {
        return None;
    }
    content.push(ContentBlock::text(CUT_SHORT));
    Some(Message {
        role: Role::Assistant,
        content,
    })
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
