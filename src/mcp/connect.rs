//! Reaching a server: a stdio child or streamable HTTP, up to an initialised session.
//!
//! A stdio child starts with a cleared environment: a safe base (what programs need to
//! run: `PATH`, `HOME`, the locale, the temp dir; plus the names in
//! `tools.env_passthrough`), then the server's configured `env`. So chatterm's API
//! credentials, and every other secret of this process, reach a server only when the
//! config hands them over by name. Its stderr is read line by line into a short tail
//! (sanitised) that a failed server shows. The child is killed when dropped
//! (`kill_on_drop`), so no path out leaves it running; a clean stop closes its stdin
//! first and waits for it (rmcp's graceful shutdown).
//!
//! Over HTTP the bearer token is read from the environment variable the config names, at
//! connect, and goes only into the `Authorization` header of that server's URL.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::ServiceExt;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::TokioChildProcess;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::AsyncBufReadExt;

use super::config::{ServerConfig, Transport, expand_env};
use super::handler::Handler;

/// The variables a stdio server inherits from chatterm's environment (and any `LC_*`).
const BASE_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "TERM",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "SYSTEMROOT",
    "APPDATA",
    "LOCALAPPDATA",
    "USERPROFILE",
];

/// Lines of a child's stderr kept for a failed server.
pub const STDERR_LINES: usize = 10;
/// Characters of one stderr line kept.
const STDERR_LINE_CHARS: usize = 300;

/// A connected server.
pub type Session = RunningService<RoleClient, Handler>;

/// The last lines a child wrote to stderr, shared with whoever shows them, and whether
/// its stderr has closed (a child that failed at start has usually said why by then).
#[derive(Debug, Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>, Arc<Closed>);

#[derive(Debug, Default)]
pub struct Closed {
    flag: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl StderrTail {
    /// Waits (at most `within`) until the child's stderr has closed, so a failure's
    /// reason can quote its last line.
    pub async fn drained(&self, within: std::time::Duration) {
        let notified = self.1.notify.notified();
        if self.1.flag.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let _ = tokio::time::timeout(within, notified).await;
    }

    fn close(&self) {
        self.1.flag.store(true, std::sync::atomic::Ordering::SeqCst);
        self.1.notify.notify_waiters();
    }

    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|tail| tail.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn push(&self, line: &str) {
        let line = crate::sanitize::sanitize_line(line);
        let line: String = line.chars().take(STDERR_LINE_CHARS).collect();
        if let Ok(mut tail) = self.0.lock() {
            if tail.len() == STDERR_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }

    /// Adds a line of chatterm's own (why a tool was left out).
    pub fn note(&self, line: &str) {
        self.push(line);
    }

    /// The tail as one line for a failure reason: its last non-empty line.
    pub fn last(&self) -> Option<String> {
        self.lines()
            .into_iter()
            .rev()
            .find(|l| !l.trim().is_empty())
    }
}

/// Connects and initialises (the caller bounds it with the server's timeout).
pub async fn connect(
    config: &ServerConfig,
    root: &Path,
    passthrough: &[String],
    handler: Handler,
    stderr: &StderrTail,
) -> Result<Session, String> {
    match &config.transport {
        Transport::Stdio {
            command,
            args,
            env,
            cwd,
        } => {
            let mut cmd = stdio_command(command, args, env, cwd.as_deref(), root, passthrough)?;
            cmd.kill_on_drop(true);
            let (process, child_stderr) = TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {command:?}: {e}"))?;
            if let Some(child_stderr) = child_stderr {
                let tail = stderr.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(child_stderr).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        tail.push(&line);
                    }
                    tail.close();
                });
            }
            handler
                .serve(process)
                .await
                .map_err(|e| format!("initialisation failed: {e}"))
        }
        Transport::Http {
            url,
            headers,
            bearer_token_env,
        } => {
            let config = http_config(url, headers, bearer_token_env.as_deref())?;
            // rmcp's reqwest is built without a crypto provider of its own; ring is the
            // one chatterm's API client uses. Installing it twice is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let transport = StreamableHttpClientTransport::from_config(config);
            handler
                .serve(transport)
                .await
                .map_err(|e| format!("initialisation failed: {e}"))
        }
    }
}

fn stdio_command(
    command: &str,
    args: &[String],
    env: &std::collections::BTreeMap<String, String>,
    cwd: Option<&str>,
    root: &Path,
    passthrough: &[String],
) -> Result<tokio::process::Command, String> {
    let expand = |what: &str, text: &str| expand_env(text).map_err(|e| format!("{what}: {e}"));
    let mut cmd = tokio::process::Command::new(expand("command", command)?);
    for (i, arg) in args.iter().enumerate() {
        cmd.arg(expand(&format!("args[{i}]"), arg)?);
    }
    cmd.env_clear();
    for (name, value) in std::env::vars_os() {
        let text = name.to_string_lossy();
        let base = BASE_ENV.iter().any(|b| text.eq_ignore_ascii_case(b)) || text.starts_with("LC_");
        // A name in tools.env_passthrough passes even when it looks like a credential:
        // the person chose to pass it.
        let chosen = passthrough.iter().any(|p| p.as_str() == text);
        if (base && !crate::tools::env::is_credential(&name)) || chosen {
            cmd.env(&name, value);
        }
    }
    for (name, value) in env {
        cmd.env(name, expand(&format!("env.{name}"), value)?);
    }
    let dir = match cwd {
        Some(dir) => root.join(expand("cwd", dir)?),
        None => root.to_path_buf(),
    };
    cmd.current_dir(dir);
    Ok(cmd)
}

fn http_config(
    url: &str,
    headers: &std::collections::BTreeMap<String, String>,
    bearer_token_env: Option<&str>,
) -> Result<StreamableHttpClientTransportConfig, String> {
    use reqwest::header::{HeaderName, HeaderValue};
    let url = expand_env(url).map_err(|e| format!("url: {e}"))?;
    let mut custom = HashMap::new();
    for (name, value) in headers {
        let value = expand_env(value).map_err(|e| format!("headers.{name}: {e}"))?;
        let name =
            HeaderName::try_from(name.as_str()).map_err(|e| format!("header {name:?}: {e}"))?;
        let mut value = HeaderValue::try_from(value).map_err(|e| format!("header {name}: {e}"))?;
        value.set_sensitive(true);
        custom.insert(name, value);
    }
    let mut config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(custom);
    if let Some(var) = bearer_token_env {
        let token = std::env::var(var)
            .map_err(|_| format!("bearer_token_env: environment variable {var} is not set"))?;
        config = config.auth_header(token);
    }
    Ok(config)
}
