use serde_json::json;

use super::*;

fn ev(data: Value) -> StreamEvent {
    let name = data["type"].as_str().unwrap_or_default().to_owned();
    StreamEvent::parse(&name, &data.to_string()).unwrap()
}

fn message_start() -> StreamEvent {
    ev(
        json!({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",
        "model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,
        "usage":{"input_tokens":14,"cache_read_input_tokens":3120,"output_tokens":1}}}),
    )
}

fn block_start(index: usize, block: Value) -> StreamEvent {
    ev(json!({"type":"content_block_start","index":index,"content_block":block}))
}

fn delta(index: usize, delta: Value) -> StreamEvent {
    ev(json!({"type":"content_block_delta","index":index,"delta":delta}))
}

fn text(index: usize, t: &str) -> StreamEvent {
    delta(index, json!({"type":"text_delta","text":t}))
}

fn json_delta(index: usize, partial: &str) -> StreamEvent {
    delta(
        index,
        json!({"type":"input_json_delta","partial_json":partial}),
    )
}

fn stop(index: usize) -> StreamEvent {
    ev(json!({"type":"content_block_stop","index":index}))
}

fn message_delta(stop_reason: Option<&str>, usage: Value) -> StreamEvent {
    ev(
        json!({"type":"message_delta","delta":{"stop_reason":stop_reason,"stop_sequence":null},
        "usage":usage}),
    )
}

fn tool(id: &str) -> Value {
    json!({"type":"tool_use","id":id,"name":"f","input":{}})
}

/// Applies events, returning the updates; panics on the first error.
fn run(acc: &mut Accumulator, events: Vec<StreamEvent>) -> Vec<StreamUpdate> {
    let mut out = Vec::new();
    for e in events {
        acc.apply(e, &mut out).unwrap();
    }
    out
}

fn protocol_error(events: Vec<StreamEvent>) -> String {
    let mut acc = Accumulator::new();
    let mut out = Vec::new();
    for e in events {
        if let Err(err) = acc.apply(e, &mut out) {
            let StreamError::Protocol(msg) = err else {
                panic!("expected a protocol error, got {err:?}");
            };
            return msg;
        }
    }
    panic!("no error");
}

#[test]
fn text_stream_folds_and_reports_each_step() {
    let mut acc = Accumulator::new();
    let out = run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"text","text":""})),
            StreamEvent::Ping,
            text(0, "Lyon is"),
            text(0, " in France."),
            stop(0),
            message_delta(Some("end_turn"), json!({"output_tokens":8})),
            ev(json!({"type":"message_stop"})),
        ],
    );
    assert!(acc.is_complete() && acc.has_content());
    let m = acc.finish();
    assert_eq!(m.text(), "Lyon is in France.");
    assert_eq!(
        (m.id.as_str(), m.model.as_str()),
        ("msg_1", "claude-sonnet-4-6")
    );
    assert_eq!(m.stop_reason, Some(StopReason::EndTurn));
    // Cumulative usage replaces: 8 output tokens, not 9; input fields kept.
    assert_eq!(
        (m.usage.input_tokens, m.usage.cache_read_input_tokens),
        (14, 3120)
    );
    assert_eq!(m.usage.output_tokens, 8);
    let kinds: Vec<&str> = out
        .iter()
        .map(|u| match u {
            StreamUpdate::Started { .. } => "started",
            StreamUpdate::Usage(_) => "usage",
            StreamUpdate::BlockStarted { .. } => "block",
            StreamUpdate::TextDelta { .. } => "text",
            StreamUpdate::BlockFinished { .. } => "finished-block",
            StreamUpdate::Finished { .. } => "finished",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "started",
            "usage",
            "block",
            "text",
            "text",
            "finished-block",
            "usage",
            "finished"
        ]
    );
    assert_eq!(
        out[3],
        StreamUpdate::TextDelta {
            index: 0,
            text: "Lyon is".into()
        }
    );
}

#[test]
fn tool_inputs_are_parsed_at_stop_and_empty_means_empty_object() {
    let mut acc = Accumulator::new();
    let out = run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, tool("toolu_a")),
            json_delta(0, ""),
            json_delta(0, "{\"city\": \"Ly"),
            json_delta(0, "on\"}"),
            stop(0),
            block_start(1, tool("toolu_b")),
            json_delta(1, ""),
            stop(1),
            block_start(2, tool("toolu_c")),
            stop(2),
        ],
    );
    assert!(out.contains(&StreamUpdate::ToolInputDelta {
        index: 0,
        id: "toolu_a".into(),
        partial_json: "{\"city\": \"Ly".into()
    }));
    let inputs: Vec<Value> = acc.finish().tool_uses().map(|t| t.input.clone()).collect();
    assert_eq!(inputs, [json!({"city":"Lyon"}), json!({}), json!({})]);
}

