//! The async driver of one request of a turn: attempts, streaming, updates, cancellation.
//!
//! [`request`] sends the request to the current candidate model, folds the stream with the
//! [`Accumulator`] and forwards each visible change as an [`Update`]. When an attempt fails
//! it asks [`Attempts`] what to do and carries the decision out (reporting `Retrying` or
//! `FellBack` first). Every wait and every read races the cancellation token, so a cancel
//! drops the in-flight HTTP request (closing its connection) immediately.
//!
//! "Content shown" means visible content ([`Accumulator::has_visible_content`]): a text,
//! thinking or tool-input delta, or a closed block. Until then the block starts of an
//! attempt are held back, so an attempt that stalls or drops after an empty
//! `content_block_start` has shown nothing anywhere and is retried like a stall before the
//! first byte; once something is visible the attempt is never sent again.
//!
//! Block ids: the API numbers content blocks from 0 in every request, so the indices of a
//! tool round's answer repeat the previous round's. Each attempt adds its block indices to
//! a base past every id the turn has used ([`TurnContext::next_block`]), so a block update's
//! `index` names one block for the whole turn and a front end maps it to what it shows
//! without knowing the stream's layout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::attempts::{Attempts, Decision};
use super::journal::{Checkpoint, JournalTarget};
use super::record::{self, Ended};
use super::{TurnId, TurnStats, Update};
use crate::api::{ApiError, Client, MessageResponse, MessagesRequest};
use crate::cost::day::LocalTime;
use crate::cost::session::Timing;
use crate::cost::{Ledger, Outcome, Pricing, cost_usd};
use crate::stream::{Accumulator, StreamError, StreamUpdate};

/// A request that failed for good (after its retries and fallbacks), or was cancelled;
/// `partial` is what had been shown, if anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub error: ApiError,
    pub partial: Option<MessageResponse>,
}

/// What a turn needs besides its request.
pub struct TurnContext<'a> {
    pub turn: TurnId,
    pub client: &'a Client,
    pub pricing: &'a Pricing,
    pub updates: &'a UnboundedSender<Update>,
    pub cancel: &'a CancellationToken,
    /// Where each request's usage is recorded (see `record.rs`); `None` records nothing.
    pub ledger: Option<&'a dyn Ledger>,
    /// Where "today" begins for the spend `RequestEnded` reports.
    pub local: LocalTime,
    /// Where the streaming answer is checkpointed (none without a store).
    pub journal: Option<&'a JournalTarget>,
    /// The first block id no request of the turn has used yet (see the module doc).
    pub next_block: AtomicUsize,
}

impl TurnContext<'_> {
    pub fn emit(&self, update: Update) {
        // A closed channel means the front end is gone; the turn still ends cleanly.
        let _ = self.updates.send(update);
    }
}

/// One failed attempt: the error and what had streamed before it.
struct AttemptFailure {
    error: ApiError,
    acc: Accumulator,
}

/// Sends one request of the turn until it is answered or fails for good. The request's
/// `model` is replaced per attempt. Reports `Retrying` and `FellBack`; the caller reports
/// how the turn ends (`TurnFinished` or `Error`).
pub async fn request(
    ctx: &TurnContext<'_>,
    request: &mut MessagesRequest,
    attempts: &mut Attempts,
) -> Result<(MessageResponse, TurnStats), Failed> {
    loop {
        let (candidate, fell_back) = (attempts.current().clone(), attempts.fell_back());
        request.model = candidate.model.clone();
        let sent = Instant::now();
        let failure = match attempt(ctx, request, candidate.tier).await {
            Ok((message, stats)) => {
                let end = answered(&message, &stats);
                record::request_ended(ctx, &candidate, fell_back, sent, end);
                return Ok((message, stats));
            }
            Err(f) => f,
        };
        let content_seen = failure.acc.has_visible_content();
        let decision = attempts.on_failure(&failure.error, content_seen, rand::random::<f64>());
        let end = failed(&failure, &decision);
        record::request_ended(ctx, &candidate, fell_back, sent, end);
        match decision {
            Decision::Retry { wait, attempt, max } => {
                ctx.emit(Update::Retrying {
                    turn: ctx.turn,
                    attempt,
                    max,
                    wait,
                    reason: failure.error.short(),
                });
                if !sleep_unless_cancelled(ctx.cancel, wait).await {
                    return Err(Failed {
                        error: ApiError::Cancelled,
                        partial: None,
                    });
                }
            }
            Decision::FallBack { from, to } => ctx.emit(Update::FellBack {
                turn: ctx.turn,
                from: from.label(),
                to: to.label(),
                reason: failure.error.short(),
            }),
            Decision::GiveUp => {
                let partial = content_seen.then(|| failure.acc.into_partial());
                return Err(Failed {
                    error: failure.error,
                    partial,
                });
            }
        }
    }
}

