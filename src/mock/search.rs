//! The mock's web search and web fetch: deterministic server tool answers, and the API's
//! check that their blocks come back verbatim.
//!
//! Answering: when a request offers `web_search` (a tool whose `type` starts with
//! `web_search_`) and the last user message asks about news or the web ("news", "latest",
//! "search", "today", "current", "recent"), the answer is one response holding the whole
//! server round, as the API sends it: a `server_tool_use` block whose query streams in, a
//! `web_search_tool_result` with three results built from the query, then text whose
//! claims cite those results (`citations_delta`), and `usage.server_tool_use`
//! `{web_search_requests: 1}`. With `web_fetch` offered, a message holding an `http(s)`
//! URL gets a fetch of it instead: a `web_fetch_tool_result` with one text document.
//!
//! Checking: everything the API produced is sealed, the way its real blocks carry
//! encrypted content: a call's id seals its name and input, each search result's
//! `encrypted_content` its URL and title, each citation's `encrypted_index` its URL and
//! cited text. A history whose server blocks were changed (a reordered key does not
//! matter, a changed value does), whose result names no earlier call of the same message,
//! or whose call has no result, is rejected with a 400, and so is a client `tool_result`
//! that answers a server call: the client must echo these blocks, never answer them.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::render::Pace;
use super::script::{Script, Step, split_words};
use crate::api::DeltaUsage;
use crate::api::StopReason;

/// Words that make the demo assistant search.
const SEARCH_WORDS: [&str; 7] = [
    "news", "latest", "search", "today", "current", "recent", "look up",
];

/// A short deterministic seal of `parts` (FNV-1a, hex): stable across runs and builds.
pub fn seal(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Which server tools a request offers: (search, fetch).
pub fn offered(body: &Value) -> (bool, bool) {
    let types: Vec<&str> = body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("type").and_then(Value::as_str))
        .collect();
    (
        types.iter().any(|t| t.starts_with("web_search_")),
        types.iter().any(|t| t.starts_with("web_fetch_")),
    )
}

/// The server tool answer to `user`, when the request offers the tool it needs.
pub fn reply(body: &Value, user: &str) -> Option<(Script, Pace)> {
    let (search, fetch) = offered(body);
    let lower = user.to_lowercase();
    let url = user
        .split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"));
    let steps = match url {
        Some(url) if fetch => fetch_steps(url.trim_end_matches(['.', ',', ')'])),
        _ if search && SEARCH_WORDS.iter().any(|w| lower.contains(w)) => search_steps(user),
        _ => return None,
    };
    let pace = Pace {
        min: Duration::from_millis(20),
        max: Duration::from_millis(60),
        seed: u64::from_str_radix(&seal(&[user]), 16).unwrap_or(0),
    };
    Some((Script::new(steps), pace))
}

/// The query a question becomes: its words, without the question mark, at most 8.
fn query_of(user: &str) -> String {
    let words: Vec<&str> = user
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(8)
        .collect();
    words.join(" ")
}

/// A server tool call: its id seals name and input, so a changed echo is caught.
fn call(name: &str, input: &Value) -> (String, Step) {
    let text = input.to_string();
    let id = format!("srvtoolu_{}", seal(&[name, &text]));
    let mid = text.len() / 2;
    let cut = (0..=mid)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let step = Step::ServerToolUse {
        id: id.clone(),
        name: name.into(),
        input_chunks: vec![String::new(), text[..cut].into(), text[cut..].into()],
    };
    (id, step)
}

fn results(query: &str) -> Vec<(String, String, &'static str)> {
    let slug: String = query
        .to_lowercase()
        .split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join("-");
    vec![
        (
            format!("https://news.example.com/{slug}"),
            format!("Latest on {query}"),
            "2 hours ago",
        ),
        (
            format!("https://www.wire.example.org/world/{slug}"),
            format!("{query}: what we know"),
            "1 day ago",
        ),
        (
            format!("https://blog.example.net/analysis/{slug}"),
            "An analysis of the week".to_owned(),
            "3 days ago",
        ),
    ]
}

