//! Exports of a stored conversation: Markdown for people, JSON for the API.
//!
//! Markdown shows every message as it was shown (interrupted and failed answers marked),
//! thinking as a quote, and each tool call with its input followed by its result; the
//! user messages that only carry tool results back are folded into those calls. A result
//! kept in the tool-results table but never sent (the process ended first) is still
//! shown, marked so. Code fences grow past any backtick run in what they hold.
//!
//! JSON is the `messages` array exactly as the API would get it next: only the complete
//! messages, blocks verbatim.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::{LoadedConversation, MessageStatus, StoredMessage};
use crate::api::{ContentBlock, Role, ToolResultBlock};
use crate::cost::day::LocalTime;
use crate::cost::format_usd;

/// The conversation's history as a pretty-printed JSON array of API messages.
pub fn to_api_json(conversation: &LoadedConversation) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&conversation.history())
}

/// The conversation as a Markdown document. `extra_results` are the tool results from the
/// store's table, (tool_use id, block).
pub fn to_markdown(
    conversation: &LoadedConversation,
    extra_results: &[(String, ToolResultBlock)],
) -> String {
    let s = &conversation.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", one_line(&s.title));
    let _ = writeln!(
        out,
        "- conversation {} · {} · {} messages · {}",
        s.id,
        if s.model.is_empty() {
            "no model yet"
        } else {
            &s.model
        },
        s.message_count,
        format_usd(s.cost_usd)
    );
    let _ = writeln!(
        out,
        "- started {} · last active {}",
        utc(s.created_ms),
        utc(s.updated_ms)
    );
    if let Some(parent) = s.parent {
        let _ = writeln!(out, "- a branch of conversation {parent}");
    }
    let mut results: HashMap<&str, (&ToolResultBlock, bool)> = HashMap::new();
    for (id, block) in extra_results {
        results.insert(id, (block, false));
    }
    for m in &conversation.messages {
        for b in &m.content {
            if let ContentBlock::ToolResult(r) = b {
                results.insert(&r.tool_use_id, (r, true));
            }
        }
    }
    for m in &conversation.messages {
        if m.role == Role::User && !m.is_typed() {
            continue;
        }
        message(&mut out, m, &results);
    }
    out
}

fn message(out: &mut String, m: &StoredMessage, results: &HashMap<&str, (&ToolResultBlock, bool)>) {
    let who = match (m.role, &m.model) {
        (Role::User, _) => "You".to_owned(),
        (Role::Assistant, Some(model)) if !model.is_empty() => format!("Assistant ({model})"),
        (Role::Assistant, _) => "Assistant".to_owned(),
    };
    let _ = writeln!(out, "\n## {who}\n");
    // Cited text keeps its footnote markers; the sources follow the message as links.
    let mut notes = crate::stream::citations::Footnotes::new();
    for block in &m.content {
        match block {
            ContentBlock::Text(t) => {
                let markers = notes.markers_for(t);
                let _ = writeln!(out, "{}{markers}\n", t.text.trim_end());
            }
            ContentBlock::Thinking(t) => {
                for line in t.thinking.lines() {
                    let _ = writeln!(out, "> {line}");
                }
                out.push('\n');
            }
            ContentBlock::RedactedThinking(_) => out.push_str("> (thinking redacted)\n\n"),
            ContentBlock::ToolUse(t) => {
                let input = serde_json::to_string_pretty(&t.input).unwrap_or_default();
                let _ = writeln!(out, "**Tool call: `{}`** ({})\n", t.name, t.id);
                fenced(out, "json", &input);
                match results.get(t.id.as_str()) {
                    Some((r, sent)) => tool_result(out, r, *sent),
                    None => out.push_str("_(no result)_\n\n"),
                }
            }
            ContentBlock::ToolResult(r) => tool_result(out, r, true),
            ContentBlock::Image(_) => out.push_str("_(image)_\n\n"),
            other => match crate::api::answered::FallbackHop::of(other) {
                Some(hop) => {
                    let _ = writeln!(out, "_{}_\n", hop.label());
                }
                None => server_block(out, other),
            },
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "{}", notes.markdown());
    }
    match m.status.shown_as() {
        MessageStatus::Interrupted => out.push_str("_(interrupted)_\n"),
        MessageStatus::Failed => {
            let why = m.error.as_deref().unwrap_or("the request failed");
            let _ = writeln!(out, "_(incomplete: {})_", one_line(why));
        }
        MessageStatus::Superseded => out.push_str("_(replaced by a retry)_\n"),
        MessageStatus::Complete | MessageStatus::Streaming => {}
    }
}

/// A web search or fetch and what it found; any other block by its type.
fn server_block(out: &mut String, block: &ContentBlock) {
    use crate::api::server_tools::{ServerOutcome, server_call, server_result};
    use crate::stream::citations::{CitedSource, markdown_link};
    if let Some(call) = server_call(block) {
        let _ = writeln!(out, "**Server tool: `{}`** `{}`\n", call.name, call.input);
    } else if let Some(result) = server_result(block) {
        match result.outcome {
            ServerOutcome::Error(code) => {
                let _ = writeln!(out, "_(server tool error: {code})_\n");
            }
            ServerOutcome::Sources(sources) => {
                for s in sources {
                    let link = markdown_link(&CitedSource {
                        title: s.title.clone(),
                        url: Some(s.url.clone()),
                    });
                    let _ = writeln!(out, "- {link}");
                }
                out.push('\n');
            }
        }
    } else {
        let _ = writeln!(out, "_({} block)_\n", block.kind());
    }
}

fn tool_result(out: &mut String, r: &ToolResultBlock, sent: bool) {
    let label = if r.is_error == Some(true) {
        "Tool error"
    } else {
        "Tool result"
    };
    let note = if sent {
        ""
    } else {
        " (not sent: chatterm stopped first)"
    };
    let _ = writeln!(out, "**{label}**{note}\n");
    let text = match &r.content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .map(|b| match b.get("text").and_then(Value::as_str) {
                Some(t) => t.to_owned(),
                None => b.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    fenced(out, "", &text);
}

/// A fenced block whose fence is longer than any backtick run inside.
fn fenced(out: &mut String, lang: &str, body: &str) {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{lang}\n{}\n{fence}\n", body.trim_end());
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Unix milliseconds as `2026-05-01 14:03 UTC`.
pub fn utc(ms: i64) -> String {
    let rem = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(ms),
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Unix milliseconds as the UTC date, `2026-05-01` (the ledger's day arithmetic does it).
pub fn utc_date(ms: i64) -> String {
    LocalTime::utc().date(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_825_600_000), "2000-02-29 12:00 UTC");
        assert_eq!(utc(1_767_225_599_000), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn fences_outgrow_backticks_inside() {
        let mut out = String::new();
        fenced(&mut out, "", "a ```` b");
        assert!(out.starts_with("`````\n"), "{out}");
    }
}
