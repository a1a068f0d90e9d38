//! Prompt-cache simulation following the real API's prefix rules (reference §5.1).
//!
//! The model:
//! - The prompt is the flat block list of [`super::prompt`]. A block with `cache_control`
//!   is a *breakpoint*. The prefix up to and including a breakpoint is a cache entry, keyed
//!   by a hash of the model and the canonical JSON of every block in the prefix (markers
//!   excluded, so a moved marker still matches).
//! - Prefixes shorter than [`MIN_CACHEABLE_TOKENS`] are never cached; a breakpoint that
//!   short is ignored, and a request whose breakpoints are all that short is all input.
//! - Read: the longest prefix that is in the cache and not expired, ending at any block
//!   within [`LOOKBACK_BLOCKS`] blocks before one of the request's breakpoints. This is
//!   how a "moving" breakpoint on the newest user message finds the entry the previous
//!   turn wrote at *its* last block, which now carries no marker. A read refreshes the
//!   entry's TTL.
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

/// Shorter prefixes are silently not cached, like the API (1024 is the smallest minimum).
pub const MIN_CACHEABLE_TOKENS: u64 = 1024;
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
        let breakpoints: Vec<usize> = (0..blocks.len())
            .filter(|&i| blocks[i].breakpoint.is_some() && cumulative[i] >= MIN_CACHEABLE_TOKENS)
            .collect();
        let Some(&last) = breakpoints.last() else {
            return CacheOutcome {
                input_tokens: total,
                ..CacheOutcome::default()
            };
        };
        let read_at = self.longest_hit(blocks, &hashes, last);
        let read_tokens = read_at.map_or(0, |i| cumulative[i]);
        if let Some(entry) = read_at.and_then(|i| self.entries.get_mut(&hashes[i])) {
            entry.expires = now + entry.ttl;
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
}
