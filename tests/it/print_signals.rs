//! Print mode stopped by a signal: SIGTERM or SIGHUP in the middle of `chatterm -p`
//! cancels the turn (a running tool's process group is killed, the partial answer is
//! stored as interrupted) and exits 143 or 129 within two seconds.

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatterm::api::{Role, StopReason};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::store::{DB_FILE, MessageStatus, Store, StoredMessage};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::binary::{against, data_dir};
use crate::common::{stalls_after, text_of};
use crate::processes::{assert_gone_by, wait_for_processes};

/// Generous, for a loaded machine: how long to wait for the run to reach the state to
/// interrupt.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A marker no other process has in its command line: the tool's `sleep`.
const SLEEP_MARKER: &str = "32.71828";

/// `chatterm -p` running, its stdout collected as it comes.
struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
}

impl Running {
    fn start(server: &MockServer, home: &tempfile::TempDir, args: &[&str]) -> Running {
        let mut cmd = against(server, home);
        cmd.arg("-p")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start chatterm");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stdout.take().unwrap();
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Running { child, stdout }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Polls until stdout holds `text`.
    fn wait_for_output(&self, text: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.stdout().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} on stdout; got {:?}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal`, asserts the process ends in time, and returns its exit status.
    fn stop_with(&mut self, signal: Signal) -> Option<i32> {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).unwrap());
        kill(pid, signal).unwrap();
        let mut status = None;
        assert_gone_by(&format!("chatterm -p after {signal}"), || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.and_then(|s| s.code())
    }
}

/// The messages of the newest stored conversation in `home`'s data dir.
fn stored(home: &tempfile::TempDir) -> Vec<StoredMessage> {
    let store = Store::open(&data_dir(home).join(DB_FILE)).unwrap();
    let id = store.latest().unwrap().expect("a stored conversation");
    store.load(id).unwrap().messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_answer_stores_the_partial_as_interrupted_and_exits_143() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(stalls_after("Foxes are small", " omnivores."));
    let home = tempfile::tempdir().unwrap();
    let mut run = Running::start(&server, &home, &["--no-tools", "tell me about foxes"]);
    run.wait_for_output("Foxes are small");
    let code = tokio::task::block_in_place(|| run.stop_with(Signal::SIGTERM));
    assert_eq!(code, Some(143));

    let messages = stored(&home);
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(messages[0].role, Role::User);
    assert_eq!(text_of(&messages[0]), "tell me about foxes");
    assert_eq!(text_of(&messages[1]), "Foxes are small");
    assert_eq!(messages[1].status, MessageStatus::Interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_while_a_tool_runs_kills_its_process_group_and_exits_129() {
    let server = MockServer::start().await.unwrap();
    let input = serde_json::json!({ "command": format!("sleep {SLEEP_MARKER}") }).to_string();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::tool_use("toolu_sighup", "run_command", &[input.as_str()]),
        Step::stop(StopReason::ToolUse, 12),
    ])));
    let home = tempfile::tempdir().unwrap();
    let mut run = Running::start(&server, &home, &["--approve-all", "wait a while"]);
    let sleeping = tokio::task::block_in_place(|| {
        wait_for_processes(SLEEP_MARKER, TIMEOUT, || {
            format!("stdout: {:?}", run.stdout())
        })
    });
    let code = tokio::task::block_in_place(|| run.stop_with(Signal::SIGHUP));
    assert_eq!(code, Some(129));
    for pid in sleeping {
        tokio::task::block_in_place(|| {
            assert_gone_by(&format!("the tool's sleep (pid {pid})"), || {
                crate::processes::is_gone(pid)
            });
        });
    }
    let messages = stored(&home);
    assert_eq!(text_of(&messages[0]), "wait a while");
}
