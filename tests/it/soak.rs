//! The fault-injection soak (issue 12, point 3): 300 turns through the engine against a
//! mock that fails a seeded 20% of attempts (429 with `retry-after-ms`, 529, 500, 503,
//! drops before and after content, stalls before the first byte and mid-stream), with
//! millisecond backoff and 1.5 s timeouts, a store in a temporary directory as journal
//! and ledger. It prints its seed and figures (to the real stderr, so CI logs show them)
//! and asserts:
//!
//! - every turn ends answered, or with a clear error and, when text had been shown, that
//!   partial stored;
//! - turns answered completely: at least 99.5% of the turns no fault after visible content
//!   touched. A drop after text was shown is the one fault the client must not hide: it
//!   never re-sends a request whose content was shown, so such a turn ends with its
//!   partial; the figures report those turns separately and the overall share too;
//! - every request's usage is in the ledger exactly once (against the mock's own record);
//! - no turn is sent again after its content was shown.
//!
//! `CHATTERM_SOAK_SEED=N` replays another seed.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chatterm::api::retry::RetryPolicy;
use chatterm::api::{ApiError, ContentBlock, Role, Usage};
use chatterm::cost::{Ledger, Pricing};
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::MockServer;
use chatterm::mock::faults::{AttemptRecord, Fault, FaultPlan};
use chatterm::store::{ConversationId, DB_FILE, MessageStatus, Store};

use crate::common::*;

const TURNS: usize = 300;
/// A new conversation every this many turns keeps each request small.
const TURNS_PER_CONVERSATION: usize = 20;
const DEFAULT_SEED: u64 = 20_261_204;

/// How one turn ended.
enum Outcome {
    Answered,
    Failed {
        error: ApiError,
        partial: Option<String>,
        conversation: Option<String>,
    },
}

