//! How a frame reaches the terminal: drawn into a buffer, compared with what the screen
//! shows, and only the difference written, with rows that moved scrolled by the terminal.
//!
//! ratatui's own `Terminal` diffs each frame against the last and writes the cells that
//! differ. While an answer streams and the view follows it, the conversation moves up a
//! line or two per frame, so nearly every row of it differs and that diff rewrites the
//! whole pane (about 10 KB a frame at 160x50). A terminal can move rows itself:
//! [`ScrollingBackend`] keeps its own copy of what the screen shows, and when the new
//! frame's rows in the *scroll region* (the conversation's rows,
//! [`ScrollingBackend::set_region`]) are the old rows moved up or down, it first has the
//! terminal scroll them (`CSI top;bottom r`, then `CSI n S` or `CSI n T`, then `CSI r` back
//! to the whole screen), and then writes only the cells that still differ from the rows
//! as the terminal moved them: the new rows, and whatever shares those rows outside the
//! conversation (the sidebar). Its copy is not moved (a copy of most of the screen each
//! frame); the diff reads the copy's rows through the move ([`Moved`]).
//!
//! Moved rows are found by hashing each row of the region (its columns only) once per
//! frame; the previous frame's hashes are the screen's. The terminal moves whole rows
//! (left and right margins are not widely supported), so the rows' other cells (the
//! sidebar) are written again after a scroll. Correctness never depends on the
//! guess: after the scroll the diff is taken against exactly what the terminal then shows,
//! so a wrong or missing region only costs bytes. The cursor is shown, moved or hidden
//! only when that changes, and nothing is flushed before the frame's end (the writer is
//! buffered: a frame is one write).

use std::io::{self, Write};

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::queue;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::buffer::{Buffer, Cell, CellDiffOption, CellWidth};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::Color;

/// The farthest shift looked for, in rows: a frame at 60 per second moves a line or two,
/// a page key a screenful (redrawn whole; scrolling saves little there).
const MAX_SHIFT: usize = 24;

/// Rows a scroll must save over not scrolling (its sequences cost about a row's bytes).
const MIN_GAIN: usize = 2;

/// The frame presenter. See the module docs.
pub struct ScrollingBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend drew it.
    screen: Buffer,
    /// The frame being drawn.
    next: Buffer,
    /// The rectangle whose rows may move together.
    region: Option<Rect>,
    /// Hashes of the screen's rows in `hashed` (the region they were taken for).
    hashes: Vec<u64>,
    hashed: Option<Rect>,
    /// Where the cursor is shown, `None` when hidden; unknown at first.
    cursor: Option<Option<Position>>,
}

impl<W: Write> ScrollingBackend<W> {
    /// A presenter writing to `writer`, on a screen taken to be blank (clear it first).
    pub fn new(writer: W) -> Self {
        let inner = CrosstermBackend::new(writer);
        let area = inner
            .size()
            .map(|s| Rect::new(0, 0, s.width, s.height))
            .unwrap_or_default();
        ScrollingBackend {
            inner,
            screen: Buffer::empty(area),
            next: Buffer::empty(area),
            region: None,
            hashes: Vec::new(),
            hashed: None,
            cursor: None,
        }
    }

    /// The area whose rows move together (the conversation pane); `None` for no scrolling.
    pub fn set_region(&mut self, region: Option<Rect>) {
        self.region = region;
    }

