//! Servers configured for other clients: the `mcpServers` object of a project's
//! `.mcp.json` (Claude Code's format) or of Claude Desktop's `claude_desktop_config.json`,
//! read as they are, without conversion.
//!
//! An entry is a stdio server (`command`, `args`, `env`; `"type": "stdio"` or no type) or
//! a streamable HTTP one (`"type": "http"`, `url`, `headers`). Values may use `${VAR}` and
//! `${VAR:-default}` as in Claude Code, checked now and expanded at start. Imported servers
//! take the defaults (approval ask, 30 s timeout); a `[[mcp.server]]` of the same name
//! wins. Errors point at the file and line of the entry, like the config's; an entry of a
//! transport chatterm does not speak (`sse`) is skipped with a warning, not an error, so a
//! shared project file does not stop chatterm from starting.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::Source;
use super::config::{McpConfig, ServerConfig, Transport, expand_env};
use crate::config::{ConfigError, Location};

/// The file a project's servers are read from, in the workspace root.
pub const PROJECT_FILE: &str = ".mcp.json";

/// The servers in force: `[[mcp.server]]` first, then (with `import`) the workspace's
/// `.mcp.json` and the `import_files`, a name already taken skipped. Also returns
/// warnings (skipped entries) for the person.
pub fn servers(
    config: &McpConfig,
    root: &Path,
) -> Result<(Vec<ServerConfig>, Vec<String>), ConfigError> {
    let mut servers = config.servers.clone();
    let mut warnings = Vec::new();
    if !config.import {
        return Ok((servers, warnings));
    }
    let files = std::iter::once(root.join(PROJECT_FILE)).chain(config.import_files.iter().cloned());
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(ConfigError::Read { path: file, source }),
        };
        for server in read(&file, &text, &mut warnings)? {
            if servers.iter().any(|s| s.name == server.name) {
                warnings.push(format!(
                    "{}: MCP server {:?} skipped: a server of that name is configured already",
                    file.display(),
                    server.name
                ));
            } else {
                servers.push(server);
            }
        }
    }
    Ok((servers, warnings))
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "mcpServers", default)]
    servers: BTreeMap<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    #[serde(rename = "type")]
    kind: Option<String>,
    command: Option<String>,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: Option<String>,
    url: Option<String>,
    headers: BTreeMap<String, String>,
}

