//! The non-interactive front end: `chatterm -p PROMPT`, and the plain line mode.
//!
//! The answer streams to stdout as it arrives (through the gate's [`sanitize::Stream`],
//! so model text never writes escape sequences or controls, even split across deltas;
//! `--json` goes through [`json_safe`]); everything about the answer — retries, fallbacks, stop
//! reasons, tool calls and their outcomes (one line each, `print/tools.rs`), the final usage
//! and cost line, errors — goes to stderr, so stdout stays exactly the answer (or, with
//! `--json`, exactly the final message as JSON). The text of a turn's successive requests
//! (before and after its tool calls) is separated by a blank line.
//!
//! There is no one to ask for approvals: a tool that asks is refused (the model gets an
//! error result), unless the engine approves everything (`--approve-all`).
//!
//! Exit codes: 0 answered, 1 the API or network failed, 2 refused (bad usage or config, or
//! today's spend reached `budget.daily_usd` without `--over-budget`), 130 cancelled
//! (Ctrl+C), 129 and 143 stopped by SIGHUP and SIGTERM (`print/stop.rs`: the turn is
//! cancelled first, so its tool is killed and its partial answer stored as interrupted).

pub mod attach;
mod stop;
mod tools;
mod web;

pub use stop::{EXIT_HANGUP, EXIT_TERMINATED};

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::api::answered::{FallbackHop, Refusal};
use crate::api::{ApiError, ContentBlock, MessageResponse, StopReason, Usage};
use crate::config::Tier;
use crate::cost::budget::BudgetLevel;
use crate::cost::{Pricing, SessionAccount, format_usd, group};
use crate::engine::{Command, EngineHandle, ToolStatus, TurnStats, Update};
use crate::sanitize::{self, json_safe, sanitize_line};
use crate::tools::ApprovalDecision;

/// Exit status for a failed turn.
pub const EXIT_FAILED: i32 = 1;
/// Exit status when nothing was sent: bad usage, bad config, or over budget.
pub const EXIT_REFUSED: i32 = 2;
/// Exit status after Ctrl+C.
pub const EXIT_CANCELLED: i32 = 130;

/// Output choices of print mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Print the final message as JSON instead of streaming its text.
    pub json: bool,
}

/// Why print mode must not send: today's `spent` has reached `daily_usd` and the user did
/// not pass `--over-budget`. `None` when it may send.
pub fn budget_refusal(
    spent: f64,
    daily_usd: Option<f64>,
    over_budget_flag: bool,
) -> Option<String> {
    let limit = daily_usd?;
    let over = crate::cost::budget::level(spent, Some(limit)) == Some(BudgetLevel::Over);
    (over && !over_budget_flag).then(|| {
        format!(
            "{}; nothing was sent. Add --over-budget to send anyway.",
            crate::cost::budget::over_budget_message(spent, limit)
        )
    })
}

/// What print mode keeps about the turn it follows.
struct Tally {
    /// The turn's requests (a turn with tools makes several), folded from the engine's
    /// `RequestEnded` updates exactly as the TUI's sidebar folds them.
    account: SessionAccount,
    started: Instant,
    text: Text,
    /// Calls whose approval print mode refused (their "not run" line is not repeated).
    refused: HashSet<String>,
    /// Server tool calls and the answer's footnotes (`print/web.rs`).
    web: web::PrintWeb,
}

/// What has been written to stdout.
#[derive(Default)]
struct Text {
    written: bool,
    ends_with_newline: bool,
    /// A new request began after some text: its text starts a new paragraph.
    pending_break: bool,
    /// The gate, kept across a block's deltas so an escape sequence split between them
    /// goes whole; a new block (or request) starts a new one, as its text is a new string.
    gate: sanitize::Stream,
    /// The block the gate is following.
    block: usize,
}

impl Tally {
    fn new() -> Self {
        Self {
            // Only the totals are read: the alert factor and the savings' prices are unused.
            account: SessionAccount::new(Arc::new(Pricing::embedded()), f64::INFINITY),
            started: Instant::now(),
            text: Text::default(),
            refused: HashSet::new(),
            web: web::PrintWeb::default(),
        }
    }

    /// The number of requests that produced usage, their summed usage, and their cost
    /// when every price is known.
    fn total(&self) -> Option<(u32, Usage, Option<f64>)> {
        let totals = self.account.totals();
        (totals.requests > 0).then(|| {
            let cost = (totals.unpriced == 0).then_some(totals.cost_usd);
            (totals.requests, totals.usage.clone(), cost)
        })
    }
}

