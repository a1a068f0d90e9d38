//! The registry: every tool the model may call, by unique name, behind [`ToolExecutor`].
//!
//! Built from config with [`Registry::from_config`] (the built-ins, confined to
//! `tools.root` or the current directory, then the `[[tools.command]]` entries), or piece
//! by piece with [`RegistryBuilder`]. Building is where the invariants are established:
//! names are unique (a command tool named like a built-in is refused, naming it) and every
//! input schema compiles, once, so validating an input is cheap and cannot fail for a
//! reason the model did not cause.
//!
//! Every call is validated again in [`ToolExecutor::run`] before it runs: cheap, and it
//! means a caller that skipped [`ToolExecutor::validate`] still cannot hand a tool an
//! input its schema refuses. An unknown name is an [`InvalidInput`] listing the tools that
//! do exist.
//!
//! Whether tools are offered at all (`tools.enabled`, `--no-tools`) is the engine's call;
//! the registry is the same either way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::command::CommandTool;
use super::guard::Guard;
use super::schema::Schema;
use super::settings::{CommandToolConfig, ToolsConfig};
use super::workspace::Workspace;
use super::{InvalidInput, ToolExecutor, ToolFuture, ToolOutput, ToolSpec, builtin};
use crate::api::ToolDefinition;

/// One runnable tool. Implemented by the built-ins and command tools; public so the
/// engine's tests (or an embedding program) can register their own.
pub trait Tool: Send + Sync {
    fn spec(&self) -> &ToolSpec;

    /// Runs an input already validated against the spec's schema. Every failure is an
    /// error [`ToolOutput`]; the future must end promptly once `cancel` fires.
    fn run(&self, input: Value, cancel: CancellationToken) -> ToolFuture;

    /// What running it with `input` would change ([`ToolExecutor::approval_preview`]).
    fn approval_preview(&self, input: &Value) -> Option<crate::tools::preview::ApprovalPreview> {
        let _ = input;
        None
    }
}

/// Why a registry could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// `tools.root` (or the current directory) is not a usable directory.
    #[error("tools.root {}: {source}", path.display())]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Two tools share a name.
    #[error("{}", duplicate_message(name, *builtin))]
    Duplicate {
        name: String,
        /// The first tool of that name is a built-in.
        builtin: bool,
    },
    /// A tool's input schema does not compile.
    #[error("tool {name:?}: {message}")]
    Schema { name: String, message: String },
}

fn duplicate_message(name: &str, builtin: bool) -> String {
    if builtin {
        format!(
            "tool {name:?} clashes with the built-in tool of that name; rename the [[tools.command]] entry"
        )
    } else {
        format!("tool {name:?} is defined twice; tool names must be unique")
    }
}

/// Collects tools; [`build`](RegistryBuilder::build) checks them.
#[derive(Default)]
pub struct RegistryBuilder {
    tools: Vec<Arc<dyn Tool>>,
    root: Option<PathBuf>,
    env_passthrough: Vec<String>,
}

impl RegistryBuilder {
    pub fn new() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// Adds the built-in tools, confined to `workspace`; command tools added afterwards run
    /// in its root and with its environment passthrough.
    pub fn builtins(mut self, workspace: Workspace) -> RegistryBuilder {
        self.root = Some(workspace.root().to_path_buf());
        self.env_passthrough = workspace.env_passthrough().to_vec();
        self.tools.extend(builtin::all(workspace));
        self
    }

    /// Adds a command tool, run in the workspace root (or the current directory when no
    /// built-ins were added).
    pub fn command(mut self, config: CommandToolConfig) -> RegistryBuilder {
        let cwd = self.root.clone().unwrap_or_else(|| PathBuf::from("."));
        let tool = CommandTool::new(config, cwd).with_env_passthrough(self.env_passthrough.clone());
        self.tools.push(Arc::new(tool));
        self
    }

    pub fn tool(mut self, tool: Arc<dyn Tool>) -> RegistryBuilder {
        self.tools.push(tool);
        self
    }

    pub fn build(self) -> Result<Registry, RegistryError> {
        let mut index = HashMap::with_capacity(self.tools.len());
        let mut schemas = Vec::with_capacity(self.tools.len());
        let mut specs = Vec::with_capacity(self.tools.len());
        for (i, tool) in self.tools.iter().enumerate() {
            let spec = tool.spec();
            if let Some(&first) = index.get(&spec.name) {
                let first: &ToolSpec = &specs[first];
                let builtin = builtin::NAMES.contains(&first.name.as_str());
                return Err(RegistryError::Duplicate {
                    name: spec.name.clone(),
                    builtin,
                });
            }
            let schema =
                Schema::compile(&spec.input_schema).map_err(|message| RegistryError::Schema {
                    name: spec.name.clone(),
                    message,
                })?;
            index.insert(spec.name.clone(), i);
            schemas.push(schema);
            specs.push(spec.clone());
        }
        Ok(Registry {
            specs,
            schemas,
            tools: self.tools,
            index,
            root: self.root,
        })
    }
}

