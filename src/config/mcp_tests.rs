//! Tests of the `[mcp]` table: defaults, every key of a stdio and an HTTP server, and the
//! located errors for bad entries.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::mcp::config::{ToolFilter, Transport};
use crate::tools::Approval;

const SERVERS: &str = r#"
[mcp]
import = false
import_files = ["desktop.json"]

[[mcp.server]]
name = "files"
command = "npx"
args = ["-y", "server-files", "${HOME}"]
env = { LOG = "warn" }
cwd = "sub"
approval = "never"
tool_approval = { write = "ask" }
timeout_secs = 5
tools = { deny = ["write"] }

[[mcp.server]]
name = "web"
url = "https://mcp.example.com/mcp"
headers = { "X-Team" = "core" }
bearer_token_env = "WEB_MCP_TOKEN"
enabled = false
"#;

#[test]
fn defaults_import_the_project_file_and_configure_no_server() {
    let mcp = parse_str("", Path::new("c.toml")).unwrap().config.mcp;
    assert_eq!(mcp, crate::mcp::McpConfig::default());
    assert!(mcp.import && mcp.servers.is_empty() && mcp.import_files.is_empty());
}

#[test]
fn every_key_of_both_transports() {
    let loaded = parse_str(SERVERS, Path::new("/cfg/c.toml")).map_err(|e| e.to_string());
    let loaded = loaded.unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let mcp = loaded.config.mcp;
    assert!(!mcp.import);
    assert_eq!(mcp.import_files, [Path::new("/cfg/desktop.json")]);
    let files = &mcp.servers[0];
    assert!(
        matches!(&files.transport, Transport::Stdio { command, args, env, cwd }
        if command == "npx" && args[2] == "${HOME}" && env["LOG"] == "warn" && cwd.as_deref() == Some("sub"))
    );
    assert_eq!(files.approval, Approval::Never);
    assert_eq!(files.tool_approval["write"], Approval::Ask);
    assert_eq!(files.timeout, Duration::from_secs(5));
    assert_eq!(files.tools, ToolFilter::Deny(vec!["write".into()]));
    assert!(files.enabled);
    let web = &mcp.servers[1];
    assert!(
        matches!(&web.transport, Transport::Http { url, headers, bearer_token_env }
        if url.ends_with("/mcp") && headers["X-Team"] == "core"
            && bearer_token_env.as_deref() == Some("WEB_MCP_TOKEN"))
    );
    assert!(!web.enabled);
    assert_eq!(web.approval, Approval::Ask);
}

#[test]
fn bad_server_entries_fail_naming_line_and_key() {
    let cases = [
        (
            "[[mcp.server]]\nname = \"a\"\n",
            "c.toml:1:1: mcp.server[0]",
            "missing `command`",
        ),
        (
            "[[mcp.server]]\nname = \"a__b\"\ncommand = \"x\"\n",
            "c.toml:2:8: mcp.server[0].name",
            "not a usable server name",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\ncommand = \"x\"\nurl = \"http://h\"\n",
            "c.toml:4:7: mcp.server[0].url",
            "not both",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\nurl = \"http://h\"\nargs = []\n",
            "c.toml:4:8: mcp.server[0].args",
            "for stdio servers",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\ncommand = \"x\"\nargs = [\"ok\", \"${MCP_TEST_SURELY_UNSET}\"]\n",
            "c.toml:4:15: mcp.server[0].args[1]",
            "MCP_TEST_SURELY_UNSET is not set",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\nurl = \"http://h\"\nbearer_token_env = \"ANTHROPIC_API_KEY\"\n",
            "c.toml:4:20: mcp.server[0].bearer_token_env",
            "credentials",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\ncommand = \"x\"\n[[mcp.server]]\nname = \"a\"\ncommand = \"y\"\n",
            "c.toml:5:8: mcp.server[1].name",
            "already named",
        ),
        (
            "[[mcp.server]]\nname = \"a\"\ncommand = \"x\"\ntools = { allow = [], deny = [] }\n",
            "c.toml:4:9: mcp.server[0].tools",
            "not both",
        ),
    ];
    for (text, place, message) in cases {
        let err = parse_str(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(place) && err.contains(message),
            "{text}\n=> {err}"
        );
    }
}
