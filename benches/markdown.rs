//! Markdown and syntax highlighting: one 200 KB answer rendered whole, as a finished answer
//! is (`markdown::render`), at the conversation pane's width on a 200-column screen.
//!
//! - `markdown/render_200KB_answer`: prose, lists, quotes, a table, and fenced code in
//!   four languages (about a third of the bytes), highlighted by syntect. Reported.
//! - `markdown/render_200KB_prose`: the same size without code, the renderer alone.
//! - `markdown/highlight_70KB_code`: the code blocks' text through syntect alone.
//!
//! syntect's sets are loaded before measuring (the app loads them right after its first
//! frame). The TUI is the library module `chatterm::tui`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratatui::style::Style;

use tui::render::highlight;
use tui::render::markdown;
use tui::render::theme::Theme;

use chatterm::tui;

/// The pane's width on a 200-column screen with the sidebar.
const WIDTH: usize = 168;
const SIZE: usize = 200 * 1024;

const CODE: &[(&str, &str)] = &[
    (
        "rust",
        "fn parse(input: &str) -> Result<Vec<Token>, Error> {\n    let mut out = Vec::new();\n    \
         for (i, c) in input.char_indices() {\n        if c.is_whitespace() { continue; }\n        \
         out.push(Token::new(i, c)); // one token per char\n    }\n    Ok(out)\n}\n",
    ),
    (
        "python",
        "def parse(text: str) -> list[dict]:\n    \"\"\"Split records.\"\"\"\n    rows = []\n    \
         for n, line in enumerate(text.splitlines()):\n        if not line.strip():\n            \
         continue\n        rows.append({\"n\": n, \"value\": line.split(\",\")})\n    return rows\n",
    ),
    (
        "js",
        "export async function load(url, { retries = 3 } = {}) {\n  for (let i = 0; i < retries; \
         i++) {\n    const res = await fetch(url);\n    if (res.ok) return res.json();\n    \
         await new Promise(r => setTimeout(r, 2 ** i * 100));\n  }\n  throw new Error(`failed: \
         ${url}`);\n}\n",
    ),
    (
        "bash",
        "#!/usr/bin/env bash\nset -euo pipefail\nfor f in \"$@\"; do\n  if [[ -f \"$f\" ]]; then\n    \
         wc -l \"$f\" | awk '{print $1}'\n  fi\ndone\n",
    ),
];

/// One section of an answer: a heading, prose with inline markup, a list, a quote.
fn prose(i: usize) -> String {
    format!(
        "## Part {i}\n\n\
         Here is **the explanation** of step {i}, with `inline code`, *emphasis* and a \
         [link](https://example.com/docs/{i}). The paragraph runs on for a while, as answers \
         do, so that it wraps over two or three lines at the pane's width and the word wrapper \
         has some work to do; café, naïve and 日本語 keep it honest about widths.\n\n\
         - first, the thing to check before anything else\n\
         - second, a longer point that explains why the order matters, long enough to wrap \
         once on a narrow screen\n  - a nested detail\n\n\
         > A remark in a quote, with a `code span` in it.\n\n"
    )
}

fn table() -> String {
    let mut t = String::from("| name | kind | size | note |\n|---|:---:|---:|---|\n");
    for i in 0..8 {
        t.push_str(&format!("| item {i} | file | {} KB | fine |\n", i * 13));
    }
    t.push('\n');
    t
}

/// About `size` bytes of markdown; with `code`, a fenced block follows every section.
fn answer(size: usize, code: bool) -> String {
    let mut s = String::with_capacity(size + 4096);
    let mut i = 0;
    while s.len() < size {
        s.push_str(&prose(i));
        if code {
            let (lang, text) = CODE[i % CODE.len()];
            s.push_str(&format!("```{lang}\n{text}```\n\n"));
        }
        if i % 10 == 9 {
            s.push_str(&table());
        }
        i += 1;
    }
    s
}

fn code_only(size: usize) -> Vec<(&'static str, String)> {
    let mut blocks = Vec::new();
    let mut bytes = 0;
    let mut i = 0;
    while bytes < size {
        let (lang, text) = CODE[i % CODE.len()];
        let block = text.repeat(8);
        bytes += block.len();
        blocks.push((lang, block));
        i += 1;
    }
    blocks
}

fn bench_markdown(c: &mut Criterion) {
    highlight::warm();
    let theme = Theme::load("dark").unwrap();
    let syntect_theme = theme.syntect_theme().unwrap().to_owned();
    let mixed = answer(SIZE, true);
    let plain = answer(SIZE, false);
    let lines = markdown::render(&mixed, WIDTH, &theme).len();
    eprintln!(
        "answer: {:.0} KB, {lines} lines at width {WIDTH}",
        mixed.len() as f64 / 1024.0
    );
    let mut group = c.benchmark_group("markdown");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(mixed.len() as u64));
    group.bench_function("render_200KB_answer", |b| {
        b.iter(|| markdown::render(black_box(&mixed), WIDTH, &theme));
    });
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("render_200KB_prose", |b| {
        b.iter(|| markdown::render(black_box(&plain), WIDTH, &theme));
    });
    let code = code_only(70 * 1024);
    let code_bytes: usize = code.iter().map(|(_, t)| t.len()).sum();
    group.throughput(Throughput::Bytes(code_bytes as u64));
    group.bench_function("highlight_70KB_code", |b| {
        b.iter(|| {
            for (lang, text) in &code {
                black_box(highlight::highlight(
                    text,
                    lang,
                    &syntect_theme,
                    Style::new(),
                ));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_markdown);
criterion_main!(benches);
