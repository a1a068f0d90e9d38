//! Batches: many inputs, a bounded number of extractions at once, results in input order.
//!
//! Inputs ([`read_inputs`]):
//! - a `.jsonl` file (any file that is not a directory): one input per line, either a JSON
//!   string (the text) or an object `{"text": "...", "id": ...}` whose optional `id`
//!   (string or number) names the input in the results; blank lines are skipped. An
//!   input's label is its `id`, else `FILE:LINE`;
//! - a directory: every regular, non-hidden file in it (not its subdirectories), in file
//!   name order, one input each; the label is the file's path.
//!
//! A line or file that cannot be used (not JSON, no `text`, unreadable, empty) becomes a
//! failed result of kind `input`; the batch goes on.
//!
//! Results ([`run`]): one JSON object per line, in input order, each written as soon as
//! every earlier one is:
//! `{"index": 0, "input": LABEL, "ok": true, "result": {...}}` or
//! `{"index": 3, "input": LABEL, "ok": false, "kind": KIND, "error": MESSAGE}`, where KIND
//! is `input`, `api`, `invalid`, `refusal`, `max_tokens` or `cancelled`, and `invalid`
//! failures also carry `"errors": [...]`, the validation errors of the last answer.
//! `index` counts inputs from 0 (blank lines are not inputs).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::report::{ExtractError, Spend};
use super::run::{Extractor, Job};
use super::{Method, Schema};
use crate::sanitize::json_safe;

/// Extractions in flight at once when the caller does not say.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// One input of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// How results name it: its id, `FILE:LINE` or a path.
    pub label: String,
    /// The text, or why there is none.
    pub input: Result<String, String>,
}

/// Reads a batch from a JSONL file or a directory (see the module docs).
pub fn read_inputs(path: &Path) -> std::io::Result<Vec<Item>> {
    if path.is_dir() {
        return read_dir(path);
    }
    let text = std::fs::read_to_string(path)?;
    Ok(parse_jsonl(&text, &path.display().to_string()))
}

/// The inputs of a JSONL text; `source` names it in labels.
pub fn parse_jsonl(text: &str, source: &str) -> Vec<Item> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| parse_line(line, &format!("{source}:{}", i + 1)))
        .collect()
}

fn parse_line(line: &str, at: &str) -> Item {
    let shape = "expected a JSON string or an object with a \"text\" string";
    let (label, input) = match serde_json::from_str::<Value>(line) {
        Ok(Value::String(text)) => (at.to_owned(), Ok(text)),
        Ok(Value::Object(obj)) => {
            let label = match obj.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => at.to_owned(),
            };
            match obj.get("text") {
                Some(Value::String(text)) => (label, Ok(text.clone())),
                _ => (label, Err(format!("{at}: {shape}"))),
            }
        }
        Ok(_) => (at.to_owned(), Err(format!("{at}: {shape}"))),
        Err(e) => (at.to_owned(), Err(format!("{at}: not JSON ({e})"))),
    };
    let input = input.and_then(|t| {
        if t.trim().is_empty() {
            Err(format!("{at}: the input is empty"))
        } else {
            Ok(t)
        }
    });
    Item { label, input }
}

fn read_dir(dir: &Path) -> std::io::Result<Vec<Item>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|path| {
            let label = path.display().to_string();
            let input = match std::fs::read_to_string(&path) {
                Ok(t) if t.trim().is_empty() => Err(format!("{label}: the file is empty")),
                Ok(t) => Ok(t),
                Err(e) => Err(format!("{label}: cannot read it: {e}")),
            };
            Item { label, input }
        })
        .collect())
}

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub method: Method,
    pub instructions: Option<String>,
    /// At least 1.
    pub concurrency: usize,
}

/// One finished input.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub index: usize,
    pub label: String,
    /// The value, or (kind, message, validation errors).
    pub outcome: Result<Value, Failure>,
    pub spend: Spend,
}

/// Why an input has no result.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
    pub errors: Vec<String>,
}

impl Line {
    /// The result line as written (see the module docs).
    pub fn to_json(&self) -> Value {
        match &self.outcome {
            Ok(result) => {
                json!({"index": self.index, "input": self.label, "ok": true, "result": result})
            }
            Err(f) => {
                let mut v = json!({"index": self.index, "input": self.label, "ok": false,
                    "kind": f.kind, "error": f.message});
                if !f.errors.is_empty() {
                    v["errors"] = json!(f.errors);
                }
                v
            }
        }
    }
}

/// The totals of a batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub ok: usize,
    pub failed: usize,
    /// Failures by kind (`invalid`, `api`, ...).
    pub failures: BTreeMap<&'static str, usize>,
    pub spend: Spend,
}

impl Summary {
    pub(crate) fn count(&mut self, line: &Line) {
        self.spend.merge(&line.spend);
        match &line.outcome {
            Ok(_) => self.ok += 1,
            Err(f) => {
                self.failed += 1;
                *self.failures.entry(f.kind).or_insert(0) += 1;
            }
        }
    }

