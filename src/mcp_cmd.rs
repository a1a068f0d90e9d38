//! MCP servers from the binary's side: starting them for a session, and
//! `chatterm mcp list`.
//!
//! The servers in force are the config's `[[mcp.server]]` entries plus, with `mcp.import`,
//! the workspace's `.mcp.json` and `mcp.import_files` (`chatterm::mcp::import`). The
//! workspace is `tools.root`, else the current directory. With tools off (`--no-tools`,
//! `tools.enabled = false`) no server starts: nothing could call its tools.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};

use chatterm::config::Config;
use chatterm::mcp::{McpManager, ServerState, ServerStatus, Source, TransportKind, import};
use chatterm::sanitize::sanitize_line;

use crate::cli::{Cli, McpCommand};

/// Starts the servers in force in the background (none with tools off). Import warnings
/// go to stderr when `print_warnings` (not in the full screen, which is not up yet but
/// would be drawn over them).
pub fn start(config: &Config, cli: &Cli, print_warnings: bool) -> Result<McpManager> {
    if !config.tools.enabled || cli.no_tools {
        return Ok(McpManager::none());
    }
    let root = workspace(config)?;
    let (servers, warnings) = import::servers(&config.mcp, &root).wrap_err("MCP servers")?;
    if print_warnings {
        for w in &warnings {
            eprintln!("warning: {}", chatterm::sanitize::sanitize(w));
        }
    }
    let passthrough = config.tools.env_passthrough.clone();
    Ok(McpManager::start(servers, root, passthrough))
}

fn workspace(config: &Config) -> Result<PathBuf> {
    match &config.tools.root {
        Some(root) => Ok(root.clone()),
        None => std::env::current_dir().wrap_err("the current directory"),
    }
}

/// Waits for the servers to finish starting: bounded by the longest `timeout_secs`.
pub async fn settle(mcp: &McpManager, config: &Config) {
    if mcp.is_empty() {
        return;
    }
    let longest = config
        .mcp
        .servers
        .iter()
        .map(|s| s.timeout)
        .max()
        .unwrap_or(chatterm::mcp::config::DEFAULT_TIMEOUT)
        .max(chatterm::mcp::config::DEFAULT_TIMEOUT);
    mcp.settled(longest + Duration::from_secs(1)).await;
}

/// `chatterm mcp ...`.
pub async fn run(cli: &Cli, command: &McpCommand) -> Result<i32> {
    let McpCommand::List = command;
    let (config, warnings) = crate::startup::load_config(cli)?;
    for w in &warnings {
        eprintln!("warning: {}", chatterm::sanitize::sanitize(w));
    }
    let root = workspace(&config)?;
    let (servers, warnings) = import::servers(&config.mcp, &root).wrap_err("MCP servers")?;
    for w in &warnings {
        eprintln!("warning: {}", chatterm::sanitize::sanitize(w));
    }
    if servers.is_empty() {
        println!("no MCP servers configured ([[mcp.server]] in the config, or .mcp.json here)");
        return Ok(0);
    }
    let mcp = McpManager::start(servers, root, config.tools.env_passthrough.clone());
    settle(&mcp, &config).await;
    let statuses = mcp.servers();
    mcp.shutdown().await;
    let mut out = String::new();
    for status in &statuses {
        describe(status, &mut out);
    }
    print!("{out}");
    let failed = statuses
        .iter()
        .any(|s| matches!(s.state, ServerState::Failed { .. } | ServerState::Starting));
    Ok(i32::from(failed))
}

/// One server as `mcp list` prints it (every piece of untrusted text through the gate).
pub fn describe(status: &ServerStatus, out: &mut String) {
    use std::fmt::Write;
    let state = match &status.state {
        ServerState::Ready => format!("ready ({} tools)", status.tools.len()),
        ServerState::Starting => "still starting (timed out)".to_owned(),
        other => other.to_string(),
    };
    let transport = match &status.transport {
        TransportKind::Stdio { command } => format!("stdio: {command}"),
        TransportKind::Http { url } => format!("http: {url}"),
    };
    let source = match &status.source {
        Source::Config(Some(path)) => path.display().to_string(),
        Source::Config(None) => "config".to_owned(),
        Source::Imported(path) => path.display().to_string(),
    };
    let head = format!("{}  {state}  [{transport}]  from {source}", status.name);
    let _ = writeln!(out, "{}", sanitize_line(&head));
    for tool in &status.tools {
        let first = tool.description.lines().next().unwrap_or_default();
        let ask = if tool.approval == chatterm::domain::Approval::Ask {
            "asks"
        } else {
            "runs"
        };
        let line = format!("  {}  ({ask})  {first}", tool.api_name);
        let _ = writeln!(out, "{}", sanitize_line(&line));
    }
    for prompt in &status.prompts {
        let line = format!("  /{}:{}  (prompt)", status.name, prompt.name);
        let _ = writeln!(out, "{}", sanitize_line(&line));
    }
    if matches!(status.state, ServerState::Failed { .. }) {
        for line in &status.stderr_tail {
            let _ = writeln!(out, "  stderr: {}", sanitize_line(line));
        }
    }
}
