//! The cost and cache sidebar: model and tier, the last request, the session, today's
//! spend against the budget, the MCP servers, the context window, the cache countdown and
//! the rate limits.
//!
//! The model: the sidebar is a list of [`Section`]s, each built as lines by
//! `sidebar_sections.rs` from the session account (`app/cost.rs`) and the status. Sections
//! appear in [`DISPLAY_ORDER`]; when the sidebar is too short for all of them the least
//! important go first ([`PRIORITY`] is the order in which they are kept), so a short
//! terminal still shows the model, the last request and today's spend. Lines are cut to
//! the width, values before labels. Sections with nothing to say yet (no context figure,
//! no rate-limit headers, nothing cached before the first request) are left out.
//!
//! Everything shown comes from the API's usage data and response headers; a request whose
//! model has no known price shows "price unknown", never a guessed figure. Colours are theme
//! roles: `cost` for money, `gauge` / `gauge_track` for bars, `warning` from 80% of the
//! budget or context window, `error` at 100% of the budget (95% of the window).
//!
//! Time: the cache countdown is drawn from the clock of the frame (`CostState::now`, set by
//! `App::tick`), at whole-second resolution; `App::cost_tick` schedules the frames.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::render::theme::Role;
use crate::tui::render::wrap::{str_width, truncate};

/// A part of the sidebar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::tui) enum Section {
    Model,
    Last,
    Session,
    Today,
    /// The MCP servers, when any are configured (`sidebar_mcp.rs`).
    Mcp,
    Context,
    Cache,
    Limits,
}

/// Top to bottom.
const DISPLAY_ORDER: [Section; 8] = [
    Section::Model,
    Section::Last,
    Section::Session,
    Section::Today,
    Section::Mcp,
    Section::Context,
    Section::Cache,
    Section::Limits,
];

/// Most important first: a short sidebar keeps the longest prefix of this list that fits.
const PRIORITY: [Section; 8] = [
    Section::Model,
    Section::Last,
    Section::Today,
    // What runs on the person's machine matters more than the session's figures.
    Section::Mcp,
    Section::Session,
    Section::Context,
    Section::Cache,
    Section::Limits,
];

/// Filled and empty gauge cells.
const FULL: &str = "█";
const EMPTY: &str = "░";

