//! Config tests: the embedded defaults, the fixture files, the file search and the env layer.
//! Nothing here reads the real environment or home directory: env lookups are injected and
//! the default file location is passed in.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::load::load_with_default_path;
use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

fn parse_fixture(name: &str) -> Result<Loaded, ConfigError> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    parse_str(&text, &path)
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn load_with(
    explicit: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
    default_path: Option<PathBuf>,
) -> Result<Loaded, ConfigError> {
    let opts = LoadOptions {
        explicit_path: explicit,
        env,
    };
    load_with_default_path(&opts, default_path)
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

/// Each invalid fixture, the `line:column` and key path its error must name, and a part of
/// the message.
const INVALID: &[(&str, &str, &str, &str)] = &[
    ("syntax.toml", "2:5", "", "TOML syntax error"),
    (
        "unknown-tier.toml",
        "3:20",
        "models.fallback[1]",
        r#"unknown tier "huge" (expected fast, balanced or max)"#,
    ),
    (
        "wrong-type.toml",
        "2:15",
        "api.max_retries",
        "invalid type: string \"three\"",
    ),
    (
        "negative-retries.toml",
        "2:15",
        "api.max_retries",
        "integer `-1`, expected a whole number from 0",
    ),
    (
        "too-many-retries.toml",
        "3:15",
        "api.max_retries",
        "must be at most 10, got 11",
    ),
    (
        "zero-timeout.toml",
        "2:21",
        "api.idle_timeout_secs",
        "greater than 0",
    ),
    (
        "nan-timeout.toml",
        "2:27",
        "api.first_byte_timeout_secs",
        "greater than 0, got NaN",
    ),
    (
        "negative-timeout.toml",
        "2:24",
        "api.connect_timeout_secs",
        "got -1.5",
    ),
    (
        "string-timeout.toml",
        "2:24",
        "api.connect_timeout_secs",
        "expected a number of seconds",
    ),
    (
        "bad-base-url.toml",
        "2:12",
        "api.base_url",
        "must start with http:// or https://",
    ),
    (
        "empty-beta.toml",
        "2:27",
        "api.betas[1]",
        "must not be empty",
    ),
    (
        "zero-max-tokens.toml",
        "2:14",
        "models.max_tokens",
        "at least 1",
    ),
    (
        "empty-fallback.toml",
        "2:12",
        "models.fallback",
        "at least one tier",
    ),
    (
        "duplicate-fallback.toml",
        "2:28",
        "models.fallback[2]",
        "tier max is listed twice",
    ),
    (
        "empty-model.toml",
        "3:12",
        "models.balanced",
        "must not be empty",
    ),
    (
        "unknown-start-tier.toml",
        "2:8",
        "models.tier",
        r#"unknown tier "turbo""#,
    ),
    (
        "ui-mouse-string.toml",
        "2:9",
        "ui.mouse",
        "invalid type: string \"yes\", expected a boolean",
    ),
    ("empty-theme.toml", "2:9", "ui.theme", "must not be empty"),
    (
        "key-not-string.toml",
        "3:8",
        "keys.help",
        "invalid type: integer `1`, expected a string",
    ),
    (
        "key-list.toml",
        "4:13",
        "keys.copy_last",
        "invalid type: sequence, expected a string",
    ),
    (
        "keys-not-table.toml",
        "1:8",
        "keys",
        "invalid type: string \"ctrl+k\", expected a table",
    ),
    (
        "negative-budget.toml",
        "2:13",
        "budget.daily_usd",
        "must be an amount in USD >= 0, got -5",
    ),
    (
        "small-alert-factor.toml",
        "2:16",
        "budget.alert_factor",
        "must be a number >= 1, got 0.5",
    ),
    (
        "pricing-unknown-key.toml",
        "5:14",
        "pricing.my-model.cache_reed",
        "unknown field `cache_reed`",
    ),
    (
        "negative-price.toml",
        "3:10",
        "pricing.m.output",
        "price must be a number >= 0, got -2",
    ),
    (
        "price-missing-output.toml",
        "1:1",
        "pricing.m",
        "missing field `output`",
    ),
    (
        "table-is-number.toml",
        "2:7",
        "api",
        "invalid type: integer `5`, expected a table",
    ),
];

#[test]
fn invalid_fixtures_fail_naming_file_line_and_key() {
    for (name, line_col, key, fragment) in INVALID {
        let path = fixture(&format!("invalid/{name}"));
        let Err(err) = parse_fixture(&format!("invalid/{name}")) else {
            panic!("{name}: loaded without error");
        };
        let message = err.to_string();
        let prefix = format!("{}:{line_col}: {key}", path.display());
        assert!(
            message.starts_with(&prefix),
            "{name}: {message:?} should start with {prefix:?}"
        );
        assert!(
            message.contains(fragment),
            "{name}: {message:?} lacks {fragment:?}"
        );
        assert!(!message.contains('\n'), "{name}: not one line: {message:?}");
    }
}

#[test]
fn invalid_fixture_error_variants() {
    assert!(matches!(
        parse_fixture("invalid/syntax.toml"),
        Err(ConfigError::Syntax { .. })
    ));
    let err = parse_fixture("invalid/unknown-tier.toml");
    let Err(ConfigError::Invalid { location, key, .. }) = err else {
        panic!("{err:?}");
    };
    assert_eq!((location.line, location.column), (Some(3), Some(20)));
    assert_eq!(key, "models.fallback[1]");
}

#[test]
fn file_base_url_beats_anthropic_base_url() {
    let env = env_of(&[("ANTHROPIC_BASE_URL", "https://proxy.example")]);
    let loaded = load_with(Some(fixture("valid/full.toml")), &env, None);
    let url = loaded
        .map(|l| l.config.base_url().to_owned())
        .map_err(|e| e.to_string());
    assert_eq!(url, Ok("http://127.0.0.1:8080".to_owned()));
}

#[test]
fn anthropic_base_url_applies_when_the_file_is_silent() {
    let env = env_of(&[("ANTHROPIC_BASE_URL", "https://proxy.example/")]);
    let loaded = load_with(Some(fixture("valid/minimal.toml")), &env, None);
    let url = loaded
        .map(|l| l.config.base_url().to_owned())
        .map_err(|e| e.to_string());
    assert_eq!(url, Ok("https://proxy.example".to_owned()));

    // Empty means unset.
    let env = env_of(&[("ANTHROPIC_BASE_URL", "")]);
    let loaded = load_with(Some(fixture("valid/minimal.toml")), &env, None);
    let url = loaded
        .map(|l| l.config.base_url().to_owned())
        .map_err(|e| e.to_string());
    assert_eq!(url, Ok(PUBLIC_BASE_URL.to_owned()));
}

#[test]
fn bad_env_values_name_the_variable() {
    let env = env_of(&[("ANTHROPIC_BASE_URL", "proxy.example")]);
    let err = load_with(None, &env, None).map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err(r#"environment variable ANTHROPIC_BASE_URL: "proxy.example" must start with http:// or https://"#.to_owned())
    );
    let env = env_of(&[("CHATTERM_TIER", "huge")]);
    let err = load_with(None, &env, None).map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err(r#"environment variable CHATTERM_TIER: unknown tier "huge" (expected auto, fast, balanced or max)"#.to_owned())
    );
}

#[test]
fn chatterm_tier_overrides_the_file() {
    let env = env_of(&[("CHATTERM_TIER", "max")]);
    let loaded = load_with(Some(fixture("valid/minimal.toml")), &env, None);
    assert_eq!(
        loaded
            .map(|l| l.config.models.tier)
            .map_err(|e| e.to_string()),
        Ok(TierChoice::Fixed(Tier::Max))
    );
}

#[test]
fn missing_named_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir();
    let Ok(dir) = dir else { panic!("{dir:?}") };
    let missing = dir.path().join("nope.toml");
    let no_env = env_of(&[]);
    let err = load_with(Some(missing.clone()), &no_env, None).map_err(|e| e.to_string());
    assert_eq!(
        err,
        Err(format!(
            "{}: config file not found (named by --config)",
            missing.display()
        ))
    );

    let missing_str = missing.to_string_lossy().into_owned();
    let env = env_of(&[("CHATTERM_CONFIG", &missing_str)]);
    let err = load_with(None, &env, None);
    assert!(
        matches!(
            err,
            Err(ConfigError::NotFound {
                named_by: "CHATTERM_CONFIG",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn file_search_order_is_flag_then_env_then_default() {
    let dir = tempfile::tempdir();
    let Ok(dir) = dir else { panic!("{dir:?}") };
    let write = |name: &str, tier: &str| {
        let path = dir.path().join(name);
        let written = std::fs::write(&path, format!("[models]\ntier = \"{tier}\"\n"));
        assert!(written.is_ok(), "{written:?}");
        path
    };
    let flag = write("flag.toml", "fast");
    let from_env = write("env.toml", "max");
    let default = write("default.toml", "balanced");
    let env_str = from_env.to_string_lossy().into_owned();
    let env = env_of(&[("CHATTERM_CONFIG", &env_str), ("CHATTERM_TIER", "")]);
    let no_env = env_of(&[]);

    let source =
        |l: Result<Loaded, ConfigError>| l.map(|l| l.config.source).map_err(|e| e.to_string());
    assert_eq!(
        source(load_with(Some(flag.clone()), &env, Some(default.clone()))),
        Ok(Some(flag))
    );
    assert_eq!(
        source(load_with(None, &env, Some(default.clone()))),
        Ok(Some(from_env))
    );
    assert_eq!(
        source(load_with(None, &no_env, Some(default.clone()))),
        Ok(Some(default))
    );
    // A missing file at the default location is not an error: the defaults apply.
    let absent = dir.path().join("absent.toml");
    let loaded = load_with(None, &no_env, Some(absent)).map_err(|e| e.to_string());
    assert_eq!(loaded.map(|l| l.config), Ok(Config::default()));
    assert_eq!(source(load_with(None, &no_env, None)), Ok(None));
}

#[test]
fn unreadable_file_error_names_file_and_os_error() {
    let dir = tempfile::tempdir();
    let Ok(dir) = dir else { panic!("{dir:?}") };
    // A directory exists but cannot be read as a file, on every platform and as root.
    let err = load_with(Some(dir.path().to_path_buf()), &env_of(&[]), None);
    let Err(err @ ConfigError::Read { .. }) = err else {
        panic!("{err:?}");
    };
    let message = err.to_string();
    let prefix = format!("{}: cannot read config file: ", dir.path().display());
    assert!(message.starts_with(&prefix), "{message}");
    assert!(message.len() > prefix.len(), "no OS error in {message}");
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
