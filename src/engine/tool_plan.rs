//! The tool loop's settings and its turn-level decisions. Pure: no IO, tested as tables.
//!
//! - [`ToolSettings`]: on or off, how many calls run at once, how many rounds a turn may
//!   take, fine-grained input streaming, and whether approvals are asked or granted.
//! - [`offer`]: the tool definitions (and `tool_choice`) a request carries. With tools on,
//!   the executor's tools. With tools off (or none), nothing, unless the history already
//!   holds tool blocks: the API rejects such a request without tool definitions, so it
//!   gets a stub definition per tool name in the history and `tool_choice: none`, which
//!   forbids new calls.
//! - [`next_step`]: what follows an answer: the turn is over, its calls run, or its calls
//!   are answered without running (the round limit is reached, or the answer was cut off
//!   before its calls were complete).
//! - History rules: every `tool_use` joins the history together with its `tool_result`s;
//!   [`push_user_text`] puts new text after pending results in the same user message, and
//!   [`answer_dangling_calls`] answers the calls of a resumed history that ends with them.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::api::server_tools::ServerTools;
use crate::api::{
    ContentBlock, Message, MessageResponse, Role, StopReason, ToolDefinition, ToolResultBlock,
};
use crate::tools::{InvalidInput, ToolExecutor, ToolFuture, ToolOutput, ToolSpec};

/// Whether a tool that asks for approval waits for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApprovalPolicy {
    /// Wait for `Command::Approve` (the TUI's inline prompt; print mode refuses).
    #[default]
    Ask,
    /// Run `write_file` without asking (it is confined to the workspace); ask for the
    /// rest, such as `run_command` and command tools (the TUI's "auto-edit" mode).
    AutoEdit,
    /// Run it without asking (`--approve-all`).
    ApproveAll,
}

/// The built-in tool [`ApprovalPolicy::AutoEdit`] runs without asking.
pub const EDIT_TOOL: &str = "write_file";

impl ApprovalPolicy {
    /// Whether a call of `tool`, whose spec asks for approval, waits for the user.
    pub fn asks_for(self, tool: &str) -> bool {
        match self {
            ApprovalPolicy::Ask => true,
            ApprovalPolicy::AutoEdit => tool != EDIT_TOOL,
            ApprovalPolicy::ApproveAll => false,
        }
    }
}

/// How the engine runs tools. `Default` is the documented default configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolSettings {
    /// Offer tools to the model and run its calls (`tools.enabled`, `--no-tools`).
    pub enabled: bool,
    /// Most calls of one answer running at once (at least 1).
    pub parallel: usize,
    /// Most rounds of tool calls in one turn; the calls of the next round are answered
    /// with an error and the turn stops with a notice.
    pub max_rounds: u32,
    /// Send `eager_input_streaming: true` on each tool, so inputs stream finely.
    pub eager_input_streaming: bool,
    pub approvals: ApprovalPolicy,
    /// The API's own tools (web search, web fetch), offered whatever `enabled` says: they
    /// run on the server, so nothing local is run or approved.
    pub server: ServerTools,
}

impl Default for ToolSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            parallel: 4,
            max_rounds: 25,
            eager_input_streaming: true,
            approvals: ApprovalPolicy::Ask,
            server: ServerTools::default(),
        }
    }
}

/// The executor of an engine without tools: offers none, and a call that still arrives is
/// an unknown tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTools;

impl ToolExecutor for NoTools {
    fn specs(&self) -> &[ToolSpec] {
        &[]
    }

    fn validate(&self, name: &str, _input: &Value) -> Result<(), InvalidInput> {
        Err(InvalidInput {
            pointer: String::new(),
            message: format!("unknown tool `{name}`"),
        })
    }

    fn run(&self, name: &str, _input: Value, _cancel: CancellationToken) -> ToolFuture {
        let output = ToolOutput::error(format!("unknown tool `{name}`"));
        Box::pin(async move { output })
    }
}

/// What one request offers the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Offer {
    pub tools: Vec<ToolDefinition>,
    pub tool_choice: Option<Value>,
}

