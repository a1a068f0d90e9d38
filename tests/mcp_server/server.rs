//! The MCP server chatterm's integration tests run, written with rmcp's server side.
//!
//! `mcp_test_server [--http] [--slow-start SECS] [--crash-after-list]`: stdio by default;
//! with `--http` it serves streamable HTTP on a free loopback port and prints
//! `listening http://127.0.0.1:PORT/mcp` on stdout. Its tools:
//! - `echo` {text}: the text back; read-only;
//! - `fail` {}: an error result (`isError`);
//! - `progress` {steps}: one progress notification per step, then "done";
//! - `sleep` {secs}: sleeps (to run past a timeout, or be cancelled), then "slept";
//! - `image` {}: a 1x1 PNG and a caption, with `structuredContent`;
//! - `change_list` {}: adds the tool `late` and sends `tools/list_changed`;
//! - `crash` {}: the process exits at once (a server that dies mid-call);
//! - `wipe` {}: marked destructive, does nothing;
//! - `getenv` {name}: `NAME=value`, or `NAME=(unset)` (what a server inherits);
//! - `late` {} (only after `change_list`): "late tool".
//!
//! Prompt `greet` {name (required)}: "Say hello to NAME.". It writes a line to stderr when
//! it starts, so a failure's stderr tail has something to show. A cancelled call is noted
//! on stderr as `cancelled: ID`.

// A test fixture: a broken fixture should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, ListPromptsResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, Prompt, PromptMessage, Role, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

/// A 1x1 transparent PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

#[derive(Clone, Default)]
struct TestServer {
    late: Arc<AtomicBool>,
}

fn tool(value: Value) -> Tool {
    serde_json::from_value(value).expect("a valid tool")
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

impl TestServer {
    fn tools(&self) -> Vec<Tool> {
        let none = object(json!({}), &[]);
        let mut tools = vec![
            tool(json!({"name": "echo", "description": "Echo the text back.",
                "inputSchema": object(json!({"text": {"type": "string"}}), &["text"]),
                "annotations": {"readOnlyHint": true}})),
            tool(json!({"name": "fail", "description": "Always fails.", "inputSchema": none})),
            tool(
                json!({"name": "progress", "description": "Reports progress.",
                "inputSchema": object(json!({"steps": {"type": "integer", "minimum": 1, "maximum": 20}}), &["steps"])}),
            ),
            tool(json!({"name": "sleep", "description": "Sleeps.",
                "inputSchema": object(json!({"secs": {"type": "number", "minimum": 0}}), &["secs"])})),
            tool(json!({"name": "image", "description": "Returns an image.", "inputSchema": none})),
            tool(
                json!({"name": "change_list", "description": "Adds a tool.", "inputSchema": none}),
            ),
            tool(json!({"name": "crash", "description": "Exits at once.", "inputSchema": none})),
            tool(
                json!({"name": "wipe", "description": "Destructive (does nothing).",
                "inputSchema": none, "annotations": {"destructiveHint": true}}),
            ),
            tool(
                json!({"name": "getenv", "description": "An environment variable's value.",
                "inputSchema": object(json!({"name": {"type": "string"}}), &["name"])}),
            ),
        ];
        if self.late.load(Ordering::SeqCst) {
            tools.push(tool(
                json!({"name": "late", "description": "Arrived late.", "inputSchema": none}),
            ));
        }
        tools
    }

    async fn run(
        &self,
        name: &str,
        args: &serde_json::Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        match name {
            "echo" => CallToolResult::success(vec![ContentBlock::text(
                args.get("text").and_then(Value::as_str).unwrap_or_default(),
            )]),
            "fail" => CallToolResult::error(vec![ContentBlock::text("this tool always fails")]),
            "progress" => {
                let steps = args.get("steps").and_then(Value::as_u64).unwrap_or(1);
                if let Some(token) = ctx.meta.get_progress_token() {
                    for step in 1..=steps {
                        let param = ProgressNotificationParam::new(token.clone(), step as f64)
                            .with_total(steps as f64)
                            .with_message(format!("step {step}"));
                        let _ = ctx.peer.notify_progress(param).await;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                CallToolResult::success(vec![ContentBlock::text("done")])
            }
            "sleep" => {
                let secs = args.get("secs").and_then(Value::as_f64).unwrap_or(0.0);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs_f64(secs)) => {}
                    () = ctx.ct.cancelled() => eprintln!("cancelled: {:?}", ctx.id),
                }
                CallToolResult::success(vec![ContentBlock::text("slept")])
            }
            "image" => {
                let mut result = CallToolResult::success(vec![
                    ContentBlock::text("a dot"),
                    ContentBlock::image(PNG, "image/png"),
                ]);
                result.structured_content = Some(json!({"width": 1, "height": 1}));
                result
            }
            "change_list" => {
                self.late.store(true, Ordering::SeqCst);
                let _ = ctx.peer.notify_tool_list_changed().await;
                CallToolResult::success(vec![ContentBlock::text("added late")])
            }
            "crash" => std::process::exit(3),
            "getenv" => {
                let name = args.get("name").and_then(Value::as_str).unwrap_or_default();
                let value = std::env::var(name).unwrap_or_else(|_| "(unset)".into());
                CallToolResult::success(vec![ContentBlock::text(format!("{name}={value}"))])
            }
            "wipe" => CallToolResult::success(vec![ContentBlock::text("wiped nothing")]),
            "late" if self.late.load(Ordering::SeqCst) => {
                CallToolResult::success(vec![ContentBlock::text("late tool")])
            }
            other => CallToolResult::error(vec![ContentBlock::text(format!("no tool {other}"))]),
        }
    }
}

impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .enable_prompts()
                .build(),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        Ok(self.run(&request.name, &args, &context).await.into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let greet: Prompt = serde_json::from_value(json!({"name": "greet",
            "description": "Greets someone.",
            "arguments": [{"name": "name", "description": "Who", "required": true}]}))
        .expect("a valid prompt");
        Ok(ListPromptsResult::with_all_items(vec![greet]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let name = request
            .arguments
            .and_then(|a| a.get("name").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| ErrorData::invalid_params("name is required", None))?;
        let message = PromptMessage::new_text(Role::User, format!("Say hello to {name}."));
        Ok(GetPromptResult::new(vec![message]).into())
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("mcp_test_server starting");
    if let Some(i) = args.iter().position(|a| a == "--slow-start") {
        let secs: f64 = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(1.0);
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    }
    if args.iter().any(|a| a == "--fail-start") {
        eprintln!("mcp_test_server: refusing to start (--fail-start)");
        std::process::exit(2);
    }
    if args.iter().any(|a| a == "--http") {
        serve_http().await;
        return;
    }
    let transport = (tokio::io::stdin(), tokio::io::stdout());
    match TestServer::default().serve(transport).await {
        Ok(service) => {
            let _ = service.waiting().await;
        }
        Err(e) => eprintln!("mcp_test_server: {e}"),
    }
}

async fn serve_http() {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };
    let service = StreamableHttpService::new(
        || Ok(TestServer::default()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    println!("listening http://{addr}/mcp");
    let _ = axum::serve(listener, router).await;
}
