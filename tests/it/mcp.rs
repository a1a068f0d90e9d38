//! MCP servers through the real rmcp client, against the test server
//! (`tests/mcp_server/server.rs`, built as the `mcp_test_server` example): discovery over
//! stdio and streamable HTTP, calls (results, images, errors, validation, progress),
//! cancellation, the timeout, a crash, list changes, failed starts, restart, prompts,
//! approvals from annotations, and shutdown leaving no process behind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatterm::domain::Approval;
use chatterm::engine::NoTools;
use chatterm::mcp::{McpManager, ServerConfig, ServerState, ServerStatus, ToolOrigin, Transport};
use chatterm::tools::{CallContext, ToolExecutor, ToolOutput, ToolProgress};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Generous: the machine may be busy.
const DEADLINE: Duration = Duration::from_secs(20);

/// The test server. `cargo test` builds it (it is an example); a narrower run such as
/// `cargo test --test it mcp` does not, so say how.
pub fn server_exe() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_chatterm"));
    let dir = bin.parent().expect("target dir");
    let exe = dir.join("examples").join("mcp_test_server");
    assert!(
        exe.exists(),
        "{} is missing: run `cargo build --example mcp_test_server` (cargo test builds it)",
        exe.display()
    );
    exe
}

pub fn stdio(name: &str, args: &[&str]) -> ServerConfig {
    let exe = server_exe();
    let mut config = ServerConfig::stdio(name, exe.to_str().unwrap(), args);
    config.timeout = DEADLINE;
    config
}

fn start(servers: Vec<ServerConfig>) -> McpManager {
    McpManager::start(servers, std::env::temp_dir(), Vec::new())
}

async fn until(
    mcp: &McpManager,
    what: &str,
    ok: impl Fn(&[ServerStatus]) -> bool,
) -> Vec<ServerStatus> {
    let started = Instant::now();
    let mut changes = mcp.subscribe();
    loop {
        let servers = mcp.servers();
        if ok(&servers) {
            return servers;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "waited for {what}: {servers:#?}"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), changes.changed()).await;
    }
}

async fn ready(mcp: &McpManager) -> Vec<ServerStatus> {
    until(mcp, "ready", |s| {
        s.iter().all(|s| s.state == ServerState::Ready)
    })
    .await
}

fn executor(mcp: &McpManager) -> Arc<dyn ToolExecutor> {
    mcp.executor(Arc::new(NoTools))
        .snapshot()
        .expect("a snapshot")
}

async fn call(tools: &dyn ToolExecutor, name: &str, input: Value) -> ToolOutput {
    let run = tools.run_call(
        name,
        input,
        CancellationToken::new(),
        CallContext::quiet("t"),
    );
    tokio::time::timeout(DEADLINE, run)
        .await
        .expect("the call ends")
}

#[tokio::test]
async fn stdio_discovery_lists_tools_and_prompts_under_api_names() {
    let mcp = start(vec![stdio("test", &[])]);
    let servers = ready(&mcp).await;
    let names: Vec<&str> = servers[0]
        .tools
        .iter()
        .map(|t| t.api_name.as_str())
        .collect();
    assert!(
        names.contains(&"mcp__test__echo") && names.contains(&"mcp__test__sleep"),
        "{names:?}"
    );
    assert!(!names.contains(&"mcp__test__late"));
    assert_eq!(servers[0].prompts[0].name, "greet");
    assert!(servers[0].prompts[0].arguments[0].required);
    assert_eq!(
        mcp.tool_origin("mcp__test__echo"),
        Some(ToolOrigin {
            server: "test".into(),
            tool: "echo".into()
        })
    );
    let args = BTreeMap::from([("name".to_owned(), "Ada".to_owned())]);
    assert_eq!(
        mcp.get_prompt("test", "greet", args).await.unwrap(),
        "Say hello to Ada."
    );
    assert!(
        mcp.get_prompt("test", "nope", BTreeMap::new())
            .await
            .is_err()
    );
    let tools = executor(&mcp);
    let specs: Vec<&str> = tools.specs().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(specs, names);
    mcp.shutdown().await;
}