fn seed() -> u64 {
    std::env::var("CHATTERM_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

fn soak_engine(server: &MockServer, store: &Arc<Store>) -> EngineHandle {
    let mut config = test_config();
    config.chat.auto_title = false;
    config.api.max_retries = 3;
    config.api.first_byte_timeout = Duration::from_millis(1500);
    config.api.idle_timeout = Duration::from_millis(1500);
    let policy = RetryPolicy {
        max_retries: 3,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    };
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_retry_policy(policy)
        .with_journal(store.clone(), None)
        .with_ledger(store.clone())
        .spawn()
}

async fn run_turns(engine: &mut EngineHandle) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(TURNS);
    let mut conversation = None;
    for n in 0..TURNS {
        if n > 0 && n % TURNS_PER_CONVERSATION == 0 {
            engine.commands.send(Command::Clear).expect("clear");
            conversation = None;
        }
        let updates = turn(engine, &format!("soak turn {n}")).await;
        for u in &updates {
            if let Update::Conversation { id: Some(id) } = u {
                conversation = Some(id.clone());
            }
        }
        let outcome = match (finished(&updates), error(&updates)) {
            (Some(_), _) => Outcome::Answered,
            (None, Some((error, partial))) => Outcome::Failed {
                error: error.clone(),
                partial: partial.map(|p| p.text()),
                conversation: conversation.clone(),
            },
            (None, None) => panic!("turn {n} ended without an answer or an error"),
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// (input, output, cache read, cache write): what a ledger entry and the mock's record share.
fn key(u: &Usage) -> (u64, u64, u64, u64) {
    (
        u.input_tokens,
        u.output_tokens,
        u.cache_read_input_tokens,
        u.cache_creation_input_tokens,
    )
}

/// Whether a failed-or-interrupted answer with exactly `text` is stored in `conversation`.
fn partial_stored(store: &Store, conversation: &str, text: &str) -> bool {
    let Ok(id) = conversation.parse::<i64>() else {
        return false;
    };
    let Ok(loaded) = store.load(ConversationId(id)) else {
        return false;
    };
    loaded.messages.iter().any(|m| {
        let stored: String = m
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text(t) => Some(t.text.as_str()),
                _ => None,
            })
            .collect();
        m.role == Role::Assistant && m.status != MessageStatus::Complete && stored == text
    })
}

/// Turns (by prompt) that were sent again after an attempt had shown content.
fn resent_after_shown(attempts: &[AttemptRecord]) -> Vec<String> {
    let mut shown: HashMap<&str, bool> = HashMap::new();
    let mut resent = Vec::new();
    for a in attempts {
        if shown.get(a.prompt.as_str()).copied().unwrap_or(false) {
            resent.push(a.prompt.clone());
        }
        *shown.entry(&a.prompt).or_default() |= a.shown;
    }
    resent
}

/// What the soak found, counted.
#[derive(Default)]
struct Figures {
    attempts: usize,
    faults: BTreeMap<Fault, usize>,
    answered: usize,
    /// Turns a drop after visible content ended (by turn number).
    cut: Vec<usize>,
    answered_uncut: usize,
    /// Turns that failed with a shown partial, and how many of those partials are stored.
    partials: usize,
    stored: usize,
    /// Failed turns without a clear error, and cut turns without their partial.
    unclear: Vec<usize>,
    /// Usage the mock sent and usage in the ledger, sorted.
    sent: Vec<(u64, u64, u64, u64)>,
    ledger: Vec<(u64, u64, u64, u64)>,
    resent: Vec<String>,
    failures: Vec<String>,
}

impl Figures {
    fn count(outcomes: &[Outcome], attempts: &[AttemptRecord], store: &Store) -> Figures {
        let mut f = Figures {
            attempts: attempts.len(),
            resent: resent_after_shown(attempts),
            ..Figures::default()
        };
        for fault in attempts.iter().filter_map(|a| a.fault) {
            *f.faults.entry(fault).or_default() += 1;
        }
        let was_cut = |n: usize| {
            let prompt = format!("soak turn {n}");
            attempts
                .iter()
                .any(|a| a.prompt == prompt && a.fault == Some(Fault::DropAfterContent))
        };
        for (n, o) in outcomes.iter().enumerate() {
            let cut = was_cut(n);
            if cut {
                f.cut.push(n);
            }
            f.turn(n, o, cut, store);
        }
        f.sent = attempts
            .iter()
            .filter_map(|a| a.usage.as_ref())
            .map(key)
            .collect();
        let entries = store.entries_since(0).unwrap();
        f.ledger = entries.iter().map(|e| key(&e.usage)).collect();
        f.sent.sort_unstable();
        f.ledger.sort_unstable();
        f
    }

    fn turn(&mut self, n: usize, outcome: &Outcome, cut: bool, store: &Store) {
        let Outcome::Failed {
            error,
            partial,
            conversation,
        } = outcome
        else {
            self.answered += 1;
            self.answered_uncut += usize::from(!cut);
            return;
        };
        self.failures
            .push(format!("turn {n}: {error} (partial {partial:?})"));
        let clear = !matches!(error, ApiError::Cancelled) && !error.to_string().trim().is_empty();
        let partial = partial.as_deref().filter(|t| !t.is_empty());
        if !clear || (cut && partial.is_none()) {
            self.unclear.push(n);
        }
        if let Some(text) = partial {
            self.partials += 1;
            let stored = conversation
                .as_deref()
                .is_some_and(|c| partial_stored(store, c, text));
            self.stored += usize::from(stored);
        }
    }

    fn report(&self, seed: u64, took: Duration) -> String {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        let injected: usize = self.faults.values().sum();
        let kinds: Vec<String> = Fault::ALL
            .iter()
            .map(|k| format!("{} {}", k.name(), self.faults.get(k).copied().unwrap_or(0)))
            .collect();
        let uncut = TURNS - self.cut.len();
        format!(
            "soak: seed {seed} · {TURNS} turns · {} attempts · {injected} faults ({:.1}%): {}\n\
             soak: answered completely {}/{TURNS} ({:.1}%); of the turns no drop after shown \
             content ended {}/{uncut} ({:.1}%); failed {}, partials {}, stored {}\n\
             soak: ledger {} entries, mock sent usage {} times, match: {}; re-sent after \
             content shown: {}; {:.1} s",
            self.attempts,
            pct(injected, self.attempts),
            kinds.join(", "),
            self.answered,
            pct(self.answered, TURNS),
            self.answered_uncut,
            pct(self.answered_uncut, uncut),
            TURNS - self.answered,
            self.partials,
            self.stored,
            self.ledger.len(),
            self.sent.len(),
            self.sent == self.ledger,
            self.resent.len(),
            took.as_secs_f64(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_turns_under_twenty_percent_faults() {
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join(DB_FILE)).unwrap());
    let server = MockServer::start().await.unwrap();
    server.inject_faults(FaultPlan::new(seed));
    let mut engine = soak_engine(&server, &store);
    let began = Instant::now();
    let outcomes = run_turns(&mut engine).await;
    let took = began.elapsed();
    let f = Figures::count(&outcomes, &server.fault_attempts(), &store);
    let figures = f.report(seed, took);
    // Straight to the process's stderr: libtest captures eprintln!, CI logs should not.
    let _ = writeln!(std::io::stderr(), "{figures}");

    let failures = &f.failures;
    assert!(
        f.unclear.is_empty(),
        "turns without a clear error or their partial: {:?}\n{failures:#?}\n{figures}",
        f.unclear
    );
    assert_eq!(
        f.partials, f.stored,
        "a shown partial was not stored\n{figures}"
    );
    let uncut = TURNS - f.cut.len();
    assert!(
        f.answered_uncut as f64 >= 0.995 * uncut as f64,
        "answered below 99.5%: {failures:#?}\n{figures}"
    );
    assert!(f.sent == f.ledger, "ledger and mock disagree\n{figures}");
    assert!(
        f.resent.is_empty(),
        "sent again after content was shown: {:?}\n{figures}",
        f.resent
    );
    assert_eq!(
        f.faults.len(),
        Fault::ALL.len(),
        "a fault kind never drawn\n{figures}"
    );
}
