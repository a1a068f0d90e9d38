//! Attachment chips above the input: `▣ screenshot.png · 412 KB · ≈ 1,600 tokens`, one
//! per pending attachment, and the one-line offer to attach a pasted path.
//!
//! The model: [`chip_places`] is a pure function from the chips' labels and the width to
//! where each chip goes (row and columns), used both to draw them ([`render_chips`]) and to
//! find the chip under a mouse click ([`chip_at`]), so a click always removes the chip that
//! is drawn where it landed. Chips flow left to right and wrap; rows past [`MAX_CHIP_ROWS`]
//! are summed up in a last `+N more` chip. Labels are built from file names and are
//! sanitised before they get here (`app/attach.rs`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{str_width, truncate};

/// Rows of chips shown at most; the rest are counted.
pub const MAX_CHIP_ROWS: u16 = 3;
/// Columns between two chips on a row.
const GAP: u16 = 2;

/// Where one chip is drawn, relative to the chips' area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipPlace {
    /// Index into the labels; `None` for the `+N more` chip.
    pub index: Option<usize>,
    pub row: u16,
    pub x: u16,
    pub width: u16,
}

/// Where each chip goes at `width` columns (see the module docs).
pub fn chip_places(labels: &[String], width: u16) -> Vec<ChipPlace> {
    let mut places = Vec::new();
    if width == 0 {
        return places;
    }
    let (mut row, mut x) = (0u16, 0u16);
    for (index, label) in labels.iter().enumerate() {
        let w = (str_width(label) as u16).min(width);
        if x > 0 && x + w > width {
            row += 1;
            x = 0;
        }
        if row >= MAX_CHIP_ROWS {
            break;
        }
        places.push(ChipPlace {
            index: Some(index),
            row,
            x,
            width: w,
        });
        x += w + GAP;
    }
    let hidden = labels.len() - places.len();
    if hidden > 0 {
        // The `+N more` chip replaces as many shown ones on the last row as it needs.
        let more = |n: usize| format!("+{n} more");
        while let Some(last) = places.last() {
            let n = labels.len() - places.len() + 1;
            if last.row + 1 < MAX_CHIP_ROWS
                || last.x + last.width + GAP + str_width(&more(n)) as u16 <= width
            {
                break;
            }
            places.pop();
        }
        let n = labels.len() - places.len();
        let (row, x) = places
            .last()
            .map_or((0, 0), |p| (p.row, p.x + p.width + GAP));
        places.push(ChipPlace {
            index: None,
            row,
            x,
            width: (str_width(&more(n)) as u16).min(width.saturating_sub(x)),
        });
    }
    places
}

/// Rows the chips need at `width` (0 without chips).
pub fn chip_rows(labels: &[String], width: u16) -> u16 {
    chip_places(labels, width).last().map_or(0, |p| p.row + 1)
}

/// The chip drawn at (`col`, `row`) of the chips' area, if any.
pub fn chip_at(labels: &[String], width: u16, col: u16, row: u16) -> Option<usize> {
    chip_places(labels, width)
        .into_iter()
        .find(|p| p.row == row && (p.x..p.x + p.width).contains(&col))
        .and_then(|p| p.index)
}

/// Draws the chips into `area`.
pub fn render_chips(labels: &[String], area: Rect, buf: &mut Buffer, theme: &Theme) {
    let style = theme.style(Role::Notice);
    let places = chip_places(labels, area.width);
    let hidden = labels.len() - places.iter().filter(|p| p.index.is_some()).count();
    for place in places {
        if place.row >= area.height {
            break;
        }
        let text = match place.index {
            Some(i) => truncate(&labels[i], usize::from(place.width)),
            None => truncate(&format!("+{hidden} more"), usize::from(place.width)),
        };
        let span = Span::styled(text, style);
        buf.set_span(area.x + place.x, area.y + place.row, &span, place.width);
    }
}

/// Draws one line of text (the paste offer, an attachment error) into the first row of
/// `area` in `role`'s style, cut to fit.
pub fn render_note(text: &str, role: Role, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let text = truncate(text, usize::from(area.width));
    buf.set_span(
        area.x,
        area.y,
        &Span::styled(text, theme.style(role)),
        area.width,
    );
}

impl crate::tui::app::App {
    /// Rows above the input for the chips and the paste offer, at `width` columns.
    pub(in crate::tui) fn chips_height(&self, width: u16) -> u16 {
        let offer = u16::from(self.offer_line().is_some());
        chip_rows(&self.chip_labels(), width) + offer
    }

    /// The chips, then the paste offer under them.
    pub(in crate::tui) fn render_chips(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 {
            return;
        }
        let labels = self.chip_labels();
        render_chips(&labels, area, buf, &self.theme);
        if let Some(line) = self.offer_line() {
            let rows = chip_rows(&labels, area.width).min(area.height - 1);
            let row = Rect::new(area.x, area.y + rows, area.width, 1);
            render_note(&line, Role::Warning, row, buf, &self.theme);
        }
    }

    /// The mention popup, over the conversation just above the chips and the input.
    pub(in crate::tui) fn render_mentions(
        &self,
        areas: &crate::tui::widgets::view::Areas,
        buf: &mut Buffer,
    ) {
        let popup = &self.attach.popup;
        if !popup.is_open() {
            return;
        }
        let h = popup.height().min(areas.conversation.height);
        let w = areas.input.width.min(popup.width());
        let y = areas.chips.y.saturating_sub(h);
        popup.render(Rect::new(areas.input.x, y, w, h), buf, &self.theme);
    }
}

#[cfg(test)]
#[path = "chips_tests.rs"]
mod tests;
