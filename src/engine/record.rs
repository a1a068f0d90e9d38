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
use crate::api::{ContentBlock, Usage};
use crate::cost::LedgerEntry;
use crate::cost::day::now_ms;
use crate::cost::session::estimate_output_tokens;

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

/// The usage to record for a request the user interrupted: its final usage never came, so
/// the running figure (~1 output token from `message_start`) is raised to an estimate from
/// what streamed, and the ledger never counts less than was paid for.
pub(super) fn interrupted_usage(usage: &Usage, streamed: &[ContentBlock]) -> Usage {
    let chars: usize = streamed
        .iter()
        .map(|block| match block {
            ContentBlock::Text(t) => t.text.chars().count(),
            ContentBlock::Thinking(t) => t.thinking.chars().count(),
            ContentBlock::ToolUse(t) => t.input.to_string().chars().count(),
            _ => 0,
        })
        .sum();
    let mut usage = usage.clone();
    usage.output_tokens = usage.output_tokens.max(estimate_output_tokens(chars));
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_request_records_the_text_that_streamed() {
        let streamed = [ContentBlock::text("x".repeat(400))];
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 1,
            ..Usage::default()
        };
        let recorded = interrupted_usage(&usage, &streamed);
        assert_eq!((recorded.input_tokens, recorded.output_tokens), (10, 100));
        let more = Usage {
            output_tokens: 500,
            ..usage
        };
        assert_eq!(interrupted_usage(&more, &streamed).output_tokens, 500);
    }
}
