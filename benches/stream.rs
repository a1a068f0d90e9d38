//! Decode + accumulate throughput: a generated, realistic ~4 MB Messages stream pushed in
//! 16 KiB network chunks through `SseDecoder` → `StreamEvent::parse` → `Accumulator`.
//! Target: ≥ 200 MB/s.

// A bench runs on the fixed stream it generates; a failure there is a bug to see at once.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chatterm::api::StreamEvent;
use chatterm::api::sse::SseDecoder;
use chatterm::stream::Accumulator;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

const CHUNK: usize = 16 * 1024;

/// A deterministic xorshift, so every run benches the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

fn event(out: &mut String, data: serde_json::Value) {
    let name = data["type"].as_str().unwrap().to_owned();
    out.push_str(&format!("event: {name}\ndata: {data}\n\n"));
}

/// About `target` bytes: a long text answer in 10–60 character deltas (some non-ASCII),
/// pings now and then, and a tool call whose input arrives in small JSON fragments.
fn realistic_stream(target: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "stream",
        "of",
        "tokens",
        "café",
        "naïve",
        "日本語",
        "😀",
        "function",
        "returns",
        "a",
        "value",
        "when",
        "and",
        "über",
        "Rhône",
        "buffer",
        "{",
        "}",
        "\"quoted\"",
        "\\n",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(target + 4096);
    event(
        &mut s,
        json!({"type":"message_start","message":{"id":"msg_bench","type":"message",
        "role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,
        "stop_sequence":null,"usage":{"input_tokens":2048,"cache_read_input_tokens":30000,
        "output_tokens":1}}}),
    );
    event(
        &mut s,
        json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
    );
    let mut n = 0;
    while s.len() < target * 9 / 10 {
        let mut text = String::new();
        let len = 10 + rng.next(51);
        while text.len() < len {
            text.push_str(WORDS[rng.next(WORDS.len())]);
            text.push(' ');
        }
        // Written by hand in the API's own field order (`json!` would sort the keys).
        let text = serde_json::to_string(&text).unwrap();
        s.push_str(&format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{text}}}}}\n\n"
        ));
        n += 1;
        if n % 200 == 0 {
            event(&mut s, json!({"type":"ping"}));
        }
    }
    event(&mut s, json!({"type":"content_block_stop","index":0}));
    event(
        &mut s,
        json!({"type":"content_block_start","index":1,"content_block":
        {"type":"tool_use","id":"toolu_bench","name":"write_file","input":{}}}),
    );
    let input = json!({"path": "/tmp/out.txt", "rows": (0..2000).map(|i| json!({"i": i,
        "name": format!("row {i} é"), "ok": i % 3 == 0})).collect::<Vec<_>>()})
    .to_string();
    let mut pos = 0;
    while pos < input.len() && s.len() < target {
        let mut end = (pos + 4 + rng.next(20)).min(input.len());
        while !input.is_char_boundary(end) {
            end += 1;
        }
        event(
            &mut s,
            json!({"type":"content_block_delta","index":1,"delta":
            {"type":"input_json_delta","partial_json":&input[pos..end]}}),
        );
        pos = end;
    }
    if pos < input.len() {
        event(
            &mut s,
            json!({"type":"content_block_delta","index":1,"delta":
            {"type":"input_json_delta","partial_json":&input[pos..]}}),
        );
    }
    event(&mut s, json!({"type":"content_block_stop","index":1}));
    event(
        &mut s,
        json!({"type":"message_delta","delta":{"stop_reason":"tool_use",
        "stop_sequence":null},"usage":{"output_tokens":90000}}),
    );
    event(&mut s, json!({"type":"message_stop"}));
    s
}

fn decode_and_accumulate(bytes: &[u8]) -> usize {
    let mut decoder = SseDecoder::new();
    let mut acc = Accumulator::new();
    let mut updates = Vec::new();
    for chunk in bytes.chunks(CHUNK) {
        decoder
            .push_each(chunk, |name, data| {
                let event = StreamEvent::parse(name, data).unwrap();
                acc.apply(event, &mut updates).unwrap();
            })
            .unwrap();
        // A UI drains the updates as they come; keeping them all would bench memory.
        updates.clear();
    }
    decoder.finish(&mut Vec::new()).unwrap();
    assert!(acc.is_complete());
    acc.finish().content.len()
}

fn bench_stream(c: &mut Criterion) {
    let stream = realistic_stream(4 << 20);
    assert_eq!(decode_and_accumulate(stream.as_bytes()), 2);
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.sample_size(20);
    group.bench_function("decode_accumulate_4MB", |b| {
        b.iter(|| decode_and_accumulate(black_box(stream.as_bytes())));
    });
    group.bench_function("decode_only_4MB", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::new();
            let mut count = 0;
            for chunk in black_box(stream.as_bytes()).chunks(CHUNK) {
                decoder.push_each(chunk, |_, _| count += 1).unwrap();
            }
            count
        });
    });
    // Calibration: one generic serde_json parse of every event's data, the floor any
    // JSON-based pipeline pays on this machine (the figures depend a lot on the host).
    let mut frames = Vec::new();
    let mut decoder = SseDecoder::new();
    decoder.push(stream.as_bytes(), &mut frames).unwrap();
    group.bench_function("reference_serde_value_per_event_4MB", |b| {
        b.iter(|| {
            frames
                .iter()
                .map(|f| serde_json::from_str::<serde_json::Value>(&f.data).unwrap())
                .filter(|v| v.is_object())
                .count()
        });
    });
    group.finish();
}

criterion_group!(benches, bench_stream);
criterion_main!(benches);
