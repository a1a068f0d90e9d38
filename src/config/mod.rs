//! Configuration: what chatterm reads before it talks to the API, and the model tiers.
//!
//! The model is a stack of layers, each overriding only what it mentions:
//!
//! 1. the embedded defaults, `assets/default-config.toml` (the documented reference of every
//!    key; it goes through exactly the same parser as a user file);
//! 2. the user's config file: `--config FILE`, else `$CHATTERM_CONFIG`, else
//!    `<config dir>/chatterm/config.toml` from [`default_config_path`];
//! 3. the environment: `ANTHROPIC_BASE_URL` (only when no file sets `api.base_url`) and
//!    `CHATTERM_TIER`;
//! 4. command-line flags, applied by the binary on the returned [`Config`].
//!
//! Two types per layer, on purpose: the raw file type (`raw.rs`, every field optional,
//! serde) says what a file *wrote*; the runtime [`Config`] says what is *in force*, with
//! durations instead of numbers of seconds and every value present.
//!
//! Invariants of a [`Config`] returned by [`load`] or [`parse_str`]:
//! - every value passed validation (`apply.rs`): `max_retries <= 10`, timeouts positive
//!   and finite, `max_tokens >= 1`, a non-empty duplicate-free fallback list, non-empty
//!   model ids, and a `base_url` that starts with `http://` or `https://` and has no
//!   trailing slash;
//! - a bad file is a [`ConfigError`] whose one-line message names the file, the line and
//!   column when known, and the key path; nothing here panics on input;
//! - unknown keys are not errors: they come back as warnings in [`Loaded::warnings`], so a
//!   config written for a newer version still starts.
//!
//! The `[ui]` and `[keys]` tables are carried as plain strings and bools: this library is
//! UI-free, so it checks only what needs no terminal knowledge (types, empty names). The
//! TUI loads the theme named by [`UiConfig::theme`] and validates [`Config::keys`] against
//! its actions, and reports its own errors.
//!
//! Not here: applying CLI flags, reading the API key (the client's job).

mod apply;
mod error;
mod load;
mod locate;
mod parse;
mod raw;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use error::{ConfigError, Location};
pub use load::{
    ENV_BASE_URL, ENV_CONFIG, ENV_TIER, LoadOptions, Loaded, default_config_path, load, parse_str,
};

/// The endpoint used when neither the config file nor `ANTHROPIC_BASE_URL` names one.
pub const PUBLIC_BASE_URL: &str = "https://api.anthropic.com";

/// The embedded defaults: the first layer of every load, and the documented example file.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../assets/default-config.toml");

/// A model tier: what the user switches between with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Fast,
    Balanced,
    Max,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Fast, Tier::Balanced, Tier::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Fast => "fast",
            Tier::Balanced => "balanced",
            Tier::Max => "max",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fast" => Ok(Tier::Fast),
            "balanced" => Ok(Tier::Balanced),
            "max" => Ok(Tier::Max),
            _ => Err(format!(
                "unknown tier {s:?} (expected fast, balanced or max)"
            )),
        }
    }
}

/// How to reach the API and how patiently.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiConfig {
    /// The configured endpoint, without a trailing slash; `None` means [`PUBLIC_BASE_URL`].
    /// Use [`Config::base_url`] for the effective value.
    pub base_url: Option<String>,
    /// Retries after the first attempt, for retryable failures only.
    pub max_retries: u32,
    pub connect_timeout: Duration,
    /// From sending the request to the first byte of the response.
    pub first_byte_timeout: Duration,
    /// Longest silence allowed between two chunks of a streaming response.
    pub idle_timeout: Duration,
    /// Values sent in the `anthropic-beta` header.
    pub betas: Vec<String>,
}

/// Which model each tier means, and how to fall back between tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsConfig {
    /// The tier a new conversation starts in.
    pub tier: Tier,
    pub fast: String,
    pub balanced: String,
    pub max: String,
    /// Tiers to try, in order, when the current one is overloaded; never empty, no repeats.
    pub fallback: Vec<Tier>,
    pub max_tokens: u32,
}

impl ModelsConfig {
    pub fn model_for(&self, tier: Tier) -> &str {
        match tier {
            Tier::Fast => &self.fast,
            Tier::Balanced => &self.balanced,
            Tier::Max => &self.max,
        }
    }
}

/// What every conversation starts with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatConfig {
    /// The system prompt; an empty string in a file means none.
    pub system: Option<String>,
    /// Ask the fast tier for a short title after a new conversation's first answer
    /// (otherwise the title is the first line of the first message).
    pub auto_title: bool,
}

/// How the full-screen UI starts. Only the TUI reads this; print mode ignores it.
#[derive(Debug, Clone, PartialEq)]
pub struct UiConfig {
    /// A built-in theme name (`dark`, `light`, `ansi16`) or a theme file path; `None` means
    /// the TUI's default. A relative path ending in `.toml` or containing a `/` was written
    /// relative to the config file and is stored already joined to that file's directory.
    /// Not checked here: the TUI loads it and reports a bad name.
    pub theme: Option<String>,
    /// Mouse capture at start (wheel scrolling); off gives the terminal's own selection.
    pub mouse: bool,
    /// Whether the cost and cache sidebar is shown at start.
    pub sidebar: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            theme: None,
            mouse: true,
            sidebar: true,
        }
    }
}

/// The configuration in force. See the module docs for the layers and the invariants.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub api: ApiConfig,
    pub models: ModelsConfig,
    pub chat: ChatConfig,
    pub ui: UiConfig,
    /// The `[keys]` table, action name to key string, exactly as written (later layers
    /// replace earlier entries one action at a time). Neither names nor keys are checked
    /// here: the TUI's keymap does that, as it is the one that knows the actions.
    pub keys: BTreeMap<String, String>,
    /// The file the config was read from, if any.
    pub source: Option<PathBuf>,
}

impl Config {
    /// The effective base URL: the file's `api.base_url`, else `ANTHROPIC_BASE_URL` (both
    /// already folded into `api.base_url` by [`load`]), else [`PUBLIC_BASE_URL`].
    pub fn base_url(&self) -> &str {
        self.api.base_url.as_deref().unwrap_or(PUBLIC_BASE_URL)
    }
}

impl Default for Config {
    /// The values `assets/default-config.toml` documents. The loader starts from here and
    /// applies that file on top, and a test checks the two agree, so they cannot drift.
    fn default() -> Self {
        Self {
            api: ApiConfig {
                base_url: None,
                max_retries: 3,
                connect_timeout: Duration::from_secs(10),
                first_byte_timeout: Duration::from_secs(60),
                idle_timeout: Duration::from_secs(90),
                betas: Vec::new(),
            },
            models: ModelsConfig {
                tier: Tier::Balanced,
                fast: "claude-haiku-4-5".into(),
                balanced: "claude-sonnet-4-6".into(),
                max: "claude-opus-5".into(),
                fallback: vec![Tier::Max, Tier::Balanced, Tier::Fast],
                max_tokens: 8192,
            },
            chat: ChatConfig::default(),
            ui: UiConfig::default(),
            keys: BTreeMap::new(),
            source: None,
        }
    }
}

#[cfg(test)]
mod tests;
