//! A batch of extractions through the Message Batches API, at the batch price.
//!
//! The model: where [`super::batch::run`] sends one Messages request per input, this
//! sends them all as one server-side batch ([`crate::api::batches`]) and waits:
//!
//! 1. Inputs that cannot be used (see [`super::batch::read_inputs`]) are written as failed
//!    lines at once; the others become one request each, under the custom id
//!    `in-INDEX-HASH` (HASH: 16 hex digits of the input's text, so a resumed batch is only
//!    matched with the inputs it was made from).
//! 2. The batch is polled on a growing interval ([`PollSchedule`]); each poll goes to the
//!    [`Watch`] (a progress bar). When `stop` fires while polling, the watch decides:
//!    cancel the batch on the server (the requests already processed keep their results,
//!    the rest end `cancelled`), or leave it running (the run ends with
//!    [`Ended::LeftRunning`], to be resumed by id).
//! 3. Once the batch has ended, its results are read line by line, each validated against
//!    the full schema like a one-off extraction ([`Extractor::judge`]) and written to the
//!    output as soon as it is read, so result lines come in the order the server sends
//!    them (each names its input's `index`). An answer that breaks the schema is held
//!    back for the retry round.
//! 4. Held-back answers go, with their validation errors, in a second, small batch
//!    (custom ids `re-INDEX-HASH`): the same corrected retry a one-off extraction makes
//!    ([`super::method::follow_up`]). Its results are final. No retry round follows a
//!    cancel.
//!
//! Money: every request is priced at the table's batch discount ([`Spend::add_batch`])
//! and recorded in the ledger, so `chatterm usage` counts it. Resuming a batch by id
//! starts at step 2 and writes only what that batch returns (the run that created it
//! wrote the unusable inputs already).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::batch::{Failure, Item, Line, Summary};
use super::report::Spend;
use super::run::{Extractor, Job};
use super::{Method, Schema, method};
use crate::api::batches::{BatchRequest, MessageBatch};
use crate::api::{ApiError, Message, MessageResponse};
use crate::sanitize::json_safe;

mod results;

/// How often a running batch is polled: `first`, then each wait `factor` times the last,
/// at most `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    pub first: Duration,
    pub factor: f64,
    pub max: Duration,
}

impl Default for PollSchedule {
    /// A second, growing to half a minute: quick for small batches, and a batch that
    /// takes an hour costs about 120 polls.
    fn default() -> Self {
        PollSchedule {
            first: Duration::from_secs(1),
            factor: 1.5,
            max: Duration::from_secs(30),
        }
    }
}

impl PollSchedule {
    fn next(&self, wait: Duration) -> Duration {
        wait.mul_f64(self.factor.max(1.0)).min(self.max)
    }
}

/// Which of the two batches a run is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// The inputs (or a batch resumed by id).
    First,
    /// The corrected retries of answers that broke the schema.
    Retry,
}

/// What to do when `stop` fires while a batch is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopChoice {
    /// Ask the server to cancel it, then collect what it finished.
    Cancel,
    /// Leave it running on the server and end the run ([`Ended::LeftRunning`]).
    Leave,
}

/// Who watches a run: a progress bar and the prompt that answers a stop.
pub trait Watch {
    /// A batch was created or resumed.
    fn started(&mut self, batch: &MessageBatch, round: Round);
    /// Its state after each poll.
    fn polled(&mut self, batch: &MessageBatch);
    /// Something the user should know (results read from another address, a broken line).
    fn note(&mut self, text: &str);
    /// A result line was written.
    fn line(&mut self, line: &Line);
    /// `stop` fired while `batch_id` was running.
    fn stopped(&mut self, batch_id: &str) -> impl Future<Output = StopChoice>;
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// Every result was read and written.
    Done(Summary),
    /// The user left the batch running; `summary` covers what was written before.
    LeftRunning { id: String, summary: Summary },
}

/// Why a run stopped short. `id` is the batch on the server, when there is one: it may
/// still be running, and can be resumed.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("creating the batch failed: {0}")]
    Create(ApiError),
    #[error("batch {id}: {error}")]
    Server { id: String, error: ApiError },
    #[error("cannot write the results: {0}")]
    Write(#[from] std::io::Error),
}

