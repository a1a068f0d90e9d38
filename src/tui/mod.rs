//! Everything that knows about the terminal. So far: the foundation pieces the app loop is
//! built on, each pure and tested on its own:
//!
//! - [`frame`]: the coalescing, 60 fps-capped frame scheduler.
//! - [`keymap`]: key chords to [`keymap::Action`]s, defaults plus `[keys]` overrides.
//! - [`theme`]: styles by role, loaded from embedded or user TOML themes; NO_COLOR.
//! - [`markdown`]: markdown to wrapped, styled lines (tables in `table`, wrapping in
//!   `wrap`); [`stream`] renders a message while it streams;
//!   [`highlight`] colours fenced code with syntect, loaded lazily.
//!
//! Untrusted text (model, tool, file) reaches these modules' output only through
//! [`chatterm::sanitize`].

// The app loop that uses these modules is the next step of the TUI issue; until then most
// items are only reached from tests.
#![allow(dead_code)]

pub mod commands;
pub mod frame;
pub mod highlight;
pub mod input;
pub mod keymap;
pub mod markdown;
pub mod stream;
mod table;
pub mod theme;
mod wrap;