/// How a failed attempt ended, given what the attempts decided, and what it left.
fn failed<'a>(failure: &'a AttemptFailure, decision: &Decision) -> Ended<'a> {
    let outcome = match (&failure.error, decision) {
        (ApiError::Cancelled, _) => Outcome::Interrupted,
        (_, Decision::Retry { .. }) => Outcome::Retried,
        (_, Decision::FallBack { .. }) => Outcome::FellBack,
        (_, Decision::GiveUp) => Outcome::Failed,
    };
    Ended {
        outcome,
        usage: failure.acc.usage(),
        message: Some(failure.acc.message()),
        timing: None,
    }
}

/// How an answered request ended: its answer and its figures.
fn answered<'a>(message: &'a MessageResponse, stats: &TurnStats) -> Ended<'a> {
    Ended {
        outcome: Outcome::Answered,
        usage: Some(&message.usage),
        message: Some(message),
        timing: Some(Timing {
            time_to_first_token: stats.time_to_first_token,
            total: Some(stats.total),
            output_tokens_per_sec: stats.output_tokens_per_sec,
        }),
    }
}

/// Sleeps for `wait`; false when cancelled first.
async fn sleep_unless_cancelled(cancel: &CancellationToken, wait: Duration) -> bool {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}

/// One request: send, stream, fold. Errors carry the accumulator so a partial answer
/// survives the failure.
async fn attempt(
    ctx: &TurnContext<'_>,
    request: &MessagesRequest,
    tier: Option<crate::config::Tier>,
) -> Result<(MessageResponse, TurnStats), AttemptFailure> {
    let started = Instant::now();
    let fail = |error, acc| AttemptFailure { error, acc };
    let opened = tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => Err(ApiError::Cancelled),
        r = ctx.client.stream(request) => r,
    };
    let mut events = opened.map_err(|e| fail(e, Accumulator::new()))?;
    ctx.emit(Update::Connected {
        turn: ctx.turn,
        model: request.model.clone(),
        tier,
        request_id: events.meta().request_id.clone(),
        rate_limits: events.meta().rate_limits.clone(),
    });
    let mut acc = Accumulator::new();
    let mut first_token: Option<Instant> = None;
    let mut out = Vec::new();
    // Block starts held back until something visible arrives (see the module doc).
    let mut held: Vec<Update> = Vec::new();
    let mut checkpoint = ctx.journal.map(Checkpoint::new);
    let blocks = ctx.next_block.load(Ordering::Relaxed);
    loop {
        let next = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Some(Err(ApiError::Cancelled)),
            // The stream went quiet with unsaved content: save it now.
            () = due(checkpoint.as_ref()) => {
                if let Some(c) = &mut checkpoint {
                    c.save(&acc);
                }
                continue;
            }
            e = events.next_event() => e,
        };
        let event = match next {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => return Err(fail(e, acc)),
        };
        if first_token.is_none() && event.is_content() {
            first_token = Some(Instant::now());
        }
        if let Err(e) = acc.apply(event, &mut out) {
            let error = stream_error(e, events.meta().request_id.clone());
            return Err(fail(error, acc));
        }
        emit_shown(
            ctx,
            (&request.model, blocks),
            &mut out,
            &mut held,
            acc.has_visible_content(),
        );
        if let Some(c) = &mut checkpoint {
            c.note(&acc);
        }
    }
    if !acc.is_complete() {
        return Err(fail(ApiError::UnexpectedEof, acc));
    }
    let message = acc.finish();
    let stats = stats(started, first_token, message.usage.output_tokens);
    Ok((message, stats))
}

