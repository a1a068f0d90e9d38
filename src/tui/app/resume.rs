//! A stored conversation back on screen: stored messages to cells.
//!
//! The cells are the ones a live turn would have made, from the stored blocks: user
//! messages, answer text (with its model, and "interrupted" / "incomplete" when it did not
//! finish), thinking, tool-call panels with their input and, from the message that carried
//! the results back, their result. Everything here is model or tool text, and reaches the
//! screen through the cells' sanitising renderers like live text does.
//!
//! What the live screen knew beyond the messages comes from the store too, so the two look
//! the same: each call's outcome and duration ([`ToolOutcome`]: `✗ not run` for a refused
//! call, `2.1 s`), and the "replaced by /retry" mark of an answer a retry superseded.

use std::time::Duration;

use tokio::time::Instant;

use crate::api::{ContentBlock, Role, ToolResultBlock};
use crate::engine::{Command, ToolStatus};
use crate::store::{LoadedConversation, MessageStatus, StoredMessage, ToolOutcome, ToolRun};
use crate::tools::ToolOutput;

use crate::tui::app::{App, Effect};
use crate::tui::render::cells::{AnswerState, CellKind, NoticeKind};

impl App {
    /// Shows `loaded` (with each tool call's stored `outcomes`) and resumes it in the
    /// engine: the command leaves as an effect.
    pub fn resume(&mut self, loaded: &LoadedConversation, outcomes: &[ToolOutcome]) {
        self.show_conversation(loaded, outcomes);
        self.effect(Effect::Engine(Command::Resume {
            conversation: loaded.summary.id.to_string(),
            history: loaded.history(),
        }));
    }

    /// Replaces the screen's conversation with a stored one. At start (`--continue`,
    /// `--resume`) the engine was given its history already; [`Self::resume`] tells it.
    pub fn show_conversation(&mut self, loaded: &LoadedConversation, outcomes: &[ToolOutcome]) {
        self.conversation.clear();
        self.forget_tools();
        self.browse.selecting = None;
        self.browse.editing = None;
        self.last_answer = None;
        self.browse.conversation_id = Some(loaded.summary.id);
        for m in &loaded.messages {
            self.push_stored(m, outcomes);
        }
        self.conversation.scroll_to_bottom();
    }

    fn push_stored(&mut self, m: &StoredMessage, outcomes: &[ToolOutcome]) {
        if m.role == Role::User {
            if m.is_typed() {
                self.conversation
                    .push(CellKind::User(m.to_message().text().into()));
            }
            for b in &m.content {
                if let ContentBlock::ToolResult(r) = b {
                    let outcome = outcomes.iter().find(|o| o.tool_use_id == r.tool_use_id);
                    self.show_stored_result(r, outcome);
                }
            }
            return;
        }
        let state = match m.status.shown_as() {
            MessageStatus::Interrupted => AnswerState::Interrupted,
            MessageStatus::Failed => AnswerState::Incomplete,
            MessageStatus::Superseded => AnswerState::Replaced,
            _ => AnswerState::Done,
        };
        let model = m.model.clone().unwrap_or_default();
        // A new message: nothing before it continues.
        self.note_block(None, 0);
        for block in &m.content {
            // Server tools read back as they went live (`web.rs`): a result fills its
            // call's panel, cited text gets its markers, the sources follow.
            if crate::api::server_tools::server_result(block).is_some() {
                self.server_result(block, tokio::time::Instant::now());
                continue;
            }
            let cell = match self.continue_answer(block, state.clone()) {
                Some(cell) => cell,
                None => {
                    let kind = CellKind::for_block(block, &model, None, state.clone());
                    self.conversation.push(kind)
                }
            };
            self.register_tool(block, cell);
            self.server_block_started(block, Some(cell));
            self.note_block(Some(block), cell);
            if let crate::api::ContentBlock::Text(t) = block {
                self.cite(cell, t);
            }
        }
        self.sources_cell(&model);
        let text = crate::stream::citations::annotated_markdown(&m.content);
        if !text.is_empty() {
            self.last_answer = Some(text);
        }
        match (m.status.shown_as(), &m.error) {
            (MessageStatus::Failed, Some(e)) => self.notice(NoticeKind::Error, e.clone()),
            (MessageStatus::Interrupted, _) if m.content.is_empty() => {
                self.notice(
                    NoticeKind::Interrupted,
                    "interrupted before the answer began",
                );
            }
            _ => {}
        }
    }
}

impl App {
    /// A stored tool result, shown in its call's panel as it went live (`outcome`: whether
    /// it ran and for how long; unknown for rows stored before chatterm kept it). A result
    /// whose call is not on screen is a notice.
    fn show_stored_result(&mut self, r: &ToolResultBlock, outcome: Option<&ToolOutcome>) {
        let text = result_text(r.content.as_ref());
        let output = if r.is_error == Some(true) {
            ToolOutput::error(text)
        } else {
            ToolOutput::ok(text)
        };
        if !self.has_tool(&r.tool_use_id) {
            let label = if output.is_error {
                "tool error"
            } else {
                "tool result"
            };
            return self.notice(NoticeKind::Info, format!("{label}: {}", output.content));
        }
        let status = match outcome {
            Some(o) if o.run == ToolRun::NotRun => ToolStatus::NotRun { output },
            _ => ToolStatus::Finished {
                output,
                duration: Duration::from_millis(outcome.map_or(0, |o| o.duration_ms)),
            },
        };
        self.tool_status(&r.tool_use_id, "", status, Instant::now());
    }
}

/// A result's content as text: the string, or its text blocks joined.
fn result_text(content: Option<&serde_json::Value>) -> String {
    match content {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(serde_json::Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "resume_tests.rs"]
mod tests;
