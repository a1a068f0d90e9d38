//! Large pastes as chips: `[pasted 3,000 lines · 197 KB]` in the input and in the
//! conversation, the full text in the message that is sent.
//!
//! The model: a paste over [`CHIP_LINES`] lines or [`CHIP_BYTES`] bytes is not put in the
//! input; a chip (one short line of text) is, and the app keeps (chip, text) pairs. Sending
//! replaces each chip with its text ([`expand`]), noting where each paste landed, so the
//! user message in the conversation ([`UserText`]) can show it as the chip again until it
//! is expanded (Ctrl+O). Deleting a chip from the input drops its paste. Labels are unique
//! within a session (a second paste of the same size gets `#2`), so a chip recalled from
//! the input history still finds its text.

use std::ops::{Deref, Range};

/// A paste longer than this many lines becomes a chip.
pub const CHIP_LINES: usize = 20;
/// A paste larger than this many bytes becomes a chip.
pub const CHIP_BYTES: usize = 2048;

/// Whether `text` is shown as a chip rather than pasted as it is.
pub fn is_large(text: &str) -> bool {
    text.len() > CHIP_BYTES || text.lines().count() > CHIP_LINES
}

/// The chip of `text`: `[pasted 3,000 lines · 197 KB]`.
pub fn chip(text: &str) -> String {
    let lines = text.lines().count().max(1);
    let unit = if lines == 1 { "line" } else { "lines" };
    format!(
        "[pasted {} {unit} · {}]",
        thousands(lines),
        size(text.len())
    )
}

/// A chip for `text` that none of `taken` already uses.
pub fn unique_chip(text: &str, taken: &[(String, String)]) -> String {
    let base = chip(text);
    let mut label = base.clone();
    let mut n = 1;
    while taken.iter().any(|(l, _)| *l == label) {
        n += 1;
        label = format!("{} #{n}]", base.trim_end_matches(']'));
    }
    label
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// `text` with every chip of `pastes` replaced by its text, and where each landed.
pub fn expand(text: &str, pastes: &[(String, String)]) -> UserText {
    let mut out = String::with_capacity(text.len());
    let mut ranges = Vec::new();
    let mut rest = text;
    loop {
        let next = pastes
            .iter()
            .filter_map(|(label, full)| Some((rest.find(label.as_str())?, label, full)))
            .min_by_key(|&(at, label, _)| (at, usize::MAX - label.len()));
        let Some((at, label, full)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at]);
        ranges.push(out.len()..out.len() + full.len());
        out.push_str(full);
        rest = &rest[at + label.len()..];
    }
    UserText {
        text: out,
        pastes: ranges,
        attachments: Vec::new(),
    }
}

/// A user message as the conversation shows it: the text sent, the byte ranges of the
/// large pastes in it, shown as chips while collapsed, and the chips of the files attached
/// to it (`app/attach.rs`), shown above the text. Reads as the text (`Deref<str>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserText {
    text: String,
    pastes: Vec<Range<usize>>,
    attachments: Vec<String>,
}

impl UserText {
    /// The same message with these attachment chips (one line each above the text).
    pub fn with_attachments(mut self, chips: Vec<String>) -> Self {
        self.attachments = chips;
        self
    }

    /// The attachment chips shown with the message.
    pub fn attachments(&self) -> &[String] {
        &self.attachments
    }

    /// The text as shown: the attachments' chips, then the text with each paste as its
    /// chip unless `expanded`.
    pub fn shown(&self, expanded: bool) -> String {
        let text = self.shown_text(expanded);
        if self.attachments.is_empty() {
            return text;
        }
        let mut out = self.attachments.join("\n");
        if !text.is_empty() {
            out.push('\n');
            out.push_str(&text);
        }
        out
    }

    fn shown_text(&self, expanded: bool) -> String {
        if expanded || self.pastes.is_empty() {
            return self.text.clone();
        }
        let mut out = String::new();
        let mut from = 0;
        for range in &self.pastes {
            out.push_str(&self.text[from..range.start]);
            out.push_str(&chip(&self.text[range.clone()]));
            from = range.end;
        }
        out.push_str(&self.text[from..]);
        out
    }

    pub fn has_pastes(&self) -> bool {
        !self.pastes.is_empty()
    }
}

impl Deref for UserText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<String> for UserText {
    fn from(text: String) -> Self {
        UserText {
            text,
            pastes: Vec::new(),
            attachments: Vec::new(),
        }
    }
}

impl From<&str> for UserText {
    fn from(text: &str) -> Self {
        UserText::from(text.to_owned())
    }
}

impl PartialEq<str> for UserText {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for UserText {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_pastes_stay_text_and_large_ones_become_chips() {
        assert!(!is_large("one\ntwo"));
        assert!(is_large(&"line\n".repeat(21)));
        assert!(is_large(&"x".repeat(2049)));
        let big = "0123456789abcdef\n".repeat(3000);
        assert_eq!(chip(&big), "[pasted 3,000 lines · 50 KB]");
        assert_eq!(chip(&"x".repeat(3000)), "[pasted 1 line · 3 KB]");
    }

    #[test]
    fn chips_are_unique_and_expand_to_their_text_where_they_stand() {
        let a = "a\n".repeat(30);
        let b = "b\n".repeat(30);
        let mut pastes = Vec::new();
        let first = unique_chip(&a, &pastes);
        pastes.push((first.clone(), a.clone()));
        let second = unique_chip(&b, &pastes);
        pastes.push((second.clone(), b.clone()));
        assert_eq!(first, "[pasted 30 lines · 60 B]");
        assert_eq!(second, "[pasted 30 lines · 60 B #2]");

        let typed = format!("look: {second} and {first}!");
        let sent = expand(&typed, &pastes);
        assert_eq!(&*sent, format!("look: {b} and {a}!"));
        // The transcript shows each paste's chip as its size says.
        assert_eq!(
            sent.shown(false),
            format!("look: {} and {first}!", chip(&b))
        );
        assert_eq!(sent.shown(true), &*sent);
        // A chip edited by hand is plain text.
        let broken = expand("[pasted 30 lines · 60", &pastes);
        assert!(!broken.has_pastes());
    }
}
