//! chatterm's side of an MCP session: what the client tells a server about itself, and
//! the server's notifications (progress of a call, tool and prompt lists changed).
//!
//! Progress is routed by token: a call registers its request's progress token with a sink
//! before it waits ([`Handler::watch_progress`]) and removes it when it ends, so a late
//! notification for a finished call goes nowhere. A list change wakes the server's task,
//! which lists again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::ClientHandler;
use rmcp::RoleClient;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProgressToken,
    ProtocolVersion,
};
use rmcp::service::NotificationContext;
use tokio::sync::Notify;

use crate::tools::ToolProgress;

/// Where one call's progress goes.
pub type ProgressSink = Arc<dyn Fn(ToolProgress) + Send + Sync>;

/// Characters of a progress message kept.
const PROGRESS_MESSAGE_CHARS: usize = 200;

#[derive(Clone, Default)]
pub struct Handler {
    progress: Arc<Mutex<HashMap<ProgressToken, ProgressSink>>>,
    /// Woken by `notifications/tools/list_changed` and `prompts/list_changed`.
    pub lists_changed: Arc<Notify>,
}

impl Handler {
    /// Sends `token`'s progress to `sink` until the returned guard drops.
    pub fn watch_progress(&self, token: ProgressToken, sink: ProgressSink) -> ProgressGuard {
        if let Ok(mut routes) = self.progress.lock() {
            routes.insert(token.clone(), sink);
        }
        ProgressGuard {
            routes: Arc::clone(&self.progress),
            token,
        }
    }
}

/// Stops routing a call's progress when the call ends.
pub struct ProgressGuard {
    routes: Arc<Mutex<HashMap<ProgressToken, ProgressSink>>>,
    token: ProgressToken,
}

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.remove(&self.token);
        }
    }
}

impl ClientHandler for Handler {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let sink = self
            .progress
            .lock()
            .ok()
            .and_then(|routes| routes.get(&params.progress_token).cloned());
        let Some(sink) = sink else { return };
        let message = params.message.map(|m| {
            let line = crate::sanitize::sanitize_line(&m);
            line.chars().take(PROGRESS_MESSAGE_CHARS).collect()
        });
        sink(ToolProgress {
            progress: params.progress,
            total: params.total,
            message,
        });
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.lists_changed.notify_one();
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.lists_changed.notify_one();
    }

    fn get_info(&self) -> ClientConfig {
        // 2025-11-25 is the newest version with `initialize`, which servers in the field
        // speak, and under which list changes arrive as plain notifications.
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("chatterm", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }
}
