//! Shared set-up of the tool-loop tests: an engine with the fake executor, scripted
//! answers that call tools, and readers for what the mock received.

use std::sync::Arc;

use chatterm::api::{StopReason, Usage};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, ToolSettings, ToolStatus, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::tools::ToolExecutor;
use serde_json::Value;

use crate::common::*;
use crate::fake_tools::FakeTools;

pub fn engine_with(
    server: &MockServer,
    tools: &Arc<FakeTools>,
    settings: ToolSettings,
) -> EngineHandle {
    let config = test_config();
    let executor: Arc<dyn ToolExecutor> = tools.clone();
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_tools(executor, settings)
        .spawn()
}

pub fn start() -> Step {
    Step::Start {
        usage: Usage {
            input_tokens: 20,
            output_tokens: 1,
            ..Usage::default()
        },
    }
}

/// An answer that says "Checking." and makes these calls, inputs streamed in 3 pieces.
pub fn calls(list: &[(&str, &str, Value)]) -> Reply {
    let mut steps = vec![start(), Step::text("Checking.")];
    for (id, name, input) in list {
        let json = input.to_string();
        let (a, b) = json.split_at(json.len() / 2);
        steps.push(Step::tool_use(id, name, &["", a, b]));
    }
    steps.push(Step::stop(StopReason::ToolUse, 30));
    Reply::Script(Script::new(steps))
}

pub fn text(answer: &str) -> Reply {
    Reply::Script(Script::new(vec![
        start(),
        Step::text(answer),
        Step::end_turn(5),
    ]))
}

/// The body of the n-th Messages request.
pub fn body(server: &MockServer, n: usize) -> Value {
    message_requests(server)[n].body.clone().unwrap()
}

/// The tool_result blocks of the last message of request `n`.
pub fn results_of(server: &MockServer, n: usize) -> Vec<Value> {
    let body = body(server, n);
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    last["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .cloned()
        .collect()
}

/// The statuses reported for call `id`, as short names.
pub fn statuses(updates: &[Update], id: &str) -> Vec<&'static str> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Tool { id: i, status, .. } if i == id => Some(match status {
                ToolStatus::Validating => "validating",
                ToolStatus::Invalid(_) => "invalid",
                ToolStatus::AwaitingApproval => "approval",
                ToolStatus::Running => "running",
                ToolStatus::Finished { output, .. } if output.is_error => "failed",
                ToolStatus::Finished { .. } => "finished",
                ToolStatus::NotRun { .. } => "not run",
            }),
            _ => None,
        })
        .collect()
}

pub fn count(updates: &[Update], f: impl Fn(&Update) -> bool) -> usize {
    updates.iter().filter(|u| f(u)).count()
}

/// Sends `text` and answers what the turn reports with `react` until the turn ends.
pub async fn turn_reacting(
    handle: &mut EngineHandle,
    text: &str,
    react: impl Fn(&Update) -> Option<Command>,
) -> Vec<Update> {
    handle.commands.send(Command::Send(text.into())).unwrap();
    collect_turn_reacting(handle, react).await
}
