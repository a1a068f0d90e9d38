use super::*;
use serde_json::json;

fn roundtrip(v: Value) -> Value {
    let block: ContentBlock = serde_json::from_value(v).unwrap();
    serde_json::to_value(&block).unwrap()
}

#[test]
fn every_known_block_round_trips_with_unknown_fields() {
    for v in [
        json!({"type":"text","text":"hi","future":1}),
        json!({"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}),
        json!({"type":"tool_use","id":"t1","name":"f","input":{"a":1},"caller":{"x":1}}),
        json!({"type":"tool_result","tool_use_id":"t1","content":"ok","is_error":true}),
        json!({"type":"thinking","thinking":"hm","signature":"EqQB=="}),
        json!({"type":"redacted_thinking","data":"zzz"}),
        json!({"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"u"}]}),
        json!({"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"q":"x"}}),
        json!({"type":"brand_new_block","whatever":[1,2,3]}),
    ] {
        assert_eq!(roundtrip(v.clone()), v);
    }
}

#[test]
fn odd_shapes_of_known_types_are_kept_not_rejected() {
    let v = json!({"type":"text","text":42});
    let block: ContentBlock = serde_json::from_value(v.clone()).unwrap();
    assert!(matches!(block, ContentBlock::Other(_)));
    assert_eq!(serde_json::to_value(&block).unwrap(), v);
}

#[test]
fn string_content_is_accepted_and_written_as_blocks() {
    let m: Message = serde_json::from_value(json!({"role":"user","content":"hey"})).unwrap();
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"role":"user","content":[{"type":"text","text":"hey"}]})
    );
}

#[test]
fn delta_usage_replaces_and_never_adds() {
    let mut u: Usage = serde_json::from_value(json!({
        "input_tokens": 14, "cache_read_input_tokens": 3120, "output_tokens": 1,
        "cache_creation_input_tokens": null
    }))
    .unwrap();
    u.apply_delta(&DeltaUsage {
        output_tokens: Some(8),
        ..DeltaUsage::default()
    });
    assert_eq!(
        (u.input_tokens, u.cache_read_input_tokens, u.output_tokens),
        (14, 3120, 8)
    );
    u.apply_delta(&DeltaUsage {
        output_tokens: Some(9),
        input_tokens: Some(20),
        ..DeltaUsage::default()
    });
    assert_eq!((u.input_tokens, u.output_tokens), (20, 9));
}

#[test]
fn unknown_stop_reason_is_kept_by_name() {
    let r: StopReason = serde_json::from_value(json!("brand_new")).unwrap();
    assert_eq!(r, StopReason::Other("brand_new".into()));
    assert_eq!(serde_json::to_value(&r).unwrap(), json!("brand_new"));
}
