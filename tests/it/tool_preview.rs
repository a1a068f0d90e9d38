//! The approval preview of `write_file`, end to end: the engine reads the file as it is
//! when the call waits, and reports the diff before `AwaitingApproval`.

use std::sync::Arc;

use chatterm::config::ToolsConfig;
use chatterm::engine::{Command, ToolSettings, ToolStatus, Update};
use chatterm::mock::MockServer;
use chatterm::tools::ApprovalDecision;
use chatterm::tools::preview::{ApprovalPreview, DiffLine};
use chatterm::tools::registry::Registry;
use serde_json::json;

use chatterm::cost::Pricing;
use chatterm::engine::Engine;

use crate::common::{client_for, test_config};
use crate::tool_helpers::*;

#[tokio::test]
async fn a_write_awaiting_approval_is_previewed_as_a_diff_first() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "one\ntwo\nthree\n").unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        (
            "toolu_01edit",
            "write_file",
            json!({"path": "notes.txt", "content": "one\n2\nthree\n"}),
        ),
        (
            "toolu_01new",
            "write_file",
            json!({"path": "new.txt", "content": "a\nb\n"}),
        ),
    ]));
    server.enqueue(text("Done."));
    let tools_config = ToolsConfig {
        root: Some(root.path().to_path_buf()),
        ..ToolsConfig::default()
    };
    let tools = Arc::new(Registry::from_config_with(&tools_config, Vec::new()).unwrap());
    let config = test_config();
    let mut engine = Engine::new(client_for(&server, &config), &config, Pricing::embedded())
        .with_tools(tools, ToolSettings::default())
        .spawn();
    let updates = turn_reacting(&mut engine, "edit the notes", |u| match u {
        Update::Tool {
            id,
            status: ToolStatus::AwaitingApproval,
            ..
        } => Some(Command::Approve {
            id: id.clone(),
            decision: ApprovalDecision::Deny,
        }),
        _ => None,
    })
    .await;
    let previews: Vec<(usize, &ApprovalPreview)> = updates
        .iter()
        .enumerate()
        .filter_map(|(i, u)| match u {
            Update::ToolPreview { preview, .. } => Some((i, preview)),
            _ => None,
        })
        .collect();
    assert_eq!(previews.len(), 2, "{updates:#?}");
    let ApprovalPreview::Diff(diff) = previews[0].1 else {
        panic!("the existing file gets a diff: {:?}", previews[0].1);
    };
    assert!(diff.contains(&DiffLine::Removed("two".into())), "{diff:?}");
    assert!(diff.contains(&DiffLine::Added("2".into())), "{diff:?}");
    assert_eq!(previews[1].1, &ApprovalPreview::NewFile { lines: 2 });
    // Each preview comes before its call's AwaitingApproval.
    let awaiting = updates
        .iter()
        .position(|u| {
            matches!(
                u,
                Update::Tool {
                    status: ToolStatus::AwaitingApproval,
                    ..
                }
            )
        })
        .unwrap();
    assert!(previews[0].0 < awaiting);
    // Refused: nothing was written.
    assert_eq!(
        std::fs::read_to_string(root.path().join("notes.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
}
