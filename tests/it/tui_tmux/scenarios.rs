//! The scenarios: the harness on a plain shell command, then the TUI issues' scenarios
//! against the mock server.

use std::time::{Duration, Instant};

use chatterm::mock::{Reply, Script, Step};

use super::harness::*;
use crate::common::{message_bodies, stalls_after};

/// The harness itself, against a plain shell command, so it is known to work before the
/// TUI exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_drives_a_shell_command() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(
        "printf 'name? '; read name; echo \"hi $name from $HOME\"",
        &[],
    );
    tmux.wait_for("the prompt", |s| s.contains("name?"));
    tmux.send_line("bob's");
    let home = tmux.dir().join("home");
    let expected = format!("hi bob's from {}", home.display());
    tmux.wait_for("the greeting", |s| s.contains(&expected));
    assert_eq!(tmux.wait_for_exit(), 0);
    assert_eq!(tmux.display("#{pane_width}x#{pane_height}"), "100x30");
}

/// The TUI issue's scenario: chat, switch to the max tier with Alt+3, interrupt a streaming
/// answer with Esc, quit with Ctrl+D on an empty input and find the shell screen restored.
///
/// Skipped, with a message, where tmux is missing; `.ci/run` installs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_switch_tier_interrupt_and_quit() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);

    // 1. A plain exchange on the starting (balanced) tier.
    server.enqueue(Reply::text("Hello from the mock server."));
    tmux.send_line("hello");
    tmux.wait_for("the first answer", |s| {
        s.contains("Hello from the mock server.")
    });
    assert_eq!(chat.wait_for_requests(1), ["tmux-test-balanced"]);

    // 2. Alt+3 switches to the max tier for the next request.
    tmux.send_keys(&["M-3"]);
    server.enqueue(Reply::text("Answered by the max tier."));
    tmux.send_line("and now?");
    tmux.wait_for("the second answer", |s| {
        s.contains("Answered by the max tier.")
    });
    let models = chat.wait_for_requests(2);
    assert_eq!(models[1], "tmux-test-max");

    // 3. Esc during a stream that stalls after its first words: the partial text stays
    //    and the answer is marked interrupted.
    server.enqueue(stalls_after(
        "The beginning of a long story",
        " that never arrives.",
    ));
    tmux.send_line("tell me a long story");
    tmux.wait_for("the partial answer", |s| {
        s.contains("The beginning of a long story")
    });
    tmux.send_keys(&["Escape"]);
    let screen = tmux.wait_for("the interruption notice", |s| {
        s.to_lowercase().contains("interrupted")
    });
    assert!(screen.contains("The beginning of a long story"), "{screen}");
    assert!(!screen.contains("never arrives"), "{screen}");

    // 4. Ctrl+D on the empty input quits, and the shell's screen is back.
    tmux.send_keys(&["C-d"]);
    // The shell prints the exit status after the program (tmux's own record of it,
    // `pane_dead_status`, is sometimes missing under load).
    let start = Instant::now();
    let screen = loop {
        let screen = tmux.capture_with_history();
        if screen.contains(AFTER) || start.elapsed() > TIMEOUT {
            break screen;
        }
        std::thread::sleep(POLL);
    };
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert!(screen.contains(BEFORE), "{screen}");
    assert!(screen.contains(&format!("{AFTER} 0")), "{screen}");
    assert!(!screen.contains("Hello from the mock server."), "{screen}");
    // One line after the screen is restored says how to come back.
    assert!(
        screen.contains("resume with: chatterm --resume 1"),
        "{screen}"
    );
    assert_eq!(models_requested(server).len(), 3);
}

/// An SSE event written as it is, for steps the script builders do not pace.
fn sse(event: &str, data: serde_json::Value) -> Step {
    Step::Raw(format!("event: {event}\ndata: {data}\n\n"))
}

