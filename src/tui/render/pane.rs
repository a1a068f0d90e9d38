//! The conversation pane: the list of cells, their rendered lines, and the scroll position.
//!
//! The model: cells render to lines for a width ([`crate::tui::render::cells`]). The pane keeps, per
//! cell, the last render with the (revision, width, options) it was made for, and the
//! offset of each cell's first line in the whole conversation. [`Conversation::prepare`]
//! brings those up to date (only cells whose key changed are rendered again; offsets are
//! recomputed from the first cell whose height changed) and [`Conversation::render`] draws
//! from them with `&self`, touching only the rows in view: it finds the first visible cell
//! by binary search over the offsets. So a frame costs the visible rows plus the cells that
//! changed, however long the conversation.
//!
//! A width change (resize, sidebar toggle) or option change (thinking or tools toggle)
//! makes every render *stale*, not gone: cells in view are laid out again at once, the
//! rest a budget per frame, newest first, using their stale heights as estimates
//! meanwhile; `prepare` says when more frames are needed. A cell never rendered (a session
//! loaded whole into a fresh pane) is laid out the same way, with a height estimated from
//! its size. So resizing or opening a 5,000-message session costs some frames of
//! background work, not a one-second freeze.
//!
//! Scrolling: the view *follows* the end unless the user scrolled up. While not following,
//! the top line stays put as output grows below it, and a "new output below" marker shows
//! until the user returns to the end (End, or scrolling down to it).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::tui::render::cells::{Cell, CellKind, RenderOptions};
use crate::tui::render::put::put_line;
use crate::tui::render::theme::{Role, Theme};

/// What a render depends on besides the cell itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    width: usize,
    options: RenderOptions,
}

/// How a cell's render stands against the cell and the current key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Fresh,
    /// Made for another width or options: its height is a fair estimate meanwhile.
    Stale,
    /// Missing, or the cell changed since.
    Dirty,
}

/// Source bytes of stale cells re-laid out per frame outside the view, and the time that
/// may take (whichever runs out first; at least one cell a frame). Highlighted code renders
/// at a fraction of prose's speed, so the time bound is what keeps a frame of background
/// work short on any content: a resize of a long session never freezes input.
const RELAYOUT_BUDGET: usize = 32 * 1024;
const RELAYOUT_TIME: std::time::Duration = std::time::Duration::from_millis(6);

/// The last render of a cell, with the key it was made for.
#[derive(Debug, Default)]
struct Rendered {
    revision: u64,
    width: usize,
    options: RenderOptions,
    /// False until the cell is first rendered; `estimate` stands in for its height.
    valid: bool,
    estimate: usize,
    /// The cell's own lines; the first `shared` of the cell's shared lines (a streaming
    /// answer's frozen blocks, kept by the cell) come after the first of them.
    lines: Vec<Line<'static>>,
    shared: usize,
}

impl Rendered {
    fn height(&self) -> usize {
        if self.valid {
            self.lines.len() + self.shared
        } else {
            self.estimate
        }
    }

    /// Line `i` of the render of `cell` (the cell it was made from, unchanged since).
    fn line<'a>(&'a self, cell: &'a Cell, i: usize) -> Option<&'a Line<'static>> {
        match i.checked_sub(1) {
            None => self.lines.first(),
            Some(j) if j < self.shared => cell.shared_lines().get(j),
            Some(_) => self.lines.get(i - self.shared),
        }
    }
}

/// A never-rendered cell's height at `width`: its label and separator, and its text as if
/// it filled every line (markdown adds lines, prose leaves them short; close enough until
/// it is laid out).
fn estimate_height(cell: &Cell, width: usize) -> usize {
    2 + cell.weight().div_ceil(width.max(1))
}

#[derive(Debug, Default)]
pub struct Conversation {
    cells: Vec<Cell>,
    rendered: Vec<Rendered>,
    /// `offsets[i]` is the first line of cell `i`; one extra entry holds the total.
    offsets: Vec<usize>,
    next_id: u64,
    /// First line in view when not following.
    top: usize,
    follow: bool,
    /// Output arrived below the view since the user scrolled up.
    unseen: bool,
    /// Rows of the last prepared viewport.
    height: usize,
    width: usize,
    /// The cell drawn highlighted (a user message picked for editing).
    highlight: Option<u64>,
}

/// Lines the mouse wheel scrolls per notch.
pub const WHEEL_LINES: usize = 3;

impl Conversation {
    pub fn new() -> Self {
        Conversation {
            follow: true,
            offsets: vec![0],
            ..Self::default()
        }
    }

