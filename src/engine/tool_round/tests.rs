use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::engine::tool_plan::{ApprovalPolicy, EDIT_TOOL};
use crate::tools::{ToolFuture, ToolSpec};

/// Three tools: `read` (object with a required string `path`) runs freely; `write` and
/// `write_file` (the one auto-edit runs) ask.
struct Fake(Vec<ToolSpec>);

impl Fake {
    fn new() -> Self {
        let spec = |name: &str, approval| ToolSpec {
            name: name.into(),
            description: String::new(),
            input_schema: json!({"type": "object"}),
            approval,
        };
        Fake(vec![
            spec("read", Approval::Never),
            spec("write", Approval::Ask),
            spec(EDIT_TOOL, Approval::Ask),
        ])
    }
}

impl ToolExecutor for Fake {
    fn specs(&self) -> &[ToolSpec] {
        &self.0
    }
    fn validate(&self, _: &str, input: &Value) -> Result<(), InvalidInput> {
        match input.get("path") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(InvalidInput {
                pointer: "/path".into(),
                message: "a string is required".into(),
            }),
        }
    }
    fn run(&self, _: &str, _: Value, _: CancellationToken) -> ToolFuture {
        Box::pin(async { ToolOutput::ok("never called by the pure round") })
    }
}

fn call(id: &str, name: &str, input: Value) -> ToolUseBlock {
    ToolUseBlock {
        id: id.into(),
        name: name.into(),
        input,
        cache_control: None,
        extra: Default::default(),
    }
}

fn ok(id: &str, name: &str) -> ToolUseBlock {
    call(id, name, json!({"path": "a.txt"}))
}

fn start(
    calls: &[ToolUseBlock],
    settings: &ToolSettings,
    memory: &ToolMemory,
) -> (Round, Vec<RoundEffect>) {
    let refs: Vec<&ToolUseBlock> = calls.iter().collect();
    let triage = Triage {
        executor: &Fake::new(),
        settings,
        memory,
        unrun: None,
    };
    Round::start(&refs, &triage)
}

/// The effects as short strings: "id:status" and "run:index".
fn brief(effects: &[RoundEffect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| match e {
            RoundEffect::Status { id, status, .. } => {
                let s = match status {
                    ToolStatus::Validating => "validating".to_owned(),
                    ToolStatus::Invalid(e) => format!("invalid {}", e.pointer),
                    ToolStatus::AwaitingApproval => "approval".to_owned(),
                    ToolStatus::Running => "running".to_owned(),
                    ToolStatus::Finished { output, .. } => format!("finished {}", output.content),
                    ToolStatus::NotRun { output } => format!("not run: {}", output.content),
                };
                format!("{id}:{s}")
            }
            RoundEffect::Run { index, .. } => format!("run:{index}"),
        })
        .collect()
}

fn result_json(round: &Round) -> Value {
    serde_json::to_value(round.results()).unwrap()
}

#[test]
fn runs_valid_calls_up_to_the_parallel_limit_in_order() {
    let settings = ToolSettings {
        parallel: 2,
        ..ToolSettings::default()
    };
    let mut memory = ToolMemory::default();
    let calls = [ok("a", "read"), ok("b", "read"), ok("c", "read")];
    let (mut round, effects) = start(&calls, &settings, &memory);
    assert_eq!(
        brief(&effects),
        [
            "a:validating",
            "b:validating",
            "c:validating",
            "a:running",
            "run:0",
            "b:running",
            "run:1"
        ]
    );
    // The second call finishes first: the third starts, results keep the call order.
    let e = round.finished(
        1,
        ToolOutput::ok("B"),
        Duration::from_millis(5),
        &mut memory,
    );
    assert_eq!(brief(&e), ["b:finished B", "c:running", "run:2"]);
    round.finished(2, ToolOutput::ok("C"), Duration::ZERO, &mut memory);
    assert!(!round.is_done());
    round.finished(0, ToolOutput::ok("A"), Duration::ZERO, &mut memory);
    assert!(round.is_done());
    let ids: Vec<Value> = result_json(&round)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"].clone())
        .collect();
    assert_eq!(ids, [json!("A"), json!("B"), json!("C")]);
    assert_eq!(memory.result("b"), Some(&ToolOutput::ok("B")));
}

