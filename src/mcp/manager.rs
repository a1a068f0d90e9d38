//! The manager: every configured server's slot, the handle front ends hold, and the
//! snapshot of tools a request offers.
//!
//! Each slot holds a server's config, its state, its [`Live`] session when ready, its
//! stderr tail, and its task. Tasks report through [`Shared::report`], tagged with the
//! slot's epoch; a restart bumps the epoch, so the old task's last words are ignored.
//! After every report the API names of all ready servers' tools are assigned again
//! (`names.rs`: built-ins first, servers in config order, deterministic) and the watch
//! channel's generation moves on.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rmcp::model::{ContentBlock, GetPromptRequestParams, GetPromptResponse};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::{ServerConfig, Transport};
use super::connect::StderrTail;
use super::executor::{McpExecutor, Snapshot};
use super::server::{self, Live, Report};
use super::{McpError, ServerState, ServerStatus, ToolInfo, ToolOrigin, TransportKind, names};
use crate::tools::ToolExecutor;

/// How long [`McpManager::shutdown`] waits for servers to close.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(4);

/// The handle to every MCP server (module docs of [`crate::mcp`]). Cheap to clone.
#[derive(Clone)]
pub struct McpManager {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for McpManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.servers().into_iter().map(|s| s.name).collect();
        f.debug_struct("McpManager")
            .field("servers", &names)
            .finish()
    }
}

pub struct Shared {
    slots: Mutex<Vec<Slot>>,
    changed: watch::Sender<u64>,
    root: PathBuf,
    passthrough: Vec<String>,
    /// The built-in tools' names, which MCP tools must not take.
    base_names: Mutex<Vec<String>>,
    /// Every API name ever assigned, so a finished call's panel can still name its server.
    origins: Mutex<HashMap<String, ToolOrigin>>,
    /// Tasks of stopped or restarted servers still closing, awaited at shutdown.
    retired: Mutex<Vec<JoinHandle<()>>>,
}

struct Slot {
    config: ServerConfig,
    state: ServerState,
    live: Option<Arc<Live>>,
    api_names: Vec<String>,
    stderr: StderrTail,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
    epoch: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; go on with it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn passthrough(&self) -> &[String] {
        &self.passthrough
    }

    /// A task's report (module docs).
    pub fn report(&self, index: usize, epoch: u64, report: Report) {
        {
            let mut slots = lock(&self.slots);
            let Some(slot) = slots.get_mut(index).filter(|s| s.epoch == epoch) else {
                return;
            };
            match report {
                Report::State(state) => {
                    slot.state = state;
                    slot.live = None;
                }
                Report::Ready(live) => {
                    slot.state = ServerState::Ready;
                    slot.live = Some(live);
                }
            }
            self.rename(&mut slots);
        }
        self.changed.send_modify(|g| *g += 1);
    }

    /// Assigns the API names of every ready server's tools again.
    fn rename(&self, slots: &mut [Slot]) {
        let base = lock(&self.base_names).clone();
        let base: Vec<&str> = base.iter().map(String::as_str).collect();
        let mut wanted = Vec::new();
        for slot in slots.iter() {
            if let Some(live) = &slot.live {
                for tool in &live.tools {
                    wanted.push(names::api_name(&slot.config.name, &tool.remote_name));
                }
            }
        }
        let mut assigned = names::assign(&base, &wanted).into_iter();
        let mut origins = lock(&self.origins);
        for slot in slots.iter_mut() {
            slot.api_names.clear();
            let Some(live) = &slot.live else { continue };
            for tool in &live.tools {
                let name = assigned.next().unwrap_or_default();
                let origin = ToolOrigin {
                    server: slot.config.name.clone(),
                    tool: tool.remote_name.clone(),
                };
                origins.insert(name.clone(), origin);
                slot.api_names.push(name);
            }
        }
    }

