//! Server tools: web search and web fetch, which the API runs itself.
//!
//! The model: a request offers a server tool by a *typed* definition
//! (`{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}`), not a schema.
//! When the model uses one, the answer holds a `server_tool_use` block (its input streams
//! like a client tool's) followed by a result block delivered whole
//! (`web_search_tool_result`, `web_fetch_tool_result`): a list of sources or an error code.
//! Nothing runs locally and no `tool_result` answers it; both blocks go back to the API
//! verbatim in the next request, like every assistant block. The answer's text then cites
//! the sources (see [`crate::stream::citations`]).
//!
//! This module builds the definitions from [`ServerTools`] and reads the blocks and the
//! usage counts into plain values for the front ends. Titles, URLs and error codes are
//! untrusted text: the front ends pass them through [`crate::sanitize`] before output.

use serde_json::{Map, Value, json};

use super::wire::{ContentBlock, ToolDefinition, Usage};

/// The web search tool's type (reference §1.4, §12).
pub const WEB_SEARCH_TYPE: &str = "web_search_20250305";
/// The web fetch tool's type (the official SDK's `WebFetchTool20250910Param`, GA).
pub const WEB_FETCH_TYPE: &str = "web_fetch_20250910";

/// Which server tools a request offers and their limits (`tools.server`, `[tools.web]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerTools {
    pub web_search: bool,
    pub web_fetch: bool,
    /// Most uses of each tool in one request; the API's default when `None`.
    pub max_uses: Option<u32>,
    /// Only these domains (the API takes allowed or blocked, not both; config checks).
    pub allowed_domains: Vec<String>,
    pub blocked_domains: Vec<String>,
}

impl ServerTools {
    /// Whether any server tool is offered.
    pub fn any(&self) -> bool {
        self.web_search || self.web_fetch
    }

    /// These tools with search and fetch both on or both off (`/search on|off`).
    pub fn switched(&self, on: bool) -> ServerTools {
        ServerTools {
            web_search: on,
            web_fetch: on,
            ..self.clone()
        }
    }

    /// The typed definitions a request carries, search before fetch (a stable order keeps
    /// the prompt cache warm).
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        let mut out = Vec::new();
        if self.web_search {
            out.push(self.definition(WEB_SEARCH_TYPE, "web_search"));
        }
        if self.web_fetch {
            out.push(self.definition(WEB_FETCH_TYPE, "web_fetch"));
        }
        out
    }

    fn definition(&self, kind: &str, name: &str) -> ToolDefinition {
        let mut extra = Map::new();
        extra.insert("type".into(), json!(kind));
        if let Some(n) = self.max_uses {
            extra.insert("max_uses".into(), json!(n));
        }
        if !self.allowed_domains.is_empty() {
            extra.insert("allowed_domains".into(), json!(self.allowed_domains));
        } else if !self.blocked_domains.is_empty() {
            extra.insert("blocked_domains".into(), json!(self.blocked_domains));
        }
        ToolDefinition {
            name: name.into(),
            description: None,
            input_schema: Value::Null,
            cache_control: None,
            eager_input_streaming: None,
            strict: None,
            extra,
        }
    }
}

/// Whether a tool definition is a server tool (typed, no schema).
pub fn is_server_definition(tool: &ToolDefinition) -> bool {
    tool.input_schema.is_null() && tool.extra.contains_key("type")
}

/// A `server_tool_use` block: the model's call of a server tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerCall {
    pub id: String,
    pub name: String,
    pub input: Value,
}

/// The server tool call `block` is, if it is one.
pub fn server_call(block: &ContentBlock) -> Option<ServerCall> {
    let ContentBlock::Other(v) = block else {
        return None;
    };
    if v.get("type")?.as_str()? != "server_tool_use" {
        return None;
    }
    Some(ServerCall {
        id: v.get("id")?.as_str()?.to_owned(),
        name: v.get("name")?.as_str()?.to_owned(),
        input: v.get("input").cloned().unwrap_or(Value::Null),
    })
}

/// One source a server tool found or fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub title: String,
    pub url: String,
    /// How old the page is, as the API words it ("2 days ago"); search results only.
    pub page_age: Option<String>,
}

impl Source {
    /// The URL's host, without `www.`; empty when the URL has none.
    pub fn domain(&self) -> &str {
        domain_of(&self.url)
    }
}

/// The host of `url` without a leading `www.`.
pub fn domain_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.strip_prefix("www.").unwrap_or(host)
}

/// What a server tool gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutcome {
    Sources(Vec<Source>),
    /// The API's error code (`max_uses_exceeded`, `too_many_requests`, `url_not_accessible`, ...).
    Error(String),
}

/// A server tool's result block, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerResult {
    /// The `server_tool_use` block it answers.
    pub tool_use_id: String,
    pub outcome: ServerOutcome,
}

