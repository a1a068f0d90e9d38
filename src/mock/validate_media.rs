//! The mock's checks of image and document blocks, as the API makes them: the source's
//! shape, the media type, base64 that decodes, the bytes matching the media type, and the
//! size and dimension limits (see [`crate::attach::limits`]).

use base64::Engine as _;
use serde_json::Value;

use crate::attach::limits::{MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, MAX_PDF_PAGES};

const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// An `image` block at `path`.
pub(super) fn check_image_block(block: &Value, path: &str) -> Result<(), String> {
    let source = source_of(block, path)?;
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {}
        Some("url") => return url_source(source, path),
        _ => {
            return Err(format!(
                "{path}.source.type: Input should be 'base64', 'url' or 'file'"
            ));
        }
    }
    let media_type = source.get("media_type").and_then(Value::as_str);
    let Some(media_type) = media_type.filter(|m| IMAGE_TYPES.contains(m)) else {
        return Err(format!(
            "{path}.source.media_type: Input should be 'image/jpeg', 'image/png', \
             'image/gif' or 'image/webp'"
        ));
    };
    let bytes = decode(source, path)?;
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        return Err(format!(
            "{path}.source.data: image exceeds 5 MB maximum: {} bytes > {MAX_IMAGE_BYTES} bytes",
            bytes.len()
        ));
    }
    let actual = sniff(&bytes);
    if actual != Some(media_type) {
        return Err(format!(
            "{path}.source: the image was specified using the {media_type} media type, but \
             it does not appear to be one ({})",
            actual.unwrap_or("not an image")
        ));
    }
    let (w, h) = crate::attach::image_dimensions(&bytes)
        .map_err(|e| format!("{path}.source.data: could not process image: {e}"))?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(format!(
            "{path}.source.data: image dimensions exceed max allowed size: \
             {MAX_IMAGE_SIDE} pixels"
        ));
    }
    Ok(())
}

/// A `document` block at `path`: a base64 PDF or plain text.
pub(super) fn check_document_block(block: &Value, path: &str) -> Result<(), String> {
    let source = source_of(block, path)?;
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {
            if source.get("media_type").and_then(Value::as_str) != Some("application/pdf") {
                return Err(format!(
                    "{path}.source.media_type: Input should be 'application/pdf'"
                ));
            }
            let bytes = decode(source, path)?;
            if !bytes.starts_with(b"%PDF-") {
                return Err(format!(
                    "{path}.source.data: The PDF specified was not valid."
                ));
            }
            let pages = crate::attach::pdf_pages(&bytes);
            if pages > MAX_PDF_PAGES {
                return Err(format!(
                    "{path}: A maximum of {MAX_PDF_PAGES} PDF pages may be provided."
                ));
            }
            Ok(())
        }
        Some("text") => match source.get("data") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(format!("{path}.source.data: Field required")),
        },
        Some("url") => url_source(source, path),
        _ => Err(format!(
            "{path}.source.type: Input should be 'base64', 'text', 'content', 'url' or 'file'"
        )),
    }
}

fn source_of<'a>(block: &'a Value, path: &str) -> Result<&'a Value, String> {
    block
        .get("source")
        .filter(|s| s.is_object())
        .ok_or_else(|| format!("{path}.source: Field required"))
}

fn url_source(source: &Value, path: &str) -> Result<(), String> {
    match source.get("url").and_then(Value::as_str) {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => Ok(()),
        _ => Err(format!("{path}.source.url: Field required")),
    }
}

fn decode(source: &Value, path: &str) -> Result<Vec<u8>, String> {
    let data = source
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{path}.source.data: Field required"))?;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| format!("{path}.source.data: invalid base64 data"))
}

fn sniff(bytes: &[u8]) -> Option<&'static str> {
    crate::attach::image_media_type(bytes)
}
