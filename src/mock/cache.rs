//! Prompt-cache simulation following the real API's prefix rules (reference §5.1).
//!
//! The model:
//! - The prompt is the flat block list of [`super::prompt`]. A block with `cache_control`
//!   is a *breakpoint*. The prefix up to and including a breakpoint is a cache entry, keyed
//!   by a hash of the model and the canonical JSON of every block in the prefix (markers
//!   excluded, so a moved marker still matches).
//!   Message blocks also carry the request's `tool_choice` and `thinking` settings (see
//!   [`super::prompt`]), so changing those invalidates the messages but not tools/system.
//! - Prefixes shorter than the model's minimum ([`min_cacheable_tokens`], the API's table
//!   per model) are never cached; a breakpoint that short is ignored, and a request whose
//!   breakpoints are all that short is all input.
//! - Read: the longest prefix that is in the cache and not expired, ending at any block
//!   within [`LOOKBACK_BLOCKS`] blocks before one of the request's breakpoints. This is
//!   how a "moving" breakpoint on the newest user message finds the entry the previous
//!   turn wrote at *its* last block, which now carries no marker. A read refreshes the
//!   TTL of that entry and of every earlier breakpoint's entry (each is a hit too).
//! - Write: every effective breakpoint past the read point becomes an entry; the tokens
//!   from the read point up to the last effective breakpoint are the cache write, each
//!   segment billed at the TTL of the breakpoint that ends it.
//! - Tokens after the last effective breakpoint are `input_tokens`.
//!
//! Time is passed in (`now`), so tests can age entries without sleeping.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use crate::api::{CacheCreation, Usage};

use super::prompt::{PromptBlock, TTL_1H};

/// The smallest minimum of any model: what unknown model ids (tests') get.
pub const MIN_CACHEABLE_TOKENS: u64 = 1024;

/// The shortest prefix the API caches for `model` (reference §5.1): 4096 for Opus 4.5+ and
/// Haiku 4.5, 2048 for Sonnet 4.6, Fable 5 and Haiku 3.x, 1024 for Sonnet 4.5 and older
/// Opus/Sonnet. Newer versions of a line take the line's newest confirmed figure (their
/// own are unconfirmed); ids without a known line get [`MIN_CACHEABLE_TOKENS`].
pub fn min_cacheable_tokens(model: &str) -> u64 {
    let parts: Vec<&str> = model.split('-').collect();
    let Some(at) = parts
        .iter()
        .position(|p| matches!(*p, "haiku" | "sonnet" | "opus" | "fable" | "mythos"))
    else {
        return MIN_CACHEABLE_TOKENS;
    };
    let number = |p: Option<&&str>| {
        p.filter(|p| p.len() <= 2)
            .and_then(|p| p.parse::<u32>().ok())
    };
    // New ids put the version after the line (claude-opus-4-5), old ones before it
    // (claude-3-5-haiku).
    let version = match number(parts.get(at + 1)) {
        Some(major) => (major, number(parts.get(at + 2)).unwrap_or(0)),
        None => (
            number(parts.get(1)).unwrap_or(0),
            number(parts.get(2).filter(|_| at > 2)).unwrap_or(0),
        ),
    };
    match (parts[at], version) {
        ("haiku", v) if v >= (4, 5) => 4096,
        ("haiku", _) => 2048,
        ("opus", v) if v >= (4, 5) => 4096,
        ("sonnet", v) if v >= (4, 6) => 2048,
        ("fable" | "mythos", _) => 2048,
        _ => 1024,
    }
}
/// How far back from a breakpoint the API looks for an earlier cache entry.
pub const LOOKBACK_BLOCKS: usize = 20;

/// How a request's prompt splits into cache read, cache write and uncached input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheOutcome {
    pub input_tokens: u64,
    pub cache_read: u64,
    pub write_5m: u64,
    pub write_1h: u64,
}

impl CacheOutcome {
    /// Usage as sent on `message_start`: input fields, output 1, standard tier.
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: 1,
            cache_creation_input_tokens: self.write_5m + self.write_1h,
            cache_read_input_tokens: self.cache_read,
            cache_creation: Some(CacheCreation {
                ephemeral_5m_input_tokens: self.write_5m,
                ephemeral_1h_input_tokens: self.write_1h,
            }),
            service_tier: Some("standard".into()),
            ..Usage::default()
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    ttl: Duration,
    expires: Instant,
}

