//! A user's JSON Schema, ready for extraction: the full schema for local validation, the
//! API's subset for the request, and the compiled validator.
//!
//! Loading checks everything that can be checked before a request is sent: the file
//! reads and parses, the root is an object, and the schema compiles (which also rejects
//! external `$ref`s: nothing is fetched). Validation uses the full schema with `format`
//! checked too, because the point of the local check is to enforce what the API could not.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::strip::{Stripped, prepare_for_api};
use crate::tools::schema::json_kind;

/// At most this many validation errors are reported (and fed back to the model).
pub const MAX_ERRORS: usize = 20;
/// Longer error messages are cut: some quote the whole offending value.
const MAX_ERROR_CHARS: usize = 300;
/// The tool name when the schema's title does not give one.
const DEFAULT_TOOL_NAME: &str = "record_extraction";

/// Why a schema cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read the schema {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the schema {} is not valid JSON: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("a schema must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    #[error("the schema is not a valid JSON Schema: {0}")]
    Invalid(String),
    #[error(
        "the tool method needs a schema whose root has \"type\": \"object\" (a tool input is an object); use --method native"
    )]
    ToolNeedsObject,
}

/// A prepared schema. Cheap to share behind an `Arc` across a batch.
pub struct Schema {
    full: Value,
    sent: Value,
    stripped: Vec<Stripped>,
    validator: jsonschema::Validator,
    tool_name: String,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("full", &self.full)
            .field("stripped", &self.stripped)
            .field("tool_name", &self.tool_name)
            .finish_non_exhaustive()
    }
}

impl Schema {
    /// Prepares a schema given as JSON.
    pub fn new(full: Value) -> Result<Schema, SchemaError> {
        if !full.is_object() {
            return Err(SchemaError::NotAnObject(json_kind(&full)));
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&full)
            .map_err(|e| SchemaError::Invalid(e.to_string()))?;
        let (sent, stripped) = prepare_for_api(&full);
        let tool_name = tool_name_from(full.get("title").and_then(Value::as_str));
        Ok(Schema {
            full,
            sent,
            stripped,
            validator,
            tool_name,
        })
    }

    /// Reads and prepares a schema file.
    pub fn from_file(path: &Path) -> Result<Schema, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        let full = serde_json::from_str(&text).map_err(|e| SchemaError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Self::new(full)
    }

    /// The schema as the user wrote it: what results are validated against.
    pub fn full(&self) -> &Value {
        &self.full
    }

    /// The API's subset of it: what requests carry.
    pub fn sent(&self) -> &Value {
        &self.sent
    }

    /// What was left out of [`Schema::sent`] (checked locally only).
    pub fn stripped(&self) -> &[Stripped] {
        &self.stripped
    }

    /// The name of the tool the tool method offers: the schema's `title` in snake case,
    /// else `record_extraction`.
    pub fn tool_name(&self) -> &str {
        &self.tool_name
    }

    /// The tool's description: the schema's own, else a generic one.
    pub fn tool_description(&self) -> String {
        match self.full.get("description").and_then(Value::as_str) {
            Some(d) if !d.trim().is_empty() => d.to_owned(),
            _ => "Record the data extracted from the input. Call this tool exactly once; \
                  its input must follow the schema."
                .to_owned(),
        }
    }

    /// Checks that the root is an object, as a tool input must be.
    pub fn check_tool_root(&self) -> Result<(), SchemaError> {
        let root_type = self.sent.get("type");
        let object = root_type == Some(&Value::String("object".into()))
            || (root_type.is_none() && self.sent.get("properties").is_some());
        if object {
            Ok(())
        } else {
            Err(SchemaError::ToolNeedsObject)
        }
    }

    /// Every way `instance` breaks the full schema, as "pointer: message" lines (at most
    /// [`MAX_ERRORS`]); empty when it is valid.
    pub fn validate(&self, instance: &Value) -> Vec<String> {
        self.validator
            .iter_errors(instance)
            .take(MAX_ERRORS)
            .map(|e| {
                let path = e.instance_path().to_string();
                let at = if path.is_empty() { "(root)" } else { &path };
                let message = match e.kind() {
                    // The library shortens long option lists; the model needs them all.
                    jsonschema::error::ValidationErrorKind::Enum { options } => {
                        format!("{} is not one of {options}", e.instance())
                    }
                    _ => e.to_string(),
                };
                format!("{at}: {}", cut(&message, MAX_ERROR_CHARS))
            })
            .collect()
    }
}

/// "Support email: triage" -> "support_email_triage": the API's tool names are
/// `[a-zA-Z0-9_-]{1,64}`.
fn tool_name_from(title: Option<&str>) -> String {
    let Some(title) = title else {
        return DEFAULT_TOOL_NAME.to_owned();
    };
    let mut name = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
    }
    let name: String = name.trim_end_matches('_').chars().take(64).collect();
    if name.is_empty() {
        DEFAULT_TOOL_NAME.to_owned()
    } else {
        name
    }
}

/// At most `max` characters, with "…" when cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_uses_the_full_schema_with_formats() {
        let schema = Schema::new(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 3},
                "mail": {"type": "string", "format": "email"}
            },
            "required": ["name"]
        }))
        .unwrap();
        assert!(
            schema.sent()["properties"]["name"]
                .get("maxLength")
                .is_none()
        );
        assert!(
            schema
                .validate(&json!({"name": "Ann", "mail": "a@b.co"}))
                .is_empty()
        );
        let errors = schema.validate(&json!({"name": "Annabel", "mail": "nope"}));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("/name: ")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("/mail: ")),
            "{errors:?}"
        );
        let errors = schema.validate(&json!({}));
        assert!(errors[0].starts_with("(root): ") && errors[0].contains("name"));
        let choice = Schema::new(json!({"enum": ["a", "b", "c", "d"]})).unwrap();
        assert_eq!(
            choice.validate(&json!("z")),
            ["(root): \"z\" is not one of [\"a\",\"b\",\"c\",\"d\"]"]
        );
    }

    #[test]
    fn bad_schemas_are_refused_before_any_request() {
        assert!(matches!(
            Schema::new(json!([1])),
            Err(SchemaError::NotAnObject("an array"))
        ));
        assert!(matches!(
            Schema::new(json!({"type": 12})),
            Err(SchemaError::Invalid(_))
        ));
        assert!(matches!(
            Schema::new(json!({"$ref": "https://example.com/schema.json"})),
            Err(SchemaError::Invalid(_))
        ));
        let array = Schema::new(json!({"type": "array"})).unwrap();
        assert!(matches!(
            array.check_tool_root(),
            Err(SchemaError::ToolNeedsObject)
        ));
        let implicit = Schema::new(json!({"properties": {}})).unwrap();
        assert!(implicit.check_tool_root().is_ok());
    }

    #[test]
    fn tool_names_follow_the_api_rules() {
        assert_eq!(
            tool_name_from(Some("Support email: triage")),
            "support_email_triage"
        );
        assert_eq!(tool_name_from(Some("classify_email")), "classify_email");
        assert_eq!(tool_name_from(Some("!!!")), DEFAULT_TOOL_NAME);
        assert_eq!(tool_name_from(None), DEFAULT_TOOL_NAME);
        assert_eq!(tool_name_from(Some(&"x".repeat(100))).len(), 64);
    }

    #[test]
    fn long_messages_are_cut() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }
}
