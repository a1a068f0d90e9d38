//! The multi-line input at the bottom of the screen: a [`TextArea`] plus sent-message
//! history, paste cleaning and the measurements the layout needs.
//!
//! What it owns: the text being written, its undo steps, the list of sent messages and
//! where the user is while browsing it. What it does not own: what Enter, Up and Down
//! *mean*. The app resolves those through the keymap and calls [`InputBox::submit`],
//! [`InputBox::insert_newline`], [`InputBox::history_prev`] and so on; [`InputBox::handle_key`]
//! only edits, and ignores Enter.
//!
//! History browsing: Up on the first row shows the newest sent message, then older ones.
//! The text that was in the box when browsing began (the draft) is saved once and comes
//! back when Down goes past the newest entry. Edits to a recalled entry last until the next
//! history move. The app seeds the history with earlier sessions' messages
//! ([`InputBox::set_history`]) and adds drafts cleared with Ctrl+C ([`InputBox::remember`]). Sent history holds at most [`HISTORY_CAP`] entries, never two equal ones in
//! a row.
//!
//! Wrapping and scrolling: long lines wrap at word boundaries, and a word longer than the
//! row is broken between characters ([`WrapMode::WordOrGlyph`]). The box grows with its
//! text up to [`MAX_TEXT_ROWS`] rows, then the text scrolls to keep the cursor in view.
//! Heights are not recomputed here: the textarea is always laid out in one scratch area per
//! width (see `layout`) and [`InputBox::height`] reads the row count back from it, so the
//! height always agrees with the drawing. After an edit that shortens the text the view is
//! scrolled back so no blank rows hang below it (the textarea alone would leave them).
//!
//! Invariant: the text never contains tabs or other control characters. Typed control
//! characters are dropped, Tab inserts spaces, and [`InputBox::paste`] and
//! [`InputBox::set_text`] clean what they are given: pasted text can come from anywhere (a
//! web page, a log with colour codes) and what the box holds is drawn to the terminal.
//!
//! Rendering reads only `&self`: the textarea draws through `Widget for &TextArea` and keeps
//! its wrap map and scroll position in interior cells, so nothing is cloned per frame, and
//! a draw touches only the rows on show. The first/last-row checks use the wrap of the most
//! recent layout (before the first, every line is one row).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::str_width;

/// Sent messages kept for Up/Down; the oldest go first.
pub const HISTORY_CAP: usize = 1000;

/// Text rows the box grows to before it scrolls instead.
pub const MAX_TEXT_ROWS: u16 = 10;

/// Shown in the empty box. The part before the double space is what fits a narrow box.
const PLACEHOLDER: &str =
    "Message Claude…  (Enter send · Shift+Enter newline · / commands · F1 help)";
/// The placeholder where the terminal cannot tell Shift+Enter from Enter.
const PLACEHOLDER_NO_SHIFT_ENTER: &str =
    "Message Claude…  (Enter send · Alt+Enter newline · / commands · F1 help)";

/// The placeholder while a mode hint is shown: the hint (in the border) says the rest.
const PLACEHOLDER_IN_MODE: &str = "Paste or type the text…  (Enter runs · Esc cancels)";

/// Spaces a pasted tab becomes; the Tab key inserts spaces up to the next stop this wide.
const TAB_SPACES: &str = "    ";
const TAB_WIDTH: u8 = 4;

/// The input box. See the module docs for the model.
pub struct InputBox {
    textarea: TextArea<'static>,
    /// Sent messages, oldest first.
    history: Vec<String>,
    /// The history entry on show, or `None` while editing the draft.
    browsing: Option<usize>,
    /// The unsent text saved when browsing began.
    draft: String,
    placeholder: &'static str,
    /// What the next message is for, when not the chat (`/extract`): shown in the border.
    mode: Option<String>,
    /// The placeholder while in that mode, when not the default one.
    mode_placeholder: Option<String>,
    /// The right of the top border: the draft's counted cost (`app/token_count.rs`).
    note: Option<String>,
}

impl Default for InputBox {
    fn default() -> Self {
        InputBox::new()
    }
}

/// One editing operation, decoded from a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Insert(char),
    Tab,
    Backspace,
    Delete,
    DeleteWordBack,
    DeleteWordForward,
    KillToEnd,
    KillToHead,
    Move(CursorMove),
    Undo,
    Redo,
}