/// Sends `prompt` and streams the answer. Returns the exit status.
pub async fn run_print<O: Write, E: Write>(
    handle: &mut EngineHandle,
    prompt: String,
    opts: PrintOptions,
    out: &mut O,
    err: &mut E,
) -> i32 {
    run_print_with(handle, prompt, Vec::new(), opts, out, err).await
}

/// [`run_print`] with attachments (`--attach`, mentions: see [`attach::attachments`]).
pub async fn run_print_with<O: Write, E: Write>(
    handle: &mut EngineHandle,
    prompt: String,
    attachments: Vec<crate::attach::Attachment>,
    opts: PrintOptions,
    out: &mut O,
    err: &mut E,
) -> i32 {
    let command = if attachments.is_empty() {
        Command::Send(prompt)
    } else {
        Command::SendAttached {
            text: prompt,
            attachments,
        }
    };
    if handle.commands.send(command).is_err() {
        let _ = writeln!(err, "error: the engine stopped");
        return EXIT_FAILED;
    }
    stream_turn(handle, opts, out, err).await
}

/// Follows one turn's updates until it ends; Ctrl+C, SIGTERM and SIGHUP cancel it (see
/// `print/stop.rs` for the exit status).
async fn stream_turn<O: Write, E: Write>(
    handle: &mut EngineHandle,
    opts: PrintOptions,
    out: &mut O,
    err: &mut E,
) -> i32 {
    let mut tally = Tally::new();
    let mut stops = stop::Stops::install();
    // The exit status of a SIGTERM or SIGHUP, and how long the turn has left to end.
    let mut stopped: Option<(i32, Instant)> = None;
    loop {
        let update = tokio::select! {
            u = handle.updates.recv() => u,
            code = stops.recv() => {
                let _ = handle.commands.send(Command::Cancel);
                if code != EXIT_CANCELLED && stopped.is_none() {
                    stopped = Some((code, Instant::now() + stop::GRACE));
                }
                continue;
            }
            () = tokio::time::sleep_until(stopped.map_or_else(Instant::now, |s| s.1)),
                if stopped.is_some() => {
                let _ = writeln!(err, "stopped before the turn ended");
                return stopped.map_or(EXIT_CANCELLED, |s| s.0);
            }
        };
        let Some(update) = update else {
            let _ = writeln!(err, "error: the engine stopped");
            return EXIT_FAILED;
        };
        if let Update::Tool {
            id,
            status: ToolStatus::AwaitingApproval,
            ..
        } = &update
        {
            refuse(&handle.commands, id);
        }
        if let Some(code) = show(update, opts, &mut tally, out, err) {
            return stopped.map_or(code, |s| s.0);
        }
    }
}

/// Writes one update; `Some(exit status)` when the turn is over.
fn show<O: Write, E: Write>(
    update: Update,
    opts: PrintOptions,
    tally: &mut Tally,
    out: &mut O,
    err: &mut E,
) -> Option<i32> {
    match update {
        Update::TextDelta { text, index, .. } if !opts.json => {
            if index != tally.text.block {
                tally.text.block = index;
                tally.text.gate = sanitize::Stream::new();
            }
            write_text(&text, &mut tally.text, out);
        }
        Update::Connected { .. } => {
            tally.text.pending_break = tally.text.written;
            // A sequence left open by the last request does not swallow this one's text.
            tally.text.gate = sanitize::Stream::new();
        }
        Update::BlockFinished {
            block: ContentBlock::ToolUse(call),
            ..
        } => {
            let _ = writeln!(err, "{}", tools::call_line(&call));
        }
        // A server-side fallback: `↪ from → to · refused`, like chatterm's own.
        Update::BlockStarted { block, .. } if FallbackHop::of(&block).is_some() => {
            if let Some(hop) = FallbackHop::of(&block) {
                tally.text.pending_break = tally.text.written;
                let _ = writeln!(err, "{}", sanitize_line(&hop.label()));
            }
        }
        Update::BlockStarted { block, .. } => {
            if let Some(line) = tally.web.result_line(&block) {
                let _ = writeln!(err, "{line}");
            }
        }
        Update::BlockFinished { block, .. } => block_finished(&block, opts, tally, out, err),
        Update::Tool {
            id, name, status, ..
        } => tool_status(&id, &name, &status, tally, err),
        Update::Retrying { .. } | Update::FellBack { .. } => {
            if let Some(line) = attempt_line(&update) {
                let _ = writeln!(err, "{line}");
            }
        }
        Update::Routed { tier, reason, .. } => {
            let _ = writeln!(err, "auto: {tier} tier ({})", sanitize_line(&reason));
        }
        Update::Notice { text, .. } if !text.is_empty() => {
            let _ = writeln!(err, "{}", sanitize_line(&text));
        }
        Update::RequestEnded { request, .. } => {
            tally
                .account
                .finish_request(&request, Instant::now().into_std());
        }
        Update::TurnFinished { message, stats, .. } => {
            return Some(finished(&message, &stats, opts, tally, out, err));
        }
        Update::Error { error, partial, .. } => {
            return Some(failed(&error, partial.as_ref(), tally, out, err));
        }
        _ => {}
    }
    None
}

