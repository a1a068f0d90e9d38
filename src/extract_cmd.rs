//! `chatterm extract`: the command-line front end of [`chatterm::extract`].
//!
//! One input: the JSON (pretty) on stdout, everything else on stderr: stripped schema
//! keywords, retries, fallbacks, the corrected retry, the usage line, errors. With
//! `--batch`: result lines to `--output` (or stdout), an indicatif progress bar on stderr
//! when stderr is a terminal, and a closing summary; with `--via batches` or
//! `--resume-batch`, [`crate::extract_batches_cmd`] runs it as one Message Batch.
//!
//! Exit status: 0 ok; 1 the API or network failed; 2 no valid JSON after the retry, a
//! refusal, a max_tokens stop, or bad usage (unreadable schema or input); 130 Ctrl+C. A
//! batch exits 0 when every input succeeded, else 1 if any failed through the API, else 2.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use chatterm::extract::batch::{self, BatchOptions, Summary};
use chatterm::extract::{
    EXIT_API, EXIT_CANCELLED, EXIT_INVALID, ExtractError, Extractor, Job, Method, Progress, Report,
    Schema,
};
use chatterm::sanitize::{json_safe, sanitize, sanitize_line};

use crate::cli::{ExtractArgs, Via};

/// Runs the command with `extractor` (client, models, pricing and `--model` set up by
/// the caller); returns the exit status. `structured_outputs` tells, for a model id,
/// whether the model supports native structured outputs (`None`: unknown), which decides
/// the default method.
pub async fn run(
    args: &ExtractArgs,
    extractor: Extractor,
    structured_outputs: &dyn Fn(&str) -> Option<bool>,
    ask: Option<crate::extract_batches_cmd::Ask>,
) -> i32 {
    let mut err = std::io::stderr();
    let schema = match Schema::from_file(&args.schema) {
        Ok(s) => Arc::new(s),
        Err(e) => return usage_error(&mut err, &e.to_string()),
    };
    // An unknown capability means tool, which every tool-capable model honours.
    let method = args
        .method
        .unwrap_or_else(|| Method::choose(structured_outputs(extractor.model())));
    if method == Method::Tool
        && let Err(e) = schema.check_tool_root()
    {
        return usage_error(&mut err, &e.to_string());
    }
    if !schema.stripped().is_empty() {
        let _ = writeln!(
            err,
            "note: checked locally, not sent to the API: {}",
            sanitize_line(&stripped_list(&schema))
        );
    }
    // Through the Message Batches API: its own Ctrl+C handling (cancel or leave running).
    if args.resume_batch.is_some() || (args.batch.is_some() && args.via == Via::Batches) {
        return crate::extract_batches_cmd::run(args, &extractor, schema, method, ask).await;
    }
    let cancel = CancellationToken::new();
    let work = async {
        match &args.batch {
            Some(path) => run_batch(args, &extractor, schema, method, path, &cancel).await,
            None => run_one(args, &extractor, schema, method, &cancel).await,
        }
    };
    tokio::select! {
        code = work => code,
        never = cancel_on_ctrl_c(&cancel) => never,
    }
}

/// Ctrl+C cancels the work, which then ends with its own (cancelled) status; this future
/// itself never finishes.
async fn cancel_on_ctrl_c(cancel: &CancellationToken) -> i32 {
    if tokio::signal::ctrl_c().await.is_ok() {
        cancel.cancel();
    }
    std::future::pending().await
}

