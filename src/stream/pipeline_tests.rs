//! End to end over recorded streams: bytes → [`SseDecoder`] → [`StreamEvent::parse`] →
//! [`Accumulator`], for any split of the bytes.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::api::sse::SseDecoder;
use crate::api::{ContentBlock, MessageResponse, StopReason, StreamEvent};

const PLAIN: &str = include_str!("../../tests/fixtures/sse/plain_text.sse");
const TOOLS: &str = include_str!("../../tests/fixtures/sse/tool_calls.sse");
const THINKING: &str = include_str!("../../tests/fixtures/sse/thinking.sse");
const LONG: &str = include_str!("../../tests/fixtures/sse/long.sse");

/// Runs the whole pipeline over `chunks`; also returns every update, in order.
fn fold(chunks: &[&[u8]]) -> (MessageResponse, Vec<StreamUpdate>) {
    let mut decoder = SseDecoder::new();
    let mut acc = Accumulator::new();
    let (mut frames, mut updates) = (Vec::new(), Vec::new());
    for chunk in chunks {
        decoder.push(chunk, &mut frames).unwrap();
        for f in frames.drain(..) {
            let event = StreamEvent::parse(&f.event, &f.data).unwrap();
            acc.apply(event, &mut updates).unwrap();
        }
    }
    decoder.finish(&mut frames).unwrap();
    assert!(frames.is_empty() && acc.is_complete());
    (acc.finish(), updates)
}

fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut prev = 0;
    for p in points {
        out.push(&bytes[prev..p]);
        prev = p;
    }
    out.push(&bytes[prev..]);
    out
}

#[test]
fn plain_text_sample_folds_as_documented() {
    let (m, _) = fold(&[PLAIN.as_bytes()]);
    assert_eq!(m.text(), "Lyon is in France.");
    assert_eq!(
        (m.usage.input_tokens, m.usage.cache_read_input_tokens),
        (14, 3120)
    );
    assert_eq!(m.usage.output_tokens, 8);
    assert_eq!(m.stop_reason, Some(StopReason::EndTurn));
}

#[test]
fn tool_sample_gives_the_documented_assistant_turn() {
    let (m, _) = fold(&[TOOLS.as_bytes()]);
    assert_eq!(
        serde_json::to_value(m.to_message()).unwrap(),
        json!({"role": "assistant", "content": [
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "toolu_01Aaa", "name": "get_weather", "input": {"city": "Lyon"}},
            {"type": "tool_use", "id": "toolu_01Bbb", "name": "get_time", "input": {}}
        ]})
    );
    assert_eq!(m.usage.output_tokens, 71);
}

#[test]
fn thinking_sample_keeps_every_block_verbatim() {
    let (m, updates) = fold(&[THINKING.as_bytes()]);
    let kinds: Vec<&str> = m.content.iter().map(ContentBlock::kind).collect();
    assert_eq!(
        kinds,
        [
            "thinking",
            "redacted_thinking",
            "server_tool_use",
            "web_search_tool_result",
            "text"
        ]
    );
    let ContentBlock::Thinking(t) = &m.content[0] else {
        panic!("not thinking");
    };
    assert!(t.thinking.ends_with("French sources 😀."));
    assert_eq!(t.signature, "EqQBCgIYAhIM1gbcDa9GJwZA==");
    assert_eq!(
        serde_json::to_value(&m.content[2]).unwrap()["input"],
        json!({"query": "café Lyon"})
    );
    assert_eq!(m.text(), "Lyon's cafés are lively — très animés.");
    assert_eq!(
        m.usage.server_tool_use,
        Some(json!({"web_search_requests": 1}))
    );
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, StreamUpdate::ThinkingDelta { index: 0, .. }))
    );
}

#[test]
fn long_sample_parses_a_fragmented_escaped_tool_input() {
    let (m, updates) = fold(&[LONG.as_bytes()]);
    let tool = m.tool_uses().next().unwrap();
    assert_eq!(tool.input["path"], json!("/tmp/notes é.txt"));
    assert_eq!(tool.input["lines"].as_array().map(Vec::len), Some(6));
    let deltas = updates
        .iter()
        .filter(|u| matches!(u, StreamUpdate::TextDelta { .. }))
        .count();
    assert_eq!(deltas, 60);
    assert!(m.text().contains('日'));
}

proptest! {
    #[test]
    fn any_byte_split_gives_the_same_message_and_updates(
        which in 0..4usize,
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let bytes = [PLAIN, TOOLS, THINKING, LONG][which].as_bytes();
        let whole = fold(&[bytes]);
        // Random cuts land inside CRLF pairs and multi-byte characters ("é", "日本", "😀").
        prop_assert_eq!(fold(&split(bytes, &cuts)), whole);
    }
}

#[test]
fn every_single_split_point_of_the_thinking_sample_agrees() {
    let bytes = THINKING.as_bytes();
    let whole = fold(&[bytes]);
    for cut in 0..=bytes.len() {
        assert_eq!(fold(&[&bytes[..cut], &bytes[cut..]]), whole, "cut at {cut}");
    }
}
