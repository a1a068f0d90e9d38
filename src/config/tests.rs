//! Config tests of parsing and layering: the embedded defaults, the valid fixture files,
//! unknown keys as warnings, and how single keys merge and resolve. The invalid fixtures'
//! located errors are in `tests_invalid.rs`, the file search and the env layer in
//! `tests_load.rs`; the fixture readers here serve them all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A file under `tests/fixtures/config`.
pub(super) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// A fixture parsed as the loader would read it, its path as the origin.
pub(super) fn parse_fixture(name: &str) -> Result<Loaded, ConfigError> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    parse_str(&text, &path)
}

#[test]
fn embedded_defaults_parse_to_the_documented_values() {
    let loaded = parse_str("", Path::new("empty.toml")).map_err(|e| e.to_string());
    let Ok(loaded) = loaded else {
        panic!("embedded defaults failed: {loaded:?}");
    };
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = &loaded.config;
    assert_eq!(c.api.base_url, None);
    assert_eq!(c.base_url(), "https://api.anthropic.com");
    assert_eq!(c.api.max_retries, 3);
    assert_eq!(c.api.connect_timeout, Duration::from_secs(10));
    assert_eq!(c.api.first_byte_timeout, Duration::from_secs(60));
    assert_eq!(c.api.idle_timeout, Duration::from_secs(90));
    assert!(c.api.betas.is_empty());
    assert_eq!(c.models.tier, TierChoice::Fixed(Tier::Balanced));
    assert_eq!(c.models.model_for(Tier::Fast), "claude-haiku-4-5");
    assert_eq!(c.models.model_for(Tier::Balanced), "claude-sonnet-4-6");
    assert_eq!(c.models.model_for(Tier::Max), "claude-opus-5");
    assert_eq!(
        c.models.fallback,
        vec![Tier::Max, Tier::Balanced, Tier::Fast]
    );
    assert_eq!(c.models.max_tokens, PerTier::all(8192));
    assert_eq!(c.models.pinned, PerTier::all(false));
    assert!(c.models.discover);
    assert_eq!(c.chat.system, None);
    assert_eq!(c.ui.theme, None);
    assert!(c.ui.mouse);
    assert!(c.ui.sidebar);
    assert!(c.keys.is_empty());
    assert_eq!(c.source.as_deref(), Some(Path::new("empty.toml")));
}

/// The embedded file must itself set every value it documents, not lean on
/// `Config::default()`: applied over a config where everything differs, it must give
/// the defaults back.
#[test]
fn embedded_file_sets_every_key_and_agrees_with_default() {
    let mut scrambled = Config::default();
    scrambled.api.max_retries = 9;
    scrambled.api.connect_timeout = Duration::from_secs(1);
    scrambled.api.first_byte_timeout = Duration::from_secs(1);
    scrambled.api.idle_timeout = Duration::from_secs(1);
    scrambled.api.betas = vec!["x".into()];
    scrambled.models.tier = TierChoice::Auto;
    // The tier ids are the exception: the file leaves them unset on purpose, so discovery
    // may choose them (their built-in values come from `Config::default()`).
    scrambled.models.discover = false;
    scrambled.models.fallback = vec![Tier::Fast];
    scrambled.models.max_tokens = PerTier::all(1);
    scrambled.cache.enabled = false;
    scrambled.cache.ttl = CacheTtl::OneHour;
    scrambled.context = ContextConfig {
        max_fraction: 0.1,
        strategy: ContextStrategy::Truncate,
        keep_turns: 9,
    };
    scrambled.routing = RoutingConfig {
        default: Tier::Max,
        rules: Vec::new(),
    };
    scrambled.ui.mouse = false;
    scrambled.ui.sidebar = false;
    scrambled.tools.enabled = false;
    scrambled.tools.parallel = 1;
    scrambled.tools.max_rounds = 1;
    scrambled.tools.eager_input_streaming = false;
    scrambled.budget.alert_factor = 9.0;
    scrambled.thinking.mode = crate::config::ThinkingMode::Budget;
    scrambled.thinking.budget_tokens = 2000;
    scrambled.thinking.display = crate::config::ThinkingDisplay::Omitted;
    let warnings = parse::apply_layer(DEFAULT_CONFIG_TOML, Path::new("d"), &mut scrambled);
    assert_eq!(warnings.map_err(|e| e.to_string()), Ok(vec![]));
    assert_eq!(scrambled, Config::default());
}

