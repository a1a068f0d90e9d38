//! What an extraction reports: live [`Progress`], and at the end a [`Report`] with the
//! validated value or an [`ExtractError`], and what it cost ([`Spend`]).

use serde_json::Value;

use super::Method;
use crate::api::{ApiError, Usage};
use crate::cost::{Pricing, cost_usd, format_usd, group};
use crate::engine::Update;

/// Exit status: the API or the network failed.
pub const EXIT_API: i32 = 1;
/// Exit status: no valid JSON (after the retry), a refusal, a max_tokens stop, bad usage.
pub const EXIT_INVALID: i32 = 2;
/// Exit status after Ctrl+C.
pub const EXIT_CANCELLED: i32 = 130;

/// Why an extraction gave no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// The request failed after the engine's retries and fallbacks.
    #[error("{0}")]
    Api(ApiError),
    /// The answer broke the schema, and so did the corrected one.
    #[error("the result does not match the schema after one corrected retry")]
    Invalid { errors: Vec<String> },
    /// `stop_reason: "refusal"`; `text` is what the model said, if anything.
    #[error("the model declined to answer (stop reason: refusal)")]
    Refusal { text: String },
    /// `stop_reason: "max_tokens"`: the JSON was cut off.
    #[error("the answer was cut off at max_tokens ({max_tokens}); raise --max-tokens")]
    MaxTokens { max_tokens: u32 },
    #[error("cancelled")]
    Cancelled,
}

impl ExtractError {
    /// A stable name for machine-readable output: `api`, `invalid`, `refusal`,
    /// `max_tokens`, `cancelled`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Api(_) => "api",
            Self::Invalid { .. } => "invalid",
            Self::Refusal { .. } => "refusal",
            Self::MaxTokens { .. } => "max_tokens",
            Self::Cancelled => "cancelled",
        }
    }

    /// The process exit status for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Api(_) => EXIT_API,
            Self::Cancelled => EXIT_CANCELLED,
            _ => EXIT_INVALID,
        }
    }
}

/// A live event of a running extraction. `attempt` is 1, or 2 for the corrected retry.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// An attempt began; a live view starts its JSON afresh.
    AttemptStarted {
        attempt: u32,
        model: String,
        method: Method,
    },
    /// A fragment of the JSON as it streams (answer text for native, tool input for tool);
    /// feed them to [`crate::stream::PartialJson`] for a live view.
    JsonDelta { attempt: u32, fragment: String },
    /// The attempt's JSON failed validation; the errors go back to the model (after
    /// attempt 1) or end the extraction (after attempt 2).
    Rejected { attempt: u32, errors: Vec<String> },
    /// Everything the engine reports for the attempt's turn: retries, fallbacks, usage.
    /// (Boxed: an engine update is much larger than the other events.)
    Engine { attempt: u32, update: Box<Update> },
}

/// Tokens and money over one or more requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spend {
    pub requests: u32,
    /// The requests' usage, summed.
    pub usage: Usage,
    /// The cost of the requests whose model has a known price.
    pub cost_usd: f64,
    /// Requests to a model without a known price (not in `cost_usd`).
    pub unpriced_requests: u32,
}

impl Spend {
    /// Adds one request's usage, priced for `model`.
    pub fn add(&mut self, model: &str, usage: &Usage, pricing: &Pricing) {
        self.requests += 1;
        self.usage += usage;
        match pricing.price(model) {
            Some(price) => self.cost_usd += cost_usd(price, usage),
            None => self.unpriced_requests += 1,
        }
    }

    /// Adds one request sent through the Message Batches API, priced at the table's
    /// batch discount (unpriced when the model or the discount is unknown); returns its
    /// cost, for the ledger.
    pub fn add_batch(&mut self, model: &str, usage: &Usage, pricing: &Pricing) -> Option<f64> {
        self.requests += 1;
        self.usage += usage;
        let cost = pricing
            .price(model)
            .zip(pricing.batch_multiplier())
            .map(|(price, multiplier)| cost_usd(price, usage) * multiplier);
        match cost {
            Some(c) => self.cost_usd += c,
            None => self.unpriced_requests += 1,
        }
        cost
    }

