//! Text attachments: the header that names the file, line ranges, and telling text from
//! binary.
//!
//! A text attachment is one text block: `<file path="NAME" lines="10-80">`, a newline, the
//! text, a newline, `</file>`. Images and PDFs are preceded by a one-line caption
//! `<file path="NAME" type="image/png"/>`. The path is escaped like an XML attribute, so
//! the header can be read back ([`parse_header`]) from a stored message.

use super::{AttachError, LineRange};

/// What a text block of an attachment says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub name: String,
    pub range: Option<LineRange>,
    /// `type="…"` of a caption (image or PDF), `None` for a text file's block.
    pub media_type: Option<String>,
    /// A caption (`<file …/>`) rather than a whole text file.
    pub caption: bool,
}

const OPEN: &str = "<file path=\"";

/// The text block's text for a text file.
pub(super) fn file_block_text(name: &str, range: Option<LineRange>, body: &str) -> String {
    let lines = range.map_or(String::new(), |r| format!(" lines=\"{r}\""));
    format!("{OPEN}{}\"{lines}>\n{body}\n</file>", escape(name))
}

/// The caption before an image or PDF block.
pub(super) fn caption(name: &str, media_type: &str) -> String {
    format!("{OPEN}{}\" type=\"{media_type}\"/>", escape(name))
}

/// Reads an attachment's header back; `None` for any other text.
pub(super) fn parse_header(text: &str) -> Option<Header> {
    let rest = text.strip_prefix(OPEN)?;
    let first_line = rest.split('\n').next().unwrap_or(rest);
    let (name, attrs) = first_line.split_once('"')?;
    let caption = attrs.ends_with("/>") && !text.contains('\n');
    let whole_file = !caption && attrs.ends_with('>') && text.ends_with("\n</file>");
    if !caption && !whole_file {
        return None;
    }
    let attr = |key: &str| {
        let start = attrs.find(&format!(" {key}=\""))? + key.len() + 3;
        let len = attrs[start..].find('"')?;
        Some(attrs[start..start + len].to_owned())
    };
    Some(Header {
        name: unescape(name),
        range: attr("lines").and_then(|r| parse_range(&r)),
        media_type: attr("type"),
        caption,
    })
}

/// `10-80`, `10-` or `10` (one line).
pub(super) fn parse_range(s: &str) -> Option<LineRange> {
    let (start, end) = match s.split_once('-') {
        Some((a, "")) => (a.parse().ok()?, None),
        Some((a, b)) => (a.parse().ok()?, Some(b.parse().ok()?)),
        None => {
            let n = s.parse().ok()?;
            (n, Some(n))
        }
    };
    (start >= 1 && end.is_none_or(|e| e >= start)).then_some(LineRange { start, end })
}

/// The lines of `text` in `range`, and how many lines the file has.
pub(super) fn take_lines(name: &str, text: &str, range: LineRange) -> Result<String, AttachError> {
    let total = text.lines().count();
    let end = range.end.unwrap_or(total).min(total);
    if range.start > total {
        return Err(AttachError::BadRange {
            name: name.to_owned(),
            range: range.to_string(),
            lines: total,
        });
    }
    let taken: Vec<&str> = text
        .lines()
        .skip(range.start - 1)
        .take(end + 1 - range.start)
        .collect();
    Ok(taken.join("\n"))
}

/// Text is valid UTF-8 without NUL bytes; anything else is a binary, named by its magic
/// bytes when they are well known.
pub(super) fn as_text(bytes: &[u8]) -> Result<&str, String> {
    let what = || binary_kind(bytes).to_owned();
    if bytes.contains(&0) {
        return Err(what());
    }
    std::str::from_utf8(bytes).map_err(|_| what())
}

fn binary_kind(bytes: &[u8]) -> &'static str {
    const KNOWN: &[(&[u8], &str)] = &[
        (b"\x7fELF", "an ELF executable"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"BM", "a BMP image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"SQLite format 3\0", "an SQLite database"),
        (b"\0asm", "a WebAssembly module"),
        (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
        (b"MZ", "a Windows executable"),
    ];
    KNOWN
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map_or("not UTF-8 text", |(_, what)| what)
}

fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

fn unescape(name: &str) -> String {
    name.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
