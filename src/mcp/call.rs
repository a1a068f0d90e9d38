//! One MCP tool call: sent, watched, cancelled, and its result turned into a tool result.
//!
//! The call ends with the first of: the server's answer; the turn's cancellation (Esc);
//! the server's `timeout_secs`; the server going away. The first two send
//! `notifications/cancelled` for the request (the server may stop its work), and every
//! way out is an error result that says which it was, so the model knows. Progress
//! notifications go to the call's [`CallContext`] while it runs.
//!
//! The result: text blocks joined (untrusted text: sanitised by whoever shows it, as for
//! every tool); images as image blocks ([`ToolExtras::images`]), up to a size the API
//! takes; embedded resources as their text (binary ones named, not inlined); resource
//! links and audio named; `structuredContent` kept as JSON for the panel and, when there
//! is no text, given to the model as the text; `isError` as an error result. The text is
//! capped at [`MAX_RESULT_BYTES`], like a command tool's, with the cap stated.

use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientRequest, ContentBlock, Request, ResourceContents,
    ServerResult,
};
use rmcp::service::PeerRequestOptions;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::server::Live;
use crate::tools::{CallContext, ToolExtras, ToolImage, ToolOutput};

/// Result text kept, as for command tools.
pub const MAX_RESULT_BYTES: usize = crate::tools::command::MAX_RESULT_BYTES;
/// The largest image (base64 characters) passed on; the API refuses bigger ones.
const MAX_IMAGE_CHARS: usize = 5 * 1024 * 1024 * 4 / 3;
/// Media types the API takes as image blocks.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// How a call ended before an answer.
enum Ended {
    Answer(Result<Box<ServerResult>, String>),
    Cancelled,
    TimedOut(Duration),
    Gone,
}