    fn spawn(self: &Arc<Self>, slots: &mut [Slot], index: usize) {
        let slot = &mut slots[index];
        slot.stop.cancel();
        if let Some(old) = slot.task.take() {
            lock(&self.retired).push(old);
        }
        slot.epoch += 1;
        slot.stop = CancellationToken::new();
        slot.state = ServerState::Starting;
        slot.live = None;
        slot.stderr = StderrTail::default();
        let task = server::run(server::Task {
            shared: Arc::clone(self),
            index,
            epoch: slot.epoch,
            config: slot.config.clone(),
            stop: slot.stop.clone(),
            stderr: slot.stderr.clone(),
        });
        // A panic in the task (a bug) must not leave the server "starting" for ever.
        let (shared, epoch) = (Arc::clone(self), slot.epoch);
        slot.task = Some(tokio::spawn(async move {
            if let Err(e) = tokio::spawn(task).await
                && e.is_panic()
            {
                let reason = "chatterm's MCP client crashed (see the panic log)".to_owned();
                shared.report(index, epoch, Report::State(ServerState::Failed { reason }));
            }
        }));
    }
}

impl McpManager {
    /// Starts every enabled server in the background and returns at once (it spawns tasks,
    /// so it must be called inside a tokio runtime). Stdio servers run in `root` (unless
    /// their `cwd` says otherwise) and inherit the names in `passthrough`.
    pub fn start(servers: Vec<ServerConfig>, root: PathBuf, passthrough: Vec<String>) -> Self {
        let slots = servers
            .into_iter()
            .map(|config| Slot {
                state: ServerState::Stopped,
                config,
                live: None,
                api_names: Vec::new(),
                stderr: StderrTail::default(),
                stop: CancellationToken::new(),
                task: None,
                epoch: 0,
            })
            .collect();
        let shared = Arc::new(Shared {
            slots: Mutex::new(slots),
            changed: watch::channel(0).0,
            root,
            passthrough,
            base_names: Mutex::new(Vec::new()),
            origins: Mutex::new(HashMap::new()),
            retired: Mutex::new(Vec::new()),
        });
        {
            let mut slots = lock(&shared.slots);
            for index in 0..slots.len() {
                if slots[index].config.enabled {
                    shared.spawn(&mut slots, index);
                }
            }
        }
        McpManager { shared }
    }

    /// A manager without servers.
    pub fn none() -> Self {
        McpManager::start(Vec::new(), PathBuf::from("."), Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.shared.slots).is_empty()
    }

    /// Every server's status, in configuration order.
    pub fn servers(&self) -> Vec<ServerStatus> {
        lock(&self.shared.slots).iter().map(status).collect()
    }

