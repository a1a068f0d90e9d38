//! The model catalog: what chatterm knows about each model id (context window, longest
//! answer, line, lifecycle, capabilities), from `GET /v1/models` or built-in defaults.
//!
//! Sources, best first, for any lookup by id:
//! 1. the entries the API listed (all pages), kept on disk for a day ([`disk`]);
//! 2. the built-in entries ([`builtin`]): the confirmed models of reference §6.1;
//! 3. a rule per model family for ids neither knows (e.g. a new Sonnet gets the window of
//!    the newest known Sonnet generation), so the context gauge never lacks a window.
//!
//! Tier discovery ([`Catalog::newest`], [`Catalog::discover_tiers`]) uses only the API's
//! entries: the newest *active* model of the haiku, sonnet and opus lines for the fast,
//! balanced and max tiers. Built-in entries never take part, so offline the configured
//! (or built-in default) tier ids stay as they are.
//!
//! UI-free and IO-free apart from [`disk`] (files) and [`refresh`] (one HTTP listing).

pub mod builtin;
pub mod disk;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, Client, ModelInfo};
use crate::config::{ModelsConfig, Tier};

/// One model as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    pub display_name: String,
    /// RFC 3339, as the API sends it; `None` when unknown.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The context window.
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    /// The longest answer (`max_tokens` in the API's listing).
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    /// haiku, sonnet, opus, fable, mythos; inferred from the id when the API omits it.
    #[serde(default)]
    pub line: Option<String>,
    /// active, deprecated, retired; absent on older servers (then taken as active).
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// The API's capability tree, as JSON (`{"structured_outputs": {"supported": true}}`).
    #[serde(default)]
    pub capabilities: Option<Value>,
}

impl ModelEntry {
    pub fn from_info(info: ModelInfo) -> Self {
        let line = info.line.or_else(|| line_of(&info.id).map(str::to_owned));
        Self {
            display_name: info.display_name.unwrap_or_else(|| info.id.clone()),
            id: info.id,
            created_at: info.created_at,
            max_input_tokens: info.max_input_tokens,
            max_output_tokens: info.max_tokens,
            line,
            lifecycle: info.lifecycle,
            capabilities: info.capabilities,
        }
    }

    pub fn is_active(&self) -> bool {
        self.lifecycle.as_deref().is_none_or(|l| l == "active")
    }

    /// Whether the capability at a dotted path is supported, e.g. `structured_outputs` or
    /// `thinking.types.adaptive`; `None` when the catalog does not say.
    pub fn supports(&self, path: &str) -> Option<bool> {
        let mut node = self.capabilities.as_ref()?;
        for part in path.split('.') {
            node = node.get(part)?;
        }
        node.get("supported").and_then(Value::as_bool)
    }
}

/// The model line a tier discovers: fast = haiku, balanced = sonnet, max = opus.
pub fn line_for(tier: Tier) -> &'static str {
    match tier {
        Tier::Fast => "haiku",
        Tier::Balanced => "sonnet",
        Tier::Max => "opus",
    }
}

/// The line named in an id (`claude-sonnet-4-6`, `claude-3-5-haiku-20241022`), if any.
pub fn line_of(id: &str) -> Option<&'static str> {
    const LINES: [&str; 5] = ["haiku", "sonnet", "opus", "fable", "mythos"];
    id.split('-')
        .find_map(|part| LINES.into_iter().find(|l| *l == part))
}

/// Where a catalog's entries came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Nothing from the API: built-in entries and family rules only.
    Builtin,
    /// The API's listing (possibly from the disk cache).
    Api,
}

