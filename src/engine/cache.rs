//! Prompt-cache breakpoints for one request (reference §5).
//!
//! The history is stored without markers; [`place`] first strips every marker a request
//! carries, then sets fresh ones, so breakpoints "move forward" each turn by construction
//! and old ones never pile up. It is idempotent: call it again after changing the request
//! (adding tools, say) and the markers are right for the new shape.
//!
//! Where the markers go, in prefix order (tools → system → messages):
//! 1. the last tool definition, when there are tools: caches every definition;
//! 2. the last system block: caches tools + system, which stay byte-stable all session;
//! 3. the last markable block of the last user message: the "moving" breakpoint, so the
//!    next request reads everything up to here and writes only the new tail;
//! 4. when the previous request's moving breakpoint (the last block of the user message
//!    before) is more than [`LOOKBACK_BLOCKS`] blocks behind the new one, a marker there
//!    too: the API looks back only that far for an earlier write, so without it a turn
//!    that added many blocks (a wide tool batch) would miss the cache entirely.
//!
//! Rules kept: at most [`MAX_BREAKPOINTS`] markers (a top-level automatic marker in
//! `extra` counts as one); markers only on blocks that may carry one (non-empty text,
//! image, document, tool_use, tool_result; never thinking blocks); one TTL for the whole
//! request, so the API's "1h breakpoints before 5m ones" rule holds trivially.

use serde_json::Value;

use crate::api::{CacheControl, ContentBlock, Message, MessagesRequest, Role, System};
use crate::config::CacheTtl;

/// The API's limit on `cache_control` markers per request.
pub const MAX_BREAKPOINTS: usize = 4;
/// How far back from a breakpoint the API looks for an earlier cache write.
pub const LOOKBACK_BLOCKS: usize = 20;

/// Strips every marker from `request`, then, with a TTL, places fresh breakpoints as the
/// module docs describe. `None` leaves the request unmarked (caching off).
pub fn place(request: &mut MessagesRequest, ttl: Option<CacheTtl>) {
    strip(request);
    let Some(ttl) = ttl else { return };
    let mut marker = Marker {
        marker: CacheControl::ephemeral(Some(ttl.as_str())),
        budget: MAX_BREAKPOINTS - usize::from(has_top_level_marker(request)),
    };
    if let Some(tool) = request.tools.last_mut() {
        marker.slot(&mut tool.cache_control);
    }
    if let Some(slot) = system_slot(&mut request.system) {
        marker.slot(slot);
    }
    let users: Vec<usize> = (0..request.messages.len())
        .filter(|&i| request.messages[i].role == Role::User)
        .collect();
    let Some(&last) = users.last() else { return };
    let Some(last_block) = markable_index(&request.messages[last]) else {
        return;
    };
    // The previous request's moving breakpoint, and whether the lookback still reaches it.
    let previous = users.iter().rev().nth(1).and_then(|&i| {
        let block = markable_index(&request.messages[i])?;
        let between = blocks_between(&request.messages, (i, block), (last, last_block));
        (between > LOOKBACK_BLOCKS).then_some((i, block))
    });
    marker.block(&mut request.messages[last].content[last_block]);
    if let Some((i, block)) = previous {
        marker.block(&mut request.messages[i].content[block]);
    }
}

/// Writes markers while the request's budget of breakpoints lasts.
struct Marker {
    marker: CacheControl,
    budget: usize,
}

impl Marker {
    fn take(&mut self) -> bool {
        let ok = self.budget > 0;
        self.budget = self.budget.saturating_sub(1);
        ok
    }

    fn slot(&mut self, slot: &mut Option<CacheControl>) {
        if self.take() {
            *slot = Some(self.marker.clone());
        }
    }

