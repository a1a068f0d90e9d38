//! The two ways to ask for JSON, and how each one's answer is read and corrected.
//!
//! - [`Method::Native`]: `output_config.format = {type: "json_schema", schema}`; the JSON
//!   arrives as the text of the answer.
//! - [`Method::Tool`]: one tool whose `input_schema` is the schema, forced with
//!   `tool_choice = {type: "tool", name}` (one call only); the JSON is the tool's input.
//!   With thinking on, the API rejects a forced tool choice, so the request goes with
//!   `auto` instead (`engine::thinking` switches it when it fits the request to the
//!   model): the one tool offered is still the only way to give the JSON, and an answer
//!   without the call gets the usual correction.
//!
//! Both send the API's subset of the schema ([`Schema::sent`]). A correction keeps the
//! conversation valid for the API: the answer goes back verbatim as the assistant turn,
//! then a user turn carries the errors, for the tool method as an `is_error` tool_result
//! answering every tool_use of that turn (the API requires each to be answered).

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use super::schema::Schema;
use crate::api::{
    ContentBlock, Message, MessageResponse, MessagesRequest, ModelInfo, Role, ToolDefinition,
    ToolResultBlock,
};

/// How the JSON is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Native,
    Tool,
}

impl Method {
    /// The default for a model: native where its capabilities say structured outputs are
    /// supported, else tool (which every tool-capable model honours). `None` means the
    /// capability is unknown.
    pub fn choose(supports_structured_outputs: Option<bool>) -> Method {
        match supports_structured_outputs {
            Some(true) => Method::Native,
            _ => Method::Tool,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Native => "native",
            Method::Tool => "tool",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "native" => Ok(Method::Native),
            "tool" => Ok(Method::Tool),
            _ => Err(format!("unknown method {s:?} (expected native or tool)")),
        }
    }
}

/// `capabilities.structured_outputs.supported` of a `/v1/models` entry, when present.
pub fn structured_outputs_capability(info: &ModelInfo) -> Option<bool> {
    info.capabilities
        .as_ref()?
        .pointer("/structured_outputs/supported")?
        .as_bool()
}

/// Adds the method's fields to a request.
pub fn shape(request: &mut MessagesRequest, method: Method, schema: &Schema) {
    match method {
        Method::Native => {
            let format = json!({"type": "json_schema", "schema": schema.sent()});
            // Other output_config fields (effort) stay as they are.
            let mut config = match request.output_config.take() {
                Some(Value::Object(map)) => map,
                _ => serde_json::Map::new(),
            };
            config.insert("format".into(), format);
            request.output_config = Some(Value::Object(config));
        }
        Method::Tool => {
            request.tools = vec![ToolDefinition {
                name: schema.tool_name().to_owned(),
                description: Some(schema.tool_description()),
                input_schema: schema.sent().clone(),
                cache_control: None,
                eager_input_streaming: None,
                strict: None,
                extra: serde_json::Map::new(),
            }];
            request.tool_choice = Some(json!({
                "type": "tool",
                "name": schema.tool_name(),
                "disable_parallel_tool_use": true,
            }));
        }
    }
}

/// What an answer holds for validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Json(Value),
    /// No JSON could be read; the reason goes back to the model like validation errors.
    Unreadable(String),
}

/// The JSON of a finished answer.
pub fn read(method: Method, schema: &Schema, message: &MessageResponse) -> Answer {
    match method {
        Method::Native => read_text(&message.text()),
        Method::Tool => match message.tool_uses().find(|t| t.name == schema.tool_name()) {
            None => Answer::Unreadable(format!(
                "the answer did not call the {} tool",
                schema.tool_name()
            )),
            // The stream folder keeps broken tool JSON under this one key.
            Some(t) if t.input.get("INVALID_JSON").is_some() && object_len(&t.input) == 1 => {
                Answer::Unreadable("the tool input is not valid JSON".into())
            }
            Some(t) => Answer::Json(t.input.clone()),
        },
    }
}

fn object_len(v: &Value) -> usize {
    v.as_object().map_or(0, serde_json::Map::len)
}

/// Native answers are bare JSON; a code fence around it (which some models add when
/// structured outputs are off) is tolerated.
fn read_text(text: &str) -> Answer {
    let mut body = text.trim();
    if let Some(rest) = body.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        body = rest.strip_suffix("```").unwrap_or(rest).trim();
    }
    if body.is_empty() {
        return Answer::Unreadable("the answer has no text".into());
    }
    match serde_json::from_str(body) {
        Ok(v) => Answer::Json(v),
        Err(e) => Answer::Unreadable(format!("the answer is not valid JSON: {e}")),
    }
}

