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
//!   and finite, `max_tokens >= 1` for every tier, a non-empty duplicate-free fallback
//!   list, non-empty model ids, a `base_url` that starts with `http://` or `https://` and
//!   has no trailing slash, `context.max_fraction` in (0, 1], `keep_turns >= 1`, and
//!   routing rules that each name a tier and whose char bounds are ordered (`apply_engine.rs`);
//!   `tools.parallel` and `tools.max_rounds` at least 1; every `[[tools.command]]` has a
//!   valid, unique name that no built-in tool uses, a description, a command, and an input
//!   schema that compiles (`apply_tools.rs`); `budget.daily_usd >= 0`,
//!   `budget.alert_factor >= 1`, and prices that are finite numbers `>= 0` under non-empty
//!   model ids;
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
//! The tier model ids are special: the embedded file leaves them unset, so they hold the
//! built-in defaults with [`ModelsConfig::pinned`] false, and model discovery may replace
//! them at run time. Any layer that sets one pins it.
//!
//! Not here: applying CLI flags, reading the API key (the client's job).

mod apply;
mod apply_engine;
mod apply_mcp;
mod apply_server_tools;
mod apply_tools;
mod error;
mod load;
mod locate;
pub mod orders_example;
mod parse;
mod raw;
mod routing;
mod thinking;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) use apply_mcp::check_server_name as check_mcp_server_name;
pub use error::{ConfigError, Location};
pub use load::{
    ENV_BASE_URL, ENV_CONFIG, ENV_TIER, LoadOptions, Loaded, default_config_path, load, parse_str,
};
pub use routing::{RouteRule, RoutingConfig};
pub use thinking::{
    Effort, FALLBACK_BETAS, MIN_BUDGET_TOKENS, RefusalFallbacks, ThinkingConfig, ThinkingDisplay,
    ThinkingMode,
};

// Types other modules own or share, re-exported where config users always found them.
pub use crate::domain::Tier;
pub use crate::tools::settings::{CommandToolConfig, DEFAULT_COMMAND_TIMEOUT, ToolsConfig};

/// The endpoint used when neither the config file nor `ANTHROPIC_BASE_URL` names one.
pub const PUBLIC_BASE_URL: &str = "https://api.anthropic.com";

/// The embedded defaults: the first layer of every load, and the documented example file.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../assets/default-config.toml");

/// What the user chose: one tier for every request, or a tier picked per request by the
/// routing rules (`auto`). Kept apart from [`Tier`] so code that needs a model tier can
/// never be handed "auto" by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TierChoice {
    Auto,
    Fixed(Tier),
}

impl TierChoice {
    /// The fixed tier, or `None` for auto.
    pub fn fixed(self) -> Option<Tier> {
        match self {
            Self::Auto => None,
            Self::Fixed(t) => Some(t),
        }
    }

    pub fn is_auto(self) -> bool {
        self == Self::Auto
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Fixed(t) => t.as_str(),
        }
    }
}

impl From<Tier> for TierChoice {
    fn from(t: Tier) -> Self {
        Self::Fixed(t)
    }
}

impl std::fmt::Display for TierChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TierChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        s.parse()
            .map(Self::Fixed)
            .map_err(|_| format!("unknown tier {s:?} (expected auto, fast, balanced or max)"))
    }
}

/// One value per model tier (token budgets, which tiers a config pinned, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PerTier<T> {
    pub fast: T,
    pub balanced: T,
    pub max: T,
}

impl<T: Copy> PerTier<T> {
    /// The same value for every tier.
    pub fn all(value: T) -> Self {
        Self {
            fast: value,
            balanced: value,
            max: value,
        }
    }

    pub fn get(&self, tier: Tier) -> T {
        match tier {
            Tier::Fast => self.fast,
            Tier::Balanced => self.balanced,
            Tier::Max => self.max,
        }
    }
}

impl<T> PerTier<T> {
    pub fn get_mut(&mut self, tier: Tier) -> &mut T {
        match tier {
            Tier::Fast => &mut self.fast,
            Tier::Balanced => &mut self.balanced,
            Tier::Max => &mut self.max,
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
///
/// The tier ids hold the built-in defaults until a config layer sets them; `pinned` says
/// which ones a layer set. Unpinned tiers may be replaced by model discovery (the newest
/// active model of the tier's line in `GET /v1/models`, see `api::catalog`); pinned ones
/// never are.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsConfig {
    /// The tier a new conversation starts in, or `auto` for routing per request.
    pub tier: TierChoice,
    pub fast: String,
    pub balanced: String,
    pub max: String,
    /// Which of the three ids a config layer set explicitly.
    pub pinned: PerTier<bool>,
    /// Ask `GET /v1/models` (cached for a day) for unpinned tiers' models and for context
    /// windows; false keeps the built-in defaults and never asks.
    pub discover: bool,
    /// Tiers to try, in order, when the current one is overloaded; never empty, no repeats.
    pub fallback: Vec<Tier>,
    /// Upper limit on an answer's length per tier, each at least 1.
    pub max_tokens: PerTier<u32>,
}

impl ModelsConfig {
    pub fn model_for(&self, tier: Tier) -> &str {
        match tier {
            Tier::Fast => &self.fast,
            Tier::Balanced => &self.balanced,
            Tier::Max => &self.max,
        }
    }

    pub fn model_for_mut(&mut self, tier: Tier) -> &mut String {
        match tier {
            Tier::Fast => &mut self.fast,
            Tier::Balanced => &mut self.balanced,
            Tier::Max => &mut self.max,
        }
    }

    /// The tier whose model is `model`, if any (the first, when two tiers share it).
    pub fn tier_of(&self, model: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| self.model_for(*t) == model)
    }
}

/// The prompt cache's time to live: how long a cached prefix survives without use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheTtl {
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    /// As written in config and on the wire (`cache_control.ttl`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FiveMinutes => "5m",
            Self::OneHour => "1h",
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            Self::FiveMinutes => Duration::from_secs(5 * 60),
            Self::OneHour => Duration::from_secs(60 * 60),
        }
    }
}

