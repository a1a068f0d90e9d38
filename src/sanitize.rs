//! The one gate untrusted text (model output, tool output, file contents, model ids, API
//! error messages, stored conversations) passes before it reaches any output: a terminal,
//! a pipe, a file, JSON. No other module has rules of its own about which characters are
//! safe; the tests per output path are `tests/it/sanitize.rs` and `tui/sanitize_tests.rs`.
//!
//! A terminal obeys what it is sent: escape sequences can recolour or clear the screen,
//! move the cursor to overwrite what the user reads, set the window title, write the
//! clipboard (OSC 52) or plant hyperlinks (OSC 8); a carriage return can overwrite a shown
//! line; bidi overrides can make text read differently from what it is. So this module
//! removes all of that, and keeps every other character as it is.
//!
//! Removed:
//! - escape sequences, payload included: CSI (`ESC [` params final), OSC (`ESC ]` ... BEL or
//!   ST), DCS/SOS/PM/APC (`ESC P`, `ESC X`, `ESC ^`, `ESC _` ... ST), two-byte and
//!   intermediate `ESC` sequences (`ESC 7`, `ESC ( B`), and the 8-bit C1 introducers
//!   (U+009B CSI, U+009D OSC, U+0090 DCS, U+0098 SOS, U+009E PM, U+009F APC);
//! - C0 controls except `\n` and `\t`, DEL, and all C1 controls U+0080–U+009F;
//! - `\r` (so `\r\n` becomes `\n`, and a lone `\r` cannot overwrite text);
//! - the bidi embedding/override/isolate controls U+202A–U+202E and U+2066–U+2069.
//!
//! Invariants:
//! - The output never contains a character of the removed classes, however the input is
//!   built: the sequence parser only decides how much *payload* goes with a sequence, never
//!   whether a control character survives. (A property test checks this.)
//! - Clean input, the common case, comes back borrowed after one byte scan, with no
//!   allocation. Owned output always differs from the input.
//! - An escape sequence still open at the end of the input is dropped, so callers must
//!   sanitise whole strings: sanitising the pieces of a split sequence separately is still
//!   safe but may show the sequence's printable tail (e.g. `[31m`) as text. Text that
//!   arrives in pieces and is written as it comes (print mode's answer) goes through a
//!   [`Stream`], which carries the parser's state from one piece to the next, so a
//!   sequence split across pieces is removed whole.
//!
//! The functions, by destination (every output path uses one of them, nothing else):
//! - [`sanitize`]: multi-line text for a terminal or a text file (answers, tool output,
//!   Markdown exports, error messages);
//! - [`sanitize_line`]: one-line text (status bars, notices, titles, model ids, tool lines);
//! - [`Stream`]: [`sanitize`] for text written piece by piece as it streams;
//! - [`json_safe`]: JSON text (`-p --json`, `extract`, `history export --format json`):
//!   lossless, the removed characters become `\uXXXX` escapes inside strings, so the
//!   document means the same and a terminal shown it obeys nothing; [`json_escapes`] is
//!   the same rule for JSON chatterm writes itself (`stream::pretty_json`).

use std::borrow::Cow;

/// Removes control characters and escape sequences; keeps `\n` and `\t`.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// [`sanitize`], and also turns `\n` and `\t` into spaces, for one-line text such as a
/// status bar or a notice.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

/// [`sanitize`] for text that arrives in pieces and is written as each piece comes: an
/// escape sequence split across pieces is removed whole (its tail is not shown as text),
/// because the parser's state carries over. An escape still open when the stream ends is
/// dropped with it.
#[derive(Debug, Default)]
pub struct Stream {
    state: State,
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    /// The part of `piece` to write. Clean text outside a sequence comes back borrowed.
    pub fn push<'a>(&mut self, piece: &'a str) -> Cow<'a, str> {
        let start = if self.state == State::Ground {
            match first_suspect(piece.as_bytes(), false) {
                Some(start) => start,
                None => return Cow::Borrowed(piece),
            }
        } else {
            0
        };
        let mut filter = Filter::new(self.state, false, &piece[..start], piece.len());
        for c in piece[start..].chars() {
            filter.feed(c);
        }
        self.state = filter.state;
        Cow::Owned(filter.out)
    }
}

