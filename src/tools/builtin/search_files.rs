//! `search_files`: a regex over the text files under a directory of the root.
//!
//! The walk does not follow symlinks (so it never leaves the root), skips `.git`, the
//! workspace's guarded directories (credentials, chatterm's data; said in the summary), binary
//! files and files over [`MAX_FILE_BYTES`], visits entries in name order (so results are
//! stable between calls), and checks the cancel token between files. Results are
//! `path:line: text`, at most `max_results` (default [`DEFAULT_RESULTS`], at most
//! [`MAX_RESULTS`]); when the cap is hit a note says to narrow the search. The regex
//! syntax is Rust's `regex` crate (no look-around or backreferences, linear time), compiled
//! with a size limit so a pathological pattern is an error, not a stall.

use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::text::{clip_line, looks_binary};
use crate::tools::workspace::Workspace;
use crate::tools::{Approval, ToolOutput, ToolSpec};

pub const DEFAULT_RESULTS: usize = 100;
pub const MAX_RESULTS: usize = 500;
/// Larger files are skipped (and counted in the summary).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// A matching line is shown up to this many bytes.
const MAX_MATCH_LINE: usize = 300;
/// Compiled-regex size limit: generous for real patterns, refuses exponential blow-ups.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "search_files".into(),
        description: "Search the text files under a directory of the workspace for lines \
            matching a regular expression, like grep -rn. Returns path:line: text for each \
            match, in path order. Use this to find where something is defined or used when \
            you do not know the file. Skips .git, binary files and files over 10 MB; does not \
            follow symbolic links. Rust regex syntax (e.g. \"fn\\s+main\", \"TODO|FIXME\"); \
            escape special characters to search for them literally."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "pattern": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Regular expression matched against each line."
                },
                "path": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Directory (or single file) to search, relative to the workspace root. Default: \".\"."
                },
                "case_insensitive": {
                    "type": "boolean",
                    "description": "Match regardless of case. Default false."
                },
                "max_results": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_RESULTS,
                    "description": "Most matching lines to return. Default 100."
                }
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
        approval: Approval::Never,
    }
}

#[derive(Debug, Deserialize)]
pub struct Input {
    pattern: String,
    path: Option<String>,
    #[serde(default)]
    case_insensitive: bool,
    max_results: Option<usize>,
}

pub fn run(ws: &Workspace, input: Input, cancel: &CancellationToken) -> ToolOutput {
    match search(ws, &input, cancel) {
        Ok(text) => ToolOutput::ok(text),
        Err(message) => ToolOutput::error(message),
    }
}

/// What the walk found and passed over.
#[derive(Default)]
struct Found {
    lines: Vec<String>,
    files_with_matches: usize,
    capped: bool,
    /// Guarded directories the walk did not enter.
    guarded: usize,
    binary: usize,
    too_big: usize,
    unreadable: usize,
}

fn search(ws: &Workspace, input: &Input, cancel: &CancellationToken) -> Result<String, String> {
    let regex = RegexBuilder::new(&input.pattern)
        .case_insensitive(input.case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regular expression {:?}: {e}", input.pattern))?;
    let start = ws
        .resolve(input.path.as_deref().unwrap_or("."))
        .map_err(|e| e.to_string())?;
    let limit = input
        .max_results
        .unwrap_or(DEFAULT_RESULTS)
        .clamp(1, MAX_RESULTS);
    let mut found = Found::default();
    let guarded = std::cell::Cell::new(0);
    let walk = walkdir::WalkDir::new(&start)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let secret = ws.guarded(e.path());
            guarded.set(guarded.get() + usize::from(secret));
            e.file_name() != ".git" && !secret
        });
    for entry in walk {
        if cancel.is_cancelled() {
            return Err("cancelled by user".into());
        }
        let Ok(entry) = entry else {
            found.unreadable += 1;
            continue;
        };
        if entry.file_type().is_file() {
            scan_file(ws, entry.path(), &regex, limit, &mut found);
            if found.capped {
                break;
            }
        }
    }
    found.guarded = guarded.get();
    Ok(summary(ws, &start, input, limit, &found))
}

fn scan_file(ws: &Workspace, path: &Path, regex: &Regex, limit: usize, found: &mut Found) {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    if size > MAX_FILE_BYTES {
        found.too_big += 1;
        return;
    }
    let Ok(bytes) = std::fs::read(path) else {
        found.unreadable += 1;
        return;
    };
    if looks_binary(&bytes) {
        found.binary += 1;
        return;
    }
    let text = String::from_utf8_lossy(&bytes);
    let shown = ws.display(path);
    let mut matched = false;
    for (i, line) in text.lines().enumerate() {
        if !regex.is_match(line) {
            continue;
        }
        if found.lines.len() == limit {
            found.capped = true;
            break;
        }
        matched = true;
        let line = clip_line(line.trim_end_matches('\r'), MAX_MATCH_LINE);
        found.lines.push(format!("{shown}:{}: {line}", i + 1));
    }
    found.files_with_matches += usize::from(matched);
}

fn summary(ws: &Workspace, start: &Path, input: &Input, limit: usize, found: &Found) -> String {
    let under = ws.display(start);
    let mut text = match found.lines.len() {
        0 => format!("no matches for {:?} under {under}\n", input.pattern),
        n => format!(
            "{n} matching line{} in {} file{} for {:?} under {under}\n",
            if n == 1 { "" } else { "s" },
            found.files_with_matches,
            if found.files_with_matches == 1 {
                ""
            } else {
                "s"
            },
            input.pattern
        ),
    };
    for line in &found.lines {
        text.push_str(line);
        text.push('\n');
    }
    if found.capped {
        text.push_str(&format!(
            "[stopped after {limit} matches; there are more. Narrow the pattern or the path, \
             or raise max_results (at most {MAX_RESULTS})]\n"
        ));
    }
    let skipped = [
        (found.binary, "binary"),
        (found.too_big, "over 10 MB"),
        (found.unreadable, "unreadable"),
    ];
    let skipped: Vec<String> = skipped
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
    if !skipped.is_empty() {
        text.push_str(&format!("[skipped files: {}]\n", skipped.join(", ")));
    }
    if found.guarded > 0 {
        text.push_str(&format!(
            "[skipped {} directories that hold credentials or chatterm's own data]\n",
            found.guarded
        ));
    }
    text
}
