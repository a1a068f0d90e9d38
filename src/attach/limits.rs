//! The API's limits on attachments, checked before anything is sent.
//!
//! From the Messages API's documentation on vision and PDF support:
//! - an image may be at most 5 MB (as sent, before base64) and 8000x8000 pixels; images
//!   whose long edge is over 1568 pixels (or over about 1.15 megapixels) are downscaled by
//!   the API anyway, so chatterm downscales them itself first: fewer bytes and tokens for
//!   the same result. A request may carry at most 100 images;
//! - a PDF may have at most 100 pages and, like the whole request, 32 MB;
//! - a request may be at most 32 MB.
//!
//! Estimates: an image costs about `width * height / 750` tokens; a PDF page about 1,500
//! to 3,000 tokens of text plus an image of the page, counted here as
//! [`TOKENS_PER_PDF_PAGE`]; text one token per four characters.

use crate::api::{ContentBlock, MessagesRequest};

use super::AttachError;

/// Largest image, in bytes before base64.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// Largest image side the API accepts.
pub const MAX_IMAGE_SIDE: u32 = 8000;
/// The long edge past which the API downscales (and chatterm does first).
pub const RECOMMENDED_IMAGE_SIDE: u32 = 1568;
/// The area past which the API downscales: about 1.15 megapixels.
pub const RECOMMENDED_IMAGE_PIXELS: u64 = 1_150_000;
/// Most images in one request.
pub const MAX_IMAGES_PER_REQUEST: usize = 100;
/// Most pages of one PDF.
pub const MAX_PDF_PAGES: u32 = 100;
/// Largest request body, and so largest PDF.
pub const MAX_REQUEST_BYTES: u64 = 32 * 1024 * 1024;
/// A text file larger than this is refused: it would not fit any context window.
pub const MAX_TEXT_BYTES: u64 = 4 * 1024 * 1024;
/// The estimate per PDF page (text and the page's image).
pub const TOKENS_PER_PDF_PAGE: u64 = 2_000;

/// Estimated tokens of an image of these dimensions.
pub fn image_tokens(width: u32, height: u32) -> u64 {
    (u64::from(width) * u64::from(height)).div_ceil(750).max(1)
}

/// Estimated tokens of text.
pub fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// Checks attachments about to be sent together against the request limits (their
/// base64 alone, before the conversation is added: the engine checks the whole request).
pub fn check_attachments(attachments: &[super::Attachment]) -> Result<(), AttachError> {
    let images = attachments
        .iter()
        .filter(|a| matches!(a.kind, super::AttachmentKind::Image { .. }))
        .count();
    if images > MAX_IMAGES_PER_REQUEST {
        return Err(AttachError::TooManyImages {
            count: images,
            limit: MAX_IMAGES_PER_REQUEST,
        });
    }
    let size: u64 = attachments.iter().map(|a| a.payload.len() as u64).sum();
    if size > MAX_REQUEST_BYTES {
        return Err(AttachError::RequestTooLarge {
            size,
            limit: MAX_REQUEST_BYTES,
        });
    }
    Ok(())
}

/// Checks a whole request against the API's size and image-count limits; run before it
/// is sent, so an oversized request fails with a clear message instead of a 413.
pub fn check_request(request: &MessagesRequest) -> Result<(), AttachError> {
    let images = request
        .messages
        .iter()
        .flat_map(|m| &m.content)
        .filter(|b| matches!(b, ContentBlock::Image(_)))
        .count();
    if images > MAX_IMAGES_PER_REQUEST {
        return Err(AttachError::TooManyImages {
            count: images,
            limit: MAX_IMAGES_PER_REQUEST,
        });
    }
    let size = serde_json::to_vec(request).map_or(0, |v| v.len() as u64);
    if size > MAX_REQUEST_BYTES {
        return Err(AttachError::RequestTooLarge {
            size,
            limit: MAX_REQUEST_BYTES,
        });
    }
    Ok(())
}