/// The tools a request for `history` carries (see the module docs), then the server
/// tools when they are on.
pub fn offer(executor: &dyn ToolExecutor, settings: &ToolSettings, history: &[Message]) -> Offer {
    let mut offer = local_offer(executor, settings, history);
    if settings.server.any() {
        offer.tools.extend(settings.server.definitions());
        // `none` would forbid the server tools too; a stub called anyway is answered as
        // an unknown tool.
        if offer.tool_choice == Some(json!({"type": "none"})) {
            offer.tool_choice = None;
        }
    }
    offer
}

fn local_offer(executor: &dyn ToolExecutor, settings: &ToolSettings, history: &[Message]) -> Offer {
    let specs = executor.specs();
    if settings.enabled && !specs.is_empty() {
        let eager = settings.eager_input_streaming.then_some(true);
        let tools = specs
            .iter()
            .map(|s| ToolDefinition {
                name: s.name.clone(),
                description: Some(s.description.clone()).filter(|d| !d.is_empty()),
                input_schema: s.input_schema.clone(),
                cache_control: None,
                eager_input_streaming: eager,
                strict: None,
                extra: Default::default(),
            })
            .collect();
        return Offer {
            tools,
            tool_choice: None,
        };
    }
    let names = names_in(history);
    if names.is_empty() {
        return Offer::default();
    }
    let tools = names
        .into_iter()
        .map(|name| ToolDefinition {
            name,
            description: Some("Not available in this conversation any more.".into()),
            input_schema: json!({"type": "object"}),
            cache_control: None,
            eager_input_streaming: None,
            strict: None,
            extra: Default::default(),
        })
        .collect();
    Offer {
        tools,
        tool_choice: Some(json!({"type": "none"})),
    }
}

/// The tool names of the history's calls; a placeholder when it only has results.
fn names_in(history: &[Message]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut results = false;
    for block in history.iter().flat_map(|m| &m.content) {
        match block {
            ContentBlock::ToolUse(t) => {
                names.insert(t.name.clone());
            }
            ContentBlock::ToolResult(_) => results = true,
            _ => {}
        }
    }
    if names.is_empty() && results {
        names.insert("unavailable_tool".into());
    }
    names
}

/// What follows an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// No client tool calls: the turn is over.
    Finish,
    /// The API paused a long server tool turn (`pause_turn`): send the history as it is,
    /// ending with this answer, and the model carries on where it stopped.
    Continue,
    /// Run the calls and send their results.
    RunTools,
    /// Answer every call with this error without running it, then end the turn (with the
    /// notice, when there is one).
    Unrun {
        reason: String,
        notice: Option<String>,
    },
}

/// Decides what follows `message`, after `rounds_run` rounds of tools in this turn.
pub fn next_step(message: &MessageResponse, rounds_run: u32, settings: &ToolSettings) -> Next {
    if message.tool_uses().next().is_none() {
        let paused = message.stop_reason == Some(StopReason::PauseTurn);
        return if paused && rounds_run < settings.max_rounds {
            Next::Continue
        } else {
            Next::Finish
        };
    }
    match &message.stop_reason {
        Some(StopReason::ToolUse) if rounds_run < settings.max_rounds => Next::RunTools,
        Some(StopReason::ToolUse) => Next::Unrun {
            reason: format!(
                "not run: this turn reached its limit of {} tool rounds; tell the user what \
                 you have found so far, and that they can ask you to continue",
                settings.max_rounds
            ),
            notice: Some(format!(
                "stopped after {} tool rounds (tools.max_rounds); send a message to continue",
                settings.max_rounds
            )),
        },
        other => Next::Unrun {
            reason: format!(
                "not run: the answer stopped ({}) before this call was complete",
                other
                    .as_ref()
                    .map_or("without a stop reason", StopReason::as_str)
            ),
            notice: None,
        },
    }
}

/// The `tool_result` block answering call `id`. An empty output says so, because an
/// empty result reads to the model like a lost one.
pub fn tool_result(id: &str, output: &ToolOutput) -> ContentBlock {
    let content = if output.content.is_empty() {
        "(no output)".to_owned()
    } else {
        output.content.clone()
    };
    // Images go after the text as image blocks (MCP results); the structured value stays
    // with the panel: the model reads the text, which servers make carry the same.
    let content = if output.extras.images.is_empty() {
        Value::String(content)
    } else {
        let mut blocks = vec![json!({"type": "text", "text": content})];
        blocks.extend(output.extras.images.iter().map(|image| {
            json!({"type": "image", "source": {"type": "base64",
                "media_type": image.media_type, "data": image.data}})
        }));
        Value::Array(blocks)
    };
    ContentBlock::ToolResult(ToolResultBlock {
        tool_use_id: id.to_owned(),
        content: Some(content),
        is_error: output.is_error.then_some(true),
        cache_control: None,
        extra: Default::default(),
    })
}

