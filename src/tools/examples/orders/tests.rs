use std::collections::HashSet;

use serde_json::json;

use super::*;

fn ids(result: &Value) -> Vec<&str> {
    result["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect()
}

fn failure(result: Result<Value, Error>) -> String {
    match result {
        Err(Error::Failed(message)) => message,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn the_dataset_is_well_formed() {
    let orders = orders().unwrap();
    assert!((20..=30).contains(&orders.len()), "{}", orders.len());
    let mut seen = HashSet::new();
    for o in orders {
        let id = o["order_id"].as_str().unwrap();
        assert!(seen.insert(id), "duplicate {id}");
        assert!(STATUSES.contains(&o["status"].as_str().unwrap()), "{id}");
        assert!(
            NaiveDate::parse_from_str(date_of(o), "%Y-%m-%d").is_ok(),
            "{id}"
        );
        assert!(
            o["customer"]["email"].as_str().unwrap().contains('@'),
            "{id}"
        );
        // Totals add up: items plus shipping.
        let items: f64 = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["quantity"].as_f64().unwrap() * i["unit_price"].as_f64().unwrap())
            .sum();
        let total = items + o["shipping"]["cost"].as_f64().unwrap();
        assert!((total - o["total"].as_f64().unwrap()).abs() < 0.005, "{id}");
    }
    for status in STATUSES {
        assert!(
            orders.iter().any(|o| o["status"] == status),
            "no {status} order"
        );
    }
}

#[test]
fn lookup_finds_an_order_ignoring_case_and_spaces() {
    let order = lookup_order(&json!({"order_id": " ord-2024-1001 "})).unwrap();
    assert_eq!(order["order_id"], "ORD-2024-1001");
    assert_eq!(order["customer"]["email"], "maria.garcia@example.com");
    assert_eq!(order["status"], "shipped");
    assert!(order["shipping"]["tracking_number"].is_string());
}

#[test]
fn lookup_failures_tell_the_model_what_to_do() {
    let message = failure(lookup_order(&json!({"order_id": "ORD-2024-9999"})));
    assert!(
        message.contains("no order with ID ORD-2024-9999"),
        "{message}"
    );
    assert!(message.contains("search_orders"), "{message}");
    let message = failure(lookup_order(&json!({})));
    assert!(message.contains("order_id is required"), "{message}");
    let message = failure(lookup_order(&json!({"order_id": "ORD-2024-1001", "x": 1})));
    assert!(message.contains("unknown field \"x\""), "{message}");
    let message = failure(lookup_order(&json!(["ORD-2024-1001"])));
    assert!(message.contains("must be a JSON object"), "{message}");
}

#[test]
fn search_by_email_is_case_insensitive_and_newest_first() {
    let result = search_orders(&json!({"email": "Maria.Garcia@Example.com"})).unwrap();
    assert_eq!(
        ids(&result),
        [
            "ORD-2025-1829",
            "ORD-2024-1383",
            "ORD-2024-1139",
            "ORD-2024-1001"
        ]
    );
    assert_eq!(result["count"], 4);
    let first = &result["orders"][0];
    assert_eq!(first["status"], "shipped");
    assert_eq!(first["customer_email"], "maria.garcia@example.com");
    assert!(first["item_count"].as_u64().unwrap() >= 1);
}

#[test]
fn filters_combine() {
    let result =
        search_orders(&json!({"email": "maria.garcia@example.com", "status": "shipped"})).unwrap();
    assert_eq!(
        ids(&result),
        ["ORD-2025-1829", "ORD-2024-1383", "ORD-2024-1001"]
    );
    let result = search_orders(&json!({"status": "pending"})).unwrap();
    assert_eq!(result["count"], 5);
    assert!(
        result["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "pending")
    );
}

#[test]
fn date_ranges_are_inclusive() {
    let result =
        search_orders(&json!({"date_from": "2025-03-05", "date_to": "2025-03-06"})).unwrap();
    let mut got = ids(&result);
    got.sort_unstable();
    assert_eq!(got, ["ORD-2025-1054", "ORD-2025-1765", "ORD-2025-1781"]);
    let result = search_orders(&json!({"date_to": "2024-09-21"})).unwrap();
    assert_eq!(ids(&result), ["ORD-2024-1088", "ORD-2024-1001"]);
    let result = search_orders(&json!({"date_from": "2025-04-02"})).unwrap();
    assert_eq!(ids(&result), ["ORD-2025-1896", "ORD-2025-1878"]);
}

#[test]
fn no_match_is_a_result_with_a_note() {
    let result = search_orders(&json!({"email": "nobody@example.com"})).unwrap();
    assert_eq!(result["count"], 0);
    assert!(result["note"].as_str().unwrap().contains("no orders match"));
}

#[test]
fn bad_filters_are_refused_with_a_reason() {
    let cases = [
        (json!({"status": "lost"}), "unknown status \"lost\""),
        (
            json!({"date_from": "2024/01/01"}),
            "not a date in YYYY-MM-DD format",
        ),
        (
            json!({"date_from": "2025-02-01", "date_to": "2025-01-01"}),
            "is after date_to",
        ),
        (json!({"customer": "x"}), "unknown filter \"customer\""),
        (json!({"email": 5}), "email must be a string"),
    ];
    for (input, fragment) in cases {
        let message = failure(search_orders(&input));
        assert!(message.contains(fragment), "{input}: {message}");
    }
    assert!(matches!(
        run("refund", &json!({})),
        Err(Error::UnknownTool(_))
    ));
}
