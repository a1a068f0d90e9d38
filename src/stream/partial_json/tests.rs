use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::stream::test_support::{any_json, split_at};

fn parse_chunks(chunks: &[&str]) -> Result<Value, PartialJsonError> {
    let mut p = PartialJson::new();
    for c in chunks {
        p.push(c);
    }
    p.finish()
}

fn current_of(text: &str) -> Value {
    let mut p = PartialJson::new();
    p.push(text);
    p.current()
}

/// Splits `text` at every character boundary: the harshest chunking.
fn per_char(text: &str) -> Vec<&str> {
    text.char_indices()
        .map(|(i, c)| &text[i..i + c.len_utf8()])
        .collect()
}

/// Rewrites every non-ASCII character as `\uXXXX` escapes (surrogate pairs above the BMP).
/// Valid JSON stays valid and equal, since non-ASCII only occurs inside strings.
fn escape_non_ascii(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

#[test]
fn parses_every_kind_of_value() {
    let text = r#" {"s": "a\"b\\c\/\b\f\n\r\t\u00e9\ud83d\ude00", "n": [0, -1, 2.5, -3e-2, 1E+2,
        18446744073709551615, 123456789012345678901234567890], "l": [true, false, null],
        "e": {}, "a": [], "nested": {"x": [[{"y": "z"}]]}} "#;
    let expected: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parse_chunks(&[text]).unwrap(), expected);
    assert_eq!(parse_chunks(&per_char(text)).unwrap(), expected);
}

#[test]
fn empty_and_whitespace_input_is_an_empty_object() {
    assert_eq!(parse_chunks(&[]).unwrap(), json!({}));
    assert_eq!(parse_chunks(&["", " \n\t", ""]).unwrap(), json!({}));
    assert_eq!(current_of("  "), json!({}));
}

#[test]
fn top_level_scalars_complete_at_end_of_input() {
    assert_eq!(parse_chunks(&["12", "34"]).unwrap(), json!(1234));
    assert_eq!(parse_chunks(&["\"x\""]).unwrap(), json!("x"));
    assert_eq!(parse_chunks(&["nu", "ll "]).unwrap(), Value::Null);
    assert!(parse_chunks(&["1."]).is_err());
    assert!(parse_chunks(&["-"]).is_err());
}

