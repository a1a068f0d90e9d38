//! The overlays: the layers over the conversation that see a key before the input does.
//!
//! The model (after gitui's components): each overlay, while open, is asked about a key and
//! answers [`KeyOutcome::Consumed`] (it used the key up), [`KeyOutcome::NotMine`] (pass it
//! down the stack) or [`KeyOutcome::Action`] (the key means an app action, carried out by
//! the app as if bound at the top level). [`App::on_key`](super::App::on_key) walks
//! [`Overlay::STACK`] from the top; a key no overlay takes goes to the keymap and the input.
//!
//! The order is the precedence: the modal overlays (help, the over-budget confirmation,
//! the conversation picker) take every key; message selection, the refusal reason prompt,
//! the `@`-mention popup, the command popup and the attachment chips (Backspace at the
//! start of the input, Tab on a paste offer) take the keys they know; approval turns its
//! keys into the approve and refuse actions while a call waits.

use crossterm::event::KeyEvent;
use tokio::time::Instant;

use crate::tui::app::App;
use crate::tui::app::keymap::Action;

/// One overlay of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::tui) enum Overlay {
    /// The help overlay: scrolls, any other key closes it.
    Help,
    /// The over-budget confirmation (`cost_prompt.rs`).
    Confirm,
    /// The conversation picker (`store.rs`).
    Picker,
    /// Picking an earlier message to edit (Esc then Up/Down).
    Selection,
    /// The reason prompt of a refusal (`approval.rs`).
    Refusal,
    /// The `@`-mention popup above the input (`attach.rs`).
    Mention,
    /// The slash-command popup above the input.
    Popup,
    /// The attachment chips and the paste offer (`attach.rs`).
    Chips,
    /// A tool call waiting for approval.
    Approval,
}

/// What an overlay did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::tui) enum KeyOutcome {
    /// The key was used up.
    Consumed,
    /// Not this overlay's key: ask the next one down.
    NotMine,
    /// The key means this action.
    Action(Action),
}

impl Overlay {
    /// Every overlay, topmost (first asked) first.
    pub(in crate::tui) const STACK: [Overlay; 9] = [
        Overlay::Help,
        Overlay::Confirm,
        Overlay::Picker,
        Overlay::Selection,
        Overlay::Refusal,
        Overlay::Mention,
        Overlay::Popup,
        Overlay::Chips,
        Overlay::Approval,
    ];
}

impl App {
    /// Whether `overlay` is open now.
    pub(in crate::tui) fn is_open(&self, overlay: Overlay) -> bool {
        match overlay {
            Overlay::Help => self.help.shown,
            Overlay::Confirm => self.cost.confirm.is_some(),
            Overlay::Picker => self.browse.picker.is_some(),
            Overlay::Selection => self.browse.selecting.is_some(),
            Overlay::Refusal => self.approval.refusing.is_some(),
            Overlay::Mention => self.mention_open(),
            Overlay::Popup => self.popup_visible(),
            Overlay::Chips => self.chips_open(),
            Overlay::Approval => self.approval_pending(),
        }
    }

    /// Offers `key` to the open overlays, topmost first. `None` when none took it, so it
    /// goes to the keymap and the input; `Some(action)` for an action to carry out.
    pub(in crate::tui) fn overlays_key(
        &mut self,
        key: &KeyEvent,
        now: Instant,
    ) -> Option<KeyOutcome> {
        // Open-ness is checked just before each overlay is asked, as an overlay below may
        // open or close as a result of the keys before.
        for overlay in Overlay::STACK {
            if !self.is_open(overlay) {
                continue;
            }
            match self.overlay_key(overlay, key, now) {
                KeyOutcome::NotMine => {}
                outcome => return Some(outcome),
            }
        }
        None
    }

    /// One overlay's answer to a key.
    fn overlay_key(&mut self, overlay: Overlay, key: &KeyEvent, now: Instant) -> KeyOutcome {
        let used = |used: bool| {
            if used {
                KeyOutcome::Consumed
            } else {
                KeyOutcome::NotMine
            }
        };
        match overlay {
            Overlay::Help => {
                self.on_help_key(key);
                KeyOutcome::Consumed
            }
            Overlay::Confirm => {
                self.on_confirm_key(key, now);
                KeyOutcome::Consumed
            }
            Overlay::Picker => {
                self.on_picker_key(key, now);
                KeyOutcome::Consumed
            }
            Overlay::Selection => used(self.on_select_key(key, now)),
            Overlay::Refusal => used(self.on_refusal_key(key, now)),
            Overlay::Mention => used(self.on_mention_key(key)),
            Overlay::Popup => used(self.on_popup_key(key)),
            Overlay::Chips => used(self.on_chips_key(key, now)),
            Overlay::Approval => self.approval_key(key, now),
        }
    }

    /// Approval's keys: approve once, always, or refuse, while a call waits. A bare
    /// character answers only when the guard allows it (`approval.rs`); otherwise it is
    /// typed.
    fn approval_key(&self, key: &KeyEvent, now: Instant) -> KeyOutcome {
        match self.keymap.action_for(key) {
            Some(action @ (Action::ApproveOnce | Action::ApproveAlways | Action::RefuseTool))
                if self.applies(action, key, now) =>
            {
                KeyOutcome::Action(action)
            }
            _ => KeyOutcome::NotMine,
        }
    }

    /// The key hints of the topmost open overlay that has any, from the keymap. Only
    /// message selection has its own today; the others say their keys in their frame.
    pub(in crate::tui) fn overlay_hints(&self) -> Option<Vec<String>> {
        let top = Overlay::STACK.into_iter().find(|&o| self.is_open(o))?;
        match top {
            Overlay::Selection => Some(vec![
                format!(
                    "{}{} pick a message",
                    self.hint_key(Action::HistoryPrev),
                    self.hint_key(Action::HistoryNext)
                ),
                format!("{} edit it", self.hint_key(Action::Send)),
                format!("{} cancel", self.hint_key(Action::Interrupt)),
            ]),
            _ => None,
        }
    }

    /// How a hint names the key of `action`: its first binding, with Up and Down as
    /// arrows; unbound, the action's `[keys]` name, so the hint still says what to bind.
    pub(in crate::tui) fn hint_key(&self, action: Action) -> String {
        match self.keymap.keys_for(action).first().map(|k| k.to_string()) {
            Some(key) if key == "Up" => "↑".into(),
            Some(key) if key == "Down" => "↓".into(),
            Some(key) => key,
            None => format!("[{}]", action.name()),
        }
    }
}

#[cfg(test)]
#[path = "overlay_tests.rs"]
mod tests;
