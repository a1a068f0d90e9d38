//! The signals that stop print mode and the line mode, and the exit status each gives.
//!
//! Ctrl+C (SIGINT) cancels the turn: exit 130. SIGTERM (`kill`) and SIGHUP (the terminal or
//! ssh connection went away) cancel it too, which kills a running tool's process group
//! and ends the partial answer as interrupted in the store; the exit status is then
//! 128 + the signal's number (143, 129), as a shell reports a process killed by it. A turn
//! that does not end within [`GRACE`] of the signal is left to the runtime's shutdown.
//!
//! Listening replaces the signals' default action for the rest of the process, so every
//! wait of these front ends (the turn, and the line mode's next line) listens.

use std::time::Duration;

/// How long a turn cancelled by SIGTERM or SIGHUP gets to end before print mode exits.
pub const GRACE: Duration = Duration::from_millis(600);

/// Exit status after SIGHUP.
pub const EXIT_HANGUP: i32 = 129;
/// Exit status after SIGTERM.
pub const EXIT_TERMINATED: i32 = 143;

/// The listeners. Where one cannot be installed, that signal keeps its default action.
pub struct Stops {
    #[cfg(unix)]
    listeners: Vec<(tokio::signal::unix::Signal, i32)>,
}

impl Stops {
    pub fn install() -> Stops {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (SignalKind::interrupt(), super::EXIT_CANCELLED),
                (SignalKind::terminate(), EXIT_TERMINATED),
                (SignalKind::hangup(), EXIT_HANGUP),
            ];
            let listeners = kinds
                .into_iter()
                .filter_map(|(kind, code)| Some((signal(kind).ok()?, code)))
                .collect();
            Stops { listeners }
        }
        #[cfg(not(unix))]
        Stops {}
    }

    /// Waits for the next signal; returns the exit status it calls for.
    pub async fn recv(&mut self) -> i32 {
        #[cfg(unix)]
        {
            if self.listeners.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.listeners.iter_mut().map(|(signal, code)| {
                let code = *code;
                Box::pin(async move {
                    signal.recv().await;
                    code
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            super::EXIT_CANCELLED
        }
    }
}
