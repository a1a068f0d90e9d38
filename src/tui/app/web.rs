//! Web search and fetch on screen: `/search on|off`, the server tool panels, footnotes
//! and the answer's sources.
//!
//! The model: a `server_tool_use` block opens a tool panel like a local call's (its input
//! streams in), but marked as the server's: once its input is complete it shows
//! "searching" or "fetching" with a spinner, and the result block that follows (it
//! arrives whole) fills it with the sources, one line each (title · domain · age), or
//! the API's error code. The result block gets no cell of its own. Nothing is run here
//! and nothing asks for approval.
//!
//! A text block that cites gets its footnote markers (`[1][2]`) when it closes; the
//! numbers count the distinct sources of the turn ([`Footnotes`]). When the turn ends the
//! numbered sources follow the answer (as its last block, under its label), as Markdown links, which
//! the markdown renderer draws through the sanitiser like any model text.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::server_tools::{self, ServerOutcome, ServerTools};
use crate::api::{ContentBlock, TextBlock};
use crate::engine::{Command, ToolStatus};
use crate::stream::citations::Footnotes;
use crate::tools::ToolOutput;

use crate::tui::app::token_count::DraftCount;
use crate::tui::app::{App, Effect};
use crate::tui::render::cells::{AnswerState, CellKind, NoticeKind};

/// The web side of the app's state.
#[derive(Debug, Default)]
pub(in crate::tui) struct WebState {
    /// The server tools the config sets up (what `/search on` offers).
    configured: ServerTools,
    /// Whether they are offered now.
    pub on: bool,
    /// The live turn's numbered sources.
    footnotes: Footnotes,
    /// Server calls on screen: id to (panel cell, when its input completed).
    calls: HashMap<String, (u64, Option<Instant>)>,
    /// The draft's count before sending (`token_count.rs`).
    pub count: DraftCount,
    /// The text cell a following text block of the same answer continues.
    joinable: Option<u64>,
}

impl App {
    /// The server tools the config offers; on when it lists any.
    pub fn set_server_tools(&mut self, tools: ServerTools) {
        self.web.on = tools.any();
        self.web.configured = tools;
    }

    /// `/search on|off`, or a bare `/search` saying where it stands.
    pub(in crate::tui) fn search_command(&mut self, on: Option<bool>, now: Instant) {
        let Some(on) = on else {
            let state = if self.web.on { "on" } else { "off" };
            self.flash(format!("web search is {state} (/search on|off)"), now);
            return;
        };
        self.web.on = on;
        let base = if self.web.configured.any() {
            self.web.configured.clone()
        } else {
            ServerTools::default()
        };
        self.effect(Effect::Engine(Command::SetServerTools(base.switched(on))));
        let text = if on {
            "web search and fetch on: the model may search the web from the next message \
             (each search is billed; the tools change, so the prompt cache is rebuilt)"
        } else {
            "web search and fetch off from the next message"
        };
        self.notice(NoticeKind::Info, text);
    }

    /// A block started: a server call is noted for its result; a server result fills its
    /// call's panel and gets no cell (returns true).
    pub(in crate::tui) fn server_block_started(
        &mut self,
        block: &ContentBlock,
        cell: Option<u64>,
    ) -> bool {
        if let (Some(call), Some(cell)) = (server_tools::server_call(block), cell) {
            self.web.calls.insert(call.id, (cell, None));
            return false;
        }
        server_tools::server_result(block).is_some()
    }

    /// A server call's input is complete: the API is running it now.
    pub(in crate::tui) fn server_call_finished(&mut self, block: &ContentBlock, now: Instant) {
        let Some(call) = server_tools::server_call(block) else {
            return;
        };
        let Some((cell, started)) = self.web.calls.get_mut(&call.id) else {
            return;
        };
        if started.is_some() {
            return;
        }
        *started = Some(now);
        let cell = *cell;
        if let Some(panel) = self.panel_mut(cell) {
            panel.input_complete(&call.input);
            panel.set_status(ToolStatus::Running, now);
            self.tools.running.push(cell);
        }
    }

