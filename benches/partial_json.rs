//! Incremental tool-input parsing: a realistic 1 MiB JSON object streamed in 8-byte
//! deltas through `PartialJson::push`, then `finish()`. Target: < 50 ms, within a small
//! factor of one `serde_json::from_str` of the same text (benched alongside).

// A bench runs on the fixed input it generates; a failure there is a bug to see at once.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chatterm::stream::PartialJson;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// About 1 MiB: arrays of objects with strings (some long, some non-ASCII or escaped),
/// integers, floats, booleans and nulls.
fn realistic_input() -> String {
    let mut rows = Vec::new();
    let mut i = 0u64;
    loop {
        rows.push(json!({
            "id": i,
            "name": format!("entry {i}: café \"quoted\" \\ path/to/file_{i}.rs"),
            "score": i as f64 * 0.37 - 12.5,
            "tags": ["alpha", "beta", "日本"],
            "active": i.is_multiple_of(2),
            "parent": if i.is_multiple_of(5) { Value::Null } else { json!(i / 5) },
            "body": "lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(1 + (i % 4) as usize),
        }));
        i += 1;
        if i.is_multiple_of(64) && json!({"rows": &rows}).to_string().len() >= 1 << 20 {
            break;
        }
    }
    json!({"path": "/tmp/report.json", "rows": rows, "meta": {"count": i, "ok": true}}).to_string()
}

/// 8-byte deltas, moved forward to character boundaries as the API's fragments are.
fn deltas(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let mut end = (pos + 8).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[pos..end]);
        pos = end;
    }
    out
}

fn bench_partial_json(c: &mut Criterion) {
    let text = realistic_input();
    let pieces = deltas(&text);
    let expected: Value = serde_json::from_str(&text).unwrap();
    let mut check = PartialJson::new();
    for p in &pieces {
        check.push(p);
    }
    assert_eq!(check.finish().unwrap(), expected);

    let mut group = c.benchmark_group("partial_json");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("push_8_byte_deltas_then_finish_1MiB", |b| {
        b.iter(|| {
            let mut p = PartialJson::new();
            for piece in black_box(&pieces) {
                p.push(piece);
            }
            p.finish().unwrap()
        });
    });
    group.bench_function("serde_json_from_str_1MiB", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&text)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench_partial_json);
criterion_main!(benches);
