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
//!   the front end keeps what was shown. The user message stays, so `Retry` can resend it;
//! - when context bounding folded old turns, the folded history replaces the old one as
//!   the turn ends (however it ends: the fold was paid for and is valid).
//!
//! While a turn runs, the conversation's [`ToolMemory`] (approvals "always", results by
//! call id) is lent to it and comes back with its outcome; `Approve` answers are passed on.
//!
//! With a journal ([`Engine::with_journal`]) each of those steps is also written down,
//! write-ahead (see [`super::journal`]): the session writes the user's messages (before
//! their request leaves) in `session_persist.rs`; the turn's task writes each answer as it
//! streams and ends, each tool result as it finishes, and each round's results message
//! before the request that carries it ([`super::tool_loop`]). A results message that ends
//! a turn (cancelled, or the round limit) is written with the next message, which joins it.
//!
//! The engine also keeps the model catalog (context windows, longest answers). When asked
//! to ([`Engine::refresh_catalog`]), it lists `/v1/models` in the background: the windows
//! apply at once, and unpinned tiers move to the newest model of their line only while
//! nothing has been sent yet (and no history was resumed), so a conversation never changes
//! model (and loses its cache) behind the user's back. It reports the next request's size
//! (`Update::ContextSize`) when that or the model changes.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::compact::Known;
use super::journal::Journal;
use super::tool_loop::{ApprovalAnswer, TurnOutcome};
use super::tool_plan::{self, NoTools, ToolSettings};
use super::tool_round::ToolMemory;
use super::{Command, TurnId, Update, context, request};
use crate::api::catalog::{self, Catalog};
use crate::api::retry::RetryPolicy;
use crate::api::{ApiError, Client, Message, Role};
use crate::config::{CacheConfig, Config, ContextConfig, ModelsConfig, RoutingConfig, TierChoice};
use crate::cost::day::LocalTime;
use crate::cost::{Ledger, Pricing};
use crate::tools::{ApprovalDecision, ToolExecutor};

/// The front end's side of a running engine.
pub struct EngineHandle {
    pub commands: UnboundedSender<Command>,
    pub updates: UnboundedReceiver<Update>,
}

/// A conversation with its settings. Build it, then [`spawn`](Engine::spawn) it.
pub struct Engine {
    pub(crate) client: Client,
    pub(crate) pricing: Arc<Pricing>,
    pub(crate) models: ModelsConfig,
    pub(crate) policy: RetryPolicy,
    pub(crate) choice: TierChoice,
    pub(crate) model_override: Option<String>,
    pub(crate) system: Option<String>,
    /// The project's AGENTS.md / CLAUDE.md, joined after `system` in every request.
    pub(crate) project: crate::attach::ProjectInstructions,
    pub(crate) cache: CacheConfig,
    pub(crate) context: ContextConfig,
    pub(crate) routing: RoutingConfig,
    pub(crate) catalog: Catalog,
    /// Thinking, effort and refusal fallbacks wanted (fitted per request's model).
    pub(crate) reasoning: super::thinking::Reasoning,
    /// `Some(cache dir)` when the catalog should be refreshed in the background.
    refresh: Option<Option<PathBuf>>,
    /// The size of the last request that finished, for the next estimate.
    pub(crate) known: Option<Known>,
    pub(crate) messages: Vec<Message>,
    pub(crate) next_turn: u64,
    /// The last `ContextSize` sent, so it is only sent on a change.
    last_size: Option<(String, u64, u64)>,
    pub(crate) tools: Arc<dyn ToolExecutor>,
    pub(crate) tool_settings: ToolSettings,
    pub(crate) tool_memory: ToolMemory,
    pub(crate) ledger: Option<Arc<dyn Ledger>>,
    /// Where "today" begins for the spend each ended request reports.
    pub(crate) local: LocalTime,
    /// Where the conversation is recorded, and its id there once it has one.
    pub(crate) journal: Option<Arc<dyn Journal>>,
    pub(crate) conversation: Option<String>,
    /// Ask the fast tier for a title after a new conversation's first answer.
    auto_title: bool,
    /// The new conversation's first message still awaits its title.
    title_pending: Option<String>,
    /// A journal failure was reported already (once is enough).
    journal_warned: bool,
    /// A turn-starting command that arrived while a turn ran: it runs when that ends.
    deferred: Option<Command>,
    /// The history ends with a tool-results message the journal has not been given yet
    /// (the turn stopped after its round); it is written with the next message.
    pub(crate) results_pending: bool,
    /// The draft count in flight (`draft_count.rs`), aborted by a newer one.
    pub(crate) draft_count: Option<tokio::task::AbortHandle>,
}

