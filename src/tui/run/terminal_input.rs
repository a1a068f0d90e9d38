//! Terminal input read on a thread of its own, and the terminal's hang-up watched apart
//! from it.
//!
//! Why not crossterm's `EventStream` on the event loop: when the terminal goes away (the
//! ssh connection drops, the emulator or tmux server is killed), the tty reads end-of-file
//! or EIO forever, and crossterm 0.29's reader retries such reads in a loop without ever
//! returning, while holding its process-wide reader lock. `EventStream::poll_next` takes
//! that lock, so the event loop's thread blocked in it: no signal, engine update or frame
//! was ever handled again, and the process spun at full CPU until SIGKILL.
//!
//! So nothing here ever calls crossterm's reader from the event loop:
//!
//! - [`start`] spawns a plain thread that sleeps in `poll(2)` on the terminal and on one
//!   end of a socket pair whose other end the [`TerminalInput`] holds: it wakes only for
//!   input (then crossterm reads what is there, without waiting) or when the
//!   `TerminalInput` is dropped or stopped (its end closes), so an idle chatterm costs no
//!   CPU at all. Each event goes on a bounded channel. Errors are counted: EIO or
//!   end-of-file at once, or [`MAX_ERRORS`] other errors in a row, end the thread, which
//!   closes the channel, which the loop reads as "the terminal is gone". (Where the
//!   terminal cannot be polled, it waits in `event::poll` for at most [`POLL_INTERVAL`]
//!   at a time instead.)
//! - A second thread ([`HangUp`]) blocks in `poll(2)` on the tty asking for *no* events:
//!   the kernel still reports POLLHUP and POLLERR, so it wakes only when the terminal hangs
//!   up, costs nothing meanwhile, and never takes input away from the reader. It is what
//!   notices a hang-up that crossterm hides, even if no SIGHUP arrives (`nohup`, a process
//!   outside the terminal's foreground group).
//!
//! Once the terminal is gone the reader thread may be stuck in crossterm's loop for good;
//! it is a detached thread, so it neither blocks the runtime's shutdown nor outlives the
//! process, which exits within a second of the hang-up.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{self, Event};
use tokio::sync::{mpsc, oneshot};

/// How long the reader waits for input before it checks whether it is still wanted.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Events queued between the reader and the loop; the reader waits when it is full.
const QUEUE: usize = 256;
/// Consecutive errors (other than EIO or end-of-file, which end it at once) after which
/// the terminal counts as gone.
pub const MAX_ERRORS: u32 = 3;

/// The events read from the terminal. Dropping it stops the reader thread within
/// [`POLL_INTERVAL`] (unless the terminal is already gone, see the module docs).
pub struct TerminalInput {
    events: mpsc::Receiver<Event>,
    stop: Arc<AtomicBool>,
    /// Its other end wakes the reader thread when this is dropped (closed).
    #[cfg(unix)]
    wake: Option<std::os::unix::net::UnixStream>,
}

impl TerminalInput {
    /// The next event; `None` once the terminal is gone (the reader gave up).
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Stops the reader and waits (at most a second) until its thread has let go of the
    /// terminal, so a program run next (the external editor) gets every key typed. Events
    /// still queued are dropped: they were typed before that program started.
    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        #[cfg(unix)]
        drop(self.wake.take());
        let drained = async { while self.events.recv().await.is_some() {} };
        let _ = tokio::time::timeout(Duration::from_secs(1), drained).await;
    }
}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Resizes of the terminal (SIGWINCH). The reader thread sleeps until input arrives, and
/// crossterm reports a resize only when it next reads, so the loop listens for the
/// signal itself and draws the next frame at the new size.
pub struct Resized {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Resized {
    /// Listens from now on; without a signal listener it never fires (the next key
    /// brings crossterm's own resize event).
    pub fn listen() -> Resized {
        Resized {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                .ok(),
        }
    }

    /// Resolves at the next resize.
    pub async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await;
    }
}

/// Fires once when the terminal hangs up.
pub struct HangUp {
    fired: Option<oneshot::Receiver<()>>,
}

impl HangUp {
    /// Resolves when the terminal hung up; never, if it cannot be watched.
    pub async fn wait(&mut self) {
        if let Some(fired) = &mut self.fired {
            if fired.await.is_ok() {
                return;
            }
            // The watcher could not poll the terminal: no news is not a hang-up.
            self.fired = None;
        }
        std::future::pending::<()>().await;
    }
}

/// Starts the reader and the hang-up watcher on stdin, the terminal crossterm reads.
pub fn start() -> (TerminalInput, HangUp) {
    let input = start_reader();
    let (fire, fired) = oneshot::channel();
    std::thread::Builder::new()
        .name("terminal-hangup".into())
        .spawn(move || {
            if wait_for_hangup(io::stdin()) {
                let _ = fire.send(());
            }
        })
        .ok();
    (input, HangUp { fired: Some(fired) })
}

/// Starts the reader alone: at start-up, and again after [`TerminalInput::stop`] (the
/// hang-up watcher takes no input, so it keeps running meanwhile).
pub fn start_reader() -> TerminalInput {
    let (tx, events) = mpsc::channel(QUEUE);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    #[cfg(unix)]
    let (wake, woken) = match std::os::unix::net::UnixStream::pair() {
        Ok((wake, woken)) => (Some(wake), Some(woken)),
        Err(_) => (None, None),
    };
    std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            #[cfg(unix)]
            if let Some(woken) = woken {
                return wait_and_read(&tx, &woken);
            }
            read_events(&tx, &flag);
        })
        .ok();
    TerminalInput {
        events,
        stop,
        #[cfg(unix)]
        wake,
    }
}

