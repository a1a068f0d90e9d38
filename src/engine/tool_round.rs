//! One round of tool calls: the calls of one answer, from triage to their results. Pure.
//!
//! [`Round::start`] triages every `tool_use` of the answer, in order:
//!
//! 1. a call whose result already exists (same tool_use id, see [`ToolMemory`]) keeps it
//!    and does not run again;
//! 2. a round that may not run (round limit, cut-off answer) answers it with that reason;
//! 3. tools off: answered "tools are off";
//! 4. unknown tool: answered with the list of tools there are;
//! 5. validated against the schema (`Validating`); invalid: answered with the violation;
//! 6. a tool that asks, unless approved "always" or the policy approves everything:
//!    `AwaitingApproval` until [`Round::approve`];
//! 7. otherwise ready to run.
//!
//! The round then asks the driver to run ready calls, in order, at most `parallel` at a
//! time ([`RoundEffect::Run`]), and reports every status change as a
//! [`RoundEffect::Status`]. The driver feeds back finished runs and the user's answers,
//! and [`Round::cancel`] answers every call that has no result yet with "cancelled by user".
//!
//! Invariant: once [`Round::is_done`], [`Round::results`] holds exactly one `tool_result`
//! per call, in the order of the calls, so the user message that carries them is valid.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::ToolStatus;
use super::tool_plan::{ToolSettings, tool_result};
use crate::api::{ContentBlock, ToolUseBlock};
use crate::tools::{Approval, ApprovalDecision, InvalidInput, ToolExecutor, ToolOutput, ToolSpec};

/// What a conversation remembers about its tools across turns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolMemory {
    /// Tools the user approved "always".
    always: HashSet<String>,
    /// Results of calls that ran, by tool_use id: a call is never run twice.
    results: HashMap<String, ToolOutput>,
}

impl ToolMemory {
    pub fn always_allowed(&self, name: &str) -> bool {
        self.always.contains(name)
    }

    pub fn result(&self, id: &str) -> Option<&ToolOutput> {
        self.results.get(id)
    }
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum RoundEffect {
    /// Report this status (as `Update::Tool`).
    Status {
        id: String,
        name: String,
        status: ToolStatus,
    },
    /// Start this call; report its end with [`Round::finished`] and the same `index`.
    Run {
        index: usize,
        name: String,
        input: Value,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    AwaitingApproval,
    Ready,
    Running,
    Done(ToolOutput),
}

#[derive(Debug, Clone)]
struct Call {
    id: String,
    name: String,
    input: Value,
    state: State,
}

/// The calls of one answer and where each stands.
#[derive(Debug, Clone)]
pub struct Round {
    calls: Vec<Call>,
    parallel: usize,
}

/// What triage needs to know.
pub struct Triage<'a> {
    pub executor: &'a dyn ToolExecutor,
    pub settings: &'a ToolSettings,
    pub memory: &'a ToolMemory,
    /// Answer every call with this error instead of running it.
    pub unrun: Option<&'a str>,
}

impl Round {
    /// Triages `calls` (see the module docs) and starts what can start.
    pub fn start(calls: &[&ToolUseBlock], triage: &Triage<'_>) -> (Self, Vec<RoundEffect>) {
        let mut effects = Vec::new();
        let calls = calls
            .iter()
            .map(|c| {
                let state = triage_one(c, triage, &mut effects);
                Call {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    input: c.input.clone(),
                    state,
                }
            })
            .collect();
        let mut round = Self {
            calls,
            parallel: triage.settings.parallel.max(1),
        };
        round.schedule(&mut effects);
        (round, effects)
    }

    /// The position of call `id` while it awaits approval.
    fn awaiting(&self, id: &str) -> Option<usize> {
        (self.calls)
            .iter()
            .position(|c| c.id == id && c.state == State::AwaitingApproval)
    }

