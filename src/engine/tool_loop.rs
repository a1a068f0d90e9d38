//! The driver of a whole turn: requests and tool rounds until the model stops.
//!
//! [`run`] sends a request ([`super::turn::request`], with its retries and fallbacks),
//! asks [`tool_plan::next_step`] what follows the answer, and for a round of tool calls
//! carries out the [`Round`]'s effects: reports statuses, runs calls on their own tasks
//! (at most `parallel` at once), waits for approvals, and sends one user message with all
//! the results before the next request. The decisions are all in [`super::tool_plan`] and
//! [`super::tool_round`]; this file only does the IO.
//!
//! Invariants:
//! - `TurnFinished` or `Error` is reported exactly once, at the very end of the turn;
//!   every request reports its own `Connected` and `Usage` updates as it streams.
//! - An assistant message with calls joins the history only together with the user
//!   message holding one result per call, whatever happens (cancel, limits, failures).
//! - The answer goes back verbatim, thinking and redacted thinking blocks included.
//! - Tools run on their own tasks with a child of the turn's cancellation token: a cancel
//!   fires the token, waits briefly for the tools to stop, then aborts what is left; a tool
//!   that panics is an error result, never a dead turn.
//! - A retried request only re-sends the history: calls ran once, and a call id that
//!   already has a result is never run again ([`ToolMemory`]).
//! - With a journal, each answer is written as it ends, each tool result as it finishes,
//!   and each round's results message before the request that carries it; a results
//!   message that ends the turn is left for the session to write with the next message
//!   ([`TurnOutcome::results_pending`]).
//! - Every request of the turn, the follow-ups after tool rounds included, is bounded
//!   first ([`compact::bound`]): a round of large tool results can push the next request
//!   over the window as surely as a long user message can.
//!
//! Why an async loop and not a pure state machine driven by a shell: the decisions are
//! already pure and tested as tables (`attempts.rs`: retry or fall back; `tool_plan.rs`:
//! what follows an answer; `tool_round.rs`: a round as `event -> effects`). What is left
//! here is only the order of the awaits (bound, request, journal the answer, run the
//! round, journal its results, next request), and the loop reads top to bottom as that
//! order. A machine would add a state enum mirroring those awaits without taking a
//! decision out of them. The order itself is tested as a table in
//! `tests/it/turn_table.rs`, one row per edge case (fallback in the middle of a tool
//! round, cancel while awaiting approval, the round limit, an error after a partial, a
//! retry after a drop, a crash between a round's results and the next request), each
//! with its updates, requests and journal writes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;

use super::attempts::Attempts;
use super::compact::{self, BoundInput, Known, Limits};
use super::journal::TurnJournal;
use super::request::RequestSettings;
use super::tool_plan::{self, Next, ToolSettings};
use super::tool_round::{Round, RoundEffect, ToolMemory, Triage};
use super::turn::{self, Failed, TurnContext};
use super::{ToolStatus, TurnStats, Update};
use crate::api::{ApiError, Message, MessageResponse, Role, ToolUseBlock};
use crate::store::ToolRun;
use crate::tools::{ApprovalDecision, CallContext, ToolExecutor, ToolOutput};

/// How long cancelled tools get to stop on their own before they are aborted.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// The user's answer to an approval prompt, as the session forwards it.
/// A user's answer to a call awaiting approval: its id, the decision, and for a refusal
/// the reason they gave, if any.
pub type ApprovalAnswer = (String, ApprovalDecision, Option<String>);

/// What the turn needs besides its history.
pub struct LoopContext<'a> {
    pub turn: TurnContext<'a>,
    pub tools: &'a Arc<dyn ToolExecutor>,
    pub settings: &'a ToolSettings,
    pub limits: &'a Limits,
    pub journal: TurnJournal<'a>,
}

