//! The conversation's cells: one user message, one assistant text block, one thinking
//! block, one tool call, one `/extract` run, or one notice each.
//!
//! The model: a [`Cell`] owns its content and a *revision* that goes up whenever anything
//! that changes its rendering changes. [`Cell::render`] turns it into lines for a width and
//! [`RenderOptions`]; the output is a pure function of (content, revision, width, options),
//! which is what lets the pane ([`crate::tui::render::pane`]) cache it by those keys.
//!
//! Every cell renders as a label line, its body, and one blank line, flush left: nothing is
//! indented, so a native terminal selection of a code block copies exactly the code.
//! All text from the model passes through the sanitiser on its way to a line: markdown via
//! [`crate::tui::render::markdown`], one-line text via [`crate::sanitize::sanitize_line`].

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::api::ContentBlock;

pub use crate::tui::app::paste::UserText;
use crate::tui::render::markdown;
use crate::tui::render::stream::StreamingMarkdown;
use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::{expand_tabs, truncate, wrap_words};
use crate::tui::widgets::extract_panel::ExtractPanel;
use crate::tui::widgets::tool_panel::ToolPanel;

/// Settings that change how every cell of a kind renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// Thinking blocks shown in full rather than as one line, and large pastes in user
    /// messages in full rather than as chips (Ctrl+O).
    pub thinking_expanded: bool,
    /// Tool panels shown in full (Ctrl+T), unless a panel was toggled on its own.
    pub tools_expanded: bool,
}

/// How an assistant answer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerState {
    /// Text is still arriving.
    Streaming,
    /// The block is complete.
    Done,
    /// The user stopped it; the partial text stays.
    Interrupted,
    /// The request failed after this text was shown.
    Incomplete,
    /// `/retry` asked for this answer again: the new one follows.
    Replaced,
}

/// One assistant text block.
#[derive(Debug)]
pub struct Answer {
    pub model: String,
    /// The model the turn fell back from, when it did.
    pub fallback_from: Option<String>,
    pub body: StreamingMarkdown,
    pub state: AnswerState,
}

/// What a notice is about; decides its colour and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Retry,
    Fallback,
    Interrupted,
    Error,
    /// About money: an unusually expensive request, a cache a switch will rebuild.
    Cost,
}

#[derive(Debug)]
pub enum CellKind {
    /// A typed message; large pastes in it show as chips (see [`crate::tui::app::paste`]).
    User(UserText),
    Assistant(Answer),
    Thinking {
        text: String,
        done: bool,
    },
    /// A tool call: its live input, status and result (see [`crate::tui::widgets::tool_panel`]).
    Tool(Box<ToolPanel>),
    /// An `/extract` run: its live JSON, errors and result (see [`crate::tui::widgets::extract_panel`]).
    Extract(Box<ExtractPanel>),
    Notice {
        kind: NoticeKind,
        text: String,
    },
}

impl CellKind {
    /// The cell a content block of an answer by `model` starts: live (`Streaming`, as its
    /// block opens) or stored (any other state, the block complete: a resumed
    /// conversation). One place, so live and resumed conversations look the same.
    pub fn for_block(
        block: &ContentBlock,
        model: &str,
        fallback_from: Option<String>,
        state: AnswerState,
    ) -> CellKind {
        let complete = state != AnswerState::Streaming;
        match block {
            ContentBlock::Text(t) => {
                let mut body = StreamingMarkdown::new();
                body.push(&t.text);
                CellKind::Assistant(Answer {
                    model: model.to_owned(),
                    fallback_from,
                    body,
                    state,
                })
            }
            ContentBlock::Thinking(t) => CellKind::Thinking {
                text: t.thinking.clone(),
                done: complete,
            },
            ContentBlock::RedactedThinking(_) => CellKind::Thinking {
                text: "(redacted by the API)".into(),
                done: true,
            },
            ContentBlock::ToolUse(t) => {
                let mut panel = ToolPanel::new(&t.name, &t.id);
                if complete {
                    panel.input_complete(&t.input);
                }
                CellKind::Tool(Box::new(panel))
            }
            other => match crate::api::answered::FallbackHop::of(other) {
                // A server-side fallback: shown like chatterm's own.
                Some(hop) => CellKind::Notice {
                    kind: NoticeKind::Fallback,
                    text: crate::sanitize::sanitize_line(&hop.hop()).into_owned(),
                },
                // A web search or fetch: a panel like a local call's (`app/web.rs`).
                None => match crate::api::server_tools::server_call(other) {
                    Some(call) => {
                        let mut panel = ToolPanel::server(&call.name, &call.id);
                        if complete {
                            panel.input_complete(&call.input);
                        }
                        CellKind::Tool(Box::new(panel))
                    }
                    None => CellKind::Notice {
                        kind: NoticeKind::Info,
                        text: format!("[{} block]", other.kind()),
                    },
                },
            },
        }
    }
}

/// A cell of the conversation. See the module docs.
#[derive(Debug)]
pub struct Cell {
    pub id: u64,
    pub revision: u64,
    pub kind: CellKind,
}

