use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::stream::test_support::{any_json, split_at};

fn pretty_of(chunks: &[&str]) -> PrettyJson {
    let mut p = PrettyJson::new();
    for c in chunks {
        p.push(c);
    }
    p
}

fn texts(p: &PrettyJson) -> Vec<&str> {
    p.lines().iter().map(PrettyLine::text).collect()
}

/// Each run of a line as (kind, text).
fn runs(line: &PrettyLine) -> Vec<(Token, &str)> {
    line.runs().map(|(r, t)| (t, &line.text()[r])).collect()
}

#[test]
fn a_complete_input_reads_like_serde_json_pretty() {
    // Keys in serde_json's (sorted) order: the view keeps the input's order.
    let text = r#"{"empty": {}, "flags": {"deep": [[true, false]]}, "lines": [1, 2, {"x": null}],
        "none": [], "path": "a/b.rs"}"#;
    let value: Value = serde_json::from_str(text).unwrap();
    let p = pretty_of(&[text]);
    assert_eq!(p.to_text(), serde_json::to_string_pretty(&value).unwrap());
    assert_eq!(p.bytes(), text.len());
}

#[test]
fn a_string_cut_in_the_middle_shows_its_characters_so_far() {
    let p = pretty_of(&[r#"{"path": "src/ma"#]);
    assert_eq!(texts(&p), ["{", r#"  "path": "src/ma"#]);
    let p = pretty_of(&[r#"{"a": 1, "note": "caf\u00"#]);
    // The half escape is held back until it is complete.
    assert_eq!(texts(&p), ["{", r#"  "a": 1,"#, r#"  "note": "caf"#]);
}

#[test]
fn keys_strings_numbers_and_punctuation_are_runs_of_their_own() {
    let p = pretty_of(&[r#"{"n": -1.5, "ok": true, "s": "x"}"#]);
    let lines = p.lines();
    assert_eq!(
        runs(&lines[1]),
        [
            (Token::Indent, "  "),
            (Token::Key, "\"n\""),
            (Token::Punct, ": "),
            (Token::Number, "-1.5"),
            (Token::Punct, ","),
        ]
    );
    assert_eq!(runs(&lines[2])[3], (Token::Literal, "true"));
    assert_eq!(runs(&lines[3])[3], (Token::String, "\"x\""));
    assert_eq!(runs(&lines[4]), [(Token::Punct, "}")]);
    assert_eq!(lines[1].token_at(3), Some(Token::Key));
    assert_eq!(lines[1].run_end(3), 5);
}

#[test]
fn numbers_and_literals_split_across_chunks_stay_one_run() {
    let p = pretty_of(&["[12", "34, tr", "ue]"]);
    assert_eq!(texts(&p), ["[", "  1234,", "  true", "]"]);
    assert_eq!(runs(&p.lines()[1])[1], (Token::Number, "1234"));
    assert_eq!(runs(&p.lines()[2])[1], (Token::Literal, "true"));
}

#[test]
fn terminal_controls_in_strings_are_shown_as_escapes() {
    let input = json!({"s": "a\u{1b}[2J\u{7}b\u{9b}c\u{202e}d\te\nf\"g\\"}).to_string();
    let p = pretty_of(&[&input]);
    assert_eq!(
        texts(&p)[1],
        r#"  "s": "a\u001b[2J\u0007b\u009bc\u202ed\te\nf\"g\\""#
    );
    assert!(!p.to_text().chars().any(|c| c.is_control() && c != '\n'));
}

#[test]
fn an_error_stops_the_lines_where_it_is() {
    let p = pretty_of(&[r#"{"a": 1, "b": tx, "c": 2}"#]);
    assert!(p.error().is_some());
    assert_eq!(texts(&p), ["{", r#"  "a": 1,"#, r#"  "b": t"#]);
}

#[test]
fn pointers_find_the_line_of_their_value() {
    let text = r#"{"order": {"items": [{"sku": "A1", "qty": 2}, {"sku": "B~/2", "qty": "three"}]},
        "a/b": 1, "": [0]}"#;
    let p = pretty_of(&[text]);
    let line = |ptr: &str| {
        p.line_of(ptr)
            .map(|n| p.lines()[n].text().trim().to_owned())
    };
    assert_eq!(line(""), Some("{".into()));
    assert_eq!(line("/order"), Some(r#""order": {"#.into()));
    assert_eq!(line("/order/items/1/qty"), Some(r#""qty": "three""#.into()));
    assert_eq!(line("/order/items/0"), Some("{".into()));
    assert_eq!(line("/order/items/1/sku"), Some(r#""sku": "B~/2","#.into()));
    assert_eq!(line("/a~1b"), Some(r#""a/b": 1,"#.into()));
    assert_eq!(line("/"), Some(r#""": ["#.into()));
    assert_eq!(line("//0"), Some("0".into()));
    assert_eq!(line("/order/items/2"), None);
    assert_eq!(line("/order/items/01"), None);
    assert_eq!(line("/missing"), None);
    assert_eq!(line("no-slash"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_prints_like_serde_json(
        value in any_json(4, 48, 5),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let text = serde_json::to_string(&value).unwrap();
        let p = pretty_of(&split_at(&text, &cuts));
        prop_assert_eq!(p.to_text(), serde_json::to_string_pretty(&value).unwrap());
    }

    #[test]
    fn only_the_last_line_changes_and_only_by_appending(value in any_json(4, 48, 5)) {
        let text = serde_json::to_string_pretty(&value).unwrap();
        let mut p = PrettyJson::new();
        let mut before: Vec<String> = Vec::new();
        for (i, c) in text.char_indices() {
            p.push(&text[i..i + c.len_utf8()]);
            let now: Vec<String> = texts(&p).into_iter().map(str::to_owned).collect();
            prop_assert!(now.len() >= before.len());
            if let Some((last, done)) = before.split_last() {
                prop_assert_eq!(&now[..done.len()], done);
                prop_assert!(now[done.len()].starts_with(last.as_str()));
            }
            before = now;
        }
    }
}