#[tokio::test]
async fn streamable_http_discovery_and_a_call() {
    let mut child = tokio::process::Command::new(server_exe())
        .arg("--http")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let line = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = line.strip_prefix("listening ").unwrap().to_owned();
    let mut config = stdio("web", &[]);
    config.transport = Transport::Http {
        url,
        headers: BTreeMap::new(),
        bearer_token_env: None,
    };
    let mcp = start(vec![config]);
    let servers = ready(&mcp).await;
    assert!(
        servers[0]
            .tools
            .iter()
            .any(|t| t.api_name == "mcp__web__echo")
    );
    let out = call(
        executor(&mcp).as_ref(),
        "mcp__web__echo",
        json!({"text": "over http"}),
    )
    .await;
    assert_eq!(out, ToolOutput::ok("over http"));
    mcp.shutdown().await;
    let _ = child.kill().await;
}

#[tokio::test]
async fn results_errors_images_and_validation() {
    let mcp = start(vec![stdio("test", &[])]);
    ready(&mcp).await;
    let tools = executor(&mcp);
    assert_eq!(
        call(tools.as_ref(), "mcp__test__echo", json!({"text": "hi"})).await,
        ToolOutput::ok("hi")
    );
    let failed = call(tools.as_ref(), "mcp__test__fail", json!({})).await;
    assert!(
        failed.is_error && failed.content.contains("always fails"),
        "{failed:?}"
    );
    let image = call(tools.as_ref(), "mcp__test__image", json!({})).await;
    assert_eq!(image.content, "a dot");
    assert_eq!(image.extras.images.len(), 1);
    assert_eq!(
        image.extras.structured,
        Some(json!({"width": 1, "height": 1}))
    );
    // Checked before anything is sent, like a built-in's input.
    let invalid = tools
        .validate("mcp__test__echo", &json!({"text": 5}))
        .unwrap_err();
    assert!(invalid.to_string().contains("/text"), "{invalid}");
    let out = call(tools.as_ref(), "mcp__test__progress", json!({"steps": 99})).await;
    assert!(
        out.is_error && out.content.starts_with("invalid input"),
        "{out:?}"
    );
    mcp.shutdown().await;
}

#[tokio::test]
async fn progress_reaches_the_calls_context() {
    let mcp = start(vec![stdio("test", &[])]);
    ready(&mcp).await;
    let seen: Arc<Mutex<Vec<ToolProgress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let context = CallContext {
        id: "toolu_1".into(),
        progress: Arc::new(move |p| sink.lock().unwrap().push(p)),
    };
    let tools = executor(&mcp);
    let run = tools.run_call(
        "mcp__test__progress",
        json!({"steps": 3}),
        CancellationToken::new(),
        context,
    );
    let out = tokio::time::timeout(DEADLINE, run).await.unwrap();
    assert_eq!(out, ToolOutput::ok("done"));
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "no progress arrived");
    let last = seen.last().unwrap();
    assert_eq!(last.total, Some(3.0));
    assert!(
        last.message.as_deref().unwrap_or("").starts_with("step "),
        "{last:?}"
    );
    mcp.shutdown().await;
}

#[tokio::test]
async fn cancelling_a_call_tells_the_server_and_ends_it() {
    let mcp = start(vec![stdio("test", &[])]);
    ready(&mcp).await;
    let tools = executor(&mcp);
    let cancel = CancellationToken::new();
    let run = tools.run_call(
        "mcp__test__sleep",
        json!({"secs": 60}),
        cancel.clone(),
        CallContext::quiet("t"),
    );
    let task = tokio::spawn(run);
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    let out = tokio::time::timeout(DEADLINE, task).await.unwrap().unwrap();
    assert!(
        out.is_error && out.content.contains("cancelled by the user"),
        "{out:?}"
    );
    // The server saw notifications/cancelled (it notes it on stderr).
    until(&mcp, "the server's cancellation note", |s| {
        s[0].stderr_tail.iter().any(|l| l.starts_with("cancelled:"))
    })
    .await;
    mcp.shutdown().await;
}

