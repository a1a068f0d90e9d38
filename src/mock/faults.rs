//! Seeded fault injection, for soak tests: the mock fails a share of attempts the way a
//! real service fails, reproducibly, and keeps its own account of what it sent.
//!
//! With a [`FaultPlan`] installed ([`super::MockServer::inject_faults`]), every valid
//! `POST /v1/messages` without a scripted reply is answered by the [`Injector`]: with
//! probability `rate` one of the [`Fault`] kinds, picked uniformly, else a complete answer.
//! Both come from one seeded generator, so a seed and the order of requests fix every
//! choice. Every reply carries its own `message_start` usage (input tokens unique per
//! attempt), so a test can match the usage it finds in a ledger against [`AttemptRecord`]s
//! one for one, without the mock keeping request bodies (it keeps only this small record:
//! the prompt's last user text, the fault, the usage sent, whether text was shown).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::script::{HttpError, Reply, Script, Step, estimate_tokens, split_words};
use crate::api::Usage;

/// One way an attempt fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 429 `rate_limit_error` with `retry-after-ms`.
    RateLimited,
    /// 529 `overloaded_error`.
    Overloaded,
    /// 500 `api_error`.
    ServerError,
    /// 503 `api_error`.
    Unavailable,
    /// `message_start`, then the connection drops.
    DropBeforeContent,
    /// `message_start` and some text, then the connection drops: content was shown.
    DropAfterContent,
    /// Nothing at all (not even headers) for the plan's stall time.
    StallBeforeFirstByte,
    /// `message_start` and an empty `content_block_start`, then silence for the stall time:
    /// the stream went quiet mid-way, before any visible text.
    StallMidStream,
}

impl Fault {
    pub const ALL: [Fault; 8] = [
        Fault::RateLimited,
        Fault::Overloaded,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::DropBeforeContent,
        Fault::DropAfterContent,
        Fault::StallBeforeFirstByte,
        Fault::StallMidStream,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::RateLimited => "429 + retry-after-ms",
            Fault::Overloaded => "529 overloaded",
            Fault::ServerError => "500",
            Fault::Unavailable => "503",
            Fault::DropBeforeContent => "drop before content",
            Fault::DropAfterContent => "drop after content",
            Fault::StallBeforeFirstByte => "stall before first byte",
            Fault::StallMidStream => "mid-stream stall",
        }
    }
}

/// What to inject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    pub seed: u64,
    /// The share of attempts that fail, in `[0, 1]`.
    pub rate: f64,
    /// How long a stall lasts (make it well over the client's timeouts).
    pub stall: Duration,
    /// The `retry-after-ms` of a 429.
    pub retry_after_ms: u64,
}

impl FaultPlan {
    /// 20% of attempts, 5 s stalls, 429s asking for 5 ms.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rate: 0.2,
            stall: Duration::from_secs(5),
            retry_after_ms: 5,
        }
    }
}

/// One attempt as the injector answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// The text of the request's last user message (how a test tells turns apart).
    pub prompt: String,
    pub fault: Option<Fault>,
    /// The cumulative usage the stream reported before it ended; `None` when it never
    /// reached `message_start`.
    pub usage: Option<Usage>,
    /// Text reached the client before the failure (or the answer was complete).
    pub shown: bool,
}

/// The seeded generator and the record of every attempt it answered.
#[derive(Debug)]
pub struct Injector {
    plan: FaultPlan,
    rng: StdRng,
    attempts: Vec<AttemptRecord>,
}

/// Input tokens of attempt `n` are `BASE_INPUT + n`: unique, so usage matches one for one.
const BASE_INPUT: u64 = 100;

