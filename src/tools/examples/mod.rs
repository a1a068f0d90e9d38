//! Example command tools that ship inside the binary, so they run on any machine.
//!
//! An example is reached as `chatterm tool-example EXAMPLE TOOL` (a hidden subcommand):
//! it reads the input JSON on stdin and prints the result, exactly the contract of a
//! `[[tools.command]]` program, which is what makes it a fair demo of that feature. The
//! binary only forwards its streams to [`run_stdio`]; the logic lives here to be tested.
//!
//! Exit codes: 0 with the result on stdout; 1 when the tool ran and failed (unknown order,
//! bad filter), with the reason on stderr; 2 for a usage error (unknown example or tool,
//! input that is not JSON).

use std::io::{Read, Write};

use serde_json::Value;

pub mod orders;

/// The examples `chatterm tool-example` knows.
pub const EXAMPLES: &[&str] = &["orders"];

/// Runs one example tool over the given streams and returns the process exit code.
pub fn run_stdio(
    example: &str,
    tool: &str,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let mut text = String::new();
    if let Err(e) = stdin.read_to_string(&mut text) {
        let _ = writeln!(stderr, "cannot read the input: {e}");
        return 2;
    }
    // An empty stdin means "no arguments", as for a tool whose schema has no properties.
    let input: Value = if text.trim().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(stderr, "the input is not valid JSON: {e}");
                return 2;
            }
        }
    };
    let result = match example {
        "orders" => orders::run(tool, &input),
        _ => {
            let _ = writeln!(
                stderr,
                "unknown example {example:?} (known: {})",
                EXAMPLES.join(", ")
            );
            return 2;
        }
    };
    match result {
        Ok(value) => {
            let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
            match writeln!(stdout, "{text}") {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
        Err(orders::Error::UnknownTool(message)) => {
            let _ = writeln!(stderr, "{message}");
            2
        }
        Err(orders::Error::Failed(message)) => {
            let _ = writeln!(stderr, "{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(example: &str, tool: &str, input: &str) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_stdio(example, tool, &mut input.as_bytes(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn a_lookup_prints_the_order_as_json() {
        let (code, out, err) = call("orders", "lookup_order", r#"{"order_id":"ORD-2024-1001"}"#);
        assert_eq!((code, err.as_str()), (0, ""));
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["order_id"], "ORD-2024-1001");
    }

    #[test]
    fn failures_and_usage_errors_have_their_exit_codes() {
        let (code, out, err) = call("orders", "lookup_order", r#"{"order_id":"ORD-2024-0000"}"#);
        assert_eq!((code, out.as_str()), (1, ""));
        assert!(err.contains("no order with ID ORD-2024-0000"), "{err}");
        let (code, _, err) = call("orders", "cancel_order", "{}");
        assert_eq!(code, 2);
        assert!(err.contains("unknown tool \"cancel_order\""), "{err}");
        let (code, _, err) = call("pets", "x", "{}");
        assert_eq!(code, 2);
        assert!(err.contains("unknown example \"pets\""), "{err}");
        let (code, _, err) = call("orders", "search_orders", "{nope");
        assert_eq!(code, 2);
        assert!(err.contains("not valid JSON"), "{err}");
    }

    #[test]
    fn empty_input_means_no_filters() {
        let (code, out, _) = call("orders", "search_orders", "");
        assert_eq!(code, 0);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["count"], 25);
    }
}
