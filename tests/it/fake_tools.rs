//! A fake tool executor for the tool-loop tests: a few tools with known behaviour, and
//! counters of what ran.
//!
//! - `lookup_order` {order_id: string}: answers `{"order_id": ..., "status": "shipped"}`.
//! - `slow` {ms: integer}: sleeps that long (stops at once when cancelled), under the
//!   executor's timeout, as the real registry applies `timeout_secs`.
//! - `read_file` {path: string}: refuses paths that leave the workspace, like the real
//!   built-in (this fake only checks for `..` and a leading `/`).
//! - `write_file` {path: string}: asks for approval; answers "wrote PATH".
//! - `explode` {}: panics while running.
//! - `fragile` {}: its input check panics (a bug in a tool's own code).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chatterm::tools::{Approval, InvalidInput, ToolExecutor, ToolFuture, ToolOutput, ToolSpec};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub struct FakeTools {
    specs: Vec<ToolSpec>,
    pub timeout: Duration,
    /// `(name, input)` of every run, in start order.
    runs: Mutex<Vec<(String, Value)>>,
    active: std::sync::Arc<AtomicUsize>,
    max_active: std::sync::Arc<AtomicUsize>,
    cancelled: std::sync::Arc<AtomicUsize>,
}

fn spec(name: &str, properties: Value, required: &[&str], approval: Approval) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: format!("The fake {name} tool."),
        input_schema: json!({"type": "object", "properties": properties, "required": required}),
        approval,
    }
}

impl FakeTools {
    pub fn new() -> Self {
        let string = json!({"type": "string"});
        Self {
            specs: vec![
                spec(
                    "lookup_order",
                    json!({"order_id": string}),
                    &["order_id"],
                    Approval::Never,
                ),
                spec(
                    "slow",
                    json!({"ms": {"type": "integer"}}),
                    &["ms"],
                    Approval::Never,
                ),
                spec(
                    "read_file",
                    json!({"path": string}),
                    &["path"],
                    Approval::Never,
                ),
                spec(
                    "write_file",
                    json!({"path": string}),
                    &["path"],
                    Approval::Ask,
                ),
                spec("explode", json!({}), &[], Approval::Never),
                spec("fragile", json!({}), &[], Approval::Never),
            ],
            timeout: Duration::from_secs(20),
            runs: Mutex::new(Vec::new()),
            active: Default::default(),
            max_active: Default::default(),
            cancelled: Default::default(),
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The names of the tools that ran, in start order.
    pub fn runs(&self) -> Vec<String> {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.0.clone())
            .collect()
    }

    /// The most calls that were running at the same time.
    pub fn max_active(&self) -> usize {
        self.max_active.load(Ordering::SeqCst)
    }

    /// How many runs saw their cancellation token fire.
    pub fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }
}

fn required_string(input: &Value, field: &str) -> Result<(), InvalidInput> {
    match input.get(field) {
        Some(Value::String(_)) => Ok(()),
        Some(_) => Err(InvalidInput {
            pointer: format!("/{field}"),
            message: "must be a string".into(),
        }),
        None => Err(InvalidInput {
            pointer: String::new(),
            message: format!("\"{field}\" is a required property"),
        }),
    }
}

impl ToolExecutor for FakeTools {
    fn specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    fn validate(&self, name: &str, input: &Value) -> Result<(), InvalidInput> {
        match name {
            "lookup_order" => required_string(input, "order_id"),
            "read_file" | "write_file" => required_string(input, "path"),
            "slow" if input.get("ms").is_some_and(Value::is_u64) => Ok(()),
            "slow" => Err(InvalidInput {
                pointer: "/ms".into(),
                message: "must be an integer".into(),
            }),
            "explode" => Ok(()),
            "fragile" => panic!("the fragile tool's input check broke"),
            _ => Err(InvalidInput {
                pointer: String::new(),
                message: format!("unknown tool {name}"),
            }),
        }
    }

    fn run(&self, name: &str, input: Value, cancel: CancellationToken) -> ToolFuture {
        self.runs
            .lock()
            .unwrap()
            .push((name.to_owned(), input.clone()));
        let (active, max_active, cancelled) = (
            self.active.clone(),
            self.max_active.clone(),
            self.cancelled.clone(),
        );
        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
        max_active.fetch_max(now, Ordering::SeqCst);
        let timeout = self.timeout;
        let name = name.to_owned();
        Box::pin(async move {
            let work = async {
                match name.as_str() {
                    "lookup_order" => ToolOutput::ok(
                        json!({"order_id": input["order_id"], "status": "shipped"}).to_string(),
                    ),
                    "slow" => {
                        let ms = input["ms"].as_u64().unwrap_or(0);
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(ms)) => {
                                ToolOutput::ok(format!("slept {ms} ms"))
                            }
                            _ = cancel.cancelled() => {
                                cancelled.fetch_add(1, Ordering::SeqCst);
                                ToolOutput::error("cancelled")
                            }
                        }
                    }
                    "read_file" => {
                        let path = input["path"].as_str().unwrap_or("");
                        if path.contains("..") || path.starts_with('/') {
                            ToolOutput::error(format!(
                                "refused: `{path}` is outside the workspace root"
                            ))
                        } else {
                            ToolOutput::ok(format!("contents of {path}"))
                        }
                    }
                    "write_file" => ToolOutput::ok(format!("wrote {}", input["path"])),
                    "explode" => panic!("the explode tool exploded"),
                    other => ToolOutput::error(format!("no such tool {other}")),
                }
            };
            let output = match tokio::time::timeout(timeout, work).await {
                Ok(output) => output,
                Err(_) => {
                    ToolOutput::error(format!("timed out after {:.1} s", timeout.as_secs_f64()))
                }
            };
            active.fetch_sub(1, Ordering::SeqCst);
            output
        })
    }
}
