//! What an MCP call adds to its tool panel: the server beside the tool, the server's
//! progress notifications, the result's `structuredContent` as JSON and its images noted,
//! and the server going away while the call ran.
//!
//! The model: a [`ToolPanel`](super::tool_panel::ToolPanel) whose tool came from an MCP
//! server holds one [`McpCall`]. The model sees MCP tools as `mcp__{server}__{tool}`
//! (sanitised, so the name alone cannot always be split back); the panel starts with the
//! split that name allows and the app corrects it from the servers' tool lists
//! ([`McpCall::named`]) as soon as it knows them. Everything here is drawn from stored
//! state, like the rest of the panel: progress is what the last notification said, and the
//! structured result is a [`JsonView`] fed once, so the pane's cache keeps working.
//!
//! All server text (names, progress messages, structured values, MIME types) passes through
//! [`crate::sanitize`] on its way to a span.

use ratatui::text::{Line, Span};

use crate::tools::{ToolExtras, ToolProgress};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::truncate;
use crate::tui::widgets::json_view::{JsonView, Window, lines_count};
use crate::tui::widgets::tool_panel::ToolState;

/// The prefix the library gives the API names of MCP tools.
pub const PREFIX: &str = "mcp__";

/// Rows of structured content shown while the panel is collapsed.
pub const STRUCTURED_ROWS: usize = 8;

/// `40%`, `3 of 10 · 30%` when the total is not a percentage's base, or `3` without a
/// total: short, for the header.
pub fn amount(p: &ToolProgress) -> String {
    match p.total {
        Some(total) if total > 0.0 && (total - 100.0).abs() < f64::EPSILON => {
            format!("{}%", p.progress.clamp(0.0, 100.0).floor())
        }
        Some(total) if total > 0.0 => {
            let share = (p.progress / total * 100.0).clamp(0.0, 100.0).floor();
            format!("{} of {} · {share}%", number(p.progress), number(total))
        }
        _ => number(p.progress),
    }
}

/// A progress notification's message, sanitised, when there is one.
pub fn message(p: &ToolProgress) -> Option<String> {
    let m = p.message.as_deref()?.trim();
    (!m.is_empty()).then(|| crate::sanitize::sanitize_line(m).into_owned())
}

/// `3` for whole numbers, `2.5` otherwise.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n:.1}")
    }
}

/// Whether a call in `state` may still run: its server going away matters to it, and a
/// turn cut short leaves it interrupted (`ToolPanel::turn_ended`).
pub fn is_open(state: &ToolState) -> bool {
    matches!(
        state,
        ToolState::Streaming
            | ToolState::InputComplete
            | ToolState::Validating
            | ToolState::AwaitingApproval
            | ToolState::Answered(_)
            | ToolState::Running { .. }
    )
}

/// An image in an MCP result: its MIME type and decoded size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageNote {
    pub mime: String,
    pub bytes: usize,
}

/// The MCP side of one call's panel. See the module docs.
#[derive(Debug)]
pub struct McpCall {
    pub server: String,
    pub tool: String,
    progress: Option<ToolProgress>,
    structured: Option<JsonView>,
    images: Vec<ImageNote>,
    /// Why the server went away while the call ran, if it did.
    gone: Option<String>,
}

impl McpCall {
    /// The call of `tool` on `server`, as the servers' lists name them.
    pub fn named(server: &str, tool: &str) -> McpCall {
        McpCall {
            server: server.to_owned(),
            tool: tool.to_owned(),
            progress: None,
            structured: None,
            images: Vec::new(),
            gone: None,
        }
    }

    /// The best split of an API tool name: `mcp__fs__read_file` is `read_file` on `fs`.
    /// `None` for a name without the prefix (a built-in or command tool).
    pub fn from_api_name(name: &str) -> Option<McpCall> {
        let rest = name.strip_prefix(PREFIX)?;
        let (server, tool) = rest.split_once("__")?;
        (!server.is_empty() && !tool.is_empty()).then(|| McpCall::named(server, tool))
    }

    /// `fs · read_file`, sanitised.
    pub fn title(&self) -> String {
        format!(
            "{} · {}",
            crate::sanitize::sanitize_line(&self.server),
            crate::sanitize::sanitize_line(&self.tool)
        )
    }

    pub fn set_progress(&mut self, progress: ToolProgress) {
        self.progress = Some(progress);
    }

