//! The chat screen's keys in a real terminal (issue 13): Ctrl+C never quits over typing,
//! prose never approves a tool, refusing with a reason, messages queued while an answer
//! streams, large pastes as chips, Home/End in the input, the external editor and the
//! permission mode in the status bar.

use std::time::Duration;

use chatterm::api::StopReason;
use chatterm::mock::{Reply, Script, Step};

use super::harness::*;
use crate::common::message_bodies;

/// An answer that calls `run_command` with `command`.
fn runs_command(command: &str) -> Reply {
    let input = serde_json::json!({ "command": command }).to_string();
    Reply::Script(Script::new(vec![
        Step::tool_use("toolu_keys1", "run_command", &[input.as_str()]),
        Step::stop(StopReason::ToolUse, 20),
    ]))
}

/// The text of the `tool_result` in request `n` (0-based) the mock received.
fn tool_result_text(chat: &Chat, n: usize) -> String {
    let bodies = message_bodies(&chat.server);
    let body = &bodies[n];
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    last["content"].to_string()
}

/// Waits for the shell's line after the program, and returns the screen with history.
fn wait_for_shell(tmux: &Tmux) -> String {
    tmux.wait_for_format("#{alternate_on}", "0");
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let screen = tmux.capture_with_history();
        if screen.contains(AFTER) || std::time::Instant::now() > deadline {
            return screen;
        }
        std::thread::sleep(POLL);
    }
}

/// Bug 1: type, Ctrl+C (clears, arms), type again, Ctrl+C: the new text is cleared and the
/// program stays. Two Ctrl+C with nothing typed between quit. Home/End edit the input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_after_typing_clears_and_never_quits() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let tmux = &chat.tmux;
    tmux.type_text("abc");
    tmux.wait_for("the first draft", |s| s.contains("abc"));
    tmux.send_keys(&["C-c"]);
    tmux.wait_for("the clear", |s| {
        s.contains("cleared: Ctrl+Z undoes") && !s.contains("abc")
    });
    tmux.type_text("def");
    tmux.wait_for("the second draft", |s| s.contains("def"));
    tmux.send_keys(&["C-c"]);
    tmux.wait_for("the second clear", |s| !s.contains("def"));
    // Still running: what is typed next shows. Home puts the cursor before it.
    tmux.type_text("world");
    tmux.send_keys(&["Home"]);
    tmux.type_text("hello ");
    tmux.send_keys(&["End"]);
    tmux.type_text("!");
    tmux.wait_for("Home/End editing", |s| s.contains("hello world!"));
    assert_eq!(tmux.display("#{alternate_on}"), "1");

    // Ctrl+C clears, and a second one straight after quits.
    tmux.send_keys(&["C-c"]);
    tmux.wait_for("the third clear", |s| !s.contains("hello world!"));
    tmux.send_keys(&["C-c"]);
    let screen = wait_for_shell(tmux);
    assert!(screen.contains(&format!("{AFTER} 0")), "{screen}");
}

/// Bug 2: while run_command awaits approval, "yes I" typed on the empty input is text; the
/// digit 1 on an empty input runs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prose_never_approves_a_command_and_the_digit_does() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    server.enqueue(runs_command("echo approved-ok"));
    server.enqueue(Reply::text("The command ran."));
    tmux.send_line("tidy up");
    tmux.wait_for("the approval prompt", |s| s.contains("[1] run once"));
    tmux.type_text("yes I");
    // Keys are handled in order: once "yes I" shows, the y had its effect, if any.
    let screen = tmux.wait_for("the typed text", |s| s.contains("yes I"));
    assert!(screen.contains("[1] run once"), "{screen}");
    assert!(screen.contains("approve run_command? 1/2/3"), "{screen}");
    assert_eq!(models_requested(server).len(), 1);

    tmux.send_keys(&["C-u"]);
    tmux.wait_for("the empty input", |s| !s.contains("yes I"));
    tmux.send_keys(&["1"]);
    tmux.wait_for("the final answer", |s| s.contains("The command ran."));
    assert!(tool_result_text(&chat, 1).contains("approved-ok"));
}

/// Refusing with a reason (3, then text, Enter): the model reads the reason. Shift+Tab
/// shows the permission mode in the status bar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_with_a_reason_reaches_the_model() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    tmux.send_keys(&["BTab"]);
    tmux.wait_for("the mode", |s| s.contains("⏵ auto-edit"));
    tmux.send_keys(&["BTab", "BTab"]);
    tmux.wait_for("back to ask", |s| !s.contains("⏵"));

    server.enqueue(runs_command("rm -rf build"));
    server.enqueue(Reply::text("Understood, I will not."));
    tmux.send_line("clean the build");
    tmux.wait_for("the approval prompt", |s| s.contains("[3] refuse"));
    tmux.send_keys(&["3"]);
    tmux.wait_for("the reason prompt", |s| {
        s.contains("refuse run_command: reason")
    });
    tmux.type_text("not on this machine");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the final answer", |s| {
        s.contains("Understood, I will not.")
    });
    let result = tool_result_text(&chat, 1);
    assert!(result.contains("not on this machine"), "{result}");
}