/// JSON text safe to show on a terminal or write to a file: the characters this gate
/// removes and `serde_json` writes raw (DEL, the C1 controls including NEL and the 8-bit
/// CSI, the bidi controls) become `\uXXXX` escapes. They can only occur inside strings
/// (JSON's own syntax is ASCII, and `serde_json` already escapes the C0 controls), so the
/// document and its value stay the same.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    let Some(start) = first_suspect(json.as_bytes(), false) else {
        return Cow::Borrowed(json);
    };
    let mut out = String::with_capacity(json.len() + 16);
    out.push_str(&json[..start]);
    for c in json[start..].chars() {
        // `\n` and `\t` are JSON whitespace here: serde_json escapes them inside strings.
        if json_escapes(c) && !matches!(c, '\n' | '\t') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` as an OSC 8 hyperlink to `url`, for terminals that support them; `None` when
/// the URL could carry anything but a plain web address. The one place chatterm writes an
/// escape sequence around untrusted text: the URL must be `http(s)://` made only of URL
/// characters (no controls, spaces, quotes, `ESC` or `BEL` can end the sequence early),
/// and the text is [`sanitize_line`]d, so neither can add a sequence of its own.
pub fn hyperlink(url: &str, text: &str) -> Option<String> {
    if !crate::stream::citations::linkable(url) {
        return None;
    }
    let text = sanitize_line(text);
    Some(format!("\u{1b}]8;;{url}\u{1b}\\{text}\u{1b}]8;;\u{1b}\\"))
}

/// Whether the terminal on stdout shows OSC 8 hyperlinks, from what it says about itself:
/// iTerm2, WezTerm, VS Code, Ghostty, kitty, Windows Terminal, VTE 0.50+ (GNOME Terminal
/// and others), Konsole. Not inside tmux or screen (they may drop or garble it), never
/// on a dumb terminal, and `CHATTERM_HYPERLINKS=0|1` decides outright.
pub fn hyperlinks_supported(env: &dyn Fn(&str) -> Option<String>) -> bool {
    match env("CHATTERM_HYPERLINKS").as_deref() {
        Some("1") => return true,
        Some("0") => return false,
        _ => {}
    }
    let term = env("TERM").unwrap_or_default();
    if term == "dumb" || env("TMUX").is_some() || term.starts_with("screen") {
        return false;
    }
    let program = env("TERM_PROGRAM").unwrap_or_default();
    let vte = env("VTE_VERSION").and_then(|v| v.parse::<u32>().ok());
    ["iTerm.app", "WezTerm", "vscode", "ghostty"].contains(&program.as_str())
        || env("KITTY_WINDOW_ID").is_some()
        || env("WT_SESSION").is_some()
        || env("KONSOLE_VERSION").is_some()
        || vte.is_some_and(|v| v >= 5000)
}

/// Whether JSON that chatterm draws itself (the live tool and extract panels) writes `c`
/// as an escape inside a string: every C0 control (as JSON requires), DEL, the C1
/// controls and the bidi controls, the characters [`json_safe`] escapes.
pub fn json_escapes(c: char) -> bool {
    matches!(c, '\n' | '\t' | ESC) || is_removed(c)
}

fn clean(s: &str, one_line: bool) -> Cow<'_, str> {
    let Some(start) = first_suspect(s.as_bytes(), one_line) else {
        return Cow::Borrowed(s);
    };
    // `start` is a char boundary: suspects are ASCII bytes or UTF-8 lead bytes.
    let mut filter = Filter::new(State::Ground, one_line, &s[..start], s.len());
    for c in s[start..].chars() {
        filter.feed(c);
    }
    Cow::Owned(filter.out)
}