    /// The user's answer for call `id`; ignored unless that call awaits approval.
    /// "Always" also releases the other calls of the same tool that wait.
    pub fn approve(
        &mut self,
        id: &str,
        decision: ApprovalDecision,
        memory: &mut ToolMemory,
    ) -> Vec<RoundEffect> {
        let mut effects = Vec::new();
        let Some(i) = self.awaiting(id) else {
            return effects;
        };
        match decision {
            ApprovalDecision::Once => self.calls[i].state = State::Ready,
            ApprovalDecision::Always => {
                let name = self.calls[i].name.clone();
                memory.always.insert(name.clone());
                for c in &mut self.calls {
                    if c.name == name && c.state == State::AwaitingApproval {
                        c.state = State::Ready;
                    }
                }
            }
            ApprovalDecision::Deny => {
                let output = ToolOutput::error(
                    "not run: the user refused this call; do not retry it unless they ask",
                );
                self.settle_unrun(i, output, &mut effects);
            }
            ApprovalDecision::Unattended => {
                let output = ToolOutput::error(
                    "not run: approval was not possible in this mode (print mode, no one to \
                     ask); the user can rerun with --approve-all to allow it",
                );
                self.settle_unrun(i, output, &mut effects);
            }
        }
        self.schedule(&mut effects);
        effects
    }

    /// The user refused call `id` and said why: the model gets the reason in the result.
    /// Ignored unless that call awaits approval.
    pub fn refuse(&mut self, id: &str, reason: &str) -> Vec<RoundEffect> {
        let mut effects = Vec::new();
        let Some(i) = self.awaiting(id) else {
            return effects;
        };
        let output = ToolOutput::error(format!(
            "not run: the user refused this call, saying: {reason}"
        ));
        self.settle_unrun(i, output, &mut effects);
        self.schedule(&mut effects);
        effects
    }

    /// Call `index` finished after `duration`; its result is remembered by id.
    pub fn finished(
        &mut self,
        index: usize,
        output: ToolOutput,
        duration: Duration,
        memory: &mut ToolMemory,
    ) -> Vec<RoundEffect> {
        let mut effects = Vec::new();
        let Some(call) = self.calls.get_mut(index) else {
            return effects;
        };
        if call.state != State::Running {
            return effects;
        }
        memory.results.insert(call.id.clone(), output.clone());
        effects.push(status(
            call,
            ToolStatus::Finished {
                output: output.clone(),
                duration,
            },
        ));
        call.state = State::Done(output);
        self.schedule(&mut effects);
        effects
    }

    /// Answers every call without a result with "cancelled by user".
    pub fn cancel(&mut self) -> Vec<RoundEffect> {
        let mut effects = Vec::new();
        for i in 0..self.calls.len() {
            if !matches!(self.calls[i].state, State::Done(_)) {
                self.settle_unrun(i, ToolOutput::error("cancelled by user"), &mut effects);
            }
        }
        effects
    }

    pub fn is_done(&self) -> bool {
        self.calls.iter().all(|c| matches!(c.state, State::Done(_)))
    }

    /// Whether some call waits for the user.
    pub fn awaits_approval(&self) -> bool {
        self.calls
            .iter()
            .any(|c| c.state == State::AwaitingApproval)
    }

    /// One `tool_result` per call, in call order. A call still open (only if the driver
    /// asks too early) is answered "not run" rather than left out.
    pub fn results(&self) -> Vec<ContentBlock> {
        self.calls
            .iter()
            .map(|c| match &c.state {
                State::Done(output) => tool_result(&c.id, output),
                _ => tool_result(&c.id, &ToolOutput::error("not run")),
            })
            .collect()
    }

    fn settle_unrun(&mut self, i: usize, output: ToolOutput, effects: &mut Vec<RoundEffect>) {
        let call = &mut self.calls[i];
        effects.push(status(
            call,
            ToolStatus::NotRun {
                output: output.clone(),
            },
        ));
        call.state = State::Done(output);
    }

