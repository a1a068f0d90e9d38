//! Why a file cannot be attached: every variant names the file and, where there is one,
//! the limit and what to do instead.

use super::human_size;

/// A refused attachment. The text is for the user: it names the file and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// Nothing at that path (an `@word` that names no file stays text).
    #[error("{name}: no such file")]
    NotFound { name: String },
    #[error("{name}: {reason}")]
    Unreadable { name: String, reason: String },
    /// A mention outside the workspace, in a secret directory, through `..`, ...
    #[error("{name}: {reason}")]
    Confined { name: String, reason: String },
    #[error("{name}: a directory cannot be attached (mention the files in it)")]
    Directory { name: String },
    #[error(
        "{name}: a binary file ({what}) cannot be attached; only text, PNG, JPEG, GIF, WebP and PDF can"
    )]
    Binary { name: String, what: String },
    #[error("{name}: the model {model} does not take {kind} input")]
    Unsupported {
        name: String,
        kind: &'static str,
        model: String,
    },
    #[error("{name}: {} is over the {what} limit of {}{advice}", human_size(*size), human_size(*limit))]
    TooLarge {
        name: String,
        what: &'static str,
        size: u64,
        limit: u64,
        advice: String,
    },
    #[error("{name}: {width}x{height} pixels is over the API's limit of {limit}x{limit}{advice}")]
    TooManyPixels {
        name: String,
        width: u32,
        height: u32,
        limit: u32,
        advice: String,
    },
    #[error(
        "{name}: {pages} pages is over the API's limit of {limit} pages per PDF; split it (e.g. `qpdf --split-pages`)"
    )]
    TooManyPages {
        name: String,
        pages: u32,
        limit: u32,
    },
    #[error("{name}: lines {range} are not in the file ({lines} lines)")]
    BadRange {
        name: String,
        range: String,
        lines: usize,
    },
    #[error("{name}: {reason}")]
    Invalid { name: String, reason: String },
    /// The whole request would be over the API's 32 MB.
    #[error("the attachments come to {} with the conversation, over the API's {} request limit; attach fewer or smaller files", human_size(*size), human_size(*limit))]
    RequestTooLarge { size: u64, limit: u64 },
    /// More images than one request may carry.
    #[error("{count} images in one request is over the API's limit of {limit}")]
    TooManyImages { count: usize, limit: usize },
}
