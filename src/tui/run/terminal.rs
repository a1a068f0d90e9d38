//! The terminal's lifecycle: switching into full-screen mode, and back on every exit path.
//!
//! The model: [`TerminalSession::enter`] switches the terminal into each mode the TUI needs
//! and records the mode in one process-wide set the moment it is on. [`restore`] takes the
//! whole set in one atomic swap and undoes each recorded mode in reverse order. `Drop` and
//! the panic hook ([`install_panic_hook`]) both call `restore`; whichever runs first does
//! the work and the other finds the set empty. So restoring is idempotent, safe from any
//! thread, and a no-op when the terminal was never entered.
//!
//! The modes, in the order they are switched on:
//!
//! 1. raw mode (keys arrive one by one, unechoed; Ctrl+C and Ctrl+Z become keys);
//! 2. the alternate screen (the user's shell screen comes back untouched on exit);
//! 3. bracketed paste (a paste arrives as one `Event::Paste`, not as keystrokes whose first
//!    newline would send the message);
//! 4. focus events;
//! 5. keyboard enhancement, only when the terminal answers crossterm's query: the kitty
//!    protocol's DISAMBIGUATE_ESCAPE_CODES (so Shift+Enter, Alt+key and a lone Esc are
//!    distinguishable) and REPORT_ALTERNATE_KEYS (Ctrl+Shift+K arrives as `K`).
//!    REPORT_EVENT_TYPES is deliberately not asked for: it adds key *release* events, which
//!    every consumer would have to filter. crossterm on Windows reports releases anyway, so
//!    the input box must still ignore `KeyEventKind::Release`;
//! 6. mouse capture, when asked; [`TerminalSession::set_mouse_capture`] toggles it later.
//!    crossterm's capture includes any-motion reports, so the app should drop
//!    `MouseEventKind::Moved` early rather than treat each one as work.
//!
//! ratatui hides the cursor while drawing; restoring shows it again.
//!
//! Invariants: a mode is recorded *before* its escape sequence is written and forgotten only
//! *after* the sequence to undo it is written, so a failure half-way leaves at worst an
//! undo of something never done (harmless), never a mode left on. Keyboard flags are popped
//! only if this process pushed them, as a pop without a push would remove flags the shell
//! set. Only one session exists at a time. The byte sequences come from functions writing
//! into any `impl Write` ([`write_enter`], [`write_leave`]) so tests check them without a
//! terminal.
//!
//! Why a global: the panic hook runs with nothing but the panic info, so what to undo must
//! be reachable without the session. It is one atomic byte of terminal state, not app
//! state.
//!
//! A panic on *any* thread restores the terminal, because its message must be readable and
//! a panic is a bug. The app must therefore treat a panicked task (`JoinError::is_panic`)
//! as fatal and quit instead of drawing on; [`TerminalSession::is_restored`] tells it so.
//!
//! Signals: in raw mode Ctrl+C, Ctrl+Z and Ctrl+\ are keys, not signals. Signals from
//! outside are another matter: SIGTERM (`kill`, a closing terminal emulator) and SIGHUP (the
//! terminal or ssh connection went away) kill the process by default, with no unwinding and
//! so no `Drop`, leaving raw mode and the alternate screen on. So the app listens for
//! SIGTERM, SIGHUP and SIGINT (`ending.rs`, installed before the terminal is entered) and
//! quits through its normal path, which drops the session; a terminal that hangs up
//! without a signal is noticed by `terminal_input.rs`. After a hang-up the writes fail
//! with EIO; `restore` ignores errors, so quitting still completes. Suspending on Ctrl+Z
//! would be `restore`, raise SIGTSTP, then enter again; it is not offered yet.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicU8, Ordering};

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags,
    PushKeyboardEnhancementFlags,
};
use crossterm::queue;
use crossterm::terminal::{
    Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode,
    enable_raw_mode, supports_keyboard_enhancement,
};

use crate::tui::run::scroll_backend::ScrollingBackend;

/// One bit per mode in the process-wide set; see the module docs.
const RAW: u8 = 1 << 0;
const ALT_SCREEN: u8 = 1 << 1;
const PASTE: u8 = 1 << 2;
const FOCUS: u8 = 1 << 3;
const KEYBOARD: u8 = 1 << 4;
const MOUSE: u8 = 1 << 5;

/// The modes switched on by escape sequences, in enter order (raw mode is a termios call,
/// handled apart). Leaving walks this list backwards.
const SEQUENCE_MODES: [u8; 5] = [ALT_SCREEN, PASTE, FOCUS, KEYBOARD, MOUSE];

