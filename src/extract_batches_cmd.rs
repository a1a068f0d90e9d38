//! `chatterm extract --batch FILE --via batches` and `--resume-batch ID`: the command-line
//! front end of [`chatterm::extract::via_batches`].
//!
//! On stderr: the batch's id as soon as it exists, a progress bar of its request counts
//! (processing, succeeded, errored, expired, cancelled) while it runs, notes, and a
//! closing summary priced at the batch discount. Result lines go to `--output` (appended
//! to when resuming, so a batch resumed after a retry round completes the same file) or
//! stdout, each as soon as it is read.
//!
//! Ctrl+C while the batch runs asks, when stdin and stderr are a terminal, whether to
//! cancel the batch on the server (one key; anything but y is no); without a terminal the
//! answer is no. No leaves the batch running and prints the command that resumes it
//! (exit 130). A second Ctrl+C, at any point, does the same at once.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use chatterm::api::batches::{MessageBatch, check_batch_id};
use chatterm::extract::batch::{self, Item, Line, Summary};
use chatterm::extract::via_batches::{
    BatchError, Ended, PollSchedule, Round, StopChoice, ViaBatches, Watch,
};
use chatterm::extract::{EXIT_API, EXIT_CANCELLED, EXIT_INVALID, Extractor, Method, Schema};
use chatterm::sanitize::sanitize_line;

use crate::cli::ExtractArgs;

/// The one-key yes/no question asked on the terminal (`tui::run::ask::yes_no`).
pub type Ask = fn(&str) -> bool;

/// Runs the command; returns the exit status.
pub async fn run(
    args: &ExtractArgs,
    extractor: &Extractor,
    schema: Arc<Schema>,
    method: Method,
    ask: Option<Ask>,
) -> i32 {
    let mut err = std::io::stderr();
    if let Some(id) = &args.resume_batch
        && let Err(e) = check_batch_id(id)
    {
        return usage_error(&mut err, &e);
    }
    let items = match read_items(args) {
        Ok(items) => items,
        Err(message) => return usage_error(&mut err, &message),
    };
    let mut out = match open_output(args.output.as_deref(), args.resume_batch.is_some()) {
        Ok(out) => out,
        Err(message) => return usage_error(&mut err, &message),
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let known = Arc::new(Mutex::new(args.resume_batch.clone()));
    let mut watch = CliWatch {
        bar: progress_bar(),
        ask: ask.filter(|_| terminal),
        known: Arc::clone(&known),
    };
    let run = ViaBatches {
        extractor,
        schema,
        method,
        instructions: args.instructions.clone(),
        poll: PollSchedule::default(),
    };
    let stop = CancellationToken::new();
    let started = Instant::now();
    let work = run.run(
        &items,
        args.resume_batch.as_deref(),
        &mut out,
        &mut watch,
        &stop,
    );
    let hint = ResumeHint::of(args, method);
    let result = tokio::select! {
        result = work => result,
        () = ctrl_c_twice(&stop) => {
            let id = known.lock().map(|k| k.clone()).unwrap_or_default();
            return left_running(id.as_deref(), &hint);
        }
    };
    watch.bar.finish_and_clear();
    let _ = out.flush();
    finish(result, extractor, args.output.as_deref(), started, &hint)
}

fn finish(
    result: Result<Ended, BatchError>,
    extractor: &Extractor,
    output: Option<&Path>,
    started: Instant,
    hint: &ResumeHint,
) -> i32 {
    let mut err = std::io::stderr();
    match result {
        Ok(Ended::Done(summary)) => {
            print_summary(&summary, extractor, output, started.elapsed());
            exit_code(&summary)
        }
        Ok(Ended::LeftRunning { id, .. }) => left_running(Some(&id), hint),
        Err(e) => {
            let _ = writeln!(err, "error: {}", sanitize_line(&e.to_string()));
            if let Some(id) = e.batch_id() {
                let _ = writeln!(
                    err,
                    "the batch is kept on the server; try again with:\n  {}",
                    hint.command(id)
                );
            }
            EXIT_API
        }
    }
}

/// Waits for Ctrl+C: the first stops the polling (the run then asks what to do), the
/// second ends this future, and with it the run.
async fn ctrl_c_twice(stop: &CancellationToken) {
    for _ in 0..2 {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling: never stop the run for it.
            std::future::pending::<()>().await;
        }
        stop.cancel();
    }
}

fn left_running(id: Option<&str>, hint: &ResumeHint) -> i32 {
    let mut err = std::io::stderr();
    match id {
        Some(id) => {
            let _ = writeln!(
                err,
                "the batch {} is still running on the server (and will be billed); \
                 pick up its results later with:\n  {}",
                sanitize_line(id),
                hint.command(id)
            );
        }
        None => {
            let _ = writeln!(err, "stopped before the batch was created");
        }
    }
    EXIT_CANCELLED
}

fn usage_error(err: &mut impl Write, message: &str) -> i32 {
    let _ = writeln!(err, "error: {}", sanitize_line(message));
    EXIT_INVALID
}

/// The inputs of `--batch`, or none when resuming without it.
fn read_items(args: &ExtractArgs) -> Result<Vec<Item>, String> {
    let Some(path) = &args.batch else {
        return Ok(Vec::new());
    };
    match batch::read_inputs(path) {
        Ok(items) if items.is_empty() && args.resume_batch.is_none() => {
            Err(format!("the batch {} has no inputs", path.display()))
        }
        Ok(items) => Ok(items),
        Err(e) => Err(format!("cannot read the batch {}: {e}", path.display())),
    }
}

