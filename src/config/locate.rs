//! Key paths (`models.fallback[1]`) and where they are in a TOML text.
//!
//! Errors and warnings name a key path always, and a line and column whenever the key can
//! be found in the source. Finding it means re-parsing the text with toml's span-preserving
//! parser ([`DeTable`]) and walking the path; this only happens on the error/warning path,
//! and config files are small, so the second parse costs nothing that matters.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to a key or array element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(Vec<Segment>);

impl KeyPath {
    /// Builds a path from dotted keys, e.g. `KeyPath::keys(&["api", "max_retries"])`.
    pub fn keys(keys: &[&str]) -> KeyPath {
        KeyPath(keys.iter().map(|k| Segment::Key((*k).to_owned())).collect())
    }

    pub fn key(mut self, key: &str) -> KeyPath {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    pub fn index(mut self, index: usize) -> KeyPath {
        self.0.push(Segment::Index(index));
        self
    }

    /// The path serde_path_to_error tracked to a deserialisation error.
    pub fn from_tracked(path: &serde_path_to_error::Path) -> KeyPath {
        use serde_path_to_error::Segment as S;
        let segments = path.iter().filter_map(|s| match s {
            S::Seq { index } => Some(Segment::Index(*index)),
            S::Map { key } => Some(Segment::Key(key.clone())),
            // Enum variants and unknown steps have no counterpart in a TOML document.
            S::Enum { .. } | S::Unknown => None,
        });
        KeyPath(segments.collect())
    }

    /// The path of a key serde_ignored reported as unknown.
    pub fn from_ignored(path: &serde_ignored::Path<'_>) -> KeyPath {
        use serde_ignored::Path as P;
        let mut out = KeyPath::default();
        fn walk(path: &P<'_>, out: &mut KeyPath) {
            match path {
                P::Root => {}
                P::Seq { parent, index } => {
                    walk(parent, out);
                    out.0.push(Segment::Index(*index));
                }
                P::Map { parent, key } => {
                    walk(parent, out);
                    out.0.push(Segment::Key(key.clone()));
                }
                P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
                    walk(parent, out);
                }
            }
        }
        walk(path, &mut out);
        out
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write_key(f, key)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes a key as TOML would: bare when it can be, quoted otherwise.
fn write_key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        f.write_str(key)
    } else {
        write!(f, "{key:?}")
    }
}

/// What of a key to point at: its name (for "unknown key") or its value (for "bad value").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Key,
    Value,
}

/// The byte range of `path` in `text`, or `None` if the text does not parse or the path is
/// not in it (e.g. the value came from another layer).
pub(crate) fn find_span(text: &str, path: &KeyPath, target: Target) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut span = root.span();
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&DeValue<'_>> = None;
    for (i, segment) in path.0.iter().enumerate() {
        let last = i + 1 == path.0.len();
        let next = match segment {
            Segment::Key(key) => {
                let (k, v) = table?.iter().find(|(k, _)| k.get_ref() == key)?;
                if last && target == Target::Key {
                    return Some(k.span());
                }
                v
            }
            Segment::Index(index) => value?.as_array()?.get(*index)?,
        };
        span = next.span();
        value = Some(next.get_ref());
        table = next.get_ref().as_table();
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_display_like_toml() {
        assert_eq!(
            KeyPath::keys(&["api", "max_retries"]).to_string(),
            "api.max_retries"
        );
        assert_eq!(
            KeyPath::keys(&["models", "fallback"]).index(1).to_string(),
            "models.fallback[1]"
        );
        assert_eq!(KeyPath::keys(&["a b", "c.d"]).to_string(), r#""a b"."c.d""#);
        assert_eq!(KeyPath::default().to_string(), "(top level)");
    }

    #[test]
    fn finds_keys_values_and_elements() {
        let text = "[api]\nmax_retries = 4\n[models]\nfallback = [\"max\", \"huge\"]\n";
        let retries = KeyPath::keys(&["api", "max_retries"]);
        assert_eq!(find_span(text, &retries, Target::Key), Some(6..17));
        assert_eq!(find_span(text, &retries, Target::Value), Some(20..21));
        let second = KeyPath::keys(&["models", "fallback"]).index(1);
        let span = find_span(text, &second, Target::Value).map(|r| &text[r]);
        assert_eq!(span, Some("\"huge\""));
    }

    #[test]
    fn missing_paths_and_broken_text_give_none() {
        let text = "[api]\nmax_retries = 4\n";
        assert_eq!(
            find_span(text, &KeyPath::keys(&["api", "nope"]), Target::Key),
            None
        );
        assert_eq!(
            find_span(text, &KeyPath::keys(&["api"]).index(0), Target::Value),
            None
        );
        assert_eq!(
            find_span("[api", &KeyPath::keys(&["api"]), Target::Key),
            None
        );
    }
}
