//! One server's task: connect, list, serve until it exits or is stopped.
//!
//! [`run`] owns the session. Start-up (spawn or connect, initialise, list tools and
//! prompts) is bounded by the server's timeout; then the server is ready and its
//! [`Live`] (the peer, its tools with compiled schemas, its prompts) is published to the
//! manager. A list change lists again and publishes a new `Live` sharing the session. The
//! task ends when the session ends (the child exited or the connection dropped: the
//! server failed, with its last stderr line as the reason) or when it is stopped (a clean
//! close: stdin closed, the child waited for, then killed if it lingers). Either way the
//! `gone` token fires, so calls still running end at once with an error result.
//!
//! Every report carries the task's epoch: after a restart, a late report of the old task
//! is ignored by the manager.

use std::sync::Arc;
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::{Prompt, Tool};
use rmcp::service::Peer;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::config::ServerConfig;
use super::connect::{self, Session, StderrTail};
use super::handler::Handler;
use super::manager::Shared;
use super::{PromptArgument, PromptInfo, ServerState};
use crate::domain::Approval;
use crate::tools::schema::Schema;

/// How long a stopped server gets to close before it is left to be killed.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// A ready server, as calls and the executor see it.
pub struct Live {
    pub server: String,
    pub peer: Peer<RoleClient>,
    pub handler: Handler,
    /// The offered tools (after `tools.allow`/`deny`), in the server's order.
    pub tools: Vec<LiveTool>,
    pub prompts: Vec<PromptInfo>,
    /// Fired when the session ends.
    pub gone: CancellationToken,
    /// Bounds each call.
    pub timeout: Duration,
}

/// One offered tool.
pub struct LiveTool {
    /// The server's name, as it must be sent back.
    pub remote_name: String,
    /// Sanitised for display.
    pub description: String,
    pub input_schema: Value,
    pub schema: Arc<Schema>,
    pub approval: Approval,
    pub read_only: bool,
    pub destructive: bool,
}

/// What a task tells the manager.
pub enum Report {
    State(ServerState),
    Ready(Arc<Live>),
}

/// What a server's task works with.
pub struct Task {
    pub shared: Arc<Shared>,
    pub index: usize,
    pub epoch: u64,
    pub config: ServerConfig,
    pub stop: CancellationToken,
    pub stderr: StderrTail,
}

impl Task {
    fn report(&self, report: Report) {
        self.shared.report(self.index, self.epoch, report);
    }
}

/// Runs the task's server until it ends or `stop` fires (module docs).
pub async fn run(task: Task) {
    task.report(Report::State(ServerState::Starting));
    let handler = Handler::default();
    let (session, tools, prompts) = match start(&task, &handler).await {
        Ok(started) => started,
        Err(Some(reason)) => return task.report(failed(reason, &task.stderr).await),
        Err(None) => return task.report(Report::State(ServerState::Stopped)),
    };
    serve(&task, &handler, session, tools, prompts).await;
}

/// Connects and lists within the timeout. `Err(None)`: stopped meanwhile.
async fn start(
    task: &Task,
    handler: &Handler,
) -> Result<(Session, Vec<Tool>, Vec<Prompt>), Option<String>> {
    let config = &task.config;
    let start = async {
        let (root, passthrough) = (task.shared.root(), task.shared.passthrough());
        let session =
            connect::connect(config, root, passthrough, handler.clone(), &task.stderr).await?;
        let (tools, prompts) = list(&session.peer().clone()).await?;
        Ok::<_, String>((session, tools, prompts))
    };
    tokio::select! {
        () = task.stop.cancelled() => Err(None),
        started = tokio::time::timeout(config.timeout, start) => match started {
            Ok(started) => started.map_err(Some),
            Err(_) => Err(Some(format!(
                "did not start within {}s (timeout_secs)",
                config.timeout.as_secs_f64()
            ))),
        },
    }
}

