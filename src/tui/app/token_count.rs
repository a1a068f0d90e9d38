//! Knowing a message's cost before sending it: the exact input count of a large draft,
//! and its price, in the input box's border.
//!
//! The model: every key or paste may change the draft, and so may adding or removing an
//! attachment's chip; [`App::watch_draft`] notices a change by a fingerprint of the text
//! (with paste chips expanded, so it is what would be sent) and of the pending
//! attachments. Their token estimates join the text's, and the count includes their
//! blocks, so a large attachment is counted like a large paste. A change drops the figure shown and cancels a count in flight
//! ([`Command::CancelDraftCount`]). When the draft is large (over [`LARGE_DRAFT`] tokens by
//! the local estimate, four characters a token) a count is due [`DEBOUNCE`] after the last
//! change; the clock ([`App::tick`]) then asks the engine ([`Command::CountDraft`]), which
//! counts on a task of its own, so typing never waits. The answer is shown only if it is
//! for the count asked last and the draft has not changed since.
//!
//! Shown: `≈ 12,400 input tokens · ≈ $0.037 (cache warm: $0.006)`: the whole request at
//! the model's input price, and, when there is history before the draft, the same with
//! that history read from the prompt cache (the draft itself at the input price). The
//! context gauge takes the counted figure too. A failed count (offline, an endpoint that
//! refuses) turns counting off for the session, with one flash saying so.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use tokio::time::Instant;

use crate::attach::Attachment;
use crate::cost::{format_usd, group};
use crate::engine::Command;
use crate::tui::app::{App, Effect};

/// Drafts larger than this many estimated tokens are counted.
pub const LARGE_DRAFT: u64 = 2_000;
/// Typing must pause this long before a count is asked for.
pub const DEBOUNCE: Duration = Duration::from_millis(700);

/// Where the draft's count stands.
#[derive(Debug, Default)]
pub(in crate::tui) struct DraftCount {
    /// Counting failed once: off for the rest of the session.
    disabled: bool,
    /// The fingerprint of the draft last seen.
    seen: u64,
    /// The draft's local estimate, in tokens.
    estimate: u64,
    /// When to ask, once typing has paused.
    due: Option<Instant>,
    last_id: u64,
    /// The count in flight.
    pending: Option<u64>,
    /// What the border shows.
    pub note: Option<String>,
}

fn fingerprint(text: &str, attachments: &[Attachment]) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    for a in attachments {
        a.hash.hash(&mut h);
    }
    h.finish()
}

impl App {
    /// Notices a changed draft (see the module docs); call after keys and pastes.
    pub(in crate::tui) fn watch_draft(&mut self, now: Instant) {
        let text = self.draft_text();
        let pending = &self.attach.pending;
        let print = fingerprint(&text, pending);
        let attached: u64 = pending.iter().map(|a| a.tokens).sum();
        let count = &mut self.web.count;
        if print == count.seen {
            return;
        }
        count.seen = print;
        count.estimate = (text.chars().count() as u64).div_ceil(4) + attached;
        let had_note = count.note.take().is_some();
        if count.pending.take().is_some() {
            self.effect(Effect::Engine(Command::CancelDraftCount));
        }
        let count = &mut self.web.count;
        count.due = (!count.disabled && count.estimate > LARGE_DRAFT).then_some(now + DEBOUNCE);
        if had_note {
            self.input.set_note(None);
        }
    }

    /// Asks for the count once it is due; returns when it next is.
    pub(in crate::tui) fn tick_draft_count(&mut self, now: Instant) -> Option<Instant> {
        let due = self.web.count.due?;
        if due > now {
            return Some(due);
        }
        self.web.count.due = None;
        self.web.count.last_id += 1;
        let id = self.web.count.last_id;
        self.web.count.pending = Some(id);
        let text = self.draft_text();
        let attachments = self.attach.pending.clone();
        self.effect(Effect::Engine(Command::CountDraft {
            id,
            text,
            attachments,
        }));
        None
    }

    /// The engine's answer to a count.
    pub(in crate::tui) fn draft_counted(
        &mut self,
        id: u64,
        model: &str,
        counted: Result<u64, String>,
        now: Instant,
    ) {
        if self.web.count.pending != Some(id) {
            return;
        }
        self.web.count.pending = None;
        let tokens = match counted {
            Ok(tokens) => tokens,
            Err(error) => {
                self.web.count.disabled = true;
                let error = crate::sanitize::sanitize_line(&error).into_owned();
                self.flash(
                    format!("token count unavailable, off for now: {error}"),
                    now,
                );
                return;
            }
        };
        let note = self.cost_note(model, tokens);
        self.input.set_note(Some(&note));
        self.web.count.note = Some(note);
        if let Some(window) = self.cost.account.context().map(|c| c.window) {
            self.cost.account.set_context(model, tokens, window);
        }
    }

    /// `≈ 12,400 input tokens · ≈ $0.037 (cache warm: $0.006)`.
    fn cost_note(&self, model: &str, tokens: u64) -> String {
        let head = format!("≈ {} input tokens", group(tokens));
        let Some(price) = self.cost.account.pricing().price(model) else {
            return format!("{head} · price unknown");
        };
        let per = |n: u64, p: f64| n as f64 * p / 1_000_000.0;
        let cold = per(tokens, price.input);
        let draft = self.web.count.estimate.min(tokens);
        let history = tokens - draft;
        if history == 0 {
            return format!("{head} · ≈ {}", format_usd(cold));
        }
        let warm = per(history, price.cache_read) + per(draft, price.input);
        format!(
            "{head} · ≈ {} (cache warm: {})",
            format_usd(cold),
            format_usd(warm)
        )
    }
}
