//! What tool calls do to the app: their panels' life, approvals, focus and expansion.
//!
//! The model: [`ToolCalls`] maps each tool_use id to the cell of its panel (the engine
//! reports a call by id, after its block's index may have been reused by a later request
//! of the same turn), keeps the calls awaiting the user's answer in arrival order, the
//! panels whose tool runs (the only reason the app asks for frames on a clock), and which
//! panel has the focus, if any.
//!
//! Approvals: while a call awaits approval, the approval actions (1 / 2 / 3 by default on
//! an empty input, Alt+Y / Alt+A / Alt+N anytime) answer the *oldest* pending call,
//! sending [`Command::Approve`] as an [`Effect::Engine`] like every other engine command.
//! Refusing opens a reason prompt first (`app/approval.rs`). A call the permission mode
//! covers is approved as it arrives, so it never waits.
//!
//! Focus: Alt+Up moves the focus from the input to the newest panel and on to older ones,
//! Alt+Down back towards the input. Enter on the focused panel expands or collapses it;
//! typing, or Esc, gives the focus back to the input. Ctrl+T expands or collapses every
//! panel and forgets the panels' own choices.

use crate::tools::preview::ApprovalPreview;
use std::collections::HashMap;

use crossterm::event::KeyEvent;
use tokio::time::Instant;

use crate::api::ContentBlock;
use crate::engine::{Command, ToolStatus};
use crate::tools::ApprovalDecision;

use crate::tui::app::keymap::Action;
use crate::tui::app::{App, Effect};
use crate::tui::render::cells::CellKind;
use crate::tui::widgets::tool_panel::{SPINNER_INTERVAL, ToolPanel};

/// The app's view of the tool calls it shows. See the module docs.
#[derive(Debug, Default)]
pub(in crate::tui) struct ToolCalls {
    /// tool_use id → the cell of its panel.
    cells: HashMap<String, u64>,
    /// Calls awaiting an answer, oldest first: (tool_use id, tool name).
    pending: Vec<(String, String)>,
    /// Cells of panels whose tool is running.
    pub(in crate::tui) running: Vec<u64>,
    /// The focused panel's cell, when the focus is not on the input.
    pub focus: Option<u64>,
}

impl App {
    /// The panel of a cell, marked changed.
    pub(in crate::tui) fn panel_mut(&mut self, cell: u64) -> Option<&mut ToolPanel> {
        match &mut self.conversation.cell_mut(cell)?.kind {
            CellKind::Tool(panel) => Some(panel),
            _ => None,
        }
    }

    fn panel(&self, cell: u64) -> Option<&ToolPanel> {
        let cells = self.conversation.cells();
        let i = cells.binary_search_by_key(&cell, |c| c.id).ok()?;
        match &cells[i].kind {
            CellKind::Tool(panel) => Some(panel),
            _ => None,
        }
    }

    /// Remembers the panel of a tool_use block that just got cell `cell`.
    pub(in crate::tui) fn register_tool(&mut self, block: &ContentBlock, cell: u64) {
        if let ContentBlock::ToolUse(t) = block {
            self.tools.cells.insert(t.id.clone(), cell);
            let hint = self
                .keymap
                .keys_for(Action::ToggleTools)
                .first()
                .map(|k| format!("{k} expands"))
                .unwrap_or_default();
            let mcp = self.mcp_call_for(&t.name);
            if let Some(panel) = self.panel_mut(cell) {
                panel.set_expand_hint(hint);
                if mcp.is_some() {
                    panel.mcp = mcp;
                }
            }
        }
    }

    /// The cell of call `id`'s panel.
    pub(in crate::tui) fn tool_cell(&self, id: &str) -> Option<u64> {
        self.tools.cells.get(id).copied()
    }

    /// Whether call `id` has a panel on screen.
    pub(in crate::tui) fn has_tool(&self, id: &str) -> bool {
        self.tools.cells.contains_key(id)
    }

    /// The tool input of call `id` was not valid JSON when its block closed.
    pub(in crate::tui) fn tool_input_invalid(&mut self, id: &str, error: &str) {
        if let Some(&cell) = self.tools.cells.get(id)
            && let Some(panel) = self.panel_mut(cell)
        {
            panel.invalid_json(error);
        }
    }