#[test]
fn strings_grow_and_hold_back_partial_escapes() {
    assert_eq!(current_of(r#"{"a": "hel"#), json!({"a": "hel"}));
    assert_eq!(current_of(r#"{"a": "x\"#), json!({"a": "x"}));
    assert_eq!(current_of(r#"{"a": "x\u00"#), json!({"a": "x"}));
    assert_eq!(current_of(r#"{"a": "x\u00e9"#), json!({"a": "xé"}));
    assert_eq!(current_of(r#"{"a": "\ud83d"#), json!({"a": ""}));
    assert_eq!(current_of(r#"{"a": "\ud83d\ude0"#), json!({"a": ""}));
    assert_eq!(current_of(r#"{"a": "\ud83d\ude00"#), json!({"a": "😀"}));
}

#[test]
fn keys_appear_once_their_value_starts() {
    assert_eq!(current_of(r#"{"done": 1, "ke"#), json!({"done": 1}));
    assert_eq!(current_of(r#"{"done": 1, "key""#), json!({"done": 1}));
    assert_eq!(current_of(r#"{"done": 1, "key": "#), json!({"done": 1}));
    assert_eq!(
        current_of(r#"{"done": 1, "key": ["#),
        json!({"done": 1, "key": []})
    );
    assert_eq!(current_of(r#"{"k": {"#), json!({"k": {}}));
}

#[test]
fn numbers_show_their_complete_prefix_and_literals_only_when_whole() {
    assert_eq!(current_of("[12."), json!([12]));
    assert_eq!(current_of("[12.5"), json!([12.5]));
    assert_eq!(current_of("[1e"), json!([1]));
    assert_eq!(current_of("[-"), json!([]));
    assert_eq!(current_of("[tru"), json!([]));
    assert_eq!(current_of("[true"), json!([true]));
    assert_eq!(current_of("[1, 2, nul"), json!([1, 2]));
    assert_eq!(current_of("tru"), Value::Null);
}

#[test]
fn numbers_keep_serde_json_precision() {
    for lexeme in [
        "0.1",
        "1e308",
        "-0",
        "9007199254740993",
        "-9223372036854775808",
        "1.5E-7",
    ] {
        let expected: Value = serde_json::from_str(lexeme).unwrap();
        assert_eq!(
            parse_chunks(&per_char(lexeme)).unwrap(),
            expected,
            "{lexeme}"
        );
    }
}

#[test]
fn invalid_input_reports_the_offset_and_keeps_the_prefix() {
    let mut p = PartialJson::new();
    p.push(r#"{"a": [1, 2], "b": tx"#);
    let err = p.error().cloned().unwrap();
    assert_eq!(err.offset, 20);
    assert_eq!(p.current(), json!({"a": [1, 2]}));
    p.push("more input is ignored");
    assert_eq!(p.finish(), Err(err));
}

#[test]
fn offsets_count_across_chunks() {
    let err = parse_chunks(&["[1,", " 2,", " }"]).unwrap_err();
    assert_eq!(err.offset, 7);
    let err = parse_chunks(&["{\"a\": 1", "}", " x"]).unwrap_err();
    assert_eq!(err.offset, 9);
    assert!(err.message.contains("trailing"), "{err}");
}

#[test]
fn rejects_what_serde_json_rejects() {
    for bad in [
        "{",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1: 2}",
        "[01]",
        "[1.]",
        "[.5]",
        "[+1]",
        "[1e]",
        "\"\\x\"",
        "\"\\u12g4\"",
        "\"\\ud83d\"",
        "\"\\ud83dx\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"a\u{1}b\"",
        "[1e400]",
        "[tRue]",
        "[nul]",
        "{} {}",
        "[1] x",
        "\"abc",
        "[\"a\", ",
        "{\"a\": ",
    ] {
        assert!(
            serde_json::from_str::<Value>(bad).is_err(),
            "serde accepts {bad:?}"
        );
        let whole = parse_chunks(&[bad]);
        let split = parse_chunks(&per_char(bad));
        assert!(whole.is_err() && split.is_err(), "accepted {bad:?}");
        assert_eq!(whole, split, "{bad:?}");
    }
}

#[test]
fn nesting_limit_matches_serde_json() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(serde_json::from_str::<Value>(&ok).is_ok());
    assert!(parse_chunks(&[&ok]).is_ok());
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(serde_json::from_str::<Value>(&deep).is_err());
    assert!(parse_chunks(&[&deep]).is_err());
    // Hostile depth is an error, not a stack overflow.
    let mut p = PartialJson::new();
    p.push(&"[{\"a\":".repeat(100_000));
    assert!(p.error().is_some());
    let _ = p.current();
}

#[test]
fn a_long_input_in_tiny_pieces_parses() {
    let value = json!({"items": (0..2000).map(|i| json!({"id": i, "name": format!("item é {i}"),
        "tags": ["a", "b"], "score": i as f64 / 7.0})).collect::<Vec<_>>()});
    let text = serde_json::to_string(&value).unwrap();
    let chars = per_char(&text);
    let mut p = PartialJson::new();
    for group in chars.chunks(3) {
        p.push(&group.concat());
    }
    assert_eq!(
        p.finish().unwrap(),
        serde_json::from_str::<Value>(&text).unwrap()
    );
}

/// `partial` could grow into `full`: every member shown exists and agrees so far, array
/// elements before the last one are complete, strings are prefixes.
fn grows_into(partial: &Value, full: &Value) -> bool {
    match (partial, full) {
        (Value::Object(p), Value::Object(f)) => p
            .iter()
            .all(|(k, v)| f.get(k).is_some_and(|fv| grows_into(v, fv))),
        (Value::Array(p), Value::Array(f)) => {
            p.len() <= f.len()
                && p.iter().zip(f).enumerate().all(|(i, (a, b))| {
                    if i + 1 < p.len() {
                        a == b
                    } else {
                        grows_into(a, b)
                    }
                })
        }
        (Value::String(p), Value::String(f)) => f.starts_with(p.as_str()),
        (Value::Number(_), Value::Number(_)) => true,
        _ => partial == full,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_finishes_like_serde_json(
        value in any_json(5, 64, 6),
        pretty in any::<bool>(),
        escaped in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        if escaped {
            text = escape_non_ascii(&text);
        }
        let expected: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(parse_chunks(&split_at(&text, &cuts)).unwrap(), expected);
    }

    #[test]
    fn every_prefix_shows_a_value_that_grows_into_the_result(
        value in any_json(5, 64, 6),
        escaped in any::<bool>(),
    ) {
        let mut text = serde_json::to_string(&value).unwrap();
        if escaped {
            text = escape_non_ascii(&text);
        }
        let full: Value = serde_json::from_str(&text).unwrap();
        let mut p = PartialJson::new();
        for piece in per_char(&text) {
            p.push(piece);
            let now = p.current();
            let top_level_scalar_pending = now.is_null() && !full.is_object() && !full.is_array();
            prop_assert!(
                top_level_scalar_pending || grows_into(&now, &full),
                "{:?} does not grow into {:?}", now, full
            );
        }
        prop_assert_eq!(p.current(), full.clone());
        prop_assert_eq!(p.finish().unwrap(), full);
    }

    #[test]
    fn arbitrary_text_agrees_with_serde_json(
        text in "[\\[\\]{}\",:0-9eE.+\\-a-z\\\\ \u{1}é😀]{0,40}",
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let ours = parse_chunks(&split_at(&text, &cuts));
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => prop_assert_eq!(ours.unwrap(), v),
            Err(_) if text.trim_matches([' ']).is_empty() => prop_assert_eq!(ours.unwrap(), json!({})),
            Err(e) => prop_assert!(ours.is_err(), "accepted {:?}, serde said {}", text, e),
        }
    }
}

/// The events of `chunks`, pieces of one token merged, as a readable list.
fn events_of(chunks: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut sink = |e: JsonEvent<'_>| {
        let (tag, text) = match e {
            JsonEvent::StringText(t) => ("text", t),
            JsonEvent::Number(t) => ("num", t),
            JsonEvent::Literal(t) => ("lit", t),
            other => {
                out.push(format!("{other:?}"));
                return;
            }
        };
        match out.last_mut() {
            Some(last) if last.starts_with(&format!("{tag} ")) => last.push_str(text),
            _ => out.push(format!("{tag} {text}")),
        }
    };
    let mut p = PartialJson::new();
    for c in chunks {
        p.push_with(c, &mut sink);
    }
    out
}

impl<F: FnMut(JsonEvent<'_>)> JsonSink for F {
    fn event(&mut self, event: JsonEvent<'_>) {
        self(event);
    }
}

#[test]
fn events_report_each_token_as_it_arrives_whatever_the_chunking() {
    let text = r#" {"k\u00e9y": [12.5e1, true, "a\nb"], "n": null} "#;
    let expected = [
        "Open(Object)",
        "StringStart { key: true }",
        "text kéy",
        "StringEnd",
        "Colon",
        "Open(Array)",
        "num 12.5e1",
        "Comma",
        "lit true",
        "Comma",
        "StringStart { key: false }",
        "text a\nb",
        "StringEnd",
        "Close(Array)",
        "Comma",
        "StringStart { key: true }",
        "text n",
        "StringEnd",
        "Colon",
        "lit null",
        "Close(Object)",
    ];
    assert_eq!(events_of(&[text]), expected);
    assert_eq!(events_of(&per_char(text)), expected);
    // An error stops the events: nothing after the bad byte.
    let bad = events_of(&[r#"[1, x, 2]"#]);
    assert_eq!(bad, ["Open(Array)", "num 1", "Comma"]);
}
