//! MCP tools behind [`ToolExecutor`], beside the built-ins.
//!
//! [`McpExecutor`] is what the engine holds: on its own it is the built-in executor, and
//! its [`snapshot`](ToolExecutor::snapshot) freezes the tools of every ready server as
//! they stand, for one request and its round: [`Snapshot`]. A snapshot validates an MCP
//! call's input against the tool's compiled schema (so a bad input is an error result
//! before anything is sent, exactly as for built-ins) and runs it through `call.rs`. A
//! server that went away since the snapshot was taken answers with an error result; the
//! next request's snapshot no longer has its tools.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::call;
use super::manager::McpManager;
use super::server::Live;
use crate::tools::preview::ApprovalPreview;
use crate::tools::{CallContext, InvalidInput, ToolExecutor, ToolFuture, ToolOutput, ToolSpec};

/// The engine's executor when MCP servers are configured.
pub struct McpExecutor {
    base: Arc<dyn ToolExecutor>,
    manager: McpManager,
}

impl McpExecutor {
    pub fn new(base: Arc<dyn ToolExecutor>, manager: McpManager) -> Self {
        McpExecutor { base, manager }
    }
}

impl ToolExecutor for McpExecutor {
    fn specs(&self) -> &[ToolSpec] {
        self.base.specs()
    }

    fn validate(&self, name: &str, input: &Value) -> Result<(), InvalidInput> {
        self.base.validate(name, input)
    }

    fn run(&self, name: &str, input: Value, cancel: CancellationToken) -> ToolFuture {
        self.base.run(name, input, cancel)
    }

    fn approval_preview(&self, name: &str, input: &Value) -> Option<ApprovalPreview> {
        self.base.approval_preview(name, input)
    }

    fn snapshot(&self) -> Option<Arc<dyn ToolExecutor>> {
        Some(Arc::new(self.manager.snapshot(&self.base)))
    }
}

/// The tools of one request: the base's, then each ready server's (module docs).
pub struct Snapshot {
    base: Arc<dyn ToolExecutor>,
    specs: Vec<ToolSpec>,
    /// API name to the server and the tool's index in it.
    mcp: HashMap<String, (Arc<Live>, usize)>,
}

impl Snapshot {
    pub fn new(base: Arc<dyn ToolExecutor>, ready: Vec<(Arc<Live>, Vec<String>)>) -> Self {
        let mut specs = base.specs().to_vec();
        let mut mcp = HashMap::new();
        for (live, names) in ready {
            for (index, (tool, name)) in live.tools.iter().zip(names).enumerate() {
                specs.push(ToolSpec {
                    name: name.clone(),
                    description: tool.description.clone(),
                    input_schema: tool.input_schema.clone(),
                    approval: tool.approval,
                });
                mcp.insert(name, (Arc::clone(&live), index));
            }
        }
        Snapshot { base, specs, mcp }
    }
}

impl ToolExecutor for Snapshot {
    fn specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    fn validate(&self, name: &str, input: &Value) -> Result<(), InvalidInput> {
        match self.mcp.get(name) {
            Some((live, index)) => live.tools[*index].schema.validate(input),
            None => self.base.validate(name, input),
        }
    }

    fn run(&self, name: &str, input: Value, cancel: CancellationToken) -> ToolFuture {
        self.run_call(name, input, cancel, CallContext::quiet(""))
    }

    fn run_call(
        &self,
        name: &str,
        input: Value,
        cancel: CancellationToken,
        context: CallContext,
    ) -> ToolFuture {
        let Some((live, index)) = self.mcp.get(name) else {
            return self.base.run_call(name, input, cancel, context);
        };
        if let Err(invalid) = live.tools[*index].schema.validate(&input) {
            let message = format!("invalid input: {invalid}");
            return Box::pin(std::future::ready(ToolOutput::error(message)));
        }
        let (live, index) = (Arc::clone(live), *index);
        Box::pin(async move { call::call(&live, index, input, cancel, context).await })
    }

    fn approval_preview(&self, name: &str, input: &Value) -> Option<ApprovalPreview> {
        if self.mcp.contains_key(name) {
            return None;
        }
        self.base.approval_preview(name, input)
    }

    fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.specs.iter().find(|s| s.name == name)
    }
}