impl BatchError {
    /// The batch the error concerns, if one exists on the server.
    pub fn batch_id(&self) -> Option<&str> {
        match self {
            BatchError::Server { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// A run's settings.
pub struct ViaBatches<'a> {
    pub extractor: &'a Extractor,
    pub schema: Arc<Schema>,
    pub method: Method,
    pub instructions: Option<String>,
    pub poll: PollSchedule,
}

/// An answer held back for the retry round.
struct Held {
    index: usize,
    label: String,
    text: String,
    answer: MessageResponse,
    errors: Vec<String>,
    /// What the first answer cost, added to the final line's spend.
    spend: Spend,
}

/// What a run carries from step to step.
struct State<'w, W, S> {
    out: &'w mut W,
    watch: &'w mut S,
    summary: Summary,
    held: Vec<Held>,
    /// First-round spends of the inputs being retried, by index.
    carried: std::collections::HashMap<usize, Spend>,
    /// The user cancelled: no retry round.
    cancelled: bool,
}

impl<W: Write, S: Watch> State<'_, W, S> {
    fn write(&mut self, mut line: Line) -> Result<(), BatchError> {
        if let Some(spend) = self.carried.remove(&line.index) {
            line.spend.merge(&spend);
        }
        let text = serde_json::to_string(&line.to_json()).map_err(std::io::Error::from)?;
        writeln!(self.out, "{}", json_safe(&text))?;
        self.out.flush()?;
        self.summary.count(&line);
        self.watch.line(&line);
        Ok(())
    }
}

/// `in-INDEX-HASH` or `re-INDEX-HASH` (see the module docs).
fn custom_id(round: Round, index: usize, text: &str) -> String {
    let prefix = match round {
        Round::First => "in",
        Round::Retry => "re",
    };
    format!("{prefix}-{index}-{:016x}", text_hash(text))
}

/// FNV-1a of the text: stable across versions and platforms, unlike std's hasher.
fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The round, index and input text a custom id names, the text only when `items` holds
/// the very input it was made from.
fn parse_custom_id<'i>(id: &str, items: &'i [Item]) -> Option<(Round, usize, Option<&'i str>)> {
    let mut parts = id.splitn(3, '-');
    let round = match parts.next()? {
        "in" => Round::First,
        "re" => Round::Retry,
        _ => return None,
    };
    let index: usize = parts.next()?.parse().ok()?;
    let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
    let text = items
        .get(index)
        .and_then(|item| item.input.as_deref().ok())
        .filter(|text| text_hash(text) == hash);
    Some((round, index, text))
}