/// Publishes the server as ready and serves until the session ends or `stop` fires.
async fn serve(
    task: &Task,
    handler: &Handler,
    session: Session,
    tools: Vec<Tool>,
    prompts: Vec<Prompt>,
) {
    let config = &task.config;
    let gone = CancellationToken::new();
    let peer = session.peer().clone();
    let publish = |tools: Vec<Tool>, prompts: Vec<Prompt>| {
        let live = Live {
            server: config.name.clone(),
            peer: peer.clone(),
            handler: handler.clone(),
            tools: offered(config, tools, &task.stderr),
            prompts: prompts.into_iter().map(prompt_info).collect(),
            gone: gone.clone(),
            timeout: config.timeout,
        };
        task.report(Report::Ready(Arc::new(live)));
    };
    publish(tools, prompts);
    let mut closer = Some(session.cancellation_token());
    let mut waiting = std::pin::pin!(session.waiting());
    loop {
        tokio::select! {
            _ = &mut waiting => {
                gone.cancel();
                return task.report(failed("the server exited".to_owned(), &task.stderr).await);
            }
            () = task.stop.cancelled() => {
                if let Some(closer) = closer.take() {
                    closer.cancel();
                }
                let _ = tokio::time::timeout(CLOSE_GRACE, &mut waiting).await;
                gone.cancel();
                return task.report(Report::State(ServerState::Stopped));
            }
            () = handler.lists_changed.notified() => {
                if let Ok(Ok((tools, prompts))) = tokio::time::timeout(config.timeout, list(&peer)).await {
                    publish(tools, prompts);
                }
            }
        }
    }
}

/// How long a failed server's stderr gets to close, so its last words are in the reason.
const STDERR_DRAIN: Duration = Duration::from_millis(500);

async fn failed(reason: String, stderr: &StderrTail) -> Report {
    stderr.drained(STDERR_DRAIN).await;
    let reason = match stderr.last() {
        Some(line) => format!("{reason}; it last wrote: {line}"),
        None => reason,
    };
    Report::State(ServerState::Failed {
        reason: crate::sanitize::sanitize_line(&reason).into_owned(),
    })
}

/// The server's tools and prompts (prompts only when it has them).
async fn list(peer: &Peer<RoleClient>) -> Result<(Vec<Tool>, Vec<Prompt>), String> {
    let tools = peer
        .list_all_tools()
        .await
        .map_err(|e| format!("tools/list failed: {e}"))?;
    let has_prompts = peer
        .peer_info()
        .is_some_and(|info| info.capabilities.prompts.is_some());
    let prompts = if has_prompts {
        peer.list_all_prompts().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok((tools, prompts))
}

/// The tools `config` offers, with compiled schemas; one whose schema does not compile is
/// left out, with a line in the stderr tail saying so.
fn offered(config: &ServerConfig, tools: Vec<Tool>, stderr: &StderrTail) -> Vec<LiveTool> {
    let mut out = Vec::new();
    for tool in tools {
        if !config.offers(&tool.name) {
            continue;
        }
        let input_schema = Value::Object((*tool.input_schema).clone());
        let schema = match Schema::compile(&input_schema) {
            Ok(schema) => Arc::new(schema),
            Err(e) => {
                stderr.note(&format!(
                    "chatterm: tool {} left out: its input schema {e}",
                    tool.name
                ));
                continue;
            }
        };
        let hints = tool.annotations.as_ref();
        let read_only = hints.and_then(|a| a.read_only_hint).unwrap_or(false);
        let destructive = !read_only && hints.and_then(|a| a.destructive_hint).unwrap_or(false);
        let description = tool.description.as_deref().unwrap_or_default();
        out.push(LiveTool {
            approval: config.approval_for(&tool.name, destructive),
            remote_name: tool.name.to_string(),
            description: crate::sanitize::sanitize(description).into_owned(),
            input_schema,
            schema,
            read_only,
            destructive,
        });
    }
    out
}

fn prompt_info(prompt: Prompt) -> PromptInfo {
    let line = |s: &str| crate::sanitize::sanitize_line(s).into_owned();
    PromptInfo {
        name: prompt.name.clone(),
        description: prompt.description.as_deref().map(line),
        arguments: prompt
            .arguments
            .unwrap_or_default()
            .into_iter()
            .map(|a| PromptArgument {
                name: a.name,
                description: a.description.as_deref().map(line),
                required: a.required.unwrap_or(false),
            })
            .collect(),
    }
}