/// The kitty keyboard flags pushed when the terminal supports them (see the module docs).
const KEYBOARD_FLAGS: KeyboardEnhancementFlags =
    KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES
        .union(KeyboardEnhancementFlags::REPORT_ALTERNATE_KEYS);

/// What is switched on right now. See the module docs for why this is a global.
static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// What the TUI draws through: frames written as differences with scrolling moves (see
/// [`ScrollingBackend`]) over a buffered stdout (a frame is one write, flushed at its end,
/// not a write per kilobyte).
pub type Backend = ScrollingBackend<BufWriter<Stdout>>;

/// The buffer for a frame's bytes: a whole 160x50 screen with its styles fits.
const FRAME_BUFFER: usize = 64 * 1024;

fn backend() -> Backend {
    ScrollingBackend::new(BufWriter::with_capacity(FRAME_BUFFER, io::stdout()))
}

/// The terminal in full-screen mode, restored when dropped.
pub struct TerminalSession {
    backend: Backend,
    mouse: bool,
    keyboard_enhanced: bool,
}

impl TerminalSession {
    /// Switches the terminal into full-screen mode (see the module docs for the modes), with
    /// mouse capture on if `mouse_capture`. Fails if a session is already active or stdout
    /// is not a terminal; on failure, whatever had been switched on is switched off again.
    pub fn enter(mouse_capture: bool) -> io::Result<TerminalSession> {
        if ACTIVE.compare_exchange(0, RAW, Ordering::SeqCst, Ordering::SeqCst) != Ok(0) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the terminal is already in full-screen mode",
            ));
        }
        let session = Self::switch_on(mouse_capture);
        if session.is_err() {
            restore();
        }
        session
    }

    /// The body of [`enter`](Self::enter), with `RAW` already recorded.
    fn switch_on(mouse_capture: bool) -> io::Result<TerminalSession> {
        enable_raw_mode()?;
        // The query needs raw mode to read the answer; terminals that do not know it still
        // answer the device-attributes request sent with it, so this does not stall.
        let keyboard_enhanced = matches!(supports_keyboard_enhancement(), Ok(true));
        let mut modes = ALT_SCREEN | PASTE | FOCUS;
        if keyboard_enhanced {
            modes |= KEYBOARD;
        }
        if mouse_capture {
            modes |= MOUSE;
        }
        ACTIVE.fetch_or(modes, Ordering::SeqCst);
        let mut stdout = io::stdout();
        write_enter(&mut stdout, modes)?;
        stdout.flush()?;
        let mut backend = backend();
        // Some terminals keep the alternate screen's old content; the first frame only
        // draws cells that differ from a blank screen, so start from a truly blank one.
        backend.clear()?;
        Ok(TerminalSession {
            backend,
            mouse: mouse_capture,
            keyboard_enhanced,
        })
    }

    /// Hands the terminal to another program (the external editor): every mode this
    /// session switched on is switched off, as on exit. Returns what to switch on again
    /// with [`resume`](Self::resume).
    pub fn suspend(&mut self) -> io::Result<u8> {
        let mut stdout = io::stdout();
        let modes = take_and_leave(&ACTIVE, &mut stdout);
        stdout.flush()?;
        if modes & RAW != 0 {
            disable_raw_mode()?;
        }
        Ok(modes)
    }

    /// Takes the terminal back after [`suspend`](Self::suspend): the same modes on again
    /// and the screen cleared, so the next frame redraws everything.
    pub fn resume(&mut self, modes: u8) -> io::Result<()> {
        ACTIVE.fetch_or(modes, Ordering::SeqCst);
        if modes & RAW != 0 {
            enable_raw_mode()?;
        }
        let mut stdout = io::stdout();
        write_enter(&mut stdout, modes)?;
        // A new backend takes the screen to be blank, so its first frame draws every cell
        // onto the cleared screen.
        queue!(stdout, Clear(ClearType::All))?;
        stdout.flush()?;
        self.backend = backend();
        Ok(())
    }

    /// What frames are drawn through.
    pub fn backend(&mut self) -> &mut Backend {
        &mut self.backend
    }

    /// Turns mouse capture on (wheel scrolling in the app) or off (the terminal's own text
    /// selection). Does nothing once the terminal has been restored.
    pub fn set_mouse_capture(&mut self, on: bool) -> io::Result<()> {
        if on == self.mouse || self.is_restored() {
            return Ok(());
        }
        let out = &mut self.backend;
        if on {
            ACTIVE.fetch_or(MOUSE, Ordering::SeqCst);
            write_on(out, MOUSE)?;
        } else {
            write_off(out, MOUSE)?;
            ACTIVE.fetch_and(!MOUSE, Ordering::SeqCst);
        }
        out.flush()?;
        self.mouse = on;
        Ok(())
    }

    /// Whether the terminal accepted the keyboard enhancement flags, i.e. whether
    /// Shift+Enter can be told apart from Enter. The app can hint Alt+Enter or Ctrl+J for a
    /// new line when it cannot.
    pub fn keyboard_enhanced(&self) -> bool {
        self.keyboard_enhanced
    }

    /// True once the terminal was restored behind this session's back: a panic on another
    /// thread ran the hook. The app should quit rather than draw on the user's shell screen.
    pub fn is_restored(&self) -> bool {
        ACTIVE.load(Ordering::SeqCst) & ALT_SCREEN == 0
    }

    /// Writes `bytes` straight to the terminal and flushes, for escape sequences ratatui has
    /// no command for (OSC 52 clipboard, see [`crate::tui::run::clipboard`]). The bytes must not move
    /// the cursor or print anything, or ratatui's idea of the screen goes stale.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let out = &mut self.backend;
        out.write_all(bytes)?;
        out.flush()
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        restore();
    }
}