/// A closed block other than a tool call: cited text gets its footnote markers on stdout,
/// a server tool call its line on stderr (`print/web.rs`).
fn block_finished<O: Write, E: Write>(
    block: &ContentBlock,
    opts: PrintOptions,
    tally: &mut Tally,
    out: &mut O,
    err: &mut E,
) {
    match block {
        ContentBlock::Text(t) if !opts.json => {
            let markers = tally.web.markers(t);
            write_text(&markers, &mut tally.text, out);
        }
        _ => {
            if let Some(line) = tally.web.call_line(block) {
                let _ = writeln!(err, "{line}");
            }
        }
    }
}

/// Writes answer text; the first text of a new request starts a new paragraph.
fn write_text<O: Write>(text: &str, state: &mut Text, out: &mut O) {
    let clean = state.gate.push(text);
    if clean.is_empty() {
        return;
    }
    if std::mem::take(&mut state.pending_break) {
        let gap = if state.ends_with_newline {
            "\n"
        } else {
            "\n\n"
        };
        let _ = out.write_all(gap.as_bytes());
    }
    let _ = out.write_all(clean.as_bytes());
    let _ = out.flush();
    state.written = true;
    state.ends_with_newline = clean.ends_with('\n');
}

/// The line for a tool status. For a call that asks for approval, the refusal is its line
/// (the engine's "not run" that follows is not repeated).
fn tool_status<E: Write>(
    id: &str,
    name: &str,
    status: &ToolStatus,
    tally: &mut Tally,
    err: &mut E,
) {
    if *status == ToolStatus::AwaitingApproval {
        tally.refused.insert(id.to_owned());
    } else if matches!(status, ToolStatus::NotRun { .. }) && tally.refused.contains(id) {
        return;
    }
    if let Some(line) = tools::status_line(name, id, status) {
        let _ = writeln!(err, "{line}");
    }
}

/// Print mode has no one to ask: a call waiting for approval is not run, and the model is
/// told why (not that somebody refused).
fn refuse(commands: &UnboundedSender<Command>, id: &str) {
    let _ = commands.send(Command::Approve {
        id: id.to_owned(),
        decision: ApprovalDecision::Unattended,
    });
}

fn finished<O: Write, E: Write>(
    message: &MessageResponse,
    stats: &TurnStats,
    opts: PrintOptions,
    tally: &Tally,
    out: &mut O,
    err: &mut E,
) -> i32 {
    if opts.json {
        match serde_json::to_string_pretty(message) {
            Ok(json) => {
                // serde_json writes C1 and bidi controls raw; the gate escapes them.
                let _ = writeln!(out, "{}", json_safe(&json));
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot encode the answer as JSON: {e}");
                return EXIT_FAILED;
            }
        }
    } else {
        if !tally.text.ends_with_newline {
            let _ = writeln!(out);
        }
        let links = std::io::IsTerminal::is_terminal(&std::io::stdout())
            && sanitize::hyperlinks_supported(&|k| std::env::var(k).ok());
        if let Some(sources) = tally.web.sources(links) {
            let _ = write!(out, "{sources}");
        }
    }
    let _ = out.flush();
    match &message.stop_reason {
        Some(StopReason::MaxTokens) => {
            let _ = writeln!(
                err,
                "note: the answer was cut off at max_tokens (raise --max-tokens)"
            );
        }
        Some(StopReason::Refusal) => {
            let refusal = Refusal::of(message).unwrap_or_default();
            let _ = writeln!(err, "note: {}", sanitize_line(&refusal.describe()));
        }
        _ => {}
    }
    let _ = writeln!(err, "{}", usage_line(tally, stats));
    0
}

