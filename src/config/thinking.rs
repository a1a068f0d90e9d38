//! Thinking, effort and server-side refusal fallbacks: the `[thinking]` table and the
//! `models.effort` and `models.refusal_fallbacks` keys, as written and as in force.
//!
//! The model: the config says what the user *wants* (think adaptively, think within a
//! budget, or not; how hard to try); what a request actually carries depends on the model
//! it goes to, and is decided per request by `engine::thinking` from the model's
//! capabilities. So nothing here knows about models: `budget_tokens` is checked against
//! the API's floor (1024) only, and kept below `max_tokens` when a request is built.
//!
//! `models.effort` is one level for every tier or a table per tier, like
//! `models.max_tokens`; a tier left out sends no effort (the model's default).
//! `models.refusal_fallbacks` is a list of model ids or the string `"default"`; it turns on
//! the request's `fallbacks` field and the two beta headers it needs.

use serde::Deserialize;

use super::apply::{Failure, key};
use super::locate::KeyPath;
use super::{Config, PerTier, Tier};

/// The API's smallest thinking budget.
pub const MIN_BUDGET_TOKENS: u32 = 1024;

/// The beta headers a request with `fallbacks` needs.
pub const FALLBACK_BETAS: [&str; 2] = [
    "server-side-fallback-2026-07-01",
    "fallback-credit-2026-07-01",
];

/// How the model should think.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingMode {
    /// Send no thinking field: the model's default.
    Off,
    /// The model decides how much to think (steered by effort); a model without adaptive
    /// thinking gets a budget instead.
    Adaptive,
    /// Think within `budget_tokens`; a model without budgets gets adaptive thinking.
    Budget,
}

impl ThinkingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Adaptive => "adaptive",
            Self::Budget => "budget",
        }
    }
}

/// Whether thinking text comes back readable or empty (the signature comes either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingDisplay {
    Summarized,
    Omitted,
}

impl ThinkingDisplay {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summarized => "summarized",
            Self::Omitted => "omitted",
        }
    }
}

/// How hard the model tries (`output_config.effort`), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effort {
    Low,
    Medium,
    High,
    XHigh,
    Max,
}

impl Effort {
    pub const ALL: [Effort; 5] = [
        Effort::Low,
        Effort::Medium,
        Effort::High,
        Effort::XHigh,
        Effort::Max,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::XHigh => "xhigh",
            Self::Max => "max",
        }
    }
}

impl std::str::FromStr for Effort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Effort::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown effort {s:?} (expected low, medium, high, xhigh or max)")
            })
    }
}

/// What `[thinking]` and `models.effort` put in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThinkingConfig {
    pub mode: ThinkingMode,
    /// At least [`MIN_BUDGET_TOKENS`]; lowered below `max_tokens` per request.
    pub budget_tokens: u32,
    pub display: ThinkingDisplay,
    /// Per tier; `None` sends no effort.
    pub effort: PerTier<Option<Effort>>,
}

impl Default for ThinkingConfig {
    fn default() -> Self {
        Self {
            mode: ThinkingMode::Off,
            budget_tokens: 8000,
            display: ThinkingDisplay::Summarized,
            effort: PerTier::all(None),
        }
    }
}

/// The models a refusal falls back to, server-side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalFallbacks {
    /// The API's own choice (`"fallbacks": "default"`).
    Default,
    /// These model ids, in order.
    Models(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawThinking {
    pub mode: Option<String>,
    pub budget_tokens: Option<i64>,
    pub display: Option<String>,
}

/// `effort = "high"` or `effort = { fast = "low", max = "xhigh" }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawEffort {
    All(String),
    PerTier(std::collections::BTreeMap<String, String>),
}

/// `refusal_fallbacks = "default"` or `refusal_fallbacks = ["claude-sonnet-4-6"]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawRefusalFallbacks {
    One(String),
    Many(Vec<String>),
}

/// Applies `[thinking]`, `models.effort` and `models.refusal_fallbacks` of one layer.
pub(crate) fn apply(
    raw: &RawThinking,
    effort: Option<&RawEffort>,
    fallbacks: Option<&RawRefusalFallbacks>,
    config: &mut Config,
) -> Result<(), Failure> {
    let thinking = &mut config.thinking;
    if let Some(mode) = &raw.mode {
        thinking.mode = match mode.to_ascii_lowercase().as_str() {
            "off" => ThinkingMode::Off,
            "adaptive" => ThinkingMode::Adaptive,
            "budget" => ThinkingMode::Budget,
            _ => {
                let message = format!("unknown mode {mode:?} (expected off, adaptive or budget)");
                return Err((key("thinking", "mode"), message));
            }
        };
    }
    if let Some(n) = raw.budget_tokens {
        thinking.budget_tokens = u32::try_from(n)
            .ok()
            .filter(|n| *n >= MIN_BUDGET_TOKENS)
            .ok_or_else(|| {
                let message =
                    format!("must be a number of tokens from {MIN_BUDGET_TOKENS}, got {n}");
                (key("thinking", "budget_tokens"), message)
            })?;
    }
    if let Some(display) = &raw.display {
        thinking.display = match display.to_ascii_lowercase().as_str() {
            "summarized" => ThinkingDisplay::Summarized,
            "omitted" => ThinkingDisplay::Omitted,
            _ => {
                let message =
                    format!("unknown display {display:?} (expected summarized or omitted)");
                return Err((key("thinking", "display"), message));
            }
        };
    }
    if let Some(effort) = effort {
        apply_effort(effort, &mut thinking.effort)?;
    }
    if let Some(fallbacks) = fallbacks {
        apply_fallbacks(fallbacks, config)?;
    }
    Ok(())
}