    /// "45 ok, 5 failed (invalid 3, api 2)".
    pub fn counts_line(&self) -> String {
        let mut s = format!("{} ok, {} failed", self.ok, self.failed);
        if !self.failures.is_empty() {
            let kinds: Vec<String> = self
                .failures
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!(" ({})", kinds.join(", ")));
        }
        s
    }
}

/// Runs every item, at most `opts.concurrency` at once, writing each result line to `out`
/// in input order, and calls `on_line` as each input finishes (in completion order).
/// Failures of single inputs never stop the batch; only a write error does.
pub async fn run<W: Write>(
    extractor: &Extractor,
    schema: Arc<Schema>,
    items: Vec<Item>,
    opts: &BatchOptions,
    out: &mut W,
    on_line: &mut dyn FnMut(&Line),
    cancel: &CancellationToken,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut finished = futures::stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| one(extractor, &schema, opts, index, item, cancel))
        .buffer_unordered(opts.concurrency.max(1));
    let mut waiting: BTreeMap<usize, Line> = BTreeMap::new();
    let mut next = 0;
    while let Some(line) = finished.next().await {
        on_line(&line);
        summary.count(&line);
        waiting.insert(line.index, line);
        while let Some(line) = waiting.remove(&next) {
            let text = serde_json::to_string(&line.to_json())?;
            writeln!(out, "{}", json_safe(&text))?;
            next += 1;
        }
        out.flush()?;
    }
    Ok(summary)
}

async fn one(
    extractor: &Extractor,
    schema: &Arc<Schema>,
    opts: &BatchOptions,
    index: usize,
    item: Item,
    cancel: &CancellationToken,
) -> Line {
    let input = match item.input {
        Ok(text) => text,
        Err(message) => {
            return Line {
                index,
                label: item.label,
                outcome: Err(Failure {
                    kind: "input",
                    message,
                    errors: Vec::new(),
                }),
                spend: Spend::default(),
            };
        }
    };
    let job = Job {
        schema: Arc::clone(schema),
        input,
        instructions: opts.instructions.clone(),
        method: opts.method,
    };
    let report = extractor.extract(&job, None, cancel).await;
    let outcome = report.result.map_err(|e| Failure {
        kind: e.kind(),
        message: e.to_string(),
        errors: match e {
            ExtractError::Invalid { errors } => errors,
            _ => Vec::new(),
        },
    });
    Line {
        index,
        label: item.label,
        outcome,
        spend: report.spend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_are_strings_or_objects_with_text() {
        let text = "\"plain text\"\n\n{\"id\": \"a-1\", \"text\": \"with id\"}\n\
                    {\"id\": 7, \"text\": \"numeric id\"}\n{\"text\": \"no id\"}\n\
                    {\"body\": \"x\"}\n[1]\nnot json\n\"  \"\n";
        let items = parse_jsonl(text, "in.jsonl");
        let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "in.jsonl:1",
                "a-1",
                "7",
                "in.jsonl:5",
                "in.jsonl:6",
                "in.jsonl:7",
                "in.jsonl:8",
                "in.jsonl:9"
            ]
        );
        assert_eq!(items[0].input, Ok("plain text".into()));
        assert_eq!(items[1].input, Ok("with id".into()));
        assert_eq!(items[3].input, Ok("no id".into()));
        assert!(
            items[4]
                .input
                .as_ref()
                .unwrap_err()
                .contains("\"text\" string")
        );
        assert!(items[5].input.is_err());
        assert!(items[6].input.as_ref().unwrap_err().contains("not JSON"));
        assert!(items[7].input.as_ref().unwrap_err().contains("empty"));
    }

    #[test]
    fn a_directory_is_its_visible_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "second").unwrap();
        std::fs::write(dir.path().join("a.txt"), "first").unwrap();
        std::fs::write(dir.path().join(".hidden"), "no").unwrap();
        std::fs::write(dir.path().join("empty.txt"), " \n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let items = read_inputs(dir.path()).unwrap();
        let names: Vec<String> = items
            .iter()
            .map(|i| {
                Path::new(&i.label)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.txt", "b.txt", "empty.txt"]);
        assert_eq!(items[0].input, Ok("first".into()));
        assert!(items[2].input.is_err());
    }

    #[test]
    fn result_lines_have_the_documented_shape() {
        let ok = Line {
            index: 0,
            label: "a".into(),
            outcome: Ok(json!({"x": 1})),
            spend: Spend::default(),
        };
        assert_eq!(
            ok.to_json(),
            json!({"index": 0, "input": "a", "ok": true, "result": {"x": 1}})
        );
        let bad = Line {
            index: 2,
            label: "b".into(),
            outcome: Err(Failure {
                kind: "invalid",
                message: "m".into(),
                errors: vec!["/x: e".into()],
            }),
            spend: Spend::default(),
        };
        assert_eq!(
            bad.to_json(),
            json!({"index": 2, "input": "b", "ok": false, "kind": "invalid", "error": "m",
                "errors": ["/x: e"]})
        );
        let mut summary = Summary::default();
        summary.count(&ok);
        summary.count(&bad);
        assert_eq!(summary.counts_line(), "1 ok, 1 failed (invalid 1)");
    }
}
