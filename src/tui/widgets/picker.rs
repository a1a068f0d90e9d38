//! The conversation picker (Ctrl+R): a centred overlay listing stored conversations with
//! type-to-search, Enter to resume and a confirmed delete.
//!
//! The model: [`Picker`] holds the query, the rows the store last returned for it, the
//! selection and a pending delete confirmation. It does no IO: each key returns a
//! [`PickerAction`] (search again, open, delete, close) that the app turns into an effect,
//! and the results come back through [`Picker::set_items`]. The clock used for "3 h ago"
//! is the one given with the rows, so a render is a pure function of the state (snapshots
//! are stable).
//!
//! Keys: printable characters and Backspace edit the query, Up/Down (and PgUp/PgDn) move,
//! Enter resumes, the `delete_conversation` key (Ctrl+X) asks "delete?", which y or Enter
//! confirms and any other key declines; Esc closes. Titles and models come from the store
//! (ultimately from the model or the user), so they are sanitised when drawn.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::cost::format_usd;
use crate::sanitize::sanitize_line;
use crate::store::{ConversationId, ConversationSummary};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{str_width, truncate};

/// Rows the store is asked for: the picker's first page.
pub const PAGE: usize = 50;

/// What a key asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerAction {
    /// Nothing outside the picker changes.
    None,
    /// The query changed: list again.
    Search(String),
    Open(ConversationId),
    Delete(ConversationId),
    Close,
}

/// The picker's own keys, as the app's keymap resolves them: resume (send), close
/// (interrupt) and delete (delete_conversation). Other keys move or search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Open,
    Close,
    Delete,
}

/// How the footer names the picker's keys, from the keymap (`Enter`, `Esc`, `Ctrl+X`);
/// an empty name leaves that hint out.
#[derive(Debug, Clone, Default)]
pub struct PickerHints {
    pub open: String,
    pub close: String,
    pub delete: String,
}

/// The picker's state. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    pub query: String,
    items: Vec<ConversationSummary>,
    selected: usize,
    /// A delete awaiting y / n.
    confirm: Option<ConversationId>,
    /// The conversation on screen now, marked in the list.
    current: Option<ConversationId>,
    /// When the rows were listed, for "3 h ago".
    now_ms: i64,
    /// Rows have arrived at least once (before that the list says "loading").
    loaded: bool,
    /// The store could not answer.
    error: Option<String>,
    /// The keys as the keymap has them, for the footer.
    hints: PickerHints,
}

impl Picker {
    /// `hints` name the picker's keys in the footer.
    pub fn new(current: Option<ConversationId>, hints: PickerHints) -> Self {
        Picker {
            current,
            hints,
            ..Picker::default()
        }
    }

    /// The rows for the current query, listed at `now_ms`. The selection stays on the
    /// same conversation when it is still listed.
    pub fn set_items(&mut self, items: Vec<ConversationSummary>, now_ms: i64) {
        let keep = self.selected_id();
        self.items = items;
        self.now_ms = now_ms;
        self.loaded = true;
        self.error = None;
        self.selected = keep
            .and_then(|id| self.items.iter().position(|i| i.id == id))
            .unwrap_or(0);
    }

    pub fn set_error(&mut self, error: String) {
        self.error = Some(error);
        self.loaded = true;
    }

    pub fn selected_id(&self) -> Option<ConversationId> {
        self.items.get(self.selected).map(|i| i.id)
    }

