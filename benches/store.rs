//! The conversation store at scale: 10,000 conversations and 1 million messages.
//!
//! Targets (issue 6): the picker's first page lists in under 50 ms, and a 2,000-message
//! conversation loads in under 100 ms. Also measured: a search page, for reference.
//!
//! The database is built once (about a minute: bulk inserts, 1,000 conversations per
//! transaction, search index included) into the target directory's temp folder and reused
//! by later runs while its shape matches.

// A benchmark whose set-up fails has nothing to measure: it stops there.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

use chatterm::api::{ContentBlock, Role, Usage};
use chatterm::cost::{Ledger, LedgerEntry};
use chatterm::store::{ConversationId, Store, stored};

const CONVERSATIONS: usize = 10_000;
const MESSAGES_EACH: usize = 100;
const BIG: usize = 2_000;
const BATCH: usize = 1_000;

const WORDS: &[&str] = &[
    "rust", "lifetime", "borrow", "checker", "async", "tokio", "future", "trait", "generic",
    "closure", "iterator", "vector", "string", "slice", "error", "result", "option", "match",
    "thread", "channel", "mutex", "sqlite", "index", "query", "terminal", "render", "widget",
    "stream", "token", "cache", "model", "prompt", "answer", "question", "tea", "garden", "bread",
    "travel", "budget", "music", "piano", "history", "physics", "orbit", "recipe",
];

/// Deterministic text of about `words` words.
fn text(seed: usize, words: usize) -> String {
    let mut x = seed as u64 * 6_364_136_223_846_793_005 + 1_442_695_040_888_963_407;
    let mut out = String::new();
    for _ in 0..words {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
    }
    out
}

fn messages(conversation: usize, n: usize) -> Vec<chatterm::store::StoredMessage> {
    (0..n)
        .map(|i| {
            let seed = conversation * 10_007 + i;
            let (role, words) = if i % 2 == 0 {
                (Role::User, 12)
            } else {
                (Role::Assistant, 40)
            };
            stored(i as i64, role, vec![ContentBlock::text(text(seed, words))])
        })
        .collect()
}

fn build(path: &Path) -> ConversationId {
    let started = Instant::now();
    let store = Store::open(path).expect("open");
    let mut big = None;
    for batch in 0..CONVERSATIONS / BATCH {
        let convs: Vec<(String, Vec<_>)> = (0..BATCH)
            .map(|j| {
                let c = batch * BATCH + j;
                let n = if c == 0 { BIG } else { MESSAGES_EACH };
                (text(c, 5), messages(c, n))
            })
            .collect();
        let items = convs.iter().enumerate().map(|(j, (title, msgs))| {
            let at = 1_700_000_000_000 + ((batch * BATCH + j) as i64) * 60_000;
            (title.as_str(), "claude-sonnet-4-6", at, msgs.as_slice())
        });
        let ids = store.import(items).expect("import");
        if batch == 0 {
            big = ids.first().copied();
        }
        for id in ids.iter().step_by(5) {
            let entry = LedgerEntry {
                at_ms: 1_700_000_000_000,
                conversation: Some(id.to_string()),
                model: "claude-sonnet-4-6".into(),
                tier: None,
                usage: Usage::default(),
                cost_usd: Some(0.01),
                latency_ms: 900,
                fell_back: false,
            };
            store.record(&entry).expect("ledger");
        }
    }
    eprintln!(
        "built {CONVERSATIONS} conversations, {} messages in {:.1} s",
        (CONVERSATIONS - 1) * MESSAGES_EACH + BIG,
        started.elapsed().as_secs_f64()
    );
    big.expect("the big conversation")
}

/// The database, built on first use; reused while it has the expected shape.
fn database() -> (PathBuf, ConversationId) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("store-bench-v1.db");
    if let Ok(store) = Store::open(&path) {
        let first = ConversationId(1);
        let shape = store.list(None, 1).ok().map(|p| p.len()).unwrap_or(0) == 1
            && store.load(first).map(|c| c.messages.len()).unwrap_or(0) == BIG
            && store
                .summary(ConversationId(CONVERSATIONS as i64))
                .is_ok_and(|s| s.message_count == MESSAGES_EACH as i64);
        if shape {
            return (path, first);
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let big = build(&path);
    (path, big)
}

fn bench(c: &mut Criterion) {
    let (path, big) = database();
    // Opened as chatterm opens it at start: a fresh connection, migrations checked.
    let store = Store::open(&path).expect("open");
    let mut group = c.benchmark_group("store");
    group.bench_function("picker_first_page", |b| {
        b.iter(|| {
            let page = store.list(None, 50).expect("list");
            assert_eq!(page.len(), 50);
            page
        });
    });
    group.bench_function("picker_search_page", |b| {
        b.iter(|| store.list(Some("borrow check"), 50).expect("search"));
    });
    group.bench_function("load_2000_messages", |b| {
        b.iter(|| {
            let loaded = store.load(big).expect("load");
            assert_eq!(loaded.messages.len(), BIG);
            loaded
        });
    });
    group.bench_function("open_store", |b| {
        b.iter(|| Store::open(&path).expect("open"));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
