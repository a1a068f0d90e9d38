//! Running a child process for a tool: stdin in, capped stdout and stderr out, a deadline,
//! cancellation, and no process left behind.
//!
//! Both `run_command` and the user command tools come through [`run`]. The invariants:
//!
//! - output is read while the process runs (so a chatty process never blocks on a full
//!   pipe) but only [`Capture`]'s head and tail are kept, so memory is bounded whatever
//!   the process prints;
//! - on Unix the child leads a new process group, and a timeout or a cancel kills the whole
//!   group (SIGKILL), so `sh -c "sleep 100 | cat"` leaves nothing running; elsewhere only
//!   the child is killed. Dropping the future mid-run does the same (`kill_on_drop` for
//!   the child, a drop guard for its group), so an engine that abandons a call leaks
//!   nothing;
//! - after the child exits, its pipes may still be held open by a background grandchild;
//!   reading waits at most [`DRAIN_GRACE`] for them, then the group is killed and what was
//!   read is returned, so a tool never hangs on a daemon it started;
//! - the input is written from its own task and a process that never reads it is fine;
//! - the child inherits the environment without credentials ([`super::env`]), apart
//!   from the names in [`ProcessSpec::env_passthrough`].

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// How long to keep reading after the child exited, for output still in flight.
pub const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Written to stdin, which is then closed; `None` gives the child no stdin at all.
    pub stdin: Option<Vec<u8>>,
    pub timeout: Duration,
    pub stdout: Keep,
    pub stderr: Keep,
    /// Credential variables the child may still inherit (`tools.env_passthrough`).
    pub env_passthrough: Vec<String>,
}

/// How much of a stream to keep: the first `head` bytes and the last `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub head: usize,
    pub tail: usize,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Exited(ExitStatus),
    TimedOut,
    Cancelled,
}

/// The outcome of a run that started.
#[derive(Debug)]
pub struct Outcome {
    pub finish: Finish,
    pub stdout: Capture,
    pub stderr: Capture,
}

/// The head and tail of a byte stream, and how long it was in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    total: usize,
}

impl Capture {
    pub fn new(head_cap: usize, tail_cap: usize) -> Capture {
        Capture {
            head_cap,
            tail_cap,
            ..Capture::default()
        }
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        let room = self.head_cap.saturating_sub(self.head.len());
        let (first, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(first);
        bytes = rest;
        if self.tail_cap == 0 {
            return;
        }
        if bytes.len() >= self.tail_cap {
            bytes = &bytes[bytes.len() - self.tail_cap..];
            self.tail.clear();
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// Bytes seen in all, kept or not.
    pub fn total(&self) -> usize {
        self.total
    }

    pub fn is_truncated(&self) -> bool {
        self.total > self.head.len() + self.tail.len()
    }

    /// The kept text, with a marker where bytes were dropped. Invalid UTF-8 is replaced.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        let dropped = self.total - self.head.len() - self.tail.len();
        if dropped > 0 {
            out.push_str(&format!("\n[... {dropped} bytes omitted ...]\n"));
        }
        let (a, b) = self.tail.as_slices();
        out.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        out
    }

    /// The kept head alone, for a result that keeps only a start.
    pub fn head_text(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }

    /// The last `n` characters of the kept text (for an error's stderr excerpt).
    pub fn last_chars(&self, n: usize) -> String {
        let text = self.text();
        let count = text.chars().count();
        if count <= n {
            return text;
        }
        let skip = count - n;
        format!("...{}", text.chars().skip(skip).collect::<String>())
    }
}

/// Runs `spec`. `Err` only when the process could not be started (missing binary, bad
/// cwd); everything after that is an [`Outcome`].
pub async fn run(spec: ProcessSpec, cancel: CancellationToken) -> std::io::Result<Outcome> {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    super::env::scrub(&spec.env_passthrough, |name| {
        command.env_remove(name);
    });
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn()?;
    let group = ProcessGroup(child.id());

    if let (Some(input), Some(mut stdin)) = (spec.stdin, child.stdin.take()) {
        // A child that exits without reading gives a broken pipe here; that is its right.
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        });
    }
    let stdout = reader(child.stdout.take(), spec.stdout);
    let stderr = reader(child.stderr.take(), spec.stderr);

