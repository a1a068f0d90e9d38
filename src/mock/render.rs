//! Turning a [`Script`] into what goes on the wire.
//!
//! Streaming: [`stream_plan`] writes each step as real SSE (`event: NAME\ndata: JSON\n\n`,
//! the exact JSON shapes of reference §2.3) into a plan of [`Out`] items: text to write,
//! pauses, and a cut. [`super::body`] then applies the script's [`super::Chunking`].
//! Non-streaming: [`fold`] builds the one JSON message the same steps would accumulate to,
//! or the HTTP error an error step stands for.
//!
//! Invariants: block indices count only content blocks, in order; a script without a
//! `Start` step gets one with the computed usage; `error` events and `Drop` end the plan.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::api::{DeltaUsage, StopReason, Usage};

use super::script::{Script, Step, estimate_tokens};

/// One item of a streaming plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Write(String),
    Pause(Duration),
    /// Wait until this long after the previous beat was due: a steady pace ([`Step::Pace`]).
    Beat(Duration),
    /// End the body with an error: the connection is cut.
    Cut,
}

/// Small random pauses before each delta (text, thinking, tool input), so a demo reply
/// looks typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub min: Duration,
    pub max: Duration,
    pub seed: u64,
}

/// What the answer needs besides the script.
#[derive(Debug, Clone)]
pub struct Context {
    pub message_id: String,
    pub model: String,
    /// `message_start` usage for scripts without a `Start` step (from the cache simulation).
    pub usage: Usage,
    pub pace: Option<Pace>,
}

fn event(name: &str, data: &Value) -> Out {
    Out::Write(format!("event: {name}\ndata: {data}\n\n"))
}

fn message_start(ctx: &Context, usage: &Usage) -> Out {
    let message = json!({
        "id": ctx.message_id, "type": "message", "role": "assistant", "model": ctx.model,
        "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage,
    });
    event(
        "message_start",
        &json!({"type": "message_start", "message": message}),
    )
}

/// `message_delta` usage: present fields only, the way the API sends it.
fn delta_usage_json(usage: &DeltaUsage) -> Value {
    let mut map = Map::new();
    let fields = [
        ("output_tokens", usage.output_tokens),
        ("input_tokens", usage.input_tokens),
        (
            "cache_creation_input_tokens",
            usage.cache_creation_input_tokens,
        ),
        ("cache_read_input_tokens", usage.cache_read_input_tokens),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            map.insert(name.into(), json!(v));
        }
    }
    if let Some(s) = &usage.server_tool_use {
        map.insert("server_tool_use".into(), s.clone());
    }
    // Newer fields a script set (`iterations`, `output_tokens_details`, ...), as they are.
    for (k, v) in &usage.extra {
        map.insert(k.clone(), v.clone());
    }
    Value::Object(map)
}

/// For scripts without `Start`, the final `message_delta` repeats the computed input
/// fields, as the API does; scripted values are never overwritten.
fn complete_delta_usage(usage: &DeltaUsage, start: &Usage) -> DeltaUsage {
    DeltaUsage {
        input_tokens: usage.input_tokens.or(Some(start.input_tokens)),
        cache_creation_input_tokens: usage
            .cache_creation_input_tokens
            .or(Some(start.cache_creation_input_tokens)),
        cache_read_input_tokens: usage
            .cache_read_input_tokens
            .or(Some(start.cache_read_input_tokens)),
        ..usage.clone()
    }
}

struct Planner<'a> {
    ctx: &'a Context,
    out: Vec<Out>,
    index: usize,
    rng: Option<(StdRng, Pace)>,
    /// The fixed pause a `Step::Pace` set; it wins over `rng`.
    gap: Option<Duration>,
    auto_start: bool,
    /// Set by `Step::StopDetails`, sent with the stop.
    stop_details: Option<Value>,
}