impl InputBox {
    pub fn new() -> Self {
        InputBox {
            textarea: new_textarea(vec![String::new()]),
            history: Vec::new(),
            browsing: None,
            draft: String::new(),
            placeholder: PLACEHOLDER,
            mode: None,
            note: None,
            mode_placeholder: None,
        }
    }

    /// Shows (or with `None` removes) a mode hint in the top border, e.g. that the next
    /// message is an extraction's input. It stays while the user types.
    /// The note on the right of the top border (the draft's counted cost), sanitised.
    pub fn set_note(&mut self, note: Option<&str>) {
        self.note = note.map(|n| crate::sanitize::sanitize_line(n).into_owned());
    }

    pub fn set_mode(&mut self, hint: Option<&str>) {
        self.mode = hint.map(|h| crate::sanitize::sanitize_line(h).into_owned());
    }

    pub fn mode(&self) -> Option<&str> {
        self.mode.as_deref()
    }

    /// Replaces (or with `None` restores) the placeholder shown while in a mode.
    pub fn set_mode_placeholder(&mut self, text: Option<String>) {
        self.mode_placeholder = text;
    }

    fn placeholder(&self) -> &str {
        if self.mode.is_some() {
            self.mode_placeholder
                .as_deref()
                .unwrap_or(PLACEHOLDER_IN_MODE)
        } else {
            self.placeholder
        }
    }

    /// Says which newline key to advertise: Shift+Enter only reaches the app on terminals
    /// with the keyboard enhancement protocol; Alt+Enter works everywhere.
    pub fn set_shift_enter_works(&mut self, works: bool) {
        self.placeholder = if works {
            PLACEHOLDER
        } else {
            PLACEHOLDER_NO_SHIFT_ENTER
        };
    }

    /// The text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// True only for the empty string; whitespace counts as content.
    pub fn is_empty(&self) -> bool {
        self.textarea.is_empty()
    }

    /// Empties the box as one undo step (Ctrl+Z brings the text back) and stops browsing.
    pub fn clear(&mut self) {
        self.textarea.clear();
        self.settle_scroll();
        self.browsing = None;
        self.draft.clear();
    }

    /// Replaces the text, cleaned as a paste is, with the cursor at the end. Undo starts
    /// afresh: Ctrl+Z must not step back into a different message.
    pub fn set_text(&mut self, text: &str) {
        self.replace_text(&clean_paste(text));
        self.browsing = None;
    }

    pub fn insert_newline(&mut self) {
        self.textarea.insert_newline();
    }

    /// Inserts pasted text at the cursor as one edit, so one undo removes all of it. Line
    /// endings become `\n`, tabs four spaces; escape sequences and other control characters
    /// are removed.
    pub fn paste(&mut self, text: &str) {
        self.textarea.insert_str(clean_paste(text));
        self.settle_scroll();
    }