    /// The terminal's size.
    pub fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    /// Clears the terminal; the copy of the screen is blank at the terminal's size.
    pub fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()?;
        let size = self.inner.size()?;
        self.blank(size);
        Ok(())
    }

    /// The screen is blank now, at `size`.
    fn blank(&mut self, size: Size) {
        let area = Rect::new(0, 0, size.width, size.height);
        self.screen = Buffer::empty(area);
        self.next = Buffer::empty(area);
        self.hashed = None;
    }

    /// Draws a frame: `render` draws the whole screen (of the area it is given) into a
    /// blank buffer and says where the cursor goes, if shown; then the difference is
    /// written (the caller flushes, once the frame's synchronized update ends). A resized
    /// terminal is cleared and drawn whole.
    pub fn draw_frame(
        &mut self,
        render: impl FnOnce(Rect, &mut Buffer) -> Option<Position>,
    ) -> io::Result<()> {
        let size = self.inner.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        if area != self.screen.area {
            self.clear()?;
        }
        self.next.reset();
        let cursor = render(area, &mut self.next);
        self.present(cursor)
    }

    /// Writes what differs between the screen and `next` (scrolling first when rows
    /// moved), then places the cursor; `next` becomes the screen.
    fn present(&mut self, cursor: Option<Position>) -> io::Result<()> {
        let region = self
            .region
            .map(|r| r.intersection(self.screen.area))
            .filter(|r| r.height > 1 && r.width > 0);
        let hashes = region
            .map(|r| row_hashes(&self.next, r))
            .unwrap_or_default();
        let mut moved = Moved::NONE;
        if let Some(region) = region
            && self.hashed == Some(region)
            && let Some(shift) = best_shift(&self.hashes, &hashes)
        {
            moved = self.scroll(region.y, region.y + region.height, shift)?;
        }
        (self.hashes, self.hashed) = (hashes, region);
        let updates = diff(&self.screen, &self.next, moved);
        self.inner.draw(updates.into_iter())?;
        std::mem::swap(&mut self.screen, &mut self.next);
        self.place_cursor(cursor)
    }

    fn place_cursor(&mut self, cursor: Option<Position>) -> io::Result<()> {
        let shown = self.cursor.flatten().is_some();
        if let Some(p) = cursor {
            // After the cells, which moved it: always placed again.
            queue!(self.inner, MoveTo(p.x, p.y))?;
            if !shown || self.cursor.is_none() {
                queue!(self.inner, Show)?;
            }
        } else if shown || self.cursor.is_none() {
            queue!(self.inner, Hide)?;
        }
        self.cursor = Some(cursor);
        Ok(())
    }

    /// Scrolls the terminal's rows `top..bottom` by `shift` (up when positive); the copy of
    /// the screen stays as it was, and the returned map says where its rows went.
    fn scroll(&mut self, top: u16, bottom: u16, shift: i32) -> io::Result<Moved> {
        let (n, dir) = if shift > 0 {
            (shift, 'S')
        } else {
            (-shift, 'T')
        };
        write!(
            self.inner,
            "\x1b[{};{}r\x1b[{n}{dir}\x1b[r",
            top + 1,
            bottom
        )?;
        Ok(Moved {
            top: usize::from(top),
            bottom: usize::from(bottom),
            shift: shift as isize,
        })
    }
}

/// How the terminal moved the screen's rows this frame: rows `top..bottom` by `shift` (up
/// when positive), the rows moved in blank. The copy of the screen is not moved with them
/// (that would be a copy of most of the screen a frame): the diff reads it through this.
#[derive(Debug, Clone, Copy)]
struct Moved {
    top: usize,
    bottom: usize,
    shift: isize,
}

impl Moved {
    const NONE: Moved = Moved {
        top: 0,
        bottom: 0,
        shift: 0,
    };

    /// The row of the copy that row `y` of the terminal shows now; `None` when blank.
    fn source(&self, y: usize) -> Option<usize> {
        if y < self.top || y >= self.bottom {
            return Some(y);
        }
        let from = y as isize + self.shift;
        (from >= self.top as isize && from < self.bottom as isize).then_some(from as usize)
    }
}

/// The cells of `next` that differ from what the terminal shows: `screen`'s rows, moved
/// as `moved` says. Row by row, the way ratatui's own diff goes along a row: a wide
/// character's trailing cells are not written, and cells a wider character covered before
/// are written again.
fn diff<'a>(screen: &Buffer, next: &'a Buffer, moved: Moved) -> Vec<(u16, u16, &'a Cell)> {
    let width = usize::from(next.area.width);
    // What rows scrolled in are compared with (only a frame that scrolled has them).
    let blank = if moved.shift == 0 {
        Vec::new()
    } else {
        vec![Cell::EMPTY; width]
    };
    let mut updates = Vec::new();
    if width == 0 || screen.area != next.area {
        return updates;
    }
    for (y, row) in next.content.chunks_exact(width).enumerate() {
        let before = match moved.source(y) {
            Some(from) => &screen.content[from * width..(from + 1) * width],
            None => &blank[..],
        };
        let y = next.area.y + y as u16;
        let (mut invalidated, mut to_skip) = (0, 0);
        for (x, (new, old)) in row.iter().zip(before).enumerate() {
            let skip = new.diff_option == CellDiffOption::Skip;
            if !skip && to_skip == 0 && (invalidated > 0 || !same(new, old)) {
                updates.push((next.area.x + x as u16, y, new));
            }
            let new_width = cells_of(new);
            to_skip = new_width.saturating_sub(1);
            invalidated = new_width
                .max(cells_of(old))
                .max(invalidated)
                .saturating_sub(1);
        }
    }
    updates
}

