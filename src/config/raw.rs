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

use super::Tier;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawConfig {
    pub api: RawApi,
    pub models: RawModels,
    pub chat: RawChat,
    pub ui: RawUi,
    /// Action name to key string. A map, so every entry is "known" to serde_ignored:
    /// names are checked by the TUI's keymap, which knows the actions.
    pub keys: BTreeMap<String, String>,
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
    pub tier: Option<RawTier>,
    pub fast: Option<String>,
    pub balanced: Option<String>,
    pub max: Option<String>,
    pub fallback: Option<Vec<RawTier>>,
    pub max_tokens: Option<u32>,
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

/// A number of seconds as written: TOML integers and floats are both accepted, so
/// `timeout = 10` and `timeout = 2.5` both work. Range (positive, finite) is checked later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Seconds(pub f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;

        impl Visitor<'_> for SecondsVisitor {
            type Value = Seconds;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of seconds")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seconds, E> {
                // Precision loss above 2^53 seconds is irrelevant: such values fail the
                // range check anyway.
                Ok(Seconds(v as f64))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }
        }

        d.deserialize_any(SecondsVisitor)
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