    /// Marks a block; untyped blocks (documents) get the marker as a JSON field.
    fn block(&mut self, block: &mut ContentBlock) {
        if let ContentBlock::Other(Value::Object(map)) = block {
            if let (true, Ok(json)) = (self.budget > 0, serde_json::to_value(&self.marker)) {
                self.take();
                map.insert("cache_control".into(), json);
            }
        } else if let Some(slot) = block.cache_control_mut() {
            self.slot(slot);
        }
    }
}

/// The number of markers in a request, top-level automatic marker included.
pub fn count(request: &MessagesRequest) -> usize {
    let tools = request.tools.iter().filter(|t| t.cache_control.is_some());
    let system = match &request.system {
        Some(System::Blocks(blocks)) => blocks.iter().filter(|b| is_marked(b)).count(),
        _ => 0,
    };
    let messages: usize = request
        .messages
        .iter()
        .map(|m| m.content.iter().filter(|b| is_marked(b)).count())
        .sum();
    usize::from(has_top_level_marker(request)) + tools.count() + system + messages
}

fn has_top_level_marker(request: &MessagesRequest) -> bool {
    request
        .extra
        .get("cache_control")
        .is_some_and(|v| !v.is_null())
}

fn strip(request: &mut MessagesRequest) {
    for tool in &mut request.tools {
        tool.cache_control = None;
    }
    if let Some(System::Blocks(blocks)) = &mut request.system {
        blocks.iter_mut().for_each(clear_block);
    }
    for message in &mut request.messages {
        message.content.iter_mut().for_each(clear_block);
    }
}

fn clear_block(block: &mut ContentBlock) {
    if let Some(slot) = block.cache_control_mut() {
        *slot = None;
    } else if let ContentBlock::Other(Value::Object(map)) = block {
        map.remove("cache_control");
    }
}

fn is_marked(block: &ContentBlock) -> bool {
    match block {
        ContentBlock::Text(b) => b.cache_control.is_some(),
        ContentBlock::Image(b) => b.cache_control.is_some(),
        ContentBlock::ToolUse(b) => b.cache_control.is_some(),
        ContentBlock::ToolResult(b) => b.cache_control.is_some(),
        ContentBlock::Other(v) => v.get("cache_control").is_some_and(|c| !c.is_null()),
        ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_) => false,
    }
}

/// The system prompt's marker slot: the last non-empty text block. A plain string becomes
/// one block, because only blocks can carry a marker.
fn system_slot(system: &mut Option<System>) -> Option<&mut Option<CacheControl>> {
    if let Some(System::Text(text)) = system {
        *system = Some(System::Blocks(vec![ContentBlock::text(std::mem::take(
            text,
        ))]));
    }
    let Some(System::Blocks(blocks)) = system else {
        return None;
    };
    let last = blocks.iter().rposition(may_carry_marker)?;
    blocks[last].cache_control_mut()
}

/// The index of the last block of `message` that may carry a marker.
fn markable_index(message: &Message) -> Option<usize> {
    message.content.iter().rposition(may_carry_marker)
}

/// Whether the API accepts `cache_control` on this block: not on thinking, not on empty
/// text, and for untyped blocks only on documents and search results.
fn may_carry_marker(block: &ContentBlock) -> bool {
    match block {
        ContentBlock::Text(t) => !t.text.trim().is_empty(),
        ContentBlock::Image(_) | ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_) => true,
        ContentBlock::Other(v) => matches!(
            v.get("type").and_then(Value::as_str),
            Some("document" | "search_result")
        ),
        ContentBlock::Thinking(_) | ContentBlock::RedactedThinking(_) => false,
    }
}

/// Content blocks after `from` up to and including `to`, each `(message, block)`.
fn blocks_between(messages: &[Message], from: (usize, usize), to: (usize, usize)) -> usize {
    if from.0 == to.0 {
        return to.1.saturating_sub(from.1);
    }
    let rest_of_first = messages[from.0].content.len() - from.1 - 1;
    let middle: usize = messages[from.0 + 1..to.0]
        .iter()
        .map(|m| m.content.len())
        .sum();
    rest_of_first + middle + to.1 + 1
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
