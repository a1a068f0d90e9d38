//! An `/extract` run's panel in the conversation: header, the JSON as it streams, the
//! validation errors, and how it ended.
//!
//! The model: an [`ExtractPanel`] is created when the extraction's input is sent and is
//! moved on by the extraction's progress (`crate::extract::Progress`, through
//! `app/extract.rs`) and finally its `Report`. The JSON is the tool panels' view
//! ([`JsonView`], fed every fragment, O(fragment) each): coloured, strings growing as they
//! stream, a violation underlined on its field (found by its JSON pointer) with the
//! message beside it. Each attempt starts the view afresh; the corrected retry's panel
//! lists the errors that were sent back while the new answer streams.
//!
//! What is drawn, top to bottom, flush left like every cell:
//! - the header: `◆ extract · schema · method · status`, the status one of starting,
//!   streaming (bytes so far), validating, valid, invalid: N errors · retrying, retrying ·
//!   streaming (the errors sent back listed below), failed (kind), refused, cut off at
//!   max_tokens, cancelled;
//! - one dim line about the input: its first line and how long it is;
//! - the JSON: while it streams, its last [`STREAMING_ROWS`] rows (where it grows); once
//!   ended, its first [`RESULT_ROWS`] rows, or those around the highlighted violation;
//!   everything when expanded (Ctrl+T, as for tool panels), except that a streaming view
//!   keeps to its last [`STREAMING_EXPANDED_ROWS`] so a render per delta stays cheap;
//! - the errors not shown beside their field, at most [`ERROR_ROWS`] collapsed;
//! - a retry or fallback of the request, the model's words when it refused;
//! - once ended: the model, the requests and their cost, and how to copy a valid result.
//!
//! Rendering is a pure function of that state, the width and the render options, so the
//! pane's cache (per cell, revision, width) keeps working. All text from the model, the
//! schema or the validator passes through [`crate::sanitize`].

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::api::ContentBlock;
use crate::cost::format_usd;
use crate::extract::{ExtractError, Method, Report};

use crate::tui::render::cells::{RenderOptions, clip_line};
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{truncate, wrap_words};
use crate::tui::widgets::json_view::{Highlight, JsonView, Window};
use crate::tui::widgets::tool_panel::STREAMING_EXPANDED_ROWS;
use crate::tui::widgets::units::format_bytes;

/// JSON rows shown while the answer streams (collapsed).
pub const STREAMING_ROWS: usize = 12;
/// JSON rows shown once the extraction ended (collapsed): a result is what the user came
/// for, so more than a tool input.
pub const RESULT_ROWS: usize = 30;
/// Error lines listed while collapsed.
pub const ERROR_ROWS: usize = 5;

/// Where an extraction stands, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractState {
    /// Sent; no attempt has begun.
    Starting,
    /// JSON fragments of the current attempt are arriving.
    Streaming,
    /// The answer is complete and being checked against the schema.
    Validating,
    /// The first answer broke the schema; the corrected retry is on its way.
    Rejected,
    Valid,
    /// Still invalid after the corrected retry.
    Invalid,
    Refused {
        text: String,
    },
    CutOff {
        max_tokens: u32,
    },
    /// The request failed after the engine's retries and fallbacks.
    Failed {
        reason: String,
    },
    Cancelled,
}

impl ExtractState {
    /// Whether the extraction has ended, however it ended.
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Self::Starting | Self::Streaming | Self::Validating | Self::Rejected
        )
    }
}

/// One validation error: where (a JSON pointer, `""` for the root) and what.
#[derive(Debug, Clone, PartialEq)]
struct Violation {
    /// The whole line as the validator wrote it ("/priority: ...").
    text: String,
    pointer: Option<String>,
    message: String,
}

impl Violation {
    /// Reads "pointer: message" (or "(root): message"); anything else has no pointer.
    fn parse(text: &str) -> Violation {
        let split = text.split_once(": ").and_then(|(at, message)| {
            let pointer = match at {
                "(root)" => String::new(),
                p if p.starts_with('/') => p.to_owned(),
                _ => return None,
            };
            Some((pointer, message.to_owned()))
        });
        match split {
            Some((pointer, message)) => Violation {
                text: text.to_owned(),
                pointer: Some(pointer),
                message,
            },
            None => Violation {
                text: text.to_owned(),
                pointer: None,
                message: text.to_owned(),
            },
        }
    }
}

/// The end of an extraction, for the footer.
#[derive(Debug, Clone, PartialEq)]
struct Footer {
    model: Option<String>,
    requests: u32,
    cost: String,
    corrected: bool,
}

