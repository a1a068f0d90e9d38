//! The batch state machine: checks, the seeded errors, cancel, expiry.

use super::*;

fn create(b: &mut Batches, n: usize) -> String {
    let requests: Vec<Value> = (0..n)
        .map(|i| json!({"custom_id": format!("r{i}"), "params": {"model": "m"}}))
        .collect();
    let body = serde_json::to_vec(&json!({ "requests": requests })).unwrap();
    let mut answer = |_: &Value| json!({"type": "succeeded", "message": {}});
    match b.create(&body, "http://own", &mut answer) {
        Answer::Json(200, v) => v["id"].as_str().unwrap().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_seed_fixes_which_requests_error_and_the_share_holds() {
    let ids: Vec<String> = (0..2000).map(|i| format!("input-{i}")).collect();
    let errored = |seed| -> Vec<bool> { ids.iter().map(|id| roll(seed, id) < 0.2).collect() };
    assert_eq!(errored(7), errored(7));
    assert_ne!(errored(7), errored(8));
    let share = errored(7).iter().filter(|&&e| e).count() as f64 / 2000.0;
    assert!((share - 0.2).abs() < 0.04, "{share}");
}

#[test]
fn creates_are_checked_like_the_api() {
    let mut b = Batches::default();
    let mut answer = |_: &Value| json!({});
    let cases = [
        (json!({}), "requests: Field required"),
        (json!({"requests": []}), "1 to 100000"),
        (
            json!({"requests": [{"custom_id": "a b", "params": {}}]}),
            "pattern",
        ),
        (
            json!({"requests": [{"custom_id": "a", "params": {}}, {"custom_id": "a", "params": {}}]}),
            "used twice",
        ),
        (
            json!({"requests": [{"custom_id": "a"}]}),
            "params: Field required",
        ),
        (
            json!({"requests": [{"custom_id": "a", "params": {"stream": true}}]}),
            "streaming",
        ),
    ];
    for (body, expected) in cases {
        let bytes = serde_json::to_vec(&body).unwrap();
        match b.create(&bytes, "http://own", &mut answer) {
            Answer::Error(400, "invalid_request_error", m) => {
                assert!(m.contains(expected), "{m}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn cancel_ends_unfinished_requests_canceled_and_results_wait_for_the_end() {
    let mut b = Batches::default();
    b.set_plan(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let id = create(&mut b, 3);
    assert!(matches!(b.results(&id), Answer::Error(400, _, _)));
    let Answer::Json(200, v) = b.retrieve(&id, "http://own") else {
        panic!()
    };
    assert_eq!(v["processing_status"], "in_progress");
    assert_eq!(v["request_counts"]["processing"], 3);
    assert_eq!(v["results_url"], Value::Null);
    let Answer::Json(200, v) = b.cancel(&id, "http://own") else {
        panic!()
    };
    assert_eq!(v["processing_status"], "canceling");
    let Answer::Json(200, v) = b.retrieve(&id, "http://own") else {
        panic!()
    };
    assert_eq!(v["processing_status"], "ended");
    assert_eq!(v["request_counts"]["canceled"], 3);
    assert_eq!(
        v["results_url"],
        format!("http://own/v1/messages/batches/{id}/results")
    );
    let Answer::Jsonl(text) = b.results(&id) else {
        panic!()
    };
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["custom_id"], "r2", "reverse order");
    assert_eq!(lines[0]["result"]["type"], "canceled");
    assert!(matches!(b.retrieve("nope", "x"), Answer::Error(404, _, _)));
}

#[test]
fn unfinished_requests_expire() {
    let mut b = Batches::default();
    b.set_plan(BatchPlan {
        delay: Duration::from_secs(3600),
        expire_after: Some(Duration::ZERO),
        results_origin: Some("http://elsewhere:1/".into()),
        ..BatchPlan::default()
    });
    let id = create(&mut b, 2);
    let Answer::Json(200, v) = b.retrieve(&id, "http://own") else {
        panic!()
    };
    assert_eq!(v["processing_status"], "ended");
    assert_eq!(v["request_counts"]["expired"], 2);
    assert!(
        v["results_url"]
            .as_str()
            .unwrap()
            .starts_with("http://elsewhere:1/v1/")
    );
}
