use super::*;
use crate::tui::test_support::dark;

/// Lines as plain text, one per row, trailing spaces trimmed (code padding is tested apart).
pub(crate) fn plain(lines: &[Line<'_>]) -> String {
    lines
        .iter()
        .map(|l| {
            let row: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            row.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn snap(name: &str, text: &str) {
    for width in [80, 40] {
        let lines = render(text, width, &dark());
        for line in &lines {
            assert!(line.width() <= width, "{name}@{width}: too wide: {line:?}");
        }
        insta::assert_snapshot!(format!("{name}_{width}"), plain(&lines));
    }
}

const MIXED: &str = "\
# A heading

Some *emphasis*, **strong**, ~~struck~~ and `inline code` in a paragraph that is long \
enough to wrap at forty columns and probably at eighty too, given a few more words.

## Lists

- first item
- second item with a [link](https://example.com/docs) inside
  - nested item
  - another nested
- third

1. one
2. two
3. three

> A quote that also goes on for a while, so that it wraps inside the quote bar.
>
> Second quote paragraph.

---

See <https://example.com> for more.
";

#[test]
fn mixed_document() {
    snap("mixed", MIXED);
}

#[test]
fn table() {
    snap(
        "table",
        "\
| Model | Input $/MTok | Notes |
|:------|-------------:|:-----:|
| haiku | 1.00 | fast and cheap, good for quick questions |
| sonnet | 3.00 | balanced |
| opus | 15.00 | the most capable model, for the hardest problems |
",
    );
}

#[test]
fn rust_code_block() {
    let text = "Here:\n\n```rust\nfn main() {\n\tlet greeting = \"hello, world, from a line long enough to wrap\";\n    println!(\"{greeting}\");\n}\n```\n";
    snap("rust_code", text);
    // Highlighted: the code has more than one foreground colour.
    let lines = render(text, 80, &dark());
    let colours: std::collections::HashSet<_> = lines
        .iter()
        .flat_map(|l| l.spans.iter().map(|s| s.style.fg))
        .collect();
    assert!(colours.len() > 3, "{colours:?}");
}

#[test]
fn unknown_language_code_block_is_plain() {
    let text = "```klingon\nqaStaH nuq?\n  indented line\n```\n";
    snap("unknown_code", text);
    let code = dark().style(Role::CodeBlock);
    // After the `[1] klingon` header line.
    for line in render(text, 40, &dark()).into_iter().skip(1) {
        for span in &line.spans {
            assert_eq!(span.style, code, "{span:?}");
        }
    }
}

#[test]
fn code_lines_are_padded_to_the_width() {
    let lines = render("```\nx\n```\n", 20, &dark());
    assert_eq!(lines.len(), 2, "the header, then the code");
    assert_eq!(lines[1].width(), 20);
}

#[test]
fn code_blocks_are_numbered_as_copy_counts_them() {
    let text = "One:\n\n```rust\nfn a() {}\n```\n\nTwo:\n\n```\nplain\n```\n";
    let rows: Vec<String> = render(text, 40, &dark())
        .iter()
        .map(|l| l.to_string().trim_end().to_owned())
        .collect();
    assert!(rows.contains(&"[1] rust".to_owned()), "{rows:?}");
    assert!(rows.contains(&"[2] code".to_owned()), "{rows:?}");
    assert_eq!(crate::tui::run::clipboard::code_blocks(text)[1], "plain");
    // While it streams the numbers are left out; the header line is there already.
    let streaming = super::render_unnumbered(text, 40, &dark());
    assert_eq!(streaming.len(), rows.len());
}

const HOSTILE: &str = "Clear: \x1b[2Jdone.\n\nClip: \x1b]52;c;ZXZpbA==\x07end.\n\n```\ncode \x1b[31mred\x1b[0m\tTab\x1b]52;c;ZXZpbA==\x1b\\\n```\n\n- item \u{9b}31m\u{202e}reversed\n";

#[test]
fn hostile_text_is_sanitised() {
    snap("hostile", HOSTILE);
    for width in [80, 40] {
        for line in render(HOSTILE, width, &dark()) {
            for span in &line.spans {
                let bad = span
                    .content
                    .chars()
                    .find(|&c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c));
                assert_eq!(bad, None, "{span:?}");
                assert!(!span.content.contains("52;"), "{span:?}");
                assert!(!span.content.contains("[2J"), "{span:?}");
            }
        }
    }
}

#[test]
fn every_line_fits_even_when_narrow() {
    for width in [1, 2, 5, 12] {
        for line in render(MIXED, width, &dark()) {
            // Prefixes (quote bar, list indent) may exceed a tiny width; text never adds to it.
            assert!(line.width() <= width.max(6), "{width}: {line:?}");
        }
    }
}

#[test]
fn no_color_theme_renders_without_colours() {
    let theme = Theme::no_color();
    for line in render(MIXED, 80, &theme) {
        for span in &line.spans {
            assert_eq!((span.style.fg, span.style.bg), (None, None), "{span:?}");
        }
    }
}
