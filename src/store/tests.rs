use serde_json::json;

use super::*;
use crate::api::Usage;
use crate::cost::{Ledger, LedgerEntry};

fn block(v: serde_json::Value) -> ContentBlock {
    serde_json::from_value(v).unwrap()
}

fn assistant(blocks: Vec<ContentBlock>) -> Message {
    Message {
        role: Role::Assistant,
        content: blocks,
    }
}

/// A conversation of `turns` complete question/answer pairs.
fn conversation(store: &Store, first: &str, turns: usize) -> ConversationId {
    let id = store.create("m", first).unwrap();
    for i in 0..turns {
        let text = if i == 0 {
            first.to_owned()
        } else {
            format!("question {i}")
        };
        store.append(id, &Message::user_text(text)).unwrap();
        let answer = [ContentBlock::text(format!("answer {i}"))];
        store
            .end_answer(id, Some(&answer), "m", MessageStatus::Complete, None)
            .unwrap();
    }
    id
}

#[test]
fn the_bundled_sqlite_has_fts5_and_the_schema_is_current() {
    let store = Store::in_memory().unwrap();
    let conn = store.conn().unwrap();
    let fts5: i64 = conn
        .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fts5, 1);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::LATEST);
}

#[test]
fn blocks_round_trip_to_identical_bytes() {
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "hi").unwrap();
    let user = Message::user_text("hi");
    store.append(id, &user).unwrap();
    let blocks = vec![
        block(
            json!({"type":"thinking","thinking":"hm","signature":"EqQB==","future":{"z":1,"a":[1.5,2]}}),
        ),
        block(json!({"type":"text","text":"hello","citations":[{"type":"x","u":"v"}]})),
        block(
            json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"q":"x"}}),
        ),
        block(
            json!({"type":"tool_use","id":"t1","name":"f","input":{"b":1,"a":2},"caller":{"x":1}}),
        ),
    ];
    store
        .end_answer(id, Some(&blocks), "m", MessageStatus::Complete, None)
        .unwrap();
    let loaded = store.load(id).unwrap();
    let expected = vec![user, assistant(blocks)];
    assert_eq!(
        serde_json::to_string(&loaded.history()).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
}

#[test]
fn a_checkpointed_answer_is_rewritten_in_place_and_ends_with_its_status() {
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "q").unwrap();
    store.append(id, &Message::user_text("q")).unwrap();
    store
        .save_progress(id, &[ContentBlock::text("par")], "m")
        .unwrap();
    store
        .save_progress(id, &[ContentBlock::text("partial")], "m")
        .unwrap();
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages.len(), 2);
    assert_eq!(loaded.messages[1].status, MessageStatus::Streaming);
    assert_eq!(
        loaded.messages[1].status.shown_as(),
        MessageStatus::Interrupted
    );
    // Opening it from the handle writing it leaves it streaming; the history carries what
    // arrived, marked as cut short.
    let history = loaded.history();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].content,
        [ContentBlock::text("partial"), ContentBlock::text(CUT_SHORT)]
    );
    store
        .end_answer(id, None, "m", MessageStatus::Failed, Some("HTTP 500"))
        .unwrap();
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages.len(), 2);
    assert_eq!(loaded.messages[1].status, MessageStatus::Failed);
    assert_eq!(loaded.messages[1].error.as_deref(), Some("HTTP 500"));
    assert_eq!(loaded.messages[1].content, [ContentBlock::text("partial")]);
}

#[test]
fn retry_supersedes_the_last_answer_only() {
    let store = Store::in_memory().unwrap();
    let id = conversation(&store, "q", 2);
    store.supersede_last_answer(id).unwrap();
    let loaded = store.load(id).unwrap();
    let statuses: Vec<_> = loaded.messages.iter().map(|m| m.status).collect();
    use MessageStatus::*;
    assert_eq!(statuses, [Complete, Complete, Complete, Superseded]);
    assert_eq!(loaded.history().len(), 3);
}

#[test]
fn fork_keeps_both_branches() {
    let store = Store::in_memory().unwrap();
    let original = conversation(&store, "first question", 3);
    let branch = store.fork(original, 1).unwrap();
    let a = store.load(original).unwrap();
    let b = store.load(branch).unwrap();
    assert_eq!(a.messages.len(), 6);
    assert_eq!(b.messages.len(), 2, "everything before the second question");
    assert_eq!(b.summary.parent, Some(original));
    assert_eq!(b.summary.title, "first question");
    store
        .append(branch, &Message::user_text("edited question"))
        .unwrap();
    assert_eq!(store.load(original).unwrap().messages.len(), 6);
    assert_eq!(
        store.load(branch).unwrap().messages[2].content[0].as_text(),
        Some("edited question")
    );
    let listed: Vec<_> = store.list(None, 10).unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, [branch, original]);
    // Deleting the original leaves the branch whole.
    store.delete(original).unwrap();
    assert_eq!(store.load(branch).unwrap().messages.len(), 3);
    assert!(matches!(store.fork(branch, 5), Err(StoreError::Sql(_))));
}