#[test]
fn invalid_unknown_and_disabled_calls_are_answered_without_running() {
    let memory = ToolMemory::default();
    let calls = [
        call("a", "read", json!({"path": 3})),
        ok("b", "nope"),
        call("c", "read", json!({"INVALID_JSON": "{\"path\": \"a"})),
    ];
    let (round, effects) = start(&calls, &ToolSettings::default(), &memory);
    assert_eq!(
        brief(&effects)[..3],
        [
            "a:validating",
            "a:invalid /path",
            "b:not run: unknown tool `nope`; the available tools are: read, write, write_file"
        ]
    );
    assert!(round.is_done());
    let r = result_json(&round);
    assert_eq!(r[0]["is_error"], true);
    assert!(
        r[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("invalid input for `read`: /path: a string is required."),
        "{}",
        r[0]["content"]
    );
    assert!(r[2]["content"].as_str().unwrap().contains("not valid JSON"));

    let off = ToolSettings {
        enabled: false,
        ..ToolSettings::default()
    };
    let (round, effects) = start(&[ok("a", "read")], &off, &memory);
    assert_eq!(effects.len(), 1);
    assert!(
        result_json(&round)[0]["content"]
            .as_str()
            .unwrap()
            .contains("tools are turned off")
    );
}

#[test]
fn approval_once_always_and_deny() {
    let settings = ToolSettings::default();
    let mut memory = ToolMemory::default();
    let calls = [ok("a", "write"), ok("b", "write"), ok("c", "write")];
    let (mut round, effects) = start(&calls, &settings, &memory);
    assert_eq!(
        brief(&effects),
        [
            "a:validating",
            "a:approval",
            "b:validating",
            "b:approval",
            "c:validating",
            "c:approval"
        ]
    );
    assert!(round.awaits_approval());
    // An answer for a call that does not wait changes nothing.
    assert!(
        round
            .approve("zz", ApprovalDecision::Once, &mut memory)
            .is_empty()
    );
    assert_eq!(
        brief(&round.approve("b", ApprovalDecision::Once, &mut memory)),
        ["b:running", "run:1"]
    );
    assert!(!memory.always_allowed("write"));
    let e = round.approve("a", ApprovalDecision::Deny, &mut memory);
    assert_eq!(brief(&e).len(), 1);
    assert!(brief(&e)[0].starts_with("a:not run: not run: the user refused"));
    let e = round.approve("c", ApprovalDecision::Always, &mut memory);
    assert_eq!(brief(&e), ["c:running", "run:2"]);
    assert!(memory.always_allowed("write"));
    // "Always" holds for the next rounds of the conversation.
    let (_, effects) = start(&[ok("d", "write")], &settings, &memory);
    assert_eq!(brief(&effects), ["d:validating", "d:running", "run:0"]);
}

#[test]
fn unattended_says_approval_was_not_possible_rather_than_refused() {
    let mut memory = ToolMemory::default();
    let (mut round, _) = start(&[ok("a", "write")], &ToolSettings::default(), &memory);
    let e = round.approve("a", ApprovalDecision::Unattended, &mut memory);
    let told = brief(&e).join("\n");
    assert!(
        told.contains("approval was not possible in this mode") && told.contains("--approve-all"),
        "{told}"
    );
    assert!(!told.contains("refused"), "{told}");
}

#[test]
fn always_releases_the_other_waiting_calls_of_that_tool() {
    let mut memory = ToolMemory::default();
    let calls = [ok("a", "write"), ok("b", "write")];
    let (mut round, _) = start(&calls, &ToolSettings::default(), &memory);
    let e = round.approve("a", ApprovalDecision::Always, &mut memory);
    assert_eq!(brief(&e), ["a:running", "run:0", "b:running", "run:1"]);
}

#[test]
fn approve_all_policy_skips_the_prompt() {
    let settings = ToolSettings {
        approvals: ApprovalPolicy::ApproveAll,
        ..ToolSettings::default()
    };
    let (_, effects) = start(&[ok("a", "write")], &settings, &ToolMemory::default());
    assert_eq!(brief(&effects), ["a:validating", "a:running", "run:0"]);
}

#[test]
fn auto_edit_runs_writes_and_still_asks_for_other_tools() {
    let settings = ToolSettings {
        approvals: ApprovalPolicy::AutoEdit,
        ..ToolSettings::default()
    };
    let calls = [ok("a", EDIT_TOOL), ok("b", "write")];
    let (_, effects) = start(&calls, &settings, &ToolMemory::default());
    assert_eq!(
        brief(&effects),
        [
            "a:validating",
            "b:validating",
            "b:approval",
            "a:running",
            "run:0"
        ]
    );
}

#[test]
fn a_refusal_with_a_reason_tells_the_model_why() {
    let memory = ToolMemory::default();
    let (mut round, _) = start(&[ok("a", "write")], &ToolSettings::default(), &memory);
    assert!(round.refuse("zz", "no").is_empty(), "not a pending call");
    let e = round.refuse("a", "use the staging directory instead");
    assert_eq!(brief(&e).len(), 1);
    let text = result_json(&round).to_string();
    assert!(
        text.contains("the user refused this call, saying: use the staging directory instead"),
        "{text}"
    );
}

#[test]
fn cancel_answers_every_open_call_and_keeps_finished_results() {
    let settings = ToolSettings {
        parallel: 1,
        ..ToolSettings::default()
    };
    let mut memory = ToolMemory::default();
    let calls = [ok("a", "read"), ok("b", "read"), ok("c", "write")];
    let (mut round, _) = start(&calls, &settings, &memory);
    round.finished(0, ToolOutput::ok("A"), Duration::ZERO, &mut memory);
    let e = round.cancel();
    assert_eq!(
        brief(&e),
        [
            "b:not run: cancelled by user",
            "c:not run: cancelled by user"
        ]
    );
    assert!(round.is_done());
    let r = result_json(&round);
    assert_eq!(r[0]["content"], "A");
    assert_eq!(r[1]["is_error"], true);
    assert_eq!(r[2]["content"], "cancelled by user");
    // A late finish of a cancelled call changes nothing.
    assert!(
        round
            .finished(1, ToolOutput::ok("late"), Duration::ZERO, &mut memory)
            .is_empty()
    );
    assert_eq!(memory.result("b"), None);
}

#[test]
fn a_call_with_a_known_result_is_not_run_again() {
    let mut memory = ToolMemory::default();
    let (mut round, _) = start(&[ok("a", "read")], &ToolSettings::default(), &memory);
    round.finished(0, ToolOutput::ok("A"), Duration::ZERO, &mut memory);
    let (round, effects) = start(
        &[ok("a", "read"), ok("b", "read")],
        &ToolSettings::default(),
        &memory,
    );
    assert_eq!(
        brief(&effects),
        ["a:finished A", "b:validating", "b:running", "run:1"]
    );
    assert_eq!(result_json(&round)[0]["content"], "A");
}

#[test]
fn an_unrun_round_answers_every_call_with_the_reason() {
    let memory = ToolMemory::default();
    let refs = [ok("a", "read"), ok("b", "write")];
    let refs: Vec<&ToolUseBlock> = refs.iter().collect();
    let triage = Triage {
        executor: &Fake::new(),
        settings: &ToolSettings::default(),
        memory: &memory,
        unrun: Some("not run: limit"),
    };
    let (round, effects) = Round::start(&refs, &triage);
    assert_eq!(
        brief(&effects),
        ["a:not run: not run: limit", "b:not run: not run: limit"]
    );
    assert!(round.is_done());
}
