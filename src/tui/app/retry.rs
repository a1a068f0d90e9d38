//! `/retry` after a server-requested wait: the wait is kept, and a retry typed before it is
//! over waits for it with a countdown instead of spending a request the server will refuse.
//!
//! The model: a failed turn whose error carried a wait the engine did not sleep through
//! (a 429 with `retry-after: 120`, say) sets [`RetryWait::not_before`]. `/retry` before that
//! moment starts a countdown notice and sends nothing; [`App::tick_retry_wait`] rewrites the
//! notice each second and sends `Command::Retry` once the moment has passed. Esc cancels the
//! countdown (the wait itself stays known, so a later `/retry` waits again); a new message
//! cancels it and forgets the wait, since `/retry` would no longer mean the same message.

use std::time::Duration;

use tokio::time::Instant;

use crate::api::ApiError;
use crate::engine::Command;

use crate::tui::app::{App, Connection, Effect};
use crate::tui::render::cells::{CellKind, NoticeKind};

/// The server's wait after a failed turn, and the countdown of a `/retry` waiting for it.
#[derive(Debug, Default)]
pub(in crate::tui) struct RetryWait {
    /// No retry before this moment (set from the last failure's `retry-after`).
    not_before: Option<Instant>,
    /// The notice showing the countdown, while a `/retry` waits.
    countdown: Option<u64>,
}

impl App {
    /// Remembers the wait a failed turn's error asked for (or forgets an older one).
    pub(in crate::tui) fn note_retry_wait(&mut self, error: &ApiError, now: Instant) {
        let wait = error.retry_after().filter(|w| !w.is_zero());
        self.retry_wait.not_before = wait
            .filter(|_| error.is_retryable())
            .and_then(|w| now.checked_add(w));
    }

    /// `/retry` (after any budget confirmation): sends now, or waits for the server's
    /// moment with a countdown.
    pub(in crate::tui) fn retry_now(&mut self, now: Instant) {
        match self.retry_wait.not_before {
            Some(at) if at > now => {
                if self.retry_wait.countdown.is_none() {
                    let id = self.conversation.push(CellKind::Notice {
                        kind: NoticeKind::Retry,
                        text: countdown_text(at - now),
                    });
                    self.retry_wait.countdown = Some(id);
                }
            }
            _ => self.send_retry(),
        }
    }

    fn send_retry(&mut self) {
        self.mark_replaced();
        self.retry_wait = RetryWait::default();
        self.connection = Connection::Waiting;
        self.effect(Effect::Engine(Command::Retry));
    }

    /// Advances the countdown: sends the retry when the wait is over, else rewrites the
    /// notice. Returns when it next needs a tick (each second while counting down).
    pub(in crate::tui) fn tick_retry_wait(&mut self, now: Instant) -> Option<Instant> {
        let id = self.retry_wait.countdown?;
        let at = self.retry_wait.not_before.unwrap_or(now);
        if at <= now {
            self.set_countdown_text(id, "the wait is over: sending again".into());
            self.send_retry();
            // A frame at once, so the loop carries the retry out without waiting for input.
            return Some(now);
        }
        self.set_countdown_text(id, countdown_text(at - now));
        // Wake at the next whole second of the countdown, or at the moment itself.
        let left = at - now;
        let fraction = Duration::from_nanos(u64::from(left.subsec_nanos()));
        let step = if fraction.is_zero() {
            Duration::from_secs(1)
        } else {
            fraction
        };
        Some(now + step.min(left))
    }

    /// Esc while a `/retry` counts down: stop it. Returns whether there was one.
    pub(in crate::tui) fn cancel_retry_wait(&mut self, now: Instant) -> bool {
        let Some(id) = self.retry_wait.countdown.take() else {
            return false;
        };
        self.set_countdown_text(id, "retry cancelled".into());
        self.flash("retry cancelled", now);
        true
    }

    /// A new message replaces the one `/retry` would have sent: its countdown stops, and
    /// the old wait is forgotten (the new turn's own failure, if any, brings a fresh one).
    pub(in crate::tui) fn drop_retry_countdown(&mut self) {
        if let Some(id) = self.retry_wait.countdown.take() {
            self.set_countdown_text(id, "retry dropped: a new message was sent".into());
        }
        self.retry_wait.not_before = None;
    }

    fn set_countdown_text(&mut self, id: u64, text: String) {
        let same = self.conversation.cells().iter().any(|c| {
            c.id == id && matches!(&c.kind, CellKind::Notice { text: t, .. } if *t == text)
        });
        if same {
            return;
        }
        if let Some(cell) = self.conversation.cell_mut(id)
            && let CellKind::Notice { text: t, .. } = &mut cell.kind
        {
            *t = text;
        }
    }
}

