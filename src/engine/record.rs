//! Recording each request in the usage ledger, at the point where the request ends.
//!
//! One entry per request that produced usage: a finished answer, and also an attempt that
//! failed, was cancelled or was superseded by a retry or fallback after `message_start`
//! (its prompt was paid for). An attempt that failed before any usage has no entry. Each
//! round of a tool loop is its own request, so this is called per request, not per turn.
//!
//! The entry is written before the turn reports anything that follows the request, so a
//! front end that reads today's spend on `TurnFinished`, `Error` or the next `Connected`
//! finds the request in it. A ledger that fails to write becomes a notice: the answer still
//! goes through, the user is told its cost is missing from the totals.

use tokio::time::Instant;

use super::Update;
use super::attempts::Candidate;
use super::turn::TurnContext;
use crate::api::Usage;
use crate::cost::LedgerEntry;
use crate::cost::day::now_ms;

/// Records one ended request sent to `candidate` at `sent`, with the usage it reported
/// (`None`: nothing to record).
pub(super) fn request_ended(
    ctx: &TurnContext<'_>,
    candidate: &Candidate,
    fell_back: bool,
    sent: Instant,
    usage: Option<&Usage>,
) {
    let (Some(ledger), Some(usage)) = (ctx.ledger, usage) else {
        return;
    };
    let entry = LedgerEntry {
        at_ms: now_ms(),
        conversation: ctx.journal.map(|t| t.conversation.clone()),
        model: candidate.model.clone(),
        tier: candidate.tier,
        usage: usage.clone(),
        cost_usd: ctx.pricing.cost(&candidate.model, usage),
        latency_ms: u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX),
        fell_back,
    };
    if let Err(e) = ledger.record(&entry) {
        let _ = ctx.updates.send(Update::Notice {
            turn: Some(ctx.turn),
            text: format!("{e}: this request's cost is missing from today's total"),
        });
    }
}
