//! The simulated assistant's tool use: which calls a message asks for, and the prose answer
//! once their results come back.
//!
//! Calls are chosen from keywords of the last user message, and only among the tools the
//! request offers (none when `tool_choice` is `none`), so a run without tools answers as
//! before:
//!
//! - "order" with an order id (`ORD-2024-1234`, or any word with a digit) → `lookup_order`;
//!   "order" without one → `search_orders` with the e-mail address, status and dates found
//!   in the message;
//! - "what time" / "time is it" / "current time" → `current_time`;
//! - "list files" / "list the files" / "what files" / "list directory" → `list_directory`;
//! - "read" followed by a file name → `read_file`;
//! - "write" / "create" / "save" with a file name → `write_file` (the text in quotes, or a
//!   line saying who wrote it), a tool that asks for approval;
//! - "run" with a command in backticks (`` run `ls -la` ``) → `run_command`, which asks too.
//!
//! - any other offered tool the message names (MCP tools by their short name too), with
//!   an input made from its schema (`named_tools.rs`).
//!
//! Several matches make parallel calls in one answer. Inputs use the property names of the
//! offered schema where it names them (`date_from` or `from`), and stream as small
//! `input_json_delta` chunks, paced so the panel can be watched filling in.
//!
//! When the last user message holds tool results (and no text), [`follow_up`] answers by
//! summarising each result: the fields of a JSON object, the items of a JSON array, the
//! first lines of text, or the error the tool reported.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::api::StopReason;

use super::script::{Step, estimate_tokens, split_words};
use super::support::{content_text, is_iso_date};

/// One call the assistant makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub input: Value,
}

/// The tools a request offers, by name, with their input schemas.
pub fn offered(body: &Value) -> BTreeMap<String, Value> {
    let none = body.pointer("/tool_choice/type").and_then(Value::as_str) == Some("none");
    if none {
        return BTreeMap::new();
    }
    body.get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?.to_owned();
            let schema = t.get("input_schema").cloned().unwrap_or(json!({}));
            Some((name, schema))
        })
        .collect()
}

/// The calls `text` asks for, among the offered tools.
pub fn calls_for(text: &str, offered: &BTreeMap<String, Value>) -> Vec<Call> {
    let lower = text.to_lowercase();
    let words = words(text);
    let mut calls = Vec::new();
    let mut add = |name: &str, input: Value| {
        if offered.contains_key(name) {
            calls.push(Call {
                name: name.to_owned(),
                input,
            });
        }
    };
    if lower.contains("order") {
        match order_id(&words) {
            Some(id) if offered.contains_key("lookup_order") => {
                let key = property(offered.get("lookup_order"), &["order_id", "id"]);
                add("lookup_order", json!({ key: id }));
            }
            _ => add(
                "search_orders",
                search_input(&lower, &words, offered.get("search_orders")),
            ),
        }
    }
    if ["what time", "time is it", "current time"]
        .iter()
        .any(|k| lower.contains(k))
    {
        add("current_time", json!({}));
    }
    if [
        "list files",
        "list the files",
        "what files",
        "list directory",
        "list the directory",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        let key = property(offered.get("list_directory"), &["path"]);
        add("list_directory", json!({ key: "." }));
    }
    if let Some(path) = file_to_read(&words) {
        let key = property(offered.get("read_file"), &["path"]);
        add("read_file", json!({ key: path }));
    }
    if let Some(path) = file_to_write(&words) {
        let content = quoted(text).unwrap_or_else(|| "Written by chatterm's demo.\n".into());
        add("write_file", json!({ "path": path, "content": content }));
    }
    if let Some(command) = command_to_run(&lower, text) {
        add("run_command", json!({ "command": command }));
    }
    let named = super::named_tools::named_calls(text, offered, &calls);
    calls.extend(named);
    calls
}

/// The file after "write", "create" or "save" (within three words), if one is named.
fn file_to_write(words: &[String]) -> Option<String> {
    let at = words.iter().position(|w| {
        ["write", "create", "save"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    })?;
    words[at + 1..]
        .iter()
        .take(4)
        .find(|w| (w.contains('.') && !w.starts_with('.')) || w.contains('/'))
        .cloned()
}

/// The first text in double quotes.
fn quoted(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_owned()).filter(|s| !s.is_empty())
}

/// The command in backticks of a message that says "run".
fn command_to_run(lower: &str, text: &str) -> Option<String> {
    if !lower.contains("run") {
        return None;
    }
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].trim().to_owned()).filter(|s| !s.is_empty())
}

