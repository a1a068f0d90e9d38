//! Writing a message beyond plain typing: queueing while an answer streams, large pastes
//! as chips, and the external editor. Part of [`App`]; the state is in `app.rs`.
//!
//! Queue: Enter while a chat answer is on its way (its turn has started) queues the
//! message instead of refusing it. Queued messages show dimmed between the conversation
//! and the input, oldest first. When the turn ends they are sent one per turn, in order.
//! Up on an empty input takes the newest back into the input (to edit, or to delete), and
//! when the turn stops without finishing (Esc, or an error) every queued message comes back
//! into the input rather than being sent after something the user stopped or that failed.
//! A message takes the attachment chips pending when it is queued (they show as its count
//! in the queue) and gives them back with its text when it comes back into the input.
//!
//! Pastes: see `paste.rs`. Editor: Ctrl+G hands the draft to `$VISUAL` / `$EDITOR`
//! (run by the event loop, `editor.rs`), and [`App::editor_done`] takes the result back.

use tokio::time::Instant;

use crate::cost::budget::BudgetLevel;

use crate::tui::app::paste;
use crate::tui::app::{App, Effect};
use crate::tui::render::cells::NoticeKind;

/// Queued messages shown in full before the rest are counted in one line.
pub(in crate::tui) const QUEUE_ROWS: usize = 3;

/// A message written while an answer streams, with the chips it was queued with.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::tui) struct Queued {
    pub text: String,
    pub attachments: Vec<crate::attach::Attachment>,
}

/// What is being composed besides the input's text.
#[derive(Debug, Default)]
pub(in crate::tui) struct Compose {
    /// Messages written while an answer streams, oldest first; sent when the turn ends.
    pub queued: Vec<Queued>,
    /// Large pastes shown as chips: (the chip's text in the input, the pasted text).
    pub pastes: Vec<(String, String)>,
}

impl App {
    /// A chat answer is on its way: a message sent now would queue.
    pub(in crate::tui) fn answer_pending(&self) -> bool {
        // Not `Connection::Waiting` alone: a command the engine answers without a turn
        // (a retry with nothing to retry) would leave messages queued for ever. A second
        // message sent before the turn starts waits in the engine instead.
        self.live.is_some()
    }

    /// Enter while an answer streams: the input's text joins the queue.
    pub(in crate::tui) fn queue_input(&mut self, now: Instant) {
        if let Some(text) = self.input.submit() {
            let attachments = std::mem::take(&mut self.attach.pending);
            self.compose.queued.push(Queued { text, attachments });
            self.sync_popup();
            self.flash("queued: ↑ takes it back", now);
        }
    }

    /// Up on an empty input with messages queued: the newest comes back to edit. False
    /// when there is none to take or the input has text.
    pub(in crate::tui) fn unqueue_newest(&mut self, now: Instant) -> bool {
        if !self.input.is_empty() {
            return false;
        }
        let Some(queued) = self.compose.queued.pop() else {
            return false;
        };
        self.input.set_text(&queued.text);
        self.pend_again(queued.attachments);
        self.sync_popup();
        self.flash("unqueued: Enter queues it again", now);
        true
    }

    /// The turn stopped early: every queued message comes back into the input (before
    /// whatever is typed there), nothing is sent.
    pub(in crate::tui) fn unqueue_all(&mut self) {
        if self.compose.queued.is_empty() {
            return;
        }
        let queued = std::mem::take(&mut self.compose.queued);
        let mut parts = Vec::with_capacity(queued.len() + 1);
        let mut attachments = Vec::new();
        for q in queued {
            parts.push(q.text);
            attachments.extend(q.attachments);
        }
        self.pend_again(attachments);
        let draft = self.input.text();
        if !draft.trim().is_empty() {
            parts.push(draft);
        }
        self.input.set_text(&parts.join("\n\n"));
        self.sync_popup();
        self.notice(
            NoticeKind::Info,
            "the queued messages are back in the input, not sent",
        );
    }

