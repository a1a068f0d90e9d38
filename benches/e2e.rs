//! End to end over real HTTP on loopback: the mock server (`chatterm::mock::MockServer`)
//! streams an answer, the real client (reqwest, SSE decoding, accumulation) and engine turn
//! it into updates, and the app handles them, schedules frames and draws each frame
//! through ratatui into a 200x60 TestBackend, as `tui::run`'s event loop does with a real
//! terminal.
//!
//! - `e2e/loopback_full_speed`: one answer of 20,000 word deltas (about 140 KB of
//!   markdown with code) sent as fast as the mock writes. Criterion's throughput is deltas
//!   per second; the figure of the same id records deltas/s and frames drawn. Reported.
//! - `e2e/paced_5000_deltas_per_second` (figure, real time): about three seconds of an
//!   answer paced at 60 deltas every 10 ms (5,000+ a second; the mock's sleeps only ever
//!   run long, so the delivered rate is measured and recorded). Records the delivered
//!   deltas/s, frames per second, and the CPU time of the client side (the runtime's
//!   threads and the thread running the app loop) as a percentage of one core.
//!   Budget: at most 60 frames/s and at most 25% of one core.
//!
//! The mock runs on a runtime of its own (threads named `mock`), so its CPU is not counted;
//! the client side runs on a two-worker runtime like the binary's on a 2-core machine
//! (threads named `app`), with the app loop on the bench's main thread, as in `main.rs`.

#![allow(clippy::unwrap_used)]

// Shared with the frame bench, which uses the rest of it (the long conversation).
#[allow(dead_code)]
#[path = "support/conversation.rs"]
mod conversation;
#[path = "support/figures.rs"]
mod figures;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use serde_json::json;
use tokio::runtime::Runtime;
use tokio::time::Instant;

use chatterm::api::{Auth, Client, ClientOptions, Usage};
use chatterm::config::Config;
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::script::split_words;
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::tui;
use tui::app::Effect;
use tui::run::frame::FrameScheduler;

const FULL_SPEED_DELTAS: usize = 20_000;
/// The paced stream: this many deltas per write, one write every `TICK`.
const PER_TICK: usize = 60;
const TICK: Duration = Duration::from_millis(10);
const PACED_SECONDS: usize = 3;
const LAST_WORDS: &str = "end-of-stream-marker";

/// `n` word deltas of markdown answers (prose, lists, code), ending with `LAST_WORDS`.
fn answer_deltas(n: usize) -> Vec<String> {
    let mut words = Vec::with_capacity(n + 64);
    let mut i = 0;
    while words.len() < n {
        words.extend(split_words(&conversation::reply(i)));
        i += 1;
    }
    words.truncate(n.saturating_sub(1));
    words.push(format!("\n\n{LAST_WORDS}"));
    words
}

fn start_step() -> Step {
    let usage = Usage {
        input_tokens: 12,
        output_tokens: 1,
        ..Usage::default()
    };
    Step::Start { usage }
}

fn full_speed_script(deltas: Vec<String>) -> Script {
    let n = deltas.len() as u64;
    Script::new(vec![start_step(), Step::Text(deltas), Step::end_turn(n)])
}

fn sse(data: serde_json::Value) -> String {
    let name = data["type"].as_str().unwrap().to_owned();
    format!("event: {name}\ndata: {data}\n\n")
}

/// The answer as raw SSE written `PER_TICK` deltas at a time, with a stall after each.
fn paced_script(deltas: &[String]) -> Script {
    let mut steps = vec![start_step()];
    let block = json!({"type": "text", "text": ""});
    let start = json!({"type": "content_block_start", "index": 0, "content_block": block});
    steps.push(Step::Raw(sse(start)));
    for group in deltas.chunks(PER_TICK) {
        let mut write = String::new();
        for text in group {
            let delta = json!({"type": "text_delta", "text": text});
            let data = json!({"type": "content_block_delta", "index": 0, "delta": delta});
            write.push_str(&sse(data));
        }
        steps.push(Step::Raw(write));
        steps.push(Step::Stall(TICK));
    }
    steps.push(Step::Raw(sse(
        json!({"type": "content_block_stop", "index": 0}),
    )));
    steps.push(Step::end_turn(deltas.len() as u64));
    Script::new(steps)
}

/// CPU time of the client side: the threads named `app*` and the calling thread.
fn client_cpu() -> Duration {
    let ns = |path: &std::path::Path| -> u64 {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let mut total = ns("/proc/thread-self/schedstat".as_ref());
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.starts_with("app") {
            total += ns(&task.path().join("schedstat"));
        }
    }
    Duration::from_nanos(total)
}

/// What one streamed answer cost.
struct Run {
    deltas: usize,
    frames: usize,
    elapsed: Duration,
    cpu: Duration,
}

