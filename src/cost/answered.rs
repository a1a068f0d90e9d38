//! Pricing an answer by the model(s) that wrote it.
//!
//! A response names the model that answered (`message_start.message.model`) and, when the
//! API ran more than one hop (a server-side refusal fallback), reports each hop's tokens in
//! `usage.iterations`: the first hop as `type: "message"` (the answering model), a hop
//! that served after a fallback as `type: "fallback_message"` with its own `model`. Each
//! hop's tokens are priced at its model.
//!
//! The request's price is the whole usage at the answering model, corrected per hop by
//! the difference between its model's price and the answering model's. When the hops add
//! up to the whole (they do), that is the sum of the hops at their own prices, and
//! anything the whole usage carries beyond tokens is still counted once.

use serde_json::Value;

use super::Pricing;
use crate::api::Usage;

/// One hop of `usage.iterations`: its model (`None` for the answering model) and usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub model: Option<String>,
    pub usage: Usage,
}

/// The hops of `usage.iterations`, empty when the response reported none.
pub fn hops(usage: &Usage) -> Vec<Hop> {
    let Some(Value::Array(items)) = usage.extra.get("iterations") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let usage: Usage = serde_json::from_value(item.clone()).ok()?;
            let model = item.get("model").and_then(Value::as_str).map(str::to_owned);
            Some(Hop { model, usage })
        })
        .collect()
}

/// The models that wrote the answer: the answering model, then each other hop's model.
pub fn answering_models(model: &str, usage: &Usage) -> Vec<String> {
    let mut models = vec![model.to_owned()];
    for hop in hops(usage) {
        if let Some(m) = hop.model
            && !models.contains(&m)
        {
            models.push(m);
        }
    }
    models
}

impl Pricing {
    /// What `usage` cost, answered by `model` and priced per hop when it reports hops;
    /// `None` when any model involved has no price.
    pub fn answer_cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        let mut total = self.cost(model, usage)?;
        for hop in hops(usage) {
            if let Some(other) = hop.model.as_deref().filter(|m| *m != model) {
                total += self.cost(other, &hop.usage)? - self.cost(model, &hop.usage)?;
            }
        }
        Some(total)
    }
}

/// The thinking tokens of `usage` (`output_tokens_details.thinking_tokens`), when reported.
pub fn thinking_tokens(usage: &Usage) -> Option<u64> {
    usage
        .extra
        .get("output_tokens_details")?
        .get("thinking_tokens")?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::ModelPrice;
    use serde_json::json;

    fn pricing() -> Pricing {
        let mut p = Pricing::default();
        p.with_override("big", ModelPrice::standard(10.0, 50.0));
        p.with_override("small", ModelPrice::standard(1.0, 5.0));
        p
    }

    #[test]
    fn each_hop_is_priced_at_its_model() {
        let usage: Usage = serde_json::from_value(json!({
            "input_tokens": 2_000_000, "output_tokens": 2_000_000,
            "iterations": [
                {"type": "message", "input_tokens": 1_000_000, "output_tokens": 1_000_000},
                {"type": "fallback_message", "model": "small",
                 "input_tokens": 1_000_000, "output_tokens": 1_000_000},
            ],
        }))
        .unwrap();
        // 10 + 50 for the first hop at "big", 1 + 5 for the second at "small".
        let cost = pricing().answer_cost("big", &usage).unwrap();
        assert!((cost - 66.0).abs() < 1e-9, "{cost}");
        assert_eq!(answering_models("big", &usage), vec!["big", "small"]);
        // An unpriced hop makes the whole price unknown rather than wrong.
        let mut unpriced = usage.clone();
        unpriced.extra["iterations"][1]["model"] = json!("mystery");
        assert_eq!(pricing().answer_cost("big", &unpriced), None);
    }

    #[test]
    fn without_hops_the_answering_model_prices_it() {
        let usage: Usage = serde_json::from_value(json!({
            "input_tokens": 1_000_000, "output_tokens": 0,
            "output_tokens_details": {"thinking_tokens": 7},
        }))
        .unwrap();
        assert_eq!(pricing().answer_cost("small", &usage), Some(1.0));
        assert_eq!(thinking_tokens(&usage), Some(7));
    }
}