/// The server's cache: prefix hash → entry.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: HashMap<u64, Entry>,
}

impl PromptCache {
    /// Accounts one request against the cache, updating it (reads refresh, writes insert).
    pub fn apply(&mut self, model: &str, blocks: &[PromptBlock], now: Instant) -> CacheOutcome {
        self.entries.retain(|_, e| e.expires > now);
        let hashes = prefix_hashes(model, blocks);
        let cumulative: Vec<u64> = blocks
            .iter()
            .scan(0u64, |sum, b| {
                *sum += b.tokens;
                Some(*sum)
            })
            .collect();
        let total = cumulative.last().copied().unwrap_or(0);
        let minimum = min_cacheable_tokens(model);
        let breakpoints: Vec<usize> = (0..blocks.len())
            .filter(|&i| blocks[i].breakpoint.is_some() && cumulative[i] >= minimum)
            .collect();
        let Some(&last) = breakpoints.last() else {
            return CacheOutcome {
                input_tokens: total,
                ..CacheOutcome::default()
            };
        };
        let read_at = self.longest_hit(blocks, &hashes, last);
        let read_tokens = read_at.map_or(0, |i| cumulative[i]);
        if let Some(read) = read_at {
            let hits = breakpoints.iter().filter(|&&b| b < read).chain([&read]);
            for &i in hits {
                if let Some(entry) = self.entries.get_mut(&hashes[i]) {
                    entry.expires = now + entry.ttl;
                }
            }
        }
        let mut outcome = CacheOutcome {
            input_tokens: total - cumulative[last],
            cache_read: read_tokens,
            ..CacheOutcome::default()
        };
        let mut written_to = read_tokens;
        for &b in breakpoints
            .iter()
            .filter(|&&b| read_at.is_none_or(|r| b > r))
        {
            let ttl = blocks[b].breakpoint.unwrap_or_default();
            let segment = cumulative[b] - written_to;
            written_to = cumulative[b];
            if ttl == TTL_1H {
                outcome.write_1h += segment;
            } else {
                outcome.write_5m += segment;
            }
            let entry = self
                .entries
                .entry(hashes[b])
                .or_insert(Entry { ttl, expires: now });
            entry.ttl = entry.ttl.max(ttl);
            entry.expires = now + entry.ttl;
        }
        outcome
    }

    /// The index of the last block of the longest cached prefix the lookback can reach.
    fn longest_hit(&self, blocks: &[PromptBlock], hashes: &[u64], last: usize) -> Option<usize> {
        (0..=last).rev().find(|&i| {
            let reachable = blocks[i..]
                .iter()
                .take(LOOKBACK_BLOCKS + 1)
                .any(|b| b.breakpoint.is_some());
            reachable && self.entries.contains_key(&hashes[i])
        })
    }
}