impl Cell {
    pub fn new(id: u64, kind: CellKind) -> Self {
        Cell {
            id,
            revision: 0,
            kind,
        }
    }

    /// Marks the cell changed, so cached renders of it are dropped.
    pub fn touch(&mut self) {
        self.revision += 1;
    }

    /// Roughly what rendering the cell costs: the bytes of its source text.
    pub fn weight(&self) -> usize {
        match &self.kind {
            CellKind::User(text) => text.len(),
            CellKind::Assistant(answer) => answer.body.source().len(),
            CellKind::Thinking { text, .. } => text.len(),
            CellKind::Tool(panel) => panel.weight(),
            CellKind::Extract(panel) => panel.weight(),
            CellKind::Notice { text, .. } => text.len(),
        }
    }

    /// The part of `options` this cell's render depends on: renders made with options
    /// that agree on it are the same.
    pub fn options_key(&self, options: RenderOptions) -> RenderOptions {
        match self.kind {
            CellKind::Thinking { .. } => RenderOptions {
                thinking_expanded: options.thinking_expanded,
                ..RenderOptions::default()
            },
            CellKind::User(ref text) if text.has_pastes() => RenderOptions {
                thinking_expanded: options.thinking_expanded,
                ..RenderOptions::default()
            },
            CellKind::Tool(_) | CellKind::Extract(_) => RenderOptions {
                tools_expanded: options.tools_expanded,
                ..RenderOptions::default()
            },
            _ => RenderOptions::default(),
        }
    }

    /// The cell as lines at most `width` cells wide, ending with a blank separator line.
    /// Takes `&mut` only for the streaming renderer's block cache.
    pub fn render(
        &mut self,
        width: usize,
        theme: &Theme,
        options: RenderOptions,
    ) -> Vec<Line<'static>> {
        let CellLines { mut own, shared } = self.render_shared(width, theme, options);
        let rest = own.split_off(own.len().min(1));
        own.extend_from_slice(&self.shared_lines()[..shared]);
        own.extend(rest);
        own
    }

    /// [`render`](Self::render) without copying what the cell keeps itself: a streaming
    /// answer's frozen blocks stay in the cell ([`shared_lines`](Self::shared_lines)), so a
    /// frame of a long answer costs its live part, not its length.
    pub fn render_shared(
        &mut self,
        width: usize,
        theme: &Theme,
        options: RenderOptions,
    ) -> CellLines {
        let width = width.max(1);
        let mut shared = 0;
        let mut lines = match &mut self.kind {
            CellKind::User(text) => {
                render_user(&text.shown(options.thinking_expanded), width, theme)
            }
            CellKind::Assistant(answer) => {
                let (lines, frozen) = render_answer(answer, width, theme);
                shared = frozen;
                lines
            }
            CellKind::Thinking { text, done } => {
                render_thinking(text, *done, width, theme, options.thinking_expanded)
            }
            CellKind::Tool(panel) => panel.render(width, theme, options),
            CellKind::Extract(panel) => panel.render(width, theme, options),
            CellKind::Notice { kind, text } => render_notice(*kind, text, width, theme),
        };
        lines.push(Line::default());
        CellLines { own: lines, shared }
    }

    /// Lines the cell keeps rendered itself, as of its last render: a streaming answer's
    /// frozen blocks (empty for every other cell).
    pub fn shared_lines(&self) -> &[Line<'static>] {
        match &self.kind {
            CellKind::Assistant(answer) if answer.state == AnswerState::Streaming => {
                answer.body.frozen_lines()
            }
            _ => &[],
        }
    }
}

/// A cell's render for the pane ([`Cell::render_shared`]): its own lines, with the first
/// `shared` of [`Cell::shared_lines`] coming right after the first of them (the label).
#[derive(Debug, Default)]
pub struct CellLines {
    pub own: Vec<Line<'static>>,
    pub shared: usize,
}

fn label(text: String, role: Role, theme: &Theme, width: usize) -> Line<'static> {
    let style = theme.style(role).add_modifier(Modifier::BOLD);
    Line::from(Span::styled(truncate(&text, width), style))
}

/// Wraps plain text paragraph by paragraph, keeping the user's line breaks.
fn plain_lines(text: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let clean = crate::sanitize::sanitize(text);
    let clean = expand_tabs(&clean);
    let mut lines = Vec::new();
    for paragraph in clean.split('\n') {
        if paragraph.is_empty() {
            lines.push(Line::default());
            continue;
        }
        let span = Span::styled(paragraph.to_owned(), style);
        lines.extend(wrap_words(&[span], width).into_iter().map(Line::from));
    }
    lines
}

fn render_user(text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![label("You".into(), Role::UserLabel, theme, width)];
    lines.extend(plain_lines(text, theme.style(Role::UserText), width));
    lines
}