/// Adds the user's text to the history. After pending tool results (a cancelled or
/// stopped tool round) it joins their message, after them: the API wants the results
/// first in the very next user message.
pub fn push_user_text(messages: &mut Vec<Message>, text: String) {
    if let Some(last) = messages.last_mut() {
        let only_results = last.role == Role::User
            && !last.content.is_empty()
            && last
                .content
                .iter()
                .all(|b| matches!(b, ContentBlock::ToolResult(_)));
        if only_results {
            last.content.push(ContentBlock::text(text));
            return;
        }
    }
    messages.push(Message::user_text(text));
}

/// When the history ends with an assistant message whose calls were never answered (a
/// resumed conversation), answers them with an error so the next request is valid.
/// Returns whether it did.
pub fn answer_dangling_calls(messages: &mut Vec<Message>) -> bool {
    let Some(last) = messages.last().filter(|m| m.role == Role::Assistant) else {
        return false;
    };
    let output =
        ToolOutput::error("not run: the conversation was interrupted before this call ran");
    let results: Vec<ContentBlock> = last
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolUse(t) => Some(tool_result(&t.id, &output)),
            _ => None,
        })
        .collect();
    if results.is_empty() {
        return false;
    }
    messages.push(Message {
        role: Role::User,
        content: results,
    });
    true
}

