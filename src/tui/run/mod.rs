//! The event loop: signals, the terminal's hang-up, terminal events, engine updates,
//! `/extract` events and frames, in one biased `select!`.
//!
//! Order of preference: signals and the hang-up first (rare, and they must never wait
//! behind anything), then terminal input (so keys stay responsive under a fast stream),
//! then engine updates, the MCP servers' changes ([`mcp`]) and extraction events, then
//! frames. The input branch wins every turn while input is queued and the update branch
//! drains its channel, so all queued events are handled before a frame is drawn. Nothing is drawn in those branches: a
//! branch only *requests* a frame, and the [`FrameScheduler`] coalesces requests into at
//! most 60 draws a second, and none at all while nothing changes. While a frame is
//! imminent the update branch is off: the frame drains the channel before drawing, so a
//! fast stream wakes the loop about once a frame instead of once a delta.
//!
//! No branch can starve the others: after [`INPUT_STREAK`] terminal events in a row the
//! input branch sits out until another branch has had its turn (or none was ready), so a
//! terminal that floods events cannot hide engine updates or frames. Terminal input is
//! read on its own thread ([`terminal_input`]): crossterm's reader never runs on this
//! loop, so a terminal that keeps failing cannot block it either; when the terminal is
//! gone the loop ends. How it ends, and what is saved on the way out (the draft, the
//! running turn), is [`ending`].
//!
//! The app ([`App`]) never does IO; this loop carries out its [`Effect`]s: commands to the
//! engine, OSC 52 clipboard writes, mouse capture, reading today's spend from the usage
//! ledger, loading an `/extract` schema and starting or cancelling an extraction's task
//! ([`Extractions`]), loading attachments (`attach`), restarting an MCP server or
//! rendering its prompt ([`mcp`]), quitting. The terminal is restored by
//! [`TerminalSession`]'s drop on every way out, and by the panic hook on a panic.
//!
//! The folder is the loop's side of the terminal: the loop's store requests ([`store`]),
//! the frame scheduler ([`frame`]), the terminal's modes ([`terminal`]) and its input
//! thread, the way out ([`ending`], the draft in `draft`), OSC 52 ([`clipboard`]), the
//! pre-screen yes/no question ([`ask`]) and `/extract`'s tasks ([`extract_task`]).
//!
//! [`terminal_input`]: crate::tui::run::terminal_input

pub mod ask;
pub(in crate::tui) mod attach;
pub mod clipboard;
pub(in crate::tui) mod draft;
pub mod ending;
pub mod extract_task;
pub mod frame;
pub mod mcp;
pub mod scroll_backend;
pub mod store;
pub mod terminal;
pub(in crate::tui) mod terminal_input;

use std::io;
use std::sync::Arc;