#[test]
fn search_matches_titles_and_message_text_by_word_prefix() {
    let store = Store::in_memory().unwrap();
    let rust = conversation(&store, "Rust lifetimes", 1);
    let tea = conversation(&store, "Green tea", 2);
    let found = |q: &str| -> Vec<ConversationId> {
        store
            .list(Some(q), 10)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(found("rust"), [rust]);
    assert_eq!(found("lifet"), [rust]);
    assert_eq!(found("question 1"), [tea], "message text, all words");
    assert_eq!(found("answer"), [tea, rust]);
    assert!(found("coffee").is_empty());
    // Operators and quotes are plain text, not FTS syntax errors.
    assert!(found("\"rust OR (").is_empty() || found("\"rust OR (") == [rust]);
    assert_eq!(found("  ").len(), 2, "nothing searchable lists everything");
    store.rename(tea, "Oolong notes").unwrap();
    assert_eq!(found("oolong"), [tea]);
    assert_eq!(found("green"), [tea], "still in its first message");
    store.delete(rust).unwrap();
    assert!(found("lifetimes").is_empty());
}

#[test]
fn summaries_count_messages_and_cost_from_the_ledger() {
    let store = Store::in_memory().unwrap();
    let id = conversation(&store, "q", 2);
    for cost in [Some(0.25), None, Some(0.5)] {
        store
            .record(&LedgerEntry {
                at_ms: now_ms(),
                conversation: Some(id.to_string()),
                model: "m".into(),
                tier: None,
                usage: Usage::default(),
                cost_usd: cost,
                latency_ms: 5,
                fell_back: false,
            })
            .unwrap();
    }
    let s = store.summary(id).unwrap();
    assert_eq!(s.message_count, 4);
    assert!((s.cost_usd - 0.75).abs() < 1e-12);
    assert_eq!(s.model, "m");
}

#[test]
fn the_ledger_keeps_whole_usage_and_filters_by_time() {
    let store = Store::in_memory().unwrap();
    let usage: Usage = serde_json::from_value(json!({
        "input_tokens": 3, "output_tokens": 9, "cache_read_input_tokens": 100,
        "cache_creation": {"ephemeral_5m_input_tokens": 2, "ephemeral_1h_input_tokens": 0},
        "brand_new": 1
    }))
    .unwrap();
    for (at, cost) in [(30, Some(0.5)), (10, Some(1.0)), (20, None)] {
        store
            .record(&LedgerEntry {
                at_ms: at,
                conversation: None,
                model: "m".into(),
                tier: Some(crate::config::Tier::Fast),
                usage: usage.clone(),
                cost_usd: cost,
                latency_ms: 7,
                fell_back: at == 20,
            })
            .unwrap();
    }
    let since = store.entries_since(20).unwrap();
    assert_eq!(since.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [20, 30]);
    assert_eq!(since[0].usage, usage);
    assert!(since[0].fell_back);
    assert_eq!(since[0].tier, Some(crate::config::Tier::Fast));
    assert!((store.spent_since(0).unwrap() - 1.5).abs() < 1e-12);
}

#[test]
fn tool_results_are_kept_and_exported_with_their_calls() {
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "list files").unwrap();
    store.append(id, &Message::user_text("list files")).unwrap();
    let call = crate::api::ToolUseBlock {
        id: "toolu_1".into(),
        name: "list_dir".into(),
        input: json!({"path": "."}),
        cache_control: None,
        extra: Default::default(),
    };
    let answer = [
        ContentBlock::text("Looking."),
        ContentBlock::ToolUse(call.clone()),
    ];
    store
        .end_answer(id, Some(&answer), "m", MessageStatus::Complete, None)
        .unwrap();
    let result = crate::api::ToolResultBlock {
        tool_use_id: "toolu_1".into(),
        content: Some(json!("Cargo.toml\nsrc")),
        is_error: None,
        cache_control: None,
        extra: Default::default(),
    };
    store
        .save_tool_result(id, &call, &result, 12, crate::store::ToolRun::NotRun)
        .unwrap();
    // How it went is kept beside the result, for a resumed screen.
    assert_eq!(
        store.tool_outcomes(id).unwrap(),
        [crate::store::ToolOutcome {
            tool_use_id: "toolu_1".into(),
            run: crate::store::ToolRun::NotRun,
            duration_ms: 12,
        }]
    );
    let kept = store.tool_results(id).unwrap();
    assert_eq!(kept, [("toolu_1".to_owned(), result.clone())]);
    let md = to_markdown(&store.load(id).unwrap(), &kept);
    assert!(md.starts_with("# list files\n"), "{md}");
    assert!(md.contains("## You\n\nlist files"), "{md}");
    assert!(md.contains("**Tool call: `list_dir`** (toolu_1)"), "{md}");
    assert!(md.contains("\"path\": \".\""), "{md}");
    assert!(
        md.contains("**Tool result** (not sent: chatterm stopped first)"),
        "{md}"
    );
    assert!(md.contains("Cargo.toml\nsrc"), "{md}");
    // Once the results message is sent, the result is shown as sent, and only once.
    store
        .append(
            id,
            &Message {
                role: Role::User,
                content: vec![ContentBlock::ToolResult(result)],
            },
        )
        .unwrap();
    let md = to_markdown(&store.load(id).unwrap(), &kept);
    assert_eq!(md.matches("**Tool result**").count(), 1, "{md}");
    assert!(!md.contains("not sent"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&to_api_json(&store.load(id).unwrap()).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[2]["content"][0]["type"], "tool_result");
}

#[test]
fn a_file_survives_reopening_and_two_connections_share_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join(DB_FILE);
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    let id = a.create("m", "shared").unwrap();
    b.append(id, &Message::user_text("from b")).unwrap();
    a.append(id, &Message::user_text("from a")).unwrap();
    drop((a, b));
    let c = Store::open(&path).unwrap();
    let loaded = c.load(id).unwrap();
    let positions: Vec<_> = loaded.messages.iter().map(|m| m.position).collect();
    assert_eq!(positions, [0, 1]);
    assert_eq!(c.latest().unwrap(), Some(id));
}