    /// The engine moved call `id` on.
    pub(in crate::tui) fn tool_status(
        &mut self,
        id: &str,
        name: &str,
        status: ToolStatus,
        now: Instant,
    ) {
        let Some(&cell) = self.tools.cells.get(id) else {
            return;
        };
        self.tools.pending.retain(|(p, _)| p != id);
        self.tools.running.retain(|&c| c != cell);
        self.refusal_call_settled(id);
        match status {
            ToolStatus::AwaitingApproval if self.approval.mode.covers(name) => {
                // The engine asked under the policy its turn began with; the mode now in
                // force answers for the user.
                self.tools.pending.push((id.to_owned(), name.to_owned()));
                if let Some(panel) = self.panel_mut(cell) {
                    panel.set_status(status, now);
                }
                self.answer_call(id, ApprovalDecision::Once, None);
                return;
            }
            ToolStatus::AwaitingApproval => {
                if self.tools.pending.is_empty() {
                    self.prompt_appeared(now);
                }
                self.tools.pending.push((id.to_owned(), name.to_owned()));
                let prompt = self.approval_prompt();
                if let Some(panel) = self.panel_mut(cell) {
                    panel.set_prompt(prompt);
                }
            }
            ToolStatus::Running => self.tools.running.push(cell),
            _ => {}
        }
        if let Some(panel) = self.panel_mut(cell) {
            panel.set_status(status, now);
        }
    }

    /// What approving a call would change, shown with its prompt.
    pub(in crate::tui) fn tool_preview(&mut self, id: &str, preview: ApprovalPreview) {
        if let Some(&cell) = self.tools.cells.get(id)
            && let Some(panel) = self.panel_mut(cell)
        {
            panel.set_preview(preview);
        }
    }

    /// The prompt line's text, with the keys the keymap has for the answers.
    fn approval_prompt(&self) -> String {
        let answers = [
            (Action::ApproveOnce, "run once"),
            (Action::ApproveAlways, "always for this tool"),
            (Action::RefuseTool, "refuse"),
        ];
        let mut bare = Vec::new();
        let mut typing = Vec::new();
        for (action, what) in answers {
            let keys = self.keymap.keys_for(action);
            let plain = keys.iter().find(|k| k.modifiers.is_empty());
            if let Some(key) = plain.or(keys.first()) {
                bare.push(format!("[{key}] {what}"));
            }
            if let Some(key) = keys.iter().find(|k| !k.modifiers.is_empty()) {
                typing.push(key.to_string());
            }
        }
        let mut prompt = bare.join("  ");
        if !typing.is_empty() {
            prompt.push_str(&format!(" · anytime: {}", typing.join(" / ")));
        }
        prompt
    }

    pub(in crate::tui) fn approval_pending(&self) -> bool {
        !self.tools.pending.is_empty()
    }

    /// The status bar's note of pending approvals, if any.
    pub(in crate::tui) fn approval_label(&self) -> Option<String> {
        let (_, name) = self.tools.pending.first()?;
        let name = self.tool_display_name(name);
        let key = |a| {
            self.keymap
                .keys_for(a)
                .first()
                .map_or("?".to_owned(), |k| k.to_string())
        };
        let keys = [
            Action::ApproveOnce,
            Action::ApproveAlways,
            Action::RefuseTool,
        ]
        .map(key);
        let more = match self.tools.pending.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        Some(format!("approve {name}? {}{more}", keys.join("/")))
    }

    /// Answers the oldest pending approval.
    pub(in crate::tui) fn answer_approval(&mut self, decision: ApprovalDecision) {
        if let Some((id, _)) = self.tools.pending.first().cloned() {
            self.answer_call(&id, decision, None);
        }
    }

    /// The oldest call awaiting approval: (tool_use id, tool name).
    pub(in crate::tui) fn oldest_pending(&self) -> Option<&(String, String)> {
        self.tools.pending.first()
    }

    /// The pending calls, oldest first, as (tool_use id, tool name).
    pub(in crate::tui) fn pending_calls(&self) -> Vec<(String, String)> {
        self.tools.pending.clone()
    }

    /// Answers pending call `id`; a refusal may carry the user's reason for the model.
    pub(in crate::tui) fn answer_call(
        &mut self,
        id: &str,
        decision: ApprovalDecision,
        reason: Option<String>,
    ) {
        let Some(at) = self.tools.pending.iter().position(|(p, _)| p == id) else {
            return;
        };
        let (id, _) = self.tools.pending.remove(at);
        if let Some(&cell) = self.tools.cells.get(&id)
            && let Some(panel) = self.panel_mut(cell)
        {
            panel.answered(decision);
        }
        let command = match reason {
            Some(reason) => Command::Refuse { id, reason },
            None => Command::Approve { id, decision },
        };
        self.effect(Effect::Engine(command));
    }