/// The last 6 characters of a tool_use id, enough to tell the calls of a turn apart.
pub fn short_id(id: &str) -> &str {
    let start = id.char_indices().rev().nth(5).map_or(0, |(i, _)| i);
    &id[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ToolUseBlock;
    use crate::tools::Approval;

    struct Specs(Vec<ToolSpec>);

    impl ToolExecutor for Specs {
        fn specs(&self) -> &[ToolSpec] {
            &self.0
        }
        fn validate(&self, _: &str, _: &Value) -> Result<(), InvalidInput> {
            Ok(())
        }
        fn run(&self, _: &str, _: Value, _: CancellationToken) -> ToolFuture {
            Box::pin(async { ToolOutput::ok("") })
        }
    }

    fn clock() -> Specs {
        Specs(vec![ToolSpec {
            name: "current_time".into(),
            description: "The time.".into(),
            input_schema: json!({"type": "object"}),
            approval: Approval::Never,
        }])
    }

    fn call(id: &str, name: &str) -> ContentBlock {
        ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: name.into(),
            input: json!({}),
            cache_control: None,
            extra: Default::default(),
        })
    }

    fn answer(stop: StopReason, content: Vec<ContentBlock>) -> MessageResponse {
        MessageResponse {
            id: "msg".into(),
            model: "m".into(),
            role: Role::Assistant,
            content,
            stop_reason: Some(stop),
            stop_sequence: None,
            usage: Default::default(),
            extra: Default::default(),
        }
    }

    #[test]
    fn offers_the_executors_tools_with_eager_streaming() {
        let offer = offer(&clock(), &ToolSettings::default(), &[]);
        let v = serde_json::to_value(&offer.tools).unwrap();
        assert_eq!(
            v,
            json!([{"name": "current_time", "description": "The time.",
                "input_schema": {"type": "object"}, "eager_input_streaming": true}])
        );
        assert_eq!(offer.tool_choice, None);
        let off = ToolSettings {
            eager_input_streaming: false,
            ..ToolSettings::default()
        };
        let plain = super::offer(&clock(), &off, &[]);
        assert_eq!(plain.tools[0].eager_input_streaming, None);
    }

    #[test]
    fn tools_off_offer_nothing_until_the_history_has_tool_blocks() {
        let off = ToolSettings {
            enabled: false,
            ..ToolSettings::default()
        };
        assert_eq!(
            offer(&clock(), &off, &[Message::user_text("hi")]),
            Offer::default()
        );
        assert_eq!(
            offer(&NoTools, &ToolSettings::default(), &[]),
            Offer::default()
        );
        let history = vec![
            Message::user_text("hi"),
            Message {
                role: Role::Assistant,
                content: vec![call("toolu_1", "b_tool"), call("toolu_2", "a_tool")],
            },
        ];
        let stubs = offer(&clock(), &off, &history);
        let names: Vec<&str> = stubs.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a_tool", "b_tool"]);
        assert_eq!(stubs.tool_choice, Some(json!({"type": "none"})));
    }

    #[test]
    fn next_step_table() {
        let s = ToolSettings {
            max_rounds: 2,
            ..ToolSettings::default()
        };
        let text = answer(StopReason::EndTurn, vec![ContentBlock::text("hi")]);
        assert_eq!(next_step(&text, 0, &s), Next::Finish);
        let calls = answer(StopReason::ToolUse, vec![call("t", "f")]);
        assert_eq!(next_step(&calls, 0, &s), Next::RunTools);
        assert_eq!(next_step(&calls, 1, &s), Next::RunTools);
        assert!(matches!(
            next_step(&calls, 2, &s),
            Next::Unrun { reason, notice: Some(n) } if reason.contains("limit of 2") && n.contains("2 tool rounds")
        ));
        let cut = answer(StopReason::MaxTokens, vec![call("t", "f")]);
        assert!(matches!(
            next_step(&cut, 0, &s),
            Next::Unrun { reason, notice: None } if reason.contains("(max_tokens)")
        ));
        // A paused server tool turn goes on, within the same round limit.
        let paused = answer(StopReason::PauseTurn, vec![ContentBlock::text("searching")]);
        assert_eq!(next_step(&paused, 1, &s), Next::Continue);
        assert_eq!(next_step(&paused, 2, &s), Next::Finish);
    }

    #[test]
    fn server_tools_join_the_offer_even_with_local_tools_off() {
        let server = ServerTools::default().switched(true);
        let on = ToolSettings {
            server: server.clone(),
            ..ToolSettings::default()
        };
        let offered = offer(&clock(), &on, &[]);
        let names: Vec<&str> = offered.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["current_time", "web_search", "web_fetch"]);
        let off = ToolSettings {
            enabled: false,
            server,
            ..ToolSettings::default()
        };
        let history = vec![Message {
            role: Role::Assistant,
            content: vec![call("toolu_1", "a_tool")],
        }];
        let offered = offer(&clock(), &off, &history);
        let names: Vec<&str> = offered.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a_tool", "web_search", "web_fetch"]);
        // `none` would forbid searching too.
        assert_eq!(offered.tool_choice, None);
    }

    #[test]
    fn user_text_follows_pending_results_in_their_message() {
        let output = ToolOutput::error("cancelled by user");
        let mut history = vec![Message {
            role: Role::User,
            content: vec![tool_result("toolu_1", &output)],
        }];
        push_user_text(&mut history, "go on".into());
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].content[1], ContentBlock::text("go on"));
        push_user_text(&mut history, "again".into());
        assert_eq!(history.len(), 2);
    }

    #[test]
    fn dangling_calls_get_error_results() {
        let mut history = vec![
            Message::user_text("hi"),
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::text("checking"), call("toolu_1", "f")],
            },
        ];
        assert!(answer_dangling_calls(&mut history));
        let v = serde_json::to_value(&history[2]).unwrap();
        assert_eq!(v["role"], "user");
        assert_eq!(v["content"][0]["tool_use_id"], "toolu_1");
        assert_eq!(v["content"][0]["is_error"], true);
        assert!(!answer_dangling_calls(&mut history));
    }

    #[test]
    fn results_and_short_ids() {
        let v = serde_json::to_value(tool_result("t", &ToolOutput::ok(""))).unwrap();
        assert_eq!(
            v,
            json!({"type": "tool_result", "tool_use_id": "t", "content": "(no output)"})
        );
        assert_eq!(short_id("toolu_01A09q90qw90lq917835lq9"), "835lq9");
        assert_eq!(short_id("ab"), "ab");
        assert_eq!(short_id("toolu_é12345"), "é12345");
    }
}