    /// Handles a key; `bound` is what the keymap makes of it, if one of the picker's keys.
    pub fn on_key(&mut self, key: &KeyEvent, bound: Option<PickerKey>) -> PickerAction {
        if let Some(id) = self.confirm.take() {
            let yes = matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter);
            return if yes {
                PickerAction::Delete(id)
            } else {
                PickerAction::None
            };
        }
        match bound {
            Some(PickerKey::Delete) => {
                self.confirm = self.selected_id();
                return PickerAction::None;
            }
            Some(PickerKey::Close) => return PickerAction::Close,
            Some(PickerKey::Open) => {
                return self
                    .selected_id()
                    .map_or(PickerAction::None, PickerAction::Open);
            }
            None => {}
        }
        let n = self.items.len();
        match key.code {
            KeyCode::Up if n > 0 => {
                self.selected = (self.selected + n - 1) % n;
                PickerAction::None
            }
            KeyCode::Down if n > 0 => {
                self.selected = (self.selected + 1) % n;
                PickerAction::None
            }
            KeyCode::PageUp => {
                self.selected = self.selected.saturating_sub(10);
                PickerAction::None
            }
            KeyCode::PageDown => {
                self.selected = (self.selected + 10).min(n.saturating_sub(1));
                PickerAction::None
            }
            KeyCode::Backspace => {
                if self.query.pop().is_some() {
                    PickerAction::Search(self.query.clone())
                } else {
                    PickerAction::None
                }
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.query.push(c);
                PickerAction::Search(self.query.clone())
            }
            _ => PickerAction::None,
        }
    }

    /// Draws the overlay centred on `screen`.
    pub fn render(&self, screen: Rect, buf: &mut Buffer, theme: &Theme) {
        let w = screen
            .width
            .saturating_sub(4)
            .clamp(20.min(screen.width), 100);
        let h = screen.height.saturating_sub(2).min(24);
        if w < 10 || h < 5 {
            return;
        }
        let area = Rect::new(
            screen.x + (screen.width - w) / 2,
            screen.y + (screen.height - h) / 2,
            w,
            h,
        );
        Clear.render(area, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(truncate(
                " Conversations ",
                usize::from(w.saturating_sub(2)),
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let width = usize::from(inner.width);
        let search = Line::from(vec![
            Span::styled(" search: ", theme.style(Role::Dim)),
            Span::styled(
                sanitize_line(&self.query).into_owned(),
                theme.style(Role::Text),
            ),
            Span::styled("▏", theme.style(Role::Dim)),
        ]);
        buf.set_line(inner.x, inner.y, &search, inner.width);
        let footer_y = inner.y + inner.height - 1;
        let list = Rect::new(
            inner.x,
            inner.y + 2,
            inner.width,
            inner.height.saturating_sub(3),
        );
        self.render_rows(list, buf, theme);
        let footer = self.footer();
        let style = if self.confirm.is_some() {
            theme.style(Role::Warning)
        } else {
            theme.style(Role::Dim)
        };
        let span = Span::styled(truncate(&format!(" {footer}"), width), style);
        buf.set_span(inner.x, footer_y, &span, inner.width);
    }

    fn footer(&self) -> String {
        if let Some(id) = self.confirm {
            let title = self
                .items
                .iter()
                .find(|i| i.id == id)
                .map_or(String::new(), |i| sanitize_line(&i.title).into_owned());
            return format!("Delete “{title}”? y deletes · any other key keeps it");
        }
        let h = &self.hints;
        let parts = [
            (h.open.as_str(), " resume"),
            (h.delete.as_str(), " delete"),
            ("", "type to search"),
            (h.close.as_str(), " close"),
        ];
        let parts: Vec<String> = parts
            .iter()
            .filter(|(key, what)| !key.is_empty() || !what.starts_with(' '))
            .map(|(key, what)| format!("{key}{what}"))
            .collect();
        parts.join(" · ")
    }

    fn render_rows(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let empty = match (&self.error, self.items.is_empty(), self.loaded) {
            (Some(e), _, _) => Some(format!("cannot list conversations: {e}")),
            (None, _, false) => Some("loading…".into()),
            (None, true, true) if self.query.trim().is_empty() => {
                Some("No conversations yet: the first message you send starts one.".into())
            }
            (None, true, true) => {
                Some(format!("Nothing matches “{}”.", sanitize_line(&self.query)))
            }
            (None, false, true) => None,
        };
        if let Some(text) = empty {
            let span = Span::styled(
                truncate(&format!(" {text}"), usize::from(area.width)),
                theme.style(Role::Dim),
            );
            buf.set_span(area.x, area.y, &span, area.width);
            return;
        }
        let rows = usize::from(area.height);
        let offset = (self.selected + 1).saturating_sub(rows);
        for (i, item) in self.items.iter().enumerate().skip(offset).take(rows) {
            let y = area.y + (i - offset) as u16;
            let line = self.row(item, i == self.selected, usize::from(area.width), theme);
            buf.set_line(area.x, y, &line, area.width);
            if i == self.selected {
                buf.set_style(
                    Rect::new(area.x, y, area.width, 1),
                    theme.style(Role::Selection),
                );
            }
        }
    }

    /// One row: markers (selected; open now or a branch), title (cut to fit), then when,
    /// messages, cost and model as room allows.
    fn row(
        &self,
        item: &ConversationSummary,
        selected: bool,
        width: usize,
        theme: &Theme,
    ) -> Line<'static> {
        let kind = if Some(item.id) == self.current {
            '●'
        } else if item.parent.is_some() {
            '↳'
        } else {
            ' '
        };
        let mark = format!("{}{kind} ", if selected { '▸' } else { ' ' });
        let mut details = vec![
            ago(self.now_ms, item.updated_ms),
            format!("{} msgs", item.message_count),
            format_usd(item.cost_usd),
        ];
        if width >= 70 && !item.model.is_empty() {
            details.push(sanitize_line(&item.model).into_owned());
        }
        let mut right = details.join(" · ");
        // The title keeps at least a third of the row.
        while str_width(&right) + 3 > width * 2 / 3 && details.len() > 1 {
            details.pop();
            right = details.join(" · ");
        }
        let room = width.saturating_sub(str_width(&right) + str_width(&mark) + 2);
        let title = truncate(&sanitize_line(&item.title), room);
        let pad = room.saturating_sub(str_width(&title));
        Line::from(vec![
            Span::styled(mark, theme.style(Role::Dim)),
            Span::styled(title, theme.style(Role::Text)),
            Span::raw(" ".repeat(pad + 1)),
            Span::styled(right, theme.style(Role::Dim)),
        ])
    }
}

/// "just now", "12 min ago", "3 h ago", "yesterday", "4 days ago", else the date.
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let mins = (now_ms - then_ms).max(0) / 60_000;
    match mins {
        0 => "just now".into(),
        1..=59 => format!("{mins} min ago"),
        60..=1439 => format!("{} h ago", mins / 60),
        1440..=2879 => "yesterday".into(),
        2880..=10079 => format!("{} days ago", mins / 1440),
        _ => crate::store::utc_date(then_ms),
    }
}

#[cfg(test)]
#[path = "picker_tests.rs"]
mod tests;
