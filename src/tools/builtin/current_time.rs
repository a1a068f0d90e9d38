//! `current_time`: the date and time now, in UTC and in the machine's local zone.

use chrono::{Local, SecondsFormat, Utc};
use serde_json::json;

use crate::tools::{Approval, ToolOutput, ToolSpec};

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "current_time".into(),
        description: "Get the current date and time, in UTC and in the user's local time zone \
            (ISO 8601), with the weekday and Unix time. Use this whenever the answer depends \
            on today's date or the time now: you do not otherwise know it."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {},
            "additionalProperties": false
        }),
        approval: Approval::Never,
    }
}

pub fn run() -> ToolOutput {
    let utc = Utc::now();
    let local = utc.with_timezone(&Local);
    let value = json!({
        "utc": utc.to_rfc3339_opts(SecondsFormat::Secs, true),
        "local": local.to_rfc3339_opts(SecondsFormat::Secs, false),
        "utc_offset": local.format("%:z").to_string(),
        "weekday": local.format("%A").to_string(),
        "unix_seconds": utc.timestamp(),
    });
    ToolOutput::ok(serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()))
}
