//! Reading file names out of typed and pasted text, purely: the arguments of `/attach`,
//! the `@` token being completed, and whether a paste is a path worth offering to attach.
//!
//! Paths may hold spaces: `/attach` takes them quoted (`"my notes.pdf"`, `'…'`) or with
//! backslash-escaped spaces (`my\ notes.pdf`), as a shell would and as terminals write a
//! file dropped onto them. A pasted path may also come as a `file://` URL (some file
//! managers copy that), with `%20` for spaces. Nothing here touches the disk: whether the
//! file exists is for the event loop to find out (`run/attach.rs`).

use std::path::PathBuf;

/// The words of `/attach`'s argument, unquoted. An unclosed quote is an error.
pub fn split_paths(arg: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = arg.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                word.extend(chars.next());
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("/attach: a quote is not closed".to_owned());
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("usage: /attach PATH... (quote a path with spaces)".to_owned());
    }
    Ok(words)
}

/// A path as `/attach` takes it back: quoted when it has spaces or quotes.
pub fn quote_path(path: &str) -> String {
    if !path.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\\') {
        return path.to_owned();
    }
    if !path.contains('"') {
        return format!("\"{path}\"");
    }
    path.replace('\\', "\\\\")
        .replace(' ', "\\ ")
        .replace('"', "\\\"")
        .replace('\'', "\\'")
}

/// The query of the `@` mention that `word` (the word before the cursor) is, if it is
/// one: `@src/ma` gives `src/ma`. An `@` inside a word (an e-mail address) is no mention.
pub fn mention_query(word: &str) -> Option<&str> {
    word.strip_prefix('@')
}

/// The path a paste names, when the whole paste looks like one path: one line, absolute,
/// home-relative (`~/`) or explicitly relative (`./`, `../`), possibly quoted, with
/// escaped spaces or as a `file://` URL. `home` expands `~`. Anything else is prose.
pub fn pasted_path(text: &str, home: Option<&std::path::Path>) -> Option<PathBuf> {
    let text = text.trim();
    if text.is_empty() || text.contains('\n') || text.len() > 4096 {
        return None;
    }
    let text = match text.strip_prefix("file://") {
        Some(rest) => percent_decode(rest)?,
        None => {
            let words = split_paths(text).ok()?;
            let [one] = words.as_slice() else {
                return None;
            };
            one.clone()
        }
    };
    if let Some(rest) = text.strip_prefix("~/") {
        return Some(home?.join(rest));
    }
    let explicit = text.starts_with('/') || text.starts_with("./") || text.starts_with("../");
    explicit.then(|| PathBuf::from(text))
}

/// `%XX` escapes decoded; `None` when they do not make UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn attach_arguments_split_like_a_shell_does() {
        assert_eq!(split_paths("a.png  b.pdf").unwrap(), ["a.png", "b.pdf"]);
        assert_eq!(
            split_paths(r#""my notes.pdf" it\'s\ here.txt"#).unwrap(),
            ["my notes.pdf", "it's here.txt"]
        );
        assert_eq!(split_paths("''").unwrap(), [""]);
        assert!(split_paths("\"open").unwrap_err().contains("not closed"));
        assert!(split_paths("   ").unwrap_err().contains("usage"));
        for path in [
            "plain.rs",
            "my notes.pdf",
            "it's \"quoted\".txt",
            r"back\slash",
        ] {
            assert_eq!(split_paths(&quote_path(path)).unwrap(), [path], "{path}");
        }
    }

    #[test]
    fn only_an_at_at_a_word_start_is_a_mention() {
        assert_eq!(mention_query("@src/ma"), Some("src/ma"));
        assert_eq!(mention_query("@"), Some(""));
        assert_eq!(mention_query("me@example.com"), None);
        assert_eq!(mention_query("plain"), None);
    }

    #[test]
    fn a_paste_is_a_path_only_when_it_is_one_explicit_path() {
        let home = Path::new("/home/me");
        let path = |t| pasted_path(t, Some(home));
        assert_eq!(path("/tmp/notes.pdf\n"), Some("/tmp/notes.pdf".into()));
        assert_eq!(
            path("'/tmp/my notes.pdf'"),
            Some("/tmp/my notes.pdf".into())
        );
        assert_eq!(
            path(r"/tmp/my\ notes.pdf"),
            Some("/tmp/my notes.pdf".into())
        );
        assert_eq!(path("~/a.png"), Some("/home/me/a.png".into()));
        assert_eq!(path("./a.png"), Some("./a.png".into()));
        assert_eq!(
            path("file:///tmp/my%20notes.pdf"),
            Some("/tmp/my notes.pdf".into())
        );
        assert_eq!(pasted_path("~/a.png", None), None);
        for prose in [
            "notes.pdf",
            "see /tmp/a.png",
            "/a\n/b",
            "",
            "and/or",
            "file:///%zz",
        ] {
            assert_eq!(path(prose), None, "{prose:?}");
        }
    }
}
