//! `@` mentions in typed text: `@src/main.rs`, `@notes.md:10-80`, `@"a file.txt"`.
//!
//! A mention starts at an `@` at the start of the text or after whitespace or an opening
//! bracket (so `user@example.com` is not one) and runs to the next whitespace; trailing
//! sentence punctuation is not part of it. A quoted form takes spaces. On send, each
//! mention that names a file becomes an attachment; one that names nothing (or a
//! directory) stays text, and the text itself is sent as typed either way.

use super::{AttachError, Attachment, LoadOptions, load};

/// One `@` mention: where it is in the text (bytes, `@` included) and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    /// The path with any `:10-80` range, as typed (quotes removed).
    pub spec: String,
}

/// The mentions in `text`, in order.
pub fn mentions(text: &str) -> Vec<Mention> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts = c == '@' && prev.is_none_or(|p| p.is_whitespace() || "([{".contains(p));
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + 1..];
        let Some((spec, len)) = quoted(rest).or_else(|| bare(rest)) else {
            continue;
        };
        let end = i + 1 + len;
        found.push(Mention {
            start: i,
            end,
            spec,
        });
        while chars.peek().is_some_and(|(j, _)| *j < end) {
            prev = chars.next().map(|(_, c)| c);
        }
    }
    found
}

/// `"a file.txt"` right after the `@`: the spec and the bytes taken.
fn quoted(rest: &str) -> Option<(String, usize)> {
    let inner = rest.strip_prefix('"')?;
    let close = inner.find('"')?;
    let spec = &inner[..close];
    (!spec.is_empty() && !spec.contains('\n')).then(|| (spec.to_owned(), close + 2))
}

/// A bare path: up to whitespace, without trailing punctuation.
fn bare(rest: &str) -> Option<(String, usize)> {
    let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let word =
        rest[..word_end].trim_end_matches([',', '.', ';', ':', '!', '?', ')', ']', '}', '\'', '"']);
    (!word.is_empty()).then(|| (word.to_owned(), word.len()))
}

/// Loads the files `text` mentions, under `options` made [`super::Confinement::Mention`].
/// A mention of nothing (or of a directory) stays text, and so does every mention when
/// there is no workspace root; the first other refusal (outside
/// the workspace, too large, a binary, ...) is returned, so nothing is sent. The same
/// attachment mentioned twice is attached once.
pub fn resolve_mentions(text: &str, options: &LoadOptions) -> Result<Vec<Attachment>, AttachError> {
    if options.workspace.is_none() {
        return Ok(Vec::new());
    }
    let options = options.mention();
    let mut out: Vec<Attachment> = Vec::new();
    for mention in mentions(text) {
        match load(&mention.spec, &options) {
            Ok(a) if out.iter().any(|o| o.hash == a.hash) => {}
            Ok(a) => out.push(a),
            Err(AttachError::NotFound { .. } | AttachError::Directory { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
