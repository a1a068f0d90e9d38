//! The non-interactive front end: `chatterm -p PROMPT`, and the plain line mode.
//!
//! The answer streams to stdout as it arrives (sanitised: model text never writes escape
//! sequences to the terminal); everything about the answer — retries, fallbacks, stop
//! reasons, the final usage and cost line, errors — goes to stderr, so stdout stays exactly
//! the answer (or, with `--json`, exactly the final message as JSON).
//!
//! Exit codes: 0 answered, 1 the API or network failed, 130 cancelled (Ctrl+C).

use std::io::Write;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::api::{ApiError, MessageResponse, StopReason, Usage};
use crate::config::Tier;
use crate::cost::format_usd;
use crate::engine::{Command, EngineHandle, TurnStats, Update};
use crate::sanitize::{sanitize, sanitize_line};

/// Exit status for a failed turn.
pub const EXIT_FAILED: i32 = 1;
/// Exit status after Ctrl+C.
pub const EXIT_CANCELLED: i32 = 130;

/// Output choices of print mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Print the final message as JSON instead of streaming its text.
    pub json: bool,
}

/// The running usage of a turn, for the closing line.
#[derive(Default)]
struct Tally {
    model: String,
    usage: Option<Usage>,
    cost: Option<f64>,
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
            *tally = Tally {
                model,
                usage: Some(usage),
                cost: cost_usd,
            };
        }
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
    let Some(usage) = &tally.usage else {
        return format!("no usage reported · {:.1} s", stats.total.as_secs_f64());
    };
    format!(
        "{} · {:.1} s",
        usage_line_parts(&tally.model, usage, tally.cost),
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
