use serde_json::json;

use super::*;

fn theme() -> Theme {
    Theme::no_color()
}

fn view_of(chunks: &[&str]) -> JsonView {
    let mut v = JsonView::new();
    for c in chunks {
        v.push(c);
    }
    v
}

fn texts(lines: &[Line<'_>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn render(v: &mut JsonView, width: usize, window: Window) -> Vec<String> {
    texts(&v.render(width, &theme(), window, None, ""))
}

#[test]
fn all_shows_every_line_broken_at_the_width() {
    let mut v = view_of(&[r#"{"path": "src/main.rs", "n": 12}"#]);
    assert_eq!(
        render(&mut v, 12, Window::All),
        ["{", "  \"path\": \"s", "rc/main.rs\",", "  \"n\": 12", "}"]
    );
}

#[test]
fn from_shows_a_bounded_part_with_markers() {
    let input = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}).to_string();
    let mut v = view_of(&[&input]);
    assert_eq!(
        render(&mut v, 40, Window::From { line: 0, rows: 3 }),
        ["{", "  \"a\": 1,", "  \"b\": 2,", "… 4 more lines"]
    );
    assert_eq!(
        texts(&v.render(
            40,
            &theme(),
            Window::From { line: 6, rows: 3 },
            None,
            "Ctrl+T"
        ))[0],
        "… 6 more lines above · Ctrl+T"
    );
    assert_eq!(
        render(&mut v, 40, Window::From { line: 2, rows: 2 }),
        [
            "… 2 more lines above",
            "  \"b\": 2,",
            "  \"c\": 3,",
            "… 3 more lines"
        ]
    );
    // A line cut by the row limit counts as not shown.
    assert_eq!(
        render(&mut v, 5, Window::From { line: 0, rows: 2 }),
        ["{", "  \"a\"", "… 6 …"]
    );
}

#[test]
fn tail_shows_the_last_rows_of_a_string_as_it_grows() {
    let mut v = view_of(&[r#"{"a": 1, "content": "0123456789"#]);
    assert_eq!(
        render(&mut v, 10, Window::Tail { rows: 3 }),
        ["… 2 more …", "  \"content", "\": \"012345", "6789"]
    );
    v.push("abcdefghij");
    assert_eq!(
        render(&mut v, 10, Window::Tail { rows: 3 }),
        ["… 3 more …", "\": \"012345", "6789abcdef", "ghij"]
    );
}

#[test]
fn the_cached_tail_agrees_with_a_fresh_render_at_every_step() {
    let text =
        json!({"k": "日本語のテキスト and ascii", "list": [1, 2, 3], "long": "x".repeat(90)})
            .to_string();
    let mut live = JsonView::new();
    for (i, c) in text.char_indices() {
        live.push(&text[i..i + c.len_utf8()]);
        let mut fresh = view_of(&[&text[..i + c.len_utf8()]]);
        for width in [7, 16] {
            let window = Window::Tail { rows: 4 };
            assert_eq!(
                render(&mut live, width, window),
                render(&mut fresh, width, window)
            );
        }
    }
}

#[test]
fn a_highlighted_line_is_underlined_with_its_message_beside_or_below_it() {
    let mut v = view_of(&[r#"{"qty": "three", "sku": "A1"}"#]);
    let highlight = Highlight {
        line: 1,
        message: "not an integer",
    };
    let lines = v.render(40, &theme(), Window::All, Some(highlight), "");
    assert_eq!(texts(&lines)[1], "  \"qty\": \"three\",  ← not an integer");
    let key = lines[1]
        .spans
        .iter()
        .find(|s| s.content == "\"qty\"")
        .unwrap();
    assert!(key.style.add_modifier.contains(Modifier::UNDERLINED));
    assert!(
        !lines[2]
            .spans
            .iter()
            .any(|s| s.style.add_modifier.contains(Modifier::UNDERLINED))
    );
    let narrow = v.render(20, &theme(), Window::All, Some(highlight), "");
    assert_eq!(
        texts(&narrow)[1..4],
        [
            "  \"qty\": \"three\",",
            "← not an integer",
            "  \"sku\": \"A1\""
        ]
    );
}

#[test]
fn a_megabyte_on_one_line_costs_only_the_rows_drawn() {
    let mut v = view_of(&[r#"{"content": ""#]);
    let chunk = "abcdefghij".repeat(100);
    for _ in 0..1000 {
        v.push(&chunk);
        let rows = render(&mut v, 80, Window::Tail { rows: 5 });
        assert_eq!(rows.len(), 6);
    }
    // The cached breaks were extended chunk by chunk; a fresh view agrees.
    let mut fresh = view_of(&[&format!(r#"{{"content": "{}"#, chunk.repeat(1000))]);
    let window = Window::Tail { rows: 5 };
    assert_eq!(render(&mut v, 80, window), render(&mut fresh, 80, window));
    assert_eq!(
        render(&mut v, 80, Window::From { line: 0, rows: 3 }),
        render(&mut fresh, 80, Window::From { line: 0, rows: 3 })
    );
}
