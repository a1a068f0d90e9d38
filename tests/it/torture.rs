//! The crash-consistency torture test (issue 12, point 2): the real binary, killed with
//! SIGKILL at seeded random moments, then the store reopened and checked.
//!
//! Scenes, each run in its own data directory against its own mock server:
//! - **text**: `-p` while a slow answer streams (one word every 25 ms), killed anywhere
//!   from start-up to after the answer;
//! - **tool**: `-p --approve-all` while the model's `run_command` call streams, runs
//!   (`sleep`) and its results travel, and while the answer after it streams;
//! - **title**: the line mode after its first answer, while the background title request
//!   hangs at the mock;
//! - **approval**: the full-screen mode under tmux while a call awaits approval
//!   (`tui_tmux/torture.rs`, through [`check`]).
//!
//! After each kill, [`check`] asserts: `PRAGMA integrity_check` is ok; every user message
//! the mock received is stored; opening leaves no `streaming` row; a stored partial is a
//! prefix of what the mock sent and holds everything the program had printed
//! [`CHECKPOINT_EVERY`] plus [`SLACK`] before the kill; the next `--continue` succeeds
//! (the mock validates every request like the API) and leaves a stored history that
//! passes the same validation.
//!
//! The moments come from a seed, printed first (shown when the test fails); set
//! [`SEED_VAR`] to repeat a run.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatterm::api::{Role, StopReason};
use chatterm::engine::journal::CHECKPOINT_EVERY;
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::store::{DB_FILE, MessageStatus, Store};

use crate::binary::*;
use crate::common::*;
use crate::crash::valid_history;

/// Set to a number to repeat a run's kill moments.
pub const SEED_VAR: &str = "CHATTERM_TORTURE_SEED";
/// How late the test may see printed text compared to the program (a loaded machine).
pub const SLACK: Duration = Duration::from_millis(250);
/// The longest any run lost (see [`check_partial`]), for the summary line.
static WORST_LOSS: Mutex<Duration> = Mutex::new(Duration::ZERO);

/// The delay between two words of a slow answer.
const WORD_EVERY: Duration = Duration::from_millis(25);

/// The seed in force: [`SEED_VAR`], else the clock. Printed so a failure can be repeated.
pub fn seed() -> u64 {
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("torture seed: {seed} (set {SEED_VAR}={seed} to repeat)");
    seed
}

/// splitmix64: reproducible moments from the seed, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }

    pub fn millis(&mut self, max: u64) -> Duration {
        Duration::from_millis(self.below(max + 1))
    }
}

/// The words of run `run`'s slow answer: unique to it, so its partial is easy to find.
pub fn words(run: usize, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("r{run}w{i:02} ")).collect()
}

/// An answer streaming `words` one block per word, [`WORD_EVERY`] apart.
pub fn slow_answer(words: &[String]) -> Reply {
    let mut steps = Vec::new();
    for w in words {
        steps.push(Step::text(w));
        steps.push(Step::Stall(WORD_EVERY));
    }
    steps.push(Step::end_turn(9));
    Reply::Script(Script::new(steps))
}

/// What one run expects of its store after the kill.
pub struct Expect<'a> {
    /// The home the program ran in (its store is in `data/`, perhaps not created yet).
    pub data: &'a tempfile::TempDir,
    /// The slow answer's words, and what the program had printed of them, by when.
    pub words: &'a [String],
    pub printed: &'a [(Instant, usize)],
    pub killed_at: Instant,
    /// Whether the continuation may offer tools (the history may hold tool blocks).
    pub tools: bool,
    /// Names the run in every failure: seed, scene, run, moment.
    pub ctx: &'a str,
}

fn db_path(data: &tempfile::TempDir) -> PathBuf {
    data_dir(data).join(DB_FILE)
}

/// The typed text of every user message the mock received (title requests left out).
fn sent_user_texts(server: &MockServer) -> Vec<String> {
    let mut texts = Vec::new();
    for body in message_bodies(server) {
        for m in body["messages"].as_array().into_iter().flatten() {
            if m["role"] != "user" {
                continue;
            }
            for b in m["content"].as_array().into_iter().flatten() {
                if let Some(t) = b["text"].as_str().filter(|t| !t.contains("Write a title")) {
                    texts.push(t.to_owned());
                }
            }
        }
    }
    texts
}

fn integrity(path: &Path, ctx: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok", "{ctx}: integrity_check");
}

/// What a kill left, for the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Killed before the store was created.
    NoStore,
    /// No answer row yet (before the first content, or while a tool ran).
    NoAnswer,
    /// The slow answer cut short.
    Partial,
    /// The slow answer complete.
    Complete,
}

