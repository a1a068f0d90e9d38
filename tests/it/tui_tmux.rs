//! The real-terminal tests: the built binary in a tmux pane, keys sent with `send-keys`, the
//! screen read with `capture-pane`, answers from the in-process mock server.
//!
//! Each [`harness::Tmux`] is a private tmux server: its own socket directory (`TMUX_TMPDIR` in a
//! temp dir) and socket name, a config of its own (no user config is read), one session of
//! a fixed size, and an environment where HOME, the XDG directories and `CHATTERM_CONFIG`
//! point into the temp dir and no real API key or tmux variable leaks in. tmux copies the
//! starting process's environment into the server, which is how the pane gets it. The
//! server is killed on drop, also when a test fails.
//!
//! Panes stay open after their command exits (`remain-on-exit`), so a test can read the
//! screen the user would be left with, and the exit status.
//!
//! When `tmux` is not installed the tests print why and pass; `.ci/run` installs it.
//! The runtime is multi-threaded because the helpers block (sleep, run tmux) while the mock
//! server must keep answering on the runtime's workers.
//!
//! `harness.rs` holds the tmux driver and [`harness::Chat`], the set-up every TUI scenario
//! shares (mock server, config file, the binary started between markers, the alternate
//! screen up); `scenarios.rs` holds the tests, `keys.rs` those of the chat screen's keys,
//! `sanitize.rs` the output gate's (every byte written to the terminal, recorded with
//! `pipe-pane`), `retry_wait.rs` the `/retry` countdown, `torture.rs` the kills while a
//! call awaits approval, `hangup.rs` closes the terminal (kills the tmux server) under
//! chatterm in each state, `home_root.rs` the notice for a workspace root at home,
//! `store_prompt.rs` the one-key question about a damaged store, `batch_prompt.rs` the
//! one-key question when Ctrl+C stops a running Message Batch, `web.rs` web search and
//! the draft's counted cost, `thinking.rs` Alt+T and live thinking in the demo, `attach.rs`
//! an `@` mention completed and sent, `/attach` and a pasted path, each ending as chips and
//! blocks, `mcp.rs` an MCP server from the workspace's `.mcp.json` shown, called,
//! interrupted and killed.

mod attach;
mod batch_prompt;
mod hangup;
mod harness;
mod home_root;
mod keys;
// It finds the server's process through /proc.
#[cfg(target_os = "linux")]
mod mcp;
mod retry_wait;
mod sanitize;
mod scenarios;
mod store_prompt;
mod thinking;
#[cfg(unix)]
mod torture;
mod web;
