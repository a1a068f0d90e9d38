//! The built-in tools: files under the workspace root, a shell command, the clock.
//!
//! Each tool is a module with its spec (name, description, input schema: what the model
//! reads to decide when and how to call it, so they are written as instructions and the
//! schemas are tight, `additionalProperties: false`) and its run function. Every path goes
//! through [`Workspace`] first. Filesystem work runs on tokio's blocking pool and gives up
//! when the call is cancelled (a walk checks the token between files), so a slow disk
//! never stalls the runtime or a cancel.
//!
//! [`NAMES`] is the reserved list: config refuses a `[[tools.command]]` with one of them.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::registry::Tool;
use super::workspace::Workspace;
use super::{ToolFuture, ToolOutput, ToolSpec};

mod current_time;
mod list_directory;
mod read_file;
mod run_command;
mod search_files;
mod text;
mod write_file;

/// Every built-in tool's name, in the order they are offered.
pub const NAMES: &[&str] = &[
    "read_file",
    "list_directory",
    "search_files",
    "write_file",
    "run_command",
    "current_time",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ReadFile,
    ListDirectory,
    SearchFiles,
    WriteFile,
    RunCommand,
    CurrentTime,
}

const KINDS: [Kind; 6] = [
    Kind::ReadFile,
    Kind::ListDirectory,
    Kind::SearchFiles,
    Kind::WriteFile,
    Kind::RunCommand,
    Kind::CurrentTime,
];

/// One built-in tool bound to a workspace.
struct Builtin {
    kind: Kind,
    spec: ToolSpec,
    workspace: Arc<Workspace>,
}

/// All built-in tools, confined to `workspace`, in [`NAMES`] order.
pub fn all(workspace: Workspace) -> Vec<Arc<dyn Tool>> {
    let workspace = Arc::new(workspace);
    KINDS
        .iter()
        .map(|&kind| {
            let spec = match kind {
                Kind::ReadFile => read_file::spec(),
                Kind::ListDirectory => list_directory::spec(),
                Kind::SearchFiles => search_files::spec(),
                Kind::WriteFile => write_file::spec(),
                Kind::RunCommand => run_command::spec(),
                Kind::CurrentTime => current_time::spec(),
            };
            Arc::new(Builtin {
                kind,
                spec,
                workspace: Arc::clone(&workspace),
            }) as Arc<dyn Tool>
        })
        .collect()
}

impl Tool for Builtin {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn approval_preview(&self, input: &Value) -> Option<crate::tools::preview::ApprovalPreview> {
        match self.kind {
            Kind::WriteFile => write_file::preview(&self.workspace, input),
            _ => None,
        }
    }

    fn run(&self, input: Value, cancel: CancellationToken) -> ToolFuture {
        let ws = Arc::clone(&self.workspace);
        match self.kind {
            Kind::ReadFile => blocking(cancel, move |_| {
                with_input(input, |i| read_file::run(&ws, i))
            }),
            Kind::ListDirectory => blocking(cancel, move |_| {
                with_input(input, |i| list_directory::run(&ws, i))
            }),
            Kind::SearchFiles => blocking(cancel, move |c| {
                with_input(input, |i| search_files::run(&ws, i, &c))
            }),
            Kind::WriteFile => blocking(cancel, move |_| {
                with_input(input, |i| write_file::run(&ws, i))
            }),
            Kind::RunCommand => Box::pin(async move {
                match parse(input) {
                    Ok(i) => run_command::run(&ws, i, cancel).await,
                    Err(e) => e,
                }
            }),
            Kind::CurrentTime => Box::pin(async move { current_time::run() }),
        }
    }
}

/// The typed input. The registry validated it against the schema, so a failure here is a
/// schema and struct out of step: still an error result, never a panic.
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ToolOutput> {
    serde_json::from_value(input).map_err(|e| ToolOutput::error(format!("invalid input: {e}")))
}

fn with_input<T: DeserializeOwned>(input: Value, f: impl FnOnce(T) -> ToolOutput) -> ToolOutput {
    match parse(input) {
        Ok(i) => f(i),
        Err(e) => e,
    }
}

/// Runs `f` on the blocking pool; a cancel answers at once, and `f` (given the token)
/// can stop early. A panic in `f` becomes an error result.
fn blocking(
    cancel: CancellationToken,
    f: impl FnOnce(CancellationToken) -> ToolOutput + Send + 'static,
) -> ToolFuture {
    Box::pin(async move {
        let token = cancel.clone();
        let task = tokio::task::spawn_blocking(move || f(token));
        tokio::select! {
            result = task => result.unwrap_or_else(|e| ToolOutput::error(format!("the tool failed: {e}"))),
            () = cancel.cancelled() => ToolOutput::error("cancelled by user"),
        }
    })
}

#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod tests;
