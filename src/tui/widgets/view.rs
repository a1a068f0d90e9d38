//! Drawing the app: the layout, the status bar and the help overlay.
//!
//! The model: [`layout`] is a pure function from the screen size and the app's toggles to
//! the rectangles of each component, used by both [`App::prepare`] (which updates the
//! conversation's caches for the pane's size) and [`App::render`] (which draws through
//! `&self`). Rendering writes into a [`Buffer`], not a `Frame`, so benchmarks and snapshot
//! tests draw exactly what the terminal gets.
//!
//! Any size works: below [`MIN_WIDTH`] x [`MIN_HEIGHT`] the screen shows one "terminal too
//! small" line, cut to fit, and nothing else; every rectangle is clamped to the screen.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::tui::app::keymap::Action;
use crate::tui::app::{App, Connection};
use crate::tui::render::theme::Role;
use crate::tui::render::wrap::{str_width, truncate};

/// The smallest screen the full layout is drawn at.
pub const MIN_WIDTH: u16 = 24;
pub const MIN_HEIGHT: u16 = 6;
/// The sidebar's width, and the narrowest screen it is shown on.
const SIDEBAR_WIDTH: u16 = 32;
const SIDEBAR_MIN_SCREEN: u16 = 80;

/// Where each component goes on a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub conversation: Rect,
    pub sidebar: Option<Rect>,
    /// Messages queued while an answer streams, just above the input (often no rows).
    pub queue: Rect,
    /// Attachment chips and the paste offer, just above the input (often no rows).
    pub chips: Rect,
    pub input: Rect,
    pub status: Rect,
}

/// The layout for a screen, or `None` when it is too small for one.
pub fn layout(app: &App, screen: Rect) -> Option<Areas> {
    if screen.width < MIN_WIDTH || screen.height < MIN_HEIGHT {
        return None;
    }
    // The input grows with its text but always leaves the conversation 3 rows.
    let input_height = app
        .input
        .height(screen.width)
        .min(screen.height.saturating_sub(4))
        .max(2);
    let queue_height = app.queue_lines().len() as u16;
    let room = screen.height.saturating_sub(input_height + 4);
    let queue_height = queue_height.min(room);
    let chips_height = app.chips_height(screen.width).min(room - queue_height);
    let [main, queue, chips, input, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(queue_height),
        Constraint::Length(chips_height),
        Constraint::Length(input_height),
        Constraint::Length(1),
    ])
    .areas(screen);
    let (conversation, sidebar) = if app.screen.sidebar && screen.width >= SIDEBAR_MIN_SCREEN {
        let [c, s] =
            Layout::horizontal([Constraint::Min(1), Constraint::Length(SIDEBAR_WIDTH)]).areas(main);
        (c, Some(s))
    } else {
        (main, None)
    };
    Some(Areas {
        conversation,
        sidebar,
        queue,
        chips,
        input,
        status,
    })
}

impl App {
    /// Updates render caches for a frame of this size. Call before [`App::render`].
    /// Returns true when layout work remains for later frames (after a resize of a long
    /// conversation); the caller should request another frame.
    pub fn prepare(&mut self, screen: Rect) -> bool {
        let mut more = false;
        let areas = layout(self, screen);
        self.screen.sidebar_area = areas.and_then(|a| a.sidebar);
        self.attach.chips_area = areas.map(|a| a.chips);
        self.screen.conversation_area = areas.map(|a| a.conversation);
        if let Some(areas) = areas {
            let (w, h) = (areas.conversation.width, areas.conversation.height);
            let options = self.screen.render_options;
            more = self
                .conversation
                .prepare(usize::from(w), usize::from(h), &self.theme, options);
        }
        self.help.rows = usize::from(screen.height.saturating_sub(2));
        self.help.width = screen.width;
        more
    }

    /// Where the conversation is on the screen last prepared for.
    pub fn conversation_area(&self) -> Option<Rect> {
        self.screen.conversation_area
    }

