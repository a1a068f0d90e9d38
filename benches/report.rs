//! The performance budgets as one table: `cargo bench --bench report`, after `cargo bench`.
//!
//! Every row reads its figure by id: a criterion benchmark's mean time or throughput
//! (`<target>/criterion/<id>/new/{estimates,benchmark}.json`) or a one-shot figure the
//! benches record (`<target>/perf/<id>.json`, see `support/figures.rs`). [`ROWS`] lists the
//! budgeted rows and a few reported ones; every other criterion id found is listed after
//! them, reported. A budgeted row whose figure is missing fails, unless it is optional (a
//! bench that may not exist yet), which reads "not run".
//!
//! Exits with status 1 when a budget fails, so CI can run it after the suite.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where a row's figure comes from.
#[derive(Clone, Copy)]
enum Source {
    /// A criterion benchmark's mean time per iteration, in milliseconds.
    Ms(&'static str),
    /// The sum of criterion means, in milliseconds.
    SumMs(&'static [&'static str]),
    /// A criterion benchmark's throughput: MB/s (bytes) or per second (elements).
    Rate(&'static str),
    /// A recorded figure's value.
    Figure(&'static str, &'static str),
    /// The same value of two figures, the first over the second: how a cost scales.
    Ratio(&'static str, &'static str, &'static str),
}

#[derive(Clone, Copy)]
enum Limit {
    Below(f64),
    AtMost(f64),
    AtLeast(f64),
    /// Reported without a budget.
    Report,
}

struct Row {
    what: &'static str,
    source: Source,
    unit: &'static str,
    limit: Limit,
    /// A missing figure reads "not run" instead of failing.
    optional: bool,
}

const fn row(what: &'static str, source: Source, unit: &'static str, limit: Limit) -> Row {
    Row {
        what,
        source,
        unit,
        limit,
        optional: false,
    }
}

const fn optional(what: &'static str, source: Source, unit: &'static str, limit: Limit) -> Row {
    Row {
        optional: true,
        ..row(what, source, unit, limit)
    }
}

use Limit::{AtLeast, AtMost, Below, Report};
use Source::{Figure, Ms, Rate, Ratio, SumMs};

const IDLE: &str = "binary/idle";
const PACED: &str = "e2e/paced_5000_deltas_per_second";
/// The issue-15 workload on the real binary (`benches/support/answer_stream.rs`).
const STREAM_61: &str = "binary/stream_61KB";
const STREAM_122: &str = "binary/stream_122KB";
const STREAM_245: &str = "binary/stream_245KB";

/// The budgets of issues 8 and 15 (for a 2-core machine like CI's), then reported figures.
const ROWS: &[Row] = &[
    row(
        "start-up to first frame (binary, pty)",
        Ms("binary/startup_to_first_frame"),
        "ms",
        Below(50.0),
    ),
    optional(
        "start-up to first frame, 3 MCP servers (one slow)",
        Ms("binary/startup_to_first_frame_3_mcp_servers"),
        "ms",
        Below(50.0),
    ),
    row(
        "idle 3 s after start-up: frames",
        Figure(IDLE, "frames"),
        "",
        AtMost(0.0),
    ),
    row(
        "idle 3 s after start-up: CPU",
        Figure(IDLE, "cpu_ms"),
        "ms",
        AtMost(0.0),
    ),
    row(
        "idle 3 s after an answer: frames",
        Figure(IDLE, "frames_after_answer"),
        "",
        AtMost(0.0),
    ),
    row(
        "idle 3 s after an answer: CPU",
        Figure(IDLE, "cpu_ms_after_answer"),
        "ms",
        AtMost(0.0),
    ),
    row(
        "SSE decode + accumulate",
        Rate("stream/decode_accumulate_4MB"),
        "MB/s",
        AtLeast(200.0),
    ),
    row(
        "partial JSON, 1 MiB in 8-byte deltas",
        Ms("partial_json/push_8_byte_deltas_then_finish_1MiB"),
        "ms",
        Below(50.0),
    ),
    row(
        "frame, 5,000 messages, 200x60, warm",
        Ms("frame/5000_messages_200x60"),
        "ms",
        Below(1.0),
    ),
    row(
        "the same frame with the terminal diff",
        Ms("frame/5000_messages_draw"),
        "ms",
        Below(1.0),
    ),
    row(
        "frame, cold: right after a width change",
        Ms("frame/5000_messages_cold_resize"),
        "ms",
        Below(20.0),
    ),
    row(
        "frame, cold: fresh app, same conversation",
        Ms("frame/5000_messages_cold_fresh_app"),
        "ms",
        Below(20.0),
    ),
    row(
        "paced stream over loopback: deltas",
        Figure(PACED, "deltas_per_s"),
        "/s",
        AtLeast(5000.0),
    ),
    row(
        "paced stream: frames",
        Figure(PACED, "frames_per_s"),
        "/s",
        AtMost(60.0),
    ),
    row(
        "paced stream: CPU, % of one core",
        Figure(PACED, "cpu_percent"),
        "%",
        AtMost(25.0),
    ),
    row(
        "resident memory, 5,000 messages loaded",
        Figure("memory/5000_messages", "rss_mb"),
        "MB",
        Below(60.0),
    ),
    row(
        "stream 122 KB in a 160x50 pty: CPU (median of 3)",
        Figure(STREAM_122, "cpu_s"),
        "s",
        AtMost(1.0),
    ),
    row(
        "stream 122 KB: peak RSS",
        Figure(STREAM_122, "peak_rss_mb"),
        "MB",
        AtMost(30.0),
    ),
    row(
        "stream CPU scaling, 245 KB / 122 KB",
        Ratio(STREAM_245, STREAM_122, "cpu_s"),
        "x",
        AtMost(2.2),
    ),
    optional(
        "@ completion, 100,000 files: first results",
        Ms("attach_index/first_results_100k"),
        "ms",
        Below(50.0),
    ),
    optional(
        "@ completion, 100,000 files: one keystroke (full scan)",
        Ms("attach_index/keystroke_full_scan_100k"),
        "ms",
        Below(5.0),
    ),
    optional(
        "@ completion: typing 6 keystrokes (narrowing)",
        Ms("attach_index/typing_6_keystrokes_100k"),
        "ms",
        Report,
    ),
    optional(
        "@ completion: the whole walk, 100,000 files",
        Ms("attach_index/walk_100k"),
        "ms",
        Report,
    ),
    optional(
        "store open + picker first page",
        SumMs(&["store/open_store", "store/picker_first_page"]),
        "ms",
        Below(50.0),
    ),
    optional(
        "store: load a 2,000-message conversation",
        Ms("store/load_2000_messages"),
        "ms",
        Below(100.0),
    ),
    row(
        "markdown + highlight, 200 KB answer",
        Ms("markdown/render_200KB_answer"),
        "ms",
        Report,
    ),
    row(
        "end to end at full speed: deltas",
        Rate("e2e/loopback_full_speed"),
        "/s",
        Report,
    ),
    row(
        "end to end at full speed: frames",
        Figure("e2e/loopback_full_speed", "frames_per_s"),
        "/s",
        Report,
    ),
    row(
        "scroll a page + frame, warm",
        Ms("frame/scroll_page"),
        "ms",
        Report,
    ),
    row(
        "binary resident memory, idle",
        Figure(IDLE, "rss_mb_after_answer"),
        "MB",
        Report,
    ),
    row("stream 61 KB: CPU", Figure(STREAM_61, "cpu_s"), "s", Report),
    row(
        "stream 245 KB: CPU",
        Figure(STREAM_245, "cpu_s"),
        "s",
        Report,
    ),
    row(
        "stream 122 KB: CPU, lowest of the runs",
        Figure(STREAM_122, "cpu_s_min"),
        "s",
        Report,
    ),
    row(
        "stream 122 KB: CPU, highest of the runs",
        Figure(STREAM_122, "cpu_s_max"),
        "s",
        Report,
    ),
    row(
        "stream 245 KB: peak RSS",
        Figure(STREAM_245, "peak_rss_mb"),
        "MB",
        Report,
    ),
    row(
        "stream 122 KB: frames",
        Figure(STREAM_122, "frames"),
        "",
        Report,
    ),
    row(
        "stream 122 KB: bytes to the terminal",
        Figure(STREAM_122, "bytes"),
        "",
        Report,
    ),
    row(
        "stream 122 KB: bytes per frame",
        Figure(STREAM_122, "bytes_per_frame"),
        "",
        Report,
    ),
    row(
        "stream 122 KB: wall time, Enter to last line",
        Figure(STREAM_122, "seconds"),
        "s",
        Report,
    ),
];

struct Dirs {
    criterion: PathBuf,
    perf: PathBuf,
}

/// criterion's output directory (as criterion picks it) and the figures' directory.
fn dirs() -> Dirs {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().map_or(tmp.clone(), Path::to_path_buf);
    let criterion =
        std::env::var_os("CRITERION_HOME").map_or_else(|| target.join("criterion"), PathBuf::from);
    Dirs {
        criterion,
        perf: target.join("perf"),
    }
}

fn json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// A criterion id's mean time in nanoseconds.
fn mean_ns(dirs: &Dirs, id: &str) -> Option<f64> {
    let estimates = json(&dirs.criterion.join(id).join("new/estimates.json"))?;
    estimates["mean"]["point_estimate"].as_f64()
}

/// A criterion id's throughput: MB/s for bytes, per second for elements.
fn rate(dirs: &Dirs, id: &str) -> Option<f64> {
    let bench = json(&dirs.criterion.join(id).join("new/benchmark.json"))?;
    let seconds = mean_ns(dirs, id)? / 1e9;
    let throughput = &bench["throughput"];
    match throughput["Bytes"].as_f64() {
        Some(bytes) => Some(bytes / seconds / 1e6),
        None => Some(throughput["Elements"].as_f64()? / seconds),
    }
}

fn value(dirs: &Dirs, source: Source) -> Option<f64> {
    match source {
        Ms(id) => Some(mean_ns(dirs, id)? / 1e6),
        SumMs(ids) => ids.iter().map(|id| Some(mean_ns(dirs, id)? / 1e6)).sum(),
        Rate(id) => rate(dirs, id),
        Figure(id, key) => figure(dirs, id, key),
        Ratio(a, b, key) => Some(figure(dirs, a, key)? / figure(dirs, b, key)?),
    }
}

/// A recorded figure's value, by the figure's id and the value's name.
fn figure(dirs: &Dirs, id: &str, key: &str) -> Option<f64> {
    let figure = json(&dirs.perf.join(format!("{}.json", id.replace('/', "."))))?;
    figure["values"][key].as_f64()
}

fn ids(source: Source) -> Vec<&'static str> {
    match source {
        Ms(id) | Rate(id) | Figure(id, _) => vec![id],
        SumMs(ids) => ids.to_vec(),
        Ratio(a, b, _) => vec![a, b],
    }
}

/// A measured number with as many decimals as it deserves, with its unit.
fn show(v: f64, unit: &str) -> String {
    let a = v.abs();
    let digits = match a {
        _ if a == 0.0 || a >= 100.0 => 0,
        _ if a >= 10.0 => 1,
        _ if a >= 1.0 => 2,
        _ => 3,
    };
    with_unit(group(format!("{v:.digits$}")), unit)
}

/// Thousands separated, for numbers of five digits or more.
fn group(n: String) -> String {
    let (int, rest) = n.split_at(n.find('.').unwrap_or(n.len()));
    if int.len() < 5 {
        return n;
    }
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out + rest
}

fn with_unit(n: String, unit: &str) -> String {
    match unit {
        "" => n,
        u if u.starts_with('/') || u == "%" || u == "x" => format!("{n}{u}"),
        u => format!("{n} {u}"),
    }
}

fn budget_text(limit: Limit, unit: &str) -> String {
    match limit {
        Below(v) => format!("< {}", with_unit(v.to_string(), unit)),
        AtMost(v) => format!("<= {}", with_unit(v.to_string(), unit)),
        AtLeast(v) => format!(">= {}", with_unit(v.to_string(), unit)),
        Report => "-".to_owned(),
    }
}

/// One printed row: figure, measured, budget, result, id.
type Line = [String; 5];

fn judge(dirs: &Dirs, row: &Row) -> (Line, bool) {
    let budget = budget_text(row.limit, row.unit);
    let id = match row.source {
        Ratio(a, b, _) => format!("{a} / {b}"),
        source => ids(source).join(" + "),
    };
    let (measured, ok) = match value(dirs, row.source) {
        Some(v) => {
            let ok = match row.limit {
                Below(b) => Some(v < b),
                AtMost(b) => Some(v <= b),
                AtLeast(b) => Some(v >= b),
                Report => None,
            };
            (show(v, row.unit), ok)
        }
        None if row.optional => ("not run".to_owned(), None),
        None if matches!(row.limit, Report) => ("missing".to_owned(), None),
        None => ("missing".to_owned(), Some(false)),
    };
    let result = match ok {
        Some(true) => "pass",
        Some(false) => "FAIL",
        None => "",
    };
    let line = [row.what.into(), measured, budget, result.into(), id];
    (line, ok != Some(false))
}

/// Every criterion id under `root`: the directories holding `new/estimates.json`.
fn criterion_ids(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !path.is_dir() || ["report", "new", "base"].contains(&name) {
                continue;
            }
            if path.join("new/estimates.json").is_file() {
                if let Ok(id) = path.strip_prefix(root) {
                    found.insert(id.to_string_lossy().into_owned());
                }
            } else {
                stack.push(path);
            }
        }
    }
    found
}

