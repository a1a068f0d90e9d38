//! Attachments as API content blocks, and back.
//!
//! Forward ([`to_blocks`], [`user_message`]) is what is sent. Back ([`in_message`],
//! [`typed_text`]) reads a message's blocks, live or stored, so a front end can show a
//! resumed message's attachments exactly as the live one's: nothing but the blocks is
//! needed, because the caption and the text header name the file.

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::text::{self, Header};
use super::{Attachment, AttachmentKind, limits, pdf};
use crate::api::{ContentBlock, ImageBlock, Message, Role};

/// The blocks an attachment is sent as: a caption then the image or document, or the
/// text file's one block.
pub(super) fn to_blocks(a: &Attachment) -> Vec<ContentBlock> {
    match &a.kind {
        AttachmentKind::Text { .. } => vec![main_block(a)],
        AttachmentKind::Image { media_type, .. } => vec![
            ContentBlock::text(text::caption(&a.name, media_type)),
            main_block(a),
        ],
        AttachmentKind::Pdf { .. } => vec![
            ContentBlock::text(text::caption(&a.name, "application/pdf")),
            main_block(a),
        ],
    }
}

/// The block that carries the content (the one the store keeps by hash).
pub(super) fn main_block(a: &Attachment) -> ContentBlock {
    let base64_source =
        |media_type: &str| json!({"type": "base64", "media_type": media_type, "data": &*a.payload});
    match &a.kind {
        AttachmentKind::Text { .. } => ContentBlock::text(&*a.payload),
        AttachmentKind::Image { media_type, .. } => ContentBlock::Image(ImageBlock {
            source: base64_source(media_type),
            cache_control: None,
            extra: serde_json::Map::new(),
        }),
        AttachmentKind::Pdf { .. } => ContentBlock::Other(json!({
            "type": "document",
            "source": base64_source("application/pdf"),
        })),
    }
}

/// The SHA-256 (hex) of a block's JSON, without its cache marker.
pub fn hash_block(block: &ContentBlock) -> String {
    let mut block = block.clone();
    if let Some(slot) = block.cache_control_mut() {
        *slot = None;
    }
    let json = serde_json::to_vec(&block).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The user message for typed `text` with `attachments`: the attachments first (the API
/// advises material before the question), then the text when there is any.
pub fn user_message(text: &str, attachments: &[Attachment]) -> Message {
    let mut content: Vec<ContentBlock> = attachments.iter().flat_map(to_blocks).collect();
    if !text.trim().is_empty() || content.is_empty() {
        content.push(ContentBlock::text(text));
    }
    Message {
        role: Role::User,
        content,
    }
}

/// Whether a block carries an attachment's content (an image, a document, or a text
/// file's block): what the store keeps once by hash.
pub fn is_content_block(block: &ContentBlock) -> bool {
    match block {
        ContentBlock::Image(_) => true,
        ContentBlock::Other(v) => v.get("type").and_then(Value::as_str) == Some("document"),
        ContentBlock::Text(t) => text::parse_header(&t.text).is_some_and(|h| !h.caption),
        _ => false,
    }
}

/// Whether a text block's text is an attachment's (a caption or a text file), not typed.
pub fn is_attachment_text(text: &str) -> bool {
    text::parse_header(text).is_some()
}

/// An attachment as read back from a message's blocks: enough for a chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub name: String,
    pub kind: AttachmentKind,
    /// Bytes as sent (before base64).
    pub size: u64,
    pub tokens: u64,
}

/// The attachments in a message's content, in order.
pub fn in_message(content: &[ContentBlock]) -> Vec<AttachmentInfo> {
    let mut found = Vec::new();
    let mut caption: Option<Header> = None;
    for block in content {
        let header = block.as_text().and_then(text::parse_header);
        match (block, header) {
            (_, Some(h)) if h.caption => caption = Some(h),
            (ContentBlock::Text(t), Some(h)) => found.push(text_info(h, &t.text)),
            (ContentBlock::Image(img), _) => {
                found.extend(image_info(&img.source, caption.take()));
            }
            (ContentBlock::Other(v), _) if v.get("type") == Some(&json!("document")) => {
                found.extend(pdf_info(v, caption.take()));
            }
            _ => caption = None,
        }
    }
    found
}

/// The message's text without its attachments' blocks: what the user typed.
pub fn typed_text(content: &[ContentBlock]) -> String {
    content
        .iter()
        .filter_map(ContentBlock::as_text)
        .filter(|t| text::parse_header(t).is_none())
        .collect()
}

fn text_info(header: Header, block_text: &str) -> AttachmentInfo {
    let body = block_text.split_once('\n').map_or("", |(_, rest)| {
        rest.strip_suffix("\n</file>").unwrap_or(rest)
    });
    AttachmentInfo {
        name: header.name,
        kind: AttachmentKind::Text {
            range: header.range,
            lines: body.lines().count(),
        },
        size: body.len() as u64,
        tokens: limits::text_tokens(block_text),
    }
}

fn decoded(source: &Value) -> Option<Vec<u8>> {
    let data = source.get("data")?.as_str()?;
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

fn image_info(source: &Value, caption: Option<Header>) -> Option<AttachmentInfo> {
    let bytes = decoded(source)?;
    let (width, height) = super::image::dimensions(&bytes).unwrap_or((0, 0));
    let media_type = source.get("media_type")?.as_str()?.to_owned();
    Some(AttachmentInfo {
        name: caption.map_or_else(|| "image".to_owned(), |c| c.name),
        kind: AttachmentKind::Image {
            media_type,
            width,
            height,
            downscaled_from: None,
        },
        size: bytes.len() as u64,
        tokens: limits::image_tokens(width, height),
    })
}

fn pdf_info(block: &Value, caption: Option<Header>) -> Option<AttachmentInfo> {
    let bytes = decoded(block.get("source")?)?;
    let pages = pdf::pages(&bytes);
    let title = block
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(AttachmentInfo {
        name: caption
            .map(|c| c.name)
            .or(title)
            .unwrap_or_else(|| "document".into()),
        kind: AttachmentKind::Pdf { pages },
        size: bytes.len() as u64,
        tokens: u64::from(pages) * limits::TOKENS_PER_PDF_PAGE,
    })
}

/// The estimated tokens of an image or document block, `None` for other blocks (which
/// are counted by their JSON). Base64 counted as text would be four times too many for a
/// PDF and a hundred for an image.
pub fn estimate_block(block: &ContentBlock) -> Option<u64> {
    match block {
        ContentBlock::Image(img) => {
            let dims = decoded_prefix(&img.source).and_then(|b| super::image::dimensions(&b).ok());
            Some(dims.map_or(1_600, |(w, h)| limits::image_tokens(w, h)))
        }
        ContentBlock::Other(v) if v.get("type") == Some(&json!("document")) => {
            let source = v.get("source")?;
            let pages = decoded(source).map_or(1, |b| pdf::pages(&b));
            Some(u64::from(pages) * limits::TOKENS_PER_PDF_PAGE)
        }
        _ => None,
    }
}

/// The first 48 KB of a base64 source, decoded: enough for any header's dimensions.
fn decoded_prefix(source: &Value) -> Option<Vec<u8>> {
    let data = source.get("data")?.as_str()?;
    let cut = data.len().min(64 * 1024) / 4 * 4;
    base64::engine::general_purpose::STANDARD
        .decode(&data[..cut])
        .ok()
}