/// Model facts by id. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    listed: Vec<ModelEntry>,
    source: Source,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Catalog {
    /// The offline catalog: built-in entries and family rules only.
    pub fn builtin() -> Self {
        Self {
            listed: Vec::new(),
            source: Source::Builtin,
        }
    }

    /// A catalog of the API's (or a test's) entries, on top of the built-in ones.
    pub fn from_entries(listed: Vec<ModelEntry>) -> Self {
        Self {
            listed,
            source: Source::Api,
        }
    }

    pub fn from_models(models: Vec<ModelInfo>) -> Self {
        Self::from_entries(models.into_iter().map(ModelEntry::from_info).collect())
    }

    pub fn source(&self) -> Source {
        self.source
    }

    /// The entries the API listed (empty for the built-in catalog).
    pub fn listed(&self) -> &[ModelEntry] {
        &self.listed
    }

    /// The entry for an id: listed first, then built-in. A dated id
    /// (`claude-haiku-4-5-20251001`) also finds its undated entry.
    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        let find = |id: &str| {
            self.listed
                .iter()
                .find(|m| m.id == id)
                .or_else(|| builtin::entries().iter().find(|m| m.id == id))
        };
        find(id).or_else(|| find(undated(id)?))
    }

    /// The context window of a model: its entry's, else the family rule's.
    pub fn window(&self, id: &str) -> u64 {
        self.get(id)
            .and_then(|m| m.max_input_tokens)
            .unwrap_or_else(|| builtin::family_window(id))
    }

    /// The longest answer the model allows, when known.
    pub fn max_output(&self, id: &str) -> Option<u64> {
        self.get(id).and_then(|m| m.max_output_tokens)
    }

    /// The newest active listed model of a line, by `created_at` (ids break ties).
    pub fn newest(&self, line: &str) -> Option<&ModelEntry> {
        self.listed
            .iter()
            .filter(|m| m.is_active() && m.line.as_deref() == Some(line))
            .max_by(|a, b| (a.created_at.as_deref(), &a.id).cmp(&(b.created_at.as_deref(), &b.id)))
    }

    /// Points every unpinned tier at the newest active model of its line, when the listing
    /// has one. Returns the tiers that changed, with their new ids.
    pub fn discover_tiers(&self, models: &mut ModelsConfig) -> Vec<(Tier, String)> {
        let mut changed = Vec::new();
        for tier in Tier::ALL {
            if models.pinned.get(tier) {
                continue;
            }
            if let Some(entry) = self.newest(line_for(tier))
                && models.model_for(tier) != entry.id
            {
                *models.model_for_mut(tier) = entry.id.clone();
                changed.push((tier, entry.id.clone()));
            }
        }
        changed
    }
}

/// `claude-haiku-4-5-20251001` → `claude-haiku-4-5`: the id without a trailing 8-digit date.
fn undated(id: &str) -> Option<&str> {
    let (base, date) = id.rsplit_once('-')?;
    (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())).then_some(base)
}

/// What start-up knows without the network, and whether to ask.
#[derive(Debug, Clone, PartialEq)]
pub struct Startup {
    /// The cached listing (fresh or stale), else the built-in catalog.
    pub catalog: Catalog,
    /// The listing is missing or older than a day: refresh it.
    pub refresh: bool,
}

/// Reads the disk cache of `base_url` in `dir` (never the network).
pub fn at_startup(dir: Option<&Path>, base_url: &str, now: std::time::SystemTime) -> Startup {
    match dir.and_then(|d| disk::load(d, base_url, now)) {
        Some(cached) => Startup {
            catalog: cached.catalog,
            refresh: !cached.fresh,
        },
        None => Startup {
            catalog: Catalog::builtin(),
            refresh: true,
        },
    }
}

/// Lists every model (all pages) and keeps the listing on disk in `dir` for a day.
/// A failure to write the cache is not an error: the catalog is still good for this run.
pub async fn refresh(client: &Client, dir: Option<&Path>) -> Result<Catalog, ApiError> {
    Ok(refresh_noting(client, dir).await?.0)
}

/// [`refresh`], with the note to show when the listing was cut short
/// ([`super::client::MAX_MODEL_PAGES`]).
pub async fn refresh_noting(
    client: &Client,
    dir: Option<&Path>,
) -> Result<(Catalog, Option<String>), ApiError> {
    let listing = client.list_models().await?;
    let note = listing.note();
    // A listing cut short still names every model it reached; those are worth keeping.
    let catalog = Catalog::from_models(listing.models);
    if let Some(dir) = dir {
        let _ = disk::save(
            dir,
            &client.options().base_url,
            &catalog,
            std::time::SystemTime::now(),
        );
    }
    Ok((catalog, note))
}

#[cfg(test)]
mod tests;