/// The turns that carry `errors` back to the model after `answer` (see the module docs).
pub fn follow_up(
    method: Method,
    schema: &Schema,
    answer: &MessageResponse,
    errors: &[String],
) -> Vec<Message> {
    let mut turns = Vec::with_capacity(2);
    let content: Vec<ContentBlock> = answer
        .content
        .iter()
        .filter(|b| b.as_text().is_none_or(|t| !t.is_empty()))
        .cloned()
        .collect();
    if !content.is_empty() {
        turns.push(Message {
            role: Role::Assistant,
            content,
        });
    }
    let listed = errors
        .iter()
        .map(|e| format!("- {e}"))
        .collect::<Vec<_>>()
        .join("\n");
    let reply = match method {
        Method::Native => {
            // Tools are not offered here, but a call the model made anyway still needs its
            // result, or the API rejects the conversation.
            let mut reply = call_results(answer, |_| {
                "No tool can be called here; answer with JSON text.".to_owned()
            });
            reply.push(ContentBlock::text(format!(
                "Your JSON does not match the schema:\n{listed}\n\
                 Answer again with the complete, corrected JSON only."
            )));
            reply
        }
        Method::Tool => tool_feedback(schema.tool_name(), answer, &listed),
    };
    turns.push(Message {
        role: Role::User,
        content: reply,
    });
    turns
}

/// An `is_error` tool_result for every tool_use of `answer` (the first carries the
/// errors), or, when the model called nothing, a text asking for the call.
fn tool_feedback(name: &str, answer: &MessageResponse, listed: &str) -> Vec<ContentBlock> {
    let feedback = format!(
        "The input does not match the schema:\n{listed}\n\
         Call {name} again with the complete, corrected input."
    );
    if answer.tool_uses().next().is_none() {
        return vec![ContentBlock::text(format!(
            "{feedback}\nAnswer only by calling the {name} tool."
        ))];
    }
    call_results(answer, |i| {
        if i == 0 {
            feedback.clone()
        } else {
            "Only one call is used; this one was ignored.".to_owned()
        }
    })
}

