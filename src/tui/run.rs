//! The event loop: terminal events, engine updates, `/extract` events and frames, in one
//! biased `select!`.
//!
//! Order of preference: terminal input first (so keys stay responsive under a fast stream),
//! then engine updates and extraction events, then frames, then signals. The input branch wins every turn while
//! input is queued and the update branch drains its channel, so all queued events are
//! handled before a frame is drawn. Nothing is drawn in those branches: a
//! branch only *requests* a frame, and the [`FrameScheduler`] coalesces requests into at
//! most 60 draws a second, and none at all while nothing changes.
//!
//! The app ([`App`]) never does IO; this loop carries out its [`Effect`]s: commands to the
//! engine, OSC 52 clipboard writes, mouse capture, reading today's spend from the usage
//! ledger, loading an `/extract` schema and starting or cancelling an extraction's task
//! ([`Extractions`]), quitting. The terminal is restored by [`TerminalSession`]'s drop on every way
//! out, and by the panic hook on a panic.

use std::io;
use std::sync::Arc;

use crossterm::event::{Event, EventStream, MouseEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures::StreamExt;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

use chatterm::engine::{Command, EngineHandle};
use chatterm::store::Store;

use super::app::{App, AppOptions, Effect};
use super::cells::NoticeKind;
use super::extract_task::{self, ExtractService, Extractions};
use super::frame::FrameScheduler;
use super::run_store::{self, StoreLink};
use super::terminal::{self, TerminalSession};
use super::{clipboard, highlight};

/// Runs the TUI until the user quits. The terminal is restored however this returns.
/// `initial` is a first message to send at once (the prompt given on the command line);
/// `/extract` runs with `extract`.
pub async fn run(
    options: AppOptions,
    mut engine: EngineHandle,
    extract: ExtractService,
    initial: Option<String>,
    store: StoreLink,
) -> io::Result<Option<String>> {
    terminal::install_panic_hook();
    let mut session = TerminalSession::enter(options.mouse_capture)?;
    let mut app = App::new(options);
    let mut io = Io {
        engine: &mut engine,
        extractions: Extractions::new(extract),
        store: store.store.clone(),
    };
    app.set_shift_enter_works(session.keyboard_enhanced());
    refresh_spend(&mut app);
    if store.store.is_temporary() {
        app.notice(
            NoticeKind::Info,
            "temporary store: conversations are not saved after you quit",
        );
    }
    if let Some(loaded) = &store.resumed {
        // Without the outcomes the panels still show; they only lose "not run" and times.
        let outcomes = store.store.tool_outcomes(loaded.summary.id);
        app.show_conversation(loaded, &outcomes.unwrap_or_default());
    }
    if let Some(text) = initial {
        app.send_initial(text);
        apply_effects(&mut app, &mut session, &mut io)?;
    }
    // The first frame goes out before anything slow: syntect's sets load after it.
    let more = draw(&mut session, &mut app)?;
    tokio::task::spawn_blocking(highlight::warm);
    event_loop(&mut app, &mut session, &mut io, more).await?;
    io.extractions.cancel_all();
    if app.is_busy() {
        let _ = io.engine.commands.send(Command::Cancel);
    }
    // A temporary store is gone after this: nothing to resume.
    Ok(app.resume_hint().filter(|_| !store.store.is_temporary()))
}

/// Where the app's effects go: the engine, the extraction tasks and the store.
struct Io<'a> {
    engine: &'a mut EngineHandle,
    extractions: Extractions,
    store: Arc<Store>,
}

/// The loop itself, until the user quits, a signal arrives or the terminal goes away.
/// `more_layout` says the first frame left layout work for the next.
async fn event_loop(
    app: &mut App,
    session: &mut TerminalSession,
    io: &mut Io<'_>,
    more_layout: bool,
) -> io::Result<()> {
    let mut events = EventStream::new();
    let mut frames = FrameScheduler::new();
    if more_layout {
        frames.request();
    }
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            biased;
            event = events.next() => {
                // One event per turn of the loop: being first in a biased select, this branch
                // wins again while more input is queued, so every queued event is handled
                // before a frame is drawn. (Polling the stream with a no-op waker to drain it
                // would lose crossterm's wake-up and stall input.)
                let Some(event) = event else { break };
                if on_event(app, event?) {
                    frames.request();
                }
            }
            update = io.engine.updates.recv() => {
                let Some(update) = update else {
                    app.notice(NoticeKind::Error, "the engine stopped; restart chatterm");
                    frames.request();
                    continue;
                };
                let now = Instant::now();
                app.on_update(update, now);
                while let Ok(update) = io.engine.updates.try_recv() {
                    app.on_update(update, now);
                }
                frames.request();
            }
            event = io.extractions.next() => {
                let now = Instant::now();
                app.on_extract(event, now);
                while let Some(event) = io.extractions.try_next() {
                    app.on_extract(event, now);
                }
                frames.request();
            }
            now = frames.next_frame() => {
                if let Some(next) = app.tick(now) {
                    frames.request_in(next.saturating_duration_since(now));
                }
                if draw(session, app)? {
                    frames.request();
                }
            }
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
            // In raw mode Ctrl+C is a key; this is a SIGINT sent by another process.
            _ = interrupt.recv() => break,
        }
        if apply_effects(app, session, io)? {
            break;
        }
        // A status message or countdown may need a frame of its own later.
        if let Some(next) = app.tick(Instant::now()) {
            frames.request_in(next.saturating_duration_since(Instant::now()));
        }
    }
    Ok(())
}

