//! The engine task: one conversation, driven by commands, reporting updates.
//!
//! [`Engine::spawn`] moves the engine onto a tokio task and returns an [`EngineHandle`]
//! with the two channels. The task runs at most one turn at a time (on its own task, so
//! commands such as `Cancel` are handled while it streams) and owns the history:
//!
//! - the user message joins the history when its turn starts;
//! - a finished answer joins it verbatim (thinking signatures and unknown blocks included);
//! - a failed or cancelled answer does not: the API cannot resume a partial answer, and
//!   the front end keeps what was shown. The user message stays, so `Retry` can resend it.
//!
//! With a journal ([`Engine::with_journal`]) each of those steps is also written down,
//! write-ahead (see [`super::journal`]); the calls live in `session_persist.rs`.

use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::attempts::Attempts;
use super::journal::Journal;
use super::request::{self, RequestSettings};
use super::turn::{self, TurnContext, TurnOutcome};
use super::{Command, TurnId, Update};
use crate::api::retry::RetryPolicy;
use crate::api::{Client, Message, Role};
use crate::config::{Config, ModelsConfig, Tier};
use crate::cost::Pricing;

/// The front end's side of a running engine.
pub struct EngineHandle {
    pub commands: UnboundedSender<Command>,
    pub updates: UnboundedReceiver<Update>,
}

/// A conversation with its settings. Build it, then [`spawn`](Engine::spawn) it.
pub struct Engine {
    client: Client,
    pricing: Arc<Pricing>,
    models: ModelsConfig,
    policy: RetryPolicy,
    tier: Tier,
    model_override: Option<String>,
    system: Option<String>,
    cache_ttl: Option<String>,
    messages: Vec<Message>,
    next_turn: u64,
    /// Where the conversation is recorded, and its id there once it has one.
    journal: Option<Arc<dyn Journal>>,
    conversation: Option<String>,
    /// Ask the fast tier for a title after a new conversation's first answer.
    auto_title: bool,
    /// The new conversation's first message still awaits its title.
    title_pending: Option<String>,
    /// A journal failure was reported already (once is enough).
    journal_warned: bool,
    /// A turn-starting command that arrived while a turn ran: it runs when that ends.
    deferred: Option<Command>,
}

#[path = "session_persist.rs"]
mod persist;

/// The turn in flight.
struct Running {
    cancel: CancellationToken,
    task: JoinHandle<TurnOutcome>,
}

impl Engine {
    pub fn new(client: Client, config: &Config, pricing: Pricing) -> Self {
        Self {
            client,
            pricing: Arc::new(pricing),
            models: config.models.clone(),
            policy: RetryPolicy::new(config.api.max_retries),
            tier: config.models.tier,
            model_override: None,
            system: config.chat.system.clone(),
            cache_ttl: Some("5m".into()),
            messages: Vec::new(),
            next_turn: 1,
            journal: None,
            conversation: None,
            auto_title: config.chat.auto_title,
            title_pending: None,
            journal_warned: false,
            deferred: None,
        }
    }

    /// Records the conversation in `journal`; `conversation` continues an existing one
    /// (a resumed conversation), `None` starts a new one at the first message.
    pub fn with_journal(mut self, journal: Arc<dyn Journal>, conversation: Option<String>) -> Self {
        self.journal = Some(journal);
        self.conversation = conversation;
        self
    }

    /// The journal's id of the conversation, once it has one.
    pub fn conversation(&self) -> Option<&str> {
        self.conversation.as_deref()
    }

