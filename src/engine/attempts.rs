//! The attempts of one turn: retry, fall back, or give up. Pure decision logic.
//!
//! A turn has an ordered list of [`Candidate`] models: the one asked for, then the models of
//! the tiers after it in `models.fallback` (e.g. `["max", "balanced", "fast"]`: a turn on max
//! may fall back to balanced, then fast). After each failed attempt [`Attempts::on_failure`]
//! decides:
//!
//! - the failure came after content was shown, or was a cancellation: give up (never
//!   retry a visible answer silently). "Shown" means visible content: an empty
//!   `content_block_start` is not, so the caller passes
//!   [`crate::stream::Accumulator::has_visible_content`];
//! - a stall before anything was shown (no event before the first-byte timeout, or an idle
//!   timeout after an empty block start): move to the next model at once (a stalled
//!   model rarely recovers within one turn); without one, retry like any transient error;
//! - overloaded: retry with backoff up to `max_retries`, then move to the next model;
//! - other transient errors (5xx, 429, dropped connections): retry up to `max_retries`;
//! - anything else (400, 401, 403, 404, 413, malformed streams): give up at once.
//!
//! Moving to a new model resets the retry count. Waits come from [`RetryPolicy`].

use std::time::Duration;

use crate::api::retry::RetryPolicy;
use crate::api::{ApiError, TimeoutPhase};
use crate::config::{ModelsConfig, Tier};

/// A model a turn may use, with the tier it came from (none for an explicit model id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub tier: Option<Tier>,
    pub model: String,
}

impl Candidate {
    /// "claude-x (fast)" or just the model id.
    pub fn label(&self) -> String {
        match self.tier {
            Some(t) => format!("{} ({t})", self.model),
            None => self.model.clone(),
        }
    }
}

/// The decision after a failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send the same request to the same model after `wait`. `attempt` counts retries on
    /// this model from 1; `max` is the limit.
    Retry {
        wait: Duration,
        attempt: u32,
        max: u32,
    },
    /// Send the request to another model now.
    FallBack { from: Candidate, to: Candidate },
    /// Stop; report the error.
    GiveUp,
}

/// Where a turn stands in its candidates and retries.
#[derive(Debug, Clone)]
pub struct Attempts {
    candidates: Vec<Candidate>,
    index: usize,
    retries: u32,
    policy: RetryPolicy,
}

impl Attempts {
    /// The candidates for a turn on `tier`, or on `model_override` when set.
    pub fn plan(models: &ModelsConfig, tier: Tier, model_override: Option<&str>) -> Vec<Candidate> {
        let first = match model_override {
            Some(m) => Candidate {
                tier: Tier::ALL.into_iter().find(|t| models.model_for(*t) == m),
                model: m.to_owned(),
            },
            None => Candidate {
                tier: Some(tier),
                model: models.model_for(tier).to_owned(),
            },
        };
        let after = first
            .tier
            .and_then(|t| models.fallback.iter().position(|f| *f == t))
            .map_or(&[][..], |p| &models.fallback[p + 1..]);
        let mut out = vec![first];
        for t in after {
            let model = models.model_for(*t);
            if out.iter().all(|c| c.model != model) {
                out.push(Candidate {
                    tier: Some(*t),
                    model: model.to_owned(),
                });
            }
        }
        out
    }

    /// `candidates` must not be empty; an empty list gets a placeholder that the API rejects
    /// with a clear message rather than a panic here.
    pub fn new(mut candidates: Vec<Candidate>, policy: RetryPolicy) -> Self {
        if candidates.is_empty() {
            candidates.push(Candidate {
                tier: None,
                model: String::new(),
            });
        }
        Self {
            candidates,
            index: 0,
            retries: 0,
            policy,
        }
    }

    pub fn current(&self) -> &Candidate {
        &self.candidates[self.index.min(self.candidates.len() - 1)]
    }

    /// A new request of the same turn (the next tool round): it keeps the model the turn
    /// got to, with a fresh retry count.
    pub fn next_round(&mut self) {
        self.retries = 0;
    }

    /// Whether the current candidate is a fallback, not the model first asked for.
    pub fn fell_back(&self) -> bool {
        self.index > 0
    }

    fn next_candidate(&self) -> Option<&Candidate> {
        self.candidates.get(self.index + 1)
    }

    /// Decides what follows a failed attempt and advances the state accordingly.
    /// `jitter` in `[0, 1)` shortens backoff waits (pass a random number).
    pub fn on_failure(&mut self, err: &ApiError, content_seen: bool, jitter: f64) -> Decision {
        if content_seen || matches!(err, ApiError::Cancelled) {
            return Decision::GiveUp;
        }
        // Past the check above nothing was shown, so an idle stall is a stall before content.
        let stalled = matches!(
            err,
            ApiError::Timeout(TimeoutPhase::FirstByte | TimeoutPhase::Idle)
        );
        if stalled && self.next_candidate().is_some() {
            return self.fall_back();
        }
        if let Some(wait) = self.policy.delay_for(self.retries, err, jitter) {
            self.retries += 1;
            return Decision::Retry {
                wait,
                attempt: self.retries,
                max: self.policy.max_retries,
            };
        }
        if err.is_overload_or_timeout() && self.next_candidate().is_some() {
            return self.fall_back();
        }
        Decision::GiveUp
    }