/// The store after a kill: see the module docs. Then `--continue` and its history.
pub async fn check(server: &MockServer, expect: &Expect<'_>) -> Outcome {
    let ctx = expect.ctx;
    let path = db_path(expect.data);
    let sent = sent_user_texts(server);
    let mut before = None;
    let mut outcome = Outcome::NoStore;
    if path.exists() {
        integrity(&path, ctx);
        let store = Store::open(&path).unwrap_or_else(|e| panic!("{ctx}: reopening: {e}"));
        outcome = check_rows(&store, &sent, expect);
        before = store.latest().unwrap().map(|id| store.load(id).unwrap());
    } else {
        assert!(sent.is_empty(), "{ctx}: sent {sent:?} but no store");
    }
    // The next start continues the conversation with a valid request.
    server.enqueue(Reply::Script(Script::text("Carrying on.")));
    let mut cmd = against(server, expect.data);
    cmd.args(["-p", "-c", "after the crash"]);
    if !expect.tools {
        cmd.arg("--no-tools");
    }
    let out = output(cmd).await;
    assert!(
        out.status.success(),
        "{ctx}: --continue failed: {}",
        text(&out.stderr)
    );
    let store = Store::open(&path).unwrap();
    let latest = store.latest().unwrap().unwrap();
    let after = store.load(latest).unwrap();
    if let Some(before) = before.filter(|b| b.summary.id == latest) {
        // The continuation added its question and answer after what was there, in rows
        // of its own: nothing stored before changed.
        assert_eq!(
            after.messages.len(),
            before.messages.len() + 2,
            "{ctx}: {:?}",
            after.messages
        );
        assert_eq!(
            after.messages[..before.messages.len()],
            before.messages[..],
            "{ctx}: --continue changed stored rows"
        );
    }
    let history = after.history();
    if let Err(e) = valid_history(&history) {
        panic!("{ctx}: the stored history is not valid: {e}\n{history:?}");
    }
    outcome
}

fn check_rows(store: &Store, sent: &[String], expect: &Expect<'_>) -> Outcome {
    let ctx = expect.ctx;
    let mut users = Vec::new();
    let mut answered: Vec<String> = Vec::new();
    for summary in store.list(None, 100).unwrap() {
        let loaded = store.load(summary.id).unwrap();
        for m in &loaded.messages {
            assert_ne!(m.status, MessageStatus::Streaming, "{ctx}: after opening");
            let text = m.to_message().text();
            match m.role {
                Role::User => users.push(text),
                Role::Assistant => answered.push(text),
            }
        }
    }
    for s in sent {
        assert!(
            users.iter().any(|u| u.contains(s.as_str())),
            "{ctx}: {s:?} was sent but not stored; stored {users:?}"
        );
    }
    check_partial(&answered, expect)
}

/// The slow answer as stored: a prefix of what was sent, holding what was printed in time.
fn check_partial(answered: &[String], expect: &Expect<'_>) -> Outcome {
    let ctx = expect.ctx;
    let Some(prefix) = expect
        .words
        .first()
        .map(|w| &w[..w.find('w').unwrap_or(0) + 1])
    else {
        return Outcome::NoAnswer;
    };
    let stored: Vec<&str> = answered
        .iter()
        .flat_map(|t| t.split_whitespace())
        .filter(|w| w.starts_with(prefix))
        .collect();
    let sent: Vec<&str> = expect.words.iter().map(|w| w.trim()).collect();
    assert!(
        sent.starts_with(&stored),
        "{ctx}: stored {stored:?} is not a prefix of the answer"
    );
    // How long before the kill the first word that was not stored had been printed.
    let lost_for = expect
        .printed
        .iter()
        .find(|(_, n)| *n > stored.len())
        .map(|(at, _)| expect.killed_at.saturating_duration_since(*at));
    if let Some(lost_for) = lost_for {
        assert!(
            lost_for <= CHECKPOINT_EVERY + SLACK,
            "{ctx}: {} words stored, but more had been printed {} ms before the kill",
            stored.len(),
            lost_for.as_millis()
        );
        let mut worst = WORST_LOSS.lock().unwrap();
        *worst = (*worst).max(lost_for);
    }
    match stored.len() {
        0 => Outcome::NoAnswer,
        n if n == sent.len() => Outcome::Complete,
        _ => Outcome::Partial,
    }
}

/// When the test saw how many of a run's answer words printed, in order.
type Printed = Arc<Mutex<Vec<(Instant, usize)>>>;

/// Reads a child's stdout to the end, noting when each count of `prefix` words was seen.
fn watch_stdout(
    mut stdout: impl Read + Send + 'static,
    prefix: String,
) -> (Printed, std::thread::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
            // Whole words only: the last one may still be arriving.
            let count = all
                .split_whitespace()
                .filter(|w| w.starts_with(&prefix))
                .count()
                .saturating_sub(usize::from(!all.ends_with(char::is_whitespace)));
            log.lock().unwrap().push((Instant::now(), count));
        }
    });
    (seen, reader)
}

