//! How one request ended, as the engine reports it: what every front end folds into its
//! [`SessionAccount`](super::SessionAccount), so the TUI and print mode count the same way.
//!
//! The engine knows when a request ends (answered, failed, superseded by a retry or a
//! fallback, interrupted) and with what usage; a front end never infers it from the
//! updates around it. A request interrupted before its final usage came reports the
//! output tokens estimated from the text it streamed ([`estimate_output_tokens`]), marked
//! `usage_estimated`, since those tokens were generated and billed all the same.

use crate::api::Usage;
use crate::domain::Tier;

use super::session::Timing;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The model answered (a stop reason came).
    Answered,
    /// The request failed for good: the turn ends with its error.
    Failed,
    /// The request failed and the same model is asked again.
    Retried,
    /// The request failed and the next tier's model is asked instead.
    FellBack,
    /// The user cancelled it.
    Interrupted,
}

/// One ended request. `usage` is `None` when it failed before any usage was reported
/// (nothing was paid for); `cost_usd` is `None` then, or when the model has no price.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEnd {
    pub model: String,
    /// `None` for a model pinned by id.
    pub tier: Option<Tier>,
    pub usage: Option<Usage>,
    /// The output tokens are estimated from the streamed text (see the module doc).
    pub usage_estimated: bool,
    pub cost_usd: Option<f64>,
    pub outcome: Outcome,
    /// The request's figures when it answered.
    pub timing: Option<Timing>,
    /// Today's spend (since local midnight) in the usage ledger once this request was
    /// recorded; `None` without a ledger or when it could not be read.
    pub today_usd: Option<f64>,
}

/// About four characters a token: the rough rule for English text and code, rounded up so
/// a short text still counts a token.
pub fn estimate_output_tokens(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_is_four_characters_a_token_rounded_up() {
        assert_eq!(estimate_output_tokens(0), 0);
        assert_eq!(estimate_output_tokens(1), 1);
        assert_eq!(estimate_output_tokens(4), 1);
        assert_eq!(estimate_output_tokens(5), 2);
        assert_eq!(estimate_output_tokens(400), 100);
    }
}