/// One extraction's panel. See the module docs.
#[derive(Debug)]
pub struct ExtractPanel {
    schema: String,
    method: Option<Method>,
    /// The input's first non-blank line and its line count.
    input_head: String,
    input_lines: usize,
    attempt: u32,
    view: JsonView,
    state: ExtractState,
    /// The current errors: the rejected answer's, or the final ones.
    errors: Vec<Violation>,
    /// The error beside its field: (index into `errors`, line of the view).
    highlight: Option<(usize, usize)>,
    /// The first answer's errors, listed while the corrected retry runs.
    sent_back: Vec<String>,
    /// The latest retry or fallback of a request, and whether it is gone once the answer
    /// streams again (a retry's countdown is; a fallback stays worth knowing).
    note: Option<(String, bool)>,
    footer: Option<Footer>,
    /// Ends the markers of left-out lines (`Ctrl+T expands`).
    expand_hint: String,
    /// Said under a valid result (`Ctrl+Y copies`).
    copy_hint: String,
}

impl ExtractPanel {
    pub fn new(schema: &str, input: &str) -> Self {
        let input_head = input
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned();
        ExtractPanel {
            schema: schema.to_owned(),
            method: None,
            input_head,
            input_lines: input.trim_end().lines().count().max(1),
            attempt: 0,
            view: JsonView::new(),
            state: ExtractState::Starting,
            errors: Vec::new(),
            highlight: None,
            sent_back: Vec::new(),
            note: None,
            footer: None,
            expand_hint: String::new(),
            copy_hint: String::new(),
        }
    }

    #[cfg(test)]
    pub fn state(&self) -> &ExtractState {
        &self.state
    }

    /// The JSON on show as pretty-printed text.
    #[cfg(test)]
    pub fn json_text(&self) -> String {
        self.view.pretty().to_text()
    }

    /// Sets the hints for left-out lines and for copying a valid result.
    pub fn set_hints(&mut self, expand: String, copy: String) {
        self.expand_hint = expand;
        self.copy_hint = copy;
    }

    /// An attempt began: its JSON starts afresh. The second one carries the first's
    /// errors back to the model.
    pub fn attempt_started(&mut self, attempt: u32, method: Method) {
        if self.state.is_final() {
            return;
        }
        if attempt > 1 {
            self.sent_back = self.errors.iter().map(|e| e.text.clone()).collect();
        }
        self.attempt = attempt;
        self.method = Some(method);
        self.view = JsonView::new();
        self.errors.clear();
        self.highlight = None;
        self.note = None;
        self.state = ExtractState::Streaming;
    }

    /// A fragment of the JSON arrived.
    pub fn push_json(&mut self, fragment: &str) {
        if self.state.is_final() {
            return;
        }
        self.view.push(fragment);
        self.state = ExtractState::Streaming;
        if self.note.as_ref().is_some_and(|(_, transient)| *transient) {
            self.note = None;
        }
    }

    /// A content block of the answer closed: the JSON is complete when it is the block
    /// the method reads. A block that arrived whole (no fragments) is shown from it.
    pub fn block_finished(&mut self, block: &ContentBlock) {
        if self.state != ExtractState::Streaming {
            return;
        }
        let whole = match (self.method, block) {
            (Some(Method::Native), ContentBlock::Text(t)) => t.text.clone(),
            (Some(Method::Tool), ContentBlock::ToolUse(t)) => t.input.to_string(),
            _ => return,
        };
        if self.view.pretty().bytes() == 0 {
            self.view.push(&whole);
        }
        self.state = ExtractState::Validating;
    }

    /// A request of the attempt is retried or falls back: said under the JSON until the
    /// attempt ends, or when `transient` until the answer streams again.
    pub fn set_note(&mut self, note: String, transient: bool) {
        if !self.state.is_final() {
            self.note = Some((note, transient));
        }
    }

    /// The attempt's answer broke the schema: the errors, the first one that points at a
    /// line shown beside it.
    pub fn rejected(&mut self, errors: &[String]) {
        if self.state.is_final() {
            return;
        }
        self.set_errors(errors);
        self.state = ExtractState::Rejected;
    }

    fn set_errors(&mut self, errors: &[String]) {
        self.errors = errors.iter().map(|e| Violation::parse(e)).collect();
        let pretty = self.view.pretty();
        self.highlight = self.errors.iter().enumerate().find_map(|(i, e)| {
            let line = pretty.line_of(e.pointer.as_deref()?)?;
            Some((i, line))
        });
    }

    /// The user cancelled: what is shown stays, marked cancelled.
    pub fn cancelled(&mut self) {
        if !self.state.is_final() {
            self.state = ExtractState::Cancelled;
            self.note = None;
        }
    }