/// Enter while an answer streams queues the message (shown dimmed); it is sent when the
/// answer ends. A large paste shows as a chip and is sent in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_queued_while_streaming_is_sent_after_and_pastes_are_chips() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("The first answer begins"),
        Step::Stall(Duration::from_secs(6)),
        Step::text(" and ends."),
        Step::end_turn(9),
    ])));
    server.enqueue(Reply::text("The second answer."));
    tmux.send_line("first question");
    tmux.wait_for("the stream", |s| s.contains("The first answer begins"));
    tmux.send_line("second question");
    let screen = tmux.wait_for("the queued message", |s| {
        s.contains("» queued: second question")
    });
    assert!(!screen.contains("and ends."), "queued while it streamed");
    tmux.wait_for("the second answer", |s| s.contains("The second answer."));
    let bodies = message_bodies(server);
    assert_eq!(bodies.len(), 2);
    let last = bodies[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last.to_string().contains("second question"), "{last}");

    let pasted: String = (1..=30).map(|i| format!("pasted line {i}\n")).collect();
    server.enqueue(Reply::text("Got your paste."));
    tmux.type_text("look at this: ");
    tmux.paste(&pasted);
    tmux.wait_for("the chip", |s| {
        s.contains("look at this: [pasted 30 lines · ")
    });
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the answer", |s| s.contains("Got your paste."));
    assert!(
        !screen.contains("pasted line 17"),
        "the transcript shows the chip"
    );
    let bodies = message_bodies(server);
    let sent = bodies[2]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(sent.contains("pasted line 1\\npasted line 2"), "{sent}");
    assert!(sent.contains("pasted line 30"), "{sent}");
}

/// Ctrl+G hands the draft to $EDITOR (a script that rewrites the file) and takes the
/// result back; `--approve-all` shows in the status bar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_g_edits_the_draft_in_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("edit.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'edited: %s' \"$(cat \"$1\")\" > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    )
    .unwrap();
    let editor = format!("sh {}", script.display());
    let env = [("VISUAL", editor.as_str()), ("EDITOR", editor.as_str())];
    let Some(chat) = Chat::start_with(&["--approve-all"], &env).await else {
        return;
    };
    let tmux = &chat.tmux;
    tmux.wait_for("the mode", |s| s.contains("⏵ approve all"));
    tmux.type_text("draft one");
    tmux.wait_for("the draft", |s| s.contains("draft one"));
    tmux.send_keys(&["C-g"]);
    let screen = tmux.wait_for("the edited draft", |s| {
        s.contains("edited: draft one") && s.contains("taken from the editor")
    });
    assert!(screen.contains("⏵ approve all"), "{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "1");
    // Keys reach the app again.
    tmux.type_text(" and more");
    tmux.wait_for("typing after the editor", |s| {
        s.contains("edited: draft one and more")
    });
}

/// Input history across restarts: a message sent in one session comes back with Up in the
/// next (same data directory), after the new session's own messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_recalls_messages_of_an_earlier_session() {
    if !tmux_available() {
        return;
    }
    let server = chatterm::mock::MockServer::start().await.unwrap();
    let url = server.url();
    let bin = shell_quote(crate::binary::EXE);
    // Twice in a row in one pane, so both runs share HOME and so the database.
    let command = format!("{bin}; echo first-session-over; {bin}");
    let tmux = Tmux::start(
        &command,
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    server.enqueue(Reply::text("Noted."));
    tmux.send_line("remember the milk");
    tmux.wait_for("the answer", |s| s.contains("Noted."));
    tmux.send_keys(&["C-d"]);
    tmux.wait_for("the second session", |s| {
        s.contains("Type a message and press Enter.")
    });
    server.enqueue(Reply::text("Sure."));
    tmux.send_line("and the eggs");
    tmux.wait_for("the second answer", |s| s.contains("Sure."));
    tmux.send_keys(&["Up"]);
    tmux.wait_for("this session's message", |s| {
        s.lines().any(|l| l.trim_end() == "and the eggs") && s.matches("and the eggs").count() == 2
    });
    tmux.send_keys(&["Up"]);
    tmux.wait_for("the earlier session's message", |s| {
        s.contains("remember the milk")
    });
    tmux.send_keys(&["C-u", "C-d"]);
}
