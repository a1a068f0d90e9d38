//! Thinking, effort and refusal fallbacks on each request: what the user wants
//! ([`Reasoning`], from `[thinking]`, `models.effort`, the flags and Alt+T / Alt+E) fitted
//! to the model a request goes to ([`Plan::fit`]).
//!
//! The fitting happens per attempt, after the attempt's model is chosen, because a
//! fallback to another tier's model may accept other things. The rules:
//! - thinking: adaptive where the model has it, a budget where it only has that, nothing
//!   where it has neither (reference §1.5); the budget stays below the request's
//!   `max_tokens` and at or above the API's 1024, else the request thinks adaptively if it
//!   can, or not at all;
//! - effort: the level asked for if the model accepts it, else the nearest lower level it
//!   accepts, else none;
//! - a forced `tool_choice` (`any`, `tool`) becomes `auto` while thinking is on: the API
//!   rejects the two together (the extractor's tool method says so when it happens);
//! - `fallbacks` goes on every request when configured (its beta headers are the client's).
//!
//! Changing any of these invalidates the prompt cache's message prefixes (reference §7.1);
//! the front ends say so when the user changes them.

use serde_json::{Value, json};

use crate::api::MessagesRequest;
use crate::api::capabilities::{self, Capabilities};
use crate::api::catalog::Catalog;
use crate::config::{
    Config, Effort, MIN_BUDGET_TOKENS, PerTier, RefusalFallbacks, ThinkingDisplay, ThinkingMode,
    Tier,
};

/// What the user wants of thinking and effort, before any model is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Reasoning {
    /// In force now (Alt+T switches between off and [`Reasoning::on_mode`]).
    pub mode: ThinkingMode,
    /// What "on" means: the configured mode when it is not off, else adaptive.
    pub on_mode: ThinkingMode,
    pub budget_tokens: u32,
    pub display: ThinkingDisplay,
    /// The configured effort per tier.
    pub effort: PerTier<Option<Effort>>,
    /// An effort chosen for the session (Alt+E, `--effort`), over every tier's.
    pub effort_override: Option<Effort>,
    pub fallbacks: Option<RefusalFallbacks>,
}

impl Default for Reasoning {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

impl Reasoning {
    pub fn from_config(config: &Config) -> Self {
        let t = &config.thinking;
        Self {
            mode: t.mode,
            on_mode: match t.mode {
                ThinkingMode::Off => ThinkingMode::Adaptive,
                mode => mode,
            },
            budget_tokens: t.budget_tokens,
            display: t.display,
            effort: t.effort,
            effort_override: None,
            fallbacks: config.refusal_fallbacks.clone(),
        }
    }

    /// Thinking on (as [`Reasoning::on_mode`]) or off.
    pub fn set_thinking(&mut self, on: bool) {
        self.mode = if on { self.on_mode } else { ThinkingMode::Off };
    }

    /// The effort a request on `tier` asks for (`None` for a model pinned by id: the
    /// session's choice, else the level every tier shares, if they do).
    pub fn effort_for(&self, tier: Option<Tier>) -> Option<Effort> {
        self.effort_override.or_else(|| match tier {
            Some(tier) => self.effort.get(tier),
            None => (self.effort.fast == self.effort.balanced
                && self.effort.balanced == self.effort.max)
                .then_some(self.effort.balanced)
                .flatten(),
        })
    }
}

/// [`Reasoning`] with the catalog that says what each model accepts: one turn's copy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub reasoning: Reasoning,
    pub catalog: Catalog,
}

impl Plan {
    /// Sets `request`'s thinking, effort, tool choice and fallbacks for its model.
    pub fn fit(&self, request: &mut MessagesRequest, tier: Option<Tier>) {
        let caps = capabilities::of(&self.catalog, &request.model);
        request.thinking = thinking_field(&self.reasoning, &caps, request.max_tokens);
        set_effort(request, self.reasoning.effort_for(tier), &caps);
        if request.thinking.is_some() && is_forced(request.tool_choice.as_ref()) {
            // `auto` keeps the one-call limit a forced choice may have carried.
            let one_call = request
                .tool_choice
                .as_ref()
                .and_then(|c| c.get("disable_parallel_tool_use"))
                .cloned();
            let mut auto = json!({"type": "auto"});
            if let Some(v) = one_call {
                auto["disable_parallel_tool_use"] = v;
            }
            request.tool_choice = Some(auto);
        }
        match &self.reasoning.fallbacks {
            Some(RefusalFallbacks::Default) => {
                request.extra.insert("fallbacks".into(), json!("default"));
            }
            Some(RefusalFallbacks::Models(ids)) => {
                let hops: Vec<Value> = ids.iter().map(|m| json!({"model": m})).collect();
                request.extra.insert("fallbacks".into(), Value::Array(hops));
            }
            None => {}
        }
    }
}

/// Whether a `tool_choice` forces tool use, which thinking forbids.
pub fn is_forced(choice: Option<&Value>) -> bool {
    matches!(
        choice.and_then(|c| c.get("type")).and_then(Value::as_str),
        Some("any" | "tool")
    )
}

