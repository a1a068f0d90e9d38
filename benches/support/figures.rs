//! One-shot figures: measurements that are not criterion timings (frames per second, CPU
//! share, resident memory, idle work), written where the report (`benches/report.rs`) finds
//! them.
//!
//! Each figure is `<target>/perf/<id with / as .>.json`: `{"id": "...", "at": <unix
//! seconds>, "values": {"name": number, ...}}`, next to criterion's `<target>/criterion`.
//! A bench that records figures still honours criterion's filter (`cargo bench -- frame`)
//! and `--list`, through [`wanted`].

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// `<target>/perf`, from the target directory cargo built this bench in.
pub fn dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or(tmp.clone(), |t| t.to_path_buf())
        .join("perf")
}

/// Whether the command line asks for the figure `id`: not when listing, and not when a
/// filter is given that `id` does not contain.
pub fn wanted(id: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return false;
    }
    // criterion's options that take a value; everything else starting with - is a flag.
    const WITH_VALUE: &[&str] = &[
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--color",
        "--format",
        "--logfile",
    ];
    let mut filters = Vec::new();
    let mut args = args.iter();
    while let Some(a) = args.next() {
        if WITH_VALUE.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            filters.push(a);
        }
    }
    filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()))
}

/// Writes the figure `id` and prints it on stderr.
pub fn record(id: &str, values: &[(&str, f64)]) {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let map: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
        .collect();
    let json = serde_json::json!({"id": id, "at": at, "values": map});
    let shown: Vec<String> = values.iter().map(|(k, v)| format!("{k} {v:.3}")).collect();
    eprintln!("{id}: {}", shown.join(", "));
    let dir = dir();
    let path = dir.join(format!("{}.json", id.replace('/', ".")));
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, json.to_string()));
    if let Err(e) = written {
        eprintln!("warning: cannot write {}: {e}", path.display());
    }
}
