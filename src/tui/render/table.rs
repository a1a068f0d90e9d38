//! Markdown tables laid out with box-drawing borders, columns aligned as the table says.
//!
//! Cells are collected as plain text (inline styling inside cells is dropped: a table is
//! read by columns, and mixed styles would cost alignment). At the end the columns get their
//! natural widths; when the table is wider than the space, the widest column is narrowed one
//! cell at a time (never below 1) and overlong cells end in `…`.

use pulldown_cmark::Alignment;
use ratatui::style::Style;
use ratatui::text::Span;

use crate::tui::render::wrap::{str_width, truncate};

/// A table being collected from parser events. The first row is the header.
pub struct TableBuf {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<String>>,
}

impl TableBuf {
    pub fn new(aligns: Vec<Alignment>) -> Self {
        TableBuf {
            aligns,
            rows: Vec::new(),
        }
    }

    pub fn start_row(&mut self) {
        self.rows.push(Vec::new());
    }

    pub fn start_cell(&mut self) {
        if let Some(row) = self.rows.last_mut() {
            row.push(String::new());
        }
    }

    pub fn push_text(&mut self, text: &str) {
        if let Some(cell) = self.rows.last_mut().and_then(|r| r.last_mut()) {
            cell.push_str(text);
        }
    }

    /// The table as lines of at most `width` cells (when at all possible).
    pub fn layout(
        &self,
        width: usize,
        border: Style,
        header: Style,
        body: Style,
    ) -> Vec<Vec<Span<'static>>> {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return Vec::new();
        }
        let widths = self.column_widths(cols, width);
        let rule = |l: &str, m: &str, r: &str| {
            let inner: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
            vec![Span::styled(format!("{l}{}{r}", inner.join(m)), border)]
        };
        let mut out = vec![rule("┌", "┬", "┐")];
        for (i, row) in self.rows.iter().enumerate() {
            let style = if i == 0 { header } else { body };
            let mut spans = vec![Span::styled("│", border)];
            for (c, &w) in widths.iter().enumerate() {
                let text = truncate(row.get(c).map_or("", |s| s.trim()), w);
                let align = self.aligns.get(c).copied().unwrap_or(Alignment::None);
                spans.push(Span::styled(format!(" {} ", pad(&text, w, align)), style));
                spans.push(Span::styled("│", border));
            }
            out.push(spans);
            if i == 0 {
                out.push(rule("├", "┼", "┤"));
            }
        }
        out.push(rule("└", "┴", "┘"));
        out
    }

    /// Natural widths, narrowed widest-first until the table fits `width`.
    fn column_widths(&self, cols: usize, width: usize) -> Vec<usize> {
        let mut widths = vec![1; cols];
        for row in &self.rows {
            for (c, cell) in row.iter().enumerate() {
                widths[c] = widths[c].max(str_width(cell.trim()));
            }
        }
        // Each column costs its width plus " " on both sides and a border; plus one border.
        let overhead = 3 * cols + 1;
        while widths.iter().sum::<usize>() + overhead > width {
            let Some((i, &w)) = widths.iter().enumerate().max_by_key(|&(_, w)| *w) else {
                break;
            };
            if w <= 1 {
                break;
            }
            widths[i] -= 1;
        }
        widths
    }
}

fn pad(text: &str, width: usize, align: Alignment) -> String {
    let room = width.saturating_sub(str_width(text));
    let (left, right) = match align {
        Alignment::Right => (room, 0),
        Alignment::Center => (room / 2, room - room / 2),
        Alignment::Left | Alignment::None => (0, room),
    };
    format!("{}{text}{}", " ".repeat(left), " ".repeat(right))
}