/// The `thinking` field for a model with `caps` and an answer of `max_tokens`.
fn thinking_field(r: &Reasoning, caps: &Capabilities, max_tokens: u32) -> Option<Value> {
    let display = r.display.as_str();
    let adaptive = || json!({"type": "adaptive", "display": display});
    // The budget must stay below max_tokens and at or above the API's floor.
    let budget = r.budget_tokens.min(max_tokens.saturating_sub(1));
    let budgeted = (caps.budget && budget >= MIN_BUDGET_TOKENS)
        .then(|| json!({"type": "enabled", "budget_tokens": budget, "display": display}));
    match r.mode {
        ThinkingMode::Off => None,
        ThinkingMode::Adaptive if caps.adaptive => Some(adaptive()),
        ThinkingMode::Adaptive => budgeted,
        ThinkingMode::Budget => budgeted.or_else(|| caps.adaptive.then(adaptive)),
    }
}

/// Puts `effort` (or the nearest lower level the model accepts) in `output_config`,
/// keeping the other fields there (an extraction's `format`). A model that accepts no
/// level at or below it gets none (an earlier attempt's level is taken out again).
fn set_effort(request: &mut MessagesRequest, effort: Option<Effort>, caps: &Capabilities) {
    let Some(effort) = effort else {
        return;
    };
    let level = Effort::ALL
        .into_iter()
        .rev()
        .find(|l| *l <= effort && caps.effort(*l));
    let config = request.output_config.get_or_insert_with(|| json!({}));
    if let Some(obj) = config.as_object_mut() {
        match level {
            Some(level) => obj.insert("effort".into(), json!(level.as_str())),
            None => obj.remove("effort"),
        };
    }
    if request
        .output_config
        .as_ref()
        .is_some_and(|c| c.as_object().is_some_and(|o| o.is_empty()))
    {
        request.output_config = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Message;

    fn plan(mode: ThinkingMode) -> Plan {
        Plan {
            reasoning: Reasoning {
                mode,
                ..Reasoning::default()
            },
            catalog: Catalog::builtin(),
        }
    }

    fn fitted(plan: &Plan, model: &str, max_tokens: u32) -> Value {
        let mut req = MessagesRequest::new(model, max_tokens, vec![Message::user_text("hi")]);
        req.tool_choice = Some(json!({"type": "any"}));
        plan.fit(&mut req, Some(Tier::Max));
        serde_json::to_value(req).unwrap()
    }

    #[test]
    fn adaptive_where_supported_a_budget_where_only_that_nothing_elsewhere() {
        let p = plan(ThinkingMode::Adaptive);
        let opus = fitted(&p, "claude-opus-5", 8192);
        assert_eq!(
            opus["thinking"],
            json!({"type": "adaptive", "display": "summarized"})
        );
        // Forced tool use cannot go with thinking.
        assert_eq!(opus["tool_choice"], json!({"type": "auto"}));
        let haiku = fitted(&p, "claude-haiku-4-5", 8192);
        assert_eq!(haiku["thinking"]["type"], "enabled");
        assert_eq!(haiku["thinking"]["budget_tokens"], 8000);
        let old = fitted(&p, "claude-3-5-haiku-20241022", 8192);
        assert!(old.get("thinking").is_none());
        assert_eq!(old["tool_choice"], json!({"type": "any"}));
    }

    #[test]
    fn the_budget_stays_below_max_tokens_or_gives_way() {
        let p = plan(ThinkingMode::Budget);
        let small = fitted(&p, "claude-sonnet-4-6", 4000);
        assert_eq!(small["thinking"]["budget_tokens"], 3999);
        // Too small for the API's floor: adaptive where the model has it, else nothing.
        let tiny = fitted(&p, "claude-sonnet-4-6", 1000);
        assert_eq!(tiny["thinking"]["type"], "adaptive");
        assert!(
            fitted(&p, "claude-haiku-4-5", 1000)
                .get("thinking")
                .is_none()
        );
        // Budgets are gone on Opus 4.7+: adaptive instead.
        assert_eq!(
            fitted(&p, "claude-opus-4-7", 8192)["thinking"]["type"],
            "adaptive"
        );
    }

    #[test]
    fn effort_is_sent_only_at_a_level_the_model_accepts() {
        let mut p = plan(ThinkingMode::Off);
        p.reasoning.effort_override = Some(Effort::XHigh);
        let opus = fitted(&p, "claude-opus-5", 8192);
        assert_eq!(opus["output_config"], json!({"effort": "xhigh"}));
        assert!(opus.get("thinking").is_none());
        assert_eq!(
            fitted(&p, "claude-sonnet-4-6", 8192)["output_config"]["effort"],
            "high"
        );
        assert!(
            fitted(&p, "claude-haiku-4-5", 8192)
                .get("output_config")
                .is_none()
        );
        // Per tier when no session choice; a pinned model only when the tiers agree.
        p.reasoning.effort_override = None;
        p.reasoning.effort = PerTier {
            fast: None,
            balanced: Some(Effort::Low),
            max: Some(Effort::Medium),
        };
        assert_eq!(
            p.reasoning.effort_for(Some(Tier::Max)),
            Some(Effort::Medium)
        );
        assert_eq!(p.reasoning.effort_for(None), None);
    }

    #[test]
    fn fallbacks_and_the_toggle() {
        let mut p = plan(ThinkingMode::Off);
        p.reasoning.fallbacks = Some(RefusalFallbacks::Models(vec!["claude-sonnet-4-6".into()]));
        let v = fitted(&p, "claude-opus-5", 8192);
        assert_eq!(v["fallbacks"], json!([{"model": "claude-sonnet-4-6"}]));
        p.reasoning.set_thinking(true);
        assert_eq!(p.reasoning.mode, ThinkingMode::Adaptive);
        p.reasoning.set_thinking(false);
        assert_eq!(p.reasoning.mode, ThinkingMode::Off);
    }
}