    let finish = wait(&mut child, &group, spec.timeout, &cancel).await;
    let (stdout, stderr) = drain(stdout, stderr, &group).await;
    // Whatever is left of the group (a background grandchild holding a pipe) goes now.
    group.kill();
    Ok(Outcome {
        finish,
        stdout,
        stderr,
    })
}

async fn wait(
    child: &mut Child,
    group: &ProcessGroup,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Finish {
    tokio::select! {
        status = child.wait() => match status {
            Ok(status) => Finish::Exited(status),
            // wait() fails only if the child was already reaped; treat it as killed.
            Err(_) => Finish::Cancelled,
        },
        () = tokio::time::sleep(timeout) => {
            group.kill();
            let _ = child.kill().await;
            Finish::TimedOut
        }
        () = cancel.cancelled() => {
            group.kill();
            let _ = child.kill().await;
            Finish::Cancelled
        }
    }
}

/// A stream being read into a capture shared with [`drain`], so what was read survives
/// the reader being given up on.
struct Reader {
    capture: Arc<Mutex<Capture>>,
    task: tokio::task::JoinHandle<()>,
}

fn reader<R: AsyncRead + Unpin + Send + 'static>(stream: Option<R>, keep: Keep) -> Reader {
    let capture = Arc::new(Mutex::new(Capture::new(keep.head, keep.tail)));
    let shared = Arc::clone(&capture);
    let task = tokio::spawn(async move {
        let Some(mut stream) = stream else {
            return;
        };
        let mut buf = vec![0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => lock(&shared).push(&buf[..n]),
            }
        }
    });
    Reader { capture, task }
}

/// Both captures once the pipes close. If they are still open [`DRAIN_GRACE`] after the
/// child ended, a background process holds them: the group is killed (which usually
/// closes them), and after one more grace period the readers are abandoned with what
/// they have.
async fn drain(stdout: Reader, stderr: Reader, group: &ProcessGroup) -> (Capture, Capture) {
    let (mut out_task, mut err_task) = (stdout.task, stderr.task);
    let both = async { (&mut out_task).await.ok().and((&mut err_task).await.ok()) };
    if tokio::time::timeout(DRAIN_GRACE, both).await.is_err() {
        group.kill();
        let both = async { (&mut out_task).await.ok().and((&mut err_task).await.ok()) };
        if tokio::time::timeout(DRAIN_GRACE, both).await.is_err() {
            out_task.abort();
            err_task.abort();
        }
    }
    let take = |c: &Arc<Mutex<Capture>>| std::mem::take(&mut *lock(c));
    (take(&stdout.capture), take(&stderr.capture))
}

/// A poisoned capture is still a valid capture: pushing bytes cannot leave it half-built.
fn lock(capture: &Mutex<Capture>) -> std::sync::MutexGuard<'_, Capture> {
    capture
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The child's process group on Unix (its pid, as it leads the group), for killing it
/// with everything it started. Killed again on drop, which is what covers a dropped future.
struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

impl ProcessGroup {
    fn kill(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            use nix::sys::signal::{Signal, killpg};
            // ESRCH (already gone) is the common, fine case.
            let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// A shell for a command line: `sh -c` on Unix, `cmd /C` on Windows.
pub fn shell(command_line: &str) -> (PathBuf, Vec<String>) {
    if cfg!(windows) {
        ("cmd".into(), vec!["/C".into(), command_line.into()])
    } else {
        ("sh".into(), vec!["-c".into(), command_line.into()])
    }
}

#[cfg(test)]
mod tests;
