//! chatterm: a terminal chat client for the Anthropic Messages API.
//!
//! This library is the core and both front ends; the binary (`src/main.rs`) parses the
//! command line and picks one. The map, bottom up:
//!
//! - [`api`]: the wire. Serde types, the SSE decoder, typed stream events, the HTTP client,
//!   typed errors and the retry policy.
//! - [`stream`]: folds stream events into a final message, with live updates; the
//!   incremental partial-JSON parser for tool inputs.
//! - [`domain`]: the types shared below `config`: the model tier, the approval policy.
//! - [`config`]: layered configuration (embedded defaults, file, env, flags) and model tiers.
//! - [`cost`]: prices and usage-to-money.
//! - [`engine`]: one conversation turn: request building, retries, timeouts, fallback
//!   between tiers and cancellation, reported as a stream of [`engine::Update`]s.
//! - [`extract`]: structured outputs: JSON that matches a schema (native JSON output or
//!   a forced tool), validated locally, retried once with the errors, batches.
//! - [`mcp`]: MCP servers as tool sources (rmcp client): config, lifecycle, calls, prompts.
//! - [`mock`]: a local Anthropic-compatible server for tests and the offline demo.
//! - [`panic_log`]: where background panics go while the full screen is up.
//! - [`print`]: the non-interactive front end (`chatterm -p`).
//! - [`store`]: SQLite persistence of conversations, messages, tool results and usage.
//! - [`sanitize`]: the one gate untrusted text passes before it reaches a terminal.
//! - [`tools`]: the tools the model can call: specs, schema validation, execution.
//! - [`tui`]: the full-screen front end (ratatui). A library module so the benches drive
//!   the shipped code rather than a copy.
//!
//! Dependency rule: only [`tui`] and `main.rs` use a terminal UI crate (ratatui, crossterm,
//! ratatui-textarea, syntect); everything else is UI-free. `tests/it/layering.rs` enforces it.

pub mod api;
pub mod config;
pub mod cost;
pub mod domain;
pub mod engine;
pub mod extract;
pub mod mcp;
pub mod mock;
pub mod panic_log;
pub mod print;
pub mod sanitize;
pub mod store;
pub mod stream;
pub mod tools;
pub mod tui;
