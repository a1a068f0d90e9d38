//! The tools' settings: what the `[tools]` table of the config becomes. They are defined
//! here, with the module they configure, so `tools` never depends on `config`; `config`
//! builds them (validation in `config/apply_tools.rs`) and re-exports them.

use std::path::PathBuf;
use std::time::Duration;

use super::Approval;

/// The tools the model may call and how the engine runs them (`[tools]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolsConfig {
    /// Whether tools are offered at all (`--no-tools` turns this off for one run).
    pub enabled: bool,
    /// The workspace root the built-in tools are confined to; `None` means the current
    /// directory. A relative path in a file is stored joined to that file's directory.
    pub root: Option<PathBuf>,
    /// Most tool calls of one answer run at once; at least 1.
    pub parallel: usize,
    /// Most model round trips with tool results in one turn; at least 1.
    pub max_rounds: u32,
    /// Send `eager_input_streaming: true` on each tool definition.
    pub eager_input_streaming: bool,
    /// `[[tools.command]]`, in file order: names unique and none a built-in's.
    pub commands: Vec<CommandToolConfig>,
    /// Credential-like environment variables (`ANTHROPIC_*`, `*_API_KEY`, `*_TOKEN`,
    /// `*_SECRET`) that tool processes may still inherit, by exact name.
    pub env_passthrough: Vec<String>,
    /// Let the read-only tools into `~/.ssh`, `~/.aws`, `~/.gnupg`, `~/.config/gcloud` and
    /// chatterm's own config and data directories.
    pub allow_secret_dirs: bool,
    /// The API's own tools (`tools.server`, `tools.web`): off unless listed.
    pub server: crate::api::server_tools::ServerTools,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            root: None,
            parallel: 4,
            max_rounds: 25,
            eager_input_streaming: true,
            commands: Vec::new(),
            env_passthrough: Vec::new(),
            allow_secret_dirs: false,
            server: Default::default(),
        }
    }
}

/// A user command tool: the input JSON goes to the command's stdin, its stdout is the
/// result.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandToolConfig {
    /// 1 to 64 of `A-Z a-z 0-9 _ -`, as the API requires.
    pub name: String,
    pub description: String,
    /// A JSON Schema object with `"type": "object"` that compiles (checked at load).
    pub input_schema: serde_json::Value,
    /// The program: a bare name is looked up on `PATH`; a relative path with a directory
    /// part was written relative to the config file and is stored joined to its directory.
    pub command: PathBuf,
    pub args: Vec<String>,
    pub timeout: Duration,
    pub approval: Approval,
}

/// A command tool's timeout when `timeout_secs` is not given.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