/// Reports an event's updates, holding block starts back while nothing is `visible`.
fn emit_shown(
    ctx: &TurnContext<'_>,
    (model, blocks): (&str, usize),
    out: &mut Vec<StreamUpdate>,
    held: &mut Vec<Update>,
    visible: bool,
) {
    for u in out.drain(..) {
        match to_update(ctx, model, blocks, u) {
            Some(update @ Update::BlockStarted { .. }) if !visible => held.push(update),
            Some(update) => {
                if visible {
                    held.drain(..).for_each(|h| ctx.emit(h));
                }
                ctx.emit(update);
            }
            None => {}
        }
    }
}

/// When the checkpoint wants a save; never without one.
async fn due(checkpoint: Option<&Checkpoint<'_>>) {
    match checkpoint {
        Some(c) => c.due().await,
        None => std::future::pending().await,
    }
}

fn stream_error(e: StreamError, request_id: Option<String>) -> ApiError {
    match e {
        StreamError::Api(err) => ApiError::Stream {
            kind: err.kind,
            message: err.message,
            request_id,
        },
        StreamError::Protocol(msg) => ApiError::Protocol(msg),
    }
}

fn stats(started: Instant, first_token: Option<Instant>, output_tokens: u64) -> TurnStats {
    let end = Instant::now();
    let streaming = first_token.map(|t| end.duration_since(t).as_secs_f64());
    TurnStats {
        time_to_first_token: first_token.map(|t| t.duration_since(started)),
        total: end.duration_since(started),
        output_tokens_per_sec: streaming
            .filter(|s| *s > 0.0 && output_tokens > 0)
            .map(|s| output_tokens as f64 / s),
    }
}

/// The engine's view of a stream update; `None` for ones the turn reports itself
/// (start and finish are covered by `Connected` and `TurnFinished`). Block indices become
/// turn-wide ids past the attempt's base `blocks` (see the module doc).
fn to_update(ctx: &TurnContext<'_>, model: &str, blocks: usize, u: StreamUpdate) -> Option<Update> {
    let turn = ctx.turn;
    Some(match u {
        StreamUpdate::Started { .. } | StreamUpdate::Finished { .. } => return None,
        StreamUpdate::BlockStarted { index, block } => {
            let index = blocks + index;
            ctx.next_block.fetch_max(index + 1, Ordering::Relaxed);
            Update::BlockStarted { turn, index, block }
        }
        StreamUpdate::TextDelta { index, text } => Update::TextDelta {
            turn,
            index: blocks + index,
            text,
        },
        StreamUpdate::ThinkingDelta { index, text } => Update::ThinkingDelta {
            turn,
            index: blocks + index,
            text,
        },
        StreamUpdate::ToolInputDelta {
            index,
            id,
            partial_json,
        } => Update::ToolInputDelta {
            turn,
            index: blocks + index,
            id,
            partial_json,
        },
        StreamUpdate::ToolInputInvalid { index, id, error } => Update::ToolInputInvalid {
            turn,
            index: blocks + index,
            id,
            error,
        },
        StreamUpdate::BlockFinished { index, block } => Update::BlockFinished {
            turn,
            index: blocks + index,
            block,
        },
        StreamUpdate::Usage(usage) => Update::Usage {
            turn,
            model: model.to_owned(),
            cost_usd: ctx.pricing.price(model).map(|p| cost_usd(p, &usage)),
            usage,
        },
    })
}