/// One `is_error` tool_result per tool_use of `answer`, in order; `text(i)` is the
/// content of the i-th.
fn call_results(answer: &MessageResponse, text: impl Fn(usize) -> String) -> Vec<ContentBlock> {
    answer
        .tool_uses()
        .enumerate()
        .map(|(i, call)| {
            ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: call.id.clone(),
                content: Some(Value::String(text(i))),
                is_error: Some(true),
                cache_control: None,
                extra: serde_json::Map::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ToolUseBlock;

    fn schema() -> Schema {
        Schema::new(json!({"title": "Ticket", "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}))
        .unwrap()
    }

    fn answer(content: Vec<ContentBlock>) -> MessageResponse {
        serde_json::from_value::<MessageResponse>(json!({"content": []}))
            .map(|mut m| {
                m.content = content;
                m
            })
            .unwrap()
    }

    fn tool_use(id: &str, name: &str, input: Value) -> ContentBlock {
        ContentBlock::ToolUse(ToolUseBlock {
            id: id.into(),
            name: name.into(),
            input,
            cache_control: None,
            extra: serde_json::Map::new(),
        })
    }

    #[test]
    fn choose_prefers_native_only_when_known_supported() {
        assert_eq!(Method::choose(Some(true)), Method::Native);
        assert_eq!(Method::choose(Some(false)), Method::Tool);
        assert_eq!(Method::choose(None), Method::Tool);
        assert_eq!("Native".parse::<Method>(), Ok(Method::Native));
        assert!("json".parse::<Method>().is_err());
        let info: ModelInfo = serde_json::from_value(json!({"id": "m",
            "capabilities": {"structured_outputs": {"supported": true}}}))
        .unwrap();
        assert_eq!(structured_outputs_capability(&info), Some(true));
        let bare: ModelInfo = serde_json::from_value(json!({"id": "m"})).unwrap();
        assert_eq!(structured_outputs_capability(&bare), None);
    }

    #[test]
    fn shape_sets_the_fields_of_each_method() {
        let s = schema();
        let mut native = MessagesRequest::new("m", 10, vec![Message::user_text("x")]);
        native.output_config = Some(json!({"effort": "low"}));
        shape(&mut native, Method::Native, &s);
        let v = serde_json::to_value(&native).unwrap();
        assert_eq!(v["output_config"]["effort"], "low");
        assert_eq!(v["output_config"]["format"]["type"], "json_schema");
        assert_eq!(v["output_config"]["format"]["schema"], *s.sent());
        assert!(v.get("tools").is_none() && v.get("tool_choice").is_none());

        let mut tool = MessagesRequest::new("m", 10, vec![Message::user_text("x")]);
        shape(&mut tool, Method::Tool, &s);
        let v = serde_json::to_value(&tool).unwrap();
        assert_eq!(v["tools"][0]["name"], "ticket");
        assert_eq!(v["tools"][0]["input_schema"], *s.sent());
        assert_eq!(
            v["tool_choice"],
            json!({"type": "tool", "name": "ticket", "disable_parallel_tool_use": true})
        );
        assert!(v.get("output_config").is_none());
    }

    #[test]
    fn answers_are_read_per_method() {
        let s = schema();
        let text = |t: &str| answer(vec![ContentBlock::text(t)]);
        assert_eq!(
            read(Method::Native, &s, &text(" {\"n\": 2} ")),
            Answer::Json(json!({"n": 2}))
        );
        assert_eq!(
            read(Method::Native, &s, &text("```json\n{\"n\": 3}\n```")),
            Answer::Json(json!({"n": 3}))
        );
        assert!(
            matches!(read(Method::Native, &s, &text("{\"n\":")), Answer::Unreadable(e) if e.contains("not valid JSON"))
        );
        assert!(matches!(
            read(Method::Native, &s, &answer(vec![])),
            Answer::Unreadable(_)
        ));
        let called = answer(vec![
            ContentBlock::text("Here."),
            tool_use("toolu_1", "ticket", json!({"n": 4})),
        ]);
        assert_eq!(
            read(Method::Tool, &s, &called),
            Answer::Json(json!({"n": 4}))
        );
        let broken = answer(vec![tool_use(
            "toolu_1",
            "ticket",
            json!({"INVALID_JSON": "{"}),
        )]);
        assert!(matches!(
            read(Method::Tool, &s, &broken),
            Answer::Unreadable(_)
        ));
        assert!(
            matches!(read(Method::Tool, &s, &text("no call")), Answer::Unreadable(e) if e.contains("ticket"))
        );
    }

    #[test]
    fn tool_follow_up_answers_every_call_with_an_error_result() {
        let s = schema();
        let a = answer(vec![
            tool_use("toolu_1", "ticket", json!({"n": 0})),
            tool_use("toolu_2", "ticket", json!({"n": 0})),
        ]);
        let turns = follow_up(Method::Tool, &s, &a, &["/n: 0 is less than 1".into()]);
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[0].role, Role::Assistant);
        assert_eq!(turns[0].content, a.content, "the answer goes back verbatim");
        let v = serde_json::to_value(&turns[1]).unwrap();
        assert_eq!(v["role"], "user");
        assert_eq!(v["content"][0]["type"], "tool_result");
        assert_eq!(v["content"][0]["tool_use_id"], "toolu_1");
        assert_eq!(v["content"][0]["is_error"], true);
        assert!(
            v["content"][0]["content"]
                .as_str()
                .unwrap()
                .contains("- /n: 0 is less than 1")
        );
        assert_eq!(v["content"][1]["tool_use_id"], "toolu_2");
        assert_eq!(v["content"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn native_follow_up_is_a_user_text_after_the_answer() {
        let s = schema();
        let a = answer(vec![
            ContentBlock::text("{\"n\": 0}"),
            ContentBlock::text(""),
        ]);
        let turns = follow_up(Method::Native, &s, &a, &["/n: too small".into()]);
        assert_eq!(turns[0].content, vec![ContentBlock::text("{\"n\": 0}")]);
        assert!(turns[1].text().contains("- /n: too small"));
        // A call the model made anyway is answered before the feedback.
        let called = answer(vec![tool_use("toolu_9", "other", json!({}))]);
        let turns = follow_up(Method::Native, &s, &called, &["/n: x".into()]);
        let v = serde_json::to_value(&turns[1]).unwrap();
        assert_eq!(v["content"][0]["type"], "tool_result");
        assert_eq!(v["content"][0]["tool_use_id"], "toolu_9");
        assert_eq!(v["content"][1]["type"], "text");
        // Nothing to echo: only the user turn (the API merges it into the previous one).
        let turns = follow_up(Method::Tool, &s, &answer(vec![]), &["x".into()]);
        assert_eq!(turns.len(), 1);
        assert!(turns[0].text().contains("calling the ticket tool"));
    }
}