/// The steps of an answer making `calls`: a short sentence, then each call with its input
/// in 2-character chunks (after the empty first chunk the API sends), then `tool_use`.
pub fn call_steps(calls: &[Call], id_base: u64) -> Vec<Step> {
    let names: Vec<String> = calls.iter().map(|c| format!("`{}`", c.name)).collect();
    let preface = format!("Let me check that with {}.", names.join(" and "));
    let mut output = preface.clone();
    let mut steps = vec![Step::Text(split_words(&preface))];
    for (i, call) in calls.iter().enumerate() {
        let input = call.input.to_string();
        output.push_str(&input);
        let mut chunks = vec![String::new()];
        let chars: Vec<char> = input.chars().collect();
        chunks.extend(chars.chunks(2).map(|c| c.iter().collect::<String>()));
        steps.push(Step::ToolUse {
            id: format!("toolu_mock{:012x}{i:02}", id_base & 0xffff_ffff_ffff),
            name: call.name.clone(),
            input_chunks: chunks,
        });
    }
    steps.push(Step::stop(StopReason::ToolUse, estimate_tokens(&output)));
    steps
}

/// The prose answer to a request whose last message is tool results without text;
/// `None` otherwise.
pub fn follow_up(body: &Value) -> Option<String> {
    let messages = body.get("messages")?.as_array()?;
    let last = messages.last()?;
    if last.get("role")?.as_str()? != "user" {
        return None;
    }
    let blocks = last.get("content")?.as_array()?;
    let kind = |b: &Value| b.get("type").and_then(Value::as_str).map(str::to_owned);
    let results: Vec<&Value> = blocks
        .iter()
        .filter(|b| kind(b).as_deref() == Some("tool_result"))
        .collect();
    if results.is_empty() || blocks.iter().any(|b| kind(b).as_deref() == Some("text")) {
        return None;
    }
    let names = call_names(messages.get(messages.len().checked_sub(2)?));
    let mut out = String::from("Here is what I found.\n");
    for result in results {
        let id = result
            .get("tool_use_id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = names.get(id).map_or("the tool", String::as_str);
        let content = content_text(result.get("content"));
        let failed = result.get("is_error").and_then(Value::as_bool) == Some(true);
        if failed {
            let first = content.lines().next().unwrap_or("no details");
            out.push_str(&format!(
                "\n`{name}` did not work: {first}\n\nI can't answer that part without it.\n"
            ));
        } else {
            out.push_str(&format!("\n### From `{name}`\n\n{}\n", summary(&content)));
        }
    }
    out.push_str("\nAnything else you would like me to look up?");
    Some(out)
}

/// The words of `text`, trimmed of surrounding punctuation.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !(c.is_alphanumeric() || "-_./@~".contains(c)))
                .trim_end_matches(['.', ','])
                .to_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

fn order_id(words: &[String]) -> Option<String> {
    let prefixed = words
        .iter()
        .find(|w| w.to_ascii_uppercase().starts_with("ORD-"));
    let any = || {
        words.iter().find(|w| {
            w.len() >= 3
                && w.chars().any(|c| c.is_ascii_digit())
                && !w.contains('@')
                && !is_iso_date(w)
        })
    };
    prefixed.or_else(any).cloned()
}

/// The first of `candidates` the schema lists as a property, else the first candidate.
fn property(schema: Option<&Value>, candidates: &[&'static str]) -> &'static str {
    let props = schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    candidates
        .iter()
        .find(|c| props.is_some_and(|p| p.contains_key(**c)))
        .or(candidates.first())
        .copied()
        .unwrap_or("input")
}

fn search_input(lower: &str, words: &[String], schema: Option<&Value>) -> Value {
    let mut input = Map::new();
    if let Some(email) = words.iter().find(|w| w.contains('@')) {
        input.insert(property(schema, &["email"]).into(), json!(email));
    }
    let statuses = ["pending", "shipped", "delivered", "cancelled"];
    if let Some(status) = statuses.iter().find(|s| lower.contains(*s)) {
        input.insert(property(schema, &["status"]).into(), json!(status));
    }
    let dates: Vec<&String> = words.iter().filter(|w| is_iso_date(w)).collect();
    if let Some(from) = dates.first() {
        input.insert(property(schema, &["date_from", "from"]).into(), json!(from));
    }
    if let Some(to) = dates.get(1) {
        input.insert(property(schema, &["date_to", "to"]).into(), json!(to));
    }
    Value::Object(input)
}

/// "read" followed (within three words) by something that looks like a file name.
fn file_to_read(words: &[String]) -> Option<String> {
    let at = words.iter().position(|w| w.eq_ignore_ascii_case("read"))?;
    words[at + 1..]
        .iter()
        .take(3)
        .find(|w| w.contains('.') || w.contains('/'))
        .cloned()
}

/// tool_use id → tool name, for the calls of an assistant message.
fn call_names(message: Option<&Value>) -> BTreeMap<String, String> {
    message
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .filter_map(|b| {
            let id = b.get("id")?.as_str()?.to_owned();
            Some((id, b.get("name")?.as_str()?.to_owned()))
        })
        .collect()
}

/// Markdown for a result: the fields of an object, the items of an array, else the text.
fn summary(content: &str) -> String {
    match serde_json::from_str::<Value>(content) {
        Ok(Value::Object(map)) => map
            .iter()
            .take(12)
            .map(|(k, v)| format!("- **{k}**: {}", compact(v, 80)))
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(Value::Array(items)) => {
            let mut lines = vec![format!(
                "{} result{}:",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            )];
            lines.extend(
                items
                    .iter()
                    .take(10)
                    .map(|i| format!("- {}", compact(i, 100))),
            );
            lines.join("\n")
        }
        _ if content.trim().is_empty() => "(no output)".to_owned(),
        _ => content
            .lines()
            .take(12)
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn compact(value: &Value, max: usize) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(names: &[&str]) -> BTreeMap<String, Value> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), json!({"type": "object"})))
            .collect()
    }

    #[test]
    fn keywords_choose_calls_among_offered_tools_only() {
        let all = tools(&[
            "lookup_order",
            "search_orders",
            "current_time",
            "list_directory",
            "read_file",
        ]);
        let names = |text: &str, offered: &BTreeMap<String, Value>| -> Vec<String> {
            calls_for(text, offered)
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        let calls = calls_for("Where is my order ORD-2024-1234?", &all);
        assert_eq!(
            calls,
            [Call {
                name: "lookup_order".into(),
                input: json!({"order_id": "ORD-2024-1234"})
            }]
        );
        assert_eq!(
            names("what time is it? and list files", &all),
            ["current_time", "list_directory"]
        );
        assert_eq!(
            calls_for("please read src/main.rs", &all)[0].input,
            json!({"path": "src/main.rs"})
        );
        assert!(names("where is my order ORD-1", &tools(&["current_time"])).is_empty());
        assert!(names("hello there", &all).is_empty());
    }

    #[test]
    fn writing_and_running_ask_for_the_tools_that_need_approval() {
        let all = tools(&["write_file", "run_command"]);
        assert_eq!(
            calls_for(r#"create notes/todo.txt with "buy milk""#, &all),
            [Call {
                name: "write_file".into(),
                input: json!({"path": "notes/todo.txt", "content": "buy milk"})
            }]
        );
        assert_eq!(
            calls_for("please run `ls -la` for me", &all)[0].input,
            json!({"command": "ls -la"})
        );
        // No file named, no backticks: nothing to call.
        assert!(calls_for("write me a poem and run away", &all).is_empty());
    }

    #[test]
    fn order_search_uses_the_schemas_property_names() {
        let mut offered = tools(&["search_orders"]);
        offered.insert(
            "search_orders".into(),
            json!({"type": "object", "properties": {"email": {}, "status": {}, "from": {}, "to": {}}}),
        );
        let calls = calls_for(
            "Find shipped orders for ann@example.com between 2024-01-01 and 2024-02-01",
            &offered,
        );
        assert_eq!(
            calls[0].input,
            json!({"email": "ann@example.com", "status": "shipped", "from": "2024-01-01", "to": "2024-02-01"})
        );
    }

    #[test]
    fn tool_choice_none_offers_nothing() {
        let body = json!({"tools": [{"name": "current_time", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "none"}});
        assert!(offered(&body).is_empty());
        let body = json!({"tools": [{"name": "current_time", "input_schema": {"type": "object"}}]});
        assert_eq!(offered(&body).len(), 1);
    }

    #[test]
    fn call_steps_stream_the_input_in_small_chunks() {
        let call = Call {
            name: "lookup_order".into(),
            input: json!({"order_id": "ORD-1"}),
        };
        let steps = call_steps(&[call], 7);
        let Step::ToolUse {
            input_chunks, id, ..
        } = &steps[1]
        else {
            panic!("{steps:?}")
        };
        assert_eq!(input_chunks[0], "");
        assert!(input_chunks[1..].iter().all(|c| c.chars().count() <= 2));
        assert_eq!(input_chunks.concat(), r#"{"order_id":"ORD-1"}"#);
        assert!(id.starts_with("toolu_mock"));
        assert!(matches!(
            steps.last(),
            Some(Step::Stop {
                reason: StopReason::ToolUse,
                ..
            })
        ));
    }

    #[test]
    fn follow_up_summarises_results_and_errors() {
        let body = json!({"messages": [
            {"role": "user", "content": "order ORD-1 and the time"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "lookup_order", "input": {}},
                {"type": "tool_use", "id": "t2", "name": "current_time", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "{\"status\": \"shipped\", \"items\": [1, 2]}"},
                {"type": "tool_result", "tool_use_id": "t2", "content": "timed out after 5 s", "is_error": true}
            ]}
        ]});
        let text = follow_up(&body).unwrap();
        assert!(text.contains("### From `lookup_order`"), "{text}");
        assert!(text.contains("- **status**: shipped"), "{text}");
        assert!(
            text.contains("`current_time` did not work: timed out after 5 s"),
            "{text}"
        );
        let mut with_text = body.clone();
        with_text["messages"][2]["content"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "text", "text": "now something else"}));
        assert_eq!(follow_up(&with_text), None);
        assert_eq!(
            follow_up(&json!({"messages": [{"role": "user", "content": "hi"}]})),
            None
        );
    }

    #[test]
    fn summaries_of_arrays_and_text() {
        assert!(summary("[{\"id\": 1}, {\"id\": 2}]").starts_with("2 results:\n- {\"id\":1}"));
        assert_eq!(summary("a\nb"), "> a\n> b");
        assert_eq!(summary(""), "(no output)");
    }
}
