//! A conversation drawn live and then resumed from the store looks the same: refused
//! calls stay "not run", durations survive, a retried answer keeps its mark.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;

use crate::api::{Auth, Client, ClientOptions, StopReason, Usage};
use crate::config::Config;
use crate::cost::Pricing;
use crate::engine::{Command, Engine, EngineHandle, ToolSettings, ToolStatus, Update};
use crate::mock::{MockServer, Script, Step};
use crate::store::{ConversationId, Store};
use crate::tools::ApprovalDecision;
use crate::tools::registry::Registry;

use crate::tui::app::{App, AppOptions, Effect};
use crate::tui::test_support::*;

fn no_sidebar() -> AppOptions {
    let mut o = options();
    o.sidebar = false;
    o
}

/// Feeds the engine's updates to the app until the turn ends, refusing every call that
/// asks for approval (straight to the engine: this is about the screen, not the keys).
async fn run_turn(app: &mut App, engine: &mut EngineHandle) {
    loop {
        for effect in app.take_effects() {
            if let Effect::Engine(c) = effect {
                engine.commands.send(c).unwrap();
            }
        }
        let u = tokio::time::timeout(Duration::from_secs(20), engine.updates.recv())
            .await
            .expect("the turn did not end within 20 s")
            .expect("engine stopped");
        if let Update::Tool {
            id,
            status: ToolStatus::AwaitingApproval,
            ..
        } = &u
        {
            let decision = ApprovalDecision::Deny;
            let id = id.clone();
            engine
                .commands
                .send(Command::Approve { id, decision })
                .unwrap();
        }
        let end = matches!(u, Update::TurnFinished { .. } | Update::Error { .. });
        app.on_update(u, now());
        if end {
            return;
        }
    }
}

/// The conversation's rows (the input box and status bar below it differ by design).
fn conversation_rows(app: &mut App) -> Vec<String> {
    let shown = screen(app, 90, 40);
    let rows: Vec<String> = shown.lines().map(str::to_owned).collect();
    rows[..rows.len() - 5].to_vec()
}

fn script(steps: Vec<Step>) -> crate::mock::Reply {
    let mut all = vec![Step::Start {
        usage: Usage {
            input_tokens: 10,
            output_tokens: 1,
            ..Usage::default()
        },
    }];
    all.extend(steps);
    Script::new(all).into()
}

#[tokio::test]
async fn a_conversation_resumed_looks_as_it_did_live() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(script(vec![
        Step::tool_use("toolu_01time", "current_time", &["{}"]),
        // Keys in sorted order: the store keeps the input as a JSON value, which does not
        // keep the order the model wrote its keys in.
        Step::tool_use(
            "toolu_01write",
            "write_file",
            &[r#"{"content":"hi","path":"a.txt"}"#],
        ),
        Step::stop(StopReason::ToolUse, 20),
    ]));
    server.enqueue(script(vec![Step::text("Done."), Step::end_turn(3)]));
    server.enqueue(script(vec![Step::text("Done again."), Step::end_turn(3)]));
    let root = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.tools.root = Some(root.path().to_path_buf());
    let tools = Arc::new(Registry::from_config_with(&config.tools, Vec::new()).unwrap());
    let store = Arc::new(Store::in_memory().unwrap());
    let client = Client::new(ClientOptions::new(
        server.url(),
        Auth::ApiKey("sk-t".into()),
    ));
    let mut engine = Engine::new(client.unwrap(), &config, Pricing::embedded())
        .with_tools(tools, ToolSettings::default())
        .with_journal(store.clone(), None)
        .spawn();

    let mut live = App::new(no_sidebar());
    type_text(&mut live, "what time is it? then write a.txt");
    press(&mut live, KeyCode::Enter);
    run_turn(&mut live, &mut engine).await;
    type_text(&mut live, "/retry");
    press(&mut live, KeyCode::Enter);
    run_turn(&mut live, &mut engine).await;
    let live_rows = conversation_rows(&mut live);
    let joined = live_rows.join("\n");
    assert!(joined.contains("not run"), "{joined}");
    assert!(joined.contains("replaced by /retry"), "{joined}");

    let id: ConversationId = "1".parse().unwrap();
    let mut resumed = App::new(no_sidebar());
    let outcomes = store.tool_outcomes(id).unwrap();
    resumed.show_conversation(&store.load(id).unwrap(), &outcomes);
    assert_eq!(conversation_rows(&mut resumed), live_rows);
}

#[test]
fn a_resumed_call_keeps_its_duration() {
    use crate::api::{ContentBlock, Message, Role, ToolResultBlock, ToolUseBlock};
    use crate::store::{MessageStatus, ToolRun};
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "list files").unwrap();
    store.append(id, &Message::user_text("list files")).unwrap();
    let call = ToolUseBlock {
        id: "toolu_1".into(),
        name: "list_dir".into(),
        input: serde_json::json!({"path": "."}),
        cache_control: None,
        extra: Default::default(),
    };
    let answer = [ContentBlock::ToolUse(call.clone())];
    store
        .end_answer(id, Some(&answer), "m", MessageStatus::Complete, None)
        .unwrap();
    let result = ToolResultBlock {
        tool_use_id: "toolu_1".into(),
        content: Some(serde_json::json!("Cargo.toml")),
        is_error: None,
        cache_control: None,
        extra: Default::default(),
    };
    store
        .save_tool_result(id, &call, &result, 2100, ToolRun::Ran)
        .unwrap();
    let results = Message {
        role: Role::User,
        content: vec![ContentBlock::ToolResult(result)],
    };
    store.append(id, &results).unwrap();
    let mut app = App::new(no_sidebar());
    let outcomes = store.tool_outcomes(id).unwrap();
    app.show_conversation(&store.load(id).unwrap(), &outcomes);
    let shown = screen(&mut app, 90, 30);
    assert!(shown.contains("✓ done · 2.1s"), "{shown}");
}
