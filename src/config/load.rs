//! Finding the config file and stacking the layers: embedded defaults, file, environment.
//!
//! Where the file is, first match wins:
//! 1. `LoadOptions::explicit_path` (the binary's `--config FILE`);
//! 2. the `CHATTERM_CONFIG` environment variable (ignored when empty);
//! 3. [`default_config_path`], the platform's config directory.
//!
//! A file named by 1 or 2 must exist, because the user asked for it by name and a typo
//! should not silently give defaults; a missing file at 3 just means "no config yet".
//!
//! The environment is read only through `LoadOptions::env`, so tests inject a map and
//! never see the real user's variables or home directory.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::apply::check_base_url;
use super::error::ConfigError;
use super::parse::apply_layer;
use super::{Config, DEFAULT_CONFIG_TOML};

/// The file name inside the platform config directory.
const CONFIG_FILE_NAME: &str = "config.toml";
/// Shown as the file name in messages about the embedded defaults (which would be a bug).
const EMBEDDED_ORIGIN: &str = "<embedded default-config.toml>";

/// Names the config file when `--config` is not given.
pub const ENV_CONFIG: &str = "CHATTERM_CONFIG";
/// The API endpoint, used when no config file sets `api.base_url`.
pub const ENV_BASE_URL: &str = "ANTHROPIC_BASE_URL";
/// Overrides `models.tier` (`auto` or a tier name).
pub const ENV_TIER: &str = "CHATTERM_TIER";

/// What [`load`] needs from the outside world.
pub struct LoadOptions<'a> {
    /// The file given with `--config`, if any.
    pub explicit_path: Option<PathBuf>,
    /// Reads an environment variable; `None` when unset.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl LoadOptions<'_> {
    /// Options that read the real process environment.
    pub fn from_process_env(explicit_path: Option<PathBuf>) -> LoadOptions<'static> {
        LoadOptions {
            explicit_path,
            env: &process_env,
        }
    }
}

/// A variable that is not valid Unicode is treated as unset: chatterm only reads names,
/// URLs and paths it could not use in that case anyway.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A loaded config and the warnings (unknown keys) to show the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Loads the config: embedded defaults, then the config file (see the module docs for which
/// one), then the environment.
pub fn load(opts: &LoadOptions<'_>) -> Result<Loaded, ConfigError> {
    load_with_default_path(opts, default_config_path())
}

/// [`load`] with the default file location given, so tests stay out of the real home.
pub(crate) fn load_with_default_path(
    opts: &LoadOptions<'_>,
    default_path: Option<PathBuf>,
) -> Result<Loaded, ConfigError> {
    let mut loaded = defaults()?;
    if let Some((path, text)) = read_config_file(opts, default_path)? {
        loaded.warnings = apply_layer(&text, &path, &mut loaded.config)?;
        loaded.config.source = Some(path);
    }
    apply_env(opts.env, &mut loaded.config)?;
    Ok(loaded)
}

/// The embedded defaults with `text` on top, as if `text` were the config file at `origin`;
/// the environment is not read. For tests and for checking a file (`--config` validation).
pub fn parse_str(text: &str, origin: &Path) -> Result<Loaded, ConfigError> {
    let mut loaded = defaults()?;
    loaded.warnings = apply_layer(text, origin, &mut loaded.config)?;
    loaded.config.source = Some(origin.to_path_buf());
    Ok(loaded)
}

/// Where the config file is when neither `--config` nor `CHATTERM_CONFIG` says otherwise;
/// `None` when the platform has no home directory to put it in.
pub fn default_config_path() -> Option<PathBuf> {
    crate::domain::config_dir().map(|dir| dir.join(CONFIG_FILE_NAME))
}

/// The embedded defaults, through the same parser as a user file.
fn defaults() -> Result<Loaded, ConfigError> {
    let mut config = Config::default();
    let warnings = apply_layer(DEFAULT_CONFIG_TOML, Path::new(EMBEDDED_ORIGIN), &mut config)?;
    Ok(Loaded { config, warnings })
}

/// The chosen config file and its text, or `None` when there is none to read.
fn read_config_file(
    opts: &LoadOptions<'_>,
    default_path: Option<PathBuf>,
) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let from_env = (opts.env)(ENV_CONFIG).filter(|p| !p.is_empty());
    let (path, named_by) = match (&opts.explicit_path, from_env) {
        (Some(path), _) => (path.clone(), Some("--config")),
        (None, Some(path)) => (PathBuf::from(path), Some(ENV_CONFIG)),
        (None, None) => match default_path {
            Some(path) => (path, None),
            None => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(e) if e.kind() == ErrorKind::NotFound => match named_by {
            Some(named_by) => Err(ConfigError::NotFound { path, named_by }),
            None => Ok(None),
        },
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

/// The environment layer. Empty variables count as unset, as shells make it easy to set
/// one to nothing by accident.
fn apply_env(env: &dyn Fn(&str) -> Option<String>, config: &mut Config) -> Result<(), ConfigError> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    // The file's `api.base_url` wins over ANTHROPIC_BASE_URL: the variable is often set
    // globally for other tools, while the file is specific to chatterm.
    if config.api.base_url.is_none()
        && let Some(url) = get(ENV_BASE_URL)
    {
        let url = check_base_url(&url).map_err(|message| ConfigError::Env {
            var: ENV_BASE_URL,
            message,
        })?;
        config.api.base_url = Some(url);
    }
    if let Some(tier) = get(ENV_TIER) {
        config.models.tier = tier.trim().parse().map_err(|message| ConfigError::Env {
            var: ENV_TIER,
            message,
        })?;
    }
    Ok(())
}