fn failed<O: Write, E: Write>(
    error: &ApiError,
    partial: Option<&MessageResponse>,
    tally: &Tally,
    out: &mut O,
    err: &mut E,
) -> i32 {
    if tally.text.written && !tally.text.ends_with_newline {
        let _ = writeln!(out);
    }
    let _ = out.flush();
    if matches!(error, ApiError::Cancelled) {
        let _ = writeln!(err, "cancelled");
        return EXIT_CANCELLED;
    }
    let incomplete = if partial.is_some() {
        " (the answer above is incomplete)"
    } else {
        ""
    };
    // A server-requested wait that was not slept through leads: it is what to do next.
    let advice = crate::api::retry::wait_advice(error).map_or_else(String::new, |a| a + " · ");
    let _ = writeln!(
        err,
        "error: {advice}{}{incomplete}",
        sanitize_line(&error.to_string())
    );
    EXIT_FAILED
}

/// "claude-x · input 14 · cache read 3,120 · cache write 0 · output 8 · $0.0012 · 1.2 s"
pub fn usage_line_parts(model: &str, usage: &Usage, cost: Option<f64>) -> String {
    let cost = cost.map_or_else(|| "price unknown".to_owned(), format_usd);
    format!(
        "{} · input {} · cache read {} · cache write {} · output {} · {cost}",
        // Model ids come from the API (`/v1/models`, answers): untrusted.
        sanitize_line(model),
        group(usage.input_tokens),
        group(usage.cache_read_input_tokens),
        group(usage.cache_creation_input_tokens),
        group(usage.output_tokens),
    )
}

/// The closing line. A turn of several requests (tool rounds) shows their sum, how many
/// there were, and the whole turn's time.
fn usage_line(tally: &Tally, stats: &TurnStats) -> String {
    let total = tally.total();
    let n = total.as_ref().map_or(0, |t| t.0);
    let (requests, time) = if n > 1 {
        (format!("{n} requests · "), tally.started.elapsed())
    } else {
        (String::new(), stats.total)
    };
    let Some((_, usage, cost)) = total else {
        return format!("no usage reported · {:.1} s", time.as_secs_f64());
    };
    let model = tally
        .account
        .last_request()
        .map_or("", |r| r.model.as_str());
    // Searches are billed per search, included in the cost when their price is known.
    let searches = match tally.account.totals().web_searches {
        0 => String::new(),
        1 => "1 web search · ".to_owned(),
        n => format!("{n} web searches · "),
    };
    format!(
        "{} · {searches}{requests}{:.1} s",
        usage_line_parts(model, &usage, cost),
        time.as_secs_f64()
    )
}

/// The stderr line of a retry or a fallback (`None` for other updates); shared by every
/// non-interactive front end.
pub fn attempt_line(update: &Update) -> Option<String> {
    match update {
        Update::Retrying {
            attempt,
            max,
            wait,
            reason,
            ..
        } => Some(format!(
            "retrying ({attempt}/{max}) in {:.1} s: {}",
            wait.as_secs_f64(),
            sanitize_line(reason)
        )),
        Update::FellBack {
            from, to, reason, ..
        } => Some(format!(
            "falling back from {} to {}: {}",
            sanitize_line(from),
            sanitize_line(to),
            sanitize_line(reason)
        )),
        _ => None,
    }
}

/// The plain line mode: each line of stdin is a message; `/tier NAME` switches tiers and
/// `/quit` ends. Used where the full-screen interface is not available.
pub async fn run_lines(handle: &mut EngineHandle, opts: PrintOptions) -> i32 {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let _ = write!(
        err,
        "chatterm line mode: type a message and press Enter (/quit to leave)\n> "
    );
    let _ = err.flush();
    let mut status = 0;
    let mut answered = false;
    let mut stops = stop::Stops::install();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line,
            code = stops.recv() => return code,
        };
        let Ok(Some(line)) = line else { break };
        let line = line.trim();
        if line == "/quit" || line == "/exit" {
            break;
        }
        if let Some(name) = line.strip_prefix("/tier ") {
            match name.trim().parse::<Tier>() {
                Ok(t) => {
                    let _ = handle.commands.send(Command::SetTier(t));
                }
                Err(e) => {
                    // The error quotes the line it was given.
                    let _ = writeln!(err, "{}", sanitize_line(&e));
                }
            }
        } else if !line.is_empty() {
            // A blank line between answers, so one ends visibly before the next begins.
            if answered {
                let _ = writeln!(out);
            }
            status = run_print(handle, line.to_owned(), opts, &mut out, &mut err).await;
            if matches!(status, EXIT_HANGUP | EXIT_TERMINATED) {
                return status;
            }
            answered = true;
        }
        let _ = write!(err, "> ");
        let _ = err.flush();
    }
    status
}

#[cfg(test)]
#[path = "print_tests.rs"]
mod tests;
