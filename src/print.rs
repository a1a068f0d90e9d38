//! The non-interactive front end: `chatterm -p PROMPT`, and the plain line mode.
//!
//! The answer streams to stdout as it arrives (sanitised: model text never writes escape
//! sequences to the terminal); everything about the answer — retries, fallbacks, stop
//! reasons, the final usage and cost line, errors — goes to stderr, so stdout stays exactly
//! the answer (or, with `--json`, exactly the final message as JSON).
//!
//! Exit codes: 0 answered, 1 the API or network failed, 2 refused (bad usage or config, or
//! today's spend reached `budget.daily_usd` without `--over-budget`), 130 cancelled.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::api::{ApiError, MessageResponse, StopReason, Usage};
use crate::config::Tier;
use crate::cost::budget::BudgetLevel;
use crate::cost::format_usd;
use crate::engine::{Command, EngineHandle, TurnStats, Update};
use crate::sanitize::{sanitize, sanitize_line};

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

/// The usage of a turn's requests, for the closing line. Running usage replaces the
/// current request's figures (the API reports totals, not increments); a new request (a
/// retry or fallback after usage, a tool-loop round) moves them to `earlier`, so each
/// request counts once.
#[derive(Default)]
struct Tally {
    model: String,
    earlier: Vec<(Usage, Option<f64>)>,
    usage: Option<Usage>,
    cost: Option<f64>,
}

impl Tally {
    fn next_request(&mut self) {
        if let Some(usage) = self.usage.take() {
            self.earlier.push((usage, self.cost.take()));
        }
    }

    /// Summed usage, known cost (`None` if any request had no price) and request count.
    fn total(&self) -> Option<(Usage, Option<f64>, usize)> {
        let current = self.usage.as_ref().map(|u| (u, self.cost));
        let all: Vec<(&Usage, Option<f64>)> = self
            .earlier
            .iter()
            .map(|(u, c)| (u, *c))
            .chain(current)
            .collect();
        if all.is_empty() {
            return None;
        }
        let mut sum = Usage::default();
        let mut cost = Some(0.0);
        for (u, c) in &all {
            sum.input_tokens += u.input_tokens;
            sum.cache_read_input_tokens += u.cache_read_input_tokens;
            sum.cache_creation_input_tokens += u.cache_creation_input_tokens;
            sum.output_tokens += u.output_tokens;
            cost = cost.zip(*c).map(|(a, b)| a + b);
        }
        Some((sum, cost, all.len()))
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
    if handle.commands.send(Command::Send(prompt)).is_err() {
        let _ = writeln!(err, "error: the engine stopped");
        return EXIT_FAILED;
    }
    stream_turn(handle, opts, out, err).await
}

/// Follows one turn's updates until it ends; Ctrl+C cancels it.
async fn stream_turn<O: Write, E: Write>(
    handle: &mut EngineHandle,
    opts: PrintOptions,
    out: &mut O,
    err: &mut E,
) -> i32 {
    let mut tally = Tally::default();
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let update = tokio::select! {
            u = handle.updates.recv() => u,
            _ = &mut ctrl_c => {
                let _ = handle.commands.send(Command::Cancel);
                continue;
            }
        };
        let Some(update) = update else {
            let _ = writeln!(err, "error: the engine stopped");
            return EXIT_FAILED;
        };
        if let Some(code) = show(update, opts, &mut tally, out, err) {
            return code;
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
        Update::TextDelta { text, .. } if !opts.json => {
            let _ = out.write_all(sanitize(&text).as_bytes());
            let _ = out.flush();
        }
        Update::Retrying {
            attempt,
            max,
            wait,
            reason,
            ..
        } => {
            let _ = writeln!(
                err,
                "retrying ({attempt}/{max}) in {:.1} s: {}",
                wait.as_secs_f64(),
                sanitize_line(&reason)
            );
        }
        Update::FellBack {
            from, to, reason, ..
        } => {
            let _ = writeln!(
                err,
                "falling back from {from} to {to}: {}",
                sanitize_line(&reason)
            );
        }
        Update::Notice { text, .. } if !text.is_empty() => {
            let _ = writeln!(err, "{}", sanitize_line(&text));
        }
        Update::Usage {
            model,
            usage,
            cost_usd,
            ..
        } => {
            tally.model = model;
            tally.usage = Some(usage);
            tally.cost = cost_usd;
        }
        Update::Connected { .. } => tally.next_request(),
        Update::TurnFinished { message, stats, .. } => {
            return Some(finished(&message, &stats, opts, tally, out, err));
        }
        Update::Error { error, partial, .. } => {
            return Some(failed(&error, partial.as_ref(), opts, out, err));
        }
        _ => {}
    }
    None
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
                let _ = writeln!(out, "{json}");
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot encode the answer as JSON: {e}");
                return EXIT_FAILED;
            }
        }
    } else if !message.text().ends_with('\n') {
        let _ = writeln!(out);
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
            let _ = writeln!(
                err,
                "note: the model declined to answer (stop reason: refusal)"
            );
        }
        _ => {}
    }
    let _ = writeln!(err, "{}", usage_line(tally, stats));
    0
}