/// The servers of one file's `mcpServers`, in the file's order.
pub fn read(
    file: &Path,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<ServerConfig>, ConfigError> {
    let parsed: File = serde_json::from_str(text).map_err(|e| ConfigError::Invalid {
        location: Location {
            file: file.to_path_buf(),
            line: Some(e.line()),
            column: Some(e.column()),
        },
        key: "mcpServers".into(),
        message: e.to_string(),
    })?;
    // A BTreeMap sorts by name; the file's order is what the person wrote.
    let mut named: Vec<(usize, String, Value)> = parsed
        .servers
        .into_iter()
        .map(|(name, value)| (offset_of(text, &name), name, value))
        .collect();
    named.sort_by_key(|(offset, ..)| *offset);
    let mut out = Vec::new();
    for (offset, name, value) in named {
        let fail = |message: String| ConfigError::Invalid {
            location: Location::at(file, text, offset),
            key: format!("mcpServers.{name}"),
            message,
        };
        crate::config::check_mcp_server_name(&name).map_err(fail)?;
        let entry: Entry = serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
        let transport = match (entry.kind.as_deref(), entry.command, entry.url) {
            (None | Some("stdio"), Some(command), _) => Transport::Stdio {
                command,
                args: entry.args,
                env: entry.env,
                cwd: entry.cwd,
            },
            (Some("http" | "streamable-http" | "streamableHttp"), _, Some(url))
            | (None, None, Some(url)) => Transport::Http {
                url,
                headers: entry.headers,
                bearer_token_env: None,
            },
            (Some(kind @ ("sse" | "ws")), ..) => {
                warnings.push(format!(
                    "{}: MCP server {name:?} skipped: chatterm does not speak the {kind} transport (stdio and http only)",
                    Location::at(file, text, offset)
                ));
                continue;
            }
            (None | Some("stdio" | "http" | "streamable-http" | "streamableHttp"), ..) => {
                return Err(fail("missing `command` (stdio) or `url` (http)".into()));
            }
            (Some(kind), ..) => {
                let message = format!("unknown type {kind:?} (expected \"stdio\" or \"http\")");
                return Err(fail(message));
            }
        };
        for (key, value) in transport.expandable() {
            expand_env(value).map_err(|e| fail(format!("{key}: {e}")))?;
        }
        let mut server = ServerConfig::stdio(&name, "", &[]);
        server.transport = transport;
        server.source = Source::Imported(file.to_path_buf());
        out.push(server);
    }
    Ok(out)
}

/// Where `"name":` first appears in `text` (a location is advisory; 0 if not found).
fn offset_of(text: &str, name: &str) -> usize {
    let quoted = serde_json::to_string(name).unwrap_or_default();
    text.find(&format!("{quoted}:"))
        .or_else(|| text.find(&quoted))
        .unwrap_or(0)
}

/// Claude Desktop's config on this platform, for `mcp.import_files`.
pub fn claude_desktop_config() -> Option<PathBuf> {
    let base = directories::BaseDirs::new()?;
    Some(
        base.config_dir()
            .join("Claude")
            .join("claude_desktop_config.json"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
  "mcpServers": {
    "zeta": {"command": "node", "args": ["server.js"], "env": {"MODE": "${MCP_IMPORT_TEST_UNSET:-dev}"}},
    "alpha": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"X-A": "b"}},
    "old": {"type": "sse", "url": "http://127.0.0.1:9/sse"}
  }
}"#;

    #[test]
    fn reads_claude_codes_format_in_file_order() {
        let mut warnings = Vec::new();
        let servers = read(Path::new("/p/.mcp.json"), FILE, &mut warnings).unwrap();
        let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert!(
            matches!(&servers[0].transport, Transport::Stdio { command, args, .. }
            if command == "node" && args == &["server.js"])
        );
        assert!(
            matches!(&servers[1].transport, Transport::Http { url, .. } if url.ends_with("/mcp"))
        );
        assert_eq!(
            servers[0].source,
            Source::Imported(PathBuf::from("/p/.mcp.json"))
        );
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("/p/.mcp.json:5:"),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains("sse"));
    }

    #[test]
    fn errors_name_the_file_line_and_entry() {
        let text =
            "{\"mcpServers\": {\n  \"ok\": {\"command\": \"x\"},\n  \"bad\": {\"args\": []}\n}}";
        let err = read(Path::new("m.json"), text, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("m.json:3:3: mcpServers.bad: missing `command`"),
            "{err}"
        );
        let err = read(
            Path::new("m.json"),
            "{\"mcpServers\": {\n  \"a\": {\"command\": \"${MCP_IMPORT_TEST_UNSET}\"}}}",
            &mut Vec::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("m.json:2:3") && err.contains("MCP_IMPORT_TEST_UNSET is not set"),
            "{err}"
        );
        let err = read(Path::new("m.json"), "{\"mcpServers\": [", &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.json:1:"), "{err}");
    }

    #[test]
    fn config_entries_win_and_import_can_be_off() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PROJECT_FILE), FILE).unwrap();
        let mut config = McpConfig::default();
        config
            .servers
            .push(ServerConfig::stdio("zeta", "mine", &[]));
        let (servers, warnings) = super::servers(&config, dir.path()).unwrap();
        let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert!(
            matches!(&servers[0].transport, Transport::Stdio { command, .. } if command == "mine")
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        config.import = false;
        assert_eq!(super::servers(&config, dir.path()).unwrap().0.len(), 1);
    }
}