    /// A generation number that moves on every change of any server's status.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.changed.subscribe()
    }

    /// Stops server `name` (if it runs) and starts it again, in the background.
    pub fn restart(&self, name: &str) -> Result<(), McpError> {
        {
            let mut slots = lock(&self.shared.slots);
            let index = slots
                .iter()
                .position(|s| s.config.name == name)
                .ok_or_else(|| McpError::UnknownServer(name.to_owned()))?;
            self.shared.spawn(&mut slots, index);
            self.shared.rename(&mut slots);
        }
        self.shared.changed.send_modify(|g| *g += 1);
        Ok(())
    }

    /// The server and tool behind an API tool name (any name this manager ever assigned).
    pub fn tool_origin(&self, api_name: &str) -> Option<ToolOrigin> {
        lock(&self.shared.origins).get(api_name).cloned()
    }

    /// Prompt `prompt` of `server` rendered with `arguments`: the text of its messages,
    /// one paragraph each (sanitised), to put in the input box.
    pub async fn get_prompt(
        &self,
        server: &str,
        prompt: &str,
        arguments: BTreeMap<String, String>,
    ) -> Result<String, McpError> {
        let live = self.live(server)?;
        if !live.prompts.iter().any(|p| p.name == prompt) {
            return Err(McpError::UnknownPrompt {
                server: server.to_owned(),
                prompt: prompt.to_owned(),
            });
        }
        let arguments = arguments
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let params = GetPromptRequestParams::new(prompt).with_arguments(arguments);
        let failed = |message: String| McpError::Server {
            server: server.to_owned(),
            message,
        };
        let got = tokio::time::timeout(live.timeout, live.peer.get_prompt_once(params))
            .await
            .map_err(|_| failed("prompts/get timed out".into()))?
            .map_err(|e| failed(e.to_string()))?;
        let GetPromptResponse::Complete(result) = got else {
            return Err(failed(
                "the prompt asked for input chatterm cannot give".into(),
            ));
        };
        let texts: Vec<String> = result
            .messages
            .into_iter()
            .filter_map(|m| match m.content {
                ContentBlock::Text(text) => Some(text.text),
                ContentBlock::Resource(r) => match r.resource {
                    rmcp::model::ResourceContents::TextResourceContents { text, .. } => Some(text),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        Ok(crate::sanitize::sanitize(&texts.join("\n\n")).into_owned())
    }

    fn live(&self, server: &str) -> Result<Arc<Live>, McpError> {
        let slots = lock(&self.shared.slots);
        let slot = slots
            .iter()
            .find(|s| s.config.name == server)
            .ok_or_else(|| McpError::UnknownServer(server.to_owned()))?;
        slot.live.clone().ok_or_else(|| McpError::NotReady {
            server: server.to_owned(),
            state: slot.state.to_string(),
        })
    }

    /// The engine's executor: `base` (the built-in and command tools) plus every ready
    /// server's tools, frozen per request.
    pub fn executor(&self, base: Arc<dyn ToolExecutor>) -> Arc<dyn ToolExecutor> {
        let names = base.specs().iter().map(|s| s.name.clone()).collect();
        *lock(&self.shared.base_names) = names;
        {
            let mut slots = lock(&self.shared.slots);
            self.shared.rename(&mut slots);
        }
        Arc::new(McpExecutor::new(base, self.clone()))
    }

    /// The tools as they stand now, over `base` (see [`ToolExecutor::snapshot`]).
    pub(crate) fn snapshot(&self, base: &Arc<dyn ToolExecutor>) -> Snapshot {
        let slots = lock(&self.shared.slots);
        let ready = slots.iter().filter_map(|slot| {
            let live = slot.live.as_ref()?;
            Some((Arc::clone(live), slot.api_names.clone()))
        });
        Snapshot::new(Arc::clone(base), ready.collect())
    }

    /// Waits until no server is starting any more, or `within` passed (print mode and
    /// `chatterm mcp list` wait; the TUI never does).
    pub async fn settled(&self, within: Duration) {
        let mut changes = self.subscribe();
        let starting = || {
            lock(&self.shared.slots)
                .iter()
                .any(|s| s.state == ServerState::Starting)
        };
        let _ = tokio::time::timeout(within, async {
            while starting() {
                if changes.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
    }

    /// Stops every server and waits (a few seconds at most) for them to close: sessions
    /// ended, stdio children exited or killed.
    pub async fn shutdown(&self) {
        let mut tasks = Vec::new();
        {
            let mut slots = lock(&self.shared.slots);
            for slot in slots.iter_mut() {
                slot.stop.cancel();
                tasks.extend(slot.task.take());
            }
        }
        tasks.append(&mut lock(&self.shared.retired));
        let _ = tokio::time::timeout(SHUTDOWN_WAIT, futures::future::join_all(tasks)).await;
    }
}

fn status(slot: &Slot) -> ServerStatus {
    let transport = match &slot.config.transport {
        Transport::Stdio { command, args, .. } => {
            let mut line = command.clone();
            for arg in args {
                line.push(' ');
                line.push_str(arg);
            }
            TransportKind::Stdio { command: line }
        }
        Transport::Http { url, .. } => TransportKind::Http { url: url.clone() },
    };
    let (tools, prompts) = match &slot.live {
        Some(live) => {
            let tools = live
                .tools
                .iter()
                .zip(&slot.api_names)
                .map(|(tool, api_name)| ToolInfo {
                    name: crate::sanitize::sanitize_line(&tool.remote_name).into_owned(),
                    api_name: api_name.clone(),
                    description: tool.description.clone(),
                    approval: tool.approval,
                    read_only: tool.read_only,
                    destructive: tool.destructive,
                })
                .collect();
            (tools, live.prompts.clone())
        }
        None => (Vec::new(), Vec::new()),
    };
    ServerStatus {
        name: slot.config.name.clone(),
        transport,
        state: slot.state.clone(),
        tools,
        prompts,
        stderr_tail: slot.stderr.lines(),
        source: slot.config.source.clone(),
    }
}