use crossterm::event::{Event, MouseEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use ratatui::layout::Rect;
use tokio::time::Instant;

use crate::engine::{EngineHandle, Update};
use crate::store::Store;

use crate::tui::app::{App, AppOptions, Effect};
use crate::tui::render::cells::NoticeKind;
use crate::tui::render::highlight;
use crate::tui::run::ending::{Ending, Signals};
use crate::tui::run::extract_task::{ExtractService, Extractions};
use crate::tui::run::frame::FrameScheduler;
use crate::tui::run::mcp::McpLink;
use crate::tui::run::store::StoreLink;
use crate::tui::run::terminal::TerminalSession;

/// Terminal events handled in a row before the other branches get a turn.
const INPUT_STREAK: u32 = 64;

/// Terminal input's share of the loop: after [`INPUT_STREAK`] events in a row it sits out
/// until another branch has run, or none was ready.
#[derive(Debug, Default)]
struct InputShare {
    streak: u32,
}

impl InputShare {
    /// Whether the input branch may run this turn.
    fn may_read(&self) -> bool {
        self.streak < INPUT_STREAK
    }

    fn read(&mut self) {
        self.streak += 1;
    }

    /// Another branch ran, or none was ready: input may run again.
    fn yielded(&mut self) {
        self.streak = 0;
    }
}

/// Runs the TUI until the user quits, a signal arrives or the terminal goes away; returns
/// how it ended (for the exit status). The terminal is restored however this returns.
/// `initial` is a first message to send at once (the prompt given on the command line);
/// `/extract` runs with `extract`; `mcp` has the MCP servers, started in the background.
pub async fn run(
    options: AppOptions,
    mut engine: EngineHandle,
    extract: ExtractService,
    initial: Option<String>,
    store: StoreLink,
    mcp: crate::mcp::McpManager,
) -> io::Result<(Ending, Option<String>)> {
    terminal::install_panic_hook();
    // Before the terminal is touched: from here on these signals end the loop instead of
    // killing the process with the terminal still in raw mode.
    let mut signals = Signals::install()?;
    let draft_path = draft::path_for_store(store.store.path(), store.store.is_temporary());
    let mut session = TerminalSession::enter(options.mouse_capture)?;
    let mut app = App::new(options);
    let mut io = Io {
        engine: &mut engine,
        extractions: Extractions::new(extract),
        store: store.store.clone(),
        editor: None,
        mcp: McpLink::new(mcp),
    };
    // As they stand now (starting): the first frame never waits for a server.
    io.mcp.show(&mut app);
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
    // Up recalls what was sent in earlier sessions too; without them it still works.
    if let Ok(texts) = store.store.recent_user_texts(RECALLED_MESSAGES) {
        app.set_input_history(texts);
    }
    if let Some(text) = initial {
        app.send_initial(text);
        apply_effects(&mut app, &mut session, &mut io)?;
    }
    if let Some(text) = draft_path.as_deref().and_then(draft::take) {
        app.input.set_text(&text);
        app.notice(NoticeKind::Info, "restored your unsent draft");
    }
    // The first frame goes out before anything slow: syntect's sets load after it.
    let ended = match draw(&mut session, &mut app) {
        Ok(more) => {
            tokio::task::spawn_blocking(highlight::warm);
            event_loop(&mut app, &mut session, &mut io, &mut signals, more).await
        }
        Err(e) => Err(e),
    };
    io.extractions.cancel_all();
    // A terminal that fails is a terminal gone: the draft and the turn are saved all the
    // same, then the error is reported.
    let ending = ended.as_ref().copied().unwrap_or(Ending::TerminalGone);
    ending::wind_down(&mut app, io.engine, ending, draft_path.as_deref()).await;
    // A temporary store is gone after this: nothing to resume.
    let hint = app.resume_hint().filter(|_| !store.store.is_temporary());
    ended.map(|ending| (ending, hint))
}

/// Messages of earlier sessions the input's history starts with.
const RECALLED_MESSAGES: usize = 500;

/// Where the app's effects go: the engine, the extraction tasks and the store.
struct Io<'a> {
    engine: &'a mut EngineHandle,
    extractions: Extractions,
    store: Arc<Store>,
    /// A draft for the external editor, run by the loop (it must stop reading keys).
    editor: Option<String>,
    /// The MCP servers' changes and rendered prompts (`mcp.rs`).
    mcp: McpLink,
}

/// The loop itself, until the user quits, a signal arrives or the terminal goes away.
/// `more_layout` says the first frame left layout work for the next.
async fn event_loop(
    app: &mut App,
    session: &mut TerminalSession,
    io: &mut Io<'_>,
    signals: &mut Signals,
    more_layout: bool,
) -> io::Result<Ending> {
    let (mut input, mut hangup) = terminal_input::start();
    let mut resized = terminal_input::Resized::listen();
    let mut frames = FrameScheduler::new();
    if more_layout {
        frames.request();
    }
    let mut share = InputShare::default();
    // A stopped engine's channel is always ready (with nothing): its branch must go quiet.
    let mut engine_alive = true;
    loop {
        tokio::select! {
            biased;
            stop = signals.recv() => return Ok(Ending::Signal(stop)),
            () = hangup.wait() => return Ok(Ending::TerminalGone),
            event = input.next(), if share.may_read() => {
                // One event per turn of the loop: being early in a biased select, this
                // branch wins again while more input is queued, so every queued event is
                // handled before a frame is drawn (up to the streak's limit).
                share.read();
                let Some(event) = event else { return Ok(Ending::TerminalGone) };
                if on_event(app, event) {
                    frames.request();
                }
            }
            // The next frame is drawn at the new size (ratatui reads it when drawing).
            () = resized.next() => {
                share.yielded();
                frames.request();
            }
            // While a frame is imminent, updates wait for it: it takes them all at once
            // (`on_frame`), so a stream of deltas wakes the loop once a frame, not once
            // a delta.
            update = io.engine.updates.recv(),
                if engine_alive && !frames.imminent(Instant::now()) => {
                share.yielded();
                engine_alive = on_updates(app, io.engine, update);
                frames.request();
            }
            event = io.mcp.next() => {
                share.yielded();
                io.mcp.apply(app, event);
                frames.request();
            }
            event = io.extractions.next() => {
                share.yielded();
                let now = Instant::now();
                app.on_extract(event, now);
                while let Some(event) = io.extractions.try_next() {
                    app.on_extract(event, now);
                }
                frames.request();
            }
            now = frames.next_frame() => {
                share.yielded();
                if engine_alive {
                    drain_updates(app, io.engine, now);
                }
                if let Err(e) = on_frame(app, session, &mut frames, now) {
                    return gone_or(e);
                }
            }
            // The input branch sat out its turn and nothing else was ready: input again.
            () = std::future::ready(()), if !share.may_read() => share.yielded(),
        }
        match apply_effects(app, session, io) {
            Ok(true) => return Ok(Ending::Quit),
            Ok(false) => {}
            Err(e) => return gone_or(e),
        }
        if let Some(draft) = io.editor.take() {
            // The key reader must stop, or it would take the editor's keys.
            input.stop().await;
            let modes = session.suspend()?;
            let result = crate::tui::app::editor::edit(&draft);
            session.resume(modes)?;
            input = terminal_input::start_reader();
            app.editor_done(result, Instant::now());
            frames.request();
        }
        // A status message or countdown may need a frame of its own later.
        if let Some(next) = app.tick(Instant::now()) {
            frames.request_in(next.saturating_duration_since(Instant::now()));
        }
    }
}