/// Calls tool `index` of `live` with a validated input.
pub async fn call(
    live: &Live,
    index: usize,
    input: Value,
    cancel: CancellationToken,
    context: CallContext,
) -> ToolOutput {
    let Some(tool) = live.tools.get(index) else {
        return ToolOutput::error("the MCP server no longer offers this tool");
    };
    let server = &live.server;
    if live.gone.is_cancelled() {
        return ToolOutput::error(format!("the MCP server {server} went away"));
    }
    let Value::Object(arguments) = input else {
        return ToolOutput::error("invalid input: MCP tool arguments must be an object");
    };
    let params = CallToolRequestParams::new(tool.remote_name.clone()).with_arguments(arguments);
    let request = ClientRequest::CallToolRequest(Request::new(params));
    let options = PeerRequestOptions::no_options();
    let mut handle = match live.peer.send_cancellable_request(request, options).await {
        Ok(handle) => handle,
        Err(e) => return ToolOutput::error(format!("the MCP server {server} went away: {e}")),
    };
    let progress = live
        .handler
        .watch_progress(handle.progress_token.clone(), context.progress);
    let ended = tokio::select! {
        biased;
        answer = &mut handle.rx => Ended::Answer(match answer {
            Ok(Ok(result)) => Ok(Box::new(result)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("the connection closed".to_owned()),
        }),
        () = cancel.cancelled() => Ended::Cancelled,
        () = tokio::time::sleep(live.timeout) => Ended::TimedOut(live.timeout),
        () = live.gone.cancelled() => Ended::Gone,
    };
    drop(progress);
    match ended {
        Ended::Answer(Ok(result)) => match *result {
            ServerResult::CallToolResult(result) => output(result),
            _ => ToolOutput::error(format!(
                "the MCP server {server} answered the call with something other than a tool result"
            )),
        },
        Ended::Answer(Err(e)) if live.gone.is_cancelled() => {
            ToolOutput::error(format!("the MCP server {server} went away: {e}"))
        }
        Ended::Answer(Err(e)) => ToolOutput::error(format!("the MCP server {server}: {e}")),
        Ended::Cancelled => {
            let _ = handle.cancel(Some("cancelled by the user".into())).await;
            ToolOutput::error("cancelled by the user (the server was told to stop)")
        }
        Ended::TimedOut(after) => {
            let _ = handle.cancel(Some("timed out".into())).await;
            ToolOutput::error(format!(
                "timed out after {}s (the server's timeout_secs); the server was told to stop",
                after.as_secs_f64()
            ))
        }
        Ended::Gone => ToolOutput::error(format!(
            "the MCP server {server} went away before the call finished"
        )),
    }
}

/// A tool result as chatterm's tool output (module docs).
pub fn output(result: CallToolResult) -> ToolOutput {
    let mut texts: Vec<String> = Vec::new();
    let mut images = Vec::new();
    for block in result.content {
        match block {
            ContentBlock::Text(text) => texts.push(text.text),
            ContentBlock::Image(image) => {
                if !IMAGE_TYPES.contains(&image.mime_type.as_str()) {
                    texts.push(format!(
                        "[image of type {} left out: the model does not read it]",
                        image.mime_type
                    ));
                } else if image.data.len() > MAX_IMAGE_CHARS {
                    texts.push(format!(
                        "[image left out: {} bytes of base64 is over the limit]",
                        image.data.len()
                    ));
                } else {
                    images.push(ToolImage {
                        media_type: image.mime_type,
                        data: image.data,
                    });
                }
            }
            ContentBlock::Audio(audio) => {
                texts.push(format!("[audio of type {} left out]", audio.mime_type));
            }
            ContentBlock::Resource(embedded) => texts.push(resource_text(embedded.resource)),
            ContentBlock::ResourceLink(link) => {
                texts.push(format!("[resource {}: {}]", link.name, link.uri));
            }
            _ => texts.push("[content of a kind chatterm does not know left out]".to_owned()),
        }
    }
    let structured = result.structured_content;
    let mut text = texts.join("\n");
    if text.is_empty()
        && let Some(value) = &structured
    {
        text = serde_json::to_string_pretty(value).unwrap_or_default();
    }
    let text = cap(text);
    let is_error = result.is_error.unwrap_or(false);
    let mut output = if is_error {
        ToolOutput::error(text)
    } else {
        ToolOutput::ok(text)
    };
    output.extras = ToolExtras { images, structured };
    output
}

fn resource_text(resource: ResourceContents) -> String {
    match resource {
        ResourceContents::TextResourceContents { uri, text, .. } => {
            format!("[resource {uri}]\n{text}")
        }
        ResourceContents::BlobResourceContents {
            uri,
            mime_type,
            blob,
            ..
        } => format!(
            "[resource {uri}: {} bytes of {} left out]",
            blob.len() * 3 / 4,
            mime_type.as_deref().unwrap_or("binary data")
        ),
        _ => "[resource of a kind chatterm does not know left out]".to_owned(),
    }
}

/// Keeps the first [`MAX_RESULT_BYTES`] (on a character boundary) and says so.
fn cap(text: String) -> String {
    if text.len() <= MAX_RESULT_BYTES {
        return text;
    }
    let mut end = MAX_RESULT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n[output truncated: kept the first {MAX_RESULT_BYTES} of {} bytes]",
        &text[..end],
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(value: Value) -> CallToolResult {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn text_images_resources_and_errors_map() {
        let out = output(result(json!({
            "content": [
                {"type": "text", "text": "hello"},
                {"type": "image", "data": "aGk=", "mimeType": "image/png"},
                {"type": "image", "data": "aGk=", "mimeType": "image/tiff"},
                {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
                {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": "AAAA"}}
            ],
            "isError": true
        })));
        assert!(out.is_error);
        assert!(
            out.content.starts_with("hello\n[image of type image/tiff"),
            "{}",
            out.content
        );
        assert!(out.content.contains("[resource file:///a.txt]\ninside"));
        assert!(out.content.contains("[resource file:///b.bin: 3 bytes"));
        assert_eq!(out.extras.images.len(), 1);
        assert_eq!(out.extras.images[0].media_type, "image/png");
    }

    #[test]
    fn structured_content_is_kept_and_stands_in_for_missing_text() {
        let out = output(result(
            json!({"content": [], "structuredContent": {"n": 1}}),
        ));
        assert!(!out.is_error);
        assert_eq!(out.extras.structured, Some(json!({"n": 1})));
        assert!(out.content.contains("\"n\": 1"));
    }

    #[test]
    fn long_text_is_capped_with_the_cap_stated() {
        let long = "é".repeat(MAX_RESULT_BYTES);
        let out = output(result(json!({"content": [{"type": "text", "text": long}]})));
        assert!(out.content.len() < MAX_RESULT_BYTES + 100);
        assert!(out.content.ends_with(&format!(
            "[output truncated: kept the first {MAX_RESULT_BYTES} of {} bytes]",
            2 * MAX_RESULT_BYTES
        )));
    }
}