/// "summary: maxLength, minLength; entities.order_ids: maxItems", in schema order.
fn stripped_list(schema: &Schema) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for s in schema.stripped() {
        let at = s.location();
        match groups.iter_mut().find(|(l, _)| *l == at) {
            Some((_, keywords)) => keywords.push(&s.keyword),
            None => groups.push((at, vec![&s.keyword])),
        }
    }
    groups
        .iter()
        .map(|(at, keywords)| format!("{at}: {}", keywords.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn usage_error(err: &mut impl Write, message: &str) -> i32 {
    let _ = writeln!(err, "error: {}", sanitize_line(message));
    EXIT_INVALID
}

/// The input: a file, `-` or nothing for standard input (which must then be piped).
fn read_input(arg: Option<&str>) -> Result<String, String> {
    let text = match arg {
        Some(path) if path != "-" => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the input {path}: {e}"))?,
        _ => {
            let mut stdin = std::io::stdin();
            if arg.is_none() && stdin.is_terminal() {
                return Err(
                    "extract needs an input: --input FILE, --input - or text piped in".into(),
                );
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            text
        }
    };
    if text.trim().is_empty() {
        return Err("the input is empty".into());
    }
    Ok(text)
}

async fn run_one(
    args: &ExtractArgs,
    extractor: &Extractor,
    schema: Arc<Schema>,
    method: Method,
    cancel: &CancellationToken,
) -> i32 {
    let mut err = std::io::stderr();
    let input = match read_input(args.input.as_deref()) {
        Ok(t) => t,
        Err(e) => return usage_error(&mut err, &e),
    };
    let job = Job {
        schema,
        input,
        instructions: args.instructions.clone(),
        method,
    };
    let started = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let extraction = async move {
        // `tx` goes with the extraction, so the printer below ends when it does.
        extractor.extract(&job, Some(&tx), cancel).await
    };
    let printer = async {
        let mut err = std::io::stderr();
        while let Some(p) = rx.recv().await {
            show_progress(&p, &mut err);
        }
    };
    let (report, ()) = tokio::join!(extraction, printer);
    finish_one(&report, started.elapsed())
}

/// The stderr lines of a running extraction: what a user waiting on it wants to know.
fn show_progress(p: &Progress, err: &mut impl Write) {
    match p {
        Progress::Rejected { attempt: 1, errors } => {
            let _ = writeln!(
                err,
                "the result does not match the schema; retrying once with the errors:"
            );
            for e in errors {
                let _ = writeln!(err, "  - {}", sanitize_line(e));
            }
        }
        Progress::Engine { update, .. } => {
            if let Some(line) = chatterm::print::attempt_line(update) {
                let _ = writeln!(err, "{line}");
            }
        }
        _ => {}
    }
}

fn finish_one(report: &Report, elapsed: Duration) -> i32 {
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = match &report.result {
        Ok(value) => match serde_json::to_string_pretty(value) {
            Ok(json) => {
                let _ = writeln!(out, "{}", json_safe(&json));
                let _ = out.flush();
                0
            }
            Err(e) => usage_error(&mut err, &format!("cannot encode the result: {e}")),
        },
        Err(e) => {
            show_failure(e, &mut err);
            e.exit_code()
        }
    };
    let model = report.model.as_deref().unwrap_or("no answer");
    let retried = if report.attempts > 1 {
        " · corrected once"
    } else {
        ""
    };
    let _ = writeln!(
        err,
        "{} · {}{retried} · {} · {:.1} s",
        sanitize_line(model),
        report.method,
        report.spend.line(),
        elapsed.as_secs_f64()
    );
    code
}

fn show_failure(e: &ExtractError, err: &mut impl Write) {
    let _ = writeln!(err, "error: {}", sanitize_line(&e.to_string()));
    match e {
        ExtractError::Invalid { errors } => {
            for line in errors {
                let _ = writeln!(err, "  - {}", sanitize_line(line));
            }
        }
        ExtractError::Refusal { text } if !text.is_empty() => {
            let _ = writeln!(err, "the model said: {}", sanitize(text).trim_end());
        }
        _ => {}
    }
}

async fn run_batch(
    args: &ExtractArgs,
    extractor: &Extractor,
    schema: Arc<Schema>,
    method: Method,
    path: &Path,
    cancel: &CancellationToken,
) -> i32 {
    let mut err = std::io::stderr();
    let items = match batch::read_inputs(path) {
        Ok(items) if items.is_empty() => {
            let message = format!("the batch {} has no inputs", path.display());
            return usage_error(&mut err, &message);
        }
        Ok(items) => items,
        Err(e) => {
            let message = format!("cannot read the batch {}: {e}", path.display());
            return usage_error(&mut err, &message);
        }
    };
    let mut out = match open_output(args.output.as_deref()) {
        Ok(out) => out,
        Err(message) => return usage_error(&mut err, &message),
    };
    let bar = progress_bar(items.len() as u64);
    let opts = BatchOptions {
        method,
        instructions: args.instructions.clone(),
        concurrency: usize::from(args.concurrency),
    };
    let started = Instant::now();
    let mut failed = 0;
    let mut on_line = |line: &batch::Line| {
        bar.inc(1);
        if line.outcome.is_err() {
            failed += 1;
            bar.set_message(format!("{failed} failed"));
        }
    };
    let result = batch::run(
        extractor,
        schema,
        items,
        &opts,
        &mut out,
        &mut on_line,
        cancel,
    )
    .await;
    bar.finish_and_clear();
    match result {
        Ok(summary) => {
            print_summary(&summary, args.output.as_deref(), started.elapsed());
            batch_exit_code(&summary)
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the results: {e}");
            EXIT_API
        }
    }
}

fn print_summary(summary: &Summary, output: Option<&Path>, elapsed: Duration) {
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "batch: {} · {} · {:.1} s",
        summary.counts_line(),
        summary.spend.line(),
        elapsed.as_secs_f64()
    );
    if let Some(file) = output {
        let _ = writeln!(err, "results: {}", file.display());
    }
}

/// The results file, or standard output.
fn open_output(file: Option<&Path>) -> Result<Box<dyn Write>, String> {
    match file {
        Some(file) => std::fs::File::create(file)
            .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>)
            .map_err(|e| format!("cannot create {}: {e}", file.display())),
        None => Ok(Box::new(std::io::stdout())),
    }
}

fn batch_exit_code(summary: &Summary) -> i32 {
    let has = |kind| summary.failures.contains_key(kind);
    if summary.failed == 0 {
        0
    } else if has("cancelled") {
        EXIT_CANCELLED
    } else if has("api") {
        EXIT_API
    } else {
        EXIT_INVALID
    }
}

/// A bar on stderr, or nothing when stderr is not a terminal (logs stay clean).
fn progress_bar(len: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} · {elapsed} · {msg}")
    {
        bar.set_style(style);
    }
    bar.set_message("0 failed");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