impl Planner<'_> {
    fn delta(&mut self, delta: Value) {
        if let Some(gap) = self.gap {
            self.out.push(Out::Beat(gap));
        } else if let Some((rng, pace)) = &mut self.rng {
            let ms = rng.random_range(pace.min.as_millis()..=pace.max.as_millis());
            self.out.push(Out::Pause(Duration::from_millis(ms as u64)));
        }
        let data = json!({"type": "content_block_delta", "index": self.index, "delta": delta});
        self.out.push(event("content_block_delta", &data));
    }

    fn block(&mut self, skeleton: Value, deltas: impl FnOnce(&mut Self)) {
        let start =
            json!({"type": "content_block_start", "index": self.index, "content_block": skeleton});
        self.out.push(event("content_block_start", &start));
        deltas(self);
        let stop = json!({"type": "content_block_stop", "index": self.index});
        self.out.push(event("content_block_stop", &stop));
        self.index += 1;
    }

    /// Plans one step; returns false when the stream ends after it.
    fn step(&mut self, step: &Step) -> bool {
        match step {
            Step::Start { usage } => self.out.push(message_start(self.ctx, usage)),
            Step::Text(deltas) => self.block(json!({"type": "text", "text": ""}), |p| {
                for d in deltas {
                    p.delta(json!({"type": "text_delta", "text": d}));
                }
            }),
            Step::Thinking { deltas, signature } => {
                let skeleton = json!({"type": "thinking", "thinking": "", "signature": ""});
                self.block(skeleton, |p| {
                    for d in deltas {
                        p.delta(json!({"type": "thinking_delta", "thinking": d}));
                    }
                    p.delta(json!({"type": "signature_delta", "signature": signature}));
                });
            }
            Step::RedactedThinking(data) => {
                self.block(json!({"type": "redacted_thinking", "data": data}), |_| {});
            }
            Step::Block(block) => self.block(block.clone(), |_| {}),
            Step::StopDetails(details) => self.stop_details = Some(details.clone()),
            Step::ToolUse {
                id,
                name,
                input_chunks,
            } => {
                let skeleton = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
                self.block(skeleton, |p| {
                    for chunk in input_chunks {
                        p.delta(json!({"type": "input_json_delta", "partial_json": chunk}));
                    }
                });
            }
            Step::ServerToolUse {
                id,
                name,
                input_chunks,
            } => {
                let skeleton =
                    json!({"type": "server_tool_use", "id": id, "name": name, "input": {}});
                self.block(skeleton, |p| {
                    for chunk in input_chunks {
                        p.delta(json!({"type": "input_json_delta", "partial_json": chunk}));
                    }
                });
            }
            Step::CitedText { citations, deltas } => {
                self.block(json!({"type": "text", "text": ""}), |p| {
                    for c in citations {
                        p.delta(json!({"type": "citations_delta", "citation": c}));
                    }
                    for d in deltas {
                        p.delta(json!({"type": "text_delta", "text": d}));
                    }
                });
            }
            Step::Ping => self.out.push(event("ping", &json!({"type": "ping"}))),
            Step::Unknown { event, data } => {
                self.out
                    .push(Out::Write(format!("event: {event}\ndata: {data}\n\n")));
            }
            Step::ErrorEvent { kind, message } => {
                let data = json!({"type": "error", "error": {"type": kind, "message": message}});
                self.out.push(event("error", &data));
                return false;
            }
            Step::Stall(d) => self.out.push(Out::Pause(*d)),
            Step::Pace(d) => self.gap = Some(*d).filter(|d| !d.is_zero()),
            Step::Drop => {
                self.out.push(Out::Cut);
                return false;
            }
            Step::Stop { reason, usage } => self.stop(reason, usage),
            Step::Raw(text) => self.out.push(Out::Write(text.clone())),
        }
        true
    }

    fn stop(&mut self, reason: &StopReason, usage: &DeltaUsage) {
        let usage = if self.auto_start {
            complete_delta_usage(usage, &self.ctx.usage)
        } else {
            usage.clone()
        };
        let data = json!({
            "type": "message_delta",
            "delta": {"stop_reason": reason.as_str(), "stop_sequence": null,
                "stop_details": self.stop_details.take()},
            "usage": delta_usage_json(&usage),
        });
        self.out.push(event("message_delta", &data));
        self.out
            .push(event("message_stop", &json!({"type": "message_stop"})));
    }
}

/// Whether the script sends its own `message_start` (a `Start` step, or raw SSE that
/// carries one, such as a recorded stream replayed whole).
fn has_start(script: &Script) -> bool {
    script.steps.iter().any(|s| match s {
        Step::Start { .. } => true,
        Step::Raw(text) => text.contains("event: message_start"),
        _ => false,
    })
}