#[path = "session_persist.rs"]
mod persist;
#[path = "session_send.rs"]
mod send;

/// The turn in flight.
pub(crate) struct Running {
    pub turn: TurnId,
    pub cancel: CancellationToken,
    pub approvals: UnboundedSender<ApprovalAnswer>,
    pub task: JoinHandle<TurnOutcome>,
}

impl Engine {
    pub fn new(client: Client, config: &Config, pricing: Pricing) -> Self {
        Self {
            client,
            pricing: Arc::new(pricing),
            models: config.models.clone(),
            policy: RetryPolicy::new(config.api.max_retries),
            choice: config.models.tier,
            model_override: None,
            system: config.chat.system.clone(),
            project: crate::attach::ProjectInstructions::default(),
            cache: config.cache,
            context: config.context,
            routing: config.routing.clone(),
            catalog: Catalog::builtin(),
            reasoning: super::thinking::Reasoning::from_config(config),
            refresh: None,
            known: None,
            messages: Vec::new(),
            next_turn: 1,
            last_size: None,
            tools: Arc::new(NoTools),
            tool_settings: ToolSettings::default(),
            tool_memory: ToolMemory::default(),
            ledger: None,
            local: LocalTime::utc(),
            journal: None,
            conversation: None,
            auto_title: config.chat.auto_title,
            title_pending: None,
            journal_warned: false,
            deferred: None,
            results_pending: false,
            draft_count: None,
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

    /// Records every request's usage in `ledger` (one entry per request that produced
    /// usage, tool-loop rounds and failed attempts included).
    pub fn with_ledger(mut self, ledger: Arc<dyn Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Counts "today" from local midnight at this offset (UTC by default) in the spend
    /// [`Update::RequestEnded`](super::Update::RequestEnded) reports.
    pub fn with_local_time(mut self, local: LocalTime) -> Self {
        self.local = local;
        self
    }

    /// Replaces the retry policy built from `api.max_retries` (backoff shape included);
    /// soak tests use millisecond backoff.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The tools the model may call, and how they run (without this: no tools).
    pub fn with_tools(mut self, executor: Arc<dyn ToolExecutor>, settings: ToolSettings) -> Self {
        self.tools = executor;
        self.tool_settings = settings;
        self
    }

    /// The model facts to use (windows, longest answers); the built-in catalog by default.
    pub fn with_catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// Lists `/v1/models` in the background once the engine runs, keeping the listing in
    /// `cache_dir` (see the module docs for what the answer changes). Failures are silent:
    /// offline, the catalog given at start stays.
    pub fn refresh_catalog(mut self, cache_dir: Option<PathBuf>) -> Self {
        self.refresh = Some(cache_dir);
        self
    }

    /// Joins the project's instructions to the system prompt of every request (after
    /// chatterm's own, so they are inside the cached prefix); `/system` keeps them.
    pub fn with_project_instructions(
        mut self,
        project: crate::attach::ProjectInstructions,
    ) -> Self {
        self.project = project;
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

    /// The model the next request goes to (for `auto`, the routing default's).
    pub fn current_model(&self) -> &str {
        self.model_override
            .as_deref()
            .unwrap_or_else(|| self.models.model_for(self.base_tier()))
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
        let mut refresh = self.refresh.take().map(|dir| {
            let client = self.client.clone();
            tokio::spawn(async move { catalog::refresh(&client, dir.as_deref()).await })
        });
        self.report_size(&updates);
        loop {
            tokio::select! {
                // A finished turn is wrapped up before the next command is read.
                biased;
                outcome = join_turn(&mut running) => {
                    match (outcome, running.take()) {
                        (Some(outcome), _) => self.finish_turn(outcome, &updates),
                        (None, Some(r)) => turn_crashed(r.turn, &updates),
                        (None, None) => {}
                    }
                    if let Some(cmd) = self.deferred.take() {
                        self.handle(cmd, &mut running, &updates);
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.handle(cmd, &mut running, &updates),
                    None => break,
                },
                listed = join(&mut refresh) => {
                    refresh = None;
                    if let Some(Ok(catalog)) = listed {
                        self.adopt_catalog(catalog, &updates);
                    }
                }
            }
        }
        if let Some(task) = refresh {
            task.abort();
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
        let starts_turn = matches!(
            cmd,
            Command::Send(_) | Command::SendAttached { .. } | Command::Fork { .. } | Command::Retry
        );
        if starts_turn && running.is_some() {
            return self.defer(cmd, updates);
        }
        if starts_turn {
            // The draft was sent (or replaced): its count no longer matters.
            self.cancel_draft_count();
        }
        match cmd {
            Command::Send(text) => self.send(&text, &[], running, updates),
            Command::SendAttached { text, attachments } => {
                self.send(&text, &attachments, running, updates);
            }
            Command::Fork { user_index, text } => {
                // The edited message keeps its attachments: only its typed text changes.
                let attached = self.attachments_of(user_index);
                if !self.fork_at(user_index, updates) {
                    return notice(updates, "there is no such message to edit");
                }
                let mut blocks = attached;
                if !text.trim().is_empty() || blocks.is_empty() {
                    blocks.push(crate::api::ContentBlock::text(text));
                }
                tool_plan::push_user_blocks(&mut self.messages, blocks);
                self.record_last_user(updates);
                *running = Some(self.start_turn(updates));
            }
            Command::Retry => {
                if let Some(turn) = self.retry(updates) {
                    *running = Some(turn);
                }
            }
            Command::Resume {
                conversation,
                history,
            } => {
                self.forget(running);
                self.messages = history;
                self.conversation = Some(conversation);
                self.announce_conversation(updates);
                self.report_size(updates);
            }
            Command::Cancel => {
                self.deferred = None;
                if let Some(r) = running {
                    r.cancel.cancel();
                }
            }
            Command::SetTier(tier) => self.set_choice(TierChoice::Fixed(tier), updates),
            Command::SetTierChoice(choice) => self.set_choice(choice, updates),
            Command::SetModel(model) => {
                self.model_override = model.filter(|m| !m.trim().is_empty());
                self.announce_model(updates);
            }
            Command::SetSystem(system) => {
                self.system = system;
                // The last request's size no longer describes the next one.
                self.known = None;
                self.report_size(updates);
            }
            Command::Compact if running.is_some() => {
                notice(
                    updates,
                    "a turn is running: /compact after it ends (Esc stops it)",
                );
            }
            Command::Compact => *running = Some(self.start_compact(updates)),
            Command::Approve { id, decision } => {
                if let Some(r) = running {
                    let _ = r.approvals.send((id, decision, None));
                }
            }
            Command::Refuse { id, reason } => {
                if let Some(r) = running {
                    let _ = r.approvals.send((id, ApprovalDecision::Deny, Some(reason)));
                }
            }
            // The running turn keeps the policy it started with; the front end answers
            // its pending calls itself.
            Command::SetApprovals(policy) => self.tool_settings.approvals = policy,
            Command::SetServerTools(tools) => self.tool_settings.server = tools,
            Command::CountDraft {
                id,
                text,
                attachments,
            } => self.count_draft(id, &text, &attachments, updates),
            Command::CancelDraftCount => self.cancel_draft_count(),
            Command::SetThinking(on) => self.reasoning.set_thinking(on),
            Command::SetEffort(effort) => self.reasoning.effort_override = effort,
            Command::Clear => {
                self.forget(running);
                // The next message begins a new conversation; this one stays stored.
                if self.conversation.take().is_some() {
                    self.announce_conversation(updates);
                }
                self.report_size(updates);
            }
        }
    }

    /// `Retry`: the newest answer leaves the history (and the journal's), and the turn
    /// runs again. `None` when there is nothing to retry.
    fn retry(&mut self, updates: &UnboundedSender<Update>) -> Option<Running> {
        if self
            .messages
            .last()
            .is_some_and(|m| m.role == Role::Assistant)
        {
            self.messages.pop();
            self.record_retracted(updates);
        }
        if self.messages.is_empty() {
            notice(updates, "nothing to retry yet");
            return None;
        }
        if self.results_pending {
            // The results of a stopped round go out with this request: write them first.
            self.record_last_user(updates);
        }
        Some(self.start_turn(updates))
    }

    /// Stops any turn and forgets the conversation's history, so another can take its
    /// place (`Clear`, `Resume`).
    fn forget(&mut self, running: &mut Option<Running>) {
        self.deferred = None;
        if let Some(r) = running.take() {
            r.cancel.cancel();
        }
        self.messages.clear();
        self.tool_memory = ToolMemory::default();
        self.known = None;
        self.title_pending = None;
        self.results_pending = false;
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

    fn set_choice(&mut self, choice: TierChoice, updates: &UnboundedSender<Update>) {
        self.choice = choice;
        self.model_override = None;
        self.announce_model(updates);
    }

    fn announce_model(&mut self, updates: &UnboundedSender<Update>) {
        let tier = match &self.model_override {
            Some(m) => self.models.tier_of(m),
            None => Some(self.base_tier()),
        };
        let _ = updates.send(Update::ModelChanged {
            tier,
            model: self.current_model().to_owned(),
        });
        self.report_size(updates);
    }

    /// Adopts a fresh listing: windows at once, tier models only before the first turn.
    fn adopt_catalog(&mut self, catalog: Catalog, updates: &UnboundedSender<Update>) {
        let before = self.current_model().to_owned();
        if self.next_turn == 1 && self.messages.is_empty() {
            catalog.discover_tiers(&mut self.models);
        }
        self.catalog = catalog;
        if self.current_model() != before {
            self.announce_model(updates);
        } else {
            self.report_size(updates);
        }
    }

    /// The estimated prompt tokens of the next request (without a new message).
    fn next_size(&self) -> u64 {
        match self.known {
            Some(k) if k.messages <= self.messages.len() => {
                k.tokens + context::estimate_messages(&self.messages[k.messages..])
            }
            _ => {
                let settings = self.settings_for(self.current_model(), 1);
                context::estimate_request(&request::build(&self.messages, &settings))
            }
        }
    }

    /// Sends `ContextSize` when the size or the model's window changed.
    fn report_size(&mut self, updates: &UnboundedSender<Update>) {
        let model = self.current_model().to_owned();
        let size = (model.clone(), self.next_size(), self.catalog.window(&model));
        if self.last_size.as_ref() != Some(&size) {
            let _ = updates.send(Update::ContextSize {
                model,
                tokens: size.1,
                window: size.2,
            });
            self.last_size = Some(size);
        }
    }

    fn finish_turn(&mut self, outcome: TurnOutcome, updates: &UnboundedSender<Update>) {
        self.messages = outcome.messages;
        self.tool_memory = outcome.memory;
        self.known = outcome.known;
        self.results_pending = outcome.results_pending;
        if outcome.completed {
            self.spawn_title(updates);
        }
        self.report_size(updates);
    }
}

/// Waits for the running turn; pending forever when there is none.
async fn join_turn(running: &mut Option<Running>) -> Option<TurnOutcome> {
    match running {
        Some(r) => (&mut r.task).await.ok(),
        None => std::future::pending().await,
    }
}

/// Waits for a background task; pending forever when there is none.
async fn join<T>(task: &mut Option<JoinHandle<T>>) -> Option<T> {
    match task {
        Some(t) => t.await.ok(),
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
