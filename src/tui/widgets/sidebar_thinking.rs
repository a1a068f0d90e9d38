//! The sidebar's lines about thinking and effort: the choice in force under the model,
//! the note that a change rewrites the prompt cache (until the next request goes out),
//! and the thinking share of the last request's output and cost when the API reported
//! its thinking tokens (`output_tokens_details.thinking_tokens`; thinking is billed as
//! output, so its share is those tokens at the answering model's output price).

use ratatui::text::Line;

use crate::cost::answered::thinking_tokens;
use crate::cost::session::RequestRecord;
use crate::cost::{format_usd, group};
use crate::tui::app::App;
use crate::tui::render::theme::Role;

type Lines = Vec<Line<'static>>;

impl App {
    /// Under the model: thinking and effort when not the default, and the cache note.
    pub(in crate::tui) fn reasoning_lines(&self, lines: &mut Lines, width: usize) {
        let reasoning = &self.status.reasoning;
        if let Some(label) = reasoning.label() {
            lines.push(Line::styled(
                crate::tui::render::wrap::truncate(&label, width),
                self.theme.style(Role::Thinking),
            ));
        }
        if reasoning.changed {
            lines.push(self.note("↻ resets the prompt cache", width));
        }
    }

    /// "thinking  67 · $0.0010": the thinking tokens of the request and what they cost.
    pub(in crate::tui) fn thinking_row(
        &self,
        lines: &mut Lines,
        request: &RequestRecord,
        width: usize,
    ) {
        let Some(tokens) = request.usage.as_ref().and_then(thinking_tokens) else {
            return;
        };
        let price = self.cost.account.pricing().price(&request.model);
        let value = match price {
            Some(p) => format!(
                "{} · {}",
                group(tokens),
                format_usd(tokens as f64 * p.output / 1_000_000.0)
            ),
            None => group(tokens),
        };
        lines.push(self.row("thinking", value, Role::Thinking, width));
    }
}
