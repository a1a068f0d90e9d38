//! The layering rule, enforced: only `src/tui/` and `src/main.rs` may name a terminal crate
//! (ratatui, crossterm, ratatui-textarea, syntect). Everything else is the UI-free core the
//! print mode, the benches and the tests use without a terminal. The check scans the source
//! tree, so a new module that reaches for a terminal crate fails here, not in review.

use std::path::{Path, PathBuf};

/// The crates only the full-screen front end may use, as Rust names them.
const TERMINAL_CRATES: [&str; 4] = ["ratatui", "crossterm", "ratatui_textarea", "syntect"];

/// The terminal crates a line of code names: a path through one (`ratatui::text::Line`,
/// `use crossterm::{..}`) or an `extern crate`. Comments are skipped, so prose about the
/// rule does not trip it.
fn named_crates(line: &str) -> Vec<&'static str> {
    let code = line.split("//").next().unwrap_or_default();
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        // `::ratatui::x` and `ratatui::x` name the crate; `my::ratatui::x` would be a module.
        let head = word
            .trim_start_matches("::")
            .split("::")
            .next()
            .unwrap_or_default();
        let pathed = word.trim_start_matches("::").contains("::");
        let after_use = i > 0 && words[i - 1] == "use";
        let after_extern = i > 1 && words[i - 2] == "extern" && words[i - 1] == "crate";
        if let Some(name) = TERMINAL_CRATES.iter().find(|&&c| c == head)
            && (pathed || after_use || after_extern)
            && !found.contains(name)
        {
            found.push(*name);
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn layering_no_terminal_crate_outside_the_tui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let tui = src.join("tui");
    let main = src.join("main.rs");
    let mut offences = Vec::new();
    let mut scanned = 0;
    for file in files.iter().filter(|f| !f.starts_with(&tui) && **f != main) {
        scanned += 1;
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for name in named_crates(line) {
                offences.push(format!("{}:{}: names {name}", file.display(), n + 1));
            }
        }
    }
    // The scan must have seen the core (api, engine, store...), or it proves nothing.
    assert!(
        scanned > 20,
        "only {scanned} files scanned under {}",
        src.display()
    );
    assert!(
        offences.is_empty(),
        "terminal crates outside src/tui and src/main.rs:\n{}",
        offences.join("\n")
    );
}

#[test]
fn layering_the_scan_sees_uses_and_paths_but_not_prose() {
    assert_eq!(named_crates("use ratatui::text::Line;"), ["ratatui"]);
    assert_eq!(
        named_crates("    use crossterm::{event, terminal};"),
        ["crossterm"]
    );
    assert_eq!(
        named_crates("let s = syntect::parsing::SyntaxSet::new();"),
        ["syntect"]
    );
    assert_eq!(
        named_crates("use ratatui_textarea::TextArea;"),
        ["ratatui_textarea"]
    );
    assert_eq!(named_crates("extern crate crossterm;"), ["crossterm"]);
    assert_eq!(named_crates("fn f(x: ::ratatui::Frame) {}"), ["ratatui"]);
    assert!(named_crates("// only src/tui uses ratatui::Frame").is_empty());
    assert!(named_crates("//! drawn with ratatui and crossterm").is_empty());
    assert!(named_crates("let ratatui_like = 1;").is_empty());
    // The same check over src/tui, which does use them, finds them there.
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui"),
        &mut files,
    );
    let named = files.iter().filter(|f| {
        let text = std::fs::read_to_string(f).unwrap();
        text.lines().any(|l| !named_crates(l).is_empty())
    });
    assert!(named.count() > 10);
}