/// The streaming plan of a script.
pub fn stream_plan(script: &Script, ctx: &Context) -> Vec<Out> {
    let auto_start = !has_start(script);
    let mut planner = Planner {
        ctx,
        out: Vec::new(),
        index: 0,
        rng: ctx.pace.map(|p| (StdRng::seed_from_u64(p.seed), p)),
        gap: None,
        auto_start,
        stop_details: None,
    };
    if auto_start {
        planner.out.push(message_start(ctx, &ctx.usage));
    }
    for step in &script.steps {
        if !planner.step(step) {
            break;
        }
    }
    planner.out
}

/// A script folded for a non-streaming request.
#[derive(Debug, Clone, PartialEq)]
pub enum Folded {
    /// The 200 body, sent after `delay` (the script's stalls, summed).
    Message { body: Value, delay: Duration },
    /// An error step: answer with this HTTP error instead.
    Error {
        status: u16,
        kind: String,
        message: String,
        delay: Duration,
    },
    /// A `Drop` step: cut the connection after the headers.
    Cut { delay: Duration },
}

/// The HTTP status the API uses for an error type (`overloaded_error` → 529, ...).
pub fn status_for_kind(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "conflict_error" => 409,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// Folds a script into the message a non-streaming request gets.
pub fn fold(script: &Script, ctx: &Context) -> Folded {
    let mut usage = ctx.usage.clone();
    let mut content = Vec::new();
    let mut stop_reason = Value::Null;
    let mut delay = Duration::ZERO;
    let mut output_tokens = None;
    for step in &script.steps {
        if let Some(block) = content_block(step) {
            match block {
                Ok(block) => content.push(block),
                Err(message) => {
                    let kind = "api_error".into();
                    return Folded::Error {
                        status: 500,
                        kind,
                        message,
                        delay,
                    };
                }
            }
            continue;
        }
        match step {
            Step::Start { usage: u } => usage = u.clone(),
            Step::ErrorEvent { kind, message } => {
                let (kind, message) = (kind.clone(), message.clone());
                return Folded::Error {
                    status: status_for_kind(&kind),
                    kind,
                    message,
                    delay,
                };
            }
            Step::Stall(d) => delay += *d,
            Step::Drop => return Folded::Cut { delay },
            Step::Stop { reason, usage: u } => {
                stop_reason = json!(reason.as_str());
                usage.apply_delta(u);
                output_tokens = u.output_tokens;
            }
            _ => {}
        }
    }
    if output_tokens.is_none() {
        let text: String = content.iter().map(Value::to_string).collect();
        usage.output_tokens = estimate_tokens(&text);
    }
    let body = json!({
        "id": ctx.message_id, "type": "message", "role": "assistant", "model": ctx.model,
        "content": content, "stop_reason": stop_reason, "stop_sequence": null, "usage": usage,
    });
    Folded::Message { body, delay }
}

/// The final JSON of a content step; `None` for steps that are not content. A tool input
/// that is not valid JSON is an `Err` (the real API never sends one in a non-stream reply).
fn content_block(step: &Step) -> Option<Result<Value, String>> {
    Some(Ok(match step {
        Step::Text(d) => json!({"type": "text", "text": d.concat()}),
        Step::Thinking { deltas, signature } => {
            json!({"type": "thinking", "thinking": deltas.concat(), "signature": signature})
        }
        Step::RedactedThinking(data) => json!({"type": "redacted_thinking", "data": data}),
        Step::Block(block) => block.clone(),
        Step::CitedText { citations, deltas } => {
            json!({"type": "text", "text": deltas.concat(), "citations": citations})
        }
        Step::ServerToolUse {
            id,
            name,
            input_chunks,
        } => {
            let input =
                serde_json::from_str::<Value>(&input_chunks.concat()).unwrap_or_else(|_| json!({}));
            json!({"type": "server_tool_use", "id": id, "name": name, "input": input})
        }
        Step::ToolUse {
            id,
            name,
            input_chunks,
        } => {
            // Empty input (no chunks, or only "") means `{}`, as in a stream.
            let joined = input_chunks.concat();
            let input = if joined.trim().is_empty() {
                json!({})
            } else {
                match serde_json::from_str::<Value>(&joined) {
                    Ok(v) => v,
                    Err(_) => {
                        return Some(Err(format!(
                            "mock script: tool input of {id} is not valid JSON: {joined}"
                        )));
                    }
                }
            };
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
        _ => return None,
    }))
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
