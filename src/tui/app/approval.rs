//! Answering tool approvals on purpose: the permission modes, the guard on bare digits,
//! and refusing with a reason. Part of [`App`]; the pending calls live in `app/tools.rs`.
//!
//! Permission modes (Shift+Tab cycles them; the status bar names any but the default):
//! - **ask**: every call of a tool that asks waits for the user;
//! - **auto-edit**: `write_file` (confined to the workspace) runs without asking, the
//!   rest still asks (run_command, command tools);
//! - **approve all**: nothing asks (what `--approve-all` starts in).
//!
//! The engine learns a new mode for its next turns ([`Command::SetApprovals`]); calls of
//! the running turn that the new mode covers are answered here, at once and as they arrive.
//! A stricter mode chosen mid-turn applies from the next turn (the running one keeps the
//! policy it started with).
//!
//! Deliberate answers: prose cannot approve. The bare bindings are digits (1 run once,
//! 2 always for this tool, 3 refuse), taken only on an empty input, and not when the prompt
//! appeared under someone's fingers: within [`SETTLE`] of the prompt appearing while the
//! person was typing (the input had text, or a key was typed just before), a digit goes to
//! the input. Alt+Y / Alt+A / Alt+N answer anytime.
//!
//! Refusing opens a one-line reason prompt in the input (the draft is put aside and comes
//! back after): Enter sends the reason to the model in the call's result ([`Command::Refuse`]),
//! an empty Enter refuses without one, Esc leaves the call waiting.

use std::time::Duration;

use crossterm::event::KeyEvent;
use tokio::time::Instant;

use crate::engine::{ApprovalPolicy, Command};
use crate::tools::ApprovalDecision;

use crate::tui::app::keymap::Action;
use crate::tui::app::{App, Effect};

/// How long after the approval prompt appears a typist's digit still counts as typing.
pub(in crate::tui) const SETTLE: Duration = Duration::from_millis(500);

/// Which calls run without asking. See the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PermissionMode {
    #[default]
    Ask,
    AutoEdit,
    ApproveAll,
}

impl PermissionMode {
    pub fn next(self) -> PermissionMode {
        match self {
            PermissionMode::Ask => PermissionMode::AutoEdit,
            PermissionMode::AutoEdit => PermissionMode::ApproveAll,
            PermissionMode::ApproveAll => PermissionMode::Ask,
        }
    }

    pub fn policy(self) -> ApprovalPolicy {
        match self {
            PermissionMode::Ask => ApprovalPolicy::Ask,
            PermissionMode::AutoEdit => ApprovalPolicy::AutoEdit,
            PermissionMode::ApproveAll => ApprovalPolicy::ApproveAll,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PermissionMode::Ask => "ask",
            PermissionMode::AutoEdit => "auto-edit",
            PermissionMode::ApproveAll => "approve all",
        }
    }

    /// Whether a call of `tool` that would ask runs without asking in this mode.
    pub fn covers(self, tool: &str) -> bool {
        !self.policy().asks_for(tool)
    }
}

/// An open reason prompt: the call it refuses and the draft put aside for it.
#[derive(Debug)]
pub(in crate::tui) struct Refusal {
    id: String,
    draft: String,
    /// The input's mode hint before (an armed `/extract`), restored after.
    hint: Option<String>,
}

impl Refusal {
    /// The input's text when the reason prompt opened; it comes back when the prompt ends.
    pub(in crate::tui) fn draft(&self) -> &str {
        &self.draft
    }
}

/// Approval's state beyond the pending calls (`ToolCalls`): the permission mode, the
/// guard against keys typed as the prompt appears, and the refusal reason prompt.
#[derive(Debug, Default)]
pub(in crate::tui) struct ApprovalPrompt {
    /// Ask, auto-edit or approve all (Shift+Tab).
    pub mode: PermissionMode,
    /// When the approval prompt appeared, and whether the person was typing then.
    pub shown: Option<(Instant, bool)>,
    /// When a key last changed the input.
    pub last_typed: Option<Instant>,
    /// The reason prompt of a refusal, while open.
    pub refusing: Option<Refusal>,
}

