//! Config tests of validation errors: each invalid fixture must fail with one line that
//! names the file, the `line:column` and the key path, and the right error variant.

use super::tests::{fixture, parse_fixture};
use super::*;

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
        "huge-first-byte-timeout.toml",
        "2:27",
        "api.first_byte_timeout_secs",
        "must be at most 86400 seconds (one day), got 10000000000000000000",
    ),
    (
        "idle-timeout-over-a-day.toml",
        "2:21",
        "api.idle_timeout_secs",
        "must be at most 86400 seconds (one day), got 86401",
    ),
    (
        "tool-timeout-over-a-day.toml",
        "6:16",
        "tools.command[0].timeout_secs",
        "must be at most 86400 seconds (one day)",
    ),
    (
        "bad-env-passthrough.toml",
        "2:36",
        "tools.env_passthrough[1]",
        "\"NOT A NAME\" is not an environment variable name",
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
