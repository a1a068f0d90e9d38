//! One config text applied as one layer: TOML syntax, types, value ranges, unknown keys.
//!
//! The pipeline is toml's parser, then serde into [`RawConfig`] with two observers wrapped
//! around the deserializer: serde_path_to_error records the key path of a failure, and
//! serde_ignored reports every key the raw types do not know. Then `apply.rs` checks the
//! ranges and writes the values into the [`Config`] being built. Every failure becomes a
//! [`ConfigError`] located in the text: toml's own span when it has one, else the key path
//! looked up in the document (`locate.rs`).

use std::path::Path;

use super::error::{ConfigError, Location};
use super::locate::{KeyPath, Target, find_span};
use super::raw::RawConfig;
use super::{Config, apply};

/// Parses `text`, read from `origin` (used in messages only), and applies what it sets to
/// `config`. Returns the unknown keys as warning lines. On error `config` may be partly
/// updated; callers discard it.
pub(crate) fn apply_layer(
    text: &str,
    origin: &Path,
    config: &mut Config,
) -> Result<Vec<String>, ConfigError> {
    let de = toml::de::Deserializer::parse(text).map_err(|e| ConfigError::Syntax {
        location: e.span().map_or_else(
            || Location::file(origin),
            |span| Location::at(origin, text, span.start),
        ),
        message: one_line(e.message()),
    })?;

    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let result: Result<RawConfig, toml::de::Error> = serde_ignored::deserialize(
        serde_path_to_error::Deserializer::new(de, &mut track),
        |path| unknown.push(KeyPath::from_ignored(&path)),
    );
    let raw = match result {
        Ok(raw) => raw,
        Err(e) => {
            let key = KeyPath::from_tracked(&track.path());
            // The key path beats toml's span: for a bad array element toml points at the
            // whole array, the path at the element.
            let span = find_span(text, &key, Target::Value).or_else(|| e.span());
            let location = span.map_or_else(
                || Location::file(origin),
                |span| Location::at(origin, text, span.start),
            );
            return Err(ConfigError::Invalid {
                location,
                key: key.to_string(),
                message: one_line(e.message()),
            });
        }
    };

    apply::apply(&raw, origin, config).map_err(|(key, message)| ConfigError::Invalid {
        location: locate(text, origin, &key, Target::Value),
        key: key.to_string(),
        message,
    })?;

    Ok(unknown
        .iter()
        .map(|key| {
            let mut location = locate(text, origin, key, Target::Key);
            // The line is enough to find a key; a column would only add noise here.
            location.column = None;
            format!("{location}: unknown key `{key}` (ignored)")
        })
        .collect())
}

/// The location of `key` in `text`, or just the file when the key cannot be found.
fn locate(text: &str, origin: &Path, key: &KeyPath, target: Target) -> Location {
    find_span(text, key, target).map_or_else(
        || Location::file(origin),
        |span| Location::at(origin, text, span.start),
    )
}

/// Error messages are shown on one line; toml's are already short, but be sure. Serde's
/// wording names Rust types (`u32`, `struct RawApi`); say what a config author would write.
fn one_line(message: &str) -> String {
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = message
        .replace(
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        )
        .replace("expected a map", "expected a table");
    match message.find("expected struct Raw") {
        Some(at) => format!("{}expected a table", &message[..at]),
        None => message,
    }
}
