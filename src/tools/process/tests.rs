use std::time::Duration;

use super::*;

#[test]
fn capture_keeps_head_and_tail() {
    let mut c = Capture::new(4, 3);
    c.push(b"ab");
    assert_eq!(c.text(), "ab");
    c.push(b"cdefg");
    c.push(b"hij");
    assert_eq!(c.total(), 10);
    assert!(c.is_truncated());
    assert_eq!(c.text(), "abcd\n[... 3 bytes omitted ...]\nhij");
    // A push bigger than the tail keeps only its end.
    c.push(b"0123456789");
    assert_eq!(c.text(), "abcd\n[... 13 bytes omitted ...]\n789");
    let mut small = Capture::new(10, 10);
    small.push(b"hello");
    assert!(!small.is_truncated());
    assert_eq!(small.last_chars(3), "...llo");
    assert_eq!(small.last_chars(10), "hello");
}

#[cfg(unix)]
mod unix {
    use super::*;

    fn sh(script: &str, stdin: Option<&str>, timeout: Duration) -> ProcessSpec {
        let (program, args) = shell(script);
        ProcessSpec {
            program,
            args,
            cwd: std::env::temp_dir(),
            stdin: stdin.map(|s| s.as_bytes().to_vec()),
            timeout,
            stdout: Keep {
                head: 1000,
                tail: 1000,
            },
            stderr: Keep {
                head: 1000,
                tail: 1000,
            },
            env_passthrough: Vec::new(),
        }
    }

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn stdin_goes_in_and_stdout_comes_out() {
        let out = run(
            sh("cat; echo err >&2", Some("{\"a\":1}"), LONG),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert!(matches!(out.finish, Finish::Exited(s) if s.success()));
        assert_eq!(out.stdout.text(), "{\"a\":1}");
        assert_eq!(out.stderr.text(), "err\n");
    }

    #[tokio::test]
    async fn exit_codes_are_reported() {
        let out = run(sh("exit 3", None, LONG), CancellationToken::new())
            .await
            .unwrap();
        assert!(matches!(out.finish, Finish::Exited(s) if s.code() == Some(3)));
    }

    #[tokio::test]
    async fn a_missing_program_is_a_spawn_error() {
        let spec = ProcessSpec {
            program: "/nonexistent/chatterm-no-such-binary".into(),
            ..sh("", None, LONG)
        };
        let err = run(spec, CancellationToken::new()).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn output_is_capped_but_counted() {
        let out = run(
            sh("head -c 1000000 /dev/zero | tr '\\0' x", None, LONG),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(out.stdout.total(), 1_000_000);
        assert!(out.stdout.is_truncated());
        assert!(out.stdout.text().len() < 2100);
    }

    /// Whether `pid` is gone or a zombie waiting to be reaped: either way, not running.
    #[cfg(target_os = "linux")]
    fn not_running(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        }
    }

    /// The shell starts a grandchild and waits; the timeout must kill both.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn timeout_kills_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 100 & echo $! > {}; wait", pidfile.display());
        let out = run(
            sh(&script, None, Duration::from_millis(300)),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(out.finish, Finish::TimedOut);
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let pid = pid.trim();
        // SIGKILL is asynchronous; give the kernel a generous moment.
        for _ in 0..100 {
            if not_running(pid) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("grandchild {pid} survived the timeout");
    }

    #[tokio::test]
    async fn cancel_stops_the_process_promptly() {
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            trigger.cancel();
        });
        let run = run(sh("sleep 100", None, LONG), cancel);
        // Generous bound: only a hang fails this.
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("cancel did not stop the process")
            .unwrap();
        assert_eq!(out.finish, Finish::Cancelled);
    }

    /// An engine may drop a running call instead of cancelling it; nothing may survive.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn dropping_the_future_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 100 & echo $! > {}; wait", pidfile.display());
        let run = run(sh(&script, None, LONG), CancellationToken::new());
        // Poll the run until the grandchild exists, then drop it.
        let waited = tokio::time::timeout(Duration::from_secs(30), async {
            tokio::pin!(run);
            loop {
                tokio::select! {
                    _ = &mut run => panic!("the run ended by itself"),
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                if std::fs::read_to_string(&pidfile).is_ok_and(|p| p.ends_with('\n')) {
                    return;
                }
            }
        });
        waited.await.expect("the grandchild never started");
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        for _ in 0..100 {
            if not_running(pid.trim()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("grandchild {pid} survived the dropped run");
    }

    #[tokio::test]
    async fn a_background_child_holding_the_pipe_does_not_hang_the_run() {
        let run = run(
            sh("sleep 100 & echo hi", None, LONG),
            CancellationToken::new(),
        );
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("run hung on the background child")
            .unwrap();
        assert!(matches!(out.finish, Finish::Exited(s) if s.success()));
        assert_eq!(out.stdout.text(), "hi\n");
    }
}
