//! Thinking in a real terminal, as a new user tries it with `--demo`: Alt+T, then a
//! question, shows the thinking live in its line, then the answer; the status bar says
//! thinking is on.

use super::harness::*;
use crate::binary::EXE;

#[tokio::test(flavor = "multi_thread")]
async fn alt_t_then_a_question_shows_live_thinking_in_the_demo() {
    if !tmux_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        &format!("'{EXE}' --demo"),
        &[("CHATTERM_DATA_DIR", data_dir.as_str())],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux.send_keys(&["M-t"]);
    tmux.wait_for("thinking in the status bar", |s| s.contains("✻ thinking"));
    tmux.send_line("Why is the sky blue?");
    let screen = tmux.wait_for("the thinking line", |s| s.contains("Thinking ("));
    assert!(screen.contains("Ctrl+O expands"), "{screen}");
    // The answer follows, and the thinking line stays (collapsed) above it.
    let screen = tmux.wait_for("the answer", |s| s.contains("idle"));
    assert!(screen.contains("Thinking ("), "{screen}");
    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
}
