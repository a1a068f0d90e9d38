//! Copying to the system clipboard through the terminal (OSC 52), and finding what to copy.
//!
//! OSC 52 asks the terminal emulator itself to set the clipboard, so copying works over
//! ssh and inside containers with no clipboard tool or display server. The app writes the
//! sequence with [`crate::tui::run::terminal::TerminalSession::write_raw`]. Terminals that do not
//! support it ignore it silently, so the app cannot confirm a copy; the status line says
//! "sent … to the clipboard", a request made, not a fact. Inside tmux the sequence reaches
//! the outer terminal only with `set-clipboard on` in the user's tmux config.
//!
//! [`code_blocks`] backs `/copy N`: the code blocks of an answer, in order, as the
//! markdown renderer sees them (same parser options), contents only.
//!
//! Nothing here writes to the terminal; these are pure functions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The largest base64 payload sent. Several terminals drop longer OSC 52 sequences
/// without a word (hterm/ChromeOS and others cap near 100 000 bytes; tmux and screen buffer
/// the whole sequence), and a silent failure is worse than "too large to copy".
pub const MAX_OSC52_BASE64: usize = 100_000;

/// The OSC 52 sequence that puts `text` on the clipboard, or `None` when its base64 form
/// is over [`MAX_OSC52_BASE64`] bytes (about 73 KB of text); the app should then say the
/// text is too large to copy.
///
/// The form is `ESC ] 52 ; c ; <base64> BEL`: `c` selects the clipboard (not the primary
/// selection), and the sequence ends with BEL rather than ST (`ESC \`) because BEL was
/// xterm's original terminator, and every terminal with OSC 52 accepts it, while some
/// older ones and some multiplexers mishandle the escape inside ST.
pub fn osc52(text: &str) -> Option<String> {
    if base64::encoded_len(text.len(), true)? > MAX_OSC52_BASE64 {
        return None;
    }
    Some(format!("\x1b]52;c;{}\x07", STANDARD.encode(text)))
}

/// The code blocks of a markdown text, fenced (backticks or tildes) and indented, in order
/// of appearance, including blocks nested in lists and quotes. Contents only: no fences,
/// no info string, no indentation, and without the final line break, so a one-line command
/// pasted into a shell does not run before the user has read it.
pub fn code_blocks(markdown: &str) -> Vec<String> {
    // The options the markdown renderer uses, so the numbering the user sees matches.
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => current = Some(String::new()),
            Event::Text(text) => {
                if let Some(block) = &mut current {
                    block.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(mut block) = current.take() {
                    if block.ends_with('\n') {
                        block.pop();
                    }
                    blocks.push(block);
                }
            }
            _ => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(sequence: &str) -> String {
        let payload = sequence
            .strip_prefix("\x1b]52;c;")
            .and_then(|s| s.strip_suffix('\x07'))
            .unwrap();
        String::from_utf8(STANDARD.decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn osc52_wraps_standard_base64() {
        assert_eq!(osc52("hello").unwrap(), "\x1b]52;c;aGVsbG8=\x07");
        assert_eq!(osc52("").unwrap(), "\x1b]52;c;\x07");
        for text in [
            "a",
            "ab",
            "abc",
            "line 1\nline 2\n",
            "é ✓ 🦀",
            "\x1b[31mred\x07",
        ] {
            assert_eq!(decoded(&osc52(text).unwrap()), text);
        }
    }

    #[test]
    fn osc52_payload_never_contains_control_characters() {
        let sequence = osc52("\x1b]52;c;evil\x07\x1b\\\n\r").unwrap();
        let payload = &sequence[7..sequence.len() - 1];
        assert!(payload.chars().all(|c| c.is_ascii_graphic()), "{payload:?}");
    }

    #[test]
    fn osc52_refuses_payloads_over_the_cap() {
        // 3 bytes become 4 base64 characters.
        let at_cap = "x".repeat(MAX_OSC52_BASE64 / 4 * 3);
        let encoded = osc52(&at_cap).unwrap();
        assert_eq!(encoded.len(), "\x1b]52;c;\x07".len() + MAX_OSC52_BASE64);
        assert_eq!(osc52(&format!("{at_cap}x")), None);
        assert_eq!(osc52(&"x".repeat(1_000_000)), None);
    }

    #[test]
    fn code_blocks_in_order_contents_only() {
        let md = "Intro\n\n```rust\nfn main() {}\n```\n\ntext `inline` here\n\n\
                  ~~~\ntilde\nblock\n~~~\n\n    indented\n    code\n\nend\n";
        assert_eq!(
            code_blocks(md),
            ["fn main() {}", "tilde\nblock", "indented\ncode"]
        );
    }

    #[test]
    fn longer_fences_contain_shorter_ones() {
        let md = "````markdown\nOuter\n```sh\necho hi\n```\n````\n\n~~~\n```\n~~~\n";
        assert_eq!(code_blocks(md), ["Outer\n```sh\necho hi\n```", "```"]);
    }

    #[test]
    fn code_in_lists_and_quotes_loses_its_indentation() {
        let md = "1. Step one:\n\n   ```sh\n   cargo build\n     --release\n   ```\n\n\
                  2. Step two\n\n> ```\n> quoted\n> ```\n";
        assert_eq!(code_blocks(md), ["cargo build\n  --release", "quoted"]);
    }

    #[test]
    fn code_block_edge_cases() {
        assert!(code_blocks("no code, just `inline`").is_empty());
        // Only the last line break goes; blank lines inside stay.
        assert_eq!(code_blocks("```\na\n\nb\n\n```\n"), ["a\n\nb\n"]);
        assert_eq!(code_blocks("```\n```\n"), [""]);
        // An unclosed fence (a streaming answer) runs to the end of the text.
        assert_eq!(code_blocks("```py\nprint(1)\n"), ["print(1)"]);
        // Tables are on, as in the renderer: a pipe row is not code.
        assert!(code_blocks("| a |\n|---|\n| `b` |\n").is_empty());
    }
}
