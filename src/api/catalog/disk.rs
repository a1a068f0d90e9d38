//! The catalog's disk cache: one JSON file per API endpoint, good for a day.
//!
//! The directory is `$CHATTERM_CACHE_DIR` when set (tests point it at a temporary
//! directory), else the platform cache directory (`~/.cache/chatterm` on Linux). Files are
//! named by a stable hash of the base URL, so the demo's mock server, a proxy and the real
//! API never share a listing; the file also records the URL and is ignored when it does
//! not match. A listing older than [`MAX_AGE`] is *stale*: still better than nothing when
//! the network is down, but due for a refresh.
//!
//! Every failure here (no directory, unreadable or corrupt file, full disk) degrades to "no
//! cache"; a write goes to a temporary file first and is renamed into place, so a reader
//! never sees half a file.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Catalog, ModelEntry};

/// Overrides the cache directory.
pub const ENV_CACHE_DIR: &str = "CHATTERM_CACHE_DIR";
/// How long a listing is fresh.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// A cached listing and whether it is still fresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached {
    pub catalog: Catalog,
    pub fresh: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    base_url: String,
    /// Seconds since the Unix epoch.
    fetched_at: u64,
    models: Vec<ModelEntry>,
}

/// The cache directory: the environment's override, else the platform's.
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = env(ENV_CACHE_DIR).filter(|d| !d.trim().is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "chatterm").map(|d| d.cache_dir().to_path_buf())
}

/// The file holding the listing of `base_url`.
pub fn file_for(dir: &Path, base_url: &str) -> PathBuf {
    dir.join(format!(
        "models-{:016x}.json",
        fnv1a(base_url.trim_end_matches('/'))
    ))
}

/// The cached listing of `base_url`, if there is a readable one.
pub fn load(dir: &Path, base_url: &str, now: SystemTime) -> Option<Cached> {
    let text = std::fs::read_to_string(file_for(dir, base_url)).ok()?;
    let file: CacheFile = serde_json::from_str(&text).ok()?;
    if file.base_url != base_url.trim_end_matches('/') || file.models.is_empty() {
        return None;
    }
    let age = unix_secs(now).saturating_sub(file.fetched_at);
    Some(Cached {
        catalog: Catalog::from_entries(file.models),
        // A timestamp in the future (clock moved back) counts as fresh for at most a day.
        fresh: age < MAX_AGE.as_secs() && file.fetched_at <= unix_secs(now) + MAX_AGE.as_secs(),
    })
}

/// Writes the listing of `base_url`. Only API listings are worth keeping.
pub fn save(dir: &Path, base_url: &str, catalog: &Catalog, now: SystemTime) -> io::Result<()> {
    if catalog.listed().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let file = CacheFile {
        base_url: base_url.trim_end_matches('/').to_owned(),
        fetched_at: unix_secs(now),
        models: catalog.listed().to_vec(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    let path = file_for(dir, base_url);
    let tmp = path.with_extension(format!("json.tmp{}", std::process::id()));
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// FNV-1a: stable across Rust versions, unlike `DefaultHasher`, so file names do not change
/// with the compiler.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