/// `hashes[i]` identifies the prefix `blocks[..=i]` for `model`.
fn prefix_hashes(model: &str, blocks: &[PromptBlock]) -> Vec<u64> {
    let mut hasher = DefaultHasher::new();
    model.hash(&mut hasher);
    blocks
        .iter()
        .map(|b| {
            b.canonical.hash(&mut hasher);
            hasher.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::prompt::{TTL_5M, flatten};
    use serde_json::{Value, json};

    const MODEL: &str = "claude-sonnet-4-6";

    fn marked(text: &str, ttl: Option<&str>) -> Value {
        let mut cc = json!({"type": "ephemeral"});
        if let Some(ttl) = ttl {
            cc["ttl"] = json!(ttl);
        }
        json!({"type": "text", "text": text, "cache_control": cc})
    }

    fn request(system: &str, messages: Value) -> Vec<PromptBlock> {
        flatten(&json!({"system": [marked(system, None)], "messages": messages}))
    }

    fn long_system() -> String {
        "You are a careful assistant. ".repeat(300)
    }

    #[test]
    fn first_request_writes_and_identical_second_reads() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let blocks = request(&long_system(), json!([{"role": "user", "content": "hi"}]));
        let first = cache.apply(MODEL, &blocks, now);
        assert!(first.write_5m >= MIN_CACHEABLE_TOKENS, "{first:?}");
        assert_eq!((first.cache_read, first.write_1h), (0, 0));
        assert!(first.input_tokens > 0);
        let second = cache.apply(MODEL, &blocks, now + Duration::from_secs(10));
        assert_eq!(second.cache_read, first.write_5m);
        assert_eq!(
            (second.write_5m, second.input_tokens),
            (0, first.input_tokens)
        );
    }

    #[test]
    fn changed_system_or_model_misses() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let messages = json!([{"role": "user", "content": "hi"}]);
        cache.apply(MODEL, &request(&long_system(), messages.clone()), now);
        let changed = request(
            &format!("{} Today is Monday.", long_system()),
            messages.clone(),
        );
        let out = cache.apply(MODEL, &changed, now);
        assert_eq!(out.cache_read, 0);
        assert!(out.write_5m > 0);
        let other_model = cache.apply("claude-opus-5", &request(&long_system(), messages), now);
        assert_eq!(other_model.cache_read, 0);
    }

    #[test]
    fn short_prompts_never_cache() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let blocks = request("Be brief.", json!([{"role": "user", "content": "hi"}]));
        let total: u64 = blocks.iter().map(|b| b.tokens).sum();
        for _ in 0..2 {
            let out = cache.apply(MODEL, &blocks, now);
            assert_eq!(
                out,
                CacheOutcome {
                    input_tokens: total,
                    ..CacheOutcome::default()
                }
            );
        }
    }

    #[test]
    fn entries_expire_after_their_ttl_and_reads_refresh_them() {
        let mut cache = PromptCache::default();
        let start = Instant::now();
        let blocks = request(&long_system(), json!([{"role": "user", "content": "hi"}]));
        cache.apply(MODEL, &blocks, start);
        // Read at 4 minutes refreshes the 5-minute entry, so 8 minutes still hits.
        let four = start + Duration::from_secs(240);
        assert!(cache.apply(MODEL, &blocks, four).cache_read > 0);
        assert!(
            cache
                .apply(MODEL, &blocks, four + Duration::from_secs(240))
                .cache_read
                > 0
        );
        let late = four + Duration::from_secs(240) + TTL_5M;
        let out = cache.apply(MODEL, &blocks, late);
        assert_eq!(out.cache_read, 0);
        assert!(out.write_5m > 0);
    }

    #[test]
    fn one_hour_markers_write_one_hour_tokens_and_outlive_five_minutes() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let blocks = flatten(&json!({
            "system": [marked(&long_system(), Some("1h"))],
            "messages": [{"role": "user", "content": [marked(&"more context ".repeat(400), None)]}]
        }));
        let first = cache.apply(MODEL, &blocks, now);
        assert!(
            first.write_1h >= MIN_CACHEABLE_TOKENS && first.write_5m > 0,
            "{first:?}"
        );
        assert_eq!(first.input_tokens, 0);
        let later = cache.apply(MODEL, &blocks, now + Duration::from_secs(30 * 60));
        assert_eq!(later.cache_read, first.write_1h);
        assert_eq!(later.write_5m, first.write_5m);
    }

    #[test]
    fn moving_breakpoint_reads_the_previous_turn() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let turn1 = json!([{"role": "user", "content": [marked("question one", None)]}]);
        let first = cache.apply(MODEL, &request(&long_system(), turn1), now);
        let turn2 = json!([
            {"role": "user", "content": "question one"},
            {"role": "assistant", "content": "answer one"},
            {"role": "user", "content": [marked("question two", None)]}
        ]);
        let second = cache.apply(MODEL, &request(&long_system(), turn2), now);
        assert_eq!(second.cache_read, first.write_5m + first.cache_read);
        assert!(second.write_5m > 0 && second.write_5m < 40, "{second:?}");
        assert_eq!(second.input_tokens, 0);
    }

    #[test]
    fn minimums_follow_the_api_table_per_model() {
        let cases = [
            ("claude-opus-4-8", 4096),
            ("claude-opus-4-5-20251101", 4096),
            ("claude-opus-5", 4096),
            ("claude-haiku-4-5", 4096),
            ("claude-haiku-4-5-20251001", 4096),
            ("claude-sonnet-4-6", 2048),
            ("claude-sonnet-5-5", 2048),
            ("claude-fable-5", 2048),
            ("claude-3-5-haiku-20241022", 2048),
            ("claude-3-haiku-20240307", 2048),
            ("claude-sonnet-4-5", 1024),
            ("claude-opus-4-1-20250805", 1024),
            ("claude-opus-4-20250514", 1024),
            ("claude-3-7-sonnet-20250219", 1024),
            ("test-balanced", 1024),
        ];
        for (model, min) in cases {
            assert_eq!(min_cacheable_tokens(model), min, "{model}");
        }
        // The same ~1500-token prompt caches on Sonnet 4.5 but not on Sonnet 4.6 or Haiku.
        let blocks = request(
            &"Be exact. ".repeat(580),
            json!([{"role": "user", "content": "hi"}]),
        );
        let total: u64 = blocks.iter().map(|b| b.tokens).sum();
        assert!((1100..2000).contains(&total), "{total}");
        let now = Instant::now();
        let mut cache = PromptCache::default();
        assert!(cache.apply("claude-sonnet-4-5", &blocks, now).write_5m > 0);
        assert_eq!(cache.apply("claude-sonnet-4-6", &blocks, now).write_5m, 0);
        assert_eq!(
            cache.apply("claude-haiku-4-5", &blocks, now).input_tokens,
            total
        );
    }

    /// `n` user/assistant exchanges after the system prompt, the last user block marked.
    fn chat(n: usize) -> Value {
        let mut messages = Vec::new();
        for i in 0..n {
            messages.push(json!({"role": "user", "content": format!("question {i}")}));
            messages.push(json!({"role": "assistant", "content": format!("answer {i}")}));
        }
        messages.push(json!({"role": "user", "content": [marked("the last question", None)]}));
        Value::Array(messages)
    }

    #[test]
    fn the_lookback_reaches_twenty_blocks_back_and_no_further() {
        let now = Instant::now();
        // The first request marks only the system prompt (block 0); later requests mark only
        // their last block, `2n + 1` blocks after it.
        for (n, hit) in [(9, true), (10, false)] {
            let mut cache = PromptCache::default();
            let first = request(&long_system(), json!([{"role": "user", "content": "q"}]));
            cache.apply(MODEL, &first, now);
            let mut later = flatten(&json!({"system": long_system(), "messages": chat(n)}));
            let distance = later.len() - 1;
            assert_eq!(distance, 2 * n + 1);
            later[0].breakpoint = None;
            let out = cache.apply(MODEL, &later, now);
            assert_eq!(out.cache_read > 0, hit, "{distance} blocks back: {out:?}");
        }
    }

    #[test]
    fn changed_thinking_invalidates_messages_but_not_the_system_prompt() {
        let mut cache = PromptCache::default();
        let now = Instant::now();
        let messages =
            json!([{"role": "user", "content": [marked(&"context ".repeat(800), None)]}]);
        let body = |thinking: Value| json!({"system": [marked(&long_system(), None)], "messages": messages, "thinking": thinking});
        let first = cache.apply(MODEL, &flatten(&body(json!({"type": "disabled"}))), now);
        let same = cache.apply(MODEL, &flatten(&body(json!({"type": "disabled"}))), now);
        assert_eq!(same.cache_read, first.write_5m);
        let changed = cache.apply(MODEL, &flatten(&body(json!({"type": "adaptive"}))), now);
        let system_only = request(&long_system(), json!([]));
        let system_tokens: u64 = system_only.iter().map(|b| b.tokens).sum();
        assert_eq!(changed.cache_read, system_tokens, "{changed:?}");
        assert!(changed.write_5m > 0);
    }

    #[test]
    fn a_read_refreshes_the_earlier_breakpoints_too() {
        let mut cache = PromptCache::default();
        let start = Instant::now();
        let turn1 = json!([{"role": "user", "content": [marked("question one", None)]}]);
        cache.apply(MODEL, &request(&long_system(), turn1.clone()), start);
        // At 4 minutes a request reads the longer prefix; the system entry is a hit too.
        let four = start + Duration::from_secs(240);
        assert!(
            cache
                .apply(MODEL, &request(&long_system(), turn1), four)
                .cache_read
                > 0
        );
        // At 8 minutes another conversation with the same system prompt still finds it.
        let other = json!([{"role": "user", "content": [marked("something else", None)]}]);
        let eight = four + Duration::from_secs(240);
        let out = cache.apply(MODEL, &request(&long_system(), other), eight);
        assert!(out.cache_read >= MIN_CACHEABLE_TOKENS, "{out:?}");
    }
}
