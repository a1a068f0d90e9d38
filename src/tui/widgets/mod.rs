//! What is drawn on screen, read from the app through `&self`: the layout and status bar
//! (`view`), the sidebar (`sidebar`, `sidebar_sections`, `sidebar_mcp`), the input box and its sent
//! history ([`input`]), the slash commands and their popup ([`commands`]), the `@`-mention
//! popup ([`mention`]), the attachment chips above the input ([`chips`]), the
//! conversation picker ([`picker`]), the help overlay (`help`), a tool call's live panel
//! ([`tool_panel`], its JSON drawn by [`json_view`]; the approval preview in
//! `tool_preview`; what an MCP call adds in [`mcp_panel`]; sizes and durations in `units`) and an `/extract` run's live JSON
//! ([`extract_panel`]).
//!
//! Widgets own their drawing state (scroll, selection, caches); the keys that change it
//! arrive through the app.

pub mod chips;
pub mod commands;
pub mod extract_panel;
pub(in crate::tui) mod help;
pub mod input;
pub mod json_view;
pub mod mcp_panel;
pub mod mention;
pub mod picker;
pub(in crate::tui) mod sidebar;
pub(in crate::tui) mod sidebar_mcp;
pub(in crate::tui) mod sidebar_sections;
pub(in crate::tui) mod sidebar_thinking;
pub mod tool_panel;
pub(in crate::tui) mod tool_preview;
pub(in crate::tui) mod units;
pub(in crate::tui) mod view;