    /// The extraction ended with `report`.
    pub fn finished(&mut self, report: &Report) {
        self.method = Some(report.method);
        self.note = None;
        self.footer = Some(Footer {
            model: report.model.clone(),
            requests: report.spend.requests,
            cost: spend_cost(report),
            corrected: report.attempts > 1,
        });
        self.state = match &report.result {
            Ok(value) => {
                self.show_value(value);
                self.errors.clear();
                self.highlight = None;
                ExtractState::Valid
            }
            Err(ExtractError::Invalid { errors }) => {
                self.set_errors(errors);
                ExtractState::Invalid
            }
            Err(ExtractError::Refusal { text }) => ExtractState::Refused { text: text.clone() },
            Err(ExtractError::MaxTokens { max_tokens }) => ExtractState::CutOff {
                max_tokens: *max_tokens,
            },
            Err(ExtractError::Api(e)) => ExtractState::Failed { reason: e.short() },
            Err(ExtractError::Cancelled) => ExtractState::Cancelled,
        };
        self.sent_back.clear();
    }

    /// A valid result is shown as the streamed view when that reads as the value (it
    /// does unless the answer wrapped the JSON in something), else from the value.
    fn show_value(&mut self, value: &Value) {
        let streamed = self.view.pretty();
        let same = streamed.error().is_none()
            && serde_json::from_str::<Value>(&streamed.to_text())
                .ok()
                .as_ref()
                == Some(value);
        if !same {
            self.view = JsonView::new();
            self.view.push(&value.to_string());
        }
    }

    /// Roughly what rendering costs: a collapsed panel draws a bounded part of the JSON.
    pub fn weight(&self) -> usize {
        self.view.pretty().bytes().min(16 * 1024)
    }

