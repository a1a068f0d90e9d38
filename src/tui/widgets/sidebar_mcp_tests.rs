//! Snapshots of the sidebar's MCP section: servers in every state, the one imported from
//! the workspace's `.mcp.json` said so; and no section without servers.

use super::*;
use crate::tui::app::mcp::tests::{failed, imported, server};
use crate::tui::test_support::*;

/// Tall enough for every section, and so short that MCP is kept over the session's.
const SIZES: [(u16, u16); 2] = [(100, 30), (100, 20)];

fn servers() -> Vec<ServerStatus> {
    vec![
        imported(
            "files",
            ServerState::Ready,
            &["read_file", "list", "search"],
        ),
        server("memory", ServerState::Starting, &[]),
        server("github", failed("spawn failed: npx: not found"), &[]),
        server("db", ServerState::Stopped, &[]),
    ]
}

#[test]
fn mcp_servers_in_the_sidebar() {
    for ((_, h), (_, terminal)) in SIZES
        .iter()
        .zip(drawn_at(&SIZES, |app| app.set_mcp_servers(servers())))
    {
        insta::assert_snapshot!(format!("sidebar_mcp_{h}_rows"), terminal.backend());
    }
}

#[test]
fn no_servers_no_section_and_hostile_names_are_cleaned() {
    let mut app = app();
    assert!(!screen(&mut app, 100, 30).contains("MCP servers"));
    let evil = server(
        "ev\u{1b}[2Jil",
        failed("bad \u{1b}]52;c;aGk=\u{7} news"),
        &[],
    );
    app.set_mcp_servers(vec![evil]);
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("MCP servers"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
}
