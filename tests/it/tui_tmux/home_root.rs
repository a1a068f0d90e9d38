//! Started in the home directory, the chat screen says once that the tools can read
//! everything under it (the home directory guard's start-up notice).

use chatterm::mock::MockServer;

use super::harness::*;
use crate::binary::EXE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_home_directory_root_is_named_once_at_start() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    let url = server.url();
    let bin = format!("'{}'", EXE.replace('\'', r"'\''"));
    let tmux = Tmux::start(
        &format!("cd \"$HOME\" && {bin}"),
        &[("ANTHROPIC_BASE_URL", &url), ("ANTHROPIC_API_KEY", "test")],
    );
    let screen = tmux.wait_for("the home directory notice", |s| {
        s.contains("workspace root is your home directory")
    });
    assert_eq!(screen.matches("workspace root is").count(), 1, "{screen}");
    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
}
