//! The simulated assistant: what the mock answers when no scripted reply is queued.
//!
//! It powers the offline demo (`chatterm --demo`), so its answers exercise what the client
//! renders: headings, lists, fenced code, inline code, tables, long text, thinking. The
//! choice is deterministic, from keywords in the last user message's text ("code", "rust",
//! "python" → code; "table" → table; "long" → several paragraphs; otherwise a general
//! answer that quotes the user). Asking to "think" (or enabling `thinking` in the request)
//! adds a short thinking block first. Output is capped at `max_tokens` (stop reason
//! `max_tokens`), like a real model.
//!
//! With tools offered, messages about an order, the time or files make tool calls instead,
//! and the request carrying their results gets a prose answer built from them
//! ([`super::assistant_tools`]). With web search or fetch offered, news questions and
//! URLs get a server tool round with cited sources ([`super::search`]).
//!
//! Replies stream as word-sized deltas with 5–20 ms pauses, scaled so one reply takes
//! roughly one to three seconds; tool inputs stream slower (40–80 ms a chunk), so their
//! panels can be watched filling in.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use serde_json::Value;

use crate::api::StopReason;

use super::assistant_tools::{call_steps, calls_for, follow_up, offered};
use super::render::Pace;
use super::script::{Script, Step, estimate_tokens, split_words};

/// The whole reply aims to stream in about this long.
const TARGET_STREAM_MS: u64 = 2000;

/// The answer to a request, and how fast to stream it.
pub fn reply(body: &Value, max_tokens: u64) -> (Script, Pace) {
    let user = last_user_text(body);
    if let Some(script) = super::thinking::refusal_reply(body, &user) {
        let pace = Pace {
            min: Duration::from_millis(5),
            max: Duration::from_millis(20),
            seed: seed_of(&user),
        };
        return (script, pace);
    }
    let lower = user.to_lowercase();
    let tools = offered(body);
    let results = follow_up(body);
    if results.is_none()
        && let Some(answer) = super::search::reply(body, &user)
    {
        return answer;
    }
    if results.is_none() {
        let calls = calls_for(&user, &tools);
        if !calls.is_empty() {
            let seed = seed_of(&format!("{}:{user}", message_count(body)));
            return tool_reply(body, &user, call_steps(&calls, seed), seed);
        }
    }
    let text = if let Some(text) = results {
        text
    } else if ["code", "rust", "python"].iter().any(|k| lower.contains(k)) {
        code_answer(&lower)
    } else if lower.contains("table") {
        table_answer()
    } else if lower.contains("long") {
        long_answer()
    } else {
        general_answer(&user, &tools)
    };
    let mut steps = Vec::new();
    let mut budget = max_tokens.saturating_mul(4) as usize;
    if let Some(step) = thinking(body, &user) {
        if let Step::Thinking { deltas, .. } = &step {
            budget = budget.saturating_sub(deltas.concat().len());
        }
        steps.push(step);
    }
    let (text, reason) = match text.char_indices().nth(budget) {
        Some((cut, _)) => (text[..cut].to_owned(), StopReason::MaxTokens),
        None => (text, StopReason::EndTurn),
    };
    let output: String = steps
        .iter()
        .filter_map(|s| match s {
            Step::Thinking { deltas, .. } => Some(deltas.concat()),
            _ => None,
        })
        .chain([text.clone()])
        .collect();
    let deltas = group(split_words(&text), 120);
    let count = deltas.len().max(1) as u64;
    if !text.is_empty() {
        steps.push(Step::Text(deltas));
    }
    steps.push(Step::stop(reason, estimate_tokens(&output)));
    let per_delta = (TARGET_STREAM_MS / count).clamp(5, 20);
    let pace = Pace {
        min: Duration::from_millis(per_delta.saturating_sub(4).max(5)),
        max: Duration::from_millis((per_delta + 4).min(20)),
        seed: seed_of(&user),
    };
    (Script::new(steps), pace)
}

/// A tool-calling answer: thinking first when asked for, then the calls' steps, with
/// slower pauses so the inputs can be watched streaming.
fn tool_reply(body: &Value, user: &str, calls: Vec<Step>, seed: u64) -> (Script, Pace) {
    let mut steps: Vec<Step> = thinking(body, user).into_iter().collect();
    steps.extend(calls);
    let pace = Pace {
        min: Duration::from_millis(40),
        max: Duration::from_millis(80),
        seed,
    };
    (Script::new(steps), pace)
}

/// The thinking block of an answer, when the request enables thinking or the user asks
/// the assistant to think.
fn thinking(body: &Value, user: &str) -> Option<Step> {
    let thinking_on = matches!(
        body.pointer("/thinking/type").and_then(Value::as_str),
        Some("enabled" | "adaptive")
    );
    // `display: omitted` streams one empty delta; the signature comes either way.
    let omitted = body.pointer("/thinking/display").and_then(Value::as_str) == Some("omitted");
    (thinking_on || user.to_lowercase().contains("think")).then(|| {
        let text = if omitted {
            String::new()
        } else {
            thinking_text(user)
        };
        Step::Thinking {
            deltas: if omitted {
                vec![String::new()]
            } else {
                split_words(&text)
            },
            // Signed over the text, so the validation can tell a changed block.
            signature: super::thinking::sign(&text),
        }
    })
}

