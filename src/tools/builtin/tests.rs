//! The built-ins through their `Tool` interface, in temporary workspaces.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::tools::Approval;
use crate::tools::schema::Schema;

struct Fixture {
    /// Holds the temporary directory; `outside` is its `secret.txt`, next to the root.
    dir: tempfile::TempDir,
    tools: Vec<Arc<dyn Tool>>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("src/nested")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(
            root.join("src/main.rs"),
            "fn main() {\n    println!(\"hi\");\n}\n",
        )
        .unwrap();
        std::fs::write(root.join("src/nested/lib.rs"), "pub fn main_helper() {}\n").unwrap();
        std::fs::write(root.join(".git/config"), "fn main in git\n").unwrap();
        std::fs::write(root.join("image.bin"), b"fn main\0\x01\x02").unwrap();
        std::fs::write(root.join("notes.txt"), "one\r\ntwo\r\nthree\n").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "fn main secret").unwrap();
        let tools = all(Workspace::new(&root).unwrap());
        Fixture { dir, tools }
    }

    fn root(&self) -> std::path::PathBuf {
        std::fs::canonicalize(self.dir.path().join("root")).unwrap()
    }

    fn outside(&self) -> std::path::PathBuf {
        self.dir.path().join("secret.txt")
    }

    fn tool(&self, name: &str) -> &Arc<dyn Tool> {
        self.tools.iter().find(|t| t.spec().name == name).unwrap()
    }

    /// Validates like the registry would, then runs.
    async fn call(&self, name: &str, input: Value) -> ToolOutput {
        let tool = self.tool(name);
        let schema = Schema::compile(&tool.spec().input_schema).unwrap();
        if let Err(e) = schema.validate(&input) {
            panic!("{name}: test input {input} is invalid: {e}");
        }
        tool.run(input, CancellationToken::new()).await
    }

    async fn ok(&self, name: &str, input: Value) -> String {
        let out = self.call(name, input).await;
        assert!(!out.is_error, "{name} failed: {}", out.content);
        out.content
    }

    async fn err(&self, name: &str, input: Value) -> String {
        let out = self.call(name, input).await;
        assert!(out.is_error, "{name} should have failed: {}", out.content);
        out.content
    }
}

#[test]
fn specs_are_tight_and_in_name_order() {
    let names: Vec<String> = all(Workspace::new(Path::new(".")).unwrap())
        .iter()
        .map(|t| t.spec().name.clone())
        .collect();
    assert_eq!(names, NAMES);
    for tool in all(Workspace::new(Path::new(".")).unwrap()) {
        let spec = tool.spec();
        assert_eq!(
            spec.input_schema["additionalProperties"], false,
            "{}",
            spec.name
        );
        assert!(Schema::compile(&spec.input_schema).is_ok(), "{}", spec.name);
        assert!(
            spec.description.len() > 80,
            "{}: describe it for the model",
            spec.name
        );
        let asks = matches!(spec.name.as_str(), "write_file" | "run_command");
        assert_eq!(spec.approval == Approval::Ask, asks, "{}", spec.name);
    }
}

#[tokio::test]
async fn read_file_numbers_lines_and_honours_ranges() {
    let f = Fixture::new();
    let text = f.ok("read_file", json!({"path": "src/main.rs"})).await;
    assert_eq!(
        text,
        "src/main.rs: lines 1-3 of 3\n     1\tfn main() {\n     2\t    println!(\"hi\");\n     3\t}\n"
    );
    let text = f
        .ok(
            "read_file",
            json!({"path": "notes.txt", "start_line": 2, "end_line": 2}),
        )
        .await;
    assert_eq!(
        text, "notes.txt: lines 2-2 of 3\n     2\ttwo\n",
        "CRLF is dropped"
    );
    let text = f
        .ok(
            "read_file",
            json!({"path": "notes.txt", "start_line": 2, "end_line": 99}),
        )
        .await;
    assert!(text.starts_with("notes.txt: lines 2-3 of 3\n"), "{text}");
}

#[tokio::test]
async fn read_file_refusals_say_why() {
    let f = Fixture::new();
    let err = f.err("read_file", json!({"path": "image.bin"})).await;
    assert!(err.contains("looks like a binary file"), "{err}");
    let err = f.err("read_file", json!({"path": "src"})).await;
    assert!(err.contains("is a directory; use list_directory"), "{err}");
    let err = f
        .err("read_file", json!({"path": "notes.txt", "start_line": 9}))
        .await;
    assert!(
        err.contains("start_line 9 is past the end of \"notes.txt\", which has 3 lines"),
        "{err}"
    );
    let err = f
        .err(
            "read_file",
            json!({"path": "notes.txt", "start_line": 3, "end_line": 2}),
        )
        .await;
    assert!(err.contains("end_line 2 is before start_line 3"), "{err}");
    let err = f.err("read_file", json!({"path": "missing.txt"})).await;
    assert!(err.contains("\"missing.txt\" does not exist"), "{err}");
}

