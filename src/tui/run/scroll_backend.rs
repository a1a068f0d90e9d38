//! The terminal backend the TUI draws through: crossterm's, plus scrolling.
//!
//! ratatui diffs each frame against the last and writes the cells that differ. While an
//! answer streams and the view follows it, the conversation moves up a line or two per
//! frame, so nearly every row of it differs and the diff rewrites the whole pane (about
//! 10 KB a frame at 160x50). A terminal can move rows itself: [`ScrollingBackend`] keeps
//! its own copy of what the screen shows, and when the new frame's rows in the *scroll
//! region* (the conversation's rows, [`ScrollingBackend::set_region`]) are the old rows
//! moved up or down, it first asks the terminal to scroll them (`CSI top;bottom r`, then
//! `CSI n S` or `CSI n T`, then `CSI r` back to the whole screen), shifts its copy the
//! same way, and then writes only the cells that still differ: the new rows, and whatever
//! shares those rows outside the conversation (the sidebar).
//!
//! Correctness never depends on the guess: after the scroll the diff is taken against
//! exactly what the terminal then shows, so a wrong or missing region only costs bytes.
//! A scroll is used only when it writes fewer cells than not scrolling.

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};

/// The farthest shift looked for, in rows: a frame at 60 per second moves a line or two,
/// a page key a screenful (redrawn whole; scrolling saves little there).
const MAX_SHIFT: u16 = 24;

/// Bytes the three scroll sequences cost, in cells (about one cell a byte or two): a
/// scroll must save more than this.
const SCROLL_COST: usize = 8;

/// crossterm's backend with scroll-region moves. See the module docs.
pub struct ScrollingBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend drew it.
    screen: Buffer,
    /// The next frame, built from the screen and ratatui's changes.
    next: Buffer,
    /// The rectangle whose rows may move together, for the next frames.
    region: Option<Rect>,
}

impl<W: Write> ScrollingBackend<W> {
    /// A backend writing to `writer`, on a screen taken to be blank (ratatui's own
    /// assumption for a new terminal; clear it first).
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
        }
    }

    /// The area whose rows move together (the conversation pane); `None` for no scrolling.
    pub fn set_region(&mut self, region: Option<Rect>) {
        self.region = region;
    }

    /// The screen is blank now, at `size`.
    fn blank(&mut self, size: Size) {
        let area = Rect::new(0, 0, size.width, size.height);
        self.screen = Buffer::empty(area);
        self.next = Buffer::empty(area);
    }

    /// Scrolls the terminal's rows `top..bottom` by `shift` (up when positive) and the
    /// copy of the screen with them.
    fn scroll(&mut self, top: u16, bottom: u16, shift: i32) -> io::Result<()> {
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
        shift_rows(&mut self.screen, top, bottom, shift);
        Ok(())
    }
}

/// Moves rows `top..bottom` of `buf` up by `shift` (down when negative); rows moved in
/// are blank, as the terminal makes them.
fn shift_rows(buf: &mut Buffer, top: u16, bottom: u16, shift: i32) {
    let width = usize::from(buf.area.width);
    let (top, bottom) = (usize::from(top), usize::from(bottom));
    let rows = &mut buf.content[top * width..bottom * width];
    let n = shift.unsigned_abs() as usize * width;
    if n >= rows.len() {
        rows.fill(Cell::EMPTY);
    } else if shift > 0 {
        rows.rotate_left(n);
        let len = rows.len();
        rows[len - n..].fill(Cell::EMPTY);
    } else {
        rows.rotate_right(n);
        rows[..n].fill(Cell::EMPTY);
    }
}

/// Row `y` of `buf`, columns `x0..x1`.
fn row(buf: &Buffer, y: u16, x0: u16, x1: u16) -> &[Cell] {
    let start = buf.index_of(x0, y);
    &buf.content[start..start + usize::from(x1 - x0)]
}

/// Cells of `next`'s rows `top..bottom` (full width) that differ from `old`'s rows moved
/// by `shift` (blank where none moves in).
fn cost(old: &Buffer, next: &Buffer, top: u16, bottom: u16, shift: i32) -> usize {
    let width = old.area.width;
    let mut differ = 0;
    for y in top..bottom {
        let from = i32::from(y) + shift;
        let new = row(next, y, 0, width);
        if from < i32::from(top) || from >= i32::from(bottom) {
            differ += new.iter().filter(|c| **c != Cell::EMPTY).count();
        } else {
            let was = row(old, from as u16, 0, width);
            differ += new.iter().zip(was).filter(|(a, b)| a != b).count();
        }
    }
    differ
}

/// The shift of `region`'s rows from `old` to `next` that writes fewest cells, if any
/// beats not scrolling. Candidates are the shifts under which most of the region's rows
/// (its columns only: the rest of the row is not the conversation) reappear.
fn best_shift(old: &Buffer, next: &Buffer, region: Rect) -> Option<i32> {
    let (top, bottom) = (region.y, region.y + region.height);
    let (x0, x1) = (region.x, region.x + region.width);
    let same = |y: u16, from: u16| row(next, y, x0, x1) == row(old, from, x0, x1);
    let matching = |shift: i32| {
        (top..bottom)
            .filter(|&y| {
                let from = i32::from(y) + shift;
                (i32::from(top)..i32::from(bottom)).contains(&from) && same(y, from as u16)
            })
            .count()
    };
    let unmoved = matching(0);
    let limit = i32::from(MAX_SHIFT.min(region.height.saturating_sub(1)));
    let (shift, found) = (1..=limit)
        .flat_map(|n| [n, -n])
        .map(|shift| (shift, matching(shift)))
        .max_by_key(|&(shift, found)| (found, -shift.abs()))?;
    if found <= unmoved {
        return None;
    }
    let moved = cost(old, next, top, bottom, shift) + SCROLL_COST;
    (moved < cost(old, next, top, bottom, 0)).then_some(shift)
}

impl<W: Write> Write for ScrollingBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for ScrollingBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.next.clone_from(&self.screen);
        for (x, y, cell) in content {
            if let Some(c) = self.next.cell_mut((x, y)) {
                c.clone_from(cell);
            }
        }
        let region = self
            .region
            .map(|r| r.intersection(self.screen.area))
            .filter(|r| r.height > 1 && r.width > 0);
        if let Some(region) = region
            && let Some(shift) = best_shift(&self.screen, &self.next, region)
        {
            self.scroll(region.y, region.y + region.height, shift)?;
        }
        let updates = self.screen.diff(&self.next);
        self.inner.draw(updates.into_iter())?;
        std::mem::swap(&mut self.screen, &mut self.next);
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()?;
        let size = self.inner.size()?;
        self.blank(size);
        Ok(())
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)?;
        // Only a whole clear leaves a screen known without reading it back.
        if clear_type == ClearType::All {
            let size = self.inner.size()?;
            self.blank(size);
        }
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
#[path = "scroll_backend_tests.rs"]
mod tests;