    /// The panel as lines at most `width` cells wide (without the cell's blank separator).
    pub fn render(
        &mut self,
        width: usize,
        theme: &Theme,
        options: RenderOptions,
    ) -> Vec<Line<'static>> {
        let expanded = options.tools_expanded;
        let mut lines = vec![self.header(width, theme), self.input_line(width, theme)];
        let window = self.window(expanded);
        let hint = if expanded { "" } else { &self.expand_hint };
        let message;
        let highlight = match self.highlight {
            Some((i, line)) => {
                message = self.errors[i].message.clone();
                Some(Highlight {
                    line,
                    message: &message,
                })
            }
            None => None,
        };
        if self.view.pretty().bytes() > 0 {
            lines.extend(self.view.render(width, theme, window, highlight, hint));
        }
        self.render_notes(&mut lines, width, theme, expanded);
        if let Some(footer) = &self.footer {
            lines.push(self.footer_line(footer, width, theme));
        }
        lines
    }

    fn window(&self, expanded: bool) -> Window {
        let streaming = matches!(self.state, ExtractState::Starting | ExtractState::Streaming);
        match (streaming, expanded, self.highlight) {
            (true, true, _) => Window::Tail {
                rows: STREAMING_EXPANDED_ROWS,
            },
            (true, false, _) => Window::Tail {
                rows: STREAMING_ROWS,
            },
            (false, true, _) => Window::All,
            (false, false, Some((_, line))) => Window::From {
                line: line.saturating_sub(2),
                rows: RESULT_ROWS,
            },
            (false, false, None) => Window::From {
                line: 0,
                rows: RESULT_ROWS,
            },
        }
    }

    /// Errors, the corrected retry's feedback, the request's note, a refusal's words.
    fn render_notes(
        &self,
        lines: &mut Vec<Line<'static>>,
        width: usize,
        theme: &Theme,
        expanded: bool,
    ) {
        let error = theme.style(Role::Error);
        let listed: Vec<&Violation> = self
            .errors
            .iter()
            .enumerate()
            .filter(|(i, _)| self.highlight.map(|(h, _)| h) != Some(*i))
            .map(|(_, e)| e)
            .collect();
        let limit = if expanded { usize::MAX } else { ERROR_ROWS };
        for e in listed.iter().take(limit) {
            lines.extend(note(&format!("✗ {}", e.text), error, width));
        }
        if listed.len() > limit {
            let more = listed.len() - limit;
            let s = if more == 1 { "" } else { "s" };
            let text = format!("… {more} more error{s} · {}", self.expand_hint);
            lines.extend(note(
                text.trim_end_matches(" · "),
                theme.style(Role::Dim),
                width,
            ));
        }
        if !self.sent_back.is_empty() {
            let n = self.sent_back.len();
            let s = if n == 1 { "" } else { "s" };
            let dim = theme.style(Role::Dim);
            let head = format!("↻ retrying with the {n} error{s} sent back:");
            lines.extend(note(&head, dim, width));
            for e in self.sent_back.iter().take(limit) {
                lines.extend(note(&format!("• {e}"), dim, width));
            }
        }
        if let Some((text, _)) = &self.note {
            lines.extend(note(text, theme.style(Role::Warning), width));
        }
        if let ExtractState::Refused { text } = &self.state
            && !text.is_empty()
        {
            let said = format!("the model said: {text}");
            lines.extend(note(&said, theme.style(Role::Text), width));
        }
    }

    fn header(&self, width: usize, theme: &Theme) -> Line<'static> {
        let title = theme.style(Role::ToolHeader).add_modifier(Modifier::BOLD);
        let dim = theme.style(Role::Dim);
        let schema = crate::sanitize::sanitize_line(&self.schema).into_owned();
        let method = self.method.map_or("…", Method::as_str);
        let (status, role) = self.status_text();
        let spans = vec![
            Span::styled("◆ extract", title),
            Span::styled(format!(" · {schema} · {method} · "), dim),
            Span::styled(status, theme.style(role)),
        ];
        clip_line(Line::from(spans), width)
    }

    fn status_text(&self) -> (String, Role) {
        let bytes = format_bytes(self.view.pretty().bytes());
        let errors = |n: usize| {
            let s = if n == 1 { "" } else { "s" };
            format!("{n} error{s}")
        };
        match &self.state {
            ExtractState::Starting => ("starting".into(), Role::Notice),
            // The errors sent back are listed under the JSON.
            ExtractState::Streaming if self.attempt > 1 => {
                (format!("retrying · streaming · {bytes}"), Role::Warning)
            }
            ExtractState::Streaming => (format!("streaming · {bytes}"), Role::Notice),
            ExtractState::Validating => ("validating".into(), Role::Notice),
            ExtractState::Rejected => (
                format!("✗ invalid: {} · retrying", errors(self.errors.len())),
                Role::Warning,
            ),
            ExtractState::Valid => ("✓ valid".into(), Role::Notice),
            ExtractState::Invalid => (
                format!("✗ failed (invalid): {}", errors(self.errors.len())),
                Role::Error,
            ),
            ExtractState::Refused { .. } => ("✗ refused".into(), Role::Error),
            ExtractState::CutOff { max_tokens } => (
                format!("✗ cut off at max_tokens ({max_tokens})"),
                Role::Error,
            ),
            ExtractState::Failed { reason } => (
                format!("✗ failed (api): {}", crate::sanitize::sanitize_line(reason)),
                Role::Error,
            ),
            ExtractState::Cancelled => ("■ cancelled".into(), Role::Warning),
        }
    }

    fn input_line(&self, width: usize, theme: &Theme) -> Line<'static> {
        let head = crate::sanitize::sanitize_line(&self.input_head);
        let n = self.input_lines;
        let s = if n == 1 { "" } else { "s" };
        let text = format!("input · {n} line{s} · {head}");
        Line::from(Span::styled(truncate(&text, width), theme.style(Role::Dim)))
    }

    fn footer_line(&self, footer: &Footer, width: usize, theme: &Theme) -> Line<'static> {
        let mut parts = Vec::new();
        if let Some(model) = &footer.model {
            parts.push(crate::sanitize::sanitize_line(model).into_owned());
        }
        let s = if footer.requests == 1 { "" } else { "s" };
        parts.push(format!("{} request{s}", footer.requests));
        parts.push(footer.cost.clone());
        if footer.corrected {
            parts.push("corrected once".into());
        }
        if self.state == ExtractState::Valid && !self.copy_hint.is_empty() {
            parts.push(self.copy_hint.clone());
        }
        let text = parts.join(" · ");
        Line::from(Span::styled(truncate(&text, width), theme.style(Role::Dim)))
    }
}

/// What the requests cost, as the footer says it.
fn spend_cost(report: &Report) -> String {
    let spend = &report.spend;
    match (spend.unpriced_requests, spend.requests) {
        (0, _) => format_usd(spend.cost_usd),
        (n, all) if n == all => "price unknown".to_owned(),
        (n, _) => format!("{} + {n} unpriced", format_usd(spend.cost_usd)),
    }
}

/// One-line text wrapped to the width in one style.
fn note(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let clean = crate::sanitize::sanitize_line(text).into_owned();
    wrap_words(&[Span::styled(clean, style)], width)
        .into_iter()
        .map(Line::from)
        .collect()
}

#[cfg(test)]
#[path = "extract_panel_tests.rs"]
pub(crate) mod tests;
