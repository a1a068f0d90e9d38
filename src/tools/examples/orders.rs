//! The order-management example: `lookup_order` and `search_orders` over a bundled dataset.
//!
//! This is the example from the product brief, made runnable: 25 orders of a small
//! electronics shop (`assets/tools/orders.json`, embedded), served by the hidden
//! `chatterm tool-example orders TOOL` subcommand. `assets/tools/orders.toml` is the
//! `[[tools.command]]` snippet users paste into their config; `config::orders_example` reads
//! that same snippet, so the demo and the documented config cannot drift apart.
//!
//! The functions take the input as JSON and check it themselves (IDs are matched without
//! regard to case, filters combine with AND, dates are inclusive), because a command tool
//! can be run by hand, outside the registry's schema check.

use std::sync::OnceLock;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

/// The dataset.
pub const ORDERS_JSON: &str = include_str!("../../../assets/tools/orders.json");
/// The config snippet with both tools and their input schemas.
pub const CONFIG_TOML: &str = include_str!("../../../assets/tools/orders.toml");
/// The tools this example serves.
pub const TOOL_NAMES: [&str; 2] = ["lookup_order", "search_orders"];
/// Statuses an order can have, in lifecycle order.
pub const STATUSES: [&str; 4] = ["pending", "shipped", "delivered", "cancelled"];
const FILTERS: [&str; 4] = ["email", "status", "date_from", "date_to"];

/// Why a call gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// No such tool in this example (a usage error).
    UnknownTool(String),
    /// The tool ran and refused the input or found nothing: a message for the model.
    Failed(String),
}

/// Runs `tool` on `input`.
pub fn run(tool: &str, input: &Value) -> Result<Value, Error> {
    match tool {
        "lookup_order" => lookup_order(input),
        "search_orders" => search_orders(input),
        _ => Err(Error::UnknownTool(format!(
            "unknown tool {tool:?} in the orders example (known: {})",
            TOOL_NAMES.join(", ")
        ))),
    }
}

/// The full order with the given `order_id`.
pub fn lookup_order(input: &Value) -> Result<Value, Error> {
    let fields = object(input)?;
    if let Some(key) = fields.keys().find(|k| *k != "order_id") {
        return Err(failed(format!(
            "unknown field {key:?}: lookup_order takes only order_id"
        )));
    }
    let Some(id) = fields.get("order_id").and_then(Value::as_str) else {
        return Err(failed(
            "order_id is required, as a string like \"ORD-2024-1234\"",
        ));
    };
    let wanted = id.trim().to_ascii_uppercase();
    orders()?
        .iter()
        .find(|o| o["order_id"].as_str() == Some(wanted.as_str()))
        .cloned()
        .ok_or_else(|| {
            failed(format!(
                "no order with ID {wanted}. Order IDs look like ORD-2024-1234; if the user \
                 does not know the ID, find their orders with search_orders by email"
            ))
        })
}

/// A summary of every order matching all the given filters, newest first.
pub fn search_orders(input: &Value) -> Result<Value, Error> {
    let filter = Filter::parse(object(input)?)?;
    let mut matches: Vec<&Value> = orders()?.iter().filter(|o| filter.matches(o)).collect();
    matches.sort_by(|a, b| date_of(b).cmp(date_of(a)));
    let summaries: Vec<Value> = matches.iter().map(|o| summary(o)).collect();
    let mut result = json!({ "count": summaries.len(), "orders": summaries });
    if matches.is_empty() {
        result["note"] = json!("no orders match all of these filters; try fewer filters");
    }
    Ok(result)
}

struct Filter {
    email: Option<String>,
    status: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Filter {
    fn parse(fields: &Map<String, Value>) -> Result<Filter, Error> {
        if let Some(key) = fields.keys().find(|k| !FILTERS.contains(&k.as_str())) {
            return Err(failed(format!(
                "unknown filter {key:?} (the filters are: {})",
                FILTERS.join(", ")
            )));
        }
        let text = |name: &str| -> Result<Option<String>, Error> {
            match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                Some(other) => Err(failed(format!("{name} must be a string, got {other}"))),
            }
        };
        let status = text("status")?.map(|s| s.to_ascii_lowercase());
        if let Some(s) = &status
            && !STATUSES.contains(&s.as_str())
        {
            return Err(failed(format!(
                "unknown status {s:?} (one of: {})",
                STATUSES.join(", ")
            )));
        }
        let date = |name: &str| -> Result<Option<NaiveDate>, Error> {
            text(name)?
                .map(|s| {
                    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
                        failed(format!("{name} {s:?} is not a date in YYYY-MM-DD format"))
                    })
                })
                .transpose()
        };
        let (from, to) = (date("date_from")?, date("date_to")?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(failed(format!("date_from {f} is after date_to {t}")));
        }
        Ok(Filter {
            email: text("email")?.map(|e| e.to_ascii_lowercase()),
            status,
            from,
            to,
        })
    }

    fn matches(&self, order: &Value) -> bool {
        let email = order["customer"]["email"].as_str().unwrap_or_default();
        let date = NaiveDate::parse_from_str(date_of(order), "%Y-%m-%d").ok();
        self.email
            .as_ref()
            .is_none_or(|e| email.eq_ignore_ascii_case(e))
            && self
                .status
                .as_ref()
                .is_none_or(|s| order["status"].as_str() == Some(s))
            && self.from.is_none_or(|f| date.is_some_and(|d| d >= f))
            && self.to.is_none_or(|t| date.is_some_and(|d| d <= t))
    }
}

fn summary(order: &Value) -> Value {
    let items = order["items"].as_array().map_or(0, |items| {
        items
            .iter()
            .map(|i| i["quantity"].as_u64().unwrap_or(1))
            .sum::<u64>()
    });
    json!({
        "order_id": order["order_id"],
        "created_at": order["created_at"],
        "status": order["status"],
        "customer_email": order["customer"]["email"],
        "total": order["total"],
        "currency": order["currency"],
        "item_count": items,
    })
}

fn date_of(order: &Value) -> &str {
    order["created_at"].as_str().unwrap_or_default()
}

fn object(input: &Value) -> Result<&Map<String, Value>, Error> {
    input
        .as_object()
        .ok_or_else(|| failed(format!("the input must be a JSON object, got {input}")))
}

fn failed(message: impl Into<String>) -> Error {
    Error::Failed(message.into())
}

/// The dataset, parsed once. It is embedded and checked by a test, so the error branch is
/// for a broken build only; it still becomes a message, not a panic.
fn orders() -> Result<&'static [Value], Error> {
    static ORDERS: OnceLock<Result<Vec<Value>, String>> = OnceLock::new();
    let parsed = ORDERS.get_or_init(|| {
        let mut data: Value = serde_json::from_str(ORDERS_JSON).map_err(|e| e.to_string())?;
        match data.get_mut("orders").map(Value::take) {
            Some(Value::Array(orders)) => Ok(orders),
            _ => Err("the dataset has no \"orders\" array".to_owned()),
        }
    });
    match parsed {
        Ok(orders) => Ok(orders),
        Err(e) => Err(failed(format!("the bundled order data is broken: {e}"))),
    }
}

#[cfg(test)]
mod tests;