/// A criterion id not in [`ROWS`], reported as time or throughput.
fn unlisted(dirs: &Dirs, id: &str) -> Line {
    let bench = json(&dirs.criterion.join(id).join("new/benchmark.json"));
    let throughput = bench.as_ref().map(|b| &b["throughput"]);
    let measured = if throughput.is_some_and(|t| t["Bytes"].is_number()) {
        rate(dirs, id).map(|v| show(v, "MB/s"))
    } else if throughput.is_some_and(|t| t["Elements"].is_number()) {
        rate(dirs, id).map(|v| show(v, "/s"))
    } else {
        mean_ns(dirs, id).map(|ns| show(ns / 1e6, "ms"))
    };
    let measured = measured.unwrap_or_else(|| "missing".into());
    [
        String::new(),
        measured,
        "-".into(),
        String::new(),
        id.into(),
    ]
}

fn print_table(lines: &[Line]) {
    let head: Line = ["figure", "measured", "budget", "result", "id"].map(String::from);
    let all: Vec<&Line> = std::iter::once(&head).chain(lines).collect();
    let width = |i: usize| all.iter().map(|l| l[i].chars().count()).max().unwrap_or(0);
    let w = [width(0), width(1), width(2), width(3)];
    for l in all {
        println!(
            "{:<a$}  {:>b$}  {:<c$}  {:<d$}  {}",
            l[0],
            l[1],
            l[2],
            l[3],
            l[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        );
    }
}

fn main() {
    let dirs = dirs();
    let mut lines = Vec::new();
    let mut failed = 0;
    let mut listed = BTreeSet::new();
    for row in ROWS {
        let (line, ok) = judge(&dirs, row);
        failed += usize::from(!ok);
        lines.push(line);
        listed.extend(ids(row.source));
    }
    for id in criterion_ids(&dirs.criterion) {
        if !listed.contains(id.as_str()) {
            lines.push(unlisted(&dirs, &id));
        }
    }
    print_table(&lines);
    println!(
        "\nfrom {} and {}",
        dirs.criterion.display(),
        dirs.perf.display()
    );
    if failed > 0 {
        println!("{failed} budget(s) failed or not measured");
        std::process::exit(1);
    }
    println!("all budgets pass");
}
