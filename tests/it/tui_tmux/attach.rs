//! Issue 17's "done when" for the chat screen: type `@`, filter the workspace's files,
//! accept one, send, and see the file's chip in the transcript, with the file in the
//! request as a text block; and `/attach` and a pasted path reaching the request as
//! their blocks.

use chatterm::mock::{MockServer, Reply};

use super::harness::*;
use crate::binary::EXE;
use crate::common::message_bodies;

/// A workspace of a few files, and chatterm started in it against a fresh mock.
fn start_in(files: &[(&str, &[u8])]) -> (tempfile::TempDir, MockServer, Tmux) {
    let workspace = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = workspace.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let server = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(MockServer::start())
    })
    .unwrap();
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
    (workspace, server, tmux)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_and_a_pasted_path_become_chips_and_blocks() {
    if !tmux_available() {
        return;
    }
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(40, 30)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let png = png.into_inner();
    let (workspace, server, tmux) = start_in(&[
        ("docs/guide.md", b"# Guide\nRead me.\n"),
        ("shot.png", &png),
    ]);

    tmux.send_line("/attach docs/guide.md");
    tmux.wait_for("the /attach chip", |s| s.contains("▣ docs/guide.md · "));
    let shot = workspace.path().join("shot.png");
    tmux.paste(&shot.to_string_lossy());
    tmux.wait_for("the offer", |s| s.contains("Tab attaches"));
    tmux.send_keys(&["Tab"]);
    tmux.wait_for("the image chip", |s| {
        s.contains("▣ shot.png · ") && !s.contains("Tab attaches")
    });
    tmux.type_text("look");
    server.enqueue(Reply::text("A black picture and a guide."));
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the answer", |s| s.contains("A black picture"));
    let chips = screen.lines().filter(|l| l.starts_with("▣ ")).count();
    assert_eq!(chips, 2, "both chips in the transcript: {screen}");

    let bodies = message_bodies(&server);
    let content = bodies[0]["messages"][0]["content"]
        .as_array()
        .unwrap()
        .clone();
    let types: Vec<&str> = content
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"text"), "{types:?}");
    assert!(types.contains(&"image"), "{types:?}");
    assert_eq!(content.last().unwrap()["text"], "look");
    let image = content.iter().find(|b| b["type"] == "image").unwrap();
    assert_eq!(image["source"]["media_type"], "image/png");

    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_at_mention_is_completed_sent_and_shown_as_a_chip() {
    if !tmux_available() {
        return;
    }
    let (_workspace, server, tmux) = start_in(&[
        ("src/main.rs", b"fn main() { println!(\"hi\"); }\n"),
        ("src/lib.rs", b"pub fn lib() {}\n"),
        ("docs/guide.md", b"# Guide\n"),
    ]);

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
