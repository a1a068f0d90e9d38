//! How each stored tool call went, as the live screen showed it: whether it ran, and for
//! how long. The results themselves are the `result` column (what the model got); this is
//! what a resumed conversation needs to draw the same panels (`✗ not run`, `2.1 s`).
//!
//! The `outcome` column came with schema version 2; rows from before read as `ran`.

use rusqlite::params;

use super::{ConversationId, Result, Store};

/// Whether a call ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolRun {
    /// The tool ran (and succeeded or failed).
    Ran,
    /// It never ran: refused, approval impossible, tools off, unknown tool, cancelled.
    NotRun,
}

impl ToolRun {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Ran => "ran",
            Self::NotRun => "not_run",
        }
    }
}

/// One stored call's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    pub tool_use_id: String,
    pub run: ToolRun,
    pub duration_ms: u64,
}

impl Store {
    /// The outcome of every stored tool call of a conversation, oldest first.
    pub fn tool_outcomes(&self, id: ConversationId) -> Result<Vec<ToolOutcome>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT tool_use_id, outcome, duration_ms FROM tool_results \
                 WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql_err(e))?;
        stmt.query_map(params![id.0], |r| {
            let run = match r.get::<_, String>(1)?.as_str() {
                "not_run" => ToolRun::NotRun,
                _ => ToolRun::Ran,
            };
            Ok(ToolOutcome {
                tool_use_id: r.get(0)?,
                run,
                duration_ms: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
            })
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(|e| self.sql_err(e))
    }
}