    fn fall_back(&mut self) -> Decision {
        let from = self.current().clone();
        self.index += 1;
        self.retries = 0;
        Decision::FallBack {
            from,
            to: self.current().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn models() -> ModelsConfig {
        let mut m = Config::default().models;
        m.fast = "f".into();
        m.balanced = "b".into();
        m.max = "m".into();
        m.fallback = vec![Tier::Max, Tier::Balanced, Tier::Fast];
        m
    }

    fn http(status: u16) -> ApiError {
        ApiError::with_status(status)
    }

    fn names(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.model.as_str()).collect()
    }

    #[test]
    fn plan_follows_the_fallback_list_from_the_current_tier() {
        let m = models();
        assert_eq!(names(&Attempts::plan(&m, Tier::Max, None)), ["m", "b", "f"]);
        assert_eq!(names(&Attempts::plan(&m, Tier::Balanced, None)), ["b", "f"]);
        assert_eq!(names(&Attempts::plan(&m, Tier::Fast, None)), ["f"]);
        // An explicit id that is a tier's model falls back like that tier; others don't.
        assert_eq!(
            names(&Attempts::plan(&m, Tier::Fast, Some("b"))),
            ["b", "f"]
        );
        assert_eq!(names(&Attempts::plan(&m, Tier::Max, Some("x"))), ["x"]);
    }

    #[test]
    fn overload_retries_then_falls_back_with_fresh_retries() {
        let m = models();
        let mut a = Attempts::new(Attempts::plan(&m, Tier::Max, None), RetryPolicy::new(2));
        let overloaded = http(529);
        for n in 1..=2 {
            assert!(
                matches!(a.on_failure(&overloaded, false, 0.0), Decision::Retry { attempt, .. } if attempt == n)
            );
        }
        assert!(!a.fell_back());
        let d = a.on_failure(&overloaded, false, 0.0);
        assert!(
            matches!(&d, Decision::FallBack { from, to } if from.model == "m" && to.model == "b")
        );
        assert!(a.fell_back());
        assert!(matches!(
            a.on_failure(&overloaded, false, 0.0),
            Decision::Retry { attempt: 1, .. }
        ));
    }

    #[test]
    fn a_stall_falls_back_at_once_and_retries_on_the_last_model() {
        let m = models();
        let mut a = Attempts::new(
            Attempts::plan(&m, Tier::Balanced, None),
            RetryPolicy::new(1),
        );
        let stall = ApiError::Timeout(TimeoutPhase::FirstByte);
        assert!(matches!(
            a.on_failure(&stall, false, 0.0),
            Decision::FallBack { .. }
        ));
        assert_eq!(a.current().model, "f");
        assert!(matches!(
            a.on_failure(&stall, false, 0.0),
            Decision::Retry { .. }
        ));
        assert_eq!(a.on_failure(&stall, false, 0.0), Decision::GiveUp);
    }

    #[test]
    fn an_idle_stall_before_visible_content_is_a_stall_and_after_it_gives_up() {
        let m = models();
        let idle = ApiError::Timeout(TimeoutPhase::Idle);
        let mut a = Attempts::new(
            Attempts::plan(&m, Tier::Balanced, None),
            RetryPolicy::new(1),
        );
        // Nothing visible yet (an empty block start at most): like a first-byte stall.
        assert!(matches!(
            a.on_failure(&idle, false, 0.0),
            Decision::FallBack { .. }
        ));
        assert!(matches!(
            a.on_failure(&idle, false, 0.0),
            Decision::Retry { attempt: 1, .. }
        ));
        // Once text was shown, the same stall ends the turn.
        let mut a = Attempts::new(Attempts::plan(&m, Tier::Fast, None), RetryPolicy::new(3));
        assert_eq!(a.on_failure(&idle, true, 0.0), Decision::GiveUp);
    }

    #[test]
    fn never_retries_client_errors_visible_content_or_cancellation() {
        let m = models();
        let mut a = Attempts::new(Attempts::plan(&m, Tier::Max, None), RetryPolicy::new(3));
        for s in [400, 401, 403, 404, 413] {
            assert_eq!(a.on_failure(&http(s), false, 0.0), Decision::GiveUp, "{s}");
        }
        assert_eq!(a.on_failure(&http(529), true, 0.0), Decision::GiveUp);
        assert_eq!(
            a.on_failure(&ApiError::Cancelled, false, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn a_new_round_keeps_the_model_and_resets_retries() {
        let m = models();
        let mut a = Attempts::new(Attempts::plan(&m, Tier::Max, None), RetryPolicy::new(1));
        let stall = ApiError::Timeout(TimeoutPhase::FirstByte);
        a.on_failure(&stall, false, 0.0);
        assert!(matches!(
            a.on_failure(&http(500), false, 0.0),
            Decision::Retry { attempt: 1, .. }
        ));
        a.next_round();
        assert_eq!(a.current().model, "b");
        assert!(matches!(
            a.on_failure(&http(500), false, 0.0),
            Decision::Retry { attempt: 1, .. }
        ));
    }

    #[test]
    fn server_errors_retry_but_do_not_change_model() {
        let m = models();
        let mut a = Attempts::new(Attempts::plan(&m, Tier::Max, None), RetryPolicy::new(1));
        assert!(matches!(
            a.on_failure(&http(500), false, 0.0),
            Decision::Retry { .. }
        ));
        assert_eq!(a.on_failure(&http(500), false, 0.0), Decision::GiveUp);
    }
}
