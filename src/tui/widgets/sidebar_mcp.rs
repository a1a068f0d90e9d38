//! The sidebar's MCP section: each configured server with its state and tool count, a
//! failed server's reason, and which servers came from the workspace's `.mcp.json`, so
//! the person knows what runs on their machine. Left out when no server is configured.

use ratatui::text::Line;

use crate::sanitize::sanitize_line;

use crate::tui::app::App;
use crate::tui::app::mcp::{ServerState, ServerStatus};
use crate::tui::render::theme::Role;

impl App {
    /// The section's lines; `None` without servers.
    pub(in crate::tui) fn mcp_section(&self, width: usize) -> Option<Vec<Line<'static>>> {
        let servers = &self.mcp.servers;
        if servers.is_empty() {
            return None;
        }
        let ready = servers
            .iter()
            .filter(|s| s.state == ServerState::Ready)
            .count();
        let role = if ready == servers.len() {
            Role::Text
        } else {
            Role::Dim
        };
        let value = format!("{ready}/{} ready", servers.len());
        let mut lines = vec![self.heading("MCP servers", Some((value, role)), width)];
        for server in servers {
            let (mark, state, role) = short_state(server);
            let label = format!("{mark} {}", sanitize_line(&server.name));
            lines.push(self.row(&label, state, role, width));
            if let ServerState::Failed { reason } = &server.state {
                lines.push(self.note(&format!("  {}", sanitize_line(reason)), width));
            }
        }
        // What runs because of a file in the workspace, said in the warning colour.
        for (file, names) in self.mcp.imported() {
            let text = format!("from {file}: {}", names.join(", "));
            let text = sanitize_line(&text);
            lines.push(Line::styled(
                crate::tui::render::wrap::truncate(&text, width),
                self.theme.style(Role::Warning),
            ));
        }
        Some(lines)
    }
}

/// A server's mark, state in a word or two, and its role.
fn short_state(server: &ServerStatus) -> (&'static str, String, Role) {
    match &server.state {
        ServerState::Starting => ("◌", "starting".to_owned(), Role::Notice),
        ServerState::Ready => {
            let tools = match server.tools.len() {
                1 => "1 tool".to_owned(),
                n => format!("{n} tools"),
            };
            ("●", tools, Role::Text)
        }
        ServerState::Failed { .. } => ("✗", "failed".to_owned(), Role::Error),
        ServerState::Stopped => ("○", "stopped".to_owned(), Role::Dim),
    }
}

#[cfg(test)]
#[path = "sidebar_mcp_tests.rs"]
mod tests;