/// Applies a terminal event. Returns whether it may have changed the screen.
fn on_event(app: &mut App, event: Event) -> bool {
    let now = Instant::now();
    match event {
        Event::Key(key) => app.on_key(&key, now),
        Event::Paste(text) => app.on_paste(&text),
        // Mouse capture reports every motion; only the wheel matters here.
        Event::Mouse(mouse) if mouse.kind == MouseEventKind::Moved => return false,
        Event::Mouse(mouse) => app.on_mouse(&mouse),
        Event::FocusGained => app.set_focused(true),
        Event::FocusLost => app.set_focused(false),
        // The next frame is drawn at the new size.
        Event::Resize(..) => {}
    }
    true
}

/// Carries out the app's effects. Returns true when the app asked to quit.
fn apply_effects(
    app: &mut App,
    session: &mut TerminalSession,
    io: &mut Io<'_>,
) -> io::Result<bool> {
    // Store requests can queue more effects (a resume sends the engine a command), so
    // this runs until the queue is empty.
    loop {
        let effects = app.take_effects();
        if effects.is_empty() {
            return Ok(false);
        }
        if apply_batch(app, session, io, effects)? {
            return Ok(true);
        }
    }
}

fn apply_batch(
    app: &mut App,
    session: &mut TerminalSession,
    io: &mut Io<'_>,
    effects: Vec<Effect>,
) -> io::Result<bool> {
    for effect in effects {
        match effect {
            Effect::Engine(command) => {
                if io.engine.commands.send(command).is_err() {
                    app.notice(NoticeKind::Error, "the engine stopped; restart chatterm");
                }
            }
            Effect::Copy(text) => match clipboard::osc52(&text) {
                Some(sequence) => session.write_raw(sequence.as_bytes())?,
                None => app.notice(
                    NoticeKind::Error,
                    "too large for the terminal clipboard (OSC 52); select it with the mouse \
                     after F12",
                ),
            },
            Effect::SetMouseCapture(on) => session.set_mouse_capture(on)?,
            Effect::RefreshSpend => refresh_spend(app),
            Effect::Store(request) => run_store::apply(app, &io.store, io.engine, request),
            Effect::LoadSchema { spec } => {
                let loaded = extract_task::load_schema(&spec);
                app.schema_loaded(&spec, loaded);
            }
            Effect::Extract(request) => io.extractions.start(&request),
            Effect::CancelExtract(id) => io.extractions.cancel(id),
            Effect::Quit => return Ok(true),
        }
    }
    Ok(false)
}

/// Reads today's spend (since local midnight) from the app's usage ledger, if it has one.
fn refresh_spend(app: &mut App) {
    if let Some(ledger) = app.ledger() {
        let midnight = app.local_time().midnight_ms(chatterm::cost::day::now_ms());
        app.set_spent_today(ledger.spent_since(midnight));
    }
}

/// Draws one frame inside a synchronized update, so terminals that support it never show
/// half a frame (others ignore the sequences). Returns whether layout work remains for
/// another frame.
fn draw(session: &mut TerminalSession, app: &mut App) -> io::Result<bool> {
    let size = session.terminal().size()?;
    let more = app.prepare(Rect::new(0, 0, size.width, size.height));
    let terminal = session.terminal();
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal
        .draw(|frame| {
            let area = frame.area();
            if let Some(cursor) = app.render(area, frame.buffer_mut()) {
                frame.set_cursor_position(cursor);
            }
        })
        .map(|_| more);
    // Ended even when the draw failed, so the terminal is not left holding its output.
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}
