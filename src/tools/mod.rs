//! Tools the model can call: what they are, how an input is checked, how one runs.
//!
//! The model: a [`ToolExecutor`] owns a set of [`ToolSpec`]s (name, description, JSON
//! schema, whether a run needs the user's approval). The engine asks it to
//! [`validate`](ToolExecutor::validate) an input against the schema, and to
//! [`run`](ToolExecutor::run) a valid one; every outcome, failures included, is a
//! [`ToolOutput`] that becomes one `tool_result` block, so a bad input, an unknown tool, a
//! timeout or a crash is something the model reads and can act on, never a panic.
//!
//! This module holds the shared vocabulary; beside it:
//! - [`registry`]: [`Registry`], the [`ToolExecutor`] over the built-in and user command
//!   tools, built from [`ToolsConfig`] (`settings.rs`: what config builds for this module), and the API tool
//!   definitions ([`Registry::definitions`]);
//! - [`schema`]: input schemas compiled once, errors as [`InvalidInput`] with a JSON pointer;
//! - [`workspace`]: the root the built-ins are confined to, and the path checks;
//! - [`builtin`]: `read_file`, `list_directory`, `search_files`, `write_file`,
//!   `run_command`, `current_time`;
//! - [`command`]: `[[tools.command]]` programs (input JSON on stdin, result on stdout);
//! - [`process`]: running a child with captured, capped output, a timeout, cancellation,
//!   and its process group killed;
//! - [`examples`]: the order-management example tools and their bundled data.

pub mod builtin;
pub mod command;
pub mod env;
pub mod examples;
pub mod guard;
pub mod preview;
pub mod process;
pub mod registry;
pub mod schema;
pub mod settings;
pub mod workspace;

pub use crate::domain::Approval;
pub use registry::{Registry, RegistryBuilder, RegistryError, Tool};
pub use settings::{CommandToolConfig, ToolsConfig};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// A tool as the model and the user see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema (draft 2020-12) for the input object.
    pub input_schema: Value,
    pub approval: Approval,
}

/// What a tool run produced: the text of a `tool_result` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub content: String,
    /// The model reads this as a failed call (`is_error: true`).
    pub is_error: bool,
    /// What some tools (MCP servers) return besides text; empty for most.
    pub extras: ToolExtras,
}

/// The parts of a result that are not its text: images the model sees as image blocks
/// after the text, and a structured value kept for the panel (not sent to the model,
/// which reads the text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolExtras {
    pub images: Vec<ToolImage>,
    /// An MCP result's `structuredContent`, shown as JSON in the call's panel.
    pub structured: Option<Value>,
}

/// An image in a tool result: base64 data and its media type (`image/png`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolImage {
    pub media_type: String,
    pub data: String,
}

/// Progress a running call reported (MCP `notifications/progress`), for its panel.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolProgress {
    pub progress: f64,
    pub total: Option<f64>,
    /// Sanitised by the reporter: one line of text.
    pub message: Option<String>,
}

/// What a run learns about the call it serves: the call's id and where its progress goes.
#[derive(Clone)]
pub struct CallContext {
    pub id: String,
    pub progress: Arc<dyn Fn(ToolProgress) + Send + Sync>,
}

impl CallContext {
    /// A call whose progress nobody watches.
    pub fn quiet(id: impl Into<String>) -> Self {
        CallContext {
            id: id.into(),
            progress: Arc::new(|_| {}),
        }
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext").field("id", &self.id).finish()
    }
}

impl ToolOutput {
    pub fn ok(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: false,
            extras: ToolExtras::default(),
        }
    }

    pub fn error(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: true,
            extras: ToolExtras::default(),
        }
    }
}

/// Why an input does not fit its tool's schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if pointer.is_empty() { String::new() } else { format!("{pointer}: ") })]
pub struct InvalidInput {
    /// JSON pointer of the offending value (`/items/0/qty`), empty for the whole input.
    pub pointer: String,
    pub message: String,
}

/// The user's answer to an approval prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalDecision {
    /// Run this call.
    Once,
    /// Run this call and every later call of this tool in this conversation.
    Always,
    /// Do not run it; the model gets an error result saying the user refused.
    Deny,
    /// Nobody could be asked (print and line modes): the model is told that approval was
    /// not possible here, not that a person refused.
    Unattended,
}

/// A running tool call.
pub type ToolFuture = Pin<Box<dyn Future<Output = ToolOutput> + Send + 'static>>;

/// A set of tools the engine can offer and run.
pub trait ToolExecutor: Send + Sync {
    /// The tools, in the order they are offered to the model.
    fn specs(&self) -> &[ToolSpec];

    /// Checks `input` against the tool's schema. `Err` for an unknown tool too.
    fn validate(&self, name: &str, input: &Value) -> Result<(), InvalidInput>;

    /// Runs a validated input. Must finish promptly once `cancel` fires, and must turn
    /// every failure (timeout, crash, refused path) into an error [`ToolOutput`].
    fn run(&self, name: &str, input: Value, cancel: CancellationToken) -> ToolFuture;

    /// [`run`](ToolExecutor::run) for call `call.id`, with somewhere to report progress.
    /// The engine calls this one; tools that report nothing need not implement it.
    fn run_call(
        &self,
        name: &str,
        input: Value,
        cancel: CancellationToken,
        call: CallContext,
    ) -> ToolFuture {
        let _ = call;
        self.run(name, input, cancel)
    }

    /// For a tool set that changes while the program runs (MCP servers come, go and
    /// change their lists): the set as it stands now, frozen, which one request offers
    /// and its round runs. `None` (the default): this executor never changes.
    fn snapshot(&self) -> Option<Arc<dyn ToolExecutor>> {
        None
    }

    /// What running `name` with `input` would change, for the approval prompt (`None`:
    /// nothing to show). Called while the call awaits approval; it may read files.
    fn approval_preview(&self, name: &str, input: &Value) -> Option<preview::ApprovalPreview> {
        let _ = (name, input);
        None
    }

    /// The spec of one tool.
    fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.specs().iter().find(|s| s.name == name)
    }
}