/// The highest `wNN` word on the screen (0 when none is).
fn last_word(screen: &str) -> u32 {
    screen
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.strip_prefix('w')?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// The tool-use issue's scenario: a tool_use whose input arrives slowly in small chunks
/// fills its panel in while it streams (two captures mid-stream, the second showing more
/// of the string), and the panel shows the whole input once the block closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_panel_fills_in_while_a_slow_tool_use_streams() {
    // {"path": "notes/words.txt", "content": "w01 w02 … w40"}, a word per delta, slowly.
    let mut chunks = vec![r#"{"path": "notes/words.txt", "content": ""#.to_owned()];
    chunks.extend((1..=40).map(|i| format!("w{i:02} ")));
    chunks.push(r#"end"}"#.to_owned());
    let start = serde_json::json!({"type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "id": "toolu_01slowpanel", "name": "write_file",
        "input": {}}});
    let mut steps = vec![sse("content_block_start", start)];
    for chunk in &chunks {
        let delta = serde_json::json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": chunk}});
        steps.push(sse("content_block_delta", delta));
        steps.push(Step::Stall(Duration::from_millis(120)));
    }
    let stop = serde_json::json!({"type": "content_block_stop", "index": 0});
    steps.push(sse("content_block_stop", stop));
    steps.push(Step::end_turn(40));

    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    server.enqueue(Reply::Script(Script::new(steps)));
    tmux.send_line("write the words file");

    let first = tmux.wait_for("the panel streaming its input", |s| {
        s.contains("⚙ write_file") && s.contains("streaming input") && last_word(s) >= 3
    });
    assert!(first.contains(r#""path": "notes/words.txt","#), "{first}");
    assert!(first.contains(r#""content": "w01 w02"#), "{first}");
    let second = tmux.wait_for("more of the string", |s| {
        s.contains("streaming input") && last_word(s) >= last_word(&first) + 3
    });
    assert!(
        last_word(&second) < 40,
        "the input arrived too fast to see it grow"
    );

    let last = tmux.wait_for("the whole input", |s| s.contains(r#"w40 end""#));
    // The answer ends with end_turn, so once the block closes ("input complete") the engine
    // reports the call as not run.
    let done = tmux.wait_for("the call's final status", |s| {
        s.contains("⚙ write_file · wpanel · ✗ not run")
    });
    assert!(!done.contains("streaming input"), "{last}\n{done}");
    assert!(done.contains(r#""content": "w01 w02"#), "{done}");
}

/// The store issue's scenario: two conversations, Ctrl+R to search and resume the first
/// (redrawn from the store), then Esc, Up and Enter to edit its question into a new branch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picker_resumes_and_editing_branches() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    server.enqueue(Reply::text("Answer about sourdough."));
    tmux.send_line("how do I feed a sourdough starter");
    tmux.wait_for("the first answer", |s| {
        s.contains("Answer about sourdough.")
    });
    // Ctrl+N: a fresh screen, a new conversation.
    tmux.send_keys(&["C-n"]);
    tmux.wait_for("the empty screen", |s| {
        !s.contains("Answer about sourdough.")
    });
    server.enqueue(Reply::text("Answer about tea."));
    tmux.send_line("green tea temperature");
    tmux.wait_for("the second answer", |s| s.contains("Answer about tea."));

    // Ctrl+R lists both; typing narrows to one; Enter resumes it.
    tmux.send_keys(&["C-r"]);
    tmux.wait_for("both conversations", |s| {
        s.contains("Conversations") && s.contains("how do I feed") && s.contains("green tea")
    });
    tmux.type_text("sourd");
    tmux.wait_for("the search", |s| {
        // One row left (the conversation behind the overlay still shows at the top).
        s.contains("search: sourd")
            && s.contains("how do I feed")
            && s.matches("just now").count() == 1
    });
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the resumed conversation", |s| {
        !s.contains("Conversations") && s.contains("Answer about sourdough.")
    });
    assert!(!screen.contains("Answer about tea."), "{screen}");

    // Esc, Up, Enter: the question is back in the input; sending it edited branches.
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("picking", |s| s.contains("pick a message"));
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("editing", |s| s.contains("new branch"));
    tmux.type_text(" daily");
    server.enqueue(Reply::text("Answer about daily feeding."));
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the branch's answer", |s| {
        s.contains("Answer about daily feeding.")
    });
    let body = message_bodies(server).pop().unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        1,
        "the branch starts before the edited message"
    );
    assert_eq!(
        messages[0]["content"][0]["text"],
        "how do I feed a sourdough starter daily"
    );
    tmux.send_keys(&["C-d"]);
    tmux.wait_for_format("#{alternate_on}", "0");
    let db = tmux.dir().join("home/.local/share/chatterm/chatterm.db");
    let store = chatterm::store::Store::open(&db).unwrap();
    let all = store.list(None, 10).unwrap();
    assert_eq!(all.len(), 3, "two conversations and a branch: {all:?}");
    assert!(all[0].parent.is_some(), "the branch is the newest");
}

/// `/extract` in a real terminal: the bundled schema (found from any directory), a sample
/// email pasted, the answer the mock makes from the schema streaming into the panel until
/// it is valid, and Ctrl+Y copying it. The text never joins the chat: the request carries
/// the schema (as a forced tool, or as the output format) and only the email.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_mode_turns_a_pasted_email_into_valid_json() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let tmux = &chat.tmux;
    tmux.type_text("/extract support-email");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the mode hint", |s| {
        s.contains("extract with support-email: paste or type the text")
    });
    let email = include_str!("../../../assets/examples/refund.txt");
    tmux.paste(email);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the valid result", |s| {
        s.contains("◆ extract · support-email · ") && s.contains("✓ valid")
    });
    assert!(screen.contains(r#""category": "billing","#), "{screen}");
    assert!(screen.contains("1 request"), "{screen}");
    let bodies = message_bodies(&chat.server);
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert!(
        body.get("tool_choice").is_some() || body.pointer("/output_config/format").is_some(),
        "{body}"
    );
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 1, "only the email: {body}");
    tmux.send_keys(&["C-y"]);
    tmux.wait_for("the copy", |s| {
        s.contains("sent the extracted JSON to the clipboard")
    });
}