/// The byte offset of the first character that [`clean`] would change, if any. Works on
/// bytes because that is what makes the clean case fast: C1 controls are `C2 80..9F` in
/// UTF-8 and the bidi controls `E2 80 AA..AE` and `E2 81 A6..A9`.
fn first_suspect(bytes: &[u8], one_line: bool) -> Option<usize> {
    bytes.iter().enumerate().position(|(i, &b)| match b {
        b'\n' | b'\t' => one_line,
        0x00..=0x1F | 0x7F => true,
        0xC2 => matches!(bytes.get(i + 1), Some(0x80..=0x9F)),
        0xE2 => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0x80), Some(0xAA..=0xAE)) | (Some(0x81), Some(0xA6..=0xA9))
        ),
        _ => false,
    })
}

/// Where the parser is, after the ECMA-48 / VT500 model, reduced to what decides how far a
/// sequence reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Plain text.
    #[default]
    Ground,
    /// After `ESC`.
    Escape,
    /// After `ESC` and intermediate bytes (0x20–0x2F), before the final byte.
    EscapeIntermediate,
    /// Inside a control sequence, before its final byte (0x40–0x7E).
    Csi,
    /// Inside OSC/DCS/SOS/PM/APC payload, until BEL, ST (`ESC \` or U+009C), CAN or SUB.
    Str,
    /// After `ESC` inside a string: `\` ends the string, anything else starts a new escape.
    StrEscape,
}

struct Filter {
    state: State,
    one_line: bool,
    out: String,
}

const ESC: char = '\u{1b}';

impl Filter {
    /// A filter in `state` whose output starts with `clean_prefix`; `len` is the whole
    /// input's length, for the output's capacity.
    fn new(state: State, one_line: bool, clean_prefix: &str, len: usize) -> Self {
        let mut out = String::with_capacity(len);
        out.push_str(clean_prefix);
        Self {
            state,
            one_line,
            out,
        }
    }

    fn feed(&mut self, c: char) {
        // A character that ends a sequence *abnormally* is not part of it; it is looked at
        // again as plain text (so a newline inside a broken sequence survives).
        if !self.step(c) {
            self.state = State::Ground;
            self.step(c);
        }
    }

    /// Advances by one character; `false` when `c` must be re-read in `Ground`.
    fn step(&mut self, c: char) -> bool {
        self.state = match self.state {
            State::Ground => self.ground(c),
            State::Escape => match c {
                '[' => State::Csi,
                ']' | 'P' | 'X' | '^' | '_' => State::Str,
                ESC => State::Escape,
                ' '..='/' => State::EscapeIntermediate,
                '0'..='~' => State::Ground,
                _ => return false,
            },
            State::EscapeIntermediate => match c {
                ' '..='/' => State::EscapeIntermediate,
                '0'..='~' => State::Ground,
                ESC => State::Escape,
                _ => return false,
            },
            State::Csi => match c {
                ' '..='?' => State::Csi,
                '@'..='~' => State::Ground,
                ESC => State::Escape,
                _ => return false,
            },
            State::Str => match c {
                '\u{7}' | '\u{9c}' | '\u{18}' | '\u{1a}' => State::Ground,
                ESC => State::StrEscape,
                _ => State::Str,
            },
            State::StrEscape => match c {
                '\\' => State::Ground,
                _ => {
                    self.state = State::Escape;
                    return self.step(c);
                }
            },
        };
        true
    }

    fn ground(&mut self, c: char) -> State {
        match c {
            ESC => return State::Escape,
            '\u{9b}' => return State::Csi,
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => return State::Str,
            '\n' | '\t' if self.one_line => self.out.push(' '),
            '\n' | '\t' => self.out.push(c),
            c if is_removed(c) => {}
            c => self.out.push(c),
        }
        State::Ground
    }
}