/// Whether two cells show the same: `Cell`'s `==`, with the cheap parts first and a
/// one-byte symbol compared as a byte (most of a screen; `==` calls `memcmp` for each).
fn same(a: &Cell, b: &Cell) -> bool {
    if a.fg != b.fg || a.bg != b.bg || a.modifier != b.modifier {
        return false;
    }
    let (x, y) = (a.symbol().as_bytes(), b.symbol().as_bytes());
    let symbols = match (x, y) {
        ([x], [y]) => x == y,
        _ => x == y,
    };
    symbols && a == b
}

/// Cells a cell's symbol takes: one for a single byte (ASCII), measured otherwise.
fn cells_of(cell: &Cell) -> usize {
    match cell.symbol().len() {
        1 => 1,
        _ => usize::from(cell.cell_width()),
    }
}

/// FxHash's mix: rows are compared by these hashes, never trusted for output.
fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// A colour as a word for [`mix`] (its `Debug` form would do, slowly).
fn color_word(color: Color) -> u64 {
    match color {
        Color::Rgb(r, g, b) => 0x100_0000 | u64::from(r) << 16 | u64::from(g) << 8 | u64::from(b),
        Color::Indexed(i) => 0x200_0000 | u64::from(i),
        named => 0x300_0000 | u64::from(named_index(named)),
    }
}

fn named_index(color: Color) -> u8 {
    match color {
        Color::Reset => 0,
        Color::Black => 1,
        Color::Red => 2,
        Color::Green => 3,
        Color::Yellow => 4,
        Color::Blue => 5,
        Color::Magenta => 6,
        Color::Cyan => 7,
        Color::Gray => 8,
        Color::DarkGray => 9,
        Color::LightRed => 10,
        Color::LightGreen => 11,
        Color::LightYellow => 12,
        Color::LightBlue => 13,
        Color::LightMagenta => 14,
        Color::LightCyan => 15,
        Color::White => 16,
        Color::Rgb(..) | Color::Indexed(_) => 17,
    }
}

/// The hash of each row of `region` in `buf`, its columns only: symbols, colours and
/// modifiers, the parts of a cell a screen shows.
fn row_hashes(buf: &Buffer, region: Rect) -> Vec<u64> {
    (region.y..region.y + region.height)
        .map(|y| {
            let start = buf.index_of(region.x, y);
            let cells = &buf.content[start..start + usize::from(region.width)];
            cells.iter().fold(0, |h, cell| {
                let symbol = cell.symbol().as_bytes();
                let word = match symbol {
                    [byte] => u64::from(*byte),
                    _ => {
                        let mut word = [0u8; 8];
                        let n = symbol.len().min(8);
                        word[..n].copy_from_slice(&symbol[..n]);
                        u64::from_le_bytes(word) ^ (symbol.len() as u64) << 59
                    }
                };
                let style = color_word(cell.fg) << 26 ^ color_word(cell.bg);
                mix(
                    h,
                    word ^ (style ^ u64::from(cell.modifier.bits()) << 52).rotate_left(8),
                )
            })
        })
        .collect()
}

/// The shift of the region's rows (up when positive) under which most of the new rows
/// are old rows, when it beats not moving by [`MIN_GAIN`] rows.
fn best_shift(old: &[u64], new: &[u64]) -> Option<i32> {
    let rows = old.len().min(new.len());
    let matching = |shift: isize| {
        (0..rows)
            .filter(|&y| {
                let from = y as isize + shift;
                from >= 0 && (from as usize) < rows && new[y] == old[from as usize]
            })
            .count()
    };
    let unmoved = matching(0);
    let limit = MAX_SHIFT.min(rows.saturating_sub(1)) as isize;
    let (shift, found) = (1..=limit)
        .flat_map(|n| [n, -n])
        .map(|shift| (shift, matching(shift)))
        .max_by_key(|&(shift, found)| (found, -shift.abs()))?;
    (found >= unmoved + MIN_GAIN).then_some(shift as i32)
}

impl<W: Write> Write for ScrollingBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

#[cfg(test)]
#[path = "scroll_backend_tests.rs"]
mod tests;
