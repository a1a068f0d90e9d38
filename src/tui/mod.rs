//! Everything that knows about the terminal: the full-screen app.
//!
//! Four folders, from the outside in:
//!
//! - [`run`]: the event loop and the terminal. Signals, terminal events (read on their own
//!   thread), engine updates, `/extract` events and frames in one `select!`; the effects the
//!   app asks for (engine commands, the store, the clipboard, extraction tasks); the frame
//!   scheduler; the terminal's modes, restored on every exit; every way out and the draft
//!   kept on the way.
//! - [`app`]: the state and its updates. [`app::App`] changes only by keys, engine updates,
//!   `/extract` events and the clock, and does no IO; its concerns each have a file
//!   (approvals, tools, money, the store, composing, commands, retry), as do the keymap,
//!   paste chips, the external editor and resuming a stored conversation.
//! - [`widgets`]: what is drawn, through `&App`: the screen's layout and status bar
//!   ([`widgets::view`]), the sidebar, the input box, the command popup, the picker, the
//!   help overlay, and the live JSON panels of tool calls and `/extract`.
//! - [`render`]: text to styled lines: the conversation pane and its cells, markdown as a
//!   whole or streaming, tables, wrapping, syntax colours, and the theme.
//!
//! Dependencies point inwards: `run` drives `app`, `widgets` draw `app`'s state with
//! `render`, and `render` knows nothing of the app.
//!
//! Untrusted text (model, tool, file) reaches the screen only through
//! [`crate::sanitize`].

// The screen is ratatui's while the TUI runs: a stray print would tear it. Output goes
// through the terminal backend, and background failures to the panic log.
#![deny(clippy::print_stdout, clippy::print_stderr)]

#[cfg(test)]
mod accounting_tests;
pub mod app;
pub mod render;
pub mod run;
#[cfg(test)]
mod sanitize_tests;
#[cfg(test)]
pub(crate) mod test_support;
pub mod widgets;
