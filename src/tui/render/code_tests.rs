use super::*;
use crate::tui::render::markdown::render_unnumbered;
use crate::tui::test_support::dark;

#[test]
fn fences_open_and_close_as_commonmark_says() {
    assert_eq!(opening("```rust"), Some(('`', 3, "rust")));
    assert_eq!(opening("~~~~ py x"), Some(('~', 4, " py x")));
    assert_eq!(opening("``"), None);
    assert_eq!(
        opening("```a`b"),
        None,
        "a backtick fence's info has no backtick"
    );
    assert_eq!(
        opening(" ```"),
        None,
        "only unindented fences are followed live"
    );
    assert!(closes("```", '`', 3));
    assert!(closes("   `````  ", '`', 3));
    assert!(!closes("``", '`', 3), "shorter than the opening");
    assert!(!closes("```rust", '`', 3), "a closing fence has no info");
    assert!(!closes("    ```", '`', 3), "four spaces make it code");
    assert!(!closes("~~~", '`', 3));
}

/// The live fence's lines after taking `text` in line by line, one line at a time.
fn live(text: &str, width: usize) -> Option<Vec<Line<'static>>> {
    let theme = dark();
    let mut fence = LiveFence::open(text, 0, width, &theme)?;
    let mut end = 0;
    while let Some(rel) = text[end..].find('\n') {
        end += rel + 1;
        if !fence.advance(&text[..end]) {
            return None;
        }
    }
    fence.lines().map(<[_]>::to_vec)
}

#[test]
fn a_fence_taken_line_by_line_renders_as_markdown_does() {
    let texts = [
        "```rust\nfn main() {\n    let s = \"a string\";\n}\n",
        "```rust\nfn main() {}\n```\n\n\n",
        "```\nplain\n\n\tindented by a tab\n~~~\n",
        "~~~python x\nprint('a very long line that is wider than the block it is in')\n~~~\n",
        "````md\n```\nstill code\n````\n",
        "```rust\nlet x = \"\x1b[31mred\x1b[0m\";\n",
    ];
    for text in texts {
        for width in [20, 80] {
            let whole = render_unnumbered(text, width, &dark());
            assert_eq!(live(text, width), Some(whole), "{text:?} at {width}");
        }
    }
}

#[test]
fn what_is_not_a_lone_fence_is_left_to_the_markdown_renderer() {
    // Text after the closing fence, a paragraph first, an opening line alone.
    assert_eq!(live("```\ncode\n```\nmore\n", 40), None);
    assert_eq!(live("para\n```\ncode\n", 40), None);
    assert_eq!(live("```rust\n", 40), None);
}

/// A closed fence's highlighting goes to the memo, and the whole answer's render laid out
/// from it is the render highlighted from scratch, at any width.
#[test]
fn a_closed_fence_is_laid_out_again_from_its_kept_highlighting() {
    let theme = dark();
    let text = "```rust\nfn main() {\n\tlet s = \"a string \x1b[31m\";\n}\n```\n";
    let mut fence = LiveFence::open(text, 0, 40, &theme).unwrap();
    assert!(fence.advance(text));
    let mut memo = CodeMemo::default();
    fence.into_lines(&mut memo);
    assert!(!memo.is_empty());
    // Sanitised (the escape sequence goes) and tab-expanded, as the markdown renderer has it.
    let code = "fn main() {\n    let s = \"a string \";\n}";
    let kept = memo.get("rust", &theme, code).map(<[_]>::len);
    assert_eq!(kept, Some(3), "the block as the markdown renderer sees it");
    for width in [12, 40, 100] {
        let whole = crate::tui::render::markdown::render(text, width, &theme);
        let reused = crate::tui::render::markdown::render_with_memo(text, width, &theme, &memo);
        assert_eq!(reused, whole, "at {width}");
    }
    // Another text, or the same text as another language, is not taken from the memo.
    assert!(memo.get("python", &theme, code).is_none());
    assert!(memo.get("rust", &theme, "fn main() {}").is_none());
}

#[test]
fn runs_that_do_not_fit_the_text_are_not_replayed() {
    let style = Style::new();
    assert!(replay(&[vec![(style, 2)], vec![(style, 1)]], "ab\nc").is_some());
    assert!(replay(&[vec![(style, 3)]], "ab").is_none(), "past the end");
    assert!(replay(&[vec![(style, 1)]], "ab").is_none(), "short of it");
    assert!(
        replay(&[vec![(style, 1)]], "é").is_none(),
        "inside a character"
    );
    assert!(
        replay(&[vec![(style, 1)]], "a\nb").is_none(),
        "a line without runs"
    );
}