    /// Applies an editing key. Enter is ignored: the app decides between send and newline.
    /// Returns whether the text or the cursor changed.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        if key.kind == KeyEventKind::Release {
            return false;
        }
        let Some(edit) = edit_for(key) else {
            return false;
        };
        let before = self.textarea.cursor();
        let changed = self.apply(edit);
        self.settle_scroll();
        changed || self.textarea.cursor() != before
    }

    fn apply(&mut self, edit: Edit) -> bool {
        let ta = &mut self.textarea;
        match edit {
            Edit::Insert(c) => {
                ta.insert_char(c);
                true
            }
            Edit::Tab => ta.insert_tab(),
            Edit::Backspace => ta.delete_char(),
            Edit::Delete => ta.delete_next_char(),
            Edit::DeleteWordBack => ta.delete_word(),
            Edit::DeleteWordForward => ta.delete_next_word(),
            Edit::KillToEnd => ta.delete_line_by_end(),
            Edit::KillToHead => ta.delete_line_by_head(),
            Edit::Move(m) => {
                ta.move_cursor(m);
                false
            }
            Edit::Undo => ta.undo(),
            Edit::Redo => ta.redo(),
        }
    }

    /// Whether the cursor is on the first row as drawn (a wrapped line has several rows).
    pub fn cursor_on_first_line(&self) -> bool {
        self.textarea.screen_cursor().row == 0
    }

    /// Whether the cursor is on the last row as drawn.
    pub fn cursor_on_last_line(&self) -> bool {
        // `screen_to_data` clamps rows past the end to the last one, and every row starts at
        // a different place in the text, so the row below maps to the same place only when
        // there is no row below.
        let row = self.textarea.screen_cursor().row;
        self.textarea.screen_to_data(row + 1, 0) == self.textarea.screen_to_data(row, 0)
    }

    /// Shows the previous (older) sent message, saving the draft on the first step.
    /// False when there is nothing older.
    pub fn history_prev(&mut self) -> bool {
        let index = match self.browsing {
            None if self.history.is_empty() => return false,
            None => {
                self.draft = self.text();
                self.history.len() - 1
            }
            Some(0) => return false,
            Some(i) => i - 1,
        };
        self.show_entry(index);
        true
    }

    /// Shows the next (newer) sent message, or the draft after the newest. False when not
    /// browsing.
    pub fn history_next(&mut self) -> bool {
        let Some(i) = self.browsing else {
            return false;
        };
        if i + 1 < self.history.len() {
            self.show_entry(i + 1);
        } else {
            let draft = std::mem::take(&mut self.draft);
            self.replace_text(&draft);
            self.browsing = None;
        }
        true
    }

    fn show_entry(&mut self, index: usize) {
        let text = self.history.get(index).cloned().unwrap_or_default();
        self.replace_text(&text);
        self.browsing = Some(index);
    }

    /// Takes the text to send. Blank text (empty or whitespace only) stays in the box and
    /// gives `None`. Otherwise the text joins the history (unless it repeats the newest
    /// entry) and the box starts afresh, undo included.
    pub fn submit(&mut self) -> Option<String> {
        let text = self.text();
        if text.trim().is_empty() {
            return None;
        }
        self.remember(text.clone());
        self.textarea = new_textarea(vec![String::new()]);
        self.browsing = None;
        self.draft.clear();
        Some(text)
    }

    /// Adds `text` to the history as the newest entry (unless it repeats the newest), as
    /// sending does; a draft cleared with Ctrl+C is kept this way too.
    pub fn remember(&mut self, text: String) {
        if self.history.last() != Some(&text) {
            self.history.push(text);
            if self.history.len() > HISTORY_CAP {
                let excess = self.history.len() - HISTORY_CAP;
                self.history.drain(..excess);
            }
        }
    }

    /// Replaces the sent history (oldest first), keeping the newest [`HISTORY_CAP`]: at
    /// start, the messages of earlier sessions (from the store).
    pub fn set_history(&mut self, mut entries: Vec<String>) {
        let excess = entries.len().saturating_sub(HISTORY_CAP);
        entries.drain(..excess);
        self.history = entries;
        self.browsing = None;
    }

    #[cfg(test)]
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Rows the box needs at this width: the top border plus the wrapped text, at least one
    /// row and at most [`MAX_TEXT_ROWS`].
    pub fn height(&self, width: u16) -> u16 {
        self.layout(width);
        let rows = self.screen_rows().clamp(1, usize::from(MAX_TEXT_ROWS));
        1 + u16::try_from(rows).unwrap_or(MAX_TEXT_ROWS)
    }

    /// Draws the top border and the text (or the placeholder) into `area`.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, focused: bool) {
        let border = if focused {
            Role::BorderFocused
        } else {
            Role::Border
        };
        let mut block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.style(border));
        if let Some(mode) = &self.mode {
            let room = usize::from(area.width.saturating_sub(2));
            let title = crate::tui::render::wrap::truncate(mode, room);
            block = block.title(Span::styled(
                format!(" {title} "),
                theme.style(Role::Notice),
            ));
        }
        if let Some(note) = &self.note {
            let note = crate::tui::render::wrap::truncate(note, usize::from(area.width / 2));
            let note = Line::styled(format!(" {note} "), theme.style(Role::Dim));
            block = block.title_top(note.right_aligned());
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        buf.set_style(inner, theme.style(Role::UserText));
        let scratch = self.layout(inner.width);
        let skip = self.rows_to_skip(inner.height);
        let shown = inner.height.min(MAX_TEXT_ROWS - skip);
        for (row, y) in (skip..skip + shown).zip(inner.y..) {
            for (col, x) in (0..inner.width).zip(inner.x..) {
                // The symbol from the textarea, the style already in place (the textarea's
                // own is plain).
                let cell = &mut buf[(x, y)];
                let style = cell.style();
                *cell = scratch[(col, row)].clone();
                cell.set_style(style);
            }
        }
        if self.is_empty() {
            let line = Line::from(Span::styled(
                placeholder(self.placeholder(), inner.width),
                theme.style(Role::Dim),
            ));
            buf.set_line(inner.x, inner.y, &line, inner.width);
        }
    }

    /// Where the terminal cursor goes when the box is drawn in `area`; `None` when the box
    /// has no text rows.
    pub fn cursor_position(&self, area: Rect) -> Option<Position> {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        if inner.is_empty() {
            return None;
        }
        self.layout(inner.width);
        let cursor = self.textarea.screen_cursor();
        let row = self.cursor_row_in_view() - self.rows_to_skip(inner.height);
        // At the end of a line that fills the width the cursor would sit just past the
        // right edge; the last column is the closest visible place.
        let col = u16::try_from(cursor.col)
            .unwrap_or(u16::MAX)
            .min(inner.width - 1);
        Some(Position::new(inner.x + col, inner.y + row))
    }

    /// Draws the textarea as if the box were as tall as it gets, into a scratch buffer.
    ///
    /// Always drawing into this same area is what keeps the textarea cheap and predictable:
    /// it re-wraps only when its area changes, and its scroll position is worked out for
    /// this height, the only one it ever sees. A box showing fewer rows shows all its text
    /// (so the top row is 0) or is squeezed by a small terminal (see `rows_to_skip`).
    fn layout(&self, width: u16) -> Buffer {
        let area = Rect::new(0, 0, width, MAX_TEXT_ROWS);
        let mut scratch = Buffer::empty(area);
        (&self.textarea).render(area, &mut scratch);
        scratch
    }

    /// Rows the text takes as last laid out.
    fn screen_rows(&self) -> usize {
        // `screen_to_data` clamps rows past the end to the last one, and each row starts at
        // a later place in the text than the one before, so the last row is the first one
        // mapping to where the last row starts.
        let ta = &self.textarea;
        let last = ta.screen_to_data(usize::MAX, 0);
        let (mut low, mut high) = (0, usize::MAX);
        while low < high {
            let mid = low + (high - low) / 2;
            if ta.screen_to_data(mid, 0) == last {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        low + 1
    }

    /// The cursor's row within the laid-out view (0 to `MAX_TEXT_ROWS - 1`).
    fn cursor_row_in_view(&self) -> u16 {
        let (top, _) = self.textarea.scroll_offset();
        let row = self
            .textarea
            .screen_cursor()
            .row
            .saturating_sub(usize::from(top));
        u16::try_from(row).unwrap_or(0).min(MAX_TEXT_ROWS - 1)
    }

    /// Rows of the laid-out view left out at the top when only `available` rows fit, so the
    /// cursor stays visible in a box squeezed below its height.
    fn rows_to_skip(&self, available: u16) -> u16 {
        (self.cursor_row_in_view() + 1).saturating_sub(available.max(1))
    }

    /// Scrolls back after an edit that shortened the text, so no blank rows are left below
    /// it: the textarea itself only ever scrolls to keep the cursor in view.
    fn settle_scroll(&mut self) {
        let (top, _) = self.textarea.scroll_offset();
        if top == 0 {
            return;
        }
        let top = usize::from(top);
        let rows = self.screen_rows();
        let shown = rows.min(usize::from(MAX_TEXT_ROWS));
        let cursor_row = self.textarea.screen_cursor().row;
        let target = next_scroll_top(top, cursor_row, shown).min(rows - shown);
        if target >= top {
            return;
        }
        let before = self.textarea.cursor();
        let up = i16::try_from(top - target).unwrap_or(i16::MAX);
        self.textarea.scroll((-up, 0));
        // Scrolling pulls the cursor into the view's columns, which moves it off the end of
        // a line that exactly fills the width. The row is in view, so that is the only move.
        if self.textarea.cursor() != before {
            self.textarea.move_cursor(CursorMove::End);
        }
    }

    /// Puts already clean text in a fresh textarea, cursor at the end.
    fn replace_text(&mut self, text: &str) {
        let lines = text.split('\n').map(str::to_owned).collect();
        self.textarea = new_textarea(lines);
        self.textarea.move_cursor(CursorMove::Bottom);
        self.textarea.move_cursor(CursorMove::End);
    }
}

/// A textarea set up for the box: word wrapping, soft tabs, and no drawn cursor or
/// cursor-line underline (the terminal's own cursor is placed by `cursor_position`).
fn new_textarea(lines: Vec<String>) -> TextArea<'static> {
    let mut ta = TextArea::new(lines);
    ta.set_wrap_mode(WrapMode::WordOrGlyph);
    ta.set_hard_tab_indent(false);
    ta.set_tab_length(TAB_WIDTH);
    ta.set_cursor_style(Style::default());
    ta.set_cursor_line_style(Style::default());
    ta
}

