//! The order-management example's command tools, read from the same `[[tools.command]]`
//! snippet users paste into their config (`assets/tools/orders.toml`), so the demo and the
//! documented config cannot drift apart. It lives in `config` because it parses config:
//! the tools module stays free of any dependency on this one.

use std::path::Path;

use super::{CommandToolConfig, ConfigError, parse_str};
use crate::tools::examples::orders::CONFIG_TOML;

/// The two command tools of `assets/tools/orders.toml`, running `exe` (normally the chatterm
/// binary itself) instead of the `chatterm` the snippet names.
pub fn command_tools(exe: &Path) -> Result<Vec<CommandToolConfig>, ConfigError> {
    let loaded = parse_str(CONFIG_TOML, Path::new("assets/tools/orders.toml"))?;
    Ok(loaded
        .config
        .tools
        .commands
        .into_iter()
        .map(|tool| CommandToolConfig {
            command: exe.to_path_buf(),
            ..tool
        })
        .collect())
}

/// [`command_tools`] for the running executable: what `chatterm --demo` adds.
pub fn demo_command_tools() -> std::io::Result<Vec<CommandToolConfig>> {
    let exe = std::env::current_exe()?;
    command_tools(&exe).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::ToolsConfig;
    use crate::tools::examples::orders::TOOL_NAMES;
    use crate::tools::schema::Schema;
    use crate::tools::{Approval, Registry, ToolExecutor, builtin};

    #[test]
    fn the_config_snippet_gives_both_tools_pointing_at_the_executable() {
        let exe = Path::new("/opt/chatterm/bin/chatterm");
        let tools = command_tools(exe).unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, TOOL_NAMES);
        for tool in &tools {
            assert_eq!(tool.command, exe);
            assert_eq!(tool.args, ["tool-example", "orders", tool.name.as_str()]);
            assert_eq!(tool.approval, Approval::Never);
            assert!(
                tool.description
                    .starts_with(if tool.name == "lookup_order" {
                        "Look up one order"
                    } else {
                        "Search orders"
                    })
            );
        }
        // The schemas accept what the functions accept, and refuse what they refuse.
        let lookup = Schema::compile(&tools[0].input_schema).unwrap();
        assert!(
            lookup
                .validate(&json!({"order_id": "ORD-2024-1001"}))
                .is_ok()
        );
        assert_eq!(lookup.validate(&json!({})).unwrap_err().pointer, "");
        assert_eq!(
            lookup
                .validate(&json!({"order_id": "1001"}))
                .unwrap_err()
                .pointer,
            "/order_id"
        );
        let search = Schema::compile(&tools[1].input_schema).unwrap();
        assert!(search.validate(&json!({})).is_ok());
        assert!(
            search
                .validate(
                    &json!({"email": "a@b.com", "status": "shipped", "date_from": "2025-01-01"})
                )
                .is_ok()
        );
        let err = search.validate(&json!({"status": "lost"})).unwrap_err();
        assert_eq!(err.pointer, "/status");
        let err = search.validate(&json!({"date_to": "March 1"})).unwrap_err();
        assert_eq!(err.pointer, "/date_to");
    }

    #[test]
    fn the_demo_tools_join_the_builtins() {
        let dir = tempfile::tempdir().unwrap();
        let extra = command_tools(Path::new("/bin/chatterm")).unwrap();
        let registry = Registry::from_config_with(
            &ToolsConfig {
                root: Some(dir.path().to_path_buf()),
                ..ToolsConfig::default()
            },
            extra,
        )
        .unwrap();
        assert_eq!(registry.specs().len(), builtin::NAMES.len() + 2);
        assert_eq!(
            registry.spec("lookup_order").map(|s| s.approval),
            Some(Approval::Never)
        );
        let err = registry
            .validate("search_orders", &json!({"status": "lost"}))
            .unwrap_err();
        assert_eq!(err.pointer, "/status");
    }
}
