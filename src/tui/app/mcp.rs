//! MCP servers as the app shows them: their states for the sidebar, `/mcp` and
//! `/mcp restart NAME`, what their calls add to tool panels, and their prompts as `/`
//! commands (`app/mcp_prompts.rs`).
//!
//! The model: [`McpServers`] holds the library's last report of every configured server
//! (its state, tools and prompts, and whether it came from the workspace's `.mcp.json`),
//! replaced whole whenever any changes ([`App::set_mcp_servers`]). Servers start in the background, so the first frame shows them
//! starting and each report arrives as an event of the loop. The app does no IO here
//! either: a restart or a prompt to render is an [`Effect`] the event loop carries out.
//!
//! A server that fails or stops while one of its calls is open marks that call's panel
//! "server went away" at once: the engine's error result for the call may come later (or
//! never, when the turn is interrupted meanwhile), and the person should see why the call
//! stopped as it happens.

use tokio::time::Instant;

pub use crate::mcp::{PromptArgument, PromptInfo, ServerState, ServerStatus, Source, ToolInfo};
use crate::tools::ToolProgress;

use crate::tui::app::{App, Effect};
use crate::tui::render::cells::{CellKind, NoticeKind};
use crate::tui::widgets::mcp_panel::McpCall;

/// Whether a call on this server can no longer finish.
fn is_down(server: &ServerStatus) -> bool {
    matches!(
        server.state,
        ServerState::Failed { .. } | ServerState::Stopped
    )
}

/// Why it is down, for a panel: the failure's reason, or "stopped".
fn down_reason(server: &ServerStatus) -> String {
    match &server.state {
        ServerState::Failed { reason } => reason.clone(),
        _ => "stopped".to_owned(),
    }
}

/// The file a server was imported from (the workspace's `.mcp.json`), when not
/// chatterm's own config: shown, so the person knows what runs.
pub(in crate::tui) fn imported_from(server: &ServerStatus) -> Option<String> {
    match &server.source {
        Source::Imported(path) => Some(short_path(path)),
        Source::Config(_) => None,
    }
}

/// A path as the sidebar shows it: `.mcp.json`, or another file with its folder
/// (`Claude/claude_desktop_config.json`).
fn short_path(path: &std::path::Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_else(|| path.display().to_string());
    let folder = path.parent().and_then(|d| d.file_name());
    match folder {
        Some(folder) if name != ".mcp.json" => format!("{}/{name}", folder.to_string_lossy()),
        _ => name,
    }
}

/// The configured servers, in their configured order. See the module docs.
#[derive(Debug, Default)]
pub(in crate::tui) struct McpServers {
    pub servers: Vec<ServerStatus>,
}

impl McpServers {
    pub fn get(&self, name: &str) -> Option<&ServerStatus> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// The server and tool behind an API tool name, from the servers' lists.
    pub fn tool_by_api_name(&self, api_name: &str) -> Option<(&ServerStatus, &ToolInfo)> {
        self.servers.iter().find_map(|s| {
            let tool = s.tools.iter().find(|t| t.api_name == api_name)?;
            Some((s, tool))
        })
    }

    /// The files servers were imported from, each once, with the servers each gave.
    pub fn imported(&self) -> Vec<(String, Vec<&str>)> {
        let mut files: Vec<(String, Vec<&str>)> = Vec::new();
        for server in &self.servers {
            let Some(file) = imported_from(server) else {
                continue;
            };
            match files.iter_mut().find(|(f, _)| *f == file) {
                Some((_, names)) => names.push(&server.name),
                None => files.push((file, vec![&server.name])),
            }
        }
        files
    }
}

impl App {
    /// Every server's status, as the library reports them after any change. A server
    /// that went down takes its open calls with it.
    pub fn set_mcp_servers(&mut self, servers: Vec<ServerStatus>) {
        for server in servers.iter().filter(|s| is_down(s)) {
            self.mcp_calls_gone(&server.name, &down_reason(server));
        }
        self.mcp.servers = servers;
        self.name_mcp_panels();
        self.sync_popup();
    }

    /// Marks the open panels of `server`'s calls "server went away" (closed ones ignore
    /// it: see `McpCall::status`).
    fn mcp_calls_gone(&mut self, server: &str, reason: &str) {
        let ours = |k: &CellKind| matches!(k, CellKind::Tool(p) if p.mcp.as_ref().is_some_and(|m| m.server == server));
        for cell in self.conversation.ids_where(ours) {
            if let Some(c) = self.conversation.cell_mut(cell)
                && let CellKind::Tool(panel) = &mut c.kind
                && crate::tui::widgets::mcp_panel::is_open(panel.state())
                && let Some(mcp) = &mut panel.mcp
                && mcp.gone().is_none()
            {
                mcp.server_gone(reason);
            }
        }
    }

    /// Names the MCP panels by the servers' lists, which know better than the API name
    /// (a sanitised server name may itself contain `__`).
    fn name_mcp_panels(&mut self) {
        let mut renamed = Vec::new();
        for cell in self.conversation.cells() {
            let CellKind::Tool(panel) = &cell.kind else {
                continue;
            };
            let Some((server, tool)) = self.mcp.tool_by_api_name(panel.name()) else {
                continue;
            };
            let named = |m: &McpCall| m.server == server.name && m.tool == tool.name;
            if !panel.mcp.as_ref().is_some_and(named) {
                renamed.push((cell.id, server.name.clone(), tool.name.clone()));
            }
        }
        for (cell, server, tool) in renamed {
            if let Some(c) = self.conversation.cell_mut(cell)
                && let CellKind::Tool(panel) = &mut c.kind
            {
                panel.mcp = Some(McpCall::named(&server, &tool));
            }
        }
    }

