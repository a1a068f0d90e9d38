//! What the front ends need from config to attach: the workspace mentions are confined to
//! and the project instructions in force.

use std::path::PathBuf;

use super::ProjectInstructions;
use crate::config::Config;
use crate::tools::ToolsConfig;
use crate::tools::guard::Guard;
use crate::tools::workspace::Workspace;

/// The workspace `@` mentions obey: the tools' root (`tools.root`, else the current
/// directory) with the same secret-directory guard, whether or not the tools are on.
/// `None` when the root cannot be opened (then mentions stay text).
pub fn workspace_for(tools: &ToolsConfig) -> Option<Workspace> {
    let root = match &tools.root {
        Some(root) => root.clone(),
        None => std::env::current_dir().ok()?,
    };
    let guard = if tools.allow_secret_dirs {
        Guard::none()
    } else {
        Guard::for_this_user()
    };
    Some(Workspace::new(&root).ok()?.with_guard(guard))
}

/// The project instructions for this config: none when `chat.project_instructions` is
/// off or there is no workspace root.
pub fn project_instructions(config: &Config) -> ProjectInstructions {
    if !config.chat.project_instructions {
        return ProjectInstructions::default();
    }
    let root: Option<PathBuf> = workspace_for(&config.tools).map(|ws| ws.root().to_path_buf());
    root.map(|r| ProjectInstructions::find(&r))
        .unwrap_or_default()
}