/// The server tool result `block` is, if it is one (web search or web fetch).
pub fn server_result(block: &ContentBlock) -> Option<ServerResult> {
    let ContentBlock::Other(v) = block else {
        return None;
    };
    let kind = v.get("type")?.as_str()?;
    if kind != "web_search_tool_result" && kind != "web_fetch_tool_result" {
        return None;
    }
    let tool_use_id = v.get("tool_use_id")?.as_str()?.to_owned();
    let content = v.get("content")?;
    let outcome = match content {
        Value::Array(items) => ServerOutcome::Sources(items.iter().filter_map(source).collect()),
        Value::Object(o) if o.contains_key("error_code") => ServerOutcome::Error(
            o.get("error_code")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
        ),
        // A fetch result: one document.
        Value::Object(_) => ServerOutcome::Sources(source(content).into_iter().collect()),
        _ => return None,
    };
    Some(ServerResult {
        tool_use_id,
        outcome,
    })
}

fn source(item: &Value) -> Option<Source> {
    let url = item.get("url")?.as_str()?.to_owned();
    let title = item
        .get("title")
        .or_else(|| item.pointer("/content/title"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let page_age = item
        .get("page_age")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Source {
        title,
        url,
        page_age,
    })
}

/// How many server tool uses a response's usage reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerToolCounts {
    pub web_search_requests: u64,
    pub web_fetch_requests: u64,
}

/// The counts in `usage.server_tool_use`; zero when absent.
pub fn counts(usage: &Usage) -> ServerToolCounts {
    let get = |key: &str| {
        usage
            .server_tool_use
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    ServerToolCounts {
        web_search_requests: get("web_search_requests"),
        web_fetch_requests: get("web_fetch_requests"),
    }
}

/// The status a running server tool shows: "searching", "fetching", or the tool's name.
pub fn activity(name: &str) -> &'static str {
    match name {
        "web_search" => "searching",
        "web_fetch" => "fetching",
        _ => "running on the server",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_typed_and_carry_the_limits() {
        let tools = ServerTools {
            web_search: true,
            web_fetch: true,
            max_uses: Some(3),
            allowed_domains: vec!["example.com".into()],
            blocked_domains: vec![],
        };
        let v = serde_json::to_value(tools.definitions()).unwrap();
        assert_eq!(
            v,
            json!([
                {"name": "web_search", "type": "web_search_20250305", "max_uses": 3,
                 "allowed_domains": ["example.com"]},
                {"name": "web_fetch", "type": "web_fetch_20250910", "max_uses": 3,
                 "allowed_domains": ["example.com"]}
            ])
        );
        assert!(tools.definitions().iter().all(is_server_definition));
        assert!(ServerTools::default().definitions().is_empty());
        assert!(!tools.switched(false).any());
    }

    #[test]
    fn a_search_result_lists_its_sources_and_an_error_its_code() {
        let block: ContentBlock = serde_json::from_value(json!({
            "type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
            "content": [{"type": "web_search_result", "url": "https://www.example.com/a",
                         "title": "A", "encrypted_content": "x", "page_age": "2 days ago"}]
        }))
        .unwrap();
        let r = server_result(&block).unwrap();
        assert_eq!(r.tool_use_id, "srvtoolu_1");
        let ServerOutcome::Sources(s) = r.outcome else {
            panic!("sources expected")
        };
        assert_eq!(s[0].domain(), "example.com");
        assert_eq!(s[0].page_age.as_deref(), Some("2 days ago"));
        let error: ContentBlock = serde_json::from_value(json!({
            "type": "web_search_tool_result", "tool_use_id": "srvtoolu_2",
            "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}
        }))
        .unwrap();
        assert_eq!(
            server_result(&error).unwrap().outcome,
            ServerOutcome::Error("max_uses_exceeded".into())
        );
    }

    #[test]
    fn a_fetch_result_is_one_document_source() {
        let block: ContentBlock = serde_json::from_value(json!({
            "type": "web_fetch_tool_result", "tool_use_id": "srvtoolu_3",
            "content": {"type": "web_fetch_result", "url": "https://docs.example.org/p",
                        "content": {"type": "document", "title": "Doc",
                                    "source": {"type": "text", "media_type": "text/plain", "data": "d"}}}
        }))
        .unwrap();
        let r = server_result(&block).unwrap();
        assert_eq!(
            r.outcome,
            ServerOutcome::Sources(vec![Source {
                title: "Doc".into(),
                url: "https://docs.example.org/p".into(),
                page_age: None
            }])
        );
    }

    #[test]
    fn calls_and_counts_are_read_from_the_wire_shapes() {
        let block: ContentBlock = serde_json::from_value(json!({
            "type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
            "input": {"query": "q"}
        }))
        .unwrap();
        assert_eq!(server_call(&block).unwrap().name, "web_search");
        assert!(server_call(&ContentBlock::text("x")).is_none());
        let usage: Usage = serde_json::from_value(json!({
            "input_tokens": 1, "output_tokens": 1,
            "server_tool_use": {"web_search_requests": 2}
        }))
        .unwrap();
        assert_eq!(counts(&usage).web_search_requests, 2);
        assert_eq!(counts(&Usage::default()), ServerToolCounts::default());
        assert_eq!(domain_of("https://user@www.a.b:80/x?y"), "a.b:80");
    }
}
