//! The help overlay: every key binding (from the live keymap, so overrides show), every
//! slash command, the attachment keys (fixed: they are not actions of the keymap) and the
//! MCP servers' prompts as commands, centred over the screen.
//!
//! It is laid out in two columns when the screen is wide enough, and scrolls when it is
//! still too tall: arrows, PgUp/PgDn and Home/End scroll, any other key closes it (and is
//! not passed on, so closing never types or sends anything).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::render::theme::Role;
use crate::tui::render::wrap::{str_width, truncate};

/// The attachment keys (`app/attach.rs`): they act only where they say, so they are not
/// in the keymap.
const ATTACH_KEYS: &[(&str, &str)] = &[
    ("@", "mention a workspace file: ↑↓ pick, Tab/Enter insert"),
    (
        "Backspace",
        "at the start of the input: remove the last chip",
    ),
    ("click", "on a chip: remove it"),
    ("Tab", "after pasting a file's path: attach it"),
];

/// The key column is as wide as its longest entry, up to this.
const MAX_KEY_COLUMN: usize = 24;

/// The help overlay's state: open or not, the first line in view, and the screen's rows
/// and width in the last frame (for paging and the last line).
#[derive(Debug, Default)]
pub(in crate::tui) struct HelpState {
    pub shown: bool,
    pub scroll: usize,
    pub rows: usize,
    pub width: u16,
}

impl App {
    pub(in crate::tui) fn open_help(&mut self) {
        self.help.shown = true;
        self.help.scroll = 0;
    }

    pub(in crate::tui) fn on_help_key(&mut self, key: &KeyEvent) {
        let page = self.help.rows.saturating_sub(1).max(1);
        let max = self
            .help_lines(self.help.width)
            .len()
            .saturating_sub(self.help.rows);
        self.help.scroll = match key.code {
            KeyCode::Up => self.help.scroll.saturating_sub(1),
            KeyCode::Down => self.help.scroll + 1,
            KeyCode::PageUp => self.help.scroll.saturating_sub(page),
            KeyCode::PageDown => self.help.scroll + page,
            KeyCode::Home => 0,
            KeyCode::End => max,
            _ => {
                self.help.shown = false;
                0
            }
        }
        .min(max);
    }

    /// The overlay's content: a keys section and a commands section. On a screen too
    /// narrow for key and description side by side, each description goes under its key.
    fn help_lines(&self, screen_width: u16) -> Vec<Line<'static>> {
        let keys: Vec<(String, String)> = self
            .keymap
            .bindings()
            .into_iter()
            .map(|(action, chords)| {
                let names: Vec<String> = chords.iter().map(|k| k.to_string()).collect();
                let names = if names.is_empty() {
                    "(none)".into()
                } else {
                    names.join(" ")
                };
                (names, action.description().to_owned())
            })
            .collect();
        let commands: Vec<(String, String)> = crate::tui::widgets::commands::COMMANDS
            .iter()
            .map(|c| {
                (
                    format!("/{} {}", c.name, c.args).trim_end().to_owned(),
                    c.description.to_owned(),
                )
            })
            .collect();
        let attach: Vec<(String, String)> = ATTACH_KEYS
            .iter()
            .map(|&(k, what)| (k.to_owned(), what.to_owned()))
            .collect();
        // The MCP servers' prompts, once their servers are ready.
        let prompts: Vec<(String, String)> = self
            .prompt_commands()
            .into_iter()
            .map(|c| {
                let usage = format!("/{} {}", c.name, c.args).trim_end().to_owned();
                (usage, c.description)
            })
            .collect();
        let column = keys
            .iter()
            .chain(&attach)
            .chain(&commands)
            .chain(&prompts)
            .map(|(k, _)| str_width(k))
            .max()
            .unwrap_or(0)
            .min(MAX_KEY_COLUMN);
        let heading = self.theme.style(Role::Heading).add_modifier(Modifier::BOLD);
        let widest_text = keys
            .iter()
            .chain(&attach)
            .chain(&commands)
            .chain(&prompts)
            .map(|(_, d)| str_width(d))
            .max();
        let stacked = column + 2 + widest_text.unwrap_or(0) + 4 > usize::from(screen_width);
        let mut lines = vec![Line::styled("Keys", heading)];
        self.help_rows(&keys, column, stacked, &mut lines);
        lines.push(Line::default());
        lines.push(Line::styled("Commands", heading));
        self.help_rows(&commands, column, stacked, &mut lines);
        lines.push(Line::default());
        lines.push(Line::styled("Attachments", heading));
        self.help_rows(&attach, column, stacked, &mut lines);
        if !prompts.is_empty() {
            lines.push(Line::default());
            lines.push(Line::styled("MCP prompts", heading));
            self.help_rows(&prompts, column, stacked, &mut lines);
        }
        lines
    }

    /// One entry per row, key column `column` wide, or key and description stacked.
    fn help_rows(
        &self,
        entries: &[(String, String)],
        column: usize,
        stacked: bool,
        lines: &mut Vec<Line<'static>>,
    ) {
        let key_style = self.theme.style(Role::Heading);
        let text_style = self.theme.style(Role::Text);
        for (k, what) in entries {
            // A binding wider than the column (several chords) gets a line of its own
            // rather than being cut: every key stays readable.
            if stacked || str_width(k) > column {
                lines.push(Line::styled(k.clone(), key_style));
                lines.push(Line::styled(format!("  {what}"), text_style));
                continue;
            }
            let pad = column + 2 - str_width(k);
            lines.push(Line::from(vec![
                Span::styled(k.clone(), key_style),
                Span::raw(" ".repeat(pad)),
                Span::styled(what.clone(), text_style),
            ]));
        }
    }

    /// Draws the overlay centred on `screen`.
    pub(in crate::tui) fn render_help(&self, screen: Rect, buf: &mut Buffer) {
        let lines = self.help_lines(screen.width);
        let widest = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
        let rows = lines.len() as u16;
        let two_columns = rows + 2 > screen.height && widest * 2 + 7 <= screen.width;
        let (cols, per_col) = if two_columns {
            (2, rows.div_ceil(2))
        } else {
            (1, rows)
        };
        let w = (widest * cols + 3 * cols + 1).min(screen.width);
        let h = (per_col + 2).min(screen.height);
        let area = Rect::new(
            screen.x + (screen.width - w) / 2,
            screen.y + (screen.height - h) / 2,
            w,
            h,
        );
        Clear.render(area, buf);
        let scrolls = per_col + 2 > screen.height;
        let title = if scrolls {
            " Help · ↑↓ PgUp PgDn scroll · other keys close "
        } else {
            " Help · any key closes "
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(self.theme.style(Role::BorderFocused))
            .title(truncate(title, usize::from(w.saturating_sub(2))));
        let inner = block.inner(area);
        block.render(area, buf);
        let columns = Layout::horizontal(vec![Constraint::Ratio(1, u32::from(cols)); cols.into()])
            .spacing(1)
            .split(inner);
        let max_scroll = usize::from(per_col).saturating_sub(usize::from(inner.height));
        let scroll = self.help.scroll.min(max_scroll);
        for (i, col) in columns.iter().enumerate() {
            let start = i * usize::from(per_col) + scroll;
            let end = (i + 1) * usize::from(per_col);
            let chunk: Vec<Line> = lines.iter().take(end).skip(start).cloned().collect();
            let inset = Rect::new(col.x + 1, col.y, col.width.saturating_sub(1), col.height);
            Paragraph::new(chunk).render(inset, buf);
        }
    }
}
