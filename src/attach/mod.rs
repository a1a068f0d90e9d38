//! Attachments: files, images and PDFs sent with a user message, and the material around
//! them (mentions, the workspace file index, project instructions).
//!
//! The model: an [`Attachment`] is a file read once, checked against the API's limits
//! and the model's capabilities, and turned into the content blocks the API takes. It is
//! immutable and carries everything needed to send it again byte for byte:
//!
//! - text files become one text block `<file path="src/main.rs" lines="10-80">…</file>`
//!   (the line range only for `@path:10-80`);
//! - PNG, JPEG, GIF and WebP become a one-line caption text block `<file path="…"/>` (so
//!   the model can name the file) followed by a base64 `image` block; images over the
//!   recommended size are downscaled (see [`limits`]);
//! - PDFs become a base64 `document` block titled with the file's name;
//! - any other binary is refused by name ([`AttachError::Binary`]).
//!
//! How a front end uses it:
//!
//! 0. Once, from config: [`workspace_for`] (the tools' root and secret-directory guard),
//!    `LoadOptions::explicit(workspace).for_model(&catalog, model)`, the file index
//!    [`FileIndex::spawn`] over that workspace, and [`project_instructions`] (the same
//!    value the binary gives `Engine::with_project_instructions`; its `label()`,
//!    `tokens()` and `text()` are for the sidebar and `/instructions`).
//! 1. [`load`] a path with [`LoadOptions`]: [`Confinement::Mention`] applies the tools'
//!    workspace rules (inside the root, not in a secret directory), [`Confinement::Explicit`]
//!    (`/attach`, `--attach`) takes any readable file; [`load_bytes`] takes stdin.
//! 2. Show the chip: [`Attachment::name`], [`Attachment::size`], [`Attachment::tokens`]
//!    (images by dimensions `w*h/750`, PDFs by pages, text by a local count).
//! 3. Send: [`mentions`] finds `@path` and `@path:10-80` in typed text; [`resolve_mentions`]
//!    loads those that name files (an `@` that names no file stays text). The front end
//!    sends `engine::Command::SendAttached { text, attachments }`; the engine builds the user
//!    message with [`user_message`] (attachments first, then the typed text), checks
//!    [`limits::check_request`] and stores it. The text stays in the message as typed.
//!    [`limits::check_attachments`] lets a front end refuse early (keeping the input).
//! 4. Show a stored or live user message's attachments: [`in_message`] reads them back
//!    from the blocks ([`AttachmentInfo`]), and [`typed_text`] is the message without them.
//!
//! The store keeps each attachment block once by [`Attachment::hash`] (the SHA-256 of the
//! block's JSON), so a resumed conversation sends exactly the bytes it sent before.
//!
//! The workspace file index ([`index::FileIndex`]) walks the root once in the background
//! (respecting `.gitignore`) and filters paths fuzzily for `@`-completion.
//! [`instructions`] finds `AGENTS.md` / `CLAUDE.md` for the system prompt.

mod blocks;
mod error;
pub mod fuzzy;
mod image;
pub mod index;
pub mod instructions;
pub mod limits;
mod load;
mod mention;
mod pdf;
mod setup;
#[doc(hidden)]
pub mod test_files;
mod text;

use std::path::PathBuf;
use std::sync::Arc;

pub use blocks::{
    AttachmentInfo, estimate_block, hash_block, in_message, is_attachment_text, is_content_block,
    typed_text, user_message,
};
pub use error::AttachError;
pub use fuzzy::Match;
pub use index::{FileIndex, FileIndexHandle};
pub use instructions::ProjectInstructions;
pub use load::{load, load_bytes};
pub use mention::{Mention, mentions, resolve_mentions};
pub use setup::{project_instructions, workspace_for};

use crate::api::ContentBlock;
use crate::tools::workspace::Workspace;

/// What kind of file an attachment is, with the facts its chip and estimate need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentKind {
    /// UTF-8 text; `range` when only some lines were taken (`@path:10-80`).
    Text {
        range: Option<LineRange>,
        lines: usize,
    },
    /// An image as sent: its media type and dimensions, and the original dimensions when
    /// it was downscaled to fit.
    Image {
        media_type: String,
        width: u32,
        height: u32,
        downscaled_from: Option<(u32, u32)>,
    },
    /// A PDF document and its page count.
    Pdf { pages: u32 },
}

impl AttachmentKind {
    /// A short word for chips and errors: "text", "image", "PDF".
    pub fn label(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Pdf { .. } => "PDF",
        }
    }
}

/// Lines `start..=end`, 1-based; `end` `None` for "to the end of the file".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRange {
    pub start: usize,
    pub end: Option<usize>,
}