    /// The last progress, for the running header.
    pub fn progress(&self) -> Option<&ToolProgress> {
        self.progress.as_ref()
    }

    /// What the result carried besides its text: `structuredContent`, and images (noted
    /// by type and size: the terminal does not draw them).
    pub fn set_extras(&mut self, extras: &ToolExtras) {
        self.structured = extras.structured.as_ref().map(|value| {
            let mut view = JsonView::new();
            view.push(&value.to_string());
            view
        });
        self.images = (extras.images.iter())
            .map(|image| ImageNote {
                mime: image.media_type.clone(),
                // Base64: four characters for three bytes.
                bytes: image.data.len() / 4 * 3,
            })
            .collect();
    }

    /// The server went away (failed, exited, stopped) while the call was open.
    pub fn server_gone(&mut self, reason: &str) {
        self.gone = Some(reason.to_owned());
    }

    /// Why the server went away, if it did while the call was open.
    pub fn gone(&self) -> Option<&str> {
        self.gone.as_deref()
    }

    /// The header's status for this call, given the panel's own (`status`): the server
    /// gone while the call was open wins over what the engine last said (its error result
    /// only repeats it), and a running call adds how far the server says it got.
    pub fn status(&self, state: &ToolState, status: (String, Role)) -> (String, Role) {
        if self.went_away(state).is_some() {
            return ("✗ server went away".to_owned(), Role::Error);
        }
        match (state, &self.progress) {
            (ToolState::Running { .. }, Some(progress)) => {
                (format!("{} · {}", status.0, amount(progress)), status.1)
            }
            _ => status,
        }
    }

    /// Why the server went away, when that ended this call (open, or failed since).
    fn went_away(&self, state: &ToolState) -> Option<&str> {
        let affected = is_open(state) || matches!(state, ToolState::Failed { .. });
        self.gone.as_deref().filter(|_| affected)
    }

    /// Roughly what drawing the extra lines costs, in bytes.
    pub fn weight(&self) -> usize {
        self.structured.as_ref().map_or(0, |s| s.pretty().bytes())
    }

    /// The lines below the result: the progress message while running, why the server
    /// went away, images noted, then the structured content as JSON, its first
    /// [`STRUCTURED_ROWS`] rows unless expanded.
    pub fn lines(
        &mut self,
        state: &ToolState,
        width: usize,
        theme: &Theme,
        options: (bool, &str),
    ) -> Vec<Line<'static>> {
        let (expanded, hint) = options;
        let mut lines = Vec::new();
        let dim = theme.style(Role::Dim);
        let said = self.progress.as_ref().and_then(message);
        if let (ToolState::Running { .. }, Some(said)) = (state, said) {
            lines.extend(wrapped(
                &format!("↻ {said}"),
                theme.style(Role::Notice),
                width,
            ));
        }
        if let Some(reason) = self.went_away(state) {
            let text = format!("✗ the MCP server {} went away: {reason}", self.server);
            lines.extend(wrapped(&text, theme.style(Role::Error), width));
        }
        for image in &self.images {
            let mime = crate::sanitize::sanitize_line(&image.mime);
            let size = crate::tui::widgets::units::format_bytes(image.bytes);
            let text = format!("▣ image · {mime} · {size} (sent to the model, not shown)");
            lines.push(Line::from(Span::styled(truncate(&text, width), dim)));
        }
        if let Some(view) = &mut self.structured {
            let count = lines_count(view.pretty().lines().len());
            let label = format!("→ structured content · {count}");
            lines.push(Line::from(Span::styled(truncate(&label, width), dim)));
            let window = if expanded {
                Window::All
            } else {
                Window::From {
                    line: 0,
                    rows: STRUCTURED_ROWS,
                }
            };
            lines.extend(view.render(width, theme, window, None, hint));
        }
        lines
    }
}

/// One line of text, sanitised, wrapped to the width in one style.
fn wrapped(text: &str, style: ratatui::style::Style, width: usize) -> Vec<Line<'static>> {
    let clean = crate::sanitize::sanitize_line(text).into_owned();
    crate::tui::render::wrap::wrap_words(&[Span::styled(clean, style)], width)
        .into_iter()
        .map(Line::from)
        .collect()
}

#[cfg(test)]
#[path = "mcp_panel_tests.rs"]
mod tests;