/// How a turn ended, for the session: the history as it now stands (the complete rounds
/// added; folded when bounding folded it), the conversation's tool memory, handed back,
/// and the size of the last request that was answered.
#[derive(Debug)]
pub struct TurnOutcome {
    pub messages: Vec<Message>,
    pub memory: ToolMemory,
    pub known: Option<Known>,
    /// The turn's last answer completed (it did not fail or get cancelled).
    pub completed: bool,
    /// The history ends with a results message not yet written to the journal.
    pub results_pending: bool,
}

/// Everything a turn owns while it runs.
pub struct TurnState {
    /// The history the first request sends (the new user message included).
    pub messages: Vec<Message>,
    pub request: RequestSettings,
    pub attempts: Attempts,
    pub memory: ToolMemory,
    /// The size of the conversation's previous request, for the first estimate.
    pub known: Option<Known>,
}

/// Runs the turn to its end (see the module docs).
pub async fn run(
    ctx: &LoopContext<'_>,
    state: TurnState,
    approvals: &mut UnboundedReceiver<ApprovalAnswer>,
) -> TurnOutcome {
    let TurnState {
        mut messages,
        request,
        attempts,
        mut memory,
        mut known,
    } = state;
    let mut history = History {
        messages: &mut messages,
        memory: &mut memory,
        known: &mut known,
        results_pending: false,
    };
    let end = rounds(ctx, &mut history, request, attempts, approvals).await;
    let results_pending = history.results_pending;
    let completed = matches!(end, End::Finished(..));
    let turn = ctx.turn.turn;
    ctx.turn.emit(match end {
        End::Failed(failed) => Update::Error {
            turn,
            error: failed.error,
            partial: failed.partial,
        },
        End::Cancelled => Update::Error {
            turn,
            error: ApiError::Cancelled,
            partial: None,
        },
        End::Finished(message, stats) => Update::TurnFinished {
            turn,
            message,
            stats,
        },
    });
    TurnOutcome {
        messages,
        memory,
        known,
        completed,
        results_pending,
    }
}

/// What the rounds of a turn change as they go.
struct History<'a> {
    messages: &'a mut Vec<Message>,
    memory: &'a mut ToolMemory,
    known: &'a mut Option<Known>,
    results_pending: bool,
}

/// How the rounds of a turn ended.
enum End {
    Failed(Failed),
    /// Cancelled during a round of tools (a cancelled request is `Failed`).
    Cancelled,
    Finished(MessageResponse, TurnStats),
}

/// Requests and tool rounds until the turn ends; every complete round joins `messages`.
async fn rounds(
    ctx: &LoopContext<'_>,
    history: &mut History<'_>,
    mut request: RequestSettings,
    mut attempts: Attempts,
    approvals: &mut UnboundedReceiver<ApprovalAnswer>,
) -> End {
    let mut rounds = 0;
    loop {
        // A changing tool set (MCP servers) is frozen for the request and its round: what
        // was offered is what runs, and a server gone since is gone from the next offer.
        let tools = ctx
            .tools
            .snapshot()
            .unwrap_or_else(|| Arc::clone(ctx.tools));
        let offer = tool_plan::offer(tools.as_ref(), ctx.settings, history.messages);
        request.tools = offer.tools;
        request.tool_choice = offer.tool_choice;
        let mut body = match bounded(ctx, history, &request).await {
            Ok(body) => body,
            Err(error) => {
                return End::Failed(Failed {
                    error,
                    partial: None,
                });
            }
        };
        let (message, stats) = match turn::request(&ctx.turn, &mut body, &mut attempts).await {
            Ok(answer) => answer,
            Err(failed) => {
                let answer = failed.partial.as_ref();
                (ctx.journal).answer_ended(answer, Some(&failed.error), ctx.turn.updates);
                return End::Failed(failed);
            }
        };
        ctx.journal
            .answer_ended(Some(&message), None, ctx.turn.updates);
        let next = tool_plan::next_step(&message, rounds, ctx.settings);
        *history.known = Some(Known {
            messages: history.messages.len(),
            tokens: message.usage.prompt_tokens(),
        });
        let messages = &mut *history.messages;
        messages.push(message.to_message());
        let (unrun, notice) = match next {
            Next::Finish => return End::Finished(message, stats),
            Next::Continue => {
                // The answer so far is in the history; the next request continues it.
                rounds += 1;
                attempts.next_round();
                continue;
            }
            Next::RunTools => (None, None),
            Next::Unrun { reason, notice } => (Some(reason), notice),
        };
        let calls: Vec<&ToolUseBlock> = message.tool_uses().collect();
        let (results, cancelled) = Runner::new(ctx, &tools, &calls)
            .round(history.memory, approvals, unrun.as_deref())
            .await;
        messages.push(Message {
            role: Role::User,
            content: results,
        });
        if cancelled || unrun.is_some() {
            // Sent, if ever, with the user's next message, which joins it.
            history.results_pending = true;
        } else if let Some(results) = messages.last() {
            ctx.journal.user_message(results, ctx.turn.updates);
        }
        if cancelled {
            return End::Cancelled;
        }
        if unrun.is_some() {
            if let Some(text) = notice {
                ctx.turn.emit(Update::Notice {
                    turn: Some(ctx.turn.turn),
                    text,
                });
            }
            return End::Finished(message, stats);
        }
        rounds += 1;
        attempts.next_round();
    }
}

