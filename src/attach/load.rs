//! Loading a file as an [`Attachment`]: where it may come from, what kind it is, and the
//! limits it must meet before anything is sent.
//!
//! A path may end in a line range (`notes.md:10-80`); when a file of that exact name
//! exists it wins. Relative mentions start at the workspace root and obey its rules;
//! relative explicit paths start at [`LoadOptions::cwd`], `~/` at the home directory.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;

use super::limits::{MAX_PDF_PAGES, MAX_REQUEST_BYTES, MAX_TEXT_BYTES, TOKENS_PER_PDF_PAGE};
use super::{
    AttachError, Attachment, AttachmentKind, Confinement, LineRange, LoadOptions, blocks, image,
    limits, pdf, text,
};

/// Loads the file `spec` names (`path` or `path:10-80`) under `options`.
pub fn load(spec: &str, options: &LoadOptions) -> Result<Attachment, AttachError> {
    let (path, range) = split_range(spec, options);
    let (real, name) = locate(&path, options)?;
    let unreadable = |e: std::io::Error| AttachError::Unreadable {
        name: name.clone(),
        reason: e.to_string(),
    };
    let meta = std::fs::metadata(&real).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(AttachError::Directory { name });
    }
    if meta.len() > MAX_REQUEST_BYTES {
        return Err(AttachError::TooLarge {
            name,
            what: "API's request size",
            size: meta.len(),
            limit: MAX_REQUEST_BYTES,
            advice: String::new(),
        });
    }
    let bytes = std::fs::read(&real).map_err(unreadable)?;
    build(name, bytes, range, options)
}

/// Loads bytes that did not come from a named file (`--attach -`: stdin) as `name`.
pub fn load_bytes(
    name: &str,
    bytes: Vec<u8>,
    options: &LoadOptions,
) -> Result<Attachment, AttachError> {
    build(name.to_owned(), bytes, None, options)
}

/// `path:10-80` split in two, unless a file of the whole name exists.
fn split_range(spec: &str, options: &LoadOptions) -> (String, Option<LineRange>) {
    if let Some((path, range)) = spec.rsplit_once(':')
        && let Some(range) = text::parse_range(range)
        && !base_dir(spec, options).join(expand_home(spec)).exists()
    {
        return (path.to_owned(), Some(range));
    }
    (spec.to_owned(), None)
}

fn base_dir(_spec: &str, options: &LoadOptions) -> PathBuf {
    match (options.confinement, &options.workspace) {
        (Confinement::Mention, Some(ws)) => ws.root().to_path_buf(),
        _ => options.cwd.clone(),
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), crate::tools::guard::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// The file's real path and its display name, after the confinement rules.
fn locate(path: &str, options: &LoadOptions) -> Result<(PathBuf, String), AttachError> {
    let not_found = || AttachError::NotFound {
        name: path.to_owned(),
    };
    match (options.confinement, &options.workspace) {
        (Confinement::Mention, None) => Err(AttachError::Confined {
            name: path.to_owned(),
            reason: "there is no workspace root to mention files in".into(),
        }),
        (Confinement::Mention, Some(ws)) => {
            let candidate = ws.root().join(path);
            if std::fs::symlink_metadata(&candidate).is_err() {
                return Err(not_found());
            }
            let real = ws.resolve(path).map_err(|e| AttachError::Confined {
                name: path.to_owned(),
                reason: e.0,
            })?;
            Ok((real.clone(), ws.display(&real)))
        }
        (Confinement::Explicit, ws) => {
            let given = options.cwd.join(expand_home(path));
            let real = std::fs::canonicalize(&given).map_err(|_| not_found())?;
            let name = match ws {
                Some(ws) if real.starts_with(ws.root()) => ws.display(&real),
                _ => path.to_owned(),
            };
            Ok((real, name))
        }
    }
}

/// The attachment for `bytes`: its kind from the magic bytes, then that kind's checks.
fn build(
    name: String,
    bytes: Vec<u8>,
    range: Option<LineRange>,
    options: &LoadOptions,
) -> Result<Attachment, AttachError> {
    let media = image::media_type(&bytes);
    if range.is_some() && (media.is_some() || pdf::is_pdf(&bytes)) {
        return Err(AttachError::Invalid {
            name,
            reason: "a line range applies to text files only".into(),
        });
    }
    if let Some(media_type) = media {
        if !options.capabilities.images {
            return Err(unsupported(name, "image", options));
        }
        let prepared = image::prepare(&name, bytes, media_type)?;
        let kind = AttachmentKind::Image {
            media_type: prepared.media_type.to_owned(),
            width: prepared.width,
            height: prepared.height,
            downscaled_from: prepared.downscaled_from,
        };
        let tokens = limits::image_tokens(prepared.width, prepared.height);
        return Ok(finish(
            name,
            kind,
            &prepared.bytes,
            tokens,
            base64(&prepared.bytes),
        ));
    }
    if pdf::is_pdf(&bytes) {
        return load_pdf(name, &bytes, options);
    }
    load_text(name, &bytes, range)
}

fn load_pdf(name: String, bytes: &[u8], options: &LoadOptions) -> Result<Attachment, AttachError> {
    if !options.capabilities.pdfs {
        return Err(unsupported(name, "PDF", options));
    }
    if pdf::is_encrypted(bytes) {
        return Err(AttachError::Invalid {
            name,
            reason: "the PDF is encrypted or password-protected; the API cannot read it".into(),
        });
    }
    let pages = pdf::pages(bytes);
    if pages > MAX_PDF_PAGES {
        return Err(AttachError::TooManyPages {
            name,
            pages,
            limit: MAX_PDF_PAGES,
        });
    }
    let tokens = u64::from(pages) * TOKENS_PER_PDF_PAGE;
    let kind = AttachmentKind::Pdf { pages };
    Ok(finish(name, kind, bytes, tokens, base64(bytes)))
}

fn load_text(
    name: String,
    bytes: &[u8],
    range: Option<LineRange>,
) -> Result<Attachment, AttachError> {
    let whole = text::as_text(bytes).map_err(|what| AttachError::Binary {
        name: name.clone(),
        what,
    })?;
    let body = match range {
        Some(r) => text::take_lines(&name, whole, r)?,
        None => whole.trim_end_matches('\n').to_owned(),
    };
    if body.len() as u64 > MAX_TEXT_BYTES {
        return Err(AttachError::TooLarge {
            name,
            what: "text attachment",
            size: body.len() as u64,
            limit: MAX_TEXT_BYTES,
            advice: "; mention a line range instead (@path:10-80)".into(),
        });
    }
    let block = text::file_block_text(&name, range, &body);
    let kind = AttachmentKind::Text {
        range,
        lines: body.lines().count(),
    };
    let tokens = limits::text_tokens(&block);
    Ok(finish(name, kind, body.as_bytes(), tokens, block))
}

fn unsupported(name: String, kind: &'static str, options: &LoadOptions) -> AttachError {
    AttachError::Unsupported {
        name,
        kind,
        model: options.model.clone(),
    }
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn finish(
    name: String,
    kind: AttachmentKind,
    sent: &[u8],
    tokens: u64,
    payload: String,
) -> Attachment {
    let mut attachment = Attachment {
        name,
        kind,
        size: sent.len() as u64,
        hash: String::new(),
        tokens,
        payload: Arc::from(payload),
    };
    attachment.hash = blocks::hash_block(&blocks::main_block(&attachment));
    attachment
}