#[tokio::test]
async fn read_file_caps_output_and_says_where_to_continue() {
    let f = Fixture::new();
    let line = "x".repeat(99);
    let big: String = (0..3000).map(|_| format!("{line}\n")).collect();
    std::fs::write(f.root().join("big.txt"), &big).unwrap();
    let text = f.ok("read_file", json!({"path": "big.txt"})).await;
    // 99 bytes of text a line (line numbers do not count): 1010 lines fit in 100,000.
    assert!(
        text.starts_with("big.txt: lines 1-1010 of 3000\n"),
        "{}",
        &text[..60]
    );
    assert!(
        text.contains("call read_file with start_line=1011 to continue"),
        "{}",
        &text[text.len() - 200..]
    );
    let next = f
        .ok(
            "read_file",
            json!({"path": "big.txt", "start_line": 1011, "end_line": 1012}),
        )
        .await;
    assert!(
        next.starts_with("big.txt: lines 1011-1012 of 3000\n"),
        "{next}"
    );

    std::fs::write(f.root().join("wide.txt"), "y".repeat(5000)).unwrap();
    let text = f.ok("read_file", json!({"path": "wide.txt"})).await;
    assert!(
        text.contains(&format!("{}...", "y".repeat(2000))),
        "line is clipped"
    );
    assert!(
        text.contains("lines longer than 2000 bytes were cut"),
        "{text}"
    );
}