impl ViaBatches<'_> {
    fn job(&self, input: &str) -> Job {
        Job {
            schema: Arc::clone(&self.schema),
            input: input.to_owned(),
            instructions: self.instructions.clone(),
            method: self.method,
        }
    }

    fn request(&self, custom_id: String, messages: &[Message], model: String) -> BatchRequest {
        let job = self.job("");
        let mut params = self.extractor.request(&job, messages, model);
        params.stream = false;
        BatchRequest { custom_id, params }
    }

    /// Runs the batch of `items` (or resumes the batch `resume`), writing result lines to
    /// `out` as they are read. See the module docs for the steps.
    pub async fn run<W: Write, S: Watch>(
        &self,
        items: &[Item],
        resume: Option<&str>,
        out: &mut W,
        watch: &mut S,
        stop: &CancellationToken,
    ) -> Result<Ended, BatchError> {
        let mut state = State {
            out,
            watch,
            summary: Summary::default(),
            held: Vec::new(),
            carried: Default::default(),
            cancelled: false,
        };
        let client = self.extractor.client();
        let mut batch = match resume {
            Some(id) => client
                .retrieve_batch(id)
                .await
                .map_err(|error| BatchError::Server {
                    id: id.to_owned(),
                    error,
                })?,
            None => match self.create_first(items, &mut state).await? {
                Some(batch) => batch,
                None => return Ok(Ended::Done(state.summary)),
            },
        };
        state.watch.started(&batch, Round::First);
        loop {
            let ended = match self.wait(batch, &mut state, stop).await? {
                Waited::Ended(batch) => batch,
                Waited::Left(id) => {
                    return Ok(Ended::LeftRunning {
                        id,
                        summary: state.summary,
                    });
                }
            };
            self.collect(&ended, items, &mut state).await?;
            if state.held.is_empty() || state.cancelled {
                self.give_up_held(&mut state)?;
                return Ok(Ended::Done(state.summary));
            }
            batch = self.create_retry(&mut state).await?;
            state.watch.started(&batch, Round::Retry);
        }
    }

    /// Writes the unusable inputs and creates the first batch from the rest; `None` when
    /// no input is usable.
    async fn create_first<W: Write, S: Watch>(
        &self,
        items: &[Item],
        state: &mut State<'_, W, S>,
    ) -> Result<Option<MessageBatch>, BatchError> {
        let mut requests = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match &item.input {
                Ok(text) => {
                    let id = custom_id(Round::First, index, text);
                    let messages = [Message::user_text(text)];
                    requests.push(self.request(id, &messages, self.extractor.model().to_owned()));
                }
                Err(message) => state.write(Line {
                    index,
                    label: item.label.clone(),
                    outcome: Err(failure("input", message.clone())),
                    spend: Spend::default(),
                })?,
            }
        }
        if requests.is_empty() {
            return Ok(None);
        }
        let client = self.extractor.client();
        client
            .create_batch(&requests)
            .await
            .map(Some)
            .map_err(BatchError::Create)
    }

    /// The second batch: each held answer sent back with its errors.
    async fn create_retry<W: Write, S: Watch>(
        &self,
        state: &mut State<'_, W, S>,
    ) -> Result<MessageBatch, BatchError> {
        let held = std::mem::take(&mut state.held);
        let mut requests = Vec::with_capacity(held.len());
        for h in &held {
            let mut messages = vec![Message::user_text(&h.text)];
            messages.extend(method::follow_up(
                self.method,
                &self.schema,
                &h.answer,
                &h.errors,
            ));
            let model = if h.answer.model.is_empty() {
                self.extractor.model().to_owned()
            } else {
                h.answer.model.clone()
            };
            let id = custom_id(Round::Retry, h.index, &h.text);
            requests.push(self.request(id, &messages, model));
        }
        match self.extractor.client().create_batch(&requests).await {
            Ok(batch) => {
                for h in held {
                    state.carried.insert(h.index, h.spend);
                }
                Ok(batch)
            }
            Err(e) => {
                // The first answers are not lost: they are written as the invalid results
                // they are, with the reason the retry could not be sent.
                state.held = held;
                let note = format!("the retry batch could not be created: {e}");
                state.watch.note(&note);
                self.give_up_held(state)?;
                Err(BatchError::Create(e))
            }
        }
    }

    /// Writes every held answer as an invalid result (no retry round will come).
    fn give_up_held<W: Write, S: Watch>(
        &self,
        state: &mut State<'_, W, S>,
    ) -> Result<(), BatchError> {
        for h in std::mem::take(&mut state.held) {
            state.write(Line {
                index: h.index,
                label: h.label,
                outcome: Err(Failure {
                    kind: "invalid",
                    message: "the result does not match the schema (no corrected retry was made)"
                        .into(),
                    errors: h.errors,
                }),
                spend: h.spend,
            })?;
        }
        Ok(())
    }

    /// Polls until the batch ends (`Ended`) or the user leaves it running (`Left`).
    async fn wait<W: Write, S: Watch>(
        &self,
        mut batch: MessageBatch,
        state: &mut State<'_, W, S>,
        stop: &CancellationToken,
    ) -> Result<Waited, BatchError> {
        let client = self.extractor.client();
        let server = |id: &str| {
            let id = id.to_owned();
            move |error| BatchError::Server { id, error }
        };
        let mut wait = self.poll.first;
        let mut asked = false;
        loop {
            state.watch.polled(&batch);
            if batch.is_ended() {
                return Ok(Waited::Ended(batch));
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.cancelled(), if !asked => {
                    asked = true;
                    match state.watch.stopped(&batch.id).await {
                        StopChoice::Leave => return Ok(Waited::Left(batch.id)),
                        StopChoice::Cancel => {
                            state.cancelled = true;
                            batch = client.cancel_batch(&batch.id).await.map_err(server(&batch.id))?;
                            continue;
                        }
                    }
                }
            }
            wait = self.poll.next(wait);
            batch = client
                .retrieve_batch(&batch.id)
                .await
                .map_err(server(&batch.id))?;
        }
    }
}

enum Waited {
    Ended(MessageBatch),
    Left(String),
}

fn failure(kind: &'static str, message: String) -> Failure {
    Failure {
        kind,
        message,
        errors: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(text: &str) -> Item {
        Item {
            label: format!("label {text}"),
            input: Ok(text.to_owned()),
        }
    }

    #[test]
    fn custom_ids_name_the_round_index_and_the_very_input() {
        let items = [item("first"), item("second")];
        let id = custom_id(Round::First, 1, "second");
        assert!(id.starts_with("in-1-") && id.len() == 21, "{id}");
        assert!(
            crate::api::batches::check_batch_id(&id).is_ok(),
            "API pattern"
        );
        assert_eq!(
            parse_custom_id(&id, &items),
            Some((Round::First, 1, Some("second")))
        );
        let retry = custom_id(Round::Retry, 0, "first");
        assert_eq!(
            parse_custom_id(&retry, &items),
            Some((Round::Retry, 0, Some("first")))
        );
        // Another file at the same index, or no file: no text, so no retry.
        let changed = [item("first"), item("changed")];
        assert_eq!(
            parse_custom_id(&id, &changed),
            Some((Round::First, 1, None))
        );
        assert_eq!(parse_custom_id(&id, &[]), Some((Round::First, 1, None)));
        for foreign in ["x-1-00", "in-one-00", "in-1", "in-1-zz"] {
            assert_eq!(parse_custom_id(foreign, &items), None, "{foreign}");
        }
    }

    #[test]
    fn polls_grow_to_the_cap() {
        let p = PollSchedule::default();
        let mut wait = p.first;
        let mut waits = vec![wait];
        for _ in 0..12 {
            wait = p.next(wait);
            waits.push(wait);
        }
        assert_eq!(waits[1], Duration::from_millis(1500));
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), Duration::from_secs(30));
    }
}