/// The answer's lines and, while it streams, how many frozen lines of its body
/// ([`StreamingMarkdown::frozen_lines`]) follow the first (left out of the lines).
fn render_answer(answer: &mut Answer, width: usize, theme: &Theme) -> (Vec<Line<'static>>, usize) {
    let model = crate::sanitize::sanitize_line(&answer.model).into_owned();
    let mut head = vec![Span::styled(
        model,
        theme
            .style(Role::AssistantLabel)
            .add_modifier(Modifier::BOLD),
    )];
    if let Some(from) = &answer.fallback_from {
        let from = crate::sanitize::sanitize_line(from);
        head.push(Span::styled(
            format!("  ↳ fallback from {from}"),
            theme.style(Role::Warning),
        ));
    }
    match answer.state {
        AnswerState::Streaming => head.push(Span::styled("  ●", theme.style(Role::Dim))),
        AnswerState::Done => {}
        AnswerState::Interrupted => {
            head.push(Span::styled("  ■ interrupted", theme.style(Role::Warning)));
        }
        AnswerState::Incomplete => {
            head.push(Span::styled("  ■ incomplete", theme.style(Role::Error)));
        }
        AnswerState::Replaced => head.push(Span::styled(
            "  ↻ replaced by /retry",
            theme.style(Role::Dim),
        )),
    }
    let mut lines = vec![clip_line(Line::from(head), width)];
    if answer.state == AnswerState::Streaming {
        lines.extend(answer.body.live_lines(width, theme));
        return (lines, answer.body.frozen_lines().len());
    }
    // The whole text once: block-wise streaming renders can differ in rare cases
    // (see `stream.rs`), the final one is exact; the block cache is no longer needed.
    // Its code blocks keep the highlighting they streamed with (`code.rs`).
    let memo = answer.body.take_code_memo();
    answer.body.release_cache();
    lines.extend(markdown::render_with_memo(
        answer.body.source(),
        width,
        theme,
        &memo,
    ));
    (lines, 0)
}

fn render_thinking(
    text: &str,
    done: bool,
    width: usize,
    theme: &Theme,
    expanded: bool,
) -> Vec<Line<'static>> {
    let dim = theme.style(Role::Dim);
    let words = text.split_whitespace().count();
    let status = if done { "" } else { " …" };
    if !expanded && !done {
        // Live: a spinner that turns with each piece that arrives, and the newest words.
        let spin = THINKING_SPINNER[words % THINKING_SPINNER.len()];
        let head = format!("{spin} Thinking ({words} words …) · Ctrl+O expands: ");
        let room = width.saturating_sub(crate::tui::render::wrap::str_width(&head));
        let last = last_words(&crate::sanitize::sanitize_line(text.trim()), room);
        return vec![Line::from(Span::styled(
            truncate(&(head + &last), width),
            dim,
        ))];
    }
    if !expanded {
        let first = crate::sanitize::sanitize_line(text.trim());
        let summary = format!("✻ Thinking ({words} words{status}) · Ctrl+O expands: {first}");
        return vec![Line::from(Span::styled(truncate(&summary, width), dim))];
    }
    let header = format!("✻ Thinking ({words} words{status}) · Ctrl+O collapses");
    let mut lines = vec![Line::from(Span::styled(truncate(&header, width), dim))];
    lines.extend(markdown::render_styled(
        text,
        width,
        theme,
        theme.style(Role::Thinking),
    ));
    lines
}

/// The live thinking line's spinner frames.
const THINKING_SPINNER: [char; 8] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧'];

/// The end of `text` that fits in `width` columns, after a "…" when cut.
fn last_words(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if crate::tui::render::wrap::str_width(text) <= width {
        return text.to_owned();
    }
    let mut used = 1;
    let mut tail: Vec<char> = Vec::new();
    for c in text.chars().rev() {
        used += c.width().unwrap_or(0);
        if used > width {
            break;
        }
        tail.push(c);
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

fn render_notice(kind: NoticeKind, text: &str, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let (mark, role) = match kind {
        NoticeKind::Info => ("ℹ", Role::Notice),
        NoticeKind::Retry => ("↻", Role::Warning),
        NoticeKind::Fallback => ("↳", Role::Warning),
        NoticeKind::Interrupted => ("■", Role::Warning),
        NoticeKind::Error => ("✗", Role::Error),
        NoticeKind::Cost => ("$", Role::Warning),
    };
    // Each line on its own (a table, such as /cost's), the later ones under the first's text.
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lead = if i == 0 { mark } else { " " };
        let line = format!("{lead} {}", crate::sanitize::sanitize_line(line));
        lines.extend(plain_lines(&line, theme.style(role), width));
    }
    lines
}

/// Cuts a one-line header to the width, span by span.
pub(in crate::tui) fn clip_line(line: Line<'static>, width: usize) -> Line<'static> {
    let mut left = width;
    let mut spans = Vec::new();
    for span in line.spans {
        if left == 0 {
            break;
        }
        let text = truncate(&span.content, left);
        left = left.saturating_sub(crate::tui::render::wrap::str_width(&text));
        spans.push(Span::styled(text, span.style));
    }
    Line::from(spans)
}
