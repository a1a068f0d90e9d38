//! A tool call's panel in the conversation: header, live input, result, approval prompt.
//!
//! The model: a [`ToolPanel`] is created when the tool_use block starts and owns
//! everything its cell draws: the input as it streams (a [`JsonView`] fed every fragment,
//! O(fragment) each), where the call stands ([`ToolState`], moved on by the engine's
//! updates and the user's answer), the result once there is one, and the panel's own
//! expansion and focus. Rendering is a pure function of that state, the width and the
//! render options, so the pane's cache (per cell, revision, width) keeps working; the
//! running clock is not read while rendering but stored by [`ToolPanel::tick`], which the
//! app calls at the spinner's pace only while a tool runs.
//!
//! What is drawn, top to bottom, flush left like every cell:
//! - the header: `⚙ name · short id · status`, the status one of streaming input (bytes so
//!   far), input complete, validating, invalid input, awaiting approval, running (spinner,
//!   seconds; "searching" or "fetching" for a server tool, which the API runs), done
//!   (duration), failed (reason), not run (reason), interrupted;
//! - the input, pretty-printed and coloured. Collapsed, at most [`INPUT_ROWS`] rows: the
//!   last ones while it streams (where it grows), else the first ones, or those around a
//!   schema violation, which is underlined with its message beside it;
//! - the result: a label, then at most [`RESULT_ROWS`] rows collapsed;
//! - while awaiting approval, the prompt with its keys.
//!
//! Expanded (Ctrl+T for all panels, Enter for the focused one) shows every row, except
//! that an input still streaming shows its last [`STREAMING_EXPANDED_ROWS`]: every delta
//! re-renders the panel, so its cost must not grow with the input. All text from the model
//! or a tool passes through [`crate::sanitize`].

use std::time::Duration;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;
use tokio::time::Instant;

use crate::engine::{ToolStatus, short_id};
use crate::tools::{ApprovalDecision, InvalidInput, ToolOutput};

use crate::tui::render::cells::{RenderOptions, clip_line};
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, truncate, wrap_chars, wrap_words};
use crate::tui::widgets::json_view::{Highlight, JsonView, Window, lines_count, more_lines};
use crate::tui::widgets::mcp_panel::McpCall;
use crate::tui::widgets::units::{format_bytes, format_duration};

/// Input rows shown while collapsed.
pub const INPUT_ROWS: usize = 10;
/// Result rows shown while collapsed.
pub const RESULT_ROWS: usize = 5;
/// Input rows shown expanded while the input still streams: a render per frame must stay
/// cheap however long the input is; once it is complete, every row is shown.
pub const STREAMING_EXPANDED_ROWS: usize = 200;
/// How often the running spinner moves: a modest 8 frames a second.
pub const SPINNER_INTERVAL: Duration = Duration::from_millis(125);
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Where a tool call stands, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolState {
    /// Input fragments are arriving.
    Streaming,
    /// The block closed; the engine has not reported on it yet.
    InputComplete,
    /// The input was not valid JSON when the block closed.
    InvalidJson(String),
    Validating,
    /// The input does not fit the tool's schema (see [`ToolPanel::invalid`]).
    Invalid,
    AwaitingApproval,
    /// The user answered the prompt; the engine has not reported since.
    Answered(ApprovalDecision),
    /// `elapsed` and `frame` are what [`ToolPanel::tick`] last stored.
    Running {
        since: Instant,
        elapsed: Duration,
        frame: usize,
    },
    Done {
        duration: Duration,
    },
    /// The tool ran and reported an error (timeout, crash, refused path).
    Failed {
        duration: Duration,
        reason: String,
    },
    /// The tool did not run (refused, unknown, tools off, cancelled).
    NotRun {
        reason: String,
    },
    /// The turn ended before the call did.
    Interrupted,
}

/// A schema violation and the input line it points at, if shown.
#[derive(Debug, Clone)]
struct Violation {
    error: InvalidInput,
    line: Option<usize>,
}

/// What the tool gave back, with its line count (found once).
#[derive(Debug, Clone)]
struct Output {
    text: String,
    lines: usize,
    is_error: bool,
    ran: bool,
}

/// One tool call's panel. See the module docs.
#[derive(Debug)]
pub struct ToolPanel {
    name: String,
    id: String,
    input: JsonView,
    state: ToolState,
    violation: Option<Violation>,
    output: Option<Output>,
    /// Set by Enter on the focused panel; `None` follows Ctrl+T.
    pub expanded: Option<bool>,
    pub focused: bool,
    /// The approval prompt's keys, as the app's keymap has them.
    prompt: String,
    /// What approving would change (`write_file`), shown with the prompt.
    preview: Option<crate::tools::preview::ApprovalPreview>,
    /// How to see what a collapsed panel leaves out (`Ctrl+T expands`), from the keymap.
    expand_hint: String,
    /// The MCP side of the call, when its tool came from an MCP server (`mcp_panel.rs`).
    pub mcp: Option<McpCall>,
    /// A server tool call (web search, web fetch): the API runs it, so it says
    /// "searching" rather than "running", and its result lists sources.
    server: bool,
}

