//! The cost and cache sidebar. For now a compact panel: model and tier, the last request's
//! tokens and cost, and the session's totals; the cost issue grows it into the full
//! sidebar (cache hit rate and savings, budgets, context and rate-limit gauges).
//!
//! Everything shown comes from the API's usage data (via [`super::app::Totals`]); a request
//! whose model has no known price shows "price unknown", never a guessed figure.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use chatterm::api::Usage;
use chatterm::cost::format_usd;
use chatterm::print::group;

use super::app::App;
use super::theme::Role;

impl App {
    pub(super) fn render_sidebar(&self, area: Rect, buf: &mut Buffer) {
        let block = Block::default()
            .borders(Borders::LEFT)
            .border_style(self.theme.style(Role::Border));
        let inner = block.inner(area);
        block.render(area, buf);
        let width = usize::from(inner.width.saturating_sub(1));
        Paragraph::new(self.sidebar_lines(width)).render(
            Rect {
                x: inner.x + 1,
                width: inner.width.saturating_sub(1),
                ..inner
            },
            buf,
        );
    }

    fn sidebar_lines(&self, width: usize) -> Vec<Line<'static>> {
        let heading = self.theme.style(Role::Heading).add_modifier(Modifier::BOLD);
        let mut lines = vec![Line::styled("Model", heading)];
        let model = chatterm::sanitize::sanitize_line(&self.status.model).into_owned();
        lines.push(Line::styled(
            super::wrap::truncate(&model, width),
            self.theme.style(Role::AssistantLabel),
        ));
        let tier = self
            .status
            .tier
            .map_or("custom model".to_owned(), |t| format!("{t} tier"));
        lines.push(Line::styled(tier, self.theme.style(Role::Dim)));
        lines.push(Line::default());
        lines.push(Line::styled("Last request", heading));
        match &self.totals.last {
            Some(usage) => {
                self.usage_rows(&mut lines, usage, width);
                lines.push(self.row("cost", self.cost_text(self.totals.last_cost), width));
            }
            None => lines.push(Line::styled("none yet", self.theme.style(Role::Dim))),
        }
        lines.push(Line::default());
        lines.push(Line::styled("Session", heading));
        let t = &self.totals;
        lines.push(self.row("requests", t.requests.to_string(), width));
        self.usage_rows(&mut lines, &t.session, width);
        let mut cost = format_usd(t.session_cost);
        if t.cost_unknown {
            cost.push('+');
        }
        lines.push(self.row("cost", cost, width));
        lines
    }

    fn usage_rows(&self, lines: &mut Vec<Line<'static>>, usage: &Usage, width: usize) {
        lines.push(self.row("input", group(usage.input_tokens), width));
        lines.push(self.row("cache read", group(usage.cache_read_input_tokens), width));
        lines.push(self.row(
            "cache write",
            group(usage.cache_creation_input_tokens),
            width,
        ));
        lines.push(self.row("output", group(usage.output_tokens), width));
    }

    fn cost_text(&self, cost: Option<f64>) -> String {
        cost.map_or("price unknown".into(), format_usd)
    }

    /// A label on the left and its value right-aligned.
    fn row(&self, label: &str, value: String, width: usize) -> Line<'static> {
        let pad = width.saturating_sub(label.len() + value.len()).max(1);
        Line::from(vec![
            Span::styled(label.to_owned(), self.theme.style(Role::Dim)),
            Span::raw(" ".repeat(pad)),
            Span::styled(value, self.theme.style(Role::Cost)),
        ])
    }
}