/// The editing operation a key asks for, if any. Emacs/readline keys plus the usual
/// arrows; Ctrl+Z undoes and Ctrl+Shift+Z redoes.
fn edit_for(key: &KeyEvent) -> Option<Edit> {
    let mods = key.modifiers;
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    let alt = mods.contains(KeyModifiers::ALT);
    let shift = mods.contains(KeyModifiers::SHIFT);
    let edit = match key.code {
        KeyCode::Char(c) if c.is_control() => return None,
        KeyCode::Char(c) if !ctrl && !alt => Edit::Insert(c),
        // AltGr arrives as Ctrl+Alt on Windows: `@`, `{`, `ą` on many layouts.
        KeyCode::Char(c) if ctrl && alt && !c.is_ascii_alphanumeric() => Edit::Insert(c),
        KeyCode::Char(c) if ctrl && !alt => return ctrl_edit(c.to_ascii_lowercase(), shift),
        KeyCode::Char(c) if alt && !ctrl => return alt_edit(c.to_ascii_lowercase()),
        KeyCode::Tab if !ctrl && !alt => Edit::Tab,
        KeyCode::Backspace if ctrl || alt => Edit::DeleteWordBack,
        KeyCode::Backspace => Edit::Backspace,
        KeyCode::Delete if ctrl || alt => Edit::DeleteWordForward,
        KeyCode::Delete => Edit::Delete,
        KeyCode::Left if ctrl || alt => Edit::Move(CursorMove::WordBack),
        KeyCode::Right if ctrl || alt => Edit::Move(CursorMove::WordForward),
        KeyCode::Left => Edit::Move(CursorMove::Back),
        KeyCode::Right => Edit::Move(CursorMove::Forward),
        KeyCode::Up => Edit::Move(CursorMove::Up),
        KeyCode::Down => Edit::Move(CursorMove::Down),
        KeyCode::Home if ctrl => Edit::Move(CursorMove::Top),
        KeyCode::End if ctrl => Edit::Move(CursorMove::Bottom),
        KeyCode::Home => Edit::Move(CursorMove::Head),
        KeyCode::End => Edit::Move(CursorMove::End),
        _ => return None,
    };
    Some(edit)
}

