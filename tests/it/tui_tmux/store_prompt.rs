//! The store question before the full screen: a damaged database is named, and the
//! temporary store is taken with one key (no Enter).

use chatterm::store::DB_FILE;

use super::harness::*;
use crate::binary::EXE;

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_store_is_named_and_one_key_starts_a_temporary_one() {
    if !tmux_available() {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join(DB_FILE);
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let data_dir = data.path().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        &format!("'{EXE}' --demo"),
        &[("CHATTERM_DATA_DIR", data_dir.as_str())],
    );
    let screen = tmux.wait_for("the question", |s| s.contains("[y/N]"));
    assert!(screen.contains("damaged"), "{screen}");
    assert!(screen.contains(DB_FILE), "{screen}");
    // One key, no Enter.
    tmux.send_keys(&["y"]);
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux.wait_for("the temporary-store notice", |s| {
        s.contains("temporary store")
    });
    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        vec![b'x'; 4096],
        "the file is left alone"
    );
}
