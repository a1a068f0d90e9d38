//! The engine task: one conversation, driven by commands, reporting updates.
//!
//! [`Engine::spawn`] moves the engine onto a tokio task and returns an [`EngineHandle`]
//! with the two channels. The task runs at most one turn at a time (on its own task, so
//! commands such as `Cancel` are handled while it streams) and owns the history:
//!
//! - the user message joins the history when its turn starts (after pending tool results,
//!   in their message, see [`tool_plan::push_user_text`]);
//! - a finished answer joins it verbatim (thinking signatures and unknown blocks included),
//!   and so does every tool round, as the answer with its calls plus the user message
//!   with their results ([`super::tool_loop`]);
//! - a failed or cancelled answer does not: the API cannot resume a partial answer, and
//!   the front end keeps what was shown. The user message stays, so `Retry` can resend it.
//!
//! While a turn runs, the conversation's [`ToolMemory`] (approvals "always", results by
//! call id) is lent to it and comes back with its outcome; `Approve` answers are passed on.

use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::attempts::Attempts;
use super::request::RequestSettings;
use super::tool_loop::{self, ApprovalAnswer, LoopContext, TurnOutcome, TurnState};
use super::tool_plan::{self, NoTools, ToolSettings};
use super::tool_round::ToolMemory;
use super::turn::TurnContext;
use super::{Command, TurnId, Update};
use crate::api::retry::RetryPolicy;
use crate::api::{ApiError, Client, Message, Role};
use crate::config::{Config, ModelsConfig, Tier};
use crate::cost::Pricing;
use crate::tools::ToolExecutor;

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
    tools: Arc<dyn ToolExecutor>,
    tool_settings: ToolSettings,
    tool_memory: ToolMemory,
}

/// The turn in flight.
struct Running {
    turn: TurnId,
    cancel: CancellationToken,
    approvals: UnboundedSender<ApprovalAnswer>,
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
            tools: Arc::new(NoTools),
            tool_settings: ToolSettings::default(),
            tool_memory: ToolMemory::default(),
        }
    }

    /// The tools the model may call, and how they run (without this: no tools).
    pub fn with_tools(mut self, executor: Arc<dyn ToolExecutor>, settings: ToolSettings) -> Self {
        self.tools = executor;
        self.tool_settings = settings;
        self
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
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.handle(cmd, &mut running, &updates),
                    None => break,
                },
                outcome = join(&mut running) => {
                    match (outcome, running.take()) {
                        (Some(outcome), _) => self.finish_turn(outcome),
                        (None, Some(r)) => turn_crashed(r.turn, &updates),
                        (None, None) => {}
                    }
                }
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
                    notice(updates, "a turn is still running; cancel it first (Esc)");
                    return;
                }
                tool_plan::answer_dangling_calls(&mut self.messages);
                tool_plan::push_user_text(&mut self.messages, text);
                *running = Some(self.start_turn(updates));
            }
            Command::Retry => {
                if running.is_some() {
                    return notice(updates, "a turn is still running");
                }
                if self
                    .messages
                    .last()
                    .is_some_and(|m| m.role == Role::Assistant)
                {
                    self.messages.pop();
                }
                if self.messages.is_empty() {
                    return notice(updates, "nothing to retry yet");
                }
                *running = Some(self.start_turn(updates));
            }
            Command::Cancel => {
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
            Command::Approve { id, decision } => {
                if let Some(r) = running {
                    let _ = r.approvals.send((id, decision));
                }
            }
            Command::Clear => {
                if let Some(r) = running.take() {
                    r.cancel.cancel();
                }
                self.messages.clear();
                self.tool_memory = ToolMemory::default();
            }
        }
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
        let request = RequestSettings {
            model: self.current_model().to_owned(),
            max_tokens: self.models.max_tokens,
            system: self.system.clone(),
            cache_ttl: self.cache_ttl.clone(),
            ..RequestSettings::default()
        };
        let _ = updates.send(Update::TurnStarted {
            turn: id,
            tier: first.as_ref().and_then(|c| c.tier),
            model: request.model.clone(),
        });
        let state = TurnState {
            messages: self.messages.clone(),
            request,
            attempts,
            memory: std::mem::take(&mut self.tool_memory),
        };
        let cancel = CancellationToken::new();
        let (approvals, mut approvals_rx) = mpsc::unbounded_channel();
        let (client, pricing, tx, token) = (
            self.client.clone(),
            self.pricing.clone(),
            updates.clone(),
            cancel.clone(),
        );
        let (tools, settings) = (Arc::clone(&self.tools), self.tool_settings.clone());
        let task = tokio::spawn(async move {
            let ctx = LoopContext {
                turn: TurnContext {
                    turn: id,
                    client: &client,
                    pricing: &pricing,
                    updates: &tx,
                    cancel: &token,
                },
                tools: &tools,
                settings: &settings,
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

    fn finish_turn(&mut self, outcome: TurnOutcome) {
        self.messages.extend(outcome.added);
        self.tool_memory = outcome.memory;
    }
}

/// Waits for the running turn; pending forever when there is none.
async fn join(running: &mut Option<Running>) -> Option<TurnOutcome> {
    match running {
        Some(r) => (&mut r.task).await.ok(),
        None => std::future::pending().await,
    }
}

/// The turn's task panicked (a bug, e.g. in a tool's own code): its front end still gets
/// the end of the turn. Its messages and the tool memory lent to it are lost; the history
/// keeps the user message, so it stays valid and `Retry` can resend it.
fn turn_crashed(turn: TurnId, updates: &UnboundedSender<Update>) {
    let _ = updates.send(Update::Error {
        turn,
        error: ApiError::Protocol("the turn stopped on an internal error".into()),
        partial: None,
    });
}

fn notice(updates: &UnboundedSender<Update>, text: &str) {
    let _ = updates.send(Update::Notice {
        turn: None,
        text: text.to_owned(),
    });
}
