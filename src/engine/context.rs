//! Context bounding, the pure part: size estimates and folding the oldest turns.
//!
//! The model: the history is a list of *turns*. A turn starts at a user message that
//! carries no `tool_result` (a new prompt from the user) and runs until the next one, so it
//! holds the answer, any tool calls and their results. Folding removes whole turns from the
//! front, which is what keeps the history valid for the API by construction:
//!
//! - a `tool_use` and its `tool_result` are always in the same turn, so never separated;
//! - the kept history starts at a turn start, so its first message is a user message;
//! - roles keep alternating, because nothing is inserted between messages: a summary is
//!   prepended as a text block to the first kept user message (text before the user's own
//!   blocks is fine there, as that message has no tool results);
//! - the newest `keep_turns` turns are never touched, thinking blocks included.
//!
//! [`plan`] picks the cut, [`truncate`] and [`with_summary`] apply it, [`transcript`] turns
//! the folded part into plain text for the summariser. The async side (when to fold,
//! `count_tokens`, the summary request) is in `compact.rs`.
//!
//! Estimates are deliberately simple: about one token per 4 characters of a block's JSON,
//! the same rule the mock server counts with; images and PDFs by their dimensions and
//! pages ([`crate::attach::estimate_block`]), as their base64 would count far too many. They only decide *when* to fold; the real
//! sizes come from the API's usage and `count_tokens` near the limit.

use crate::api::{ContentBlock, Message, MessagesRequest, Role};

/// About one token per this many characters of JSON.
const CHARS_PER_TOKEN: u64 = 4;

/// The estimated tokens of a JSON-serialisable value.
fn estimate_json<T: serde::Serialize>(value: &T) -> u64 {
    let chars = serde_json::to_string(value).map_or(0, |s| s.chars().count() as u64);
    chars.div_ceil(CHARS_PER_TOKEN)
}

/// The estimated prompt tokens of messages.
pub fn estimate_messages(messages: &[Message]) -> u64 {
    messages
        .iter()
        .flat_map(|m| &m.content)
        .map(|b| crate::attach::estimate_block(b).unwrap_or_else(|| estimate_json(b)))
        .sum()
}

/// The estimated prompt tokens of a whole request: tools, system and messages.
pub fn estimate_request(request: &MessagesRequest) -> u64 {
    let tools: u64 = request.tools.iter().map(estimate_json).sum();
    let system = request.system.as_ref().map_or(0, estimate_json);
    tools + system + estimate_messages(&request.messages)
}

/// Whether message `i` starts a turn: a user message without tool results.
fn starts_turn(message: &Message) -> bool {
    message.role == Role::User
        && !message
            .content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolResult(_)))
}

/// The indices of the messages that start turns, in order.
pub fn turn_starts(messages: &[Message]) -> Vec<usize> {
    (0..messages.len())
        .filter(|&i| starts_turn(&messages[i]))
        .collect()
}

/// Where to cut: `messages[..cut]` (the oldest `turns` turns) are folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub cut: usize,
    pub turns: usize,
    /// The estimated tokens of the folded messages.
    pub tokens: u64,
}

/// The smallest fold of whole turns that sheds at least `shed` estimated tokens while
/// keeping the newest `keep_turns` turns; the largest allowed fold when none sheds enough.
/// `None` when there is nothing that may be folded.
pub fn plan(messages: &[Message], keep_turns: usize, shed: u64) -> Option<Fold> {
    let starts = turn_starts(messages);
    let keep = keep_turns.max(1);
    // A cut at starts[k] folds k turns (counting a non-turn prefix, e.g. a resumed history
    // that opens with an assistant message, as part of the first).
    let last_allowed = starts.len().checked_sub(keep)?;
    let mut folded = estimate_messages(&messages[..starts[0]]);
    let mut best = None;
    for (k, &cut) in starts.iter().enumerate().take(last_allowed + 1).skip(1) {
        folded += estimate_messages(&messages[starts[k - 1]..cut]);
        best = Some(Fold {
            cut,
            turns: k,
            tokens: folded,
        });
        if folded >= shed {
            break;
        }
    }
    best
}

/// The history without the folded turns.
pub fn truncate(messages: &[Message], fold: Fold) -> Vec<Message> {
    messages[fold.cut..].to_vec()
}

/// The history with the folded turns replaced by `summary`, prepended to the first kept
/// message (a turn start, so a user message without tool results).
pub fn with_summary(messages: &[Message], fold: Fold, summary: &str) -> Vec<Message> {
    let mut kept = truncate(messages, fold);
    if let Some(first) = kept.first_mut() {
        let text = format!(
            "[Summary of the {} earlier turn{} of this conversation, condensed to save \
             context]\n{}\n[End of summary]",
            fold.turns,
            if fold.turns == 1 { "" } else { "s" },
            summary.trim()
        );
        first.content.insert(0, ContentBlock::text(text));
    }
    kept
}

/// The folded messages as plain text for the summariser: who said what, tool calls and
/// results in brief, thinking left out (it is the model's scratch work, not the dialogue).
pub fn transcript(messages: &[Message]) -> String {
    let mut out = String::new();
    for message in messages {
        let who = match message.role {
            Role::User => "User",
            Role::Assistant => "Assistant",
        };
        for block in &message.content {
            let line = match block {
                ContentBlock::Text(t) if !t.text.trim().is_empty() => t.text.trim().to_owned(),
                ContentBlock::ToolUse(t) => format!("[called tool {} with {}]", t.name, t.input),
                ContentBlock::ToolResult(r) => {
                    let content = r.content.as_ref().map_or(String::new(), |c| match c {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    let failed = if r.is_error == Some(true) {
                        " (error)"
                    } else {
                        ""
                    };
                    format!("[tool result{failed}: {content}]")
                }
                ContentBlock::Image(_) => "[an image]".to_owned(),
                ContentBlock::Other(v) => format!(
                    "[a {} block]",
                    v.get("type").and_then(|t| t.as_str()).unwrap_or("content")
                ),
                _ => continue,
            };
            out.push_str(who);
            out.push_str(": ");
            out.push_str(&line);
            out.push_str("\n\n");
        }
    }
    out
}

/// The last `max_chars` characters of `text`, cut at a line start when one is near, with a
/// note that the start was left out. Used when a transcript would not fit the summariser.
pub fn tail(text: &str, max_chars: usize) -> String {
    let total = text.chars().count();
    if total <= max_chars {
        return text.to_owned();
    }
    let skip = total - max_chars;
    let start = text.char_indices().nth(skip).map_or(text.len(), |(i, _)| i);
    let rest = &text[start..];
    let rest = rest.find('\n').map_or(rest, |nl| &rest[nl + 1..]);
    format!("[the start of the conversation is omitted]\n{rest}")
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
