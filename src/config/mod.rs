//! (Interface stub; loading pending.) Configuration types.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
            other => Err(format!(
                "unknown tier `{other}` (expected fast, balanced or max)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiConfig {
    pub base_url: Option<String>,
    pub max_retries: u32,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub betas: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelsConfig {
    pub tier: Tier,
    pub fast: String,
    pub balanced: String,
    pub max: String,
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

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatConfig {
    pub system: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub api: ApiConfig,
    pub models: ModelsConfig,
    pub chat: ChatConfig,
    /// The file the config was read from, if any.
    pub source: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            api: ApiConfig {
                base_url: None,
                max_retries: 3,
                connect_timeout: Duration::from_secs(10),
                first_byte_timeout: Duration::from_secs(60),
                idle_timeout: Duration::from_secs(60),
                betas: Vec::new(),
            },
            models: ModelsConfig {
                tier: Tier::Balanced,
                fast: "claude-haiku-4-5".into(),
                balanced: "claude-sonnet-4-6".into(),
                max: "claude-opus-4-8".into(),
                fallback: vec![Tier::Max, Tier::Balanced, Tier::Fast],
                max_tokens: 8192,
            },
            chat: ChatConfig::default(),
            source: None,
        }
    }
}