    /// A server result arrived: its call's panel shows the sources or the error.
    pub(in crate::tui) fn server_result(&mut self, block: &ContentBlock, now: Instant) {
        let Some(result) = server_tools::server_result(block) else {
            return;
        };
        let Some(&(cell, started)) = self.web.calls.get(&result.tool_use_id) else {
            return;
        };
        let output = match &result.outcome {
            ServerOutcome::Sources(sources) => ToolOutput::ok(source_lines(sources)),
            ServerOutcome::Error(code) => ToolOutput::error(format!("error: {code}")),
        };
        let duration = started.map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        if let Some(panel) = self.panel_mut(cell) {
            panel.set_status(ToolStatus::Finished { output, duration }, now);
        }
    }

    /// A text block that directly follows another of the same answer continues its cell:
    /// the API splits cited text into blocks (one per run of citations), which read as
    /// one answer. Returns the cell, its text grown by the block's and in `state`.
    pub(in crate::tui) fn continue_answer(
        &mut self,
        block: &ContentBlock,
        state: AnswerState,
    ) -> Option<u64> {
        let ContentBlock::Text(t) = block else {
            return None;
        };
        let last = self.conversation.cells().last()?.id;
        if self.web.joinable != Some(last) {
            return None;
        }
        let cell = self.conversation.cell_mut(last)?;
        let CellKind::Assistant(answer) = &mut cell.kind else {
            return None;
        };
        answer.body.push(&t.text);
        answer.state = state;
        Some(last)
    }

    /// A block of the answer got `cell`: a following text block may continue it only if
    /// this one was text. `None`: a new message begins, nothing continues.
    pub(in crate::tui) fn note_block(&mut self, block: Option<&ContentBlock>, cell: u64) {
        self.web.joinable = match block {
            Some(ContentBlock::Text(_)) => Some(cell),
            _ => None,
        };
    }

    /// A text block closed: its footnote markers go after its text.
    pub(in crate::tui) fn cite(&mut self, cell: u64, block: &TextBlock) {
        let markers = self.web.footnotes.markers_for(block);
        if markers.is_empty() {
            return;
        }
        if let Some(c) = self.conversation.cell_mut(cell)
            && let CellKind::Assistant(answer) = &mut c.kind
        {
            answer.body.push(&markers);
        }
    }

    /// The turn ended: its numbered sources follow the answer.
    pub(in crate::tui) fn sources_cell(&mut self, model: &str) {
        self.web.calls.clear();
        let notes = std::mem::take(&mut self.web.footnotes);
        if notes.is_empty() {
            return;
        }
        let markdown = notes.markdown();
        // After the answer they cite, as its last block (one label above both); in a cell
        // of their own when something else came after it.
        let last = self.conversation.cells().last().map(|c| c.id);
        if let Some(c) = last.and_then(|id| self.conversation.cell_mut(id))
            && let CellKind::Assistant(answer) = &mut c.kind
            && answer.state == AnswerState::Done
        {
            answer.body.push(&format!("\n\n{markdown}"));
            return;
        }
        let kind = CellKind::for_block(
            &ContentBlock::text(markdown),
            model,
            None,
            AnswerState::Done,
        );
        self.conversation.push(kind);
    }
}

/// A server result's sources, one line each: `1. title · domain · age` (the addresses
/// are in the answer's sources).
fn source_lines(sources: &[server_tools::Source]) -> String {
    let mut out = String::new();
    for (i, s) in sources.iter().enumerate() {
        let title = if s.title.is_empty() {
            s.domain()
        } else {
            &s.title
        };
        out.push_str(&format!("{}. {title} · {}", i + 1, s.domain()));
        if let Some(age) = &s.page_age {
            out.push_str(&format!(" · {age}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "web_tests.rs"]
mod tests;
