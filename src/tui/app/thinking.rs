//! Thinking and effort in the chat screen, and who answered.
//!
//! Alt+T turns thinking on (as configured, else adaptive; the engine fits it to each
//! model) or off; Alt+E cycles the effort through the model's default and the five levels.
//! Both apply from the next message on: the engine reads them when a turn starts, so a
//! tool loop never changes them midway. Changing either invalidates the prompt cache's
//! message prefix (reference §7.1), so until the next request ends the sidebar says the
//! cache will be rewritten. The status bar shows both whenever either differs from "off,
//! model's default".
//!
//! Also here: the stream's own word on who answered (`Update::Answering`, a `fallback`
//! block) relabels the turn, and a refusal's category and explanation are said.

use tokio::time::Instant;

use super::{App, Effect};
use crate::api::answered::{FallbackHop, Refusal};
use crate::api::{ContentBlock, MessageResponse};
use crate::config::Effort;
use crate::engine::Command;
use crate::tui::render::cells::NoticeKind;

/// What the user chose for thinking and effort, as the screen shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReasoningStatus {
    pub thinking: bool,
    /// The session's effort; `None`: the config's (or the model's default).
    pub effort: Option<Effort>,
    /// Changed since the last request: the next one rewrites the prompt cache.
    pub changed: bool,
}

impl ReasoningStatus {
    /// "✻ thinking · effort high", or `None` in the default state (off, default effort).
    pub fn label(&self) -> Option<String> {
        match (self.thinking, self.effort) {
            (false, None) => None,
            (true, None) => Some("✻ thinking".into()),
            (false, Some(e)) => Some(format!("effort {}", e.as_str())),
            (true, Some(e)) => Some(format!("✻ thinking · effort {}", e.as_str())),
        }
    }
}

/// The effort after `effort` in Alt+E's cycle: default, low, ..., max, default.
pub fn next_effort(effort: Option<Effort>) -> Option<Effort> {
    match effort {
        None => Some(Effort::Low),
        Some(e) => Effort::ALL.into_iter().find(|l| *l > e),
    }
}

impl App {
    /// Alt+T.
    pub(in crate::tui) fn cycle_thinking(&mut self, now: Instant) {
        let r = &mut self.status.reasoning;
        r.thinking = !r.thinking;
        r.changed = true;
        let on = r.thinking;
        self.effect(Effect::Engine(Command::SetThinking(on)));
        let word = if on { "on" } else { "off" };
        self.flash(format!("thinking {word} from the next message"), now);
    }

    /// Alt+E.
    pub(in crate::tui) fn cycle_effort(&mut self, now: Instant) {
        let r = &mut self.status.reasoning;
        r.effort = next_effort(r.effort);
        r.changed = true;
        let effort = r.effort;
        self.effect(Effect::Engine(Command::SetEffort(effort)));
        let word = effort.map_or("the model's default", Effort::as_str);
        self.flash(format!("effort {word} from the next message"), now);
    }

    /// A request went out with the new settings: the cache note has done its job.
    pub(in crate::tui) fn reasoning_sent(&mut self) {
        self.status.reasoning.changed = false;
    }

    /// `message_start` named another model than the one asked for.
    pub(in crate::tui) fn answering(&mut self, model: String) {
        self.status.model = model.clone();
        if let Some(live) = &mut self.live {
            live.model = model;
        }
    }

    /// A `fallback` block opened: later blocks are the next model's.
    pub(in crate::tui) fn server_fallback(&mut self, block: &ContentBlock) {
        let Some(hop) = FallbackHop::of(block) else {
            return;
        };
        self.status.fell_back = Some((hop.from.clone(), hop.to.clone()));
        self.status.model = hop.to.clone();
        if let Some(live) = &mut self.live {
            live.fallback_from = Some(hop.from);
            live.model = hop.to;
        }
    }

    /// The notice for a refused answer: its category and explanation when given.
    pub(in crate::tui) fn refused(&mut self, message: &MessageResponse) {
        let text = Refusal::of(message).unwrap_or_default().describe();
        self.notice(
            NoticeKind::Info,
            crate::sanitize::sanitize_line(&text).into_owned(),
        );
    }
}

#[cfg(test)]
#[path = "thinking_tests.rs"]
mod tests;