/// The single characters removed wherever they appear (`\n` and `\t` are handled apart).
fn is_removed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn owned(s: &str) -> String {
        let out = sanitize(s);
        assert!(matches!(out, Cow::Owned(_)), "{s:?} came back borrowed");
        out.into_owned()
    }

    #[test]
    fn each_class_is_removed() {
        let cases = [
            // CSI: colours, cursor movement, clear screen, private modes.
            ("a\x1b[31mred\x1b[0m b", "ared b"),
            ("\x1b[2J\x1b[H\x1b[?1049hx", "x"),
            ("\x1b[38;2;255;0;0mx", "x"),
            // OSC: title (BEL and ST terminated), clipboard write, hyperlink.
            ("\x1b]0;pwned\x07after", "after"),
            ("\x1b]2;title\x1b\\after", "after"),
            ("\x1b]52;c;ZWNobyBoaQ==\x07ok", "ok"),
            (
                "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
                "click",
            ),
            // DCS, SOS, PM, APC.
            ("\x1bPq#0;2;0;0;0\x1b\\x", "x"),
            ("\x1bXsos\x1b\\\x1b^pm\x1b\\\x1b_apc\x1b\\x", "x"),
            // Two-byte and intermediate escapes.
            ("\x1b7\x1b8\x1bcx\x1b(By", "xy"),
            // 8-bit C1 introducers and their payloads, then other C1 controls.
            ("a\u{9b}31mb", "ab"),
            ("a\u{9d}0;t\u{7}b", "ab"),
            ("a\u{9d}0;t\u{9c}b", "ab"),
            ("a\u{90}payload\u{9c}b", "ab"),
            ("a\u{85}\u{80}\u{9c}b", "ab"),
            // C0 and DEL; tab and newline kept.
            ("a\u{0}\u{7}\u{8}\u{c}\u{1f}\u{7f}b\tc\nd", "ab\tc\nd"),
            // Carriage returns.
            ("one\r\ntwo\r\n", "one\ntwo\n"),
            ("secret\rfake", "secretfake"),
            // Bidi overrides and isolates.
            (
                "a\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}b\u{2066}\u{2067}\u{2068}\u{2069}c",
                "abc",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(owned(input), expected, "{input:?}");
        }
    }

    #[test]
    fn unterminated_and_broken_sequences() {
        let cases = [
            // Open at the end: dropped.
            ("text\x1b", "text"),
            ("text\x1b[31", "text"),
            ("text\x1b]0;title never ends", "text"),
            ("text\x1bP", "text"),
            ("text\x1b(", "text"),
            // Broken by a character that cannot belong: that character is kept as text.
            ("\x1b[31\nx", "\nx"),
            ("\x1bé", "é"),
            ("\x1b[1é", "é"),
            // CAN aborts a string; ESC inside a string starts a new sequence.
            ("\x1b]0;t\x18x", "x"),
            ("\x1b]0;t\x1b[31mx", "x"),
            // A new ESC restarts a sequence.
            ("\x1b\x1b[0mx", "x"),
        ];
        for (input, expected) in cases {
            assert_eq!(owned(input), expected, "{input:?}");
        }
    }

    #[test]
    fn clean_text_is_borrowed() {
        for s in [
            "",
            "plain",
            "tab\tand\nnewline",
            "unicode: é ü 漢字 🦀 \u{a0}\u{200f}",
        ] {
            assert!(matches!(sanitize(s), Cow::Borrowed(b) if b == s), "{s:?}");
        }
        // Lookalike bytes next to the C1 and bidi ranges are not suspects.
        for s in ["\u{a0}\u{bf}", "\u{2029}\u{202f}\u{2065}\u{206a}"] {
            assert!(matches!(sanitize(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn sanitize_line_flattens_whitespace_controls() {
        assert_eq!(sanitize_line("a\nb\tc\r\nd\x1b[1m!"), "a b c d!");
        assert!(matches!(
            sanitize_line("one line"),
            Cow::Borrowed("one line")
        ));
        assert!(matches!(sanitize_line("two\nlines"), Cow::Owned(_)));
    }

    #[test]
    fn a_stream_removes_sequences_split_across_pieces() {
        let mut stream = Stream::new();
        let pieces = [
            "red: \x1b[3",
            "1mtext\x1b",
            "]52;c;SGVsbG8=",
            "\x07 link \x1b]8;;http://e.x",
            "\x1b\\here\x1b]8;;\x1b\\ \u{9b}",
            "2J end\r",
            "\n",
        ];
        let out: String = pieces.iter().map(|p| stream.push(p).into_owned()).collect();
        assert_eq!(out, "red: text link here  end\n");
        assert_eq!(out, sanitize(&pieces.concat()));
        // Clean pieces outside a sequence are borrowed.
        assert!(matches!(stream.push("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn json_safe_escapes_inside_strings_and_keeps_the_value() {
        let v = serde_json::json!({"a": "x\u{9b}31m\u{202e}y\u{1b}\u{85}z\u{7f}"});
        let raw = serde_json::to_string_pretty(&v).unwrap();
        let safe = json_safe(&raw);
        assert!(!safe.chars().any(|c| forbidden(c, false)), "{safe}");
        assert!(
            safe.contains("\\u009b") && safe.contains("\\u202e"),
            "{safe}"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
        assert!(matches!(json_safe("{\"ok\": 1}"), Cow::Borrowed(_)));
    }

    fn forbidden(c: char, one_line: bool) -> bool {
        is_removed(c) || c == ESC || (one_line && (c == '\n' || c == '\t'))
    }

    /// Strings rich in the characters that start, continue and end sequences.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<char>(),
            Just(ESC),
            Just('\u{9b}'),
            Just('\u{9d}'),
            Just('\u{90}'),
            Just('\u{9c}'),
            Just('\u{7}'),
            Just('\r'),
            Just('\n'),
            Just('\u{202e}'),
            proptest::char::range(' ', '~'),
        ];
        proptest::collection::vec(piece, 0..64).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn output_never_contains_forbidden_chars(s in hostile()) {
            let text = sanitize(&s);
            prop_assert!(!text.chars().any(|c| forbidden(c, false)), "{:?} -> {:?}", s, text);
            // Sanitised text is clean, so a second pass borrows it unchanged.
            prop_assert!(matches!(sanitize(&text), Cow::Borrowed(t) if t == text));
            let line = sanitize_line(&s);
            prop_assert!(!line.chars().any(|c| forbidden(c, true)), "{:?} -> {:?}", s, line);
        }

        #[test]
        fn a_stream_in_any_pieces_equals_the_whole(s in hostile(), cuts in proptest::collection::vec(0usize..64, 0..6)) {
            let chars: Vec<char> = s.chars().collect();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(chars.len())).collect();
            cuts.sort_unstable();
            let mut stream = Stream::new();
            let mut out = String::new();
            let mut from = 0;
            for to in cuts.into_iter().chain([chars.len()]) {
                let piece: String = chars[from..to].iter().collect();
                out.push_str(&stream.push(&piece));
                from = to;
            }
            prop_assert_eq!(out, sanitize(&s).into_owned());
        }

        #[test]
        fn json_safe_output_is_clean_and_means_the_same(s in hostile()) {
            let raw = serde_json::to_string(&s).unwrap();
            let safe = json_safe(&raw);
            prop_assert!(!safe.chars().any(|c| forbidden(c, false)), "{:?}", safe);
            prop_assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), s);
        }

        #[test]
        fn clean_text_is_returned_borrowed_and_unchanged(
            s in proptest::collection::vec(
                any::<char>().prop_filter("clean", |c| !forbidden(*c, false)), 0..64
            ).prop_map(|v| v.into_iter().collect::<String>())
        ) {
            prop_assert!(matches!(sanitize(&s), Cow::Borrowed(t) if t == s));
        }
    }
}
