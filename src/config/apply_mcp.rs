//! Checks the `[mcp]` table of one layer and writes it into the [`McpConfig`].
//!
//! Each `[[mcp.server]]` entry needs a unique name (one the API's tool name pattern can
//! carry), and either `command` (stdio) or `url` (streamable HTTP), not both; the options
//! of the other transport are refused at the entry rather than silently ignored. Every
//! `${VAR}` reference is checked now, against this process's environment, so a missing
//! variable fails the load at the value that names it (the values are expanded only when
//! the server starts, see [`crate::mcp::config`]). A layer that has `[[mcp.server]]`
//! replaces the whole list, as for `[[tools.command]]`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::apply::{Failure, to_duration};
use super::apply_tools::config_relative;
use super::locate::KeyPath;
use super::raw::{RawApproval, Seconds};
use crate::mcp::Source;
use crate::mcp::config::{
    DEFAULT_TIMEOUT, McpConfig, ServerConfig, ToolFilter, Transport, expand_env,
};
use crate::tools::Approval;

/// The `[mcp]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawMcp {
    pub import: Option<bool>,
    pub import_files: Option<Vec<String>>,
    pub server: Option<Vec<RawServer>>,
}

/// One `[[mcp.server]]` entry; required fields are options, reported in words.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawServer {
    pub name: Option<String>,
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub env: Option<BTreeMap<String, String>>,
    pub cwd: Option<String>,
    pub url: Option<String>,
    pub headers: Option<BTreeMap<String, String>>,
    pub bearer_token_env: Option<String>,
    pub enabled: Option<bool>,
    pub approval: Option<RawApproval>,
    pub tool_approval: Option<BTreeMap<String, RawApproval>>,
    pub timeout_secs: Option<Seconds>,
    pub tools: Option<RawFilter>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub(crate) struct RawFilter {
    pub allow: Option<Vec<String>>,
    pub deny: Option<Vec<String>>,
}

pub(crate) fn apply_mcp(raw: &RawMcp, origin: &Path, mcp: &mut McpConfig) -> Result<(), Failure> {
    if let Some(import) = raw.import {
        mcp.import = import;
    }
    if let Some(files) = &raw.import_files {
        mcp.import_files = files.iter().map(|f| config_relative(f, origin)).collect();
    }
    if let Some(servers) = &raw.server {
        let mut checked: Vec<ServerConfig> = Vec::with_capacity(servers.len());
        for (i, entry) in servers.iter().enumerate() {
            let at = KeyPath::keys(&["mcp", "server"]).index(i);
            let server = server(entry, origin, &at)?;
            if checked.iter().any(|s| s.name == server.name) {
                let message = format!("another [[mcp.server]] is already named {:?}", server.name);
                return Err((at.key("name"), message));
            }
            checked.push(server);
        }
        mcp.servers = checked;
    }
    Ok(())
}

fn server(raw: &RawServer, origin: &Path, at: &KeyPath) -> Result<ServerConfig, Failure> {
    let name = raw
        .name
        .as_deref()
        .ok_or_else(|| (at.clone(), "missing `name`".to_owned()))?;
    check_server_name(name).map_err(|m| (at.clone().key("name"), m))?;
    let transport = transport(raw, at)?;
    for (key, text) in transport.expandable() {
        expand_env(text).map_err(|e| (value_path(at, &key), e.to_string()))?;
    }
    let timeout = match raw.timeout_secs {
        Some(secs) => to_duration(secs).map_err(|m| (at.clone().key("timeout_secs"), m))?,
        None => DEFAULT_TIMEOUT,
    };
    let tools = match &raw.tools {
        None => ToolFilter::All,
        Some(RawFilter {
            allow: Some(_),
            deny: Some(_),
        }) => {
            let message = "give `allow` or `deny`, not both".to_owned();
            return Err((at.clone().key("tools"), message));
        }
        Some(RawFilter {
            allow: Some(names), ..
        }) => ToolFilter::Allow(names.clone()),
        Some(RawFilter {
            deny: Some(names), ..
        }) => ToolFilter::Deny(names.clone()),
        Some(_) => ToolFilter::All,
    };
    let tool_approval = raw
        .tool_approval
        .iter()
        .flatten()
        .map(|(tool, RawApproval(a))| (tool.clone(), *a))
        .collect();
    Ok(ServerConfig {
        name: name.to_owned(),
        transport,
        enabled: raw.enabled.unwrap_or(true),
        approval: raw.approval.map_or(Approval::Ask, |RawApproval(a)| a),
        tool_approval,
        timeout,
        tools,
        source: Source::Config(Some(origin.to_path_buf())),
    })
}

fn transport(raw: &RawServer, at: &KeyPath) -> Result<Transport, Failure> {
    let misplaced = |key: &str, kind: &str| {
        let message = format!(
            "`{key}` is for {kind} servers; this one has `{}`",
            if kind == "stdio" { "url" } else { "command" }
        );
        Err((at.clone().key(key), message))
    };
    match (&raw.command, &raw.url) {
        (Some(_), Some(_)) => Err((
            at.clone().key("url"),
            "give `command` (stdio) or `url` (HTTP), not both".into(),
        )),
        (None, None) => Err((
            at.clone(),
            "missing `command` (a stdio server) or `url` (streamable HTTP)".into(),
        )),
        (Some(command), None) => {
            if raw.headers.is_some() {
                return misplaced("headers", "HTTP");
            }
            if raw.bearer_token_env.is_some() {
                return misplaced("bearer_token_env", "HTTP");
            }
            if command.trim().is_empty() {
                return Err((at.clone().key("command"), "must not be empty".into()));
            }
            Ok(Transport::Stdio {
                command: command.clone(),
                args: raw.args.clone().unwrap_or_default(),
                env: raw.env.clone().unwrap_or_default(),
                cwd: raw.cwd.clone(),
            })
        }
        (None, Some(url)) => {
            for (key, set) in [
                ("args", raw.args.is_some()),
                ("env", raw.env.is_some()),
                ("cwd", raw.cwd.is_some()),
            ] {
                if set {
                    return misplaced(key, "stdio");
                }
            }
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("${"))
            {
                return Err((
                    at.clone().key("url"),
                    format!("must be an http:// or https:// URL, got {url:?}"),
                ));
            }
            if let Some(var) = &raw.bearer_token_env
                && (var.is_empty() || var.to_ascii_uppercase().starts_with("ANTHROPIC_"))
            {
                let message =
                    "must name an environment variable other than chatterm's own credentials";
                return Err((at.clone().key("bearer_token_env"), message.into()));
            }
            Ok(Transport::Http {
                url: url.clone(),
                headers: raw.headers.clone().unwrap_or_default(),
                bearer_token_env: raw.bearer_token_env.clone(),
            })
        }
    }
}

/// The key path of a value [`Transport::expandable`] names (`args[1]`, `env.HOME`, `url`).
fn value_path(at: &KeyPath, name: &str) -> KeyPath {
    if let Some(i) = name.strip_prefix("args[").and_then(|r| r.strip_suffix(']')) {
        return at.clone().key("args").index(i.parse().unwrap_or(0));
    }
    match name.split_once('.') {
        Some((table, key)) => at.clone().key(table).key(key),
        None => at.clone().key(name),
    }
}

/// A server name: what `mcp__{name}__tool` can carry, so names stay readable.
pub(crate) fn check_server_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !name.contains("__");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a usable server name: 1-32 of A-Z a-z 0-9 _ -, without \"__\""
        ))
    }
}