    /// The turn ended: the oldest queued message is sent (the rest wait for its turn).
    pub(in crate::tui) fn send_next_queued(&mut self) {
        if self.compose.queued.is_empty() {
            return;
        }
        let queued = self.compose.queued.remove(0);
        let text = paste::expand(&queued.text, &self.compose.pastes);
        if self.budget_level() == Some(BudgetLevel::Over) {
            // The budget question takes the input (and its chips the pending ones, which
            // go with it once confirmed); a draft there keeps the message queued.
            if self.input.is_empty() {
                self.pend_again(queued.attachments);
                self.send_initial(text.to_string());
            } else {
                self.compose.queued.insert(0, queued);
                self.notice(
                    NoticeKind::Cost,
                    "over budget: the queued message waits (send it from the input)",
                );
            }
            return;
        }
        self.send_with(text, queued.attachments);
    }

    /// The queue as the screen shows it: at most [`QUEUE_ROWS`] lines.
    pub(in crate::tui) fn queue_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .compose
            .queued
            .iter()
            .take(QUEUE_ROWS)
            .map(|queued| {
                let text = &queued.text;
                let first = text.lines().next().unwrap_or_default();
                let more = if text.lines().nth(1).is_some() {
                    " …"
                } else {
                    ""
                };
                let files = match queued.attachments.len() {
                    0 => String::new(),
                    1 => " (+1 file)".to_owned(),
                    n => format!(" (+{n} files)"),
                };
                format!("» queued: {first}{more}{files}")
            })
            .collect();
        if self.compose.queued.len() > QUEUE_ROWS {
            let extra = self.compose.queued.len() - QUEUE_ROWS + 1;
            lines.pop();
            lines.push(format!("» {extra} more queued"));
        }
        lines
    }

    /// The input history of earlier sessions, newest first (from the store). Messages
    /// sent in this session come before them when going back.
    pub fn set_input_history(&mut self, mut newest_first: Vec<String>) {
        newest_first.reverse();
        self.input.set_history(newest_first);
    }

    /// A paste: small ones go into the input as text, large ones as a chip.
    pub(in crate::tui) fn paste(&mut self, text: &str) {
        let clean = crate::tui::widgets::input::clean_paste(text);
        if !paste::is_large(&clean) {
            self.input.paste(text);
            self.offer_pasted_path(&clean);
            return;
        }
        let label = paste::unique_chip(&clean, &self.compose.pastes);
        self.input.paste(&label);
        self.compose.pastes.push((label, clean));
    }

    /// What the person has written and not sent, in full: the input with its chips opened,
    /// or, while a refusal's reason is being typed, the draft put aside for it. This is
    /// what a hang-up saves.
    pub fn draft_text(&self) -> String {
        let text = match &self.approval.refusing {
            Some(refusal) => refusal.draft().to_owned(),
            None => self.input.text(),
        };
        paste::expand(&text, &self.compose.pastes).to_string()
    }

    /// Ctrl+O with chips in the input: they open into their text there. False when the
    /// input has none.
    pub(in crate::tui) fn expand_input_pastes(&mut self) -> bool {
        let text = self.input.text();
        let expanded = paste::expand(&text, &self.compose.pastes);
        if !expanded.has_pastes() {
            return false;
        }
        self.input.set_text(&expanded);
        self.sync_popup();
        true
    }

    /// Ctrl+G: the draft goes to the external editor (chips opened, so the whole text can
    /// be edited).
    pub(in crate::tui) fn open_editor(&mut self, now: Instant) {
        if self.approval.refusing.is_some() {
            self.flash("finish the refusal first (Enter or Esc)", now);
            return;
        }
        let draft = paste::expand(&self.input.text(), &self.compose.pastes);
        self.effect(Effect::Editor(draft.to_string()));
    }

    /// The editor closed: its text replaces the draft. An error leaves the draft as it was.
    pub fn editor_done(&mut self, result: Result<String, String>, now: Instant) {
        match result {
            Ok(text) => {
                // Editors end files with a newline the user did not mean to send.
                let text = text.strip_suffix('\n').unwrap_or(&text);
                self.input.set_text(text);
                self.sync_popup();
                self.flash("draft taken from the editor", now);
            }
            Err(e) => self.notice(
                NoticeKind::Error,
                format!("editor: {e}; the draft is unchanged"),
            ),
        }
    }
}

#[cfg(test)]
#[path = "compose_tests.rs"]
mod tests;