#[tokio::test]
async fn a_call_past_the_timeout_ends_with_the_timeout_stated() {
    let mut config = stdio("test", &[]);
    config.timeout = Duration::from_secs(4);
    let mcp = start(vec![config]);
    // Start-up shares the timeout; on a busy machine it may miss it: then there is no
    // call to time out, and the failure says so.
    let servers = until(&mcp, "settled", |s| s[0].state != ServerState::Starting).await;
    assert_eq!(servers[0].state, ServerState::Ready, "{servers:#?}");
    let out = call(
        executor(&mcp).as_ref(),
        "mcp__test__sleep",
        json!({"secs": 60}),
    )
    .await;
    assert!(
        out.is_error && out.content.contains("timed out after 4s"),
        "{out:?}"
    );
    mcp.shutdown().await;
}

#[tokio::test]
async fn a_crash_fails_the_server_withdraws_its_tools_and_restart_brings_them_back() {
    let mcp = start(vec![stdio("test", &[])]);
    ready(&mcp).await;
    let tools = executor(&mcp);
    let out = call(tools.as_ref(), "mcp__test__crash", json!({})).await;
    assert!(out.is_error && out.content.contains("went away"), "{out:?}");
    let servers = until(&mcp, "failed", |s| {
        matches!(s[0].state, ServerState::Failed { .. })
    })
    .await;
    let ServerState::Failed { reason } = &servers[0].state else {
        unreachable!()
    };
    assert!(reason.contains("exited"), "{reason}");
    assert!(servers[0].tools.is_empty());
    assert!(
        executor(&mcp).specs().is_empty(),
        "withdrawn from the next request"
    );
    // A call on the old snapshot says the server went away.
    let late = call(tools.as_ref(), "mcp__test__echo", json!({"text": "x"})).await;
    assert!(
        late.is_error && late.content.contains("went away"),
        "{late:?}"
    );
    mcp.restart("test").unwrap();
    ready(&mcp).await;
    assert!(!executor(&mcp).specs().is_empty());
    assert!(mcp.restart("nope").is_err());
    mcp.shutdown().await;
}

#[tokio::test]
async fn list_changed_refreshes_the_tools() {
    let mcp = start(vec![stdio("test", &[])]);
    ready(&mcp).await;
    let out = call(executor(&mcp).as_ref(), "mcp__test__change_list", json!({})).await;
    assert_eq!(out, ToolOutput::ok("added late"));
    until(&mcp, "the late tool", |s| {
        s[0].tools.iter().any(|t| t.api_name == "mcp__test__late")
    })
    .await;
    let late = call(executor(&mcp).as_ref(), "mcp__test__late", json!({})).await;
    assert_eq!(late, ToolOutput::ok("late tool"));
    mcp.shutdown().await;
}

#[tokio::test]
async fn failed_and_slow_starts_say_why_and_never_block_the_caller() {
    let mut slow = stdio("slow", &["--slow-start", "60"]);
    slow.timeout = Duration::from_secs(2);
    let missing = {
        let mut c = stdio("missing", &[]);
        c.transport = Transport::Stdio {
            command: "/nonexistent/mcp-server".into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
        };
        c
    };
    let mcp = start(vec![stdio("refuses", &["--fail-start"]), slow, missing]);
    // `start` returned with every server still starting: it waited for none.
    let first = mcp.servers();
    assert!(
        first.iter().all(|s| s.state == ServerState::Starting),
        "{first:#?}"
    );
    let servers = until(&mcp, "all failed", |s| {
        s.iter()
            .all(|s| matches!(s.state, ServerState::Failed { .. }))
    })
    .await;
    let reason = |i: usize| servers[i].state.to_string();
    assert!(reason(0).contains("refusing to start"), "{}", reason(0));
    assert!(
        servers[0]
            .stderr_tail
            .iter()
            .any(|l| l.contains("--fail-start"))
    );
    assert!(
        reason(1).contains("did not start within 2s"),
        "{}",
        reason(1)
    );
    assert!(reason(2).contains("cannot start"), "{}", reason(2));
    mcp.shutdown().await;
}

