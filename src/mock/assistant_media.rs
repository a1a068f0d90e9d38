//! What the demo assistant says about the attachments of the last user message:
//! "I see a 1200x800 PNG and a 3-page PDF.", so the demo shows attachments reaching the
//! model without a key.

use serde_json::Value;

use crate::api::ContentBlock;
use crate::attach::{AttachmentKind, in_message};

/// One sentence naming each attachment of the last user message; `None` without any.
pub(super) fn describe(body: &Value) -> Option<String> {
    let last = body
        .get("messages")?
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    let blocks: Vec<ContentBlock> = serde_json::from_value(last.get("content")?.clone()).ok()?;
    let seen: Vec<String> = in_message(&blocks)
        .iter()
        .map(|a| phrase(&a.kind, &a.name))
        .collect();
    let (last, rest) = seen.split_last()?;
    let list = if rest.is_empty() {
        last.clone()
    } else {
        format!("{} and {last}", rest.join(", "))
    };
    Some(format!("I see {list}."))
}

fn phrase(kind: &AttachmentKind, name: &str) -> String {
    match kind {
        AttachmentKind::Image {
            media_type,
            width,
            height,
            ..
        } => {
            let format = media_type.trim_start_matches("image/").to_uppercase();
            format!("a {width}x{height} {format}")
        }
        AttachmentKind::Pdf { pages: 1 } => "a 1-page PDF".to_owned(),
        AttachmentKind::Pdf { pages } => format!("a {pages}-page PDF"),
        AttachmentKind::Text { lines, .. } => {
            let name = crate::sanitize::sanitize_line(name);
            let unit = if *lines == 1 { "line" } else { "lines" };
            format!("`{name}` ({lines} {unit} of text)")
        }
    }
}
