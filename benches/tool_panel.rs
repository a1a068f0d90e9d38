//! Live tool panels: a panel fed a 1 MiB JSON input in 10,000 deltas and re-rendered
//! after every one, as the conversation pane would if it drew each delta.
//!
//! Target (tool-use issue): linear, with under 100 ms of parser time in total (the
//! incremental partial-JSON parser and pretty-printer, `ToolPanel::push_input`). Each run
//! reports parser and total time for 10,000 deltas of 1 MiB and for 5,000 deltas of
//! 0.5 MiB, and their ratio (2.0 is linear), for two inputs: realistic rows of objects,
//! and one long string (a `write_file` of 1 MiB, the worst case for the line still being
//! written). The criterion figures time the same loops.
//!
//! The TUI is the library module `chatterm::tui`, so the bench measures the shipped code.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

use tui::render::cells::{Cell, CellKind, RenderOptions};
use tui::render::theme::Theme;
use tui::widgets::tool_panel::ToolPanel;

use chatterm::tui;

const MIB: usize = 1 << 20;
/// The conversation pane's width on a 132-column screen with the sidebar.
const WIDTH: usize = 100;

/// About `size` bytes of rows of objects: strings (some long, non-ASCII or escaped),
/// integers, floats, booleans, nulls, nested arrays.
fn rows_input(size: usize) -> String {
    let mut rows = Vec::new();
    let mut bytes = 0;
    let mut i = 0u64;
    while bytes < size {
        let row = json!({
            "id": i,
            "name": format!("entry {i}: café \"quoted\" \\ path/to/file_{i}.rs"),
            "score": i as f64 * 0.37 - 12.5,
            "tags": ["alpha", "beta", "日本"],
            "active": i.is_multiple_of(2),
            "parent": if i.is_multiple_of(5) { Value::Null } else { json!(i / 5) },
            "body": "lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(1 + (i % 4) as usize),
        });
        bytes += row.to_string().len() + 1;
        rows.push(row);
        i += 1;
    }
    json!({"path": "/tmp/report.json", "rows": rows}).to_string()
}

/// A `write_file` input whose content is one string of about `size` bytes.
fn long_string_input(size: usize) -> String {
    let line = "    let total: usize = items.iter().map(|i| i.len()).sum(); // café\n";
    let content = line.repeat(size / line.len());
    json!({"path": "src/generated.rs", "content": content}).to_string()
}

/// `text` in `n` deltas of about equal size, cut on character boundaries.
fn deltas(text: &str, n: usize) -> Vec<&str> {
    let step = text.len().div_ceil(n);
    let mut out = Vec::with_capacity(n);
    let mut pos = 0;
    while pos < text.len() {
        let mut end = (pos + step).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[pos..end]);
        pos = end;
    }
    out
}

fn panel_cell() -> Cell {
    Cell::new(
        0,
        CellKind::Tool(Box::new(ToolPanel::new("write_file", "toolu_01bench"))),
    )
}

/// Feeds every delta to a fresh panel, rendering after each when `render`. Returns the
/// time spent in the parser and the total.
fn run(pieces: &[&str], theme: &Theme, render: bool) -> (Duration, Duration) {
    let mut cell = panel_cell();
    let options = RenderOptions::default();
    let mut parser = Duration::ZERO;
    let start = Instant::now();
    for piece in pieces {
        let CellKind::Tool(panel) = &mut cell.kind else {
            unreachable!()
        };
        let t = Instant::now();
        panel.push_input(piece);
        parser += t.elapsed();
        cell.touch();
        if render {
            black_box(cell.render(WIDTH, theme, options));
        }
    }
    (parser, start.elapsed())
}

/// The best of a few runs, so a noisy neighbour does not decide the figure.
fn best(pieces: &[&str], theme: &Theme) -> (Duration, Duration) {
    (0..5)
        .map(|_| run(pieces, theme, true))
        .min_by_key(|&(_, total)| total)
        .unwrap()
}

fn report(what: &str, full: &str, half: &str, theme: &Theme) {
    let (p1, t1) = best(&deltas(full, 10_000), theme);
    let (p2, t2) = best(&deltas(half, 5_000), theme);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    eprintln!(
        "{what}: 10,000 deltas of {:.2} MiB: parser {:.1} ms, total {:.1} ms; \
         5,000 deltas of {:.2} MiB: parser {:.1} ms, total {:.1} ms; \
         ratio parser {:.2}, total {:.2}",
        full.len() as f64 / MIB as f64,
        ms(p1),
        ms(t1),
        half.len() as f64 / MIB as f64,
        ms(p2),
        ms(t2),
        ms(p1) / ms(p2),
        ms(t1) / ms(t2),
    );
}

/// The last rendered row shows the end of the input.
fn check(text: &str, theme: &Theme) {
    let mut cell = panel_cell();
    let CellKind::Tool(panel) = &mut cell.kind else {
        unreachable!()
    };
    for piece in deltas(text, 10_000) {
        panel.push_input(piece);
    }
    let lines = cell.render(WIDTH, theme, RenderOptions::default());
    let last: String = lines[lines.len() - 2]
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
    assert_eq!(last, "}", "{lines:?}");
}

fn tool_panel(c: &mut Criterion) {
    let theme = Theme::load("dark").unwrap();
    let inputs = [
        ("rows", rows_input(MIB), rows_input(MIB / 2)),
        (
            "long_string",
            long_string_input(MIB),
            long_string_input(MIB / 2),
        ),
    ];
    let mut group = c.benchmark_group("tool_panel");
    group.sample_size(10);
    for (what, full, half) in &inputs {
        check(full, &theme);
        report(what, full, half, &theme);
        let pieces = deltas(full, 10_000);
        group.bench_function(format!("{what}_10000_deltas_1MiB_render_each"), |b| {
            b.iter(|| run(&pieces, &theme, true));
        });
        group.bench_function(format!("{what}_10000_deltas_1MiB_parser_only"), |b| {
            b.iter(|| run(&pieces, &theme, false));
        });
        let pieces = deltas(half, 5_000);
        group.bench_function(format!("{what}_5000_deltas_half_MiB_render_each"), |b| {
            b.iter(|| run(&pieces, &theme, true));
        });
    }
    group.finish();
}

criterion_group!(benches, tool_panel);
criterion_main!(benches);