#[tokio::test]
async fn annotations_inform_approval() {
    let mut never = stdio("free", &[]);
    never.approval = Approval::Never;
    let asks = stdio("asks", &[]);
    let mcp = start(vec![never, asks]);
    ready(&mcp).await;
    let tools = executor(&mcp);
    let approval = |name: &str| tools.spec(name).unwrap().approval;
    assert_eq!(approval("mcp__free__echo"), Approval::Never);
    assert_eq!(
        approval("mcp__free__wipe"),
        Approval::Ask,
        "destructive asks"
    );
    assert_eq!(
        approval("mcp__asks__echo"),
        Approval::Ask,
        "read-only of an ask server"
    );
    mcp.shutdown().await;
}

#[tokio::test]
async fn shutdown_leaves_no_server_process() {
    let tag = format!("tag-{}", std::process::id());
    let mcp = start(vec![stdio("test", &["--tag", &tag])]);
    ready(&mcp).await;
    assert!(!processes_with(&tag).is_empty(), "the server runs");
    mcp.shutdown().await;
    let started = Instant::now();
    while !processes_with(&tag).is_empty() {
        assert!(
            started.elapsed() < DEADLINE,
            "left running: {:?}",
            processes_with(&tag)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Live (not zombie) processes whose command line holds `tag`.
fn processes_with(tag: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (state != 'Z' && cmdline.contains(tag)).then_some(cmdline)
        })
        .collect()
}

/// Through the engine: the request offers the MCP tools (snapshot), the call's progress
/// arrives as `Update::ToolProgress`, an invalid input is an error result without a call,
/// and an image result goes back to the API as an image block after the text.
#[tokio::test]
async fn the_engine_offers_runs_and_reports_mcp_tools() {
    use chatterm::engine::{ApprovalPolicy, Command, Engine, ToolSettings, Update};
    use chatterm::mock::MockServer;

    use crate::common::{client_for, collect_turn, test_config};
    use crate::tool_helpers::{body, calls, results_of, statuses, text};

    let mut config = stdio("test", &[]);
    config.approval = Approval::Never;
    let mcp = start(vec![config]);
    ready(&mcp).await;
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        (
            "toolu_01progress",
            "mcp__test__progress",
            json!({"steps": 2}),
        ),
        ("toolu_01invalid1", "mcp__test__echo", json!({"text": 7})),
        ("toolu_01image001", "mcp__test__image", json!({})),
    ]));
    server.enqueue(text("Done."));
    let settings = ToolSettings {
        approvals: ApprovalPolicy::Ask,
        ..ToolSettings::default()
    };
    let test = test_config();
    let mut engine = Engine::new(
        client_for(&server, &test),
        &test,
        chatterm::cost::Pricing::embedded(),
    )
    .with_tools(mcp.executor(Arc::new(NoTools)), settings)
    .spawn();
    engine.commands.send(Command::Send("go".into())).unwrap();
    let updates = tokio::time::timeout(DEADLINE, collect_turn(&mut engine))
        .await
        .unwrap();
    let offered = body(&server, 0)["tools"].as_array().unwrap().clone();
    assert!(
        offered.iter().any(|t| t["name"] == "mcp__test__progress"),
        "{offered:?}"
    );
    assert!(updates.iter().any(|u| matches!(u,
        Update::ToolProgress { id, progress, .. } if id == "toolu_01progress" && progress.total == Some(2.0))));
    assert_eq!(
        statuses(&updates, "toolu_01invalid1"),
        ["validating", "invalid"]
    );
    let results = results_of(&server, 1);
    assert_eq!(results[0]["content"], "done");
    assert_eq!(results[1]["is_error"], true);
    assert_eq!(
        results[2]["content"][0],
        json!({"type": "text", "text": "a dot"})
    );
    assert_eq!(results[2]["content"][1]["type"], "image");
    assert_eq!(
        results[2]["content"][1]["source"]["media_type"],
        "image/png"
    );
    mcp.shutdown().await;
}