/// Undoes every mode this process switched on, in reverse order, ignoring errors (there is
/// nobody left to report them to). Runs at most once per [`TerminalSession::enter`]; any
/// later call, or a call when the terminal was never entered, does nothing.
pub fn restore() {
    let mut stdout = io::stdout();
    let modes = take_and_leave(&ACTIVE, &mut stdout);
    let _ = stdout.flush();
    if modes & RAW != 0 {
        let _ = disable_raw_mode();
    }
}

/// Wraps the current panic hook (color-eyre's, so call this after `color_eyre::install`)
/// so the terminal is restored *before* the panic message prints; otherwise the message
/// lands on the alternate screen and vanishes with it. Safe to call whether or not a
/// session is ever entered.
///
/// Only a panic on the thread that installed the hook (the UI's) ends the full screen. A
/// panic on another thread is a task that tokio catches and the engine reports (a tool
/// that crashed becomes an error result for the model), while the UI goes on: restoring
/// the terminal or printing there would wreck the screen the user is still using, so its
/// message goes to [`panic_log_path`] instead.
pub fn install_panic_hook() {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let on_ui = std::thread::current().id() == ui_thread;
        if !ends_full_screen(on_ui, ACTIVE.load(Ordering::SeqCst)) {
            log_panic(&info.to_string());
            return;
        }
        restore();
        previous(info);
    }));
}

/// Whether a panic restores the terminal and prints: on the UI thread, or when the full
/// screen is not up (nothing to wreck).
fn ends_full_screen(on_ui_thread: bool, active_modes: u8) -> bool {
    on_ui_thread || active_modes == 0
}

/// Where panics of background tasks are written while the full screen is up: the data
/// directory, never following a link (see `crate::panic_log`).
pub fn panic_log_path() -> Option<std::path::PathBuf> {
    crate::panic_log::path()
}

fn log_panic(message: &str) {
    if let Some(path) = panic_log_path() {
        let _ = crate::panic_log::append(&path, message);
    }
}

/// Empties `active` and writes the sequences that undo what it held. Returns what it held,
/// so the caller can also leave raw mode. The swap is what makes restoring run once.
fn take_and_leave(active: &AtomicU8, out: &mut impl Write) -> u8 {
    let modes = active.swap(0, Ordering::SeqCst);
    if modes != 0 {
        let _ = write_leave(out, modes);
    }
    modes
}

/// The escape sequences that switch on the sequence-based `modes`, in enter order.
pub(crate) fn write_enter(out: &mut impl Write, modes: u8) -> io::Result<()> {
    for mode in SEQUENCE_MODES {
        if modes & mode != 0 {
            write_on(out, mode)?;
        }
    }
    Ok(())
}

/// The escape sequences that switch off the sequence-based `modes`, in reverse enter order,
/// then show the cursor. Every step is attempted even if an earlier one fails, since a
/// partial restore beats none; the first error is returned.
pub(crate) fn write_leave(out: &mut impl Write, modes: u8) -> io::Result<()> {
    let mut result = Ok(());
    for mode in SEQUENCE_MODES.into_iter().rev() {
        if modes & mode != 0 {
            let step = write_off(out, mode);
            result = result.and(step);
        }
    }
    let step = queue!(out, Show);
    result.and(step)
}

fn write_on(out: &mut impl Write, mode: u8) -> io::Result<()> {
    match mode {
        ALT_SCREEN => queue!(out, EnterAlternateScreen),
        PASTE => queue!(out, EnableBracketedPaste),
        FOCUS => queue!(out, EnableFocusChange),
        KEYBOARD => queue!(out, PushKeyboardEnhancementFlags(KEYBOARD_FLAGS)),
        MOUSE => queue!(out, EnableMouseCapture),
        _ => Ok(()),
    }
}

