//! The workspace file index behind `@`-completion: walked once in the background,
//! filtered as the user types.
//!
//! [`FileIndex::spawn`] starts a thread that walks the workspace root with the `ignore`
//! crate (`.gitignore`, `.ignore` and git's excludes respected, in or out of a git
//! repository; hidden files and the guard's secret directories skipped; symlinks not
//! followed) and appends the files' relative paths in batches, so the first results are
//! there within milliseconds while a large tree is still being walked. [`FileIndex::filter`]
//! can be called at any time from any thread and filters what has been found so far.
//!
//! Typing narrows: when the query extends one filtered recently (the last keystroke's, or
//! a shorter one after a Backspace), only that query's matches (and files found since) are
//! scored again; with the character-mask test of [`super::fuzzy`] this keeps each
//! keystroke's filter under the 5 ms budget on a 100,000-file tree
//! (`benches/attach_index.rs`).
//!
//! The walk stops when the last handle is dropped, or at [`MAX_FILES`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::fuzzy::{Filter, Match};
use crate::tools::workspace::Workspace;

/// The most files indexed; a tree larger than this is indexed in part.
pub const MAX_FILES: usize = 1_000_000;
/// Paths found are published in batches of this many.
const BATCH: usize = 256;

/// The index: cheap to clone, shared between the walk and its readers.
#[derive(Clone)]
pub struct FileIndex {
    shared: Arc<Shared>,
    _stop: Arc<StopOnDrop>,
}

/// The name the library docs use for a running index.
pub type FileIndexHandle = FileIndex;

struct Shared {
    root: PathBuf,
    files: RwLock<Files>,
    done: AtomicBool,
    stop: AtomicBool,
    search: Mutex<Search>,
}

/// The paths found so far and their character masks, index for index.
#[derive(Default)]
struct Files {
    paths: Vec<String>,
    masks: Vec<u64>,
}

/// How many recent queries' matches are kept for narrowing.
const REMEMBERED: usize = 16;

#[derive(Default)]
struct Search {
    filter: Filter,
    /// Recent queries, newest last: the query, how many paths there were then, and which
    /// of them matched.
    recent: Vec<(String, usize, Vec<u32>)>,
}

struct StopOnDrop(Arc<Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

impl FileIndex {
    /// Starts walking `workspace`'s root on a thread of its own.
    pub fn spawn(workspace: &Workspace) -> FileIndex {
        let shared = Arc::new(Shared {
            root: workspace.root().to_path_buf(),
            files: RwLock::new(Files::default()),
            done: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            search: Mutex::new(Search::default()),
        });
        let walker = shared.clone();
        let ws = workspace.clone();
        let spawned = std::thread::Builder::new()
            .name("file-index".into())
            .spawn(move || walk(&walker, &ws));
        if spawned.is_err() {
            // No thread: an empty index, complete, rather than no completion at all.
            shared.done.store(true, Ordering::Relaxed);
        }
        FileIndex {
            _stop: Arc::new(StopOnDrop(shared.clone())),
            shared,
        }
    }

    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// Whether the walk has finished (every file is in).
    pub fn is_complete(&self) -> bool {
        self.shared.done.load(Ordering::Acquire)
    }

    /// Files found so far.
    pub fn len(&self) -> usize {
        self.shared.files.read().map_or(0, |f| f.paths.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` paths for `query` among the files found so far.
    pub fn filter(&self, query: &str, limit: usize) -> Vec<Match> {
        let Ok(files) = self.shared.files.read() else {
            return Vec::new();
        };
        let Ok(mut search) = self.shared.search.lock() else {
            return Vec::new();
        };
        let search = &mut *search;
        let len = files.paths.len() as u32;
        // The longest recent query this one extends: its matches are the only candidates.
        let base = (search.recent.iter())
            .filter(|(q, _, _)| query.starts_with(q.as_str()))
            .max_by_key(|(q, _, _)| q.len());
        let result = match base {
            Some((_, then, matching)) => {
                let fresh = *then as u32..len;
                let candidates = matching.iter().copied().chain(fresh);
                (search.filter).run(&files.paths, &files.masks, candidates, query, limit)
            }
            None => (search.filter).run(&files.paths, &files.masks, 0..len, query, limit),
        };
        search.recent.retain(|(q, _, _)| q != query);
        if search.recent.len() >= REMEMBERED {
            search.recent.remove(0);
        }
        (search.recent).push((query.to_owned(), len as usize, result.matching));
        result.top
    }

    /// Waits (polling) until the walk finishes or `deadline` passes; true when finished.
    /// For tests and benchmarks.
    pub fn wait(&self, deadline: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        while !self.is_complete() {
            if start.elapsed() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        true
    }
}

fn walk(shared: &Shared, workspace: &Workspace) {
    let guarded = {
        let ws = workspace.clone();
        move |entry: &ignore::DirEntry| !ws.guarded(entry.path())
    };
    let walker = ignore::WalkBuilder::new(&shared.root)
        .hidden(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(std::ffi::OsStr::cmp)
        .filter_entry(guarded)
        .build();
    let mut batch = Vec::with_capacity(BATCH);
    let mut total = 0usize;
    for entry in walker.flatten() {
        if shared.stop.load(Ordering::Relaxed) || total >= MAX_FILES {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(&shared.root) {
            batch.push(relative(rel));
            total += 1;
        }
        if batch.len() >= BATCH {
            publish(shared, &mut batch);
        }
    }
    publish(shared, &mut batch);
    shared.done.store(true, Ordering::Release);
}

fn publish(shared: &Shared, batch: &mut Vec<String>) {
    let masks: Vec<u64> = batch.iter().map(|p| super::fuzzy::char_mask(p)).collect();
    if let Ok(mut files) = shared.files.write() {
        files.paths.append(batch);
        files.masks.extend(masks);
    }
}

/// A relative path with `/` separators, as it is typed after `@`.
fn relative(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
