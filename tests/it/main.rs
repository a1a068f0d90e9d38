//! Integration tests: one binary, one module per area. Every network test talks to the
//! local mock server over loopback.

// Test helpers panic on purpose: a failed set-up step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod engine;
mod print_mode;
mod store;
mod streaming;
mod tui_tmux;