fn message_count(body: &Value) -> usize {
    body.get("messages")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// The concatenated text blocks of the last user message ("" when it has none).
fn last_user_text(body: &Value) -> String {
    let messages = body.get("messages").and_then(Value::as_array);
    let last = messages
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    match last.and_then(|m| m.get("content")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Merges word pieces so there are at most about `max` deltas (long answers stream in
/// bigger pieces instead of taking longer).
fn group(words: Vec<String>, max: usize) -> Vec<String> {
    let per = words.len().div_ceil(max.max(1)).max(1);
    words.chunks(per).map(|c| c.concat()).collect()
}

fn seed_of(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

fn thinking_text(user: &str) -> String {
    let topic: String = user
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "The user asked: \"{topic}\". I should answer clearly, start with the main point, \
         and use formatting only where it helps."
    )
}

fn code_answer(lower: &str) -> String {
    let python = lower.contains("python") && !lower.contains("rust");
    let (lang, snippet) = if python {
        (
            "python",
            "def word_count(text: str) -> dict[str, int]:\n    counts: dict[str, int] = {}\n    for word in text.split():\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n",
        )
    } else {
        (
            "rust",
            "use std::collections::HashMap;\n\nfn word_count(text: &str) -> HashMap<&str, usize> {\n    let mut counts = HashMap::new();\n    for word in text.split_whitespace() {\n        *counts.entry(word).or_insert(0) += 1;\n    }\n    counts\n}\n",
        )
    };
    format!(
        "## Counting words\n\nHere is a small, idiomatic way to count words:\n\n```{lang}\n{snippet}```\n\n\
         How it works:\n\n- `split_whitespace()` style splitting ignores runs of spaces and newlines.\n\
         - Each word is looked up once; missing words start at `0`.\n\
         - The result maps each word to its count.\n\n\
         Try it with a sentence such as `\"the cat and the hat\"`: `the` appears **twice**."
    )
}

fn table_answer() -> String {
    "Here is a comparison of the three model tiers chatterm switches between:\n\n\
     | Tier | Typical model | Speed | Cost per answer |\n\
     |------|---------------|-------|-----------------|\n\
     | fast | Haiku | very fast | lowest |\n\
     | balanced | Sonnet | fast | moderate |\n\
     | max | Opus | slower | highest |\n\n\
     Switch tiers with one key; the sidebar shows what each turn costs."
        .to_owned()
}

fn long_answer() -> String {
    let paragraphs = [
        "Streaming is what makes a terminal chat feel alive: the answer appears word by word \
         instead of after a long pause. Under the hood, the API sends server-sent events, and \
         the client folds them into a message as they arrive.",
        "Prompt caching is the other half of a fast, cheap conversation. Each request repeats \
         the whole history, but the stable prefix (tools, system prompt, earlier turns) can be \
         read from the cache at a tenth of the price, and it is also processed faster.",
        "Cost visibility closes the loop. Every answer reports its usage: uncached input, cache \
         writes, cache reads and output. Multiplying each by its price gives the exact cost of \
         the turn, which the sidebar keeps as a running total.",
        "Finally, errors are part of the experience. Overloads and rate limits happen; a good \
         client retries with backoff, tells you what it is doing, and never loses the text it \
         already showed you.",
    ];
    format!("# A longer answer\n\n{}", paragraphs.join("\n\n"))
}

/// "5. Ask about ..." for the demo tools the request offers, if any.
fn tool_hint(tools: &std::collections::BTreeMap<String, Value>) -> String {
    let examples = [
        ("lookup_order", "an order (say ORD-2024-1001)"),
        ("current_time", "what time it is"),
        ("list_directory", "to list files"),
    ];
    let offered: Vec<&str> = examples
        .iter()
        .filter(|(name, _)| tools.contains_key(*name))
        .map(|(_, ask)| *ask)
        .collect();
    if offered.is_empty() {
        return String::new();
    }
    format!(
        "5. Ask about {} to watch a **tool call** stream in.\n",
        offered.join(", or ")
    )
}

/// The try-list's last item: web search, unless the request offers it already.
fn search_hint(tools: &std::collections::BTreeMap<String, Value>, n: usize) -> String {
    if tools.contains_key("web_search") {
        format!("{n}. Ask for the **latest news** to watch a web search and its sources.\n")
    } else {
        format!("{n}. Type `/search on`, then ask for the **latest news**: a cited web search.\n")
    }
}

fn general_answer(user: &str, tools: &std::collections::BTreeMap<String, Value>) -> String {
    let quoted: String = if user.trim().is_empty() {
        "> (an empty message)".to_owned()
    } else {
        let short: String = user.chars().take(200).collect();
        short
            .lines()
            .map(|l| format!("> {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "Hello! You wrote:\n\n{quoted}\n\n\
         I'm the **offline demo** assistant of chatterm: no network, no API key, just a local \
         mock server that streams like the real API. Things to try:\n\n\
         1. Ask for **code** (say \"rust\" or \"python\") to see syntax highlighting.\n\
         2. Ask for a **table** to see table rendering.\n\
         3. Ask for something **long** to watch scrolling.\n\
         4. Ask me to **think** first to see a thinking block.\n{hint}{search}\n\
         Send a few messages and watch the cache figures in the sidebar climb.",
        hint = tool_hint(tools),
        search = search_hint(tools, if tool_hint(tools).is_empty() { 5 } else { 6 })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ask(text: &str) -> Script {
        reply(
            &json!({"messages": [{"role": "user", "content": text}]}),
            4096,
        )
        .0
    }

    fn answer_text(script: &Script) -> String {
        script
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Text(d) => Some(d.concat()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn keywords_choose_the_answer() {
        let code = answer_text(&ask("Show me some Rust code"));
        assert!(code.contains("```rust") && code.contains("## ") && code.contains("- `"));
        assert!(answer_text(&ask("python please")).contains("```python"));
        assert!(answer_text(&ask("a table?")).contains("|------|"));
        assert!(answer_text(&ask("something long")).matches("\n\n").count() >= 4);
        let general = answer_text(&ask("hello there"));
        assert!(general.contains("> hello there") && general.contains("offline demo"));
    }

    #[test]
    fn think_adds_a_thinking_block_first_and_usage_counts_it() {
        let script = ask("think about tables");
        assert!(
            matches!(&script.steps[0], Step::Thinking { signature, .. } if signature.starts_with("EqMock"))
        );
        assert!(
            matches!(script.steps.last(), Some(Step::Stop { reason: StopReason::EndTurn, usage }) if usage.output_tokens > Some(50))
        );
    }

    #[test]
    fn replies_are_deterministic_and_paced() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}]});
        let (a, pace_a) = reply(&body, 4096);
        let (b, pace_b) = reply(&body, 4096);
        assert_eq!((a, pace_a), (b, pace_b));
        assert!(pace_a.min >= Duration::from_millis(5) && pace_a.max <= Duration::from_millis(20));
    }

    #[test]
    fn offered_tools_are_called_and_their_results_answered() {
        let tools = json!([{"name": "lookup_order", "input_schema": {"type": "object"}}]);
        let ask = json!({"tools": tools, "messages": [
            {"role": "user", "content": "where is order ORD-2024-1234?"}
        ]});
        let (script, pace) = reply(&ask, 4096);
        let call = script.steps.iter().find_map(|s| match s {
            Step::ToolUse {
                name, input_chunks, ..
            } => Some((name.clone(), input_chunks.concat())),
            _ => None,
        });
        assert_eq!(
            call,
            Some((
                "lookup_order".into(),
                r#"{"order_id":"ORD-2024-1234"}"#.into()
            ))
        );
        assert!(pace.min >= Duration::from_millis(40));
        // Without the tool on offer, the same message gets a plain answer.
        let plain =
            json!({"messages": [{"role": "user", "content": "where is order ORD-2024-1234?"}]});
        let (script, _) = reply(&plain, 4096);
        assert!(
            !script
                .steps
                .iter()
                .any(|s| matches!(s, Step::ToolUse { .. }))
        );
        let answered = json!({"tools": tools, "messages": [
            {"role": "user", "content": "where is order ORD-2024-1234?"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "lookup_order", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "{\"status\": \"shipped\"}"}]}
        ]});
        let (script, _) = reply(&answered, 4096);
        assert!(answer_text(&script).contains("- **status**: shipped"));
        assert!(matches!(
            script.steps.last(),
            Some(Step::Stop {
                reason: StopReason::EndTurn,
                ..
            })
        ));
    }

    #[test]
    fn the_greeting_mentions_the_tools_on_offer() {
        let body = json!({"tools": [{"name": "current_time", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "hi"}]});
        assert!(answer_text(&reply(&body, 4096).0).contains("what time it is"));
        assert!(!answer_text(&ask("hi")).contains("tool call"));
    }

    #[test]
    fn the_greetings_example_order_exists_in_the_dataset() {
        let body = json!({"tools": [{"name": "lookup_order", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "hi"}]});
        let text = answer_text(&reply(&body, 4096).0);
        let id = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .find(|w| w.starts_with("ORD-"))
            .expect("the greeting suggests an order id");
        let found = crate::tools::examples::orders::lookup_order(&json!({"order_id": id}));
        assert!(found.is_ok(), "{id} is not in assets/tools/orders.json");
    }

    #[test]
    fn max_tokens_truncates_the_answer() {
        let body = json!({"messages": [{"role": "user", "content": "something long"}]});
        let (script, _) = reply(&body, 10);
        assert_eq!(answer_text(&script).chars().count(), 40);
        assert!(matches!(
            script.steps.last(),
            Some(Step::Stop {
                reason: StopReason::MaxTokens,
                ..
            })
        ));
    }
}
