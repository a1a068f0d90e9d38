//! The over-budget confirmation: once today's spend reaches `budget.daily_usd`, sending a
//! message (or `/retry`) asks first.
//!
//! A one-line prompt sits just above the input box. Enter or y sends anyway; Esc, n or
//! Ctrl+C cancels; other keys are ignored while it is open. Cancelling leaves the message
//! in the input, so nothing typed is lost.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use tokio::time::Instant;

use crate::cost::budget::BudgetLevel;
use crate::cost::format_usd;

use crate::tui::app::App;
use crate::tui::app::keymap::Action;
use crate::tui::render::theme::Role;

/// What waits for the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// The message in the input.
    Message,
    Retry,
}

impl App {
    /// Opens the confirmation for `what` when today's spend is at or over the budget, and
    /// says so; false when `what` may go ahead (or there is nothing to send).
    pub(in crate::tui) fn ask_before_spending(&mut self, what: Pending) -> bool {
        if what == Pending::Message && self.input.text().trim().is_empty() {
            return false;
        }
        if self.budget_level() != Some(BudgetLevel::Over) {
            return false;
        }
        self.cost.confirm = Some(what);
        true
    }

    /// A first message given on the command line: sent at once unless the budget is used
    /// up, in which case it waits in the input behind the confirmation.
    pub fn send_initial(&mut self, text: String) {
        if self.budget_level() == Some(BudgetLevel::Over) && !text.trim().is_empty() {
            self.input.set_text(&text);
            self.cost.confirm = Some(Pending::Message);
            return;
        }
        self.send_message(text);
    }

    pub(in crate::tui) fn on_confirm_key(&mut self, key: &KeyEvent, now: Instant) {
        let Some(what) = self.cost.confirm else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // Send and interrupt as bound (Enter and Esc by default), and y/n as typed.
        let yes = match (self.keymap.action_for(key), key.code) {
            (Some(Action::Send), _) => true,
            (Some(Action::Interrupt), _) => false,
            (_, KeyCode::Char('y' | 'Y')) if !ctrl => true,
            (_, KeyCode::Char('n' | 'N')) if !ctrl => false,
            (_, KeyCode::Char('c')) if ctrl => false,
            _ => return,
        };
        self.cost.confirm = None;
        match (what, yes) {
            (Pending::Message, true) => self.send_input(),
            (Pending::Retry, true) => self.retry_now(now),
            (Pending::Message, false) => {
                self.flash("not sent: the message is still in the input", now);
            }
            (Pending::Retry, false) => self.flash("not retried", now),
        }
    }

    /// Draws the prompt on the row above the input box.
    pub(in crate::tui) fn render_confirm(&self, input: Rect, buf: &mut Buffer) {
        if self.cost.confirm.is_none() || input.y == 0 || input.width == 0 {
            return;
        }
        let row = Rect::new(input.x, input.y - 1, input.width, 1);
        let style = self
            .theme
            .style(Role::StatusBar)
            .patch(self.theme.style(Role::Warning))
            .add_modifier(Modifier::BOLD);
        let limit = self.cost.budget.daily_usd.unwrap_or(0.0);
        // The keys come early so a narrow screen still shows them.
        let text = format!(
            " Over budget: {} of {} today. Send anyway? {}/y · {}/n ",
            format_usd(self.today_spend()),
            format_usd(limit),
            self.hint_key(Action::Send),
            self.hint_key(Action::Interrupt),
        );
        // Padded to the full width, so nothing drawn beneath shows through.
        let width = usize::from(row.width);
        let text = crate::tui::render::wrap::truncate(&text, width);
        let pad = width.saturating_sub(crate::tui::render::wrap::str_width(&text));
        let line = Line::from(Span::styled(format!("{text}{}", " ".repeat(pad)), style));
        buf.set_line(row.x, row.y, &line, row.width);
    }
}