fn ctrl_edit(c: char, shift: bool) -> Option<Edit> {
    Some(match c {
        'a' => Edit::Move(CursorMove::Head),
        'e' => Edit::Move(CursorMove::End),
        'b' => Edit::Move(CursorMove::Back),
        'f' => Edit::Move(CursorMove::Forward),
        'h' => Edit::Backspace,
        'd' => Edit::Delete,
        'w' => Edit::DeleteWordBack,
        'k' => Edit::KillToEnd,
        'u' => Edit::KillToHead,
        'z' if shift => Edit::Redo,
        'z' => Edit::Undo,
        _ => return None,
    })
}

fn alt_edit(c: char) -> Option<Edit> {
    Some(match c {
        'b' => Edit::Move(CursorMove::WordBack),
        'f' => Edit::Move(CursorMove::WordForward),
        'd' => Edit::DeleteWordForward,
        _ => return None,
    })
}

/// Pasted text made safe to hold: `\r\n` and lone `\r` become `\n`, escape sequences and
/// control characters go (through the same sanitiser as model output), tabs become spaces.
pub(in crate::tui) fn clean_paste(text: &str) -> String {
    // Line endings first: the sanitiser drops `\r`, which would join old Mac-style lines.
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    };
    let clean = crate::sanitize::sanitize(&text);
    if clean.contains('\t') {
        clean.replace('\t', TAB_SPACES)
    } else {
        clean.into_owned()
    }
}

/// The placeholder, shortened to its first part when the whole does not fit.
fn placeholder(text: &str, width: u16) -> &str {
    if str_width(text) <= usize::from(width) {
        text
    } else {
        text.split("  ").next().unwrap_or(text)
    }
}

/// Where the textarea's next draw puts its top row when it shows `rows` rows: the same
/// rule as the textarea's own (move as little as keeps the cursor in view).
fn next_scroll_top(top: usize, cursor: usize, rows: usize) -> usize {
    if cursor < top {
        cursor
    } else if top + rows <= cursor {
        cursor + 1 - rows
    } else {
        top
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