fn search_steps(user: &str) -> Vec<Step> {
    let query = query_of(user);
    let (id, call_step) = call("web_search", &json!({"query": query}));
    let found = results(&query);
    let content: Vec<Value> = found
        .iter()
        .map(|(url, title, age)| {
            json!({"type": "web_search_result", "url": url, "title": title,
                   "encrypted_content": seal(&[url, title]), "page_age": age})
        })
        .collect();
    let cite = |i: usize, text: &str| {
        let (url, title, _) = &found[i];
        json!({"type": "web_search_result_location", "url": url, "title": title,
               "cited_text": text, "encrypted_index": seal(&[url, text])})
    };
    let first = "Three outlets report the story developing through the day";
    let second = "an analysis puts it in the context of the week";
    vec![
        call_step,
        Step::Block(
            json!({"type": "web_search_tool_result", "tool_use_id": id, "content": content}),
        ),
        Step::text("Here is what the search found. "),
        Step::CitedText {
            citations: vec![cite(0, first), cite(1, first)],
            deltas: split_words(first),
        },
        Step::text(", and "),
        Step::CitedText {
            citations: vec![cite(2, second)],
            deltas: split_words(second),
        },
        Step::text(". These are simulated results from the mock server."),
        searched(1, 0),
    ]
}

fn fetch_steps(url: &str) -> Vec<Step> {
    let (id, call_step) = call("web_fetch", &json!({"url": url}));
    let title = format!("Page at {}", crate::api::server_tools::domain_of(url));
    let text = "This page is a simulated document served by the mock for any address.";
    let result = json!({
        "type": "web_fetch_tool_result", "tool_use_id": id,
        "content": {"type": "web_fetch_result", "url": url, "retrieved_at": "2026-01-01T00:00:00Z",
                    "content": {"type": "document", "title": title,
                                "source": {"type": "text", "media_type": "text/plain", "data": text}}}
    });
    let said = "The page says it is a simulated document";
    let citation = json!({"type": "char_location", "document_index": 0, "document_title": title,
                          "cited_text": text, "start_char_index": 0,
                          "end_char_index": text.chars().count()});
    vec![
        call_step,
        Step::Block(result),
        Step::text("I fetched it. "),
        Step::CitedText {
            citations: vec![citation],
            deltas: split_words(said),
        },
        Step::text("."),
        searched(0, 1),
    ]
}

fn searched(searches: u64, fetches: u64) -> Step {
    Step::Stop {
        reason: StopReason::EndTurn,
        usage: DeltaUsage {
            output_tokens: Some(60),
            server_tool_use: Some(
                json!({"web_search_requests": searches, "web_fetch_requests": fetches}),
            ),
            ..DeltaUsage::default()
        },
    }
}

/// The API's checks on server tool blocks in the history (see the module docs).
pub fn check_echo(obj: &Map<String, Value>) -> Result<(), String> {
    let Some(messages) = obj.get("messages").and_then(Value::as_array) else {
        return Ok(());
    };
    for (m, message) in messages.iter().enumerate() {
        let Some(blocks) = message.get("content").and_then(Value::as_array) else {
            continue;
        };
        let mut calls: Vec<&str> = Vec::new();
        let mut answered: Vec<&str> = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            let at = format!("messages.{m}.content.{b}");
            match block.get("type").and_then(Value::as_str) {
                Some("server_tool_use") => calls.push(check_call(block, &at)?),
                Some("web_search_tool_result" | "web_fetch_tool_result") => {
                    let id = block
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !calls.contains(&id) {
                        return Err(format!(
                            "{at}: `{}` block {id:?} does not follow a `server_tool_use` block with that id",
                            block["type"].as_str().unwrap_or("")
                        ));
                    }
                    check_results(block, &at)?;
                    answered.push(id);
                }
                Some("tool_result") => {
                    let id = block
                        .get("tool_use_id")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if id.starts_with("srvtoolu_") {
                        return Err(format!(
                            "{at}: tool_result answers server tool call {id:?}; server tools are run by the API"
                        ));
                    }
                }
                Some("text") => check_citations(block, &at)?,
                _ => {}
            }
        }
        if let Some(open) = calls.iter().find(|c| !answered.contains(c)) {
            return Err(format!(
                "messages.{m}: `server_tool_use` block {open:?} has no result block after it"
            ));
        }
    }
    Ok(())
}