/// "waiting for the server: sending again in 1 min 5 s · Esc cancels"
fn countdown_text(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let when = match secs {
        0..60 => format!("{secs} s"),
        _ if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        _ => format!("{} min {} s", secs / 60, secs % 60),
    };
    format!("waiting for the server: sending again in {when} · Esc cancels")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::test_support::*;
    use crossterm::event::KeyCode;

    fn rate_limited(wait: Duration) -> ApiError {
        ApiError::Http {
            status: 429,
            kind: "rate_limit_error".into(),
            message: "Number of requests has exceeded your rate limit".into(),
            request_id: None,
            retry_after: Some(wait),
            should_retry: None,
        }
    }

    fn fail(app: &mut App, error: ApiError, at: Instant) {
        engine_commands(app);
        app.on_update(
            crate::engine::Update::Error {
                turn: turn(),
                error,
                partial: None,
            },
            at,
        );
    }

    fn last_notice(app: &App) -> String {
        app.conversation
            .cells()
            .iter()
            .rev()
            .find_map(|c| match &c.kind {
                CellKind::Notice { text, .. } => Some(text.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn waiting(app: &App) -> bool {
        app.retry_wait.countdown.is_some()
    }

    fn retry_command(app: &mut App) {
        type_text(app, "/retry");
        press(app, KeyCode::Enter);
    }

    #[test]
    fn a_429_with_retry_after_says_how_long_and_retry_waits_for_it() {
        let mut app = app();
        start_turn(&mut app, "hi", "m");
        let t0 = now();
        fail(&mut app, rate_limited(Duration::from_secs(120)), t0);
        assert!(
            last_notice(&app).starts_with("rate limited: retry in 2 min"),
            "{}",
            last_notice(&app)
        );
        retry_command(&mut app);
        assert!(engine_commands(&mut app).is_empty(), "sent before the wait");
        assert!(waiting(&app));
        assert!(last_notice(&app).contains("sending again in"));
        let next = app.tick(t0 + Duration::from_secs(60));
        assert!(next.is_some(), "the countdown asks for ticks");
        assert!(
            last_notice(&app).contains("in 1 min"),
            "{}",
            last_notice(&app)
        );
        assert!(engine_commands(&mut app).is_empty());
        app.tick(t0 + Duration::from_secs(121));
        assert_eq!(engine_commands(&mut app), [Command::Retry]);
        assert!(!waiting(&app));
        assert_eq!(app.connection, Connection::Waiting);
    }

    #[test]
    fn esc_cancels_the_countdown_and_a_later_retry_after_the_wait_sends_at_once() {
        let mut app = app();
        start_turn(&mut app, "hi", "m");
        let t0 = now();
        fail(&mut app, rate_limited(Duration::from_secs(90)), t0);
        retry_command(&mut app);
        assert!(waiting(&app));
        press(&mut app, KeyCode::Esc);
        assert!(!waiting(&app));
        assert_eq!(last_notice(&app), "retry cancelled");
        app.tick(t0 + Duration::from_secs(91));
        assert!(
            engine_commands(&mut app).is_empty(),
            "cancelled means not sent"
        );
        // Once the wait has passed, /retry sends straight away.
        app.retry_now(t0 + Duration::from_secs(91));
        assert_eq!(engine_commands(&mut app), [Command::Retry]);
    }

    #[test]
    fn errors_without_a_wait_retry_at_once() {
        let mut app = app();
        start_turn(&mut app, "hi", "m");
        fail(
            &mut app,
            ApiError::Http {
                status: 500,
                kind: "api_error".into(),
                message: String::new(),
                request_id: None,
                retry_after: None,
                should_retry: None,
            },
            now(),
        );
        retry_command(&mut app);
        assert_eq!(engine_commands(&mut app), [Command::Retry]);
    }

    #[test]
    fn a_new_message_drops_the_countdown() {
        let mut app = app();
        start_turn(&mut app, "hi", "m");
        fail(&mut app, rate_limited(Duration::from_secs(300)), now());
        retry_command(&mut app);
        assert!(waiting(&app));
        type_text(&mut app, "something else");
        press(&mut app, KeyCode::Enter);
        assert!(!waiting(&app));
        assert_eq!(
            engine_commands(&mut app),
            [Command::Send("something else".into())]
        );
    }

    #[test]
    fn countdown_words() {
        assert_eq!(
            countdown_text(Duration::from_millis(4500)),
            "waiting for the server: sending again in 5 s · Esc cancels"
        );
        assert!(countdown_text(Duration::from_secs(65)).contains("in 1 min 5 s"));
        assert!(countdown_text(Duration::from_secs(120)).contains("in 2 min ·"));
    }
}