#[test]
fn tool_input_preview_grows_while_streaming() {
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, tool("toolu_a")),
            json_delta(0, "{\"path\": \"/tmp/fi"),
        ],
    );
    assert_eq!(acc.tool_input_preview(0), Some(json!({"path":"/tmp/fi"})));
    run(&mut acc, vec![json_delta(0, "le\", \"n\": 3}"), stop(0)]);
    assert_eq!(
        acc.tool_input_preview(0),
        Some(json!({"path":"/tmp/file","n":3}))
    );
    assert_eq!(acc.tool_input_preview(5), None);
}

#[test]
fn invalid_tool_json_is_kept_raw_and_reported() {
    let mut acc = Accumulator::new();
    let out = run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, tool("toolu_a")),
            json_delta(0, "{\"a\": tru"),
            stop(0),
            block_start(1, tool("toolu_b")),
            json_delta(1, "[1, 2]"),
            stop(1),
        ],
    );
    let n = out.len();
    assert!(
        matches!(&out[n - 6], StreamUpdate::ToolInputInvalid { index: 0, id, .. } if id == "toolu_a")
    );
    assert!(matches!(
        &out[n - 5],
        StreamUpdate::BlockFinished { index: 0, .. }
    ));
    assert!(matches!(
        &out[n - 2],
        StreamUpdate::ToolInputInvalid { index: 1, .. }
    ));
    let inputs: Vec<Value> = acc.finish().tool_uses().map(|t| t.input.clone()).collect();
    assert_eq!(
        inputs,
        [
            json!({"INVALID_JSON": "{\"a\": tru"}),
            json!({"INVALID_JSON": "[1, 2]"})
        ]
    );
}

#[test]
fn thinking_appends_and_signature_is_set_not_appended() {
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"thinking","thinking":"","signature":""})),
            delta(0, json!({"type":"thinking_delta","thinking":"User "})),
            delta(0, json!({"type":"thinking_delta","thinking":"wants..."})),
            delta(0, json!({"type":"signature_delta","signature":"old"})),
            delta(0, json!({"type":"signature_delta","signature":"EqQB"})),
            stop(0),
        ],
    );
    let ContentBlock::Thinking(t) = &acc.message().content[0] else {
        panic!("not thinking");
    };
    assert_eq!(
        (t.thinking.as_str(), t.signature.as_str()),
        ("User wants...", "EqQB")
    );
}

#[test]
fn citations_push_and_server_tool_inputs_are_parsed() {
    let mut acc = Accumulator::new();
    let cite = json!({"type":"web_search_result_location","url":"u","cited_text":"c"});
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(
                0,
                json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}),
            ),
            json_delta(0, "{\"query\":"),
            json_delta(0, "\"lyon\"}"),
            stop(0),
            block_start(1, json!({"type":"text","text":""})),
            delta(1, json!({"type":"citations_delta","citation":cite})),
            delta(1, json!({"type":"citations_delta","citation":cite})),
            text(1, "x"),
            stop(1),
        ],
    );
    let m = acc.finish();
    assert_eq!(
        m.content[0],
        ContentBlock::Other(
            json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"lyon"}})
        )
    );
    let ContentBlock::Text(t) = &m.content[1] else {
        panic!("not text");
    };
    assert_eq!(t.citations.as_deref(), Some(&[cite.clone(), cite][..]));
}

#[test]
fn unknown_events_deltas_and_block_types_are_tolerated() {
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            StreamEvent::Unknown("telemetry".into()),
            block_start(0, json!({"type":"hologram","frames":[]})),
            delta(0, json!({"type":"hologram_delta","x":1})),
            text(0, "ignored: an unknown block's deltas"),
            stop(0),
            block_start(1, json!({"type":"text","text":""})),
            delta(1, json!({"type":"sparkle_delta"})),
            stop(1),
        ],
    );
    assert_eq!(
        acc.message().content[0],
        ContentBlock::Other(json!({"type":"hologram","frames":[]}))
    );
}

#[test]
fn usage_is_replaced_by_each_message_delta_never_added() {
    let mut acc = Accumulator::new();
    let out = run(
        &mut acc,
        vec![
            message_start(),
            message_delta(None, json!({"output_tokens":5})),
            message_delta(
                Some("tool_use"),
                json!({"output_tokens":9,"input_tokens":20}),
            ),
            message_delta(None, json!({"output_tokens":11})),
        ],
    );
    let usages: Vec<(u64, u64)> = out
        .iter()
        .filter_map(|u| match u {
            StreamUpdate::Usage(u) => Some((u.input_tokens, u.output_tokens)),
            _ => None,
        })
        .collect();
    assert_eq!(usages, [(14, 1), (14, 5), (20, 9), (20, 11)]);
    // A usage-only delta does not erase the stop reason.
    assert_eq!(acc.message().stop_reason, Some(StopReason::ToolUse));
}

