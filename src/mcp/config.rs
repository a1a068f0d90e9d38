//! What configures the MCP servers: `[[mcp.server]]` entries (parsed and checked with the
//! rest of the config, in `config/apply_mcp.rs`), the imported `mcpServers` of a
//! `.mcp.json` or of Claude Desktop's config (`import.rs`), and `${VAR}` expansion.
//!
//! Values keep their `${VAR}` references as written: they are checked when the config
//! loads (a variable that is neither set nor given a default is an error located at the
//! value), and expanded only when a server starts, so an expanded secret lives in the
//! child's environment or the request's header and nowhere else. A bearer token is named,
//! never written: `bearer_token_env = "NAME"` reads it from the environment at connect.
//!
//! Expansion is Claude Code's: `${VAR}` and `${VAR:-default}`, in the command, its
//! arguments, env values, the working directory, the URL and header values. chatterm's own
//! credentials (`ANTHROPIC_*`) are never expanded: a server does not get them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::Approval;

use super::Source;

/// Bounds a server's start-up (spawn, initialise, list) and each of its calls by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `[mcp]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct McpConfig {
    /// `[[mcp.server]]` entries, in file order.
    pub servers: Vec<ServerConfig>,
    /// Read `.mcp.json` in the workspace root (`mcp.import`, default true).
    pub import: bool,
    /// More files whose `mcpServers` to read (`mcp.import_files`), such as Claude
    /// Desktop's `claude_desktop_config.json`; read when `import` is on.
    pub import_files: Vec<PathBuf>,
}

impl Default for McpConfig {
    fn default() -> Self {
        McpConfig {
            servers: Vec::new(),
            import: true,
            import_files: Vec::new(),
        }
    }
}

/// One server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub name: String,
    pub transport: Transport,
    pub enabled: bool,
    /// Whether its tools ask before running (default ask).
    pub approval: Approval,
    /// Per tool (the server's tool name), over `approval` and the tool's annotations.
    pub tool_approval: BTreeMap<String, Approval>,
    /// Bounds start-up and each call.
    pub timeout: Duration,
    pub tools: ToolFilter,
    pub source: Source,
}

impl ServerConfig {
    /// A stdio server with the defaults (tests and the import build on it).
    pub fn stdio(name: &str, command: &str, args: &[&str]) -> ServerConfig {
        ServerConfig {
            name: name.to_owned(),
            transport: Transport::Stdio {
                command: command.to_owned(),
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                env: BTreeMap::new(),
                cwd: None,
            },
            enabled: true,
            approval: Approval::Ask,
            tool_approval: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
            tools: ToolFilter::All,
            source: Source::Config(None),
        }
    }

    /// Whether `tool` (the server's name for it) is offered.
    pub fn offers(&self, tool: &str) -> bool {
        match &self.tools {
            ToolFilter::All => true,
            ToolFilter::Allow(names) => names.iter().any(|n| n == tool),
            ToolFilter::Deny(names) => !names.iter().any(|n| n == tool),
        }
    }

    /// Whether a call of `tool` asks first: the per-tool setting, else the server's.
    /// The annotations only ever add a question: a tool that says it is destructive asks
    /// even on a `never` server unless `tool_approval` says otherwise; a read-only tool of
    /// an `ask` server still asks (the person chose `ask`).
    pub fn approval_for(&self, tool: &str, destructive: bool) -> Approval {
        if let Some(approval) = self.tool_approval.get(tool) {
            return *approval;
        }
        if destructive {
            return Approval::Ask;
        }
        self.approval
    }
}

/// How a server is reached. Strings may hold `${VAR}` references (module docs).
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    Stdio {
        command: String,
        args: Vec<String>,
        /// Added to the child's safe base environment (see `connect.rs`).
        env: BTreeMap<String, String>,
        /// Where it runs (default: the workspace root).
        cwd: Option<String>,
    },
    Http {
        url: String,
        headers: BTreeMap<String, String>,
        /// The environment variable holding the bearer token, read at connect.
        bearer_token_env: Option<String>,
    },
}