/// Applies an engine update and those queued behind it; false once the engine has stopped.
fn on_updates(app: &mut App, engine: &mut EngineHandle, first: Option<Update>) -> bool {
    let Some(update) = first else {
        app.notice(NoticeKind::Error, "the engine stopped; restart chatterm");
        return false;
    };
    let now = Instant::now();
    app.on_update(update, now);
    drain_updates(app, engine, now);
    true
}

/// Applies every update already queued (a stopped engine is noticed by the update branch).
fn drain_updates(app: &mut App, engine: &mut EngineHandle, now: Instant) {
    while let Ok(update) = engine.updates.try_recv() {
        app.on_update(update, now);
    }
}

/// A frame is due: the clock's effects, then the draw (and another frame if layout work
/// remains).
fn on_frame(
    app: &mut App,
    session: &mut TerminalSession,
    frames: &mut FrameScheduler,
    now: Instant,
) -> io::Result<()> {
    if let Some(next) = app.tick(now) {
        frames.request_in(next.saturating_duration_since(now));
    }
    if draw(session, app)? {
        frames.request();
    }
    Ok(())
}

/// A write to the terminal failed: the terminal went away (EIO after a hang-up), or
/// another error to report.
fn gone_or(error: io::Error) -> io::Result<Ending> {
    if terminal_input::is_terminal_gone(&error) {
        Ok(Ending::TerminalGone)
    } else {
        Err(error)
    }
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
            Effect::Store(request) => store::apply(app, &io.store, request),
            Effect::LoadSchema { spec } => {
                let loaded = extract_task::load_schema(&spec);
                app.schema_loaded(&spec, loaded);
            }
            Effect::Extract(request) => io.extractions.start(&request),
            Effect::CancelExtract(id) => io.extractions.cancel(id),
            Effect::Editor(draft) => io.editor = Some(draft),
            Effect::Attach(request) => attach::apply(app, request),
            Effect::McpRestart(name) => io.mcp.restart(app, &name),
            Effect::McpPrompt {
                server,
                prompt,
                arguments,
            } => io.mcp.render_prompt(server, prompt, arguments),
            Effect::Quit => return Ok(true),
        }
    }
    Ok(false)
}

/// Reads today's spend (since local midnight) from the app's usage ledger, if it has one:
/// once at start; from then on each request's end carries it (`Update::RequestEnded`).
fn refresh_spend(app: &mut App) {
    if let Some(ledger) = app.ledger() {
        let midnight = app.local_time().midnight_ms(crate::cost::day::now_ms());
        app.set_spent_today(ledger.spent_since(midnight));
    }
}

/// Draws one frame inside a synchronized update, so terminals that support it never show
/// half a frame (others ignore the sequences). Returns whether layout work remains for
/// another frame.
fn draw(session: &mut TerminalSession, app: &mut App) -> io::Result<bool> {
    let size = session.backend().size()?;
    let more = app.prepare(Rect::new(0, 0, size.width, size.height));
    let backend = session.backend();
    // The conversation's rows scroll together while it follows an answer (see
    // `scroll_backend`); overlays drawn over it only make the guess miss, never wrong.
    backend.set_region(app.conversation_area());
    queue!(backend, BeginSynchronizedUpdate)?;
    let drawn = backend
        .draw_frame(|area, buf| app.render(area, buf))
        .map(|()| more);
    // Ended even when the draw failed, so the terminal is not left holding its output.
    execute!(backend, EndSynchronizedUpdate)?;
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_input_gives_the_other_branches_a_turn() {
        let mut share = InputShare::default();
        for _ in 0..INPUT_STREAK {
            assert!(share.may_read());
            share.read();
        }
        // The input branch sits out: an engine update or a frame runs instead, or, with
        // none ready, the last branch hands the turn back.
        assert!(!share.may_read());
        share.yielded();
        assert!(share.may_read());
    }
}
