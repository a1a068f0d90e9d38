//! Config tests of loading: which file is read (flag, then `CHATTERM_CONFIG`, then the
//! default location), the errors for missing and unreadable files, and the env layer over
//! the file. Nothing here reads the real environment or home directory: env lookups are
//! injected and the default file location is passed in.

use std::collections::HashMap;
use std::path::PathBuf;

use super::load::load_with_default_path;
use super::tests::fixture;
use super::*;

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