/// The results file (appended to when resuming), or standard output.
fn open_output(file: Option<&Path>, append: bool) -> Result<Box<dyn Write>, String> {
    let Some(file) = file else {
        return Ok(Box::new(std::io::stdout()));
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    options
        .open(file)
        .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>)
        .map_err(|e| format!("cannot open {}: {e}", file.display()))
}

/// A bar on stderr, or nothing when stderr is not a terminal (logs stay clean).
fn progress_bar() -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {bar:30} {pos}/{len} · {elapsed} · {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// "processing 7 · succeeded 2 · errored 1 · expired 0", plus cancelled when any.
fn counts(batch: &MessageBatch) -> String {
    let c = batch.request_counts;
    let mut s = format!(
        "processing {} · succeeded {} · errored {} · expired {}",
        c.processing, c.succeeded, c.errored, c.expired
    );
    if c.canceled > 0 {
        s.push_str(&format!(" · cancelled {}", c.canceled));
    }
    s
}

/// What the user sees of a run.
struct CliWatch {
    bar: ProgressBar,
    /// Asks on the terminal; `None` without one.
    ask: Option<Ask>,
    /// The running batch's id, for the second Ctrl+C's message.
    known: Arc<Mutex<Option<String>>>,
}

impl CliWatch {
    fn say(&self, line: &str) {
        // Above the bar when it is drawn; on stderr as a line when it is hidden.
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }
}

impl Watch for CliWatch {
    fn started(&mut self, batch: &MessageBatch, round: Round) {
        if let Ok(mut known) = self.known.lock() {
            *known = Some(batch.id.clone());
        }
        let total = batch.request_counts.total();
        let id = sanitize_line(&batch.id);
        let line = match round {
            Round::First => format!("batch {id}: {total} requests (Message Batches, batch price)"),
            Round::Retry => format!(
                "batch {id}: retrying {total} answers that broke the schema, with their errors"
            ),
        };
        self.say(&line);
        self.bar.set_length(total);
        self.bar.set_position(0);
    }

    fn polled(&mut self, batch: &MessageBatch) {
        let c = batch.request_counts;
        self.bar.set_length(c.total());
        self.bar.set_position(c.total() - c.processing);
        self.bar.set_message(counts(batch));
    }

    fn note(&mut self, text: &str) {
        self.say(&format!("note: {}", sanitize_line(text)));
    }

    fn line(&mut self, _line: &Line) {}

    async fn stopped(&mut self, batch_id: &str) -> StopChoice {
        let id = sanitize_line(batch_id);
        let Some(ask) = self.ask else {
            self.say(&format!(
                "interrupted: not a terminal, so the batch {id} is left running"
            ));
            return StopChoice::Leave;
        };
        // The bar would draw over the question: hidden until it is answered.
        let shown = !self.bar.is_hidden();
        self.bar.set_draw_target(ProgressDrawTarget::hidden());
        let question = format!(
            "Cancel batch {id} on the server? Finished requests keep their results \
             (n leaves it running)"
        );
        // The question reads the terminal, which blocks: off the runtime's threads.
        let yes = tokio::task::spawn_blocking(move || ask(&question))
            .await
            .unwrap_or(false);
        if shown {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if yes {
            self.say(&format!("cancelling batch {id}..."));
            StopChoice::Cancel
        } else {
            StopChoice::Leave
        }
    }
}

/// The flags that resume a batch the way it was started.
struct ResumeHint {
    args: Vec<String>,
}

impl ResumeHint {
    fn of(args: &ExtractArgs, method: Method) -> Self {
        let mut words = vec![
            "--schema".to_owned(),
            quote(&args.schema.display().to_string()),
            "--method".to_owned(),
            method.to_string(),
        ];
        if let Some(instructions) = &args.instructions {
            words.extend(["--instructions".to_owned(), quote(instructions)]);
        }
        if let Some(batch) = &args.batch {
            words.extend(["--batch".to_owned(), quote(&batch.display().to_string())]);
        }
        if let Some(output) = &args.output {
            words.extend(["--output".to_owned(), quote(&output.display().to_string())]);
        }
        ResumeHint { args: words }
    }

    fn command(&self, id: &str) -> String {
        sanitize_line(&format!(
            "chatterm extract --resume-batch {id} {}",
            self.args.join(" ")
        ))
        .into_owned()
    }
}

/// A word as a POSIX shell reads it back.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@+,".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn print_summary(summary: &Summary, extractor: &Extractor, output: Option<&Path>, took: Duration) {
    let mut err = std::io::stderr();
    let price = match extractor.pricing().batch_multiplier() {
        Some(m) => format!("batch price ({:.0}% off)", (1.0 - m) * 100.0),
        None => "batch discount unknown".to_owned(),
    };
    let _ = writeln!(
        err,
        "batch: {} · {} · {price} · {:.1} s",
        summary.counts_line(),
        summary.spend.line(),
        took.as_secs_f64()
    );
    if let Some(file) = output {
        let _ = writeln!(err, "results: {}", file.display());
    }
}

/// 0 when every input succeeded; else 130 if any was cancelled, 1 if any failed through
/// the API (errored or expired), else 2.
fn exit_code(summary: &Summary) -> i32 {
    let has = |kind| summary.failures.contains_key(kind);
    if summary.failed == 0 {
        0
    } else if has("cancelled") {
        EXIT_CANCELLED
    } else if has("api") || has("expired") {
        EXIT_API
    } else {
        EXIT_INVALID
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_words_survive_the_shell() {
        assert_eq!(quote("assets/x.json"), "assets/x.json");
        assert_eq!(quote("my file.jsonl"), "'my file.jsonl'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }
}