impl ToolPanel {
    pub fn new(name: &str, id: &str) -> Self {
        ToolPanel {
            name: name.to_owned(),
            id: id.to_owned(),
            input: JsonView::new(),
            state: ToolState::Streaming,
            violation: None,
            output: None,
            expanded: None,
            focused: false,
            prompt: String::new(),
            preview: None,
            expand_hint: String::new(),
            mcp: McpCall::from_api_name(name),
            server: false,
        }
    }

    /// The panel of a server tool call (see [`crate::api::server_tools`]).
    pub fn server(name: &str, id: &str) -> Self {
        ToolPanel {
            server: true,
            ..ToolPanel::new(name, id)
        }
    }

    /// The tool's name as the model called it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn state(&self) -> &ToolState {
        &self.state
    }

    /// The input as pretty-printed text.
    #[cfg(test)]
    pub fn input_text(&self) -> String {
        self.input.pretty().to_text()
    }

    /// A fragment of the input arrived.
    pub fn push_input(&mut self, chunk: &str) {
        self.input.push(chunk);
    }

    /// The block closed with this parsed input. An input that arrived whole (no
    /// fragments) is shown from it.
    pub fn input_complete(&mut self, input: &Value) {
        if self.input.pretty().bytes() == 0 {
            self.input.push(&input.to_string());
        }
        if self.state == ToolState::Streaming {
            self.state = ToolState::InputComplete;
        }
    }

    /// The input was not valid JSON when its block closed.
    pub fn invalid_json(&mut self, error: &str) {
        self.state = ToolState::InvalidJson(error.to_owned());
    }

    /// The engine moved the call on.
    pub fn set_status(&mut self, status: ToolStatus, now: Instant) {
        self.state = match status {
            ToolStatus::Validating => ToolState::Validating,
            ToolStatus::Invalid(error) => {
                let line = self.input.pretty().line_of(&error.pointer);
                self.violation = Some(Violation { error, line });
                ToolState::Invalid
            }
            ToolStatus::AwaitingApproval => ToolState::AwaitingApproval,
            ToolStatus::Running => ToolState::Running {
                since: now,
                elapsed: Duration::ZERO,
                frame: 0,
            },
            ToolStatus::Finished { output, duration } => {
                if let Some(mcp) = &mut self.mcp {
                    mcp.set_extras(&output.extras);
                }
                let state = if output.is_error {
                    ToolState::Failed {
                        duration,
                        reason: first_line(&output.content),
                    }
                } else {
                    ToolState::Done { duration }
                };
                self.set_output(output, true);
                state
            }
            ToolStatus::NotRun { output } => {
                let reason = first_line(&output.content);
                self.set_output(output, false);
                ToolState::NotRun { reason }
            }
        };
    }

    fn set_output(&mut self, output: ToolOutput, ran: bool) {
        let text = output.content.trim_end_matches('\n').to_owned();
        let lines = if text.is_empty() {
            0
        } else {
            text.matches('\n').count() + 1
        };
        self.output = Some(Output {
            text,
            lines,
            is_error: output.is_error,
            ran,
        });
    }

    /// Ends the markers of left-out lines with this hint.
    pub fn set_expand_hint(&mut self, hint: String) {
        self.expand_hint = hint;
    }

    /// Shows the approval prompt with these key hints.
    pub fn set_prompt(&mut self, prompt: String) {
        self.prompt = prompt;
    }

    /// What approving the call would change.
    pub fn set_preview(&mut self, preview: crate::tools::preview::ApprovalPreview) {
        self.preview = Some(preview);
    }

    /// The user answered the approval prompt.
    pub fn answered(&mut self, decision: ApprovalDecision) {
        if self.state == ToolState::AwaitingApproval {
            self.state = ToolState::Answered(decision);
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, ToolState::Running { .. })
    }

    /// What the running clock would show at `now`, if it differs from what is stored.
    pub fn tick_due(&self, now: Instant) -> bool {
        match &self.state {
            ToolState::Running {
                since,
                elapsed,
                frame,
            } => clock(*since, now) != (whole_seconds(*elapsed), *frame),
            _ => false,
        }
    }

    /// Stores the running clock's value at `now` (the spinner frame and elapsed time).
    pub fn tick(&mut self, now: Instant) {
        if let ToolState::Running {
            since,
            elapsed,
            frame,
        } = &mut self.state
        {
            *elapsed = now.saturating_duration_since(*since);
            *frame = clock(*since, now).1;
        }
    }

    /// The turn ended. A call it left unfinished is marked interrupted when the turn was
    /// cut short (Esc, an error) or its input never completed.
    pub fn turn_ended(&mut self, cut_short: bool) {
        let unfinished = crate::tui::widgets::mcp_panel::is_open(&self.state);
        if self.state == ToolState::Streaming || (cut_short && unfinished) {
            self.state = ToolState::Interrupted;
        }
    }

    /// Roughly what rendering costs: the bytes of its text, as a collapsed panel draws
    /// only a bounded part of it.
    pub fn weight(&self) -> usize {
        let output = self.output.as_ref().map_or(0, |o| o.text.len());
        let mcp = self.mcp.as_ref().map_or(0, McpCall::weight);
        (self.input.pretty().bytes() + output + mcp).min(16 * 1024)
    }

    /// The panel as lines at most `width` cells wide (without the cell's blank separator).
    pub fn render(
        &mut self,
        width: usize,
        theme: &Theme,
        options: RenderOptions,
    ) -> Vec<Line<'static>> {
        let expanded = self.expanded.unwrap_or(options.tools_expanded);
        let mut lines = vec![self.header(width, theme, expanded)];
        let window = self.window(expanded);
        let message;
        let highlight = match &self.violation {
            Some(Violation {
                error,
                line: Some(line),
            }) => {
                message = error.message.clone();
                Some(Highlight {
                    line: *line,
                    message: &message,
                })
            }
            _ => None,
        };
        let hint = if expanded { "" } else { &self.expand_hint };
        lines.extend(self.input.render(width, theme, window, highlight, hint));
        let error = theme.style(Role::Error);
        if let Some(Violation {
            error: e,
            line: None,
        }) = &self.violation
        {
            lines.extend(note(&format!("✗ {e}"), error, width));
        }
        if let ToolState::InvalidJson(e) = &self.state {
            lines.extend(note(&format!("✗ not valid JSON: {e}"), error, width));
        }
        if let Some(output) = &self.output {
            let sources = self.server && !output.is_error;
            lines.extend(render_output(
                output,
                width,
                theme,
                (expanded, sources),
                hint,
            ));
        }
        if let Some(mcp) = &mut self.mcp {
            lines.extend(mcp.lines(&self.state, width, theme, (expanded, hint)));
        }
        if self.state == ToolState::AwaitingApproval {
            if let Some(preview) = &self.preview {
                lines.extend(crate::tui::widgets::tool_preview::lines(
                    preview, width, theme,
                ));
            }
            let style = theme.style(Role::Warning);
            lines.extend(note(&format!("? {}", self.prompt), style, width));
        }
        lines
    }

    fn window(&self, expanded: bool) -> Window {
        if expanded && self.state == ToolState::Streaming {
            return Window::Tail {
                rows: STREAMING_EXPANDED_ROWS,
            };
        }
        if expanded {
            return Window::All;
        }
        match &self.violation {
            Some(Violation {
                line: Some(line), ..
            }) => Window::From {
                line: line.saturating_sub(2),
                rows: INPUT_ROWS,
            },
            _ if self.state == ToolState::Streaming => Window::Tail { rows: INPUT_ROWS },
            _ => Window::From {
                line: 0,
                rows: INPUT_ROWS,
            },
        }
    }

    fn header(&self, width: usize, theme: &Theme, expanded: bool) -> Line<'static> {
        // An MCP tool is named by its server and its own name, not the API's.
        let name = match &self.mcp {
            Some(mcp) => mcp.title().into(),
            None => crate::sanitize::sanitize_line(&self.name),
        };
        let id = crate::sanitize::sanitize_line(short_id(&self.id)).into_owned();
        let mut title = theme.style(Role::ToolHeader).add_modifier(Modifier::BOLD);
        let mut spans = Vec::new();
        if self.focused {
            title = title.add_modifier(Modifier::REVERSED);
            spans.push(Span::styled("▶ ", theme.style(Role::BorderFocused)));
        }
        spans.push(Span::styled(format!("⚙ {name}"), title));
        spans.push(Span::styled(format!(" · {id} · "), theme.style(Role::Dim)));
        let (status, role) = self.status_text();
        spans.push(Span::styled(status, theme.style(role)));
        if self.focused {
            let what = if expanded { "collapses" } else { "expands" };
            spans.push(Span::styled(
                format!("  · Enter {what}"),
                theme.style(Role::Dim),
            ));
        }
        clip_line(Line::from(spans), width)
    }

    fn status_text(&self) -> (String, Role) {
        let reason = |r: &str| crate::sanitize::sanitize_line(r).into_owned();
        let status = match &self.state {
            ToolState::Streaming => (
                format!(
                    "streaming input · {}",
                    format_bytes(self.input.pretty().bytes())
                ),
                Role::Notice,
            ),
            ToolState::InputComplete => (
                format!(
                    "input complete · {}",
                    format_bytes(self.input.pretty().bytes())
                ),
                Role::Dim,
            ),
            ToolState::InvalidJson(_) => ("✗ failed: input is not valid JSON".into(), Role::Error),
            ToolState::Validating => ("validating".into(), Role::Notice),
            ToolState::Invalid => ("✗ invalid input".into(), Role::Error),
            ToolState::AwaitingApproval => ("awaiting approval".into(), Role::Warning),
            ToolState::Answered(ApprovalDecision::Deny | ApprovalDecision::Unattended) => {
                ("refused".into(), Role::Warning)
            }
            ToolState::Answered(_) => ("approved · starting".into(), Role::Notice),
            ToolState::Running { elapsed, frame, .. } => (
                format!(
                    "{} {} · {}s",
                    SPINNER[frame % SPINNER.len()],
                    if self.server {
                        crate::api::server_tools::activity(&self.name)
                    } else {
                        "running"
                    },
                    whole_seconds(*elapsed)
                ),
                Role::Notice,
            ),
            ToolState::Done { duration } => (
                format!("✓ done · {}", format_duration(*duration)),
                Role::Dim,
            ),
            ToolState::Failed {
                duration,
                reason: r,
            } => (
                format!("✗ failed · {} · {}", format_duration(*duration), reason(r)),
                Role::Error,
            ),
            ToolState::NotRun { reason: r } => {
                (format!("✗ not run · {}", reason(r)), Role::Warning)
            }
            ToolState::Interrupted => ("■ interrupted".into(), Role::Warning),
        };
        match &self.mcp {
            Some(mcp) => mcp.status(&self.state, status),
            None => status,
        }
    }
}