/// Prompt caching: breakpoints on tools, system prompt and the newest user message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    pub enabled: bool,
    pub ttl: CacheTtl,
}

/// What to do with the oldest turns when a conversation outgrows its context budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextStrategy {
    /// Replace them with a summary written by the fast tier.
    Summarise,
    /// Drop them.
    Truncate,
}

/// Keeping each request inside the model's context window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContextConfig {
    /// Fold old turns once the next request would use more than this share of the window;
    /// in (0, 1].
    pub max_fraction: f64,
    pub strategy: ContextStrategy,
    /// The newest turns that are never folded; at least 1.
    pub keep_turns: usize,
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

/// Spending limits and alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetConfig {
    /// Today's spend (across sessions) at which sending asks for confirmation; `None` = no
    /// budget. 0 means every request asks.
    pub daily_usd: Option<f64>,
    /// A request costing more than this times the median of the last requests gets a
    /// warning; at least 1.
    pub alert_factor: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            daily_usd: None,
            alert_factor: 3.0,
        }
    }
}

/// The configuration in force. See the module docs for the layers and the invariants.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub api: ApiConfig,
    pub models: ModelsConfig,
    pub cache: CacheConfig,
    pub context: ContextConfig,
    pub routing: RoutingConfig,
    pub chat: ChatConfig,
    pub ui: UiConfig,
    pub tools: ToolsConfig,
    /// `[mcp]`: MCP servers (see [`crate::mcp`]).
    pub mcp: crate::mcp::McpConfig,
    /// The `[keys]` table, action name to key string, exactly as written (later layers
    /// replace earlier entries one action at a time). Neither names nor keys are checked
    /// here: the TUI's keymap does that, as it is the one that knows the actions.
    pub keys: BTreeMap<String, String>,
    pub budget: BudgetConfig,
    /// `[thinking]` and `models.effort` (see `thinking.rs`).
    pub thinking: ThinkingConfig,
    /// `models.refusal_fallbacks`: `None` sends no `fallbacks` (the default).
    pub refusal_fallbacks: Option<RefusalFallbacks>,
    /// Price overrides and additions by model id, laid over the embedded table (later
    /// layers replace earlier entries one model at a time).
    pub pricing: BTreeMap<String, crate::cost::ModelPrice>,
    /// The file the config was read from, if any.
    pub source: Option<PathBuf>,
}

impl Config {
    /// The effective base URL: the file's `api.base_url`, else `ANTHROPIC_BASE_URL` (both
    /// already folded into `api.base_url` by [`load`]), else [`PUBLIC_BASE_URL`].
    pub fn base_url(&self) -> &str {
        self.api.base_url.as_deref().unwrap_or(PUBLIC_BASE_URL)
    }

    /// The `anthropic-beta` values to send: `api.betas`, plus the ones server-side refusal
    /// fallbacks need when they are on.
    pub fn betas(&self) -> Vec<String> {
        let mut betas = self.api.betas.clone();
        if self.refusal_fallbacks.is_some() {
            for beta in FALLBACK_BETAS {
                if !betas.iter().any(|b| b == beta) {
                    betas.push(beta.to_owned());
                }
            }
        }
        betas
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
                tier: TierChoice::Fixed(Tier::Balanced),
                // The built-in defaults of unset tiers: current models with confirmed prices.
                fast: "claude-haiku-4-5".into(),
                balanced: "claude-sonnet-4-6".into(),
                max: "claude-opus-5".into(),
                pinned: PerTier::all(false),
                discover: true,
                fallback: vec![Tier::Max, Tier::Balanced, Tier::Fast],
                max_tokens: PerTier::all(8192),
            },
            cache: CacheConfig {
                enabled: true,
                ttl: CacheTtl::FiveMinutes,
            },
            context: ContextConfig {
                max_fraction: 0.8,
                strategy: ContextStrategy::Summarise,
                keep_turns: 2,
            },
            routing: RoutingConfig::default(),
            chat: ChatConfig::default(),
            ui: UiConfig::default(),
            tools: ToolsConfig::default(),
            mcp: crate::mcp::McpConfig::default(),
            keys: BTreeMap::new(),
            budget: BudgetConfig::default(),
            thinking: ThinkingConfig::default(),
            refusal_fallbacks: None,
            pricing: BTreeMap::new(),
            source: None,
        }
    }
}

#[cfg(test)]
mod mcp_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_engine;
#[cfg(test)]
mod tests_invalid;
#[cfg(test)]
mod tests_load;
#[cfg(test)]
mod tools_tests;
