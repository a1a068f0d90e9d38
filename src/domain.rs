//! The vocabulary shared across layers: small types that `config` parses and that the
//! modules it configures (`cost`, `tools`, `engine`) also use. They live here, below all
//! of them, so that the dependencies run one way: `config` depends on `cost` and `tools`
//! (it builds their settings and checks prices and schemas), and neither of those depends
//! on `config`. `tests/it/layers.rs` fails if `src/cost` or `src/tools` names the config module.
//!
//! Also here: where chatterm's own configuration directory is, which the tools' secret
//! directory guard must know without asking the config loader.

use std::path::PathBuf;

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
            _ => Err(format!(
                "unknown tier {s:?} (expected fast, balanced or max)"
            )),
        }
    }
}

/// Whether running a tool needs the user's say-so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Runs without asking (reads, the clock).
    #[default]
    Never,
    /// Asks before every run, unless the user said "always" for this tool.
    Ask,
}

/// chatterm's configuration directory on this platform (`~/.config/chatterm` on Linux),
/// if the platform has one.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "chatterm").map(|dirs| dirs.config_dir().to_path_buf())
}