/// The request body for the history as it stands, after bounding it: a fold replaces the
/// history (and forgets the last request's size, which no longer describes it).
async fn bounded(
    ctx: &LoopContext<'_>,
    history: &mut History<'_>,
    request: &RequestSettings,
) -> Result<crate::api::MessagesRequest, ApiError> {
    let input = BoundInput {
        messages: history.messages,
        known: *history.known,
        settings: request,
        limits: ctx.limits,
    };
    let bounded = compact::bound(&ctx.turn, input).await?;
    if let Some(folded) = bounded.folded {
        *history.messages = folded;
        *history.known = None;
    }
    Ok(bounded.request)
}

/// The IO of one round: the running tool tasks and their start times.
struct Runner<'a, 'c> {
    ctx: &'a LoopContext<'c>,
    tools: &'a Arc<dyn ToolExecutor>,
    calls: &'a [&'a ToolUseBlock],
    tasks: JoinSet<ToolOutput>,
    started: HashMap<Id, (usize, Instant)>,
    cancel: tokio_util::sync::CancellationToken,
}

impl<'a, 'c> Runner<'a, 'c> {
    fn new(
        ctx: &'a LoopContext<'c>,
        tools: &'a Arc<dyn ToolExecutor>,
        calls: &'a [&'a ToolUseBlock],
    ) -> Self {
        Self {
            ctx,
            tools,
            calls,
            tasks: JoinSet::new(),
            started: HashMap::new(),
            cancel: ctx.turn.cancel.child_token(),
        }
    }

    /// Runs the round to its end; returns the results in call order, and whether the
    /// user cancelled it.
    async fn round(
        &mut self,
        memory: &mut ToolMemory,
        approvals: &mut UnboundedReceiver<ApprovalAnswer>,
        unrun: Option<&str>,
    ) -> (Vec<crate::api::ContentBlock>, bool) {
        let triage = Triage {
            executor: self.tools.as_ref(),
            settings: self.ctx.settings,
            memory,
            unrun,
        };
        // Answers that arrived before this round asked for any belong to no call of it.
        while approvals.try_recv().is_ok() {}
        let (mut round, effects) = Round::start(self.calls, &triage);
        self.apply(effects);
        while !round.is_done() {
            tokio::select! {
                biased;
                _ = self.ctx.turn.cancel.cancelled() => {
                    self.stop().await;
                    self.apply(round.cancel());
                    return (round.results(), true);
                }
                Some(joined) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    let (index, output, duration) = self.joined(joined);
                    self.apply(round.finished(index, output, duration, memory));
                }
                Some((id, decision, reason)) = approvals.recv(), if round.awaits_approval() => {
                    let effects = match reason {
                        Some(reason) => round.refuse(&id, &reason),
                        None => round.approve(&id, decision, memory),
                    };
                    self.apply(effects);
                }
            }
        }
        (round.results(), false)
    }

    fn apply(&mut self, effects: Vec<RoundEffect>) {
        for effect in effects {
            match effect {
                RoundEffect::Status { id, name, status } => {
                    self.journal_result(&id, &status);
                    if status == ToolStatus::AwaitingApproval {
                        self.preview(&id, &name);
                    }
                    self.ctx.turn.emit(Update::Tool {
                        turn: self.ctx.turn.turn,
                        id,
                        name,
                        status,
                    });
                }
                RoundEffect::Run { index, name, input } => self.spawn(index, name, input),
            }
        }
    }

    /// What a call awaiting approval would change, for the prompt (read now, so it shows
    /// the file as it is when the user decides).
    fn preview(&self, id: &str, name: &str) {
        let Some(call) = self.calls.iter().find(|c| c.id == id) else {
            return;
        };
        if let Some(preview) = self.tools.approval_preview(name, &call.input) {
            self.ctx.turn.emit(Update::ToolPreview {
                turn: self.ctx.turn.turn,
                id: id.to_owned(),
                preview,
            });
        }
    }

    /// A call's result goes to the journal as soon as it is known.
    fn journal_result(&self, id: &str, status: &ToolStatus) {
        let (output, duration, run) = match status {
            ToolStatus::Finished { output, duration } => (output, *duration, ToolRun::Ran),
            ToolStatus::NotRun { output } => (output, Duration::ZERO, ToolRun::NotRun),
            _ => return,
        };
        if let Some(call) = self.calls.iter().find(|c| c.id == id) {
            let updates = self.ctx.turn.updates;
            (self.ctx.journal).tool_result(call, output, duration, run, updates);
        }
    }

    fn spawn(&mut self, index: usize, name: String, input: serde_json::Value) {
        let tools = Arc::clone(self.tools);
        let cancel = self.cancel.clone();
        let id = self
            .calls
            .get(index)
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let (updates, turn, call_id) = (
            self.ctx.turn.updates.clone(),
            self.ctx.turn.turn,
            id.clone(),
        );
        let call = CallContext {
            id,
            progress: Arc::new(move |progress| {
                let id = call_id.clone();
                let _ = updates.send(Update::ToolProgress { turn, id, progress });
            }),
        };
        // `run` itself is called on the task, so a tool that panics while starting is
        // caught like one that panics while running.
        let handle = self
            .tasks
            .spawn(async move { tools.run_call(&name, input, cancel, call).await });
        self.started.insert(handle.id(), (index, Instant::now()));
    }

    /// The call index, output and duration of a task that ended.
    fn joined(
        &mut self,
        joined: Result<(Id, ToolOutput), JoinError>,
    ) -> (usize, ToolOutput, Duration) {
        let (id, output) = match joined {
            Ok(done) => done,
            Err(e) => {
                let why = if e.is_panic() {
                    "crashed"
                } else {
                    "was stopped"
                };
                (
                    e.id(),
                    ToolOutput::error(format!("the tool {why} before it finished")),
                )
            }
        };
        let (index, started) = self
            .started
            .remove(&id)
            .unwrap_or((usize::MAX, Instant::now()));
        (index, output, started.elapsed())
    }

    /// Cancels the running tools: fires their token, gives them [`CANCEL_GRACE`] to stop,
    /// then aborts the rest.
    async fn stop(&mut self) {
        self.cancel.cancel();
        let tasks = &mut self.tasks;
        let _ = tokio::time::timeout(CANCEL_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
    }
}