#[test]
fn a_corrupt_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(
        &path,
        b"this is not a database, just text, long enough to look like a header....",
    )
    .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.is_unusable());
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found: 99, .. }),
        "{err:?}"
    );
}

#[test]
fn ids_parse_strictly() {
    assert_eq!("12".parse::<ConversationId>().unwrap(), ConversationId(12));
    assert!("0".parse::<ConversationId>().is_err());
    assert!("abc".parse::<ConversationId>().is_err());
    assert_eq!(title_from("\n  Hello there \nmore"), "Hello there");
    assert_eq!(title_from(""), "(untitled)");
    assert_eq!(title_from(&"é".repeat(100)).chars().count(), 81);
}

#[test]
fn unknown_conversations_are_not_found() {
    let store = Store::in_memory().unwrap();
    let ghost = ConversationId(42);
    assert!(matches!(store.load(ghost), Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.append(ghost, &Message::user_text("x")),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.rename(ghost, "x"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(store.delete(ghost), Err(StoreError::NotFound(_))));
}

#[test]
fn exports_keep_searches_footnotes_and_sources_as_markdown_links() {
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "news").unwrap();
    store.append(id, &Message::user_text("news?")).unwrap();
    let url = "https://news.example.com/a";
    let answer = [
        block(
            json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                     "input": {"query": "news"}}),
        ),
        block(
            json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
                     "content": [{"type": "web_search_result", "url": url, "title": "A [b]",
                                  "encrypted_content": "e"}]}),
        ),
        block(json!({"type": "text", "text": "It happened", "citations": [
            {"type": "web_search_result_location", "url": url, "title": "A [b]",
             "cited_text": "c", "encrypted_index": "i"}]})),
    ];
    store
        .end_answer(id, Some(&answer), "m", MessageStatus::Complete, None)
        .unwrap();
    let md = to_markdown(&store.load(id).unwrap(), &[]);
    assert!(
        md.contains("**Server tool: `web_search`** `{\"query\":\"news\"}`"),
        "{md}"
    );
    assert!(
        md.contains("- [A \\[b\\]](https://news.example.com/a)"),
        "{md}"
    );
    assert!(md.contains("It happened[1]\n"), "{md}");
    assert!(
        md.contains("Sources:\n1. [A \\[b\\]](https://news.example.com/a)"),
        "{md}"
    );
}