    /// Moves the running spinners on. Returns when they next need a tick, while any runs.
    pub(in crate::tui) fn tick_tools(&mut self, now: Instant) -> Option<Instant> {
        let running = self.tools.running.clone();
        let mut still = Vec::new();
        for cell in running {
            let Some(panel) = self.panel(cell) else {
                continue;
            };
            if !panel.is_running() {
                continue;
            }
            still.push(cell);
            if panel.tick_due(now)
                && let Some(panel) = self.panel_mut(cell)
            {
                panel.tick(now);
            }
        }
        let next = (!still.is_empty()).then_some(now + SPINNER_INTERVAL);
        self.tools.running = still;
        next
    }

    /// The turn ended: nothing is pending or running any more.
    pub(in crate::tui) fn tools_turn_ended(&mut self) {
        self.tools.pending.clear();
        self.tools.running.clear();
        self.end_refusal();
    }

    /// Everything about the shown calls is forgotten (the conversation was cleared).
    pub(in crate::tui) fn forget_tools(&mut self) {
        self.tools = ToolCalls::default();
        self.end_refusal();
    }

    /// The cells of all tool panels, oldest first.
    fn panel_cells(&self) -> Vec<u64> {
        (self.conversation).ids_where(|k| matches!(k, CellKind::Tool(_)))
    }

    /// Alt+Up (`up`) or Alt+Down. A key that has nothing to move to keeps its meaning in
    /// the input.
    pub(in crate::tui) fn move_tool_focus(&mut self, up: bool, key: &KeyEvent) {
        let cells = self.panel_cells();
        let at = self
            .tools
            .focus
            .and_then(|f| cells.iter().position(|&c| c == f));
        let next = match (at, up) {
            (None, true) => cells.last().copied(),
            (Some(i), true) => Some(cells[i.saturating_sub(1)]),
            (Some(i), false) => cells.get(i + 1).copied(),
            (None, false) => None,
        };
        if next.is_none() && at.is_none() {
            self.edit(key);
            return;
        }
        self.set_tool_focus(next);
    }

    fn set_tool_focus(&mut self, next: Option<u64>) {
        if let Some(old) = self.tools.focus.take()
            && let Some(panel) = self.panel_mut(old)
        {
            panel.focused = false;
        }
        if let Some(cell) = next
            && let Some(panel) = self.panel_mut(cell)
        {
            panel.focused = true;
            self.tools.focus = Some(cell);
            self.conversation.scroll_to_cell(cell);
        }
    }

    /// Gives the focus back to the input.
    pub(in crate::tui) fn clear_tool_focus(&mut self) {
        if self.tools.focus.is_some() {
            self.set_tool_focus(None);
        }
    }

    /// Enter on the focused panel: expands or collapses it alone. False when no panel
    /// has the focus.
    pub(in crate::tui) fn toggle_focused_tool(&mut self) -> bool {
        let Some(cell) = self.tools.focus else {
            return false;
        };
        let all = self.screen.render_options.tools_expanded;
        if let Some(panel) = self.panel_mut(cell) {
            panel.expanded = Some(!panel.expanded.unwrap_or(all));
        }
        true
    }

    /// Ctrl+T: every panel expanded, or every panel collapsed.
    pub(in crate::tui) fn toggle_all_tools(&mut self, now: Instant) {
        self.screen.render_options.tools_expanded = !self.screen.render_options.tools_expanded;
        let own: Vec<u64> = self
            .conversation
            .cells()
            .iter()
            .filter(|c| matches!(&c.kind, CellKind::Tool(p) if p.expanded.is_some()))
            .map(|c| c.id)
            .collect();
        for cell in own {
            if let Some(panel) = self.panel_mut(cell) {
                panel.expanded = None;
            }
        }
        let what = if self.screen.render_options.tools_expanded {
            "tool panels expanded"
        } else {
            "tool panels collapsed"
        };
        self.flash(what, now);
    }
}

#[cfg(test)]
#[path = "tools_tests.rs"]
mod tests;
