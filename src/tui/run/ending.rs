//! How the full-screen app ends, and what it does on the way out.
//!
//! The loop ends in one of three ways ([`Ending`]): the user quits, a signal arrives
//! (SIGTERM from `kill` or a closing terminal emulator, SIGHUP when the terminal or ssh
//! connection goes away, SIGINT sent by another process — in raw mode Ctrl+C is a key), or
//! the terminal itself goes away (a hang-up, end-of-file, EIO, errors that persist, or a
//! draw that fails). Every way out goes through [`wind_down`]:
//!
//! 1. `/extract` tasks are cancelled;
//! 2. unless the user quit, the input box's text is saved as the draft (`draft.rs`), the
//!    first thing done, as it exists nowhere else;
//! 3. a running turn is cancelled and its end awaited for at most [`ENGINE_GRACE`]: the
//!    cancel reaches a running tool's process group (killed at once, see
//!    `tools/process.rs`), and the answer row gets its final status (interrupted) through
//!    the journal's normal path rather than being left `streaming`.
//!
//! The terminal is restored afterwards by the session's drop; the binary then exits with
//! [`Ending::exit_code`] (128 + the signal's number, as a shell reports a process killed
//! by it), leaving the runtime with a short shutdown timeout, so the whole takes well under
//! a second.

use std::time::Duration;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::time::Instant;

use crate::engine::{Command, EngineHandle};

use crate::tui::app::App;
use crate::tui::run::draft;

/// How long a cancelled turn gets to end (its tool killed, its answer row ended) before
/// chatterm exits anyway.
pub const ENGINE_GRACE: Duration = Duration::from_millis(600);

/// Why the event loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// A signal: SIGTERM, SIGHUP or SIGINT.
    Signal(Stop),
    /// The terminal went away (hang-up, end-of-file, EIO, persistent errors).
    TerminalGone,
}

/// The signals that end chatterm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Terminate,
    HangUp,
    Interrupt,
}

impl Ending {
    /// The process's exit status: 0 after a quit, else 128 + the signal's number (a lost
    /// terminal counts as a hang-up, 129).
    pub fn exit_code(self) -> i32 {
        match self {
            Ending::Quit => 0,
            Ending::Signal(Stop::HangUp) | Ending::TerminalGone => 129,
            Ending::Signal(Stop::Interrupt) => 130,
            Ending::Signal(Stop::Terminate) => 143,
        }
    }

    /// Whether the input box's text must be kept for the next start.
    pub fn saves_draft(self) -> bool {
        self != Ending::Quit
    }
}

/// The listeners for the signals that end chatterm.
pub struct Signals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Installs the listeners; from then on these signals no longer kill the process
    /// outright, so the loop must select on [`Signals::recv`].
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The next of these signals to arrive.
    pub async fn recv(&mut self) -> Stop {
        tokio::select! {
            _ = self.terminate.recv() => Stop::Terminate,
            _ = self.hangup.recv() => Stop::HangUp,
            _ = self.interrupt.recv() => Stop::Interrupt,
        }
    }
}

/// The way out (see the module docs). `draft_path` is where the draft goes (`None` for a
/// temporary store).
pub async fn wind_down(
    app: &mut App,
    engine: &mut EngineHandle,
    ending: Ending,
    draft_path: Option<&std::path::Path>,
) {
    if let Some(path) = draft_path.filter(|_| ending.saves_draft()) {
        // Nobody to tell if this fails: the terminal may be gone.
        let _ = draft::save(path, &app.draft_text());
    }
    if app.live.is_none() {
        return;
    }
    if engine.commands.send(Command::Cancel).is_err() {
        return;
    }
    let deadline = Instant::now() + ENGINE_GRACE;
    while let Ok(Some(update)) = tokio::time::timeout_at(deadline, engine.updates.recv()).await {
        app.on_update(update, Instant::now());
        if app.live.is_none() {
            return;
        }
    }
}