    pub fn merge(&mut self, other: &Spend) {
        self.requests += other.requests;
        self.usage += &other.usage;
        self.cost_usd += other.cost_usd;
        self.unpriced_requests += other.unpriced_requests;
    }

    /// "2 requests · input 1,204 · cache write 0 · cache read 0 · output 310 · $0.0052".
    pub fn line(&self) -> String {
        let plural = if self.requests == 1 { "" } else { "s" };
        let cost = match (self.unpriced_requests, self.requests) {
            (0, _) => format_usd(self.cost_usd),
            (n, all) if n == all => "price unknown".to_owned(),
            (n, _) => format!("{} + {n} unpriced", format_usd(self.cost_usd)),
        };
        format!(
            "{} request{plural} · input {} · cache write {} · cache read {} · output {} · {cost}",
            self.requests,
            group(self.usage.input_tokens),
            group(self.usage.cache_creation_input_tokens),
            group(self.usage.cache_read_input_tokens),
            group(self.usage.output_tokens),
        )
    }
}

/// How an extraction ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The value, valid against the full schema, or why there is none.
    pub result: Result<Value, ExtractError>,
    pub method: Method,
    /// The model that gave the last answer, if any answered.
    pub model: Option<String>,
    /// 1, or 2 when a corrected retry was needed.
    pub attempts: u32,
    pub spend: Spend,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::ModelPrice;

    #[test]
    fn spend_adds_priced_and_counts_unpriced_requests() {
        let mut pricing = Pricing::default();
        pricing.with_override("m", ModelPrice::standard(3.0, 15.0));
        let usage = Usage {
            input_tokens: 1000,
            output_tokens: 100,
            ..Usage::default()
        };
        let mut s = Spend::default();
        s.add("m", &usage, &pricing);
        s.add("m", &usage, &pricing);
        assert_eq!(
            (s.requests, s.usage.input_tokens, s.usage.output_tokens),
            (2, 2000, 200)
        );
        // 2 x (1000 x 3 + 100 x 15) / 1e6 = 0.009
        assert!((s.cost_usd - 0.009).abs() < 1e-12);
        assert_eq!(
            s.line(),
            "2 requests · input 2,000 · cache write 0 · cache read 0 · output 200 · $0.0090"
        );
        let mut other = Spend::default();
        other.add("unknown", &usage, &pricing);
        assert!(other.line().ends_with("price unknown"));
        s.merge(&other);
        assert_eq!(s.requests, 3);
        assert!(s.line().ends_with("$0.0090 + 1 unpriced"));
    }

    #[test]
    fn batch_requests_cost_the_discounted_price() {
        let mut pricing = Pricing::from_toml_str("batch_discount = 0.5\n").unwrap();
        pricing.with_override("m", ModelPrice::standard(3.0, 15.0));
        let usage = Usage {
            input_tokens: 1000,
            output_tokens: 200,
            ..Usage::default()
        };
        let mut s = Spend::default();
        // Half of (1000 x 3 + 200 x 15) / 1e6.
        assert_eq!(s.add_batch("m", &usage, &pricing), Some(0.003));
        assert_eq!(s.add_batch("unknown", &usage, &pricing), None);
        assert!(s.line().ends_with("$0.0030 + 1 unpriced"), "{}", s.line());
        let mut no_discount = Pricing::default();
        no_discount.with_override("m", ModelPrice::standard(3.0, 15.0));
        assert_eq!(Spend::default().add_batch("m", &usage, &no_discount), None);
    }

    #[test]
    fn exit_codes_and_kinds() {
        let invalid = ExtractError::Invalid { errors: vec![] };
        assert_eq!((invalid.kind(), invalid.exit_code()), ("invalid", 2));
        let api = ExtractError::Api(ApiError::with_status(500));
        assert_eq!((api.kind(), api.exit_code()), ("api", 1));
        assert_eq!(ExtractError::MaxTokens { max_tokens: 5 }.exit_code(), 2);
        assert_eq!(
            ExtractError::Refusal {
                text: String::new()
            }
            .kind(),
            "refusal"
        );
        assert_eq!(ExtractError::Cancelled.exit_code(), 130);
    }
}