impl App {
    pub(in crate::tui) fn render_sidebar(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(self.theme.style(Role::Border));
        let inner = block.inner(area);
        block.render(area, buf);
        let text = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        };
        let lines = self.sidebar_lines(usize::from(text.width), usize::from(text.height));
        Paragraph::new(lines).render(text, buf);
    }

    /// The sections the sidebar showed in the last frame (none when it was hidden).
    pub(in crate::tui) fn sidebar_sections(&self) -> Vec<Section> {
        if self.screen.sidebar_area.is_none() || !self.screen.sidebar {
            return Vec::new();
        }
        self.screen.sidebar_shown.borrow().clone()
    }

    /// The sidebar's lines; which sections they are is kept for [`Self::sidebar_sections`]
    /// (the countdowns ask after every event, and laying the sidebar out is not free).
    fn sidebar_lines(&self, width: usize, height: usize) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        let mut shown = self.screen.sidebar_shown.borrow_mut();
        shown.clear();
        for (i, (name, section)) in self.sidebar_plan(width, height).into_iter().enumerate() {
            if i > 0 {
                lines.push(Line::default());
            }
            shown.push(name);
            lines.extend(section);
        }
        lines
    }

    /// The sections that fit in `height` rows (a blank row between two), in display order.
    /// When not even the first fits, it is shown cut.
    fn sidebar_plan(&self, width: usize, height: usize) -> Vec<(Section, Vec<Line<'static>>)> {
        let mut built: Vec<(Section, Vec<Line<'static>>)> = DISPLAY_ORDER
            .iter()
            .filter_map(|&s| Some((s, self.section_lines(s, width)?)))
            .collect();
        let mut keep = Vec::new();
        let mut used = 0;
        for section in PRIORITY {
            let Some((_, lines)) = built.iter().find(|(s, _)| *s == section) else {
                continue;
            };
            let cost = lines.len() + usize::from(!keep.is_empty());
            if used + cost > height {
                break;
            }
            used += cost;
            keep.push(section);
        }
        if keep.is_empty() {
            built.truncate(1);
            return built;
        }
        built.retain(|(s, _)| keep.contains(s));
        built
    }

    // --- Line builders shared by the sections -------------------------------------------

    /// A bold heading, with an optional value right-aligned on the same row.
    pub(in crate::tui) fn heading(
        &self,
        label: &str,
        value: Option<(String, Role)>,
        width: usize,
    ) -> Line<'static> {
        let style = self.theme.style(Role::Heading).add_modifier(Modifier::BOLD);
        match value {
            Some((value, role)) => self.pair(label, style, value, role, width),
            None => Line::styled(truncate(label, width), style),
        }
    }

    /// A dim label on the left and its value right-aligned.
    pub(in crate::tui) fn row(
        &self,
        label: &str,
        value: String,
        role: Role,
        width: usize,
    ) -> Line<'static> {
        self.pair(label, self.theme.style(Role::Dim), value, role, width)
    }

    /// One dim line of its own.
    pub(in crate::tui) fn note(&self, text: &str, width: usize) -> Line<'static> {
        Line::styled(truncate(text, width), self.theme.style(Role::Dim))
    }

    /// Label and value on one row. The value wins when both do not fit: the label is cut
    /// first, then the value.
    fn pair(
        &self,
        label: &str,
        label_style: ratatui::style::Style,
        value: String,
        role: Role,
        width: usize,
    ) -> Line<'static> {
        let value = truncate(&value, width);
        let room = width.saturating_sub(str_width(&value) + 1);
        let label = if room == 0 {
            String::new()
        } else {
            truncate(label, room)
        };
        let pad = width.saturating_sub(str_width(&label) + str_width(&value));
        Line::from(vec![
            Span::styled(label, label_style),
            Span::raw(" ".repeat(pad)),
            Span::styled(value, self.theme.style(role)),
        ])
    }

    /// A bar filled to `fraction` (0 to 1) in `fill`'s style, then `label` ("76%").
    pub(in crate::tui) fn gauge(
        &self,
        fraction: f64,
        fill: Role,
        label: &str,
        width: usize,
    ) -> Line<'static> {
        let label = truncate(label, width);
        let bar = width.saturating_sub(str_width(&label) + 1);
        let fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let filled = ((fraction * bar as f64).round() as usize).min(bar);
        Line::from(vec![
            Span::styled(FULL.repeat(filled), self.theme.style(fill)),
            Span::styled(
                EMPTY.repeat(bar - filled),
                self.theme.style(Role::GaugeTrack),
            ),
            Span::raw(if bar > 0 { " " } else { "" }),
            Span::styled(label, self.theme.style(fill)),
        ])
    }
}

/// Token counts in little room: "9,999", "24.1k", "240k", "2.396M", "12.4M", "1M". Rounded
/// down, so a count just under a limit never reads as the limit; trailing zeros dropped.
pub(in crate::tui) fn compact(n: u64) -> String {
    let down = |n: u64, unit: u64, decimals: u32| {
        let scale = 10u64.pow(decimals);
        let v = n / (unit / scale);
        let (whole, frac) = (v / scale, v % scale);
        match decimals {
            0 => format!("{whole}"),
            d => {
                let frac = format!("{frac:0w$}", w = d as usize);
                match frac.trim_end_matches('0') {
                    "" => format!("{whole}"),
                    kept => format!("{whole}.{kept}"),
                }
            }
        }
    };
    match n {
        0..=9_999 => crate::cost::group(n),
        10_000..=99_999 => format!("{}k", down(n, 1_000, 1)),
        100_000..=999_999 => format!("{}k", down(n, 1_000, 0)),
        1_000_000..=9_999_999 => format!("{}M", down(n, 1_000_000, 3)),
        _ => format!("{}M", down(n, 1_000_000, 1)),
    }
}

/// "42%", rounding down so 99.6% does not read as full.
pub(in crate::tui) fn percent(fraction: f64) -> String {
    format!("{}%", (fraction * 100.0).floor().clamp(0.0, 100.0) as u32)
}

#[cfg(test)]
#[path = "sidebar_tests.rs"]
mod tests;