impl Injector {
    pub fn new(plan: FaultPlan) -> Self {
        Self {
            plan,
            rng: StdRng::seed_from_u64(plan.seed),
            attempts: Vec::new(),
        }
    }

    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }

    /// Decides and records the reply to one request (its body as JSON).
    pub fn reply(&mut self, body: &Value) -> Reply {
        let n = self.attempts.len() as u64;
        let fault = (self.rng.random::<f64>() < self.plan.rate)
            .then(|| Fault::ALL[self.rng.random_range(0..Fault::ALL.len())]);
        let start = Usage {
            input_tokens: BASE_INPUT + n,
            output_tokens: 1,
            ..Usage::default()
        };
        let (reply, usage, shown) = match fault {
            None => {
                let text = format!("Answer {n}: all is well on this attempt.");
                let output = estimate_tokens(&text);
                let script = Script::new(vec![
                    Step::Start {
                        usage: start.clone(),
                    },
                    Step::Text(split_words(&text)),
                    Step::end_turn(output),
                ]);
                let sent = Usage {
                    output_tokens: output,
                    ..start
                };
                (script.into(), Some(sent), true)
            }
            Some(f) => self.fault_reply(f, start),
        };
        self.attempts.push(AttemptRecord {
            prompt: last_user_text(body),
            fault,
            usage,
            shown,
        });
        reply
    }

    fn fault_reply(&self, fault: Fault, start: Usage) -> (Reply, Option<Usage>, bool) {
        let started = |steps: Vec<Step>| {
            let mut all = vec![Step::Start {
                usage: start.clone(),
            }];
            all.extend(steps);
            Reply::Script(Script::new(all))
        };
        let error = |status, kind| Reply::Error(HttpError::new(status, kind, "injected fault"));
        match fault {
            Fault::RateLimited => (
                Reply::Error(
                    HttpError::new(429, "rate_limit_error", "injected fault")
                        .with_header("retry-after-ms", self.plan.retry_after_ms.to_string()),
                ),
                None,
                false,
            ),
            Fault::Overloaded => (error(529, "overloaded_error"), None, false),
            Fault::ServerError => (error(500, "api_error"), None, false),
            Fault::Unavailable => (error(503, "api_error"), None, false),
            // The pause before each drop lets the bytes before it leave: a cut right behind
            // a write can discard the write, and the record must say what was really sent.
            Fault::DropBeforeContent => (
                started(vec![Step::Stall(FLUSH_PAUSE), Step::Drop]),
                Some(start),
                false,
            ),
            Fault::DropAfterContent => {
                let text = Step::Text(split_words("A partial answer that stops"));
                let steps = vec![text, Step::Stall(FLUSH_PAUSE), Step::Drop];
                (started(steps), Some(start), true)
            }
            Fault::StallBeforeFirstByte => (Reply::Hang(self.plan.stall), None, false),
            Fault::StallMidStream => {
                let steps = vec![
                    Step::Raw(EMPTY_TEXT_BLOCK_START.into()),
                    Step::Stall(self.plan.stall),
                    Step::Drop,
                ];
                (started(steps), Some(start), false)
            }
        }
    }
}

/// How long a reply pauses before cutting the connection (see [`Injector::fault_reply`]).
const FLUSH_PAUSE: Duration = Duration::from_millis(10);

const EMPTY_TEXT_BLOCK_START: &str = "event: content_block_start\ndata: \
    {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";

/// The text of the last user message's text blocks ("" when there is none).
fn last_user_text(body: &Value) -> String {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return String::new();
    };
    let Some(last) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return String::new();
    };
    match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(text: &str) -> Value {
        json!({"messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]})
    }

    #[test]
    fn a_seed_fixes_every_choice_and_the_rate_holds() {
        let run = |seed| {
            let mut inj = Injector::new(FaultPlan::new(seed));
            for i in 0..2000 {
                inj.reply(&body(&format!("p{i}")));
            }
            inj.attempts().to_vec()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        let faults = a.iter().filter(|r| r.fault.is_some()).count();
        assert!((300..500).contains(&faults), "{faults} of 2000");
        for kind in Fault::ALL {
            assert!(
                a.iter().any(|r| r.fault == Some(kind)),
                "{kind:?} never drawn"
            );
        }
        assert_eq!(a[5].prompt, "p5");
        // Input tokens are unique per attempt; only replies that started report usage.
        assert_eq!(a[3].usage.as_ref().map_or(103, |u| u.input_tokens), 103);
        for r in &a {
            let started = !matches!(
                r.fault,
                Some(
                    Fault::RateLimited
                        | Fault::Overloaded
                        | Fault::ServerError
                        | Fault::Unavailable
                        | Fault::StallBeforeFirstByte
                )
            );
            assert_eq!(r.usage.is_some(), started, "{r:?}");
            let shown = matches!(r.fault, None | Some(Fault::DropAfterContent));
            assert_eq!(r.shown, shown, "{r:?}");
        }
    }

    #[test]
    fn the_last_user_text_names_the_turn() {
        let b = json!({"messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ]});
        assert_eq!(last_user_text(&b), "second");
        assert_eq!(last_user_text(&json!({})), "");
    }
}