#[test]
fn full_fixture_sets_every_key() {
    let loaded = parse_fixture("valid/full.toml").map_err(|e| e.to_string());
    let Ok(Loaded {
        config: c,
        warnings,
    }) = loaded
    else {
        panic!("{loaded:?}");
    };
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.base_url(), "http://127.0.0.1:8080");
    assert_eq!(c.api.max_retries, 0);
    assert_eq!(c.api.connect_timeout, Duration::from_millis(2500));
    assert_eq!(c.api.first_byte_timeout, Duration::from_secs(30));
    assert_eq!(c.api.idle_timeout, Duration::from_secs(120));
    assert_eq!(c.api.betas, vec!["context-1m-2025-08-07".to_owned()]);
    assert_eq!(c.models.tier, TierChoice::Fixed(Tier::Max));
    assert_eq!(c.models.pinned, PerTier::all(true));
    assert_eq!(c.models.fast, "claude-haiku-4-5-20251001");
    assert_eq!(c.models.balanced, "claude-sonnet-4-6");
    assert_eq!(c.models.max, "claude-opus-4-8");
    assert_eq!(c.models.fallback, vec![Tier::Balanced, Tier::Fast]);
    assert_eq!(c.models.max_tokens, PerTier::all(1));
    assert_eq!(c.chat.system.as_deref(), Some("Answer in French."));
    let theme = fixture("valid/themes/mine.toml");
    assert_eq!(c.ui.theme, Some(theme.to_string_lossy().into_owned()));
    assert!(!c.ui.mouse);
    assert!(!c.ui.sidebar);
    let keys: Vec<(&str, &str)> = c
        .keys
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    assert_eq!(keys, [("copy_last", "ctrl+k"), ("toggle_mouse", "none")]);
    assert_eq!(c.budget.daily_usd, Some(5.0));
    assert_eq!(c.budget.alert_factor, 2.5);
    let prices: Vec<(&str, crate::cost::ModelPrice)> =
        c.pricing.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    assert_eq!(
        prices,
        [
            (
                "claude-sonnet-5",
                crate::cost::ModelPrice::standard(3.0, 15.0)
            ),
            (
                "my-local-model",
                crate::cost::ModelPrice::standard(0.0, 0.0)
            ),
        ]
    );
    assert_eq!(c.source, Some(fixture("valid/full.toml")));
}

#[test]
fn partial_fixtures_keep_the_defaults_for_everything_else() {
    let minimal = parse_fixture("valid/minimal.toml").map_err(|e| e.to_string());
    let expected = Config {
        models: ModelsConfig {
            tier: TierChoice::Fixed(Tier::Fast),
            ..Config::default().models
        },
        source: Some(fixture("valid/minimal.toml")),
        ..Config::default()
    };
    assert_eq!(minimal.map(|l| l.config), Ok(expected));

    let empty = parse_fixture("valid/comments-only.toml").map_err(|e| e.to_string());
    let expected = Config {
        source: Some(fixture("valid/comments-only.toml")),
        ..Config::default()
    };
    assert_eq!(empty.map(|l| l.config), Ok(expected));
}

#[test]
fn unknown_keys_are_warnings_with_file_and_line() {
    let loaded = parse_fixture("valid/unknown-keys.toml").map_err(|e| e.to_string());
    let Ok(Loaded { config, warnings }) = loaded else {
        panic!("{loaded:?}");
    };
    // Known keys next to the unknown ones still apply.
    assert_eq!(config.api.max_retries, 5);
    assert_eq!(config.models.max_tokens, PerTier::all(4096));
    let file = fixture("valid/unknown-keys.toml");
    let file = file.display();
    let mut warnings = warnings;
    warnings.sort();
    assert_eq!(
        warnings,
        vec![
            format!("{file}:4: unknown key `api.retries` (ignored)"),
            format!("{file}:7: unknown key `ui.colour` (ignored)"),
        ]
    );
}

#[test]
fn empty_system_prompt_means_none() {
    let loaded = parse_str("[chat]\nsystem = \"  \"\n", Path::new("c.toml"));
    assert_eq!(
        loaded
            .map(|l| l.config.chat.system)
            .map_err(|e| e.to_string()),
        Ok(None)
    );
}

#[test]
fn keys_merge_one_action_at_a_time() {
    let mut config = Config::default();
    let layers = [
        "[keys]\ncopy_last = \"ctrl+k\"\nhelp = \"f1\"\n",
        "[keys]\nhelp = \"none\"\nnot_an_action = \"x y\"\n",
    ];
    for text in layers {
        let applied = parse::apply_layer(text, Path::new("k.toml"), &mut config);
        assert_eq!(applied.map_err(|e| e.to_string()), Ok(vec![]));
    }
    let keys: Vec<(&str, &str)> = config
        .keys
        .iter()
        .map(|(a, k)| (a.as_str(), k.as_str()))
        .collect();
    // Passed through as written: checking names and keys is the TUI keymap's job.
    assert_eq!(
        keys,
        [
            ("copy_last", "ctrl+k"),
            ("help", "none"),
            ("not_an_action", "x y")
        ]
    );
}

#[test]
fn theme_names_stay_and_relative_paths_follow_the_config_file() {
    let theme_of = |text: &str, origin: &str| {
        parse_str(text, Path::new(origin))
            .map(|l| l.config.ui.theme)
            .map_err(|e| e.to_string())
    };
    let some = |s: &str| Ok(Some(s.to_owned()));
    assert_eq!(
        theme_of("[ui]\ntheme = \" light \"", "/etc/c/config.toml"),
        some("light")
    );
    assert_eq!(
        theme_of("[ui]\ntheme = \"t.toml\"", "/etc/c/config.toml"),
        some("/etc/c/t.toml")
    );
    assert_eq!(
        theme_of("[ui]\ntheme = \"themes/x\"", "/etc/c/config.toml"),
        some("/etc/c/themes/x")
    );
    assert_eq!(
        theme_of("[ui]\ntheme = \"/abs/t.toml\"", "/etc/c/config.toml"),
        some("/abs/t.toml")
    );
    // A config named without a directory: the path is already relative to the same place.
    assert_eq!(
        theme_of("[ui]\ntheme = \"t.toml\"", "config.toml"),
        some("t.toml")
    );
    let home = theme_of("[ui]\ntheme = \"~/t.toml\"", "/etc/c/config.toml");
    let Ok(Some(home)) = home else {
        panic!("{home:?}")
    };
    assert!(!home.starts_with("/etc/c"), "{home}");
    assert!(home.ends_with("t.toml") && !home.contains('~'), "{home}");
}