    /// The MCP side of a new panel for a call of `api_name`, when the servers' lists know
    /// the tool (else the panel splits the name itself).
    pub(in crate::tui) fn mcp_call_for(&self, api_name: &str) -> Option<McpCall> {
        let (server, tool) = self.mcp.tool_by_api_name(api_name)?;
        Some(McpCall::named(&server.name, &tool.name))
    }

    /// A tool's name for one line of text, sanitised: `fs · read_file` for an MCP tool.
    pub(in crate::tui) fn tool_display_name(&self, api_name: &str) -> String {
        match self
            .mcp_call_for(api_name)
            .or_else(|| McpCall::from_api_name(api_name))
        {
            Some(call) => call.title(),
            None => crate::sanitize::sanitize_line(api_name).into_owned(),
        }
    }

    /// A progress notification for call `id`.
    pub(in crate::tui) fn mcp_progress(&mut self, id: &str, progress: ToolProgress) {
        let Some(cell) = self.tool_cell(id) else {
            return;
        };
        if let Some(c) = self.conversation.cell_mut(cell)
            && let CellKind::Tool(panel) = &mut c.kind
            && let Some(mcp) = &mut panel.mcp
        {
            mcp.set_progress(progress);
        }
    }

    /// `/mcp`: every server with its state, tools and prompts, as a notice.
    pub(in crate::tui) fn show_mcp(&mut self) {
        let text = mcp_listing(&self.mcp);
        self.notice(NoticeKind::Info, text);
        self.conversation.scroll_to_bottom();
    }

    /// `/mcp restart NAME`: the event loop restarts it; its new states arrive as reports.
    /// What `/mcp restart ` completes: each configured server's name and state.
    pub(in crate::tui) fn mcp_restart_offers(&self) -> Vec<(String, String)> {
        (self.mcp.servers.iter())
            .map(|s| (s.name.clone(), state_text(s)))
            .collect()
    }

    pub(in crate::tui) fn restart_mcp(&mut self, name: &str, now: Instant) {
        let Some(server) = self.mcp.get(name) else {
            let known: Vec<&str> = self.mcp.servers.iter().map(|s| s.name.as_str()).collect();
            let text = match known.as_slice() {
                [] => "no MCP servers are configured".to_owned(),
                names => format!("no MCP server {name}: {} are", names.join(", ")),
            };
            self.flash(crate::sanitize::sanitize_line(&text), now);
            return;
        };
        let name = server.name.clone();
        let shown = crate::sanitize::sanitize_line(&name).into_owned();
        self.flash(format!("restarting {shown}…"), now);
        self.effect(Effect::McpRestart(name));
    }
}

/// The `/mcp` listing: a line per server, then its tools and prompts. (The notice
/// sanitises every line.)
pub(in crate::tui) fn mcp_listing(servers: &McpServers) -> String {
    if servers.servers.is_empty() {
        return "no MCP servers configured: add [[mcp.server]] to the config, or an .mcp.json \
                in the workspace root"
            .to_owned();
    }
    let mut out = String::from("MCP servers");
    for server in &servers.servers {
        // Marks, not indentation, show what belongs to which server: a notice's lines
        // start flush left.
        out.push_str(&format!("\n● {} · {}", server.name, state_text(server)));
        if let Some(file) = imported_from(server) {
            out.push_str(&format!(" · from {file}"));
        }
        if matches!(server.state, ServerState::Failed { .. }) {
            for line in server.stderr_tail.iter().rev().take(3).rev() {
                out.push_str(&format!("\n  stderr: {line}"));
            }
        }
        for tool in &server.tools {
            out.push_str(&format!("\n  – {} ({})", tool.name, tool.api_name));
            let first = tool.description.lines().next().unwrap_or_default().trim();
            if !first.is_empty() {
                out.push_str(&format!(
                    ": {}",
                    crate::tui::render::wrap::truncate(first, 60)
                ));
            }
        }
        for prompt in &server.prompts {
            out.push_str(&format!("\n  – /{}:{}", server.name, prompt.name));
            for arg in &prompt.arguments {
                out.push_str(&format!(" {}", arg_label(arg)));
            }
        }
    }
    out.push_str("\n/mcp restart NAME restarts one");
    out
}

/// `FILE` for a required argument, `[FOCUS]` for an optional one.
pub(in crate::tui) fn arg_label(arg: &PromptArgument) -> String {
    let name = arg.name.to_uppercase();
    if arg.required {
        name
    } else {
        format!("[{name}]")
    }
}

/// `ready · 3 tools`, `starting`, `failed: reason`, `stopped`.
pub(in crate::tui) fn state_text(server: &ServerStatus) -> String {
    match &server.state {
        ServerState::Starting => "starting".to_owned(),
        ServerState::Ready => match server.tools.len() {
            1 => "ready · 1 tool".to_owned(),
            n => format!("ready · {n} tools"),
        },
        ServerState::Failed { reason } => format!("failed: {reason}"),
        ServerState::Stopped => "stopped".to_owned(),
    }
}

#[cfg(test)]
#[path = "mcp_tests.rs"]
pub(crate) mod tests;