/// The reader thread where the terminal can be polled: asleep in `poll(2)` until the
/// terminal has input or `woken` closes (the [`TerminalInput`] was dropped), so an idle
/// chatterm costs no CPU at all; then crossterm reads what is there, without waiting.
#[cfg(unix)]
fn wait_and_read(tx: &mpsc::Sender<Event>, woken: &std::os::unix::net::UnixStream) {
    use nix::errno::Errno;
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let gone = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
    let stdin = io::stdin();
    let mut errors = ErrorCount::default();
    loop {
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
            PollFd::new(woken.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            // A signal arrived (SIGWINCH on every resize): wait again.
            Err(Errno::EINTR) => continue,
            Err(_) => return,
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            return;
        }
        let terminal = fds[0].revents().unwrap_or(PollFlags::empty());
        // Everything crossterm can read now, events it parsed earlier included.
        loop {
            match event::poll(Duration::ZERO).and_then(|ready| ready.then(event::read).transpose())
            {
                Ok(Some(event)) => {
                    errors.reset();
                    if tx.blocking_send(event).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) if errors.gives_up(&e) => return,
                Err(_) => break,
            }
        }
        // Hung up with nothing left to read: polling again would return at once, forever.
        if terminal.intersects(gone) {
            return;
        }
    }
}

/// The reader thread elsewhere: events to `tx` until the loop stops listening, `stop` is
/// set, or the terminal is gone, waking every [`POLL_INTERVAL`] to look at `stop`.
fn read_events(tx: &mpsc::Sender<Event>, stop: &AtomicBool) {
    let mut errors = ErrorCount::default();
    while !stop.load(Ordering::SeqCst) {
        let read = match event::poll(POLL_INTERVAL) {
            Ok(false) => continue,
            Ok(true) => event::read(),
            Err(e) => Err(e),
        };
        match read {
            Ok(event) => {
                errors.reset();
                if tx.blocking_send(event).is_err() {
                    return;
                }
            }
            Err(e) if errors.gives_up(&e) => return,
            // A passing error (an interrupted call): try again, a little later, so a
            // terminal that keeps failing cannot make this a busy loop.
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Consecutive read errors, and when they mean the terminal is gone.
#[derive(Debug, Default)]
struct ErrorCount(u32);

impl ErrorCount {
    fn reset(&mut self) {
        self.0 = 0;
    }

    /// Counts `error`; true when the reader should stop: at once for EIO or end-of-file
    /// (a hung-up tty), else after [`MAX_ERRORS`] in a row.
    fn gives_up(&mut self, error: &io::Error) -> bool {
        self.0 += 1;
        is_terminal_gone(error) || self.0 >= MAX_ERRORS
    }
}

/// EIO, end-of-file or a broken pipe: what reads from a terminal that went away give.
pub fn is_terminal_gone(error: &io::Error) -> bool {
    const EIO: i32 = 5;
    error.raw_os_error() == Some(EIO)
        || matches!(
            error.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
        )
}

/// Blocks until `fd` reports a hang-up (POLLHUP, POLLERR or POLLNVAL); true then, false if
/// it cannot be polled. Asks for no events, so pending input neither wakes it nor is taken.
#[cfg(unix)]
fn wait_for_hangup(fd: impl std::os::fd::AsFd) -> bool {
    use nix::errno::Errno;
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let gone = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL;
    loop {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::empty())];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {
                if fds[0].revents().is_some_and(|r| r.intersects(gone)) {
                    return true;
                }
            }
            // A signal arrived (SIGWINCH on every resize): wait again.
            Err(Errno::EINTR) => {}
            Err(_) => return false,
        }
    }
}

#[cfg(not(unix))]
fn wait_for_hangup(_fd: io::Stdin) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eio_and_end_of_file_give_up_at_once() {
        let mut count = ErrorCount::default();
        assert!(count.gives_up(&io::Error::from_raw_os_error(5)));
        let mut count = ErrorCount::default();
        assert!(count.gives_up(&io::Error::from(io::ErrorKind::UnexpectedEof)));
    }

    #[test]
    fn other_errors_give_up_only_when_they_persist() {
        let mut count = ErrorCount::default();
        let passing = || io::Error::from(io::ErrorKind::Interrupted);
        assert!(!count.gives_up(&passing()));
        assert!(!count.gives_up(&passing()));
        // An event in between starts the count afresh.
        count.reset();
        for _ in 1..MAX_ERRORS {
            assert!(!count.gives_up(&passing()));
        }
        assert!(count.gives_up(&passing()));
    }

    /// A pseudo-terminal whose other side closes is what a closed terminal emulator or a
    /// killed tmux server leaves: the watcher must wake, and must not before.
    #[cfg(unix)]
    #[test]
    fn the_watcherwakes_when_the_terminal_side_closes() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let (master, slave) = (pty.master, pty.slave);
        let (done, woke) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(wait_for_hangup(&slave));
        });
        // Still open: nothing to report (a short look, not a timing assertion; the real
        // check is the wake-up below).
        assert!(woke.recv_timeout(Duration::from_millis(100)).is_err());
        drop(master);
        let hung_up = woke.recv_timeout(Duration::from_secs(20));
        assert_eq!(hung_up, Ok(true));
    }
}