#[derive(Debug, Clone, Copy)]
enum Scene {
    Text,
    Tool,
    Title,
}

/// Queues the scene's replies and sets its command line up.
fn prepare(
    scene: Scene,
    run: usize,
    answer: &[String],
    data: &tempfile::TempDir,
    server: &MockServer,
) -> std::process::Command {
    let prompt = format!("question of run {run}");
    let mut cmd = against(server, data);
    match scene {
        Scene::Text => {
            server.enqueue(slow_answer(answer));
            cmd.args(["-p", "--no-tools", &prompt]);
        }
        Scene::Tool => {
            let input = r#"{"command": "sleep 0.4; echo ran"}"#;
            let call = Step::tool_use(&format!("toolu_torture{run}"), "run_command", &[input]);
            let steps = vec![call, Step::stop(StopReason::ToolUse, 20)];
            server.enqueue(Reply::Script(Script::new(steps)));
            server.enqueue(slow_answer(answer));
            cmd.args(["-p", "--approve-all", &prompt]);
        }
        Scene::Title => {
            // The line mode, its question on stdin (see `one_run`).
            server.enqueue(Reply::Script(Script::text(&answer.concat())));
            server.enqueue_matching("Write a title", Reply::Hang(Duration::from_secs(30)));
            let config = write_file(data, "config.toml", "[chat]\nauto_title = true\n");
            cmd.arg("--no-tools")
                .env("CHATTERM_CONFIG", config)
                .stdin(Stdio::piped());
        }
    }
    cmd
}

/// One print- or line-mode run: start, wait, SIGKILL, check.
async fn one_run(scene: Scene, run: usize, kill_after: Duration, seed: u64) -> Outcome {
    let ctx = format!(
        "seed {seed} run {run} ({scene:?}, SIGKILL after {} ms)",
        kill_after.as_millis()
    );
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let answer = words(run, if matches!(scene, Scene::Text) { 30 } else { 10 });
    let mut cmd = prepare(scene, run, &answer, &data, &server);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let prefix = answer[0][..answer[0].find('w').unwrap() + 1].to_owned();
    let (printed, reader) = watch_stdout(child.stdout.take().unwrap(), prefix);
    let _stdin = child.stdin.take().map(|mut stdin| {
        writeln!(stdin, "question of run {run}").unwrap();
        stdin // kept open: the line mode waits for more
    });
    if matches!(scene, Scene::Title) {
        until_title_requested(&server, &ctx).await;
    }
    tokio::time::sleep(kill_after).await;
    let killed_at = Instant::now();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    let printed = printed.lock().unwrap().clone();
    let expect = Expect {
        data: &data,
        words: &answer,
        printed: &printed,
        killed_at,
        tools: matches!(scene, Scene::Tool),
        ctx: &ctx,
    };
    check(&server, &expect).await
}

async fn until_title_requested(server: &MockServer, ctx: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !message_bodies(server)
        .iter()
        .any(|b| b.to_string().contains("Write a title"))
    {
        assert!(Instant::now() < deadline, "{ctx}: no title request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// 36 runs of the print and line modes, three at a time (the tmux scene adds its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_torture_sigkill_at_random_moments_loses_nothing_sent() {
    let seed = seed();
    let mut rng = Rng::new(seed);
    let mut plan = Vec::new();
    for run in 0..36 {
        let (scene, max_ms) = match run % 6 {
            0..=2 => (Scene::Text, 1_100),
            3 | 4 => (Scene::Tool, 1_600),
            _ => (Scene::Title, 300),
        };
        plan.push((scene, run, rng.millis(max_ms)));
    }
    let started = Instant::now();
    let pool = Arc::new(tokio::sync::Semaphore::new(3));
    let mut runs = tokio::task::JoinSet::new();
    for (scene, run, kill_after) in plan {
        let pool = pool.clone();
        runs.spawn(async move {
            let _slot = pool.acquire_owned().await.unwrap();
            one_run(scene, run, kill_after, seed).await
        });
    }
    let mut outcomes = std::collections::BTreeMap::new();
    while let Some(done) = runs.join_next().await {
        match done {
            Ok(outcome) => *outcomes.entry(outcome).or_insert(0) += 1,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    eprintln!(
        "torture: 36 runs in {:.1} s, seed {seed}: {outcomes:?}; the most lost: what was \
         printed in the last {} ms",
        started.elapsed().as_secs_f64(),
        WORST_LOSS.lock().unwrap().as_millis()
    );
}
