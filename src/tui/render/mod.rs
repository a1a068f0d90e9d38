//! Text to styled lines, with no knowledge of the app: the conversation as cells and
//! the pane that lays them out, caches them and scrolls ([`pane`], [`cells`]); markdown
//! rendered whole ([`markdown`]) or while it streams ([`stream`]), with tables in `table`,
//! wrapping in `wrap`, lines into the frame's buffer in `put`, code blocks line by line ([`code`]) with colours from syntect
//! ([`highlight`]); and the styles by
//! role ([`theme`], which honours `NO_COLOR`).

pub mod cells;
pub mod code;
pub mod highlight;
pub mod markdown;
pub mod pane;
pub(in crate::tui) mod put;
pub mod stream;
pub(in crate::tui) mod table;
pub mod theme;
pub(in crate::tui) mod wrap;