    /// Appends a cell and returns its id.
    pub fn push(&mut self, kind: CellKind) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.cells.push(Cell::new(id, kind));
        self.rendered.push(Rendered::default());
        self.note_output();
        id
    }

    /// The cell with this id, marked changed.
    pub fn cell_mut(&mut self, id: u64) -> Option<&mut Cell> {
        // Ids grow with position, so the cell is found by binary search.
        let i = self.cells.binary_search_by_key(&id, |c| c.id).ok()?;
        // A change the user can see, or one above the view, is not new output below.
        if self.ends_below_view(i) {
            self.note_output();
        }
        let cell = &mut self.cells[i];
        cell.touch();
        Some(cell)
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The ids of the cells `wanted` picks (user messages, tool panels), oldest first.
    pub fn ids_where(&self, wanted: impl Fn(&CellKind) -> bool) -> Vec<u64> {
        self.cells
            .iter()
            .filter(|c| wanted(&c.kind))
            .map(|c| c.id)
            .collect()
    }

    pub fn clear(&mut self) {
        self.cells.clear();
        self.rendered.clear();
        self.offsets = vec![0];
        self.top = 0;
        self.follow = true;
        self.unseen = false;
        self.highlight = None;
    }

    /// Drops the cell with this id and every cell after it (editing an earlier message).
    pub fn truncate_from(&mut self, id: u64) {
        let Some(i) = self.cells.iter().position(|c| c.id == id) else {
            return;
        };
        self.cells.truncate(i);
        self.rendered.truncate(i);
        self.offsets.truncate(i + 1);
        self.highlight = None;
        self.follow = true;
        self.unseen = false;
    }

    /// Draws this cell highlighted (or none).
    pub fn set_highlight(&mut self, id: Option<u64>) {
        self.highlight = id;
    }

    /// Whether cell `index` reaches past the last row in view (as last laid out; a cell
    /// not laid out yet counts as below).
    fn ends_below_view(&self, index: usize) -> bool {
        match self.offsets.get(index + 1) {
            Some(&end) if self.offsets.len() == self.cells.len() + 1 => {
                end > self.top() + self.height
            }
            _ => true,
        }
    }

    fn note_output(&mut self) {
        if !self.follow {
            self.unseen = true;
        }
    }

    /// Brings the renders and offsets up to date for a viewport of `width` x `height`.
    /// Returns true when cells outside the view still await re-layout after a width or
    /// option change: call again on a later frame (see the module docs).
    pub fn prepare(
        &mut self,
        width: usize,
        height: usize,
        theme: &Theme,
        options: RenderOptions,
    ) -> bool {
        self.width = width;
        self.height = height;
        let key = Key { width, options };
        // New and changed cells: always now.
        let dirty: Vec<usize> = (0..self.cells.len())
            .filter(|&i| self.state(i, key) == Freshness::Dirty)
            .collect();
        for &i in &dirty {
            self.render_cell(i, theme, key);
        }
        let mut from = dirty.first().copied();
        if self.offsets.len() != self.cells.len() + 1 {
            from = Some(0);
        }
        self.update_offsets(from);
        // Cells in view: now, until the view holds no stale cell (their new heights can
        // bring others into view).
        for _ in 0..4 {
            let stale: Vec<usize> = self
                .visible_cells()
                .filter(|&i| self.state(i, key) != Freshness::Fresh)
                .collect();
            let Some(&first) = stale.first() else { break };
            for i in stale {
                self.render_cell(i, theme, key);
            }
            self.update_offsets(Some(first));
        }
        let more = self.relayout_some(theme, key);
        self.clamp_top();
        more
    }

    fn state(&self, i: usize, key: Key) -> Freshness {
        let (cell, r) = (&self.cells[i], &self.rendered[i]);
        if !r.valid {
            // Laid out like a stale render, with an estimated height meanwhile; a new cell
            // at the end is in view and so rendered at once.
            Freshness::Stale
        } else if r.revision != cell.revision {
            Freshness::Dirty
        } else if r.width != key.width
            || cell.options_key(r.options) != cell.options_key(key.options)
        {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }

    /// Renders cell `i` for `key`. Returns the change in its height.
    fn render_cell(&mut self, i: usize, theme: &Theme, key: Key) -> isize {
        let (cell, r) = (&mut self.cells[i], &mut self.rendered[i]);
        let old = r.height() as isize;
        let render = cell.render_shared(key.width, theme, key.options);
        (r.lines, r.shared) = (render.own, render.shared);
        r.revision = cell.revision;
        r.width = key.width;
        r.options = key.options;
        r.valid = true;
        r.height() as isize - old
    }

    /// Re-lays out stale cells outside the view, newest first, up to the frame's budget.
    /// A cell above the view moves the top line with its height change, so what the user
    /// reads stays put. Returns whether stale cells remain.
    fn relayout_some(&mut self, theme: &Theme, key: Key) -> bool {
        let mut budget = RELAYOUT_BUDGET;
        let start = std::time::Instant::now();
        let mut first = None;
        let top = self.top();
        for i in (0..self.cells.len()).rev() {
            if self.state(i, key) != Freshness::Stale {
                continue;
            }
            if budget == 0 || (first.is_some() && start.elapsed() >= RELAYOUT_TIME) {
                self.update_offsets(first);
                return true;
            }
            budget = budget.saturating_sub(self.cells[i].weight());
            let above_view = self.offsets[i + 1] <= top;
            let delta = self.render_cell(i, theme, key);
            if above_view && !self.follow {
                self.top = self.top.saturating_add_signed(delta);
            }
            first = Some(i);
        }
        self.update_offsets(first);
        false
    }

    /// Recomputes the offsets of cells `from..` (all of them when `from` is 0).
    fn update_offsets(&mut self, from: Option<usize>) {
        let Some(from) = from else { return };
        let from = from.min(self.offsets.len().saturating_sub(1));
        self.offsets.truncate(from + 1);
        let mut at = self.offsets[from];
        for (cell, r) in self.cells[from..].iter().zip(&mut self.rendered[from..]) {
            if !r.valid {
                r.estimate = estimate_height(cell, self.width);
            }
            at += r.height();
            self.offsets.push(at);
        }
    }

    /// Indices of the cells with a line in view, from the current offsets.
    fn visible_cells(&self) -> std::ops::Range<usize> {
        let top = self.top();
        let first = self
            .offsets
            .partition_point(|&o| o <= top)
            .saturating_sub(1);
        let last = self
            .offsets
            .partition_point(|&o| o < top + self.height.max(1));
        first..last.min(self.cells.len()).max(first)
    }

    /// Total rendered lines (as of the last `prepare`).
    pub fn total_lines(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    fn max_top(&self) -> usize {
        self.total_lines().saturating_sub(self.height)
    }

    fn clamp_top(&mut self) {
        if self.follow {
            self.top = self.max_top();
            self.unseen = false;
        } else if self.top >= self.max_top() {
            self.top = self.max_top();
            self.follow = true;
            self.unseen = false;
        }
    }

    /// The first line in view.
    pub fn top(&self) -> usize {
        if self.follow {
            self.max_top()
        } else {
            self.top
        }
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    pub fn has_unseen_output(&self) -> bool {
        self.unseen
    }

    pub fn scroll_up(&mut self, lines: usize) {
        let top = self.top();
        self.top = top.saturating_sub(lines);
        self.follow = self.top >= self.max_top();
    }

    pub fn scroll_down(&mut self, lines: usize) {
        self.top = self.top().saturating_add(lines);
        self.follow = false;
        self.clamp_top();
    }

    pub fn page_up(&mut self) {
        self.scroll_up(self.height.saturating_sub(2).max(1));
    }

    pub fn page_down(&mut self) {
        self.scroll_down(self.height.saturating_sub(2).max(1));
    }

    pub fn scroll_to_top(&mut self) {
        self.top = 0;
        self.follow = self.max_top() == 0;
    }

    /// Scrolls the cell with this id into view (as of the last `prepare`): its first line
    /// at the top when it is not wholly in view already.
    pub fn scroll_to_cell(&mut self, id: u64) {
        let Ok(i) = self.cells.binary_search_by_key(&id, |c| c.id) else {
            return;
        };
        let (Some(&start), Some(&end)) = (self.offsets.get(i), self.offsets.get(i + 1)) else {
            return;
        };
        let top = self.top();
        if start >= top && end <= top + self.height {
            return;
        }
        self.top = start.min(self.max_top());
        self.follow = self.top >= self.max_top();
    }

    pub fn scroll_to_bottom(&mut self) {
        self.follow = true;
        self.clamp_top();
    }

    /// Draws the lines in view. Call [`prepare`](Self::prepare) first with the area's size.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let top = self.top();
        // The marker takes the last row for itself, so it never hides a line of text.
        let marker = self.unseen && area.height > 0;
        let rows = usize::from(area.height) - usize::from(marker);
        // The cell holding line `top`: the last one whose first line is at or before it.
        let mut cell = self
            .offsets
            .partition_point(|&o| o <= top)
            .saturating_sub(1);
        let mut line = top.saturating_sub(self.offsets.get(cell).copied().unwrap_or(0));
        let mut row = 0;
        while row < rows && cell < self.rendered.len() {
            let rendered = &self.rendered[cell];
            let Some(text) = rendered.line(&self.cells[cell], line) else {
                cell += 1;
                line = 0;
                continue;
            };
            let y = area.y + row as u16;
            put_line(buf, area.x, y, text, area.width);
            if self.highlight.is_some() && self.highlight == self.cells.get(cell).map(|c| c.id) {
                let row = Rect::new(area.x, y, area.width, 1);
                buf.set_style(row, theme.style(Role::Selection));
            }
            row += 1;
            line += 1;
        }
        if marker {
            self.render_marker(area, buf, theme);
        }
    }

    fn render_marker(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        let text = " ↓ new output below · End jumps down ";
        let width = crate::tui::render::wrap::str_width(text) as u16;
        let x = area.x + area.width.saturating_sub(width) / 2;
        let y = area.y + area.height - 1;
        buf.set_line(area.x, y, &ratatui::text::Line::default(), area.width);
        let span = Span::styled(text, theme.style(Role::StatusBar));
        buf.set_span(x, y, &span, area.width.min(width));
    }
}

#[cfg(test)]
#[path = "pane_tests.rs"]
mod tests;
