use super::*;
use crate::api::StreamEvent;

fn ctx() -> Context {
    Context {
        message_id: "msg_mock_1".into(),
        model: "claude-test".into(),
        usage: Usage {
            input_tokens: 7,
            output_tokens: 1,
            ..Usage::default()
        },
        pace: None,
    }
}

/// Parses a plan's writes back into (event, data) pairs with string splitting only.
fn frames(plan: &[Out]) -> Vec<(String, String)> {
    let text: String = plan
        .iter()
        .filter_map(|o| match o {
            Out::Write(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (name, data) = f.split_once('\n').unwrap();
            (
                name.trim_start_matches("event: ").into(),
                data.trim_start_matches("data: ").into(),
            )
        })
        .collect()
}

#[test]
fn stream_plan_matches_the_api_event_sequence() {
    let script = Script::new(vec![
        Step::Ping,
        Step::text("Hi there"),
        Step::tool_use("toolu_1", "f", &["", "{\"a\":", "1}"]),
        Step::end_turn(5),
    ]);
    let events = frames(&stream_plan(&script, &ctx()));
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    for (name, data) in &events {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], json!(name), "data type equals the event name");
        assert!(!matches!(
            StreamEvent::parse(name, data).unwrap(),
            StreamEvent::Unknown(_)
        ));
    }
    let start: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(start["message"]["model"], "claude-test");
    assert_eq!(start["message"]["usage"]["input_tokens"], 7);
    let tool_start: Value = serde_json::from_str(&events[6].1).unwrap();
    assert_eq!(tool_start["index"], 1);
    let delta: Value = serde_json::from_str(&events[11].1).unwrap();
    assert_eq!(
        delta["usage"],
        json!({"output_tokens": 5, "input_tokens": 7,
        "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
    );
}

#[test]
fn scripted_start_and_stop_usage_are_verbatim() {
    let script = Script::text("a b");
    let events = frames(&stream_plan(&script, &ctx()));
    let start: Value = serde_json::from_str(&events[0].1).unwrap();
    assert_eq!(start["message"]["usage"]["input_tokens"], 12);
    let delta: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(delta["usage"], json!({"output_tokens": 1}));
}

#[test]
fn error_and_drop_end_the_plan() {
    let script = Script::new(vec![
        Step::text("x"),
        Step::error_event("overloaded_error", "Overloaded"),
        Step::end_turn(1),
    ]);
    let plan = stream_plan(&script, &ctx());
    let events = frames(&plan);
    assert_eq!(events.last().unwrap().0, "error");
    let script = Script::new(vec![Step::text("x"), Step::Drop, Step::end_turn(1)]);
    assert_eq!(stream_plan(&script, &ctx()).last(), Some(&Out::Cut));
}

#[test]
fn fold_builds_the_message_and_maps_errors() {
    let script = Script::new(vec![
        Step::Thinking {
            deltas: vec!["hm".into(), "m".into()],
            signature: "sig".into(),
        },
        Step::text("Hello world"),
        Step::tool_use("toolu_1", "f", &[""]),
        Step::tool_use("toolu_2", "g", &["{\"x\":", "[1]}"]),
        Step::Stall(Duration::from_millis(3)),
        Step::stop(StopReason::ToolUse, 9),
    ]);
    let Folded::Message { body, delay } = fold(&script, &ctx()) else {
        panic!("not a message")
    };
    assert_eq!(delay, Duration::from_millis(3));
    assert_eq!(
        body["content"][0],
        json!({"type": "thinking", "thinking": "hmm", "signature": "sig"})
    );
    assert_eq!(body["content"][1]["text"], "Hello world");
    assert_eq!(body["content"][2]["input"], json!({}));
    assert_eq!(body["content"][3]["input"], json!({"x": [1]}));
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(
        (
            body["usage"]["output_tokens"].as_u64(),
            body["usage"]["input_tokens"].as_u64()
        ),
        (Some(9), Some(7))
    );
    let overloaded = Script::new(vec![
        Step::text("x"),
        Step::error_event("overloaded_error", "Overloaded"),
    ]);
    assert!(matches!(
        fold(&overloaded, &ctx()),
        Folded::Error { status: 529, .. }
    ));
    assert_eq!(status_for_kind("rate_limit_error"), 429);
    assert_eq!(status_for_kind("brand_new_error"), 500);
    assert!(matches!(
        fold(&Script::new(vec![Step::Drop]), &ctx()),
        Folded::Cut { .. }
    ));
}

#[test]
fn pace_puts_pauses_before_deltas() {
    let mut c = ctx();
    c.pace = Some(Pace {
        min: Duration::from_millis(5),
        max: Duration::from_millis(20),
        seed: 1,
    });
    let plan = stream_plan(&Script::new(vec![Step::text("a b c")]), &c);
    let pauses: Vec<&Duration> = plan
        .iter()
        .filter_map(|o| match o {
            Out::Pause(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(pauses.len(), 3);
    assert!(pauses.iter().all(|d| (5..=20).contains(&d.as_millis())));
}

#[test]
fn a_pace_step_puts_a_beat_before_every_later_delta() {
    let script = Script::new(vec![
        Step::text("a b"),
        Step::Pace(Duration::from_millis(1)),
        Step::Text(vec!["c".into(), "d".into()]),
        Step::Pace(Duration::ZERO),
        Step::text("e"),
    ]);
    let plan = stream_plan(&script, &ctx());
    let beats = plan.iter().filter(|o| matches!(o, Out::Beat(_))).count();
    assert_eq!(beats, 2);
    assert!(!plan.iter().any(|o| matches!(o, Out::Pause(_))));
    let first = plan.iter().position(|o| matches!(o, Out::Beat(_))).unwrap();
    assert_eq!(plan[first], Out::Beat(Duration::from_millis(1)));
    assert!(matches!(&plan[first + 1], Out::Write(w) if w.contains("\"text\":\"c\"")));
    // Folded, a pace is no delay: only stalls are.
    let Folded::Message { delay, .. } = fold(&script, &ctx()) else {
        panic!("not a message")
    };
    assert_eq!(delay, Duration::ZERO);
}