    /// Pins a model id regardless of tier (the `--model` flag).
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model_override = model;
        self
    }

    /// Starts from an existing history (a resumed conversation).
    pub fn with_history(mut self, messages: Vec<Message>) -> Self {
        self.messages = messages;
        self
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The model the next request goes to.
    pub fn current_model(&self) -> &str {
        self.model_override
            .as_deref()
            .unwrap_or_else(|| self.models.model_for(self.tier))
    }

    /// Moves the engine onto its own task.
    pub fn spawn(self) -> EngineHandle {
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (upd_tx, upd_rx) = mpsc::unbounded_channel();
        tokio::spawn(self.run(cmd_rx, upd_tx));
        EngineHandle {
            commands: cmd_tx,
            updates: upd_rx,
        }
    }

    async fn run(
        mut self,
        mut commands: UnboundedReceiver<Command>,
        updates: UnboundedSender<Update>,
    ) {
        let mut running: Option<Running> = None;
        loop {
            tokio::select! {
                // A finished turn is wrapped up before the next command is read.
                biased;
                outcome = join(&mut running) => {
                    if let Some(outcome) = outcome {
                        self.finish_turn(outcome, &updates);
                    }
                    running = None;
                    if let Some(cmd) = self.deferred.take() {
                        self.handle(cmd, &mut running, &updates);
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.handle(cmd, &mut running, &updates),
                    None => break,
                },
            }
        }
        // The front end is gone: stop any turn so its connection closes.
        if let Some(r) = running {
            r.cancel.cancel();
            let _ = r.task.await;
        }
    }

    fn handle(
        &mut self,
        cmd: Command,
        running: &mut Option<Running>,
        updates: &UnboundedSender<Update>,
    ) {
        match cmd {
            Command::Send(text) => {
                if running.is_some() {
                    return self.defer(Command::Send(text), updates);
                }
                let message = Message::user_text(text);
                // Written before the request leaves, so a crash cannot lose it.
                self.record_user(&message, updates);
                self.messages.push(message);
                *running = Some(self.start_turn(updates));
            }
            Command::Fork { user_index, text } => {
                if running.is_some() {
                    return self.defer(Command::Fork { user_index, text }, updates);
                }
                if !self.fork_at(user_index, updates) {
                    return notice(updates, "there is no such message to edit");
                }
                let message = Message::user_text(text);
                self.record_user(&message, updates);
                self.messages.push(message);
                *running = Some(self.start_turn(updates));
            }
            Command::Resume {
                conversation,
                history,
            } => {
                if let Some(r) = running.take() {
                    r.cancel.cancel();
                }
                self.messages = history;
                self.conversation = Some(conversation);
                self.title_pending = None;
                self.announce_conversation(updates);
            }
            Command::Retry => {
                if running.is_some() {
                    return self.defer(Command::Retry, updates);
                }
                if self
                    .messages
                    .last()
                    .is_some_and(|m| m.role == Role::Assistant)
                {
                    self.messages.pop();
                    self.record_retracted(updates);
                }
                if self.messages.is_empty() {
                    return notice(updates, "nothing to retry yet");
                }
                *running = Some(self.start_turn(updates));
            }
            Command::Cancel => {
                self.deferred = None;
                if let Some(r) = running {
                    r.cancel.cancel();
                }
            }
            Command::SetTier(tier) => {
                self.tier = tier;
                self.model_override = None;
                self.announce_model(updates);
            }
            Command::SetModel(model) => {
                self.model_override = model.filter(|m| !m.trim().is_empty());
                self.announce_model(updates);
            }
            Command::SetSystem(system) => self.system = system,
            // No tool runs yet, so nothing awaits approval; the tool loop handles this.
            Command::Approve { .. } => {}
            Command::Clear => {
                self.deferred = None;
                if let Some(r) = running.take() {
                    r.cancel.cancel();
                }
                self.messages.clear();
                // The next message begins a new conversation; this one stays stored.
                if self.conversation.take().is_some() {
                    self.announce_conversation(updates);
                }
                self.title_pending = None;
            }
        }
    }

    /// A message sent while a turn runs waits for it: a front end that sends right after
    /// `TurnFinished` can get there before the turn's task has quite ended. One waits;
    /// more are refused with a notice.
    fn defer(&mut self, cmd: Command, updates: &UnboundedSender<Update>) {
        if self.deferred.is_some() {
            return notice(updates, "a turn is still running; cancel it first (Esc)");
        }
        self.deferred = Some(cmd);
    }

    fn announce_model(&self, updates: &UnboundedSender<Update>) {
        let tier = match &self.model_override {
            Some(m) => Tier::ALL
                .into_iter()
                .find(|t| self.models.model_for(*t) == m),
            None => Some(self.tier),
        };
        let _ = updates.send(Update::ModelChanged {
            tier,
            model: self.current_model().to_owned(),
        });
    }

    fn start_turn(&mut self, updates: &UnboundedSender<Update>) -> Running {
        let id = TurnId(self.next_turn);
        self.next_turn += 1;
        let candidates = Attempts::plan(&self.models, self.tier, self.model_override.as_deref());
        let first = candidates.first().cloned();
        let attempts = Attempts::new(candidates, self.policy);
        let settings = RequestSettings {
            model: self.current_model().to_owned(),
            max_tokens: self.models.max_tokens,
            system: self.system.clone(),
            cache_ttl: self.cache_ttl.clone(),
        };
        let request = request::build(&self.messages, &settings);
        let _ = updates.send(Update::TurnStarted {
            turn: id,
            tier: first.as_ref().and_then(|c| c.tier),
            model: settings.model.clone(),
        });
        let cancel = CancellationToken::new();
        let (client, pricing, tx, token) = (
            self.client.clone(),
            self.pricing.clone(),
            updates.clone(),
            cancel.clone(),
        );
        let target = self.journal_target();
        let task = tokio::spawn(async move {
            let ctx = TurnContext {
                turn: id,
                client: &client,
                pricing: &pricing,
                updates: &tx,
                cancel: &token,
                journal: target.as_ref(),
            };
            turn::run(&ctx, request, attempts).await
        });
        Running { cancel, task }
    }

    fn finish_turn(&mut self, outcome: TurnOutcome, updates: &UnboundedSender<Update>) {
        self.record_end(&outcome, updates);
        if let TurnOutcome::Finished(message) = outcome {
            self.messages.push(message.to_message());
        }
    }
}

/// Waits for the running turn; pending forever when there is none.
async fn join(running: &mut Option<Running>) -> Option<TurnOutcome> {
    match running {
        Some(r) => (&mut r.task).await.ok(),
        None => std::future::pending().await,
    }
}

fn notice(updates: &UnboundedSender<Update>, text: &str) {
    let _ = updates.send(Update::Notice {
        turn: None,
        text: text.to_owned(),
    });
}