#[test]
fn error_event_is_an_api_error() {
    let mut acc = Accumulator::new();
    let err = acc
        .apply(
            ev(json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(matches!(err, StreamError::Api(e) if e.kind == "overloaded_error"));
}

#[test]
fn protocol_violations_are_precise_errors() {
    let stop_msg = || ev(json!({"type":"message_stop"}));
    let text_block = || block_start(0, json!({"type":"text","text":""}));
    let cases = [
        (vec![text_block()], "before message_start"),
        (
            vec![message_start(), message_start()],
            "second message_start",
        ),
        (vec![message_start(), text(0, "x")], "never started"),
        (vec![message_start(), stop(3)], "never started"),
        (
            vec![message_start(), text_block(), stop(0), text(0, "x")],
            "already stopped",
        ),
        (
            vec![message_start(), text_block(), stop(0), stop(0)],
            "already stopped",
        ),
        (
            vec![message_start(), text_block(), text_block()],
            "already started",
        ),
        (
            vec![message_start(), block_start(1, tool("t"))],
            "expected block 0",
        ),
        (
            vec![message_start(), text_block(), json_delta(0, "{}")],
            "a `text` block",
        ),
        (
            vec![message_start(), block_start(0, tool("t")), text(0, "x")],
            "text_delta for block 0, a `tool_use` block",
        ),
        (
            vec![message_start(), stop_msg(), text(0, "x")],
            "after message_stop",
        ),
        (
            vec![message_start(), stop_msg(), stop_msg()],
            "after message_stop",
        ),
    ];
    for (events, want) in cases {
        let msg = protocol_error(events);
        assert!(msg.contains(want), "{msg:?} should mention {want:?}");
    }
}

#[test]
fn message_stop_closes_blocks_left_open() {
    let mut acc = Accumulator::new();
    let out = run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, tool("t")),
            json_delta(0, "{\"a\":1}"),
            ev(json!({"type":"message_stop"})),
        ],
    );
    assert!(matches!(
        out[out.len() - 2],
        StreamUpdate::BlockFinished { index: 0, .. }
    ));
    assert_eq!(acc.finish().content.len(), 1);
}

#[test]
fn partial_message_keeps_finished_blocks_and_unfinished_text_only() {
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"thinking","thinking":"","signature":""})),
            delta(0, json!({"type":"thinking_delta","thinking":"hm"})),
            stop(0),
            block_start(1, json!({"type":"text","text":""})),
            text(1, "Half an ans"),
            block_start(2, tool("toolu_x")),
            json_delta(2, "{\"a\""),
            block_start(3, json!({"type":"thinking","thinking":"","signature":""})),
            message_delta(Some("end_turn"), json!({"output_tokens":3})),
        ],
    );
    let m = acc.into_partial();
    assert_eq!(m.content.len(), 2);
    assert!(matches!(&m.content[0], ContentBlock::Thinking(t) if t.thinking == "hm"));
    assert_eq!(m.text(), "Half an ans");
    assert_eq!(m.stop_reason, None);
    assert_eq!(m.usage.output_tokens, 3);
}

#[test]
fn an_empty_block_start_is_content_but_not_visible() {
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"text","text":""})),
            text(0, ""),
        ],
    );
    assert!(acc.has_content() && !acc.has_visible_content());
    run(&mut acc, vec![text(0, "Hi")]);
    assert!(acc.has_visible_content());

    // A tool call shows nothing until its input does; a signature alone shows nothing.
    let mut acc = Accumulator::new();
    run(&mut acc, vec![message_start(), block_start(0, tool("t1"))]);
    assert!(!acc.has_visible_content());
    run(&mut acc, vec![json_delta(0, "{\"a\"")]);
    assert!(acc.has_visible_content());
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"thinking","thinking":""})),
            delta(0, json!({"type":"signature_delta","signature":"s"})),
        ],
    );
    assert!(!acc.has_visible_content());
    // A block that closes, even empty, is shown (a tool call with no input is complete).
    run(&mut acc, vec![stop(0)]);
    assert!(acc.has_visible_content());

    // Blocks that arrive whole are visible at once.
    let mut acc = Accumulator::new();
    run(
        &mut acc,
        vec![
            message_start(),
            block_start(0, json!({"type":"redacted_thinking","data":"x"})),
        ],
    );
    assert!(acc.has_visible_content());
}