fn check_call<'a>(block: &'a Value, at: &str) -> Result<&'a str, String> {
    let id = block.get("id").and_then(Value::as_str).unwrap_or("");
    let name = block.get("name").and_then(Value::as_str).unwrap_or("");
    let input = block
        .get("input")
        .cloned()
        .unwrap_or(Value::Null)
        .to_string();
    if !id.starts_with("srvtoolu_") {
        return Err(format!("{at}.id: server tool ids start with \"srvtoolu_\""));
    }
    if id != format!("srvtoolu_{}", seal(&[name, &input])) {
        return Err(format!(
            "{at}: `server_tool_use` block {id:?} was modified; send server tool blocks back unchanged"
        ));
    }
    Ok(id)
}

fn check_results(block: &Value, at: &str) -> Result<(), String> {
    let Some(items) = block.get("content").and_then(Value::as_array) else {
        return Ok(());
    };
    for (i, item) in items.iter().enumerate() {
        let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
        if text("encrypted_content") != seal(&[text("url"), text("title")]) {
            return Err(format!(
                "{at}.content.{i}.encrypted_content: invalid; send server tool results back unchanged"
            ));
        }
    }
    Ok(())
}

fn check_citations(block: &Value, at: &str) -> Result<(), String> {
    let Some(citations) = block.get("citations").and_then(Value::as_array) else {
        return Ok(());
    };
    for (i, c) in citations.iter().enumerate() {
        if c.get("type").and_then(Value::as_str) != Some("web_search_result_location") {
            continue;
        }
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
        if text("encrypted_index") != seal(&[text("url"), text("cited_text")]) {
            return Err(format!(
                "{at}.citations.{i}.encrypted_index: invalid citation"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(tools: Value, user: &str) -> Value {
        json!({"tools": tools, "messages": [{"role": "user", "content": user}]})
    }

    fn answer(steps: &[Step]) -> Vec<Value> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::ServerToolUse {
                    id,
                    name,
                    input_chunks,
                } => Some(json!({
                    "type": "server_tool_use", "id": id, "name": name,
                    "input": serde_json::from_str::<Value>(&input_chunks.concat()).unwrap()})),
                Step::Block(v) => Some(v.clone()),
                Step::CitedText { citations, deltas } => {
                    Some(json!({"type": "text", "text": deltas.concat(), "citations": citations}))
                }
                _ => None,
            })
            .collect()
    }

    fn history(blocks: Vec<Value>) -> Map<String, Value> {
        json!({"messages": [
            {"role": "user", "content": "news?"},
            {"role": "assistant", "content": blocks},
            {"role": "user", "content": "thanks"}
        ]})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn a_news_question_searches_only_when_search_is_offered() {
        let search = json!([{"type": "web_search_20250305", "name": "web_search"}]);
        assert!(
            reply(
                &body(search.clone(), "What is the latest news on rust?"),
                "What is the latest news on rust?"
            )
            .is_some()
        );
        assert!(reply(&body(search, "hello"), "hello").is_none());
        assert!(reply(&body(json!([]), "latest news"), "latest news").is_none());
        let fetch = json!([{"type": "web_fetch_20250910", "name": "web_fetch"}]);
        let (script, _) = reply(&body(fetch, "x"), "read https://a.example/p.").unwrap();
        assert!(
            matches!(&script.steps[1], Step::Block(v) if v["content"]["url"] == "https://a.example/p")
        );
    }

    #[test]
    fn verbatim_echoes_pass_and_changed_ones_fail() {
        let steps = search_steps("latest news on rust");
        let blocks = answer(&steps);
        check_echo(&history(blocks.clone())).unwrap();

        let mut changed = blocks.clone();
        changed[0]["input"]["query"] = json!("something else");
        assert!(
            check_echo(&history(changed))
                .unwrap_err()
                .contains("modified")
        );

        let mut result = blocks.clone();
        result[1]["content"][0]["title"] = json!("Retitled");
        assert!(
            check_echo(&history(result))
                .unwrap_err()
                .contains("encrypted_content")
        );

        let mut cited = blocks.clone();
        cited[2]["citations"][0]["cited_text"] = json!("not what was cited");
        assert!(
            check_echo(&history(cited))
                .unwrap_err()
                .contains("encrypted_index")
        );

        let missing = blocks[..1].to_vec();
        assert!(
            check_echo(&history(missing))
                .unwrap_err()
                .contains("no result block")
        );

        let mut answered = history(blocks.clone());
        answered["messages"][2]["content"] = json!([{"type": "tool_result",
            "tool_use_id": blocks[0]["id"], "content": "done"}]);
        assert!(
            check_echo(&answered)
                .unwrap_err()
                .contains("run by the API")
        );
    }
}
