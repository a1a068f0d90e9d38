//! Why a config could not be loaded, as one line a user can act on.
//!
//! Every variant names where the problem is: the file (with line, column and key path when
//! the problem is in the file's content), or the environment variable. The `Display` output
//! is a single line in the `file:line:col: key: message` shape compilers use, so editors
//! and terminals can jump to it.

use std::fmt;
use std::path::PathBuf;

/// A place in a config file. Line and column are 1-based; the column counts characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    /// The location of byte `offset` of `text`, the contents of `file`. An offset past the
    /// end or inside a character is clamped, because a location is only ever advisory.
    pub fn at(file: &std::path::Path, text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            file: file.to_path_buf(),
            line: Some(before.matches('\n').count() + 1),
            column: Some(before[line_start..].chars().count() + 1),
        }
    }

    /// A location that only names the file.
    pub fn file(file: &std::path::Path) -> Location {
        Location {
            file: file.to_path_buf(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A config that cannot be used. See the module docs for the message format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file named explicitly (`--config` or `CHATTERM_CONFIG`) does not exist. A missing
    /// file at the default location is not an error.
    #[error("{path}: config file not found (named by {named_by})")]
    NotFound {
        path: PathBuf,
        /// `--config` or `CHATTERM_CONFIG`.
        named_by: &'static str,
    },
    /// The file exists but could not be read (permissions, not UTF-8, a directory, ...).
    #[error("{path}: cannot read config file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{location}: TOML syntax error: {message}")]
    Syntax { location: Location, message: String },
    /// A key has the wrong type or a value out of range.
    #[error("{location}: {key}: {message}")]
    Invalid {
        location: Location,
        /// The key path, e.g. `models.fallback[1]`.
        key: String,
        message: String,
    },
    /// An environment variable chatterm reads has an unusable value.
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn location_counts_lines_and_characters() {
        let text = "a = 1\n[b]\nçé = 2\n";
        let at = |off| Location::at(Path::new("f.toml"), text, off).to_string();
        assert_eq!(at(0), "f.toml:1:1");
        assert_eq!(at(4), "f.toml:1:5");
        assert_eq!(at(6), "f.toml:2:1");
        // "çé" is four bytes but two characters: the `=` is column 4.
        assert_eq!(at(15), "f.toml:3:4");
        // Out of range and mid-character offsets are clamped, not a panic.
        assert_eq!(at(11), "f.toml:3:1");
        assert_eq!(at(13), "f.toml:3:2");
        assert_eq!(at(999), "f.toml:4:1");
    }

    #[test]
    fn location_without_line_names_the_file_only() {
        assert_eq!(
            Location::file(Path::new("/x/c.toml")).to_string(),
            "/x/c.toml"
        );
    }
}