    /// Draws the whole screen. Returns where the terminal cursor should be, if shown.
    pub fn render(&self, screen: Rect, buf: &mut Buffer) -> Option<Position> {
        let Some(areas) = layout(self, screen) else {
            self.render_too_small(screen, buf);
            return None;
        };
        if self.conversation.cells().is_empty() {
            self.render_welcome(areas.conversation, buf);
        } else {
            self.conversation
                .render(areas.conversation, buf, &self.theme);
        }
        if let Some(sidebar) = areas.sidebar {
            self.render_sidebar(sidebar, buf);
        }
        let overlay = self.help.shown || self.browse.picker.is_some();
        let input_focused = self.screen.focused && !overlay && self.tools.focus.is_none();
        self.input
            .render(areas.input, buf, &self.theme, input_focused);
        self.render_queue(areas.queue, buf);
        self.render_chips(areas.chips, buf);
        self.render_status(areas.status, buf);
        if self.popup_visible() {
            let h = self.popup.height().min(areas.conversation.height);
            let w = areas.input.width.min(self.popup.width());
            let y = areas.input.y.saturating_sub(h);
            self.popup
                .render(Rect::new(areas.input.x, y, w, h), buf, &self.theme);
        }
        self.render_mentions(&areas, buf);
        self.render_confirm(areas.input, buf);
        if self.help.shown {
            self.render_help(screen, buf);
            return None;
        }
        if let Some(picker) = &self.browse.picker {
            picker.render(screen, buf, &self.theme);
            return None;
        }
        self.input.cursor_position(areas.input)
    }

    /// The empty conversation: what to do first, with the keys as the keymap has them.
    fn render_welcome(&self, area: Rect, buf: &mut Buffer) {
        let key = |a| self.key_of(a).unwrap_or_else(|| "(unbound)".into());
        let lines = [
            ("chatterm".to_owned(), Role::Heading),
            (String::new(), Role::Dim),
            ("Type a message and press Enter.".to_owned(), Role::Text),
            (
                format!(
                    "{} {} {} tiers · {} next tier",
                    key(Action::TierFast),
                    key(Action::TierBalanced),
                    key(Action::TierMax),
                    key(Action::CycleTier)
                ),
                Role::Dim,
            ),
            (
                format!("{} auto tier (picked per message)", key(Action::TierAuto)),
                Role::Dim,
            ),
            ("/ opens commands".to_owned(), Role::Dim),
            (format!("{} lists every key", key(Action::Help)), Role::Dim),
        ];
        let top = area.y + area.height.saturating_sub(lines.len() as u16) / 3;
        for (i, (text, role)) in lines.iter().enumerate() {
            let y = top + i as u16;
            if y >= area.y + area.height {
                break;
            }
            let text = truncate(text, usize::from(area.width));
            let x = area.x + area.width.saturating_sub(str_width(&text) as u16) / 2;
            buf.set_span(
                x,
                y,
                &Span::styled(text, self.theme.style(*role)),
                area.width,
            );
        }
    }

    fn render_too_small(&self, screen: Rect, buf: &mut Buffer) {
        if screen.width == 0 || screen.height == 0 {
            return;
        }
        let text = format!(
            "terminal too small ({}x{}, need {MIN_WIDTH}x{MIN_HEIGHT})",
            screen.width, screen.height
        );
        let line = truncate(&text, usize::from(screen.width));
        let span = Span::styled(line, self.theme.style(Role::Warning));
        buf.set_span(screen.x, screen.y, &span, screen.width);
    }

    /// The first key of an action, as shown in hints (`Ctrl+B`), or `None` when unbound.
    fn key_of(&self, action: Action) -> Option<String> {
        self.keymap.keys_for(action).first().map(|k| k.to_string())
    }

