//! The loop's side of MCP servers: the library's status changes and rendered prompts as
//! events of the loop, and the app's MCP effects (restart, render a prompt) carried out.
//!
//! The model: the servers start in the background ([`McpManager::start`], in `main.rs`),
//! so the first frame shows them as they stand then (starting) and every later change
//! arrives here: the manager's `watch` channel moves on any change of any server, and the
//! loop reads every status afresh ([`McpManager::servers`]) and hands them to the app
//! whole. A burst of changes between two turns of the loop is read once. Rendering a
//! prompt asks the server, so it runs on a task of its own and comes back as an event;
//! nothing here ever makes the loop wait for a server.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::mcp::McpManager;

use crate::tui::app::App;
use crate::tui::render::cells::NoticeKind;

/// What the MCP side has for the loop.
#[derive(Debug)]
pub enum McpEvent {
    /// Some server's status changed: read them all again.
    Changed,
    /// A prompt the app asked for, rendered (or why not).
    Prompt(Result<String, String>),
}

/// The manager, its change feed and the prompts in flight. See the module docs.
pub struct McpLink {
    manager: McpManager,
    changes: watch::Receiver<u64>,
    /// False once the change feed closed (the manager went away): its branch goes quiet.
    live: bool,
    prompts_tx: mpsc::UnboundedSender<Result<String, String>>,
    prompts_rx: mpsc::UnboundedReceiver<Result<String, String>>,
}

impl McpLink {
    pub fn new(manager: McpManager) -> McpLink {
        let changes = manager.subscribe();
        let (prompts_tx, prompts_rx) = mpsc::unbounded_channel();
        McpLink {
            manager,
            changes,
            live: true,
            prompts_tx,
            prompts_rx,
        }
    }

    /// The servers as they stand now, for the app (at start and after each change).
    pub fn show(&mut self, app: &mut App) {
        // Marked seen first: a change racing this read is then reported again.
        self.changes.borrow_and_update();
        app.set_mcp_servers(self.manager.servers());
    }

    /// The next event: a status change or a rendered prompt. Pending forever when there
    /// is neither (a closed change feed included), so the loop's other branches run.
    pub async fn next(&mut self) -> McpEvent {
        loop {
            tokio::select! {
                changed = self.changes.changed(), if self.live => match changed {
                    Ok(()) => return McpEvent::Changed,
                    Err(_) => self.live = false,
                },
                // Never `None`: the sender is ours.
                Some(result) = self.prompts_rx.recv() => return McpEvent::Prompt(result),
            }
        }
    }

    /// Applies an event to the app.
    pub fn apply(&mut self, app: &mut App, event: McpEvent) {
        match event {
            McpEvent::Changed => self.show(app),
            McpEvent::Prompt(result) => app.mcp_prompt_rendered(result, Instant::now()),
        }
    }

    /// `/mcp restart NAME`: in the background; its states arrive as changes.
    pub fn restart(&self, app: &mut App, name: &str) {
        if let Err(e) = self.manager.restart(name) {
            app.notice(NoticeKind::Error, e.to_string());
        }
    }

    /// Asks the server for a prompt on a task of its own; the text comes back as an event.
    pub fn render_prompt(&self, server: String, prompt: String, arguments: Vec<(String, String)>) {
        let manager = self.manager.clone();
        let done = self.prompts_tx.clone();
        let arguments: BTreeMap<String, String> = arguments.into_iter().collect();
        tokio::spawn(async move {
            let result = manager.get_prompt(&server, &prompt, arguments).await;
            let _ = done.send(result.map_err(|e| e.to_string()));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::test_support::{app, screen};

    #[tokio::test]
    async fn a_prompt_comes_back_as_an_event_and_a_bad_restart_as_a_notice() {
        let mut app = app();
        let mut link = McpLink::new(McpManager::none());
        link.show(&mut app);
        link.render_prompt(
            "nope".into(),
            "greet".into(),
            vec![("name".into(), "Ada".into())],
        );
        let event = link.next().await;
        let McpEvent::Prompt(Err(error)) = &event else {
            panic!("{event:?}");
        };
        assert_eq!(error, "no MCP server is named \"nope\"");
        link.apply(&mut app, event);
        assert!(screen(&mut app, 100, 26).contains("prompt failed: no MCP server"));
        link.restart(&mut app, "nope");
        assert!(screen(&mut app, 100, 26).contains("✗ no MCP server is named \"nope\""));
    }
}
