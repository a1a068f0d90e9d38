//! Prompts as commands: listed in the popup and help, their arguments by position or by
//! name, a missing one said with the line kept, the rendered text in the input.

use crossterm::event::KeyCode;

use super::*;
use crate::tui::app::mcp::tests::{failed, server};
use crate::tui::app::mcp::{PromptArgument, PromptInfo};
use crate::tui::test_support::*;

fn arg(name: &str, required: bool) -> PromptArgument {
    PromptArgument {
        name: name.into(),
        description: None,
        required,
    }
}

fn prompt(name: &str, description: &str, arguments: Vec<PromptArgument>) -> PromptInfo {
    PromptInfo {
        name: name.into(),
        description: Some(description.into()),
        arguments,
    }
}

/// `fs` with `review FILE [FOCUS]` and `standup`, and a failed server with a prompt.
fn app_with_prompts() -> App {
    let mut app = app();
    let mut fs = server("fs", ServerState::Ready, &["read_file"]);
    fs.prompts = vec![
        prompt(
            "review",
            "Review a file\nin depth",
            vec![arg("file", true), arg("focus", false)],
        ),
        prompt("standup", "Yesterday, today, blockers", Vec::new()),
        // Names that could not be typed back, or would draw otherwise, are no commands.
        prompt("two words", "x", Vec::new()),
        prompt("esc\u{1b}[2J", "x", Vec::new()),
    ];
    let mut down = server("db", failed("crashed"), &[]);
    down.prompts = vec![prompt("schema", "Describe the schema", Vec::new())];
    app.set_mcp_servers(vec![fs, down]);
    app
}

fn sent(app: &mut App, line: &str) -> Vec<Effect> {
    type_text(app, line);
    press(app, KeyCode::Enter);
    app.take_effects()
}

fn prompt_effect(arguments: &[(&str, &str)]) -> Effect {
    Effect::McpPrompt {
        server: "fs".into(),
        prompt: "review".into(),
        arguments: arguments
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
    }
}

#[test]
fn the_popup_lists_ready_servers_plain_prompts_with_their_arguments() {
    let mut app = app_with_prompts();
    type_text(&mut app, "/fs");
    let text = screen(&mut app, 100, 30);
    assert!(
        text.contains("/fs:review FILE [FOCUS]  Review a file"),
        "{text}"
    );
    assert!(text.contains("/fs:standup"), "{text}");
    assert!(
        !text.contains("two words") && !text.contains("db:schema"),
        "{text}"
    );
    // Tab completes the name, ready for its arguments.
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.input.text(), "/fs:review ");
}

#[test]
fn arguments_go_in_order_the_last_taking_the_rest_or_by_name() {
    let mut app = app_with_prompts();
    let effects = sent(&mut app, "/fs:review src/main.rs error handling");
    let both = [("file", "src/main.rs"), ("focus", "error handling")];
    assert_eq!(effects, vec![prompt_effect(&both)]);
    assert_eq!(app.input.text(), "", "the command left the input");
    let effects = sent(&mut app, "/fs:review focus=error handling file=src/main.rs");
    let named = [("focus", "error handling"), ("file", "src/main.rs")];
    assert_eq!(effects, vec![prompt_effect(&named)]);
    let effects = sent(&mut app, "/fs:review a.rs");
    assert_eq!(effects, vec![prompt_effect(&[("file", "a.rs")])]);
}

#[test]
fn a_missing_required_argument_is_said_and_the_line_kept() {
    let mut app = app_with_prompts();
    let effects = sent(&mut app, "/fs:review ");
    assert!(effects.is_empty());
    assert_eq!(app.flash.clone().unwrap().0, "/fs:review: needs FILE");
    assert_eq!(app.input.text(), "/fs:review ");
    app.input.set_text("");
    let effects = sent(&mut app, "/fs:standup now");
    assert!(effects.is_empty());
    assert_eq!(
        app.flash.clone().unwrap().0,
        "/fs:standup: takes no arguments"
    );
}

#[test]
fn a_prompt_of_a_server_that_is_down_is_no_command() {
    let mut app = app_with_prompts();
    let effects = sent(&mut app, "/db:schema");
    assert!(effects.is_empty());
    let flash = app.flash.clone().unwrap().0;
    assert!(flash.contains("is not a command"), "{flash}");
}

#[test]
fn the_rendered_prompt_fills_the_input_and_a_failure_leaves_it() {
    let mut app = app_with_prompts();
    sent(&mut app, "/fs:standup");
    app.mcp_prompt_rendered(Ok("Write my standup:\n- yesterday".into()), now());
    assert_eq!(app.input.text(), "Write my standup:\n- yesterday");
    app.mcp_prompt_rendered(
        Err("MCP server \"fs\" is not ready (stopped)".into()),
        now(),
    );
    assert_eq!(app.input.text(), "Write my standup:\n- yesterday");
    let flash = app.flash.clone().unwrap().0;
    assert_eq!(
        flash,
        "prompt failed: MCP server \"fs\" is not ready (stopped)"
    );
    // Enter now sends the prompt's text as a message.
    press(&mut app, KeyCode::Enter);
    let commands = engine_commands(&mut app);
    let message = crate::engine::Command::Send("Write my standup:\n- yesterday".into());
    assert_eq!(commands, vec![message]);
}

#[test]
fn help_lists_the_prompts_and_the_mcp_command() {
    let mut app = app_with_prompts();
    press(&mut app, KeyCode::F(1));
    let text = screen(&mut app, 120, 120);
    assert!(text.contains("MCP prompts"), "{text}");
    assert!(text.contains("/fs:review FILE [FOCUS]"), "{text}");
    assert!(text.contains("/mcp [restart NAME]"), "{text}");
}