/// The result: a label line, then its first rows (all when expanded).
fn render_output(
    output: &Output,
    width: usize,
    theme: &Theme,
    (expanded, sources): (bool, bool),
    hint: &str,
) -> Vec<Line<'static>> {
    let (label, role) = match (output.ran, output.is_error) {
        (true, false) => ("result", Role::Dim),
        (true, true) => ("error", Role::Error),
        (false, _) => ("not run", Role::Warning),
    };
    let count = match output.lines {
        // A server tool's result is its sources, one a line.
        0 if sources => "no sources".to_owned(),
        1 if sources => "1 source".to_owned(),
        n if sources => format!("{n} sources"),
        0 => "empty".to_owned(),
        n => lines_count(n),
    };
    let mut lines = vec![Line::from(Span::styled(
        truncate(&format!("→ {label} · {count}"), width),
        theme.style(role),
    ))];
    let style = if output.is_error {
        theme.style(role)
    } else {
        theme.style(Role::Text)
    };
    let max_rows = if expanded { usize::MAX } else { RESULT_ROWS };
    let mut rows = 0;
    let mut shown = 0;
    for text in output.text.split('\n') {
        if rows >= max_rows {
            break;
        }
        // A line longer than the rows left could hold is cut first, so a megabyte on one
        // line costs what fits, not a megabyte.
        let room = (max_rows - rows).saturating_mul(width);
        let cut = text
            .char_indices()
            .nth(room)
            .map_or(text, |(i, _)| &text[..i]);
        let clean = crate::sanitize::sanitize_line(&expand_tabs(cut)).into_owned();
        let wrapped = wrap_chars(&[Span::styled(clean, style)], width);
        let take = wrapped.len().min(max_rows - rows);
        let whole = take == wrapped.len() && cut.len() == text.len();
        lines.extend(wrapped.into_iter().take(take).map(Line::from));
        rows += take;
        shown += usize::from(whole);
    }
    let more = output.lines.saturating_sub(shown);
    if more > 0 {
        let mut text = more_lines(more, "");
        if !hint.is_empty() {
            text = format!("{text} · {hint}");
        }
        lines.push(Line::from(Span::styled(
            truncate(&text, width),
            theme.style(Role::Dim),
        )));
    }
    lines
}

/// One-line text wrapped to the width in one style.
fn note(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let clean = crate::sanitize::sanitize_line(text).into_owned();
    wrap_words(&[Span::styled(clean, style)], width)
        .into_iter()
        .map(Line::from)
        .collect()
}

/// The running clock at `now`: whole seconds and spinner frame.
fn clock(since: Instant, now: Instant) -> (u64, usize) {
    let elapsed = now.saturating_duration_since(since);
    let frame = elapsed.as_millis() / SPINNER_INTERVAL.as_millis();
    (
        whole_seconds(elapsed),
        (frame % SPINNER.len() as u128) as usize,
    )
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs()
}

/// The first line of a tool's message, for a header.
fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default();
    truncate(line, 80)
}

#[cfg(test)]
#[path = "tool_panel_tests.rs"]
pub(crate) mod tests;
