//! Integration tests: one binary, one module per area. Every network test talks to the
//! local mock server over loopback.

mod common;
mod engine;
mod print_mode;
mod streaming;