/// The tools of one session. See the module docs.
pub struct Registry {
    specs: Vec<ToolSpec>,
    schemas: Vec<Schema>,
    tools: Vec<Arc<dyn Tool>>,
    index: HashMap<String, usize>,
    root: Option<PathBuf>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
        f.debug_struct("Registry")
            .field("tools", &names)
            .field("root", &self.root)
            .finish()
    }
}

impl Registry {
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::new()
    }

    /// No tools at all.
    pub fn empty() -> Registry {
        Registry {
            specs: Vec::new(),
            schemas: Vec::new(),
            tools: Vec::new(),
            index: HashMap::new(),
            root: None,
        }
    }

    /// The built-ins (confined to `tools.root`, else the current directory, and kept out of
    /// the user's secret directories unless `tools.allow_secret_dirs`) and the configured
    /// command tools.
    pub fn from_config(config: &ToolsConfig) -> Result<Registry, RegistryError> {
        Registry::from_config_with(config, Vec::new())
    }

    /// [`from_config`](Registry::from_config) plus `extra` command tools after the
    /// configured ones (the demo adds the order example this way).
    pub fn from_config_with(
        config: &ToolsConfig,
        extra: Vec<CommandToolConfig>,
    ) -> Result<Registry, RegistryError> {
        let root = match &config.root {
            Some(root) => root.clone(),
            None => std::env::current_dir().map_err(|source| RegistryError::Root {
                path: PathBuf::from("."),
                source,
            })?,
        };
        let guard = if config.allow_secret_dirs {
            Guard::none()
        } else {
            Guard::for_this_user()
        };
        let workspace = Workspace::new(&root)
            .map_err(|source| RegistryError::Root {
                path: root.clone(),
                source,
            })?
            .with_guard(guard)
            .with_env_passthrough(config.env_passthrough.clone());
        let mut builder = RegistryBuilder::new().builtins(workspace);
        for command in config.commands.iter().cloned().chain(extra) {
            builder = builder.command(command);
        }
        builder.build()
    }

    /// The canonical workspace root, when the built-ins are in.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The tools as the API's `tools` array, in offer order, without cache markers (the
    /// request builder places those).
    pub fn definitions(&self, eager_input_streaming: bool) -> Vec<ToolDefinition> {
        self.specs
            .iter()
            .map(|spec| ToolDefinition {
                name: spec.name.clone(),
                description: Some(spec.description.clone()),
                input_schema: spec.input_schema.clone(),
                cache_control: None,
                eager_input_streaming: eager_input_streaming.then_some(true),
                strict: None,
                extra: Map::new(),
            })
            .collect()
    }

    fn unknown(&self, name: &str) -> InvalidInput {
        let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
        let available = if names.is_empty() {
            "no tools are available".to_owned()
        } else {
            format!("the available tools are: {}", names.join(", "))
        };
        InvalidInput {
            pointer: String::new(),
            message: format!("unknown tool {name:?}; {available}"),
        }
    }
}

impl ToolExecutor for Registry {
    fn specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    fn validate(&self, name: &str, input: &Value) -> Result<(), InvalidInput> {
        match self.index.get(name) {
            Some(&i) => self.schemas[i].validate(input),
            None => Err(self.unknown(name)),
        }
    }

    fn run(&self, name: &str, input: Value, cancel: CancellationToken) -> ToolFuture {
        let Some(&i) = self.index.get(name) else {
            let message = self.unknown(name).message;
            return Box::pin(std::future::ready(ToolOutput::error(message)));
        };
        if let Err(invalid) = self.schemas[i].validate(&input) {
            let message = format!("invalid input: {invalid}");
            return Box::pin(std::future::ready(ToolOutput::error(message)));
        }
        self.tools[i].run(input, cancel)
    }

    fn spec(&self, name: &str) -> Option<&ToolSpec> {
        self.index.get(name).map(|&i| &self.specs[i])
    }

    fn approval_preview(
        &self,
        name: &str,
        input: &Value,
    ) -> Option<crate::tools::preview::ApprovalPreview> {
        let &i = self.index.get(name)?;
        self.tools[i].approval_preview(input)
    }
}

#[cfg(test)]
mod tests;
