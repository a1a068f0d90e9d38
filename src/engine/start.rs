//! What a turn starts with, and the turn's task.
//!
//! [`Engine::start_turn`] decides synchronously, from the engine's state: the tier (routed
//! when the choice is `auto` and no model id is pinned), the candidate models (fallback
//! order), the answer budget (the routing rule's, else the tier's `models.max_tokens`,
//! clamped to the model's longest answer when the catalog knows it) and the request
//! settings. It reports `TurnStarted` (and `Routed`) at once, then moves the async part
//! onto a task: the tool loop ([`tool_loop::run`]), which bounds the context before each
//! request and runs the requests and tool rounds. The task hands back the history as it
//! ends (rounds added, folded when bounding folded it), which the engine adopts.
//!
//! `/compact` ([`Engine::start_compact`]) runs the same way, as a task the engine waits
//! for like a turn's: it folds the history now and hands it back.

use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

use super::attempts::Attempts;
use super::compact;
use super::compact::{Known, Limits, Summariser};
use super::journal::TurnJournal;
use super::request::RequestSettings;
use super::routing::{self, Route};
use super::session::{Engine, Running};
use super::tool_loop::{self, LoopContext, TurnOutcome, TurnState};
use super::tool_round::ToolMemory;
use super::turn::TurnContext;
use super::{TurnId, Update};
use crate::api::Message;
use crate::config::{Tier, TierChoice};

impl Engine {
    /// The routing decision for the newest prompt, when routing applies.
    fn route(&self) -> Option<Route> {
        if self.choice != TierChoice::Auto || self.model_override.is_some() {
            return None;
        }
        let prompt = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role == crate::api::Role::User)
            .map(Message::text)
            .unwrap_or_default();
        Some(routing::route(&self.routing, &prompt))
    }

    /// The tier a request uses when no rule decides: the fixed one, or the routing default.
    pub(crate) fn base_tier(&self) -> Tier {
        self.choice.fixed().unwrap_or(self.routing.default)
    }

    /// The answer budget for `model` on `tier`: the rule's when routed, else the tier's,
    /// never above what the model allows.
    fn budget(&self, model: &str, tier: Option<Tier>, route: Option<&Route>) -> u32 {
        let configured = route
            .and_then(|r| r.max_tokens)
            .unwrap_or_else(|| self.models.max_tokens.get(tier.unwrap_or(self.base_tier())));
        match self.catalog.max_output(model) {
            Some(limit) => configured.min(u32::try_from(limit).unwrap_or(u32::MAX)),
            None => configured,
        }
    }

    pub(crate) fn settings_for(&self, model: &str, max_tokens: u32) -> RequestSettings {
        RequestSettings {
            model: model.to_owned(),
            max_tokens,
            system: self.system.clone(),
            cache_ttl: self.cache.enabled.then_some(self.cache.ttl),
            ..RequestSettings::default()
        }
    }

    pub(crate) fn start_turn(&mut self, updates: &UnboundedSender<Update>) -> Running {
        let id = TurnId(self.next_turn);
        self.next_turn += 1;
        let route = self.route();
        let tier = route.as_ref().map_or(self.base_tier(), |r| r.tier);
        let candidates = Attempts::plan(&self.models, tier, self.model_override.as_deref());
        let first_tier = candidates.first().and_then(|c| c.tier);
        let model = candidates
            .first()
            .map_or_else(|| self.current_model().to_owned(), |c| c.model.clone());
        let attempts = Attempts::new(candidates, self.policy);
        let settings = self.settings_for(&model, self.budget(&model, first_tier, route.as_ref()));
        let _ = updates.send(Update::TurnStarted {
            turn: id,
            tier: first_tier,
            model: model.clone(),
        });
        if let Some(route) = &route {
            let _ = updates.send(Update::Routed {
                turn: id,
                tier: route.tier,
                reason: route.reason(),
            });
        }
        let limits = Limits {
            window: self.catalog.window(&model),
            context: self.context,
            summariser: self.summariser(),
        };
        let state = TurnState {
            messages: self.messages.clone(),
            request: settings,
            attempts,
            memory: std::mem::take(&mut self.tool_memory),
            known: self.known,
        };
        let cancel = CancellationToken::new();
        let (approvals, mut approvals_rx) = mpsc::unbounded_channel();
        let (client, pricing, tx, token) = (
            self.client.clone(),
            self.pricing.clone(),
            updates.clone(),
            cancel.clone(),
        );
        let (tools, tool_settings) = (Arc::clone(&self.tools), self.tool_settings.clone());
        let (ledger, local) = (self.ledger.clone(), self.local);
        let target = self.journal_target();
        let plan = super::thinking::Plan {
            reasoning: self.reasoning.clone(),
            catalog: self.catalog.clone(),
        };
        let task = tokio::spawn(async move {
            let ctx = LoopContext {
                turn: TurnContext {
                    turn: id,
                    client: &client,
                    pricing: &pricing,
                    updates: &tx,
                    cancel: &token,
                    ledger: ledger.as_deref(),
                    local,
                    next_block: Default::default(),
                    journal: target.as_ref(),
                    thinking: Some(&plan),
                },
                tools: &tools,
                settings: &tool_settings,
                limits: &limits,
                journal: TurnJournal::new(target.as_ref()),
            };
            tool_loop::run(&ctx, state, &mut approvals_rx).await
        });
        Running {
            turn: id,
            cancel,
            approvals,
            task,
        }
    }

    /// `Compact`: folds the history now on a task of its own, like a turn (so `Cancel`
    /// stops it and a message sent meanwhile waits for it), and reports
    /// [`Update::Compacted`]. The summary request's own updates are gathered into that one
    /// update: there is no turn on screen for them to belong to.
    pub(crate) fn start_compact(&mut self, updates: &UnboundedSender<Update>) -> Running {
        let id = TurnId(self.next_turn);
        self.next_turn += 1;
        let model = self.current_model().to_owned();
        let job = CompactJob {
            settings: self.settings_for(&model, 1),
            limits: Limits {
                window: self.catalog.window(&model),
                context: self.context,
                summariser: self.summariser(),
            },
            messages: self.messages.clone(),
            memory: std::mem::take(&mut self.tool_memory),
            known: self.known,
            pending: self.results_pending,
        };
        let cancel = CancellationToken::new();
        let (approvals, _) = mpsc::unbounded_channel();
        let (client, pricing, tx, token) = (
            self.client.clone(),
            self.pricing.clone(),
            updates.clone(),
            cancel.clone(),
        );
        let (ledger, local) = (self.ledger.clone(), self.local);
        let target = self.journal_target();
        let task = tokio::spawn(async move {
            let (inner, gathered) = mpsc::unbounded_channel();
            let ctx = TurnContext {
                turn: id,
                client: &client,
                pricing: &pricing,
                updates: &inner,
                cancel: &token,
                ledger: ledger.as_deref(),
                local,
                next_block: Default::default(),
                journal: target.as_ref(),
                thinking: None,
            };
            let result = compact::compact_now(&ctx, &job.messages, &job.settings, &job.limits);
            let result = result.await;
            drop(inner);
            finish_compact(job, result, gathered, &tx)
        });
        Running {
            turn: id,
            cancel,
            approvals,
            task,
        }
    }

    /// The fast tier's model writes summaries, within its own budget and window.
    fn summariser(&self) -> Summariser {
        let model = self.models.model_for(Tier::Fast).to_owned();
        Summariser {
            max_tokens: self.models.max_tokens.get(Tier::Fast),
            window: self.catalog.window(&model),
            model,
        }
    }
}