    fn render_status(&self, area: Rect, buf: &mut Buffer) {
        let bar = self.theme.style(Role::StatusBar);
        buf.set_style(area, bar);
        let tier = match self.status.tier {
            _ if self.status.auto => "auto".to_owned(),
            Some(t) => t.to_string(),
            None => "custom".to_owned(),
        };
        let model = crate::sanitize::sanitize_line(&self.status.model);
        let (state, role) = self.connection_label();
        let mut spans = vec![
            Span::styled(format!(" {tier} "), bar.add_modifier(Modifier::BOLD)),
            Span::styled(format!("· {model} "), bar),
        ];
        if let Some(label) = self.status.reasoning.label() {
            spans.push(Span::styled(
                format!("· {label} "),
                bar.patch(self.theme.style(Role::Thinking)),
            ));
        }
        // The default mode ("ask") goes unsaid; the others must stay visible.
        if self.approval.mode != crate::tui::app::approval::PermissionMode::Ask {
            let role = match self.approval.mode {
                crate::tui::app::approval::PermissionMode::ApproveAll => Role::Error,
                _ => Role::Warning,
            };
            spans.push(Span::styled(
                format!("· ⏵ {} ", self.approval.mode.name()),
                bar.patch(self.theme.style(role))
                    .add_modifier(Modifier::BOLD),
            ));
        }
        spans.push(Span::styled(
            format!("· {state} "),
            bar.patch(self.theme.style(role)),
        ));
        let left = Line::from(spans);
        let right = match &self.flash {
            Some((text, _)) => crate::sanitize::sanitize_line(text).into_owned(),
            None => {
                let room = usize::from(area.width.saturating_sub(left.width() as u16 + 1));
                fit_hints(self.hints(), room)
            }
        };
        // A message that does not fit beside the model takes the whole bar for its few
        // seconds: cut off, it would not say what to do.
        let flash_width = self.flash.as_ref().map_or(0, |_| str_width(&right) as u16);
        let left_width = if flash_width > 0 && left.width() as u16 + flash_width + 2 > area.width {
            0
        } else {
            buf.set_line(area.x, area.y, &left, area.width);
            left.width() as u16
        };
        let room = usize::from(area.width.saturating_sub(left_width + 1));
        if room >= 8 {
            let right = truncate(&right, room);
            let x = area.x + area.width - str_width(&right) as u16 - 1;
            buf.set_span(x, area.y, &Span::styled(right, bar), room as u16);
        }
    }

    /// The queued messages, dimmed, one line each.
    fn render_queue(&self, area: Rect, buf: &mut Buffer) {
        let style = self.theme.style(Role::Dim);
        for (line, y) in self.queue_lines().iter().zip(area.y..area.y + area.height) {
            let text = crate::sanitize::sanitize_line(line);
            let text = truncate(&text, usize::from(area.width));
            buf.set_span(area.x, y, &Span::styled(text, style), area.width);
        }
    }

    fn connection_label(&self) -> (String, Role) {
        if let Some(label) = self.approval_label() {
            return (label, Role::Warning);
        }
        match &self.connection {
            Connection::Idle => ("idle".into(), Role::Dim),
            Connection::Waiting => ("waiting…".into(), Role::Notice),
            Connection::Streaming => match &self.status.fell_back {
                Some((from, _)) => (format!("fell back from {from}"), Role::Warning),
                None => ("streaming".into(), Role::Notice),
            },
            Connection::Retrying { attempt, max, .. } => {
                (format!("retrying {attempt} of {max}"), Role::Warning)
            }
        }
    }

    /// The key hints for the state, most useful first (see [`fit_hints`]).
    fn hints(&self) -> Vec<String> {
        if let Some(hints) = self.overlay_hints() {
            return hints;
        }
        if self.browse.editing.is_some() {
            let (send, esc) = (
                self.hint_key(Action::Send),
                self.hint_key(Action::Interrupt),
            );
            return vec![
                format!("editing an earlier message: {send} sends a new branch"),
                format!("{esc} cancels"),
            ];
        }
        let pairs: &[(Action, &str)] = if self.is_busy() {
            &[
                (Action::Interrupt, "interrupt"),
                (Action::PageUp, "scroll"),
                (Action::Help, "help"),
            ]
        } else {
            &[
                (Action::Send, "send"),
                (Action::CycleTier, "tier"),
                (Action::ToggleSidebar, "sidebar"),
                (Action::CopyLast, "copy"),
                (Action::Help, "help"),
            ]
        };
        let mut parts: Vec<String> = pairs
            .iter()
            .filter_map(|&(a, what)| Some(format!("{} {what}", self.key_of(a)?)))
            .collect();
        if let Some(end) = self.key_of(Action::Bottom) {
            if self.conversation.has_unseen_output() {
                parts.insert(0, format!("{end} ↓ new output"));
            } else if !self.conversation.is_following() {
                parts.insert(0, format!("{end} follow"));
            }
        }
        parts
    }
}

/// The hints that fit in `room` columns, whole: a hint is never cut mid-word. The first
/// (the state's own key: send, interrupt, pick) stays longest, then the last (help); the
/// ones between go from the end.
fn fit_hints(mut parts: Vec<String>, room: usize) -> String {
    loop {
        let joined = parts.join(" · ");
        if str_width(&joined) <= room || parts.is_empty() {
            return joined;
        }
        let drop = if parts.len() > 2 {
            parts.len() - 2
        } else {
            parts.len() - 1
        };
        parts.remove(drop);
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "stream_screen_tests.rs"]
mod stream_screen_tests;