impl std::fmt::Display for LineRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(end) => write!(f, "{}-{end}", self.start),
            None => write!(f, "{}-", self.start),
        }
    }
}

/// A file ready to send. Cheap to clone (the payload is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// How the file is named to the user and the model: relative to the workspace root
    /// when inside it, else as given; "stdin" for `-`.
    pub name: String,
    pub kind: AttachmentKind,
    /// Bytes sent (after a line range or a downscale), before base64.
    pub size: u64,
    /// The SHA-256 (hex) of the attachment's blocks as JSON: the store's key.
    pub hash: String,
    /// Estimated input tokens.
    pub tokens: u64,
    /// The text (with its header) or the base64 data.
    payload: Arc<str>,
}

impl Attachment {
    /// The API content blocks this attachment is sent as (see the module docs).
    pub fn to_blocks(&self) -> Vec<ContentBlock> {
        blocks::to_blocks(self)
    }

    /// The chip's text: `▣ screenshot.png · 412 KB · ≈ 1,600 tokens` (the name is the
    /// caller's to sanitise; names come from the file system).
    pub fn chip(&self) -> String {
        format!(
            "▣ {} · {} · ≈ {} tokens",
            self.name,
            human_size(self.size),
            grouped(self.tokens)
        )
    }
}

/// Which rules a path obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confinement {
    /// An `@path` in typed text: the tools' workspace rules (inside the root, no `..`,
    /// symlinks resolved, not in a secret directory).
    Mention,
    /// `/attach`, `--attach`, a pasted path: any readable file.
    Explicit,
}

/// What the model can take, from the catalog (`image_input`, `pdf_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub images: bool,
    pub pdfs: bool,
}

impl Capabilities {
    /// Both; what every current Claude model takes.
    pub const ALL: Capabilities = Capabilities {
        images: true,
        pdfs: true,
    };

    /// The model's capabilities from the catalog; a model the catalog says nothing about
    /// (discovery off, an unknown id) is taken to support both, as every Claude model
    /// since the 3 family does.
    pub fn for_model(catalog: &crate::api::catalog::Catalog, model: &str) -> Capabilities {
        let entry = catalog.get(model);
        let says = |path: &str| entry.and_then(|e| e.supports(path)).unwrap_or(true);
        Capabilities {
            images: says("image_input"),
            pdfs: says("pdf_input"),
        }
    }
}

/// How to load: the confinement, the workspace (for mentions and for naming files
/// relative to it), and what the model takes.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub confinement: Confinement,
    /// The workspace root and its guard; `None`: mentions are refused, explicit paths are
    /// named as given.
    pub workspace: Option<Workspace>,
    pub capabilities: Capabilities,
    /// The model the capabilities are for, named when a kind is refused.
    pub model: String,
    /// Where relative explicit paths start (the current directory).
    pub cwd: PathBuf,
}

impl LoadOptions {
    /// Explicit paths from the current directory, a model that takes everything.
    pub fn explicit(workspace: Option<Workspace>) -> LoadOptions {
        LoadOptions {
            confinement: Confinement::Explicit,
            workspace,
            capabilities: Capabilities::ALL,
            model: String::new(),
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }

    /// The same options for `model`, with its capabilities from `catalog`.
    pub fn for_model(self, catalog: &crate::api::catalog::Catalog, model: &str) -> LoadOptions {
        LoadOptions {
            capabilities: Capabilities::for_model(catalog, model),
            model: model.to_owned(),
            ..self
        }
    }

    /// The same options for `@` mentions.
    pub fn mention(&self) -> LoadOptions {
        LoadOptions {
            confinement: Confinement::Mention,
            ..self.clone()
        }
    }
}

/// The dimensions in an image's header (the mock checks them as the API does).
pub fn image_dimensions(bytes: &[u8]) -> Result<(u32, u32), String> {
    image::dimensions(bytes)
}

/// The media type of an image the API takes, from its magic bytes.
pub fn image_media_type(bytes: &[u8]) -> Option<&'static str> {
    image::media_type(bytes)
}

/// A PDF's page count, at least 1 (see `pdf.rs` for how it is read).
pub fn pdf_pages(bytes: &[u8]) -> u32 {
    pdf::pages(bytes)
}

/// `412 KB`, `3.1 MB`, `900 B`: decimal units, as the API's limits are written.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1_000)),
        b => format!("{:.1} MB", b as f64 / 1_000_000.0),
    }
}

/// `1,600`: thousands separated, for token counts.
pub fn grouped(n: u64) -> String {
    crate::cost::group(n)
}

#[cfg(test)]
mod index_tests;
#[cfg(test)]
mod tests;