fn write_off(out: &mut impl Write, mode: u8) -> io::Result<()> {
    match mode {
        ALT_SCREEN => queue!(out, LeaveAlternateScreen),
        PASTE => queue!(out, DisableBracketedPaste),
        FOCUS => queue!(out, DisableFocusChange),
        KEYBOARD => queue!(out, PopKeyboardEnhancementFlags),
        MOUSE => queue!(out, DisableMouseCapture),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALT_ON: &str = "\x1b[?1049h";
    const ALT_OFF: &str = "\x1b[?1049l";
    const PASTE_ON: &str = "\x1b[?2004h";
    const PASTE_OFF: &str = "\x1b[?2004l";
    const FOCUS_ON: &str = "\x1b[?1004h";
    const FOCUS_OFF: &str = "\x1b[?1004l";
    /// Flags 1 (disambiguate) + 4 (alternate keys); no 2 (event types, i.e. releases).
    const KEYS_PUSH: &str = "\x1b[>5u";
    const KEYS_POP: &str = "\x1b[<1u";
    const MOUSE_ON: &str = "\x1b[?1000h\x1b[?1002h\x1b[?1003h\x1b[?1015h\x1b[?1006h";
    const MOUSE_OFF: &str = "\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l";
    const SHOW: &str = "\x1b[?25h";

    fn entered(modes: u8) -> String {
        let mut out = Vec::new();
        write_enter(&mut out, modes).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn left(modes: u8) -> String {
        let mut out = Vec::new();
        write_leave(&mut out, modes).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn enter_writes_every_mode_in_order() {
        let all = ALT_SCREEN | PASTE | FOCUS | KEYBOARD | MOUSE;
        assert_eq!(
            entered(all | RAW),
            [ALT_ON, PASTE_ON, FOCUS_ON, KEYS_PUSH, MOUSE_ON].concat()
        );
    }

    #[test]
    fn leave_is_the_reverse_of_enter_then_shows_the_cursor() {
        let all = ALT_SCREEN | PASTE | FOCUS | KEYBOARD | MOUSE;
        assert_eq!(
            left(all | RAW),
            [MOUSE_OFF, KEYS_POP, FOCUS_OFF, PASTE_OFF, ALT_OFF, SHOW].concat()
        );
    }

    #[test]
    fn only_recorded_modes_are_undone() {
        // No keyboard flags pushed (terminal without the kitty protocol), no mouse: no pop,
        // which would otherwise remove flags the shell had set.
        let modes = ALT_SCREEN | PASTE | FOCUS;
        assert_eq!(entered(modes), [ALT_ON, PASTE_ON, FOCUS_ON].concat());
        assert_eq!(left(modes), [FOCUS_OFF, PASTE_OFF, ALT_OFF, SHOW].concat());
        assert_eq!(entered(0), "");
        assert_eq!(left(0), SHOW);
    }

    #[test]
    fn restoring_runs_once() {
        let active = AtomicU8::new(RAW | ALT_SCREEN | MOUSE);
        let mut first = Vec::new();
        assert_eq!(
            take_and_leave(&active, &mut first),
            RAW | ALT_SCREEN | MOUSE
        );
        assert_eq!(
            String::from_utf8(first).unwrap(),
            [MOUSE_OFF, ALT_OFF, SHOW].concat()
        );
        let mut second = Vec::new();
        assert_eq!(take_and_leave(&active, &mut second), 0);
        assert!(second.is_empty());
    }

    #[test]
    fn leave_attempts_every_step_when_writes_fail() {
        /// Fails every write but counts the attempts.
        struct Broken(usize);
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                self.0 += 1;
                Err(io::Error::other("EIO"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Broken(0);
        assert!(write_leave(&mut out, ALT_SCREEN | PASTE | MOUSE).is_err());
        // Three modes and the cursor.
        assert_eq!(out.0, 4);
    }

    #[test]
    fn only_a_ui_thread_panic_ends_the_full_screen() {
        assert!(ends_full_screen(true, ALT_SCREEN | RAW));
        assert!(!ends_full_screen(false, ALT_SCREEN | RAW));
        // Before the session starts or after it ends, every panic prints as usual.
        assert!(ends_full_screen(false, 0));
    }

    #[test]
    fn restore_and_the_hook_are_harmless_without_a_session() {
        // No session in unit tests (there is no terminal), so the global set is empty.
        restore();
        restore();
        install_panic_hook();
        let caught = std::panic::catch_unwind(|| panic!("expected by the test"));
        assert!(caught.is_err());
        assert_eq!(ACTIVE.load(Ordering::SeqCst), 0);
    }
}