/// Sends one message and runs the app's loop until the answer is finished and drawn.
async fn stream_turn(engine: &mut EngineHandle) -> Run {
    let mut app = conversation::new_app();
    let screen = Rect::new(0, 0, 200, 60);
    let mut terminal = Terminal::new(TestBackend::new(screen.width, screen.height)).unwrap();
    let mut frames = FrameScheduler::new();
    let (mut deltas, mut drawn, mut done) = (0, 0, false);
    let cpu = client_cpu();
    let start = std::time::Instant::now();
    app.send_message("Stream a long answer, please.".into());
    forward(&mut app, engine);
    let mut draw = |app: &mut tui::app::App| {
        app.prepare(screen);
        terminal
            .draw(|f| {
                let area = f.area();
                app.render(area, f.buffer_mut());
            })
            .unwrap();
    };
    while !done {
        tokio::select! {
            biased;
            update = engine.updates.recv() => {
                let mut batch = vec![update.unwrap()];
                while let Ok(u) = engine.updates.try_recv() {
                    batch.push(u);
                }
                let now = Instant::now();
                for u in batch {
                    match &u {
                        Update::TextDelta { .. } => deltas += 1,
                        Update::TurnFinished { .. } => done = true,
                        Update::Error { error, .. } => panic!("the turn failed: {error}"),
                        _ => {}
                    }
                    app.on_update(u, now);
                }
                forward(&mut app, engine);
                frames.request();
            }
            now = frames.next_frame() => {
                if let Some(next) = app.tick(now) {
                    frames.request_in(next.saturating_duration_since(now));
                }
                draw(&mut app);
                drawn += 1;
            }
        }
    }
    // The finished answer's frame, as the loop would draw it next.
    draw(&mut app);
    drawn += 1;
    let run = Run {
        deltas,
        frames: drawn,
        elapsed: start.elapsed(),
        cpu: client_cpu().saturating_sub(cpu),
    };
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains(LAST_WORDS),
        "the end of the answer is not on screen:\n{screen}"
    );
    run
}

/// Sends the app's engine commands on; other effects do not apply here.
fn forward(app: &mut tui::app::App, engine: &EngineHandle) {
    for effect in app.take_effects() {
        if let Effect::Engine(command) = effect {
            engine.commands.send(command).unwrap();
        }
    }
}

struct Setup {
    /// Kept for its lifetime: dropping the runtime stops the mock server.
    _mock: Runtime,
    client_side: Runtime,
    server: MockServer,
    engine: EngineHandle,
}

fn setup() -> Setup {
    let mock = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("mock")
        .enable_all()
        .build()
        .unwrap();
    let client_side = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("app")
        .enable_all()
        .build()
        .unwrap();
    let server = mock.block_on(MockServer::start()).unwrap();
    let options = ClientOptions::new(server.url(), Auth::ApiKey("sk-bench".into()));
    let client = Client::new(options).unwrap();
    let engine = {
        let _context = client_side.enter();
        Engine::new(client, &Config::default(), Pricing::embedded()).spawn()
    };
    Setup {
        _mock: mock,
        client_side,
        server,
        engine,
    }
}

impl Setup {
    /// Streams `script` once, starting from an empty conversation.
    fn run(&mut self, script: Script) -> Run {
        self.engine.commands.send(Command::Clear).unwrap();
        self.server.enqueue(Reply::Script(script));
        self.client_side.block_on(stream_turn(&mut self.engine))
    }
}

fn full_speed(c: &mut Criterion, s: &mut Setup) {
    let deltas = answer_deltas(FULL_SPEED_DELTAS);
    let mut last = None;
    let mut group = c.benchmark_group("e2e");
    group.sample_size(10);
    group.throughput(Throughput::Elements(deltas.len() as u64));
    group.bench_function("loopback_full_speed", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let run = s.run(full_speed_script(deltas.clone()));
                assert_eq!(run.deltas, deltas.len());
                total += run.elapsed;
                last = Some(run);
            }
            total
        });
    });
    group.finish();
    if let Some(run) = last {
        let secs = run.elapsed.as_secs_f64();
        figures::record(
            "e2e/loopback_full_speed",
            &[
                ("deltas_per_s", run.deltas as f64 / secs),
                ("frames", run.frames as f64),
                ("frames_per_s", run.frames as f64 / secs),
                ("cpu_percent", 100.0 * run.cpu.as_secs_f64() / secs),
            ],
        );
    }
}

fn paced(s: &mut Setup) {
    const ID: &str = "e2e/paced_5000_deltas_per_second";
    if !figures::wanted(ID) {
        return;
    }
    let deltas = answer_deltas(PACED_SECONDS * 1000 / TICK.as_millis() as usize * PER_TICK);
    let run = s.run(paced_script(&deltas));
    assert_eq!(run.deltas, deltas.len());
    let secs = run.elapsed.as_secs_f64();
    figures::record(
        ID,
        &[
            ("deltas_per_s", run.deltas as f64 / secs),
            ("frames_per_s", run.frames as f64 / secs),
            ("cpu_percent", 100.0 * run.cpu.as_secs_f64() / secs),
            ("seconds", secs),
        ],
    );
}

fn e2e(c: &mut Criterion) {
    let mut s = setup();
    paced(&mut s);
    full_speed(c, &mut s);
}

criterion_group!(benches, e2e);
criterion_main!(benches);
