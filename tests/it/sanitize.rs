//! The output gate on every path of the real binary: a hostile stream (C0 including ESC,
//! BEL, BS and CR; C1 including the 8-bit CSI and NEL; CSI sequences; OSC 52 clipboard
//! writes; OSC 8 hyperlinks; bidi overrides and isolates), split across deltas and across
//! network writes, through print mode, `--json`, the line mode, `history`, `extract`,
//! `usage` and error messages. Each test asserts that no control byte but `\n` and `\t`
//! reaches stdout, stderr or the written file, that no C1 or bidi code point appears raw,
//! and that the text itself got through without the sequences' payloads.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use chatterm::api::StopReason;
use chatterm::mock::{Chunking, HttpError, MockServer, Reply, Script, Step, models};

use crate::binary::*;

/// Every class the gate removes, in one string.
pub const HOSTILE: &str = "A\x1b[31mred\x1b[0m \x1b]52;c;SGVsbG8=\x07 \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \u{9b}2Jx\u{85}nel \u{202e}rev\u{2066}iso\u{2069} bell\x07 bs\x08 cr\r over\x1b[2J Z";

/// What is left of [`HOSTILE`] once the gate has removed its controls.
const CLEAN: &str = "Ared  link xnel reviso bell bs cr over Z";

/// A model id the mock's `/v1/models` lists: newer than every built-in sonnet, so the
/// balanced tier discovers it.
fn hostile_model() -> String {
    "claude-sonnet-\u{9b}31m9\u{202e}-9\x1b]0;t\x07".to_owned()
}

/// `text` in pieces of `n` characters (sequences split between deltas).
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

/// An answer made of `text` in 2-character deltas, written 3 bytes at a time.
fn hostile_answer(text: &str) -> Reply {
    Reply::Script(
        Script::new(vec![Step::Text(pieces(text, 2)), Step::end_turn(9)])
            .with_chunking(Chunking::Fixed(3)),
    )
}

/// Asserts that `bytes` (what `what` wrote) is clean: UTF-8, no control but `\n` and
/// `\t`, no C1 or bidi code point. (Where text is shown as prose, the tests also compare
/// it with [`CLEAN`], which has no sequence payload; JSON and quoted values may show the
/// payloads as escapes, `\u001b]52;...`, which are text.)
#[track_caller]
pub fn assert_clean(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    let bad = |c: char| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| bad(c)) {
        panic!("{what}: {c:?} at byte {at} in {text:?}");
    }
}

#[track_caller]
fn assert_output_clean(what: &str, out: &Output) {
    assert_clean(&format!("{what} stdout"), &out.stdout);
    assert_clean(&format!("{what} stderr"), &out.stderr);
}

/// A home whose `work/` directory (the tools' root) holds a file of hostile text.
fn home_with_hostile_file() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("work")).unwrap();
    std::fs::write(home.path().join("work/hostile.txt"), HOSTILE).unwrap();
    home
}

fn in_work(mut cmd: std::process::Command, home: &tempfile::TempDir) -> std::process::Command {
    cmd.current_dir(home.path().join("work"));
    cmd
}

/// A first answer with hostile text and two tool calls (one reads the hostile file, one
/// has a hostile name and input), then a hostile final answer.
fn enqueue_tool_turn(server: &MockServer) {
    let input = json!({"q": HOSTILE}).to_string();
    let first = Script::new(vec![
        Step::Text(pieces(HOSTILE, 3)),
        Step::tool_use("toolu_01read", "read_file", &[r#"{"path": "hostile.txt"}"#]),
        Step::ToolUse {
            id: "toolu_01odd".into(),
            name: "odd\x1b[2Jtool\u{202e}".into(),
            input_chunks: pieces(&input, 4),
        },
        Step::stop(StopReason::ToolUse, 20),
    ])
    .with_chunking(Chunking::Fixed(5));
    server.enqueue(Reply::Script(first));
    server.enqueue(hostile_answer(HOSTILE));
}

#[tokio::test]
async fn print_mode_text_tool_lines_and_usage_line_are_clean() {
    let home = home_with_hostile_file();
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(&hostile_model(), "sonnet", 200_000, 64_000));
    enqueue_tool_turn(&server);
    let mut cmd = in_work(against(&server, &home), &home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_output_clean("-p", &out);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout, format!("{CLEAN}\n\n{CLEAN}\n"));
    // The tool lines and the usage line are there, with the model id's printable part.
    assert!(stderr.contains("tool read_file"), "{stderr}");
    assert!(stderr.contains("tool oddtool"), "{stderr}");
    assert!(stderr.contains("claude-sonnet-9-9 · input"), "{stderr}");
}

#[tokio::test]
async fn print_json_escapes_controls_and_keeps_the_text() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(&hostile_model(), "sonnet", 200_000, 64_000));
    server.enqueue(hostile_answer(HOSTILE));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--json"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_output_clean("-p --json", &out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["content"][0]["text"], HOSTILE, "the value is kept");
    assert_eq!(v["model"], hostile_model());
}

#[tokio::test]
async fn line_mode_is_clean() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(hostile_answer(HOSTILE));
    server.enqueue(Reply::Error(HttpError::new(
        400,
        "invalid_request_error",
        HOSTILE,
    )));
    let cmd = against(&server, &home);
    let input = format!("hello\n/tier {HOSTILE}\nagain\n/quit\n");
    let out = output_with_stdin(cmd, input.as_bytes()).await;
    assert_output_clean("line mode", &out);
    assert!(text(&out.stdout).contains(CLEAN), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(CLEAN), "{}", text(&out.stderr));
}

