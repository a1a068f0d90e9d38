//! Integration tests: one binary, one module per area. Every network test talks to the
//! local mock server over loopback.

// Test helpers panic on purpose: a failed set-up step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod answered;
mod binary;
mod budget_cli;
mod caching;
mod common;
mod context;
mod crash;
mod engine;
mod extract;
mod extract_batches;
mod extract_cli;
mod fake_tools;
mod forgotten;
mod history_cli;
mod layering;
mod layers;
mod ledger;
mod mcp;
mod mcp_binary;
mod mock_bounds;
mod models;
mod print_mode;
mod print_signals;
mod print_tools;
mod processes;
mod raw_http;
mod request_end;
mod retry_honesty;
mod sanitize;
mod secrets;
mod secrets_tools;
mod soak;
mod store;
mod streaming;
mod thinking;
mod tool_example;
mod tool_helpers;
mod tool_preview;
mod tools;
mod torture;
mod tui_tmux;
mod turn_table;
mod web_search;
