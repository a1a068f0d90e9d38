//! The home directory guard through the built-ins: a fake home in a temporary directory as
//! the workspace root, with credentials, chatterm's data dir and an ordinary project.

use serde_json::json;

use super::*;
use crate::tools::guard::Guard;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let h = dir.path();
        for (path, text) in [
            (".ssh/id_ed25519", "PRIVATE KEY canary\n"),
            (".aws/credentials", "aws_secret canary\n"),
            (".gnupg/secring", "gpg canary\n"),
            (".config/gcloud/creds.json", "gcloud canary\n"),
            (".local/share/chatterm/notes.md", "chatterm data canary\n"),
            ("project/readme.md", "public canary\n"),
        ] {
            let path = h.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Home { dir }
    }

    fn tools(&self, guard: Guard) -> Vec<Arc<dyn Tool>> {
        let ws = Workspace::new(self.dir.path()).unwrap().with_guard(guard);
        all(ws)
    }

    fn guarded_tools(&self) -> Vec<Arc<dyn Tool>> {
        let h = self.dir.path();
        self.tools(Guard::for_user(Some(h), [h.join(".local/share/chatterm")]))
    }
}

async fn call(tools: &[Arc<dyn Tool>], name: &str, input: Value) -> ToolOutput {
    let tool = tools.iter().find(|t| t.spec().name == name).unwrap();
    tool.run(input, CancellationToken::new()).await
}

#[tokio::test]
async fn read_tools_refuse_secret_dirs_under_a_home_root() {
    let home = Home::new();
    let tools = home.guarded_tools();
    for path in [
        ".ssh/id_ed25519",
        ".aws/credentials",
        ".gnupg/secring",
        ".config/gcloud/creds.json",
        ".local/share/chatterm/notes.md",
    ] {
        let out = call(&tools, "read_file", json!({ "path": path })).await;
        assert!(out.is_error, "{path}: {}", out.content);
        assert!(
            out.content.contains("tools.allow_secret_dirs = true"),
            "{path}: {}",
            out.content
        );
        assert!(!out.content.contains("canary"), "{}", out.content);
    }
    let absolute = home.dir.path().join(".ssh/id_ed25519");
    let out = call(&tools, "read_file", json!({ "path": absolute })).await;
    assert!(
        out.is_error && !out.content.contains("canary"),
        "{}",
        out.content
    );
    let out = call(&tools, "list_directory", json!({ "path": ".aws" })).await;
    assert!(out.is_error, "{}", out.content);
    let out = call(&tools, "read_file", json!({ "path": "project/readme.md" })).await;
    assert!(
        !out.is_error && out.content.contains("public canary"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn search_skips_secret_dirs_and_says_so() {
    let home = Home::new();
    let out = call(
        &home.guarded_tools(),
        "search_files",
        json!({ "pattern": "canary" }),
    )
    .await;
    assert!(!out.is_error, "{}", out.content);
    assert!(
        out.content.contains("project/readme.md:1: public canary"),
        "{}",
        out.content
    );
    assert!(out.content.contains("1 matching line"), "{}", out.content);
    assert!(
        out.content
            .contains("[skipped 5 directories that hold credentials"),
        "{}",
        out.content
    );
    let out = call(
        &home.guarded_tools(),
        "search_files",
        json!({ "pattern": "canary", "path": ".ssh" }),
    )
    .await;
    assert!(out.is_error, "{}", out.content);
}

#[tokio::test]
async fn allow_secret_dirs_lets_them_in() {
    let home = Home::new();
    let tools = home.tools(Guard::none());
    let out = call(&tools, "read_file", json!({ "path": ".ssh/id_ed25519" })).await;
    assert!(
        !out.is_error && out.content.contains("PRIVATE KEY"),
        "{}",
        out.content
    );
    let out = call(&tools, "search_files", json!({ "pattern": "canary" })).await;
    assert!(out.content.contains("6 matching lines"), "{}", out.content);
}