#[tokio::test]
async fn path_escapes_are_refused_by_every_file_tool() {
    let f = Fixture::new();
    let outside = f.outside().to_string_lossy().into_owned();
    for path in ["../secret.txt", outside.as_str()] {
        for (tool, input) in [
            ("read_file", json!({"path": path})),
            ("list_directory", json!({"path": path})),
            ("search_files", json!({"pattern": "main", "path": path})),
            ("write_file", json!({"path": path, "content": "pwned"})),
        ] {
            let err = f.err(tool, input).await;
            assert!(err.contains("is refused"), "{tool} {path}: {err}");
            assert!(err.contains(path), "{tool}: the path is named: {err}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(f.outside()).unwrap(),
        "fn main secret"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_leading_out_are_refused_and_not_followed() {
    let f = Fixture::new();
    std::os::unix::fs::symlink(f.outside(), f.root().join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(f.dir.path(), f.root().join("parent")).unwrap();
    let err = f.err("read_file", json!({"path": "leak.txt"})).await;
    assert!(err.contains("symbolic link"), "{err}");
    let err = f
        .err(
            "write_file",
            json!({"path": "parent/new.txt", "content": "x"}),
        )
        .await;
    assert!(err.contains("is refused"), "{err}");
    assert!(!f.dir.path().join("new.txt").exists());
    // Listing shows links without following them; searching skips them.
    let list = f.ok("list_directory", json!({})).await;
    assert!(
        list.contains(&format!("link leak.txt -> {}", f.outside().display())),
        "{list}"
    );
    let found = f.ok("search_files", json!({"pattern": "secret"})).await;
    assert!(found.starts_with("no matches"), "{found}");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn special_files_are_neither_read_nor_written() {
    let f = Fixture::new();
    let fifo = f.root().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let err = f.err("read_file", json!({"path": "pipe"})).await;
    assert!(err.contains("\"pipe\" is not a regular file"), "{err}");
    let err = f
        .err("write_file", json!({"path": "pipe", "content": "x"}))
        .await;
    assert!(
        err.contains("\"pipe\" exists and is not a regular file"),
        "{err}"
    );
}

#[tokio::test]
async fn list_directory_sorts_and_describes_entries() {
    let f = Fixture::new();
    let text = f.ok("list_directory", json!({})).await;
    assert_eq!(
        text,
        "./ (4 entries)\ndir  .git/\nfile image.bin  (10 B)\nfile notes.txt  (16 B)\ndir  src/\n"
    );
    let text = f.ok("list_directory", json!({"path": "src"})).await;
    assert_eq!(
        text,
        "src/ (2 entries)\nfile main.rs  (34 B)\ndir  nested/\n"
    );
    std::fs::create_dir(f.root().join("empty")).unwrap();
    assert_eq!(
        f.ok("list_directory", json!({"path": "empty"})).await,
        "empty/ is empty"
    );
    let err = f.err("list_directory", json!({"path": "notes.txt"})).await;
    assert!(err.contains("is a file, not a directory"), "{err}");
}

#[tokio::test]
async fn list_directory_caps_entries() {
    let f = Fixture::new();
    let many = f.root().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..(list_directory::MAX_ENTRIES + 7) {
        std::fs::write(many.join(format!("f{i:04}")), "").unwrap();
    }
    let text = f.ok("list_directory", json!({"path": "many"})).await;
    assert!(
        text.starts_with("many/ (507 entries)\nfile f0000  (0 B)\n"),
        "{}",
        &text[..80]
    );
    assert_eq!(text.lines().count(), 1 + list_directory::MAX_ENTRIES + 1);
    assert!(
        text.ends_with("[... 7 more entries not shown; list a subdirectory or use search_files]\n")
    );
}

#[tokio::test]
async fn search_files_finds_lines_and_skips_git_and_binaries() {
    let f = Fixture::new();
    let text = f.ok("search_files", json!({"pattern": "fn main"})).await;
    assert_eq!(
        text,
        "2 matching lines in 2 files for \"fn main\" under .\n\
         src/main.rs:1: fn main() {\n\
         src/nested/lib.rs:1: pub fn main_helper() {}\n\
         [skipped files: 1 binary]\n"
    );
    let text = f
        .ok(
            "search_files",
            json!({"pattern": "PRINTLN", "case_insensitive": true, "path": "src"}),
        )
        .await;
    assert!(
        text.contains("src/main.rs:2:     println!(\"hi\");"),
        "{text}"
    );
    let text = f.ok("search_files", json!({"pattern": "PRINTLN"})).await;
    assert!(
        text.starts_with("no matches for \"PRINTLN\" under ."),
        "{text}"
    );
    let text = f
        .ok(
            "search_files",
            json!({"pattern": "two", "path": "notes.txt"}),
        )
        .await;
    assert!(
        text.contains("notes.txt:2: two\n"),
        "a single file can be searched: {text}"
    );
}

#[tokio::test]
async fn search_files_caps_results_with_a_note() {
    let f = Fixture::new();
    let body: String = (0..50).map(|i| format!("hit {i}\n")).collect();
    std::fs::write(f.root().join("a.txt"), &body).unwrap();
    std::fs::write(f.root().join("b.txt"), &body).unwrap();
    let text = f
        .ok(
            "search_files",
            json!({"pattern": "^hit", "max_results": 60}),
        )
        .await;
    assert!(text.starts_with("60 matching lines in 2 files"), "{text}");
    assert!(
        text.contains("b.txt:10: hit 9\n") && !text.contains("b.txt:11:"),
        "{text}"
    );
    assert!(
        text.contains("[stopped after 60 matches; there are more."),
        "{text}"
    );
    let text = f.ok("search_files", json!({"pattern": "^hit"})).await;
    assert!(text.starts_with("100 matching lines in 2 files"), "{text}");
    let text = f
        .ok(
            "search_files",
            json!({"pattern": "^hit 4", "path": "a.txt"}),
        )
        .await;
    assert!(
        !text.contains("[stopped"),
        "exactly the matches, no cap: {text}"
    );
}

#[tokio::test]
async fn search_files_reports_a_bad_regex() {
    let f = Fixture::new();
    let err = f.err("search_files", json!({"pattern": "fn (main"})).await;
    assert!(
        err.contains("invalid regular expression \"fn (main\""),
        "{err}"
    );
    let err = f
        .err("search_files", json!({"pattern": "a{1000}{1000}"}))
        .await;
    assert!(
        err.contains("invalid regular expression"),
        "size limit: {err}"
    );
}

#[tokio::test]
async fn write_file_creates_parents_and_replaces_files() {
    let f = Fixture::new();
    let text = f
        .ok(
            "write_file",
            json!({"path": "out/deep/new.md", "content": "# Title\nbody\n"}),
        )
        .await;
    assert_eq!(text, "created out/deep/new.md (13 B, 2 lines)");
    assert_eq!(
        std::fs::read_to_string(f.root().join("out/deep/new.md")).unwrap(),
        "# Title\nbody\n"
    );
    let text = f
        .ok("write_file", json!({"path": "notes.txt", "content": "x"}))
        .await;
    assert_eq!(text, "replaced notes.txt (1 B, 1 line)");
    let err = f
        .err("write_file", json!({"path": "src", "content": "x"}))
        .await;
    assert!(err.contains("\"src\" is a directory"), "{err}");
    let err = f
        .err("write_file", json!({"path": "notes.txt/x", "content": "x"}))
        .await;
    assert!(err.contains("is a file, not a directory"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn run_command_runs_in_the_root_and_reports_the_exit_code() {
    let f = Fixture::new();
    let text = f
        .ok("run_command", json!({"command": "pwd; echo oops >&2"}))
        .await;
    assert_eq!(
        text,
        format!(
            "exit code: 0\n--- stdout ---\n{}\n--- stderr ---\noops\n",
            f.root().display()
        )
    );
    let text = f.err("run_command", json!({"command": "exit 7"})).await;
    assert_eq!(
        text,
        "exit code: 7\n--- stdout: (empty) ---\n--- stderr: (empty) ---\n"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn run_command_caps_output_keeping_both_ends() {
    let f = Fixture::new();
    let text = f
        .ok("run_command", json!({"command": "echo first; head -c 100000 /dev/zero | tr '\\0' x; echo; echo last"}))
        .await;
    assert!(
        text.contains("--- stdout (100012 bytes, middle omitted) ---\nfirst\n"),
        "{}",
        &text[..120]
    );
    assert!(text.contains("bytes omitted ...]"));
    assert!(text.ends_with("x\nlast\n--- stderr: (empty) ---\n"));
    assert!(text.len() < 2 * run_command::KEEP_BYTES + 300);
}

#[cfg(unix)]
#[tokio::test]
async fn run_command_timeout_kills_and_reports() {
    let f = Fixture::new();
    let marker = f.root().join("survived");
    let command = format!("echo started; sleep 3 && touch {}", marker.display());
    let text = f
        .err(
            "run_command",
            json!({"command": command, "timeout_secs": 1}),
        )
        .await;
    assert!(
        text.starts_with(
            "timed out after 1 s; the command and the processes it started were killed\n"
        ),
        "{text}"
    );
    assert!(text.contains("started"), "output so far is kept: {text}");
    // Had the group survived, `touch` would run at 3 s; wait past that, generously.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(!marker.exists(), "the killed command's child ran on");
}

#[cfg(unix)]
#[tokio::test]
async fn run_command_cancel_kills() {
    let f = Fixture::new();
    let cancel = CancellationToken::new();
    let run = f
        .tool("run_command")
        .run(json!({"command": "sleep 100"}), cancel.clone());
    cancel.cancel();
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), run)
        .await
        .unwrap();
    assert!(out.is_error);
    assert!(
        out.content.starts_with("cancelled by user"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn current_time_gives_utc_and_local_iso_8601() {
    let f = Fixture::new();
    let text = f.ok("current_time", json!({})).await;
    let value: Value = serde_json::from_str(&text).unwrap();
    let utc = value["utc"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(utc).is_ok(), "{utc}");
    assert!(utc.ends_with('Z'), "{utc}");
    let local = value["local"].as_str().unwrap();
    let local = chrono::DateTime::parse_from_rfc3339(local).unwrap();
    let offset = value["utc_offset"].as_str().unwrap();
    assert!(local.to_rfc3339().ends_with(offset), "{local} {offset}");
    assert!(value["unix_seconds"].as_i64().unwrap() > 1_700_000_000);
    assert!(value["weekday"].as_str().unwrap().ends_with("day"));
}

#[tokio::test]
async fn cancel_answers_a_blocking_tool_at_once() {
    let f = Fixture::new();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let out = f
        .tool("search_files")
        .run(json!({"pattern": "x"}), cancel)
        .await;
    // Either the walk saw the token or the select did: both are the same answer.
    assert_eq!(out, ToolOutput::error("cancelled by user"));
}

#[test]
fn write_file_previews_a_new_file_a_diff_and_nothing_outside_the_root() {
    use crate::tools::preview::{ApprovalPreview, DiffLine};
    let f = Fixture::new();
    let write = f.tool("write_file");
    let new = write.approval_preview(&json!({"path": "new/a.txt", "content": "x\ny\n"}));
    assert_eq!(new, Some(ApprovalPreview::NewFile { lines: 2 }));
    let content = "fn main() {\n    println!(\"hello\");\n}\n";
    let Some(ApprovalPreview::Diff(diff)) =
        write.approval_preview(&json!({"path": "src/main.rs", "content": content}))
    else {
        panic!("an existing file gets a diff");
    };
    assert!(diff.contains(&DiffLine::Removed("    println!(\"hi\");".into())));
    assert!(diff.contains(&DiffLine::Added("    println!(\"hello\");".into())));
    // The same confinement as the write: no preview of a file outside the root.
    let outside = f.outside().display().to_string();
    assert_eq!(
        write.approval_preview(&json!({"path": outside, "content": "x"})),
        None
    );
    assert_eq!(
        f.tool("read_file").approval_preview(&json!({"path": "a"})),
        None
    );
}