fn apply_effort(raw: &RawEffort, effort: &mut PerTier<Option<Effort>>) -> Result<(), Failure> {
    let path = key("models", "effort");
    match raw {
        RawEffort::All(level) => {
            *effort = PerTier::all(Some(level.parse().map_err(|m| (path, m))?));
        }
        RawEffort::PerTier(table) => {
            for (tier, level) in table {
                let at = path.clone().key(tier);
                let tier: Tier = tier.parse().map_err(|m| (at.clone(), m))?;
                *effort.get_mut(tier) = Some(level.parse().map_err(|m| (at, m))?);
            }
        }
    }
    Ok(())
}

fn apply_fallbacks(raw: &RawRefusalFallbacks, config: &mut Config) -> Result<(), Failure> {
    let path = key("models", "refusal_fallbacks");
    let fallbacks = match raw {
        RawRefusalFallbacks::One(s) if s == "default" => RefusalFallbacks::Default,
        RawRefusalFallbacks::One(s) => {
            let message = format!("must be \"default\" or a list of model ids, got {s:?}");
            return Err((path, message));
        }
        RawRefusalFallbacks::Many(ids) => {
            if let Some(i) = ids.iter().position(|m| m.trim().is_empty()) {
                return Err((
                    KeyPath::clone(&path).index(i),
                    "model id must not be empty".into(),
                ));
            }
            RefusalFallbacks::Models(ids.clone())
        }
    };
    // An empty list turns the feature off again (a lower layer may have turned it on).
    config.refusal_fallbacks = match fallbacks {
        RefusalFallbacks::Models(ids) if ids.is_empty() => None,
        f => Some(f),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;

    fn config(text: &str) -> Result<Config, String> {
        parse_str(text, std::path::Path::new("t.toml"))
            .map(|l| l.config)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn thinking_table_and_effort_per_tier() {
        let c = config(
            "[thinking]\nmode = \"budget\"\nbudget_tokens = 4000\ndisplay = \"omitted\"\n\
             [models]\neffort = { fast = \"low\", max = \"xhigh\" }\n",
        )
        .unwrap();
        assert_eq!(c.thinking.mode, ThinkingMode::Budget);
        assert_eq!(c.thinking.budget_tokens, 4000);
        assert_eq!(c.thinking.display, ThinkingDisplay::Omitted);
        assert_eq!(c.thinking.effort.fast, Some(Effort::Low));
        assert_eq!(c.thinking.effort.balanced, None);
        assert_eq!(c.thinking.effort.max, Some(Effort::XHigh));
        let all = config("[models]\neffort = \"max\"\n").unwrap();
        assert_eq!(all.thinking.effort, PerTier::all(Some(Effort::Max)));
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = config("[thinking]\nmode = \"deep\"\n").unwrap_err();
        assert!(
            err.contains("thinking.mode") && err.contains("deep"),
            "{err}"
        );
        let err = config("[thinking]\nbudget_tokens = 100\n").unwrap_err();
        assert!(
            err.contains("thinking.budget_tokens") && err.contains("1024"),
            "{err}"
        );
        let err = config("[models]\neffort = \"huge\"\n").unwrap_err();
        assert!(
            err.contains("models.effort") && err.contains("huge"),
            "{err}"
        );
        let err = config("[models]\neffort = { slow = \"low\" }\n").unwrap_err();
        assert!(err.contains("models.effort.slow"), "{err}");
        let err = config("[models]\nrefusal_fallbacks = \"sonnet\"\n").unwrap_err();
        assert!(err.contains("models.refusal_fallbacks"), "{err}");
    }

    #[test]
    fn refusal_fallbacks_turn_on_their_betas() {
        let c = config("[models]\nrefusal_fallbacks = [\"claude-sonnet-4-6\"]\n").unwrap();
        assert_eq!(
            c.refusal_fallbacks,
            Some(RefusalFallbacks::Models(vec!["claude-sonnet-4-6".into()]))
        );
        let betas = c.betas();
        assert!(FALLBACK_BETAS.iter().all(|b| betas.iter().any(|x| x == b)));
        let d = config("[models]\nrefusal_fallbacks = \"default\"\n").unwrap();
        assert_eq!(d.refusal_fallbacks, Some(RefusalFallbacks::Default));
        let off = config("").unwrap();
        assert_eq!(off.refusal_fallbacks, None);
        assert!(off.betas().is_empty());
    }
}