    /// Starts ready calls, in order, while fewer than `parallel` run.
    fn schedule(&mut self, effects: &mut Vec<RoundEffect>) {
        let mut running = self
            .calls
            .iter()
            .filter(|c| c.state == State::Running)
            .count();
        for (index, call) in self.calls.iter_mut().enumerate() {
            if running >= self.parallel {
                break;
            }
            if call.state != State::Ready {
                continue;
            }
            call.state = State::Running;
            running += 1;
            effects.push(status(call, ToolStatus::Running));
            effects.push(RoundEffect::Run {
                index,
                name: call.name.clone(),
                input: call.input.clone(),
            });
        }
    }
}

fn status(call: &Call, status: ToolStatus) -> RoundEffect {
    RoundEffect::Status {
        id: call.id.clone(),
        name: call.name.clone(),
        status,
    }
}

/// Steps 1-7 of the module docs for one call: its first state, with the statuses to report.
fn triage_one(call: &ToolUseBlock, t: &Triage<'_>, effects: &mut Vec<RoundEffect>) -> State {
    let mut report = |status: ToolStatus| {
        effects.push(RoundEffect::Status {
            id: call.id.clone(),
            name: call.name.clone(),
            status,
        });
    };
    if let Some(output) = t.memory.result(&call.id) {
        report(ToolStatus::Finished {
            output: output.clone(),
            duration: Duration::ZERO,
        });
        return State::Done(output.clone());
    }
    let spec = match runnable(call, t) {
        Ok(spec) => spec,
        Err(output) => {
            report(ToolStatus::NotRun {
                output: output.clone(),
            });
            return State::Done(output);
        }
    };
    report(ToolStatus::Validating);
    if let Err(invalid) = check_input(t.executor, &call.name, &call.input) {
        let text = format!(
            "invalid input for `{}`: {invalid}. Fix the input to match the tool's \
             input_schema and call it again.",
            call.name
        );
        report(ToolStatus::Invalid(invalid));
        return State::Done(ToolOutput::error(text));
    }
    let asks = spec.approval == Approval::Ask
        && t.settings.approvals.asks_for(&call.name)
        && !t.memory.always_allowed(&call.name);
    if asks {
        report(ToolStatus::AwaitingApproval);
        return State::AwaitingApproval;
    }
    State::Ready
}

/// Steps 2-4: the tool's spec when the call may run at all, else the error it gets.
fn runnable<'a>(call: &ToolUseBlock, t: &Triage<'a>) -> Result<&'a ToolSpec, ToolOutput> {
    if let Some(reason) = t.unrun {
        return Err(ToolOutput::error(reason));
    }
    if !t.settings.enabled {
        return Err(ToolOutput::error(format!(
            "not run: tools are turned off in this session, so `{}` is not available; \
             answer without tools",
            call.name
        )));
    }
    t.executor
        .spec(&call.name)
        .ok_or_else(|| ToolOutput::error(unknown_tool(&call.name, t.executor)))
}

fn unknown_tool(name: &str, executor: &dyn ToolExecutor) -> String {
    let names: Vec<&str> = executor.specs().iter().map(|s| s.name.as_str()).collect();
    if names.is_empty() {
        format!("unknown tool `{name}`: no tools are available; answer without tools")
    } else {
        format!(
            "unknown tool `{name}`; the available tools are: {}",
            names.join(", ")
        )
    }
}

/// Checks the input; a tool input that was not JSON at all (kept by the stream as
/// `{"INVALID_JSON": raw}`) is reported as such rather than as a schema violation.
fn check_input(executor: &dyn ToolExecutor, name: &str, input: &Value) -> Result<(), InvalidInput> {
    if let Some(raw) = input
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("INVALID_JSON"))
        .and_then(Value::as_str)
    {
        let shown: String = raw.chars().take(200).collect();
        return Err(InvalidInput {
            pointer: String::new(),
            message: format!("the input is not valid JSON: {shown}"),
        });
    }
    executor.validate(name, input)
}

#[cfg(test)]
mod tests;
