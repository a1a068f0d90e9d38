//! Test-only generators shared by the property tests of the streaming JSON parser and the
//! pretty printer: any JSON value, and a text cut into fragments as a stream delivers it.

use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value: scalars of every kind, strings with escapes, C0 controls and non-ASCII
/// text, nested up to `depth` levels, about `size` nodes in all, at most `branch` items
/// per array or object (and keys up to `branch` characters).
pub(super) fn any_json(depth: u32, size: u32, branch: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "(\\PC|[\"\\\\/\u{0}-\u{1f}é日本😀]){0,12}".prop_map(Value::String),
    ];
    let items = 0..branch as usize;
    let key = format!("[a-zé😀\"\\\\]{{0,{branch}}}");
    leaf.prop_recursive(depth, size, branch, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), items.clone()).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::string::string_regex(&key).expect("key pattern"),
                inner,
                items.clone(),
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `text` cut at the given points (taken modulo its length, then moved back to character
/// boundaries), in order.
pub(super) fn split_at<'a>(text: &'a str, cuts: &[usize]) -> Vec<&'a str> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| {
            let mut i = c % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        })
        .collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for p in points {
        out.push(&text[prev..p]);
        prev = p;
    }
    out.push(&text[prev..]);
    out
}