/// Which of a server's tools are offered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ToolFilter {
    #[default]
    All,
    Allow(Vec<String>),
    Deny(Vec<String>),
}

/// Why a `${VAR}` reference cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("environment variable {0} is not set (write ${{{0}:-default}} for a default)")]
    Unset(String),
    #[error("{0} is chatterm's own credential; it is never passed to an MCP server")]
    Credential(String),
    #[error("unclosed ${{ in {0:?}")]
    Unclosed(String),
}

/// Expands `${VAR}` and `${VAR:-default}` in `text` with `lookup`. A `$` not followed by
/// `{` stays as it is.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ExpandError::Unclosed(text.to_owned()));
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        if name.to_ascii_uppercase().starts_with("ANTHROPIC_") {
            return Err(ExpandError::Credential(name.to_owned()));
        }
        match (lookup(name), default) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => return Err(ExpandError::Unset(name.to_owned())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// [`expand`] against this process's environment.
pub fn expand_env(text: &str) -> Result<String, ExpandError> {
    expand(text, &|name| std::env::var(name).ok())
}

impl Transport {
    /// Every string that may hold a reference, with a name for messages (`args[1]`,
    /// `env.PATH`), so the load can check them all.
    pub fn expandable(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        match self {
            Transport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                out.push(("command".to_owned(), command.as_str()));
                for (i, arg) in args.iter().enumerate() {
                    out.push((format!("args[{i}]"), arg.as_str()));
                }
                for (name, value) in env {
                    out.push((format!("env.{name}"), value.as_str()));
                }
                if let Some(cwd) = cwd {
                    out.push(("cwd".to_owned(), cwd.as_str()));
                }
            }
            Transport::Http { url, headers, .. } => {
                out.push(("url".to_owned(), url.as_str()));
                for (name, value) in headers {
                    out.push((format!("headers.{name}"), value.as_str()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/u".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_claude_code() {
        assert_eq!(expand("${HOME}/x", &env).unwrap(), "/home/u/x");
        assert_eq!(expand("a${MISSING:-dflt}b", &env).unwrap(), "adfltb");
        assert_eq!(expand("${EMPTY:-d}", &env).unwrap(), "");
        assert_eq!(expand("$HOME and $", &env).unwrap(), "$HOME and $");
        assert_eq!(
            expand("${MISSING}", &env),
            Err(ExpandError::Unset("MISSING".into()))
        );
        assert!(matches!(
            expand("${HOME", &env),
            Err(ExpandError::Unclosed(_))
        ));
        assert_eq!(
            expand("${ANTHROPIC_API_KEY:-x}", &env),
            Err(ExpandError::Credential("ANTHROPIC_API_KEY".into()))
        );
    }

    #[test]
    fn approval_follows_tool_then_annotations_then_server() {
        let mut server = ServerConfig::stdio("s", "cmd", &[]);
        server.approval = Approval::Never;
        assert_eq!(server.approval_for("read", false), Approval::Never);
        assert_eq!(server.approval_for("rm", true), Approval::Ask);
        server.tool_approval.insert("rm".into(), Approval::Never);
        assert_eq!(server.approval_for("rm", true), Approval::Never);
        server.approval = Approval::Ask;
        assert_eq!(server.approval_for("read", false), Approval::Ask);
    }

    #[test]
    fn filters_allow_or_deny() {
        let mut server = ServerConfig::stdio("s", "cmd", &[]);
        assert!(server.offers("x"));
        server.tools = ToolFilter::Allow(vec!["a".into()]);
        assert!(server.offers("a") && !server.offers("x"));
        server.tools = ToolFilter::Deny(vec!["a".into()]);
        assert!(!server.offers("a") && server.offers("x"));
    }
}
