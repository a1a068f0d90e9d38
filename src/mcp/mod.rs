//! MCP servers as tool sources: configuration, the client lifecycle, tools offered to the
//! model, calls, and prompts.
//!
//! The model: an [`McpManager`] (a cheap, clonable handle) owns every configured server.
//! [`McpManager::start`] returns at once; each server connects on a task of its own
//! (a stdio child or streamable HTTP, through the official `rmcp` client), so nothing a
//! front end draws ever waits for one. Each server has a [`ServerState`]: `Starting`,
//! `Ready` (its tools and prompts listed), `Failed` (the reason, with the last lines its
//! child wrote to stderr in [`ServerStatus::stderr_tail`]), `Stopped` (shut down, or
//! `enabled = false`). A server that fails or exits does not stop the chat: its tools are
//! withdrawn from the next request, and a call still running ends with an error result
//! saying the server went away.
//!
//! What a front end uses:
//! - [`McpManager::servers`]: every server's [`ServerStatus`] (name, transport, state,
//!   tools with their API names, prompts with their arguments, stderr tail, and where it
//!   was configured: [`Source`]), in configuration order.
//! - [`McpManager::subscribe`]: a `watch` channel whose value (a generation number) moves
//!   on every change of any status; on a change, read [`McpManager::servers`] again.
//! - [`McpManager::restart`]: stop one server and start it again.
//! - [`McpManager::get_prompt`]: a prompt rendered with its arguments, as the text to put
//!   in the input box (prompts as `/{server}:{prompt}` commands).
//! - [`McpManager::tool_origin`]: which server and tool an API tool name
//!   (`mcp__{server}__{tool}`, sanitised) stands for, so a call's panel can name its
//!   server. The engine's `Update::Tool` carries the API name; progress arrives as
//!   `Update::ToolProgress` (from [`crate::tools::CallContext`]); a finished call's
//!   `structuredContent` is in `ToolOutput::extras.structured`.
//! - [`McpManager::executor`]: the engine's tool executor: the built-in tools plus every
//!   ready server's tools, frozen per request through [`ToolExecutor::snapshot`].
//! - [`McpManager::shutdown`]: on quit, every session closed and every stdio child reaped.
//!
//! Inside:
//! - [`config`]: `[[mcp.server]]` entries and `${VAR}` expansion (parsed with the rest of
//!   the config in `config/apply_mcp.rs`, errors located by file and line);
//! - [`import`]: the `mcpServers` of `.mcp.json` / Claude Desktop's config, and the list of
//!   servers in force ([`import::servers`]);
//! - `names.rs`: API tool names (`mcp__server__tool`, sanitised, collisions resolved);
//! - `server.rs` + `connect.rs`: one server's task: connect, list, notifications, restart;
//! - `executor.rs` + `call.rs`: the snapshot executor and a call's result mapping.
//!
//! [`ToolExecutor::snapshot`]: crate::tools::ToolExecutor::snapshot

mod call;
pub mod config;
mod connect;
mod executor;
mod handler;
pub mod import;
mod manager;
pub mod names;
mod server;

use std::path::PathBuf;

use crate::domain::Approval;

pub use config::{McpConfig, ServerConfig, Transport};
pub use manager::McpManager;

/// One server as a front end shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStatus {
    /// The configured name (unique; `[[mcp.server]]` entries win over imported ones).
    pub name: String,
    pub transport: TransportKind,
    pub state: ServerState,
    /// Its tools, in the server's order; empty unless it is ready.
    pub tools: Vec<ToolInfo>,
    /// Its prompts, in the server's order; empty unless it is ready.
    pub prompts: Vec<PromptInfo>,
    /// The last lines the child wrote to stderr (stdio servers; sanitised, at most 10).
    pub stderr_tail: Vec<String>,
    /// Where it was configured.
    pub source: Source,
}

/// How a server is reached, for display (no secrets: never headers or env values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportKind {
    /// A child speaking JSON-RPC over stdin/stdout: the command line as configured.
    Stdio { command: String },
    /// Streamable HTTP at this URL.
    Http { url: String },
}

/// Where a server stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// Connecting, initialising, listing its tools (bounded by its `timeout_secs`).
    Starting,
    /// Connected; its tools are offered (see [`ServerStatus::tools`]).
    Ready,
    /// It could not start, or it went away: why (one line, sanitised).
    Failed { reason: String },
    /// Not running: `enabled = false`, or shut down.
    Stopped,
}

/// One tool of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInfo {
    /// The server's name for it.
    pub name: String,
    /// The name the model sees (`mcp__{server}__{tool}`, sanitised).
    pub api_name: String,
    pub description: String,
    /// Whether a call asks first (config, else the server's default).
    pub approval: Approval,
    /// The server's `readOnlyHint` / `destructiveHint` annotations.
    pub read_only: bool,
    pub destructive: bool,
}

/// One prompt of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptInfo {
    pub name: String,
    pub description: Option<String>,
    pub arguments: Vec<PromptArgument>,
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptArgument {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
}

/// Where a server was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `[[mcp.server]]` entry of chatterm's config (the file, when there is one).
    Config(Option<PathBuf>),
    /// The `mcpServers` of a project's `.mcp.json` or of Claude Desktop's config.
    Imported(PathBuf),
}

/// The server and tool an API tool name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOrigin {
    pub server: String,
    pub tool: String,
}

/// Why an MCP request of a front end failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum McpError {
    #[error("no MCP server is named {0:?}")]
    UnknownServer(String),
    #[error("MCP server {server:?} is not ready ({state})")]
    NotReady { server: String, state: String },
    #[error("MCP server {server:?} has no prompt {prompt:?}")]
    UnknownPrompt { server: String, prompt: String },
    #[error("MCP server {server:?}: {message}")]
    Server { server: String, message: String },
}

impl std::fmt::Display for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerState::Starting => f.write_str("starting"),
            ServerState::Ready => f.write_str("ready"),
            ServerState::Failed { reason } => write!(f, "failed: {reason}"),
            ServerState::Stopped => f.write_str("stopped"),
        }
    }
}
