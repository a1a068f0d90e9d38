//! Issue 17's "done when" for the chat screen: type `@`, filter the workspace's files,
//! accept one, send, and see the file's chip in the transcript, with the file in the
//! request as a text block.

use chatterm::mock::{MockServer, Reply};

use super::harness::*;
use crate::binary::EXE;
use crate::common::message_bodies;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_at_mention_is_completed_sent_and_shown_as_a_chip() {
    if !tmux_available() {
        return;
    }
    let workspace = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("src/main.rs", "fn main() { println!(\"hi\"); }\n"),
        ("src/lib.rs", "pub fn lib() {}\n"),
        ("docs/guide.md", "# Guide\n"),
    ] {
        let path = workspace.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let server = MockServer::start().await.unwrap();
    let url = server.url();
    let tmux = Tmux::start(
        &format!(
            "cd {} && {}",
            shell_quote(&workspace.path().to_string_lossy()),
            shell_quote(EXE)
        ),
        &[("ANTHROPIC_BASE_URL", &url), ("ANTHROPIC_API_KEY", "test")],
    );
    tmux.wait_for_format("#{alternate_on}", "1");

    // `@` opens the popup over the workspace's files; typing filters it.
    tmux.type_text("what does @");
    tmux.wait_for("the mention popup", |s| {
        s.contains("files · @") && s.contains("docs/guide.md")
    });
    tmux.type_text("mai");
    let screen = tmux.wait_for("the filtered popup", |s| s.contains("files · @mai"));
    assert!(screen.contains("src/main.rs"), "{screen}");
    assert!(!screen.contains("docs/guide.md"), "not filtered: {screen}");

    // Tab accepts, then the message goes on.
    tmux.send_keys(&["Tab"]);
    tmux.wait_for("the accepted path", |s| {
        s.contains("what does @src/main.rs") && !s.contains("files · @")
    });
    tmux.type_text("do?");
    server.enqueue(Reply::text("It prints hi."));
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the answer", |s| s.contains("It prints hi."));
    let chip = screen.lines().find(|l| l.starts_with("▣ src/main.rs · "));
    let chip = chip.unwrap_or_else(|| panic!("no chip in the transcript: {screen}"));
    assert!(
        chip.contains(" B · ≈ ") && chip.contains(" tokens"),
        "{chip}"
    );

    // The request carried the file as a text block before the typed text.
    let bodies = message_bodies(&server);
    let content = &bodies[0]["messages"][0]["content"];
    let file = content[0]["text"].as_str().unwrap();
    assert!(file.contains("<file path=\"src/main.rs\""), "{content}");
    assert!(file.contains("println!"), "{content}");
    let typed = content[1]["text"].as_str().unwrap();
    assert_eq!(typed, "what does @src/main.rs do?");

    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
}