impl App {
    /// The first call started waiting: remember whether the person was typing.
    pub(in crate::tui) fn prompt_appeared(&mut self, now: Instant) {
        let typed_lately = self
            .approval
            .last_typed
            .is_some_and(|at| now.saturating_duration_since(at) < SETTLE);
        self.approval.shown = Some((now, !self.input.is_empty() || typed_lately));
    }

    /// Whether a bare answer key (a digit) answers now rather than being typed.
    pub(in crate::tui) fn bare_answer_allowed(&self, now: Instant) -> bool {
        let typist = self
            .approval
            .shown
            .is_some_and(|(at, typing)| typing && now.saturating_duration_since(at) < SETTLE);
        self.input.is_empty() && !typist
    }

    /// Shift+Tab: the next permission mode, for the engine's next turns and for the calls
    /// waiting now.
    pub(in crate::tui) fn cycle_mode(&mut self, now: Instant) {
        self.approval.mode = self.approval.mode.next();
        self.effect(Effect::Engine(Command::SetApprovals(
            self.approval.mode.policy(),
        )));
        for (id, name) in self.pending_calls() {
            if self.approval.mode.covers(&name) {
                if self.approval.refusing.as_ref().is_some_and(|r| r.id == id) {
                    self.end_refusal();
                }
                self.answer_call(&id, ApprovalDecision::Once, None);
            }
        }
        // Short: the status bar also names the mode, and 80 columns must fit both.
        let what = match self.approval.mode {
            PermissionMode::Ask => "mode ask: tools ask first",
            PermissionMode::AutoEdit => "writes run unasked",
            PermissionMode::ApproveAll => "nothing asks first",
        };
        self.flash(what, now);
    }

    /// 3 / Alt+N: opens the reason prompt for the oldest waiting call.
    pub(in crate::tui) fn start_refusal(&mut self) {
        let Some((id, name)) = self.oldest_pending().cloned() else {
            return;
        };
        let draft = self.input.text();
        let hint = self.input.mode().map(str::to_owned);
        self.input.set_text("");
        let name = crate::sanitize::sanitize_line(&name);
        let (send, back) = (
            self.hint_key(Action::Send),
            self.hint_key(Action::Interrupt),
        );
        self.input.set_mode(Some(&format!(
            "refuse {name}: reason for the model? ({send}; empty: none · {back}: back)"
        )));
        self.input.set_mode_placeholder(Some(format!(
            "Why not? The model reads it  ({send} refuses · {back} back)"
        )));
        self.sync_popup();
        self.approval.refusing = Some(Refusal { id, draft, hint });
    }

    /// Keys of the reason prompt: Enter refuses, Esc leaves the call waiting. Other keys
    /// edit the reason. True when the key was used up.
    pub(in crate::tui) fn on_refusal_key(&mut self, key: &KeyEvent, now: Instant) -> bool {
        match self.keymap.action_for(key) {
            Some(Action::Send) => {
                let reason = self.input.text().trim().to_owned();
                let Some(id) = self.approval.refusing.as_ref().map(|r| r.id.clone()) else {
                    return false;
                };
                self.end_refusal();
                let reason = (!reason.is_empty()).then_some(reason);
                self.flash(
                    if reason.is_some() {
                        "refused; the model gets your reason"
                    } else {
                        "refused"
                    },
                    now,
                );
                self.answer_call(&id, ApprovalDecision::Deny, reason);
                true
            }
            Some(Action::Interrupt) => {
                self.end_refusal();
                self.flash("not refused: the call still waits", now);
                true
            }
            _ => false,
        }
    }

    /// Closes the reason prompt, putting the draft back.
    pub(in crate::tui) fn end_refusal(&mut self) {
        if let Some(refusal) = self.approval.refusing.take() {
            self.input.set_mode(refusal.hint.as_deref());
            self.input.set_mode_placeholder(None);
            self.input.set_text(&refusal.draft);
            self.sync_popup();
        }
    }

    /// Call `id` stopped waiting without the prompt's answer (the turn went on without
    /// it): the prompt closes.
    pub(in crate::tui) fn refusal_call_settled(&mut self, id: &str) {
        if self.approval.refusing.as_ref().is_some_and(|r| r.id == id) {
            self.end_refusal();
        }
    }
}

#[cfg(test)]
#[path = "approval_tests.rs"]
mod tests;
