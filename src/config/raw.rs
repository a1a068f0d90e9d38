//! The config file as written: every field optional, nothing validated beyond its type.
//!
//! These types say what one layer *mentions*; absent means "keep the layer below". They are
//! kept apart from the runtime [`Config`](super::Config) so the file format can use plain
//! numbers of seconds and optional fields while the rest of the program gets durations and
//! complete values. Range checks live in `apply.rs`, which can point at the offending key.
//!
//! Unknown keys are deliberately *not* rejected here (`deny_unknown_fields` would make an
//! old chatterm refuse a newer config); `parse.rs` collects them as warnings instead.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::{Tier, TierChoice};
use crate::cost::RawPrice;
use crate::tools::Approval;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawConfig {
    pub api: RawApi,
    pub models: RawModels,
    pub cache: RawCache,
    pub context: RawContext,
    pub routing: RawRouting,
    pub chat: RawChat,
    pub ui: RawUi,
    pub tools: RawTools,
    /// `[mcp]` and `[[mcp.server]]` (`apply_mcp.rs`).
    pub mcp: super::apply_mcp::RawMcp,
    /// Action name to key string. A map, so every entry is "known" to serde_ignored:
    /// names are checked by the TUI's keymap, which knows the actions.
    pub keys: BTreeMap<String, String>,
    pub budget: RawBudget,
    pub thinking: super::thinking::RawThinking,
    /// Model id to its prices. Entries reject unknown keys (see [`RawPrice`]).
    pub pricing: BTreeMap<String, RawPrice>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawBudget {
    pub daily_usd: Option<f64>,
    pub alert_factor: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawApi {
    pub base_url: Option<String>,
    pub max_retries: Option<u32>,
    pub connect_timeout_secs: Option<Seconds>,
    pub first_byte_timeout_secs: Option<Seconds>,
    pub idle_timeout_secs: Option<Seconds>,
    pub betas: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawModels {
    pub tier: Option<RawTierChoice>,
    pub fast: Option<String>,
    pub balanced: Option<String>,
    pub max: Option<String>,
    pub discover: Option<bool>,
    pub fallback: Option<Vec<RawTier>>,
    pub max_tokens: Option<RawMaxTokens>,
    pub effort: Option<super::thinking::RawEffort>,
    pub refusal_fallbacks: Option<super::thinking::RawRefusalFallbacks>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawCache {
    pub enabled: Option<bool>,
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawContext {
    pub max_fraction: Option<Number>,
    pub strategy: Option<String>,
    pub keep_turns: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawRouting {
    pub default: Option<RawTier>,
    /// `[[routing.rule]]`: replaces the lower layers' list when present.
    pub rule: Option<Vec<RawRule>>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawRule {
    pub name: Option<String>,
    pub command: Option<OneOrMany>,
    pub min_chars: Option<i64>,
    pub max_chars: Option<i64>,
    pub code: Option<bool>,
    pub keywords: Option<Vec<String>>,
    pub tier: Option<RawTier>,
    pub max_tokens: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawChat {
    pub system: Option<String>,
    pub auto_title: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawUi {
    pub theme: Option<String>,
    pub mouse: Option<bool>,
    pub sidebar: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawTools {
    pub enabled: Option<bool>,
    pub root: Option<String>,
    pub parallel: Option<u32>,
    pub max_rounds: Option<u32>,
    pub eager_input_streaming: Option<bool>,
    pub env_passthrough: Option<Vec<String>>,
    pub allow_secret_dirs: Option<bool>,
    /// `[[tools.command]]`: a layer that has it replaces the whole list.
    pub command: Option<Vec<RawCommandTool>>,
    /// `tools.server`: the API's own tools offered (`apply_server_tools.rs`).
    pub server: Option<Vec<String>>,
    /// `tools.web`: their limits.
    pub web: Option<RawWebTools>,
}

/// `tools.web = { max_uses, allowed_domains, blocked_domains }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawWebTools {
    pub max_uses: Option<u32>,
    pub allowed_domains: Option<Vec<String>>,
    pub blocked_domains: Option<Vec<String>>,
}

/// One `[[tools.command]]` entry. Required fields are options too, so a missing one is
/// reported by `apply_tools.rs` in words, at the entry, rather than as serde's message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawCommandTool {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A TOML table, a JSON text, or the path of a JSON file: told apart in `apply_tools.rs`.
    pub input_schema: Option<serde_json::Value>,
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub timeout_secs: Option<Seconds>,
    pub approval: Option<RawApproval>,
}

/// `approval = "never" | "ask"`, case forgiven, the message naming both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawApproval(pub Approval);

impl<'de> Deserialize<'de> for RawApproval {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        match word.to_ascii_lowercase().as_str() {
            "never" => Ok(RawApproval(Approval::Never)),
            "ask" => Ok(RawApproval(Approval::Ask)),
            _ => Err(de::Error::custom(format!(
                "unknown approval {word:?} (expected \"never\" or \"ask\")"
            ))),
        }
    }
}

/// A number of seconds as written: TOML integers and floats are both accepted, so
/// `timeout = 10` and `timeout = 2.5` both work. Range (positive, finite) is checked later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seconds(pub f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor("a number of seconds"))
            .map(Seconds)
    }
}

/// A plain number (`0.8` or `1`), integers accepted; range checked later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FloatVisitor("a number")).map(Number)
    }
}

/// Accepts TOML integers and floats as an `f64`; the text says what was expected.
struct FloatVisitor(&'static str);

impl Visitor<'_> for FloatVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        // Precision loss above 2^53 is irrelevant: such values fail the range checks anyway.
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
}

/// `models.max_tokens` as written: one number for every tier, or a table with some of
/// `fast`, `balanced`, `max`. Ranges are checked in `apply_engine.rs`, which can point at
/// the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawMaxTokens {
    All(i64),
    PerTier {
        fast: Option<i64>,
        balanced: Option<i64>,
        max: Option<i64>,
    },
}

impl<'de> Deserialize<'de> for RawMaxTokens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MaxTokensVisitor;

        impl<'de> Visitor<'de> for MaxTokensVisitor {
            type Value = RawMaxTokens;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of tokens, or a table like { fast = 1024, max = 16000 }")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawMaxTokens, E> {
                Ok(RawMaxTokens::All(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawMaxTokens, E> {
                Ok(RawMaxTokens::All(i64::try_from(v).unwrap_or(i64::MAX)))
            }

            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawMaxTokens, A::Error> {
                let (mut fast, mut balanced, mut max) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.parse::<Tier>() {
                        Ok(Tier::Fast) => &mut fast,
                        Ok(Tier::Balanced) => &mut balanced,
                        Ok(Tier::Max) => &mut max,
                        Err(message) => return Err(de::Error::custom(message)),
                    };
                    *slot = Some(map.next_value::<i64>()?);
                }
                Ok(RawMaxTokens::PerTier {
                    fast,
                    balanced,
                    max,
                })
            }
        }

        d.deserialize_any(MaxTokensVisitor)
    }
}

/// A string or a list of strings (`command = "review"` or `command = ["review", "audit"]`).
/// `list` says which was written, so an error can point at the element or the string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OneOrMany {
    pub items: Vec<String>,
    pub list: bool,
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;

        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany {
                    items: vec![v.to_owned()],
                    list: false,
                })
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    out.push(item);
                }
                Ok(OneOrMany {
                    items: out,
                    list: true,
                })
            }
        }

        d.deserialize_any(OneOrManyVisitor)
    }
}

/// A tier name as written. Parsed through [`Tier::from_str`](std::str::FromStr) rather than
/// serde's derive so the message lists the valid names in words, and so case is forgiven.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawTier(pub Tier);

impl<'de> Deserialize<'de> for RawTier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map(RawTier).map_err(de::Error::custom)
    }
}

/// `models.tier` as written: a tier name or `auto`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawTierChoice(pub TierChoice);

impl<'de> Deserialize<'de> for RawTierChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map(RawTierChoice).map_err(de::Error::custom)
    }
}
