use super::*;
use crate::tui::render::markdown::tests::plain;
use crate::tui::test_support::dark;

#[test]
fn the_unfinished_line_is_a_plain_tail() {
    let theme = dark();
    let mut s = StreamingMarkdown::new();
    s.push("Hello **wor");
    assert_eq!(plain(&s.committed(80, &theme)), "");
    assert_eq!(plain(&s.tail(80, &theme)), "Hello **wor");
    s.push("ld**\nnext");
    assert_eq!(plain(&s.committed(80, &theme)), "Hello world");
    assert_eq!(plain(&s.tail(80, &theme)), "next");
}

#[test]
fn streamed_deltas_end_like_the_whole_text() {
    let theme = dark();
    let text = "# Title\n\nA paragraph\nover two lines.\n\n- a\n- b\n\n```rust\nfn x() {}\n\nlet y = 2;\n```\n\nDone.\n";
    // Every split into 3-byte deltas gives the same final render as rendering at once.
    let mut s = StreamingMarkdown::new();
    let bytes: Vec<char> = text.chars().collect();
    for chunk in bytes.chunks(3) {
        s.push(&chunk.iter().collect::<String>());
        // Rendering mid-stream must not disturb the final result.
        s.lines(40, &theme);
    }
    assert_eq!(s.source(), text);
    assert_eq!(
        plain(&s.lines(40, &theme)),
        plain(&render(text, 40, &theme))
    );
    // And after a width change.
    assert_eq!(
        plain(&s.lines(25, &theme)),
        plain(&render(text, 25, &theme))
    );
}

#[test]
fn blocks_before_a_boundary_freeze_and_a_fence_blocks_freezing() {
    let mut s = StreamingMarkdown::new();
    s.push("para one\n\npara two\n");
    assert_eq!(s.frozen_len, "para one\n\n".len());
    s.push("\n```\ncode\n\nmore\n");
    // Inside the open fence nothing new freezes, blank lines included.
    assert_eq!(s.frozen_len, "para one\n\npara two\n\n".len());
    s.push("```\n\nafter\n");
    assert_eq!(s.source()[s.frozen_len..], *"after\n");
}

#[test]
fn the_tail_is_sanitised() {
    let mut s = StreamingMarkdown::new();
    s.push("x\x1b[2Jy\x1b]52;c;AAAA\x07z");
    assert_eq!(plain(&s.tail(80, &dark())), "xyz");
}

#[test]
fn a_code_tail_keeps_its_indentation() {
    let theme = dark();
    let mut s = StreamingMarkdown::new();
    s.push("```rust\nfn f() {\n    let x");
    assert_eq!(plain(&s.tail(80, &theme)), "    let x");
    // Outside a fence, prose is word-wrapped as before.
    let mut p = StreamingMarkdown::new();
    p.push("  indented prose");
    assert_eq!(plain(&p.tail(80, &theme)), "  indented prose".trim_start());
}

#[test]
fn a_streaming_fence_is_highlighted_line_by_line_and_kept_when_it_freezes() {
    let theme = dark();
    let mut s = StreamingMarkdown::new();
    s.push("Intro.\n\n```rust\nfn a() {}\n");
    s.lines(40, &theme);
    // The fence is the active part, laid out by the live fence, not as markdown.
    assert!(s.fence.as_ref().is_some_and(|f| f.lines().is_some()));
    assert!(s.active_lines.is_none());
    s.push("let b = 2;\n```\n\nAfter");
    s.lines(40, &theme);
    s.push(" it.\n");
    // Frozen without rendering again: the fence's lines were kept as they were.
    assert_eq!(
        s.frozen_len,
        "Intro.\n\n```rust\nfn a() {}\nlet b = 2;\n```\n\n".len()
    );
    assert_eq!(s.frozen_rendered, s.frozen_len);
    let text = s.source().to_owned();
    assert_eq!(s.lines(40, &theme), render(&text, 40, &theme));
    // Its highlighting is kept for the whole answer's final render, which it matches.
    let memo = s.take_code_memo();
    assert!(!memo.is_empty());
    let whole = crate::tui::render::markdown::render(&text, 40, &theme);
    let reused = crate::tui::render::markdown::render_with_memo(&text, 40, &theme, &memo);
    assert_eq!(reused, whole);
}

#[test]
fn a_paragraph_render_is_kept_when_it_freezes() {
    let theme = dark();
    let mut s = StreamingMarkdown::new();
    s.push("A *first* paragraph.\n");
    s.lines(40, &theme);
    // The blank line and the next block arrive in one delta: still kept.
    s.push("\n\nNext.\n");
    assert_eq!(s.frozen_rendered, s.frozen_len);
    assert_eq!(
        s.lines(40, &theme),
        render("A *first* paragraph.\n\n\nNext.\n", 40, &theme)
    );
}
