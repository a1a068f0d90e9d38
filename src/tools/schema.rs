//! Input schemas: compiled once, checked on every call, failures said so a model can fix them.
//!
//! A tool's `input_schema` is compiled when the registry is built (and when the config is
//! loaded, so a broken schema in a file is reported with its line). Compilation checks the
//! schema against its meta-schema (draft 2020-12 unless `$schema` says otherwise), refuses
//! external `$ref`s (nothing is fetched: the crate's resolvers are compiled out), and
//! requires what the Messages API requires of a tool: an object schema (`"type": "object"`).
//! Formats (`date`, `email`, ...) are asserted, not just annotations, because a model that
//! sends `2024/03/01` for a `date` should be told, not have the tool guess.
//!
//! A failed check becomes one [`InvalidInput`]: the JSON pointer of the first offending
//! value and a message naming what was expected. Up to [`MORE_ERRORS`] further problems are
//! appended, so a model fixes them all in one retry instead of one per round trip.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::InvalidInput;

/// Further errors listed after the first one.
pub const MORE_ERRORS: usize = 3;
/// Messages quote the offending value; a long one is cut so a 1 MiB string that fails
/// `maxLength` does not come back to the model whole.
const MAX_MESSAGE_CHARS: usize = 300;

/// A compiled input schema.
pub struct Schema {
    validator: Validator,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schema { .. }")
    }
}

impl Schema {
    /// Compiles `schema`, or says in one line why it cannot be a tool's input schema.
    pub fn compile(schema: &Value) -> Result<Schema, String> {
        let Some(object) = schema.as_object() else {
            return Err(format!(
                "an input schema must be a JSON object, got {}",
                json_kind(schema)
            ));
        };
        match object.get("type") {
            Some(Value::String(t)) if t == "object" => {}
            Some(other) => {
                return Err(format!(
                    "an input schema must have \"type\": \"object\", got \"type\": {other}"
                ));
            }
            None => return Err("an input schema must have \"type\": \"object\"".into()),
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .map_err(|e| format!("invalid JSON schema: {}", clip(&e.to_string())))?;
        Ok(Schema { validator })
    }

    /// Checks `input`; the error names the first offending field and lists a few more.
    pub fn validate(&self, input: &Value) -> Result<(), InvalidInput> {
        let mut errors = self.validator.iter_errors(input);
        let Some(first) = errors.next() else {
            return Ok(());
        };
        let (pointer, mut message) = describe(&first);
        let rest: Vec<String> = errors
            .take(MORE_ERRORS)
            .map(|e| {
                let (p, m) = describe(&e);
                if p.is_empty() { m } else { format!("{p}: {m}") }
            })
            .collect();
        if !rest.is_empty() {
            message.push_str("; also ");
            message.push_str(&rest.join("; "));
        }
        Err(InvalidInput { pointer, message })
    }
}

/// The pointer and message of one error. An unexpected property is pointed at itself, not
/// at the object holding it, so a UI can highlight the field the model should drop.
fn describe(error: &ValidationError<'_>) -> (String, String) {
    let mut pointer = error.instance_path().as_str().to_owned();
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } if unexpected.len() == 1 => {
            pointer.push('/');
            pointer.push_str(&escape_pointer(&unexpected[0]));
            format!(
                "property {:?} is not allowed here (the schema lists the allowed properties)",
                unexpected[0]
            )
        }
        _ => clip(&error.to_string()),
    };
    (pointer, message)
}

/// RFC 6901: `~` and `/` inside a key are written `~0` and `~1`.
fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn clip(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    format!("{cut}...")
}

/// What kind of JSON value `value` is, with its article, for "expected ..., got ..."
/// messages (also the extraction schema's).
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn order_schema() -> Schema {
        let schema = json!({
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "pattern": "^ORD-"},
                "items": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"qty": {"type": "integer", "minimum": 1}},
                    "required": ["qty"]
                }},
                "date": {"type": "string", "format": "date"}
            },
            "required": ["order_id"],
            "additionalProperties": false
        });
        match Schema::compile(&schema) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn valid_input_passes() {
        let schema = order_schema();
        let input = json!({"order_id": "ORD-1", "items": [{"qty": 2}], "date": "2024-03-01"});
        assert_eq!(schema.validate(&input), Ok(()));
    }

    #[test]
    fn errors_point_at_the_offending_value() {
        let schema = order_schema();
        let err = schema
            .validate(&json!({"order_id": "ORD-1", "items": [{"qty": 1}, {"qty": "two"}]}))
            .unwrap_err();
        assert_eq!(err.pointer, "/items/1/qty");
        assert!(
            err.message.contains("\"two\" is not of type \"integer\""),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("/items/1/qty: {}", err.message),
            "Display puts the pointer first"
        );
    }

    #[test]
    fn missing_required_names_the_property() {
        let err = order_schema().validate(&json!({})).unwrap_err();
        assert_eq!(err.pointer, "");
        assert!(
            err.message.contains("\"order_id\" is a required property"),
            "{err}"
        );
    }

    #[test]
    fn unexpected_property_is_pointed_at_itself() {
        let err = order_schema()
            .validate(&json!({"order_id": "ORD-1", "a/b": 1}))
            .unwrap_err();
        assert_eq!(err.pointer, "/a~1b");
        assert!(err.message.contains("\"a/b\" is not allowed"), "{err}");
    }

    #[test]
    fn formats_are_asserted() {
        let err = order_schema()
            .validate(&json!({"order_id": "ORD-1", "date": "2024/03/01"}))
            .unwrap_err();
        assert_eq!(err.pointer, "/date");
        assert!(err.message.contains("date"), "{err}");
    }

    #[test]
    fn several_errors_are_listed_after_the_first() {
        let err = order_schema()
            .validate(&json!({"order_id": 7, "items": [{"qty": 0}]}))
            .unwrap_err();
        // The order of the errors is the crate's; both must be there, in one message.
        let text = err.to_string();
        assert!(text.contains("; also "), "{err}");
        assert!(text.contains("/items/0/qty"), "{err}");
        assert!(text.contains("/order_id"), "{err}");
    }

    #[test]
    fn long_values_are_clipped_in_messages() {
        let schema = Schema::compile(&json!({
            "type": "object",
            "properties": {"s": {"type": "string", "maxLength": 3}}
        }))
        .unwrap();
        let err = schema
            .validate(&json!({"s": "x".repeat(10_000)}))
            .unwrap_err();
        assert!(
            err.message.chars().count() <= MAX_MESSAGE_CHARS + 3,
            "{err}"
        );
    }

    #[test]
    fn bad_schemas_are_refused_with_a_reason() {
        let cases = [
            (json!("nope"), "must be a JSON object, got a string"),
            (json!({"properties": {}}), "must have \"type\": \"object\""),
            (json!({"type": "array"}), "got \"type\": \"array\""),
            (
                json!({"type": "object", "properties": {"a": {"type": "strnig"}}}),
                "invalid JSON schema",
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}),
                "invalid JSON schema",
            ),
        ];
        for (schema, fragment) in cases {
            let err = Schema::compile(&schema).unwrap_err();
            assert!(err.contains(fragment), "{schema}: {err}");
        }
    }
}