fn failed<O: Write, E: Write>(
    error: &ApiError,
    partial: Option<&MessageResponse>,
    opts: PrintOptions,
    out: &mut O,
    err: &mut E,
) -> i32 {
    if partial.is_some_and(|p| !p.text().is_empty() && !p.text().ends_with('\n')) && !opts.json {
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
    let _ = writeln!(
        err,
        "error: {}{incomplete}",
        sanitize_line(&error.to_string())
    );
    EXIT_FAILED
}

/// "claude-x · input 14 · cache read 3,120 · cache write 0 · output 8 · $0.0012 · 1.2 s"
pub fn usage_line_parts(model: &str, usage: &Usage, cost: Option<f64>) -> String {
    let cost = cost.map_or_else(|| "price unknown".to_owned(), format_usd);
    format!(
        "{model} · input {} · cache read {} · cache write {} · output {} · {cost}",
        group(usage.input_tokens),
        group(usage.cache_read_input_tokens),
        group(usage.cache_creation_input_tokens),
        group(usage.output_tokens),
    )
}

fn usage_line(tally: &Tally, stats: &TurnStats) -> String {
    let Some((usage, cost, requests)) = tally.total() else {
        return format!("no usage reported · {:.1} s", stats.total.as_secs_f64());
    };
    let model = match requests {
        1 => sanitize_line(&tally.model).into_owned(),
        n => format!("{} · {n} requests", sanitize_line(&tally.model)),
    };
    format!(
        "{} · {:.1} s",
        usage_line_parts(&model, &usage, cost),
        stats.total.as_secs_f64()
    )
}

/// 1234567 -> "1,234,567" (kept here for callers of `print::group`).
pub use crate::cost::group;

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
    while let Ok(Some(line)) = lines.next_line().await {
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
                    let _ = writeln!(err, "{e}");
                }
            }
        } else if !line.is_empty() {
            status = run_print(handle, line.to_owned(), opts, &mut out, &mut err).await;
        }
        let _ = write!(err, "> ");
        let _ = err.flush();
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn the_usage_line_counts_each_request_once() {
        let u = |input, output| Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        };
        // A request that reported usage, then failed before content; the retry answers.
        let mut tally = Tally {
            usage: Some(u(1000, 1)),
            cost: Some(0.003),
            ..Tally::default()
        };
        tally.next_request();
        // Running totals of the retry replace each other.
        for out in [1, 20, 40] {
            tally.model = "m".into();
            tally.usage = Some(u(1000, out));
            tally.cost = Some(0.004);
        }
        let line = usage_line(&tally, &TurnStats::default());
        assert_eq!(
            line,
            "m · 2 requests · input 2,000 · cache read 0 · cache write 0 · output 41 · $0.0070 · 0.0 s"
        );
        // One request without a price makes the sum unknown, not a guess.
        tally.cost = None;
        assert!(usage_line(&tally, &TurnStats::default()).contains("price unknown"));
    }

    #[test]
    fn over_budget_refuses_unless_told_to_go_on() {
        assert_eq!(budget_refusal(100.0, None, false), None);
        assert_eq!(budget_refusal(4.99, Some(5.0), false), None);
        assert_eq!(budget_refusal(5.0, Some(5.0), true), None);
        assert_eq!(
            budget_refusal(5.0, Some(5.0), false).as_deref(),
            Some(
                "today's spend $5.00 has reached the daily budget of $5.00 (budget.daily_usd); \
                 nothing was sent. Add --over-budget to send anyway."
            )
        );
        assert!(budget_refusal(0.0, Some(0.0), false).is_some());
    }

    #[test]
    fn usage_line_says_price_unknown_rather_than_guessing() {
        let usage = Usage {
            input_tokens: 14,
            cache_read_input_tokens: 3120,
            output_tokens: 8,
            ..Usage::default()
        };
        assert_eq!(
            usage_line_parts("m", &usage, None),
            "m · input 14 · cache read 3,120 · cache write 0 · output 8 · price unknown"
        );
    }
}