#[tokio::test]
async fn api_and_config_errors_are_clean() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Error(HttpError::new(400, HOSTILE, HOSTILE)));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_output_clean("API error", &out);
    assert!(text(&out.stderr).contains(CLEAN), "{}", text(&out.stderr));

    // A config value echoed back in its error, from the environment and from a file.
    let mut cmd = against(&server, &home);
    cmd.env("CHATTERM_TIER", HOSTILE).args(["-p", "hi"]);
    let out = output(cmd).await;
    assert!(!out.status.success());
    assert_output_clean("config error (env)", &out);
    let config = write_file(
        &home,
        "bad.toml",
        &format!("[models]\ntier = {}\n", json!(HOSTILE)),
    );
    let mut cmd = against(&server, &home);
    cmd.arg("--config").arg(&config).args(["-p", "hi"]);
    let out = output(cmd).await;
    assert!(!out.status.success());
    assert_output_clean("config error (file)", &out);

    // An unknown key is a warning that names it.
    let key = json!(HOSTILE);
    let config = write_file(&home, "odd.toml", &format!("{key} = 1\n"));
    server.enqueue(hostile_answer("ok"));
    let mut cmd = against(&server, &home);
    cmd.arg("--config").arg(&config).args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_output_clean("config warning", &out);
    assert!(
        text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs `chatterm history ARGS` in `home` and checks its output.
async fn history(home: &tempfile::TempDir, args: &[&str]) -> Output {
    let mut cmd = chatterm(home);
    cmd.arg("history").args(args);
    let out = output(cmd).await;
    assert_success(&out);
    assert_output_clean(&format!("history {}", args.join(" ")), &out);
    out
}

#[track_caller]
fn read_clean(what: &str, path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    assert_clean(what, &bytes);
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn history_show_list_and_export_are_clean() {
    let home = home_with_hostile_file();
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(&hostile_model(), "sonnet", 200_000, 64_000));
    enqueue_tool_turn(&server);
    let mut cmd = in_work(against(&server, &home), &home);
    cmd.args(["-p", &format!("question {HOSTILE}")]);
    assert_success(&output(cmd).await);

    let shown = history(&home, &["show", "1"]).await;
    assert!(
        text(&shown.stdout).contains(CLEAN),
        "{}",
        text(&shown.stdout)
    );
    history(&home, &["list"]).await;
    let md = history(&home, &["export", "1"]).await;
    assert_eq!(md.stdout, shown.stdout, "export md is what show prints");
    let json_out = history(&home, &["export", "1", "--format", "json"]).await;
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();

    let md_file = home.path().join("c.md");
    let json_file = home.path().join("c.json");
    let md_arg = md_file.to_str().unwrap();
    let json_arg = json_file.to_str().unwrap();
    history(&home, &["export", "1", "-o", md_arg]).await;
    history(&home, &["export", "1", "--format", "json", "-o", json_arg]).await;
    assert_eq!(
        read_clean("export md file", &md_file).as_bytes(),
        &shown.stdout[..]
    );
    let from_file: Value =
        serde_json::from_str(&read_clean("export json file", &json_file)).unwrap();
    assert_eq!(from_file, v, "the JSON file keeps the stored text exactly");
    let user_text = v.to_string();
    assert!(
        user_text.contains("question A\\u001b[31mred"),
        "{user_text}"
    );
}

#[tokio::test]
async fn usage_report_is_clean() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(&hostile_model(), "sonnet", 200_000, 64_000));
    server.enqueue(hostile_answer("ok"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi"]);
    assert_success(&output(cmd).await);
    let mut cmd = chatterm(&home);
    cmd.arg("usage");
    let out = output(cmd).await;
    assert_success(&out);
    assert_output_clean("usage", &out);
    assert!(
        text(&out.stdout).contains("claude-sonnet-9-9"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn extract_result_refusal_and_model_line_are_clean() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(&hostile_model(), "sonnet", 200_000, 64_000));
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}},
        "required": ["name"], "additionalProperties": false});
    let schema = write_file(&home, "schema.json", &schema.to_string());
    let schema = schema.to_str().unwrap().to_owned();
    let run = |server: &MockServer| {
        let mut cmd = against(server, &home);
        cmd.args([
            "extract", "--schema", &schema, "--method", "native", "--input", "-",
        ]);
        output_with_stdin(cmd, HOSTILE.as_bytes())
    };
    server.enqueue(Script::json_text(&json!({"name": HOSTILE})).into());
    let out = run(&server).await;
    assert_success(&out);
    assert_output_clean("extract", &out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], HOSTILE, "the value is kept");

    // A batch: its results file and its stdout lines keep the values, escaped.
    let batch = json!({"id": HOSTILE, "text": HOSTILE}).to_string() + "\n";
    let batch = write_file(&home, "batch.jsonl", &batch);
    let results = home.path().join("results.jsonl");
    for to_file in [true, false] {
        server.enqueue(Script::json_text(&json!({"name": HOSTILE})).into());
        let mut cmd = against(&server, &home);
        cmd.args([
            "extract", "--schema", &schema, "--method", "native", "--batch",
        ])
        .arg(&batch);
        if to_file {
            cmd.arg("--output").arg(&results);
        }
        let out = output(cmd).await;
        assert_success(&out);
        assert_output_clean("extract --batch", &out);
        let lines = if to_file {
            read_clean("extract --batch results", &results)
        } else {
            text(&out.stdout)
        };
        let line: Value = serde_json::from_str(lines.trim()).unwrap();
        assert_eq!(
            (&line["input"], &line["result"]["name"]),
            (&json!(HOSTILE), &json!(HOSTILE))
        );
    }

    server.enqueue(Script::refusal(HOSTILE).into());
    let out = run(&server).await;
    assert!(!out.status.success());
    assert_output_clean("extract refusal", &out);
    assert!(text(&out.stderr).contains(CLEAN), "{}", text(&out.stderr));
}
