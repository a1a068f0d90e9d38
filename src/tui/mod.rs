//! Everything that knows about the terminal: the full-screen app.
//!
//! Layers, from the outside in:
//!
//! - [`run`]: the event loop (signals, terminal events read on their own thread by
//!   `terminal_input.rs`, engine updates, frames) and the effects it carries out;
//!   [`ending`] is the way out (the draft kept in `draft.rs`, the running turn ended);
//!   [`terminal`] owns the terminal's modes and restores them on every exit.
//! - [`app`]: all state, changed only by keys, engine updates (`app_updates.rs`, tool
//!   calls in `app_tools.rs`, approvals and permission modes in `app_approval.rs`) and
//!   the clock; it does no IO. Sending and slash commands are `app_send.rs`; the queue,
//!   paste chips ([`paste`]) and the external editor ([`editor`]) `app_compose.rs`. Money (session accounting,
//!   budget, alerts) is [`app_cost`] and `cost_prompt.rs` (the over-budget confirmation).
//!   Drawing is `view.rs` (layout, status bar, help) and `sidebar.rs` with
//!   `sidebar_sections.rs`, through `&self`.
//! - Components: [`pane`] (the conversation: cells, render cache, scrolling) with
//!   [`cells`], [`tool_panel`] (a tool call's live panel; its input drawn by
//!   [`json_view`]), [`input`] (the input box and sent history), [`commands`] (slash
//!   commands and their popup), [`picker`] (the conversation picker; its app side, with
//!   message editing and branching, is `app_store.rs`, and `resume.rs` turns stored
//!   messages back into cells), [`extract_panel`] (an `/extract` run's live JSON; the
//!   mode and its events in `app_extract.rs`, the schema and the task in [`extract_task`]).
//! - Foundations: [`frame`] (the coalescing 60 fps frame scheduler), [`keymap`] (keys to
//!   actions, with `[keys]` overrides), [`theme`] (styles by role; NO_COLOR), [`markdown`]
//!   and [`stream`] (markdown to wrapped lines, as a whole or while streaming; tables in
//!   `table`, wrapping in `wrap`, code colours in [`highlight`]), [`clipboard`] (OSC 52).
//!
//! Untrusted text (model, tool, file) reaches the screen only through
//! [`crate::sanitize`].

pub mod app;
mod app_approval;
mod app_commands;
mod app_compose;
pub mod app_cost;
mod app_extract;
mod app_retry;
mod app_send;
mod app_store;
mod app_tools;
mod app_updates;
pub mod ask;
pub mod cells;
pub mod clipboard;
pub mod commands;
mod cost_prompt;
mod draft;
pub mod editor;
pub mod ending;
pub mod extract_panel;
pub mod extract_task;
pub mod frame;
mod help;
pub mod highlight;
pub mod input;
pub mod json_view;
pub mod keymap;
pub mod markdown;
pub mod pane;
pub mod paste;
pub mod picker;
mod resume;
pub mod run;
pub mod run_store;
#[cfg(test)]
mod sanitize_tests;
mod sidebar;
mod sidebar_sections;
pub mod stream;
mod table;
pub mod terminal;
mod terminal_input;
#[cfg(test)]
pub(crate) mod test_support;
pub mod theme;
pub mod tool_panel;
mod tool_preview;
mod view;
mod wrap;
