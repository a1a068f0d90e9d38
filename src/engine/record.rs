//! Where a request ends: its usage recorded in the usage ledger, and the end reported to
//! the front ends as [`Update::RequestEnded`].
//!
//! Every request that was sent ends here exactly once: a finished answer, an attempt that
//! failed, was cancelled or was superseded by a retry or fallback, a compaction summary.
//! Each round of a tool loop is its own request, so this is called per request, not per
//! turn. The ledger gets one entry per request that produced usage (its prompt was paid
//! for); an attempt that failed before any usage has no entry, but is still reported.
//!
//! The entry is written, and today's spend read back, before the update goes out, and the
//! update goes out before anything that follows the request (`Retrying`, `FellBack`, the
//! next `Connected`, `TurnFinished`, `Error`): a front end learns the spend from the update
//! and never reads the ledger back. A ledger that fails to write or read becomes a notice:
//! the answer still goes through, the user is told the total may be incomplete.
//!
//! A request the user interrupted before its final usage came reports its output tokens
//! estimated from the text it streamed (`cost::estimate_output_tokens`), marked
//! `usage_estimated`; the ledger keeps the usage the API reported.

use tokio::time::Instant;

use super::Update;
use super::attempts::Candidate;
use super::turn::TurnContext;
use crate::api::answered::answering_model;
use crate::api::{ContentBlock, MessageResponse, Usage};
use crate::cost::day::now_ms;
use crate::cost::session::Timing;
use crate::cost::{LedgerEntry, Outcome, RequestEnd, estimate_output_tokens};

/// How a request ended, and what it left.
pub(super) struct Ended<'a> {
    pub outcome: Outcome,
    /// The usage the stream reported (`None`: none came).
    pub usage: Option<&'a Usage>,
    /// The answer, or what had streamed of it: the estimate's text.
    pub message: Option<&'a MessageResponse>,
    pub timing: Option<Timing>,
}

/// Records one ended request sent to `candidate` at `sent` and reports it.
pub(super) fn request_ended(
    ctx: &TurnContext<'_>,
    candidate: &Candidate,
    fell_back: bool,
    sent: Instant,
    ended: Ended<'_>,
) {
    let (usage, usage_estimated) = final_usage(&ended);
    // Labelled and priced by the model that answered, which the stream names.
    let model = match ended.message {
        Some(m) => answering_model(&candidate.model, m).to_owned(),
        None => candidate.model.clone(),
    };
    let answered = Candidate {
        model,
        tier: candidate.tier,
    };
    // The ledger gets the estimate too: today's spend never counts less than was paid for.
    let today_usd = record(ctx, &answered, fell_back, sent, usage.as_ref());
    let cost_usd = usage
        .as_ref()
        .and_then(|u| ctx.pricing.answer_cost(&answered.model, u));
    ctx.emit(Update::RequestEnded {
        turn: ctx.turn,
        request: RequestEnd {
            model: answered.model.clone(),
            tier: candidate.tier,
            usage,
            usage_estimated,
            cost_usd,
            outcome: ended.outcome,
            timing: ended.timing,
            today_usd,
        },
    });
}

/// The usage to report: as the API said, or, for a request interrupted before its final
/// usage (no stop reason came with it), with the output estimated from the streamed text.
fn final_usage(ended: &Ended<'_>) -> (Option<Usage>, bool) {
    let mut usage = ended.usage.cloned();
    let cut_short = ended.outcome == Outcome::Interrupted
        && ended.message.is_none_or(|m| m.stop_reason.is_none());
    let Some(u) = usage.as_mut().filter(|_| cut_short) else {
        return (usage, false);
    };
    let chars = ended.message.map_or(0, streamed_chars);
    u.output_tokens = u.output_tokens.max(estimate_output_tokens(chars));
    (usage, true)
}

/// The characters the model generated in `message`: text, thinking and tool input (all
/// of them output tokens).
fn streamed_chars(message: &MessageResponse) -> usize {
    let chars = |b: &ContentBlock| match b {
        ContentBlock::Text(t) => t.text.chars().count(),
        ContentBlock::Thinking(t) => t.thinking.chars().count(),
        ContentBlock::ToolUse(t) => t.input.to_string().chars().count(),
        _ => 0,
    };
    message.content.iter().map(chars).sum()
}

/// Writes the ledger entry (when there is a ledger and usage) and reads today's spend
/// back; `None` without a ledger or when it cannot be read.
fn record(
    ctx: &TurnContext<'_>,
    candidate: &Candidate,
    fell_back: bool,
    sent: Instant,
    usage: Option<&Usage>,
) -> Option<f64> {
    let ledger = ctx.ledger?;
    if let Some(usage) = usage {
        let entry = LedgerEntry {
            at_ms: now_ms(),
            conversation: ctx.journal.map(|t| t.conversation.clone()),
            model: candidate.model.clone(),
            tier: candidate.tier,
            usage: usage.clone(),
            cost_usd: ctx.pricing.answer_cost(&candidate.model, usage),
            latency_ms: u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX),
            fell_back,
        };
        if let Err(e) = ledger.record(&entry) {
            ctx.emit(Update::Notice {
                turn: Some(ctx.turn),
                text: format!("{e}: this request's cost is missing from today's total"),
            });
        }
    }
    match ledger.spent_since(ctx.local.midnight_ms(now_ms())) {
        Ok(usd) => Some(usd),
        Err(e) => {
            ctx.emit(Update::Notice {
                turn: Some(ctx.turn),
                text: format!("{e}: today's spend may be incomplete"),
            });
            None
        }
    }
}