/// What a `/compact` task owns: the history and what bounding needs, and the engine state
/// it hands back.
struct CompactJob {
    messages: Vec<Message>,
    settings: RequestSettings,
    limits: Limits,
    memory: ToolMemory,
    known: Option<Known>,
    pending: bool,
}

type Compaction = Result<Option<(Vec<Message>, String)>, crate::api::ApiError>;

/// Reports the compaction as one [`Update::Compacted`] (its summary request's usage and
/// notices, `gathered`, folded in) and hands the history back.
fn finish_compact(
    job: CompactJob,
    result: Compaction,
    mut gathered: mpsc::UnboundedReceiver<Update>,
    updates: &UnboundedSender<Update>,
) -> TurnOutcome {
    let (mut notes, mut requests, mut today_usd) = (Vec::new(), Vec::new(), None);
    while let Ok(u) = gathered.try_recv() {
        match u {
            Update::Notice { text, .. } => notes.push(text),
            Update::RequestEnded { request, .. } => today_usd = request.today_usd.or(today_usd),
            Update::Usage {
                model,
                usage,
                cost_usd,
                ..
            } => requests.push((model, usage, cost_usd)),
            _ => {}
        }
    }
    let keep = job.limits.context.keep_turns;
    let (messages, known, text) = match result {
        Ok(Some((folded, text))) => (folded, None, text),
        Ok(None) => (
            job.messages,
            job.known,
            format!("nothing to compact: context.keep_turns keeps the newest {keep} turn(s)"),
        ),
        Err(e) => (
            job.messages,
            job.known,
            format!("not compacted: {}", e.short()),
        ),
    };
    notes.push(text);
    let _ = updates.send(Update::Compacted {
        text: notes.join("; "),
        requests,
        today_usd,
    });
    TurnOutcome {
        messages,
        memory: job.memory,
        known,
        completed: false,
        results_pending: job.pending,
    }
}
