//! The IO side of `/extract`: finding and loading a schema, and running extractions on
//! their own tasks with their progress sent back to the event loop.
//!
//! A schema is named by a file path (relative to the current directory, `~/` for the home
//! directory) or by the name of a bundled schema ([`BUNDLED`], embedded in the binary, so
//! `/extract support-email` works from any directory). An existing file wins over a
//! bundled name.
//!
//! [`ExtractService`] holds what the binary sets up once: an [`Extractor`] with the chat's
//! client, prices, ledger and models, and the model catalog that says which models take
//! native structured outputs (the default method follows it, as for `chatterm extract`).
//! [`Extractions`] is the event loop's handle: it starts a request's task, keeps its
//! cancellation token until the task reports its end, and is the stream of
//! [`ExtractEvent`]s the loop feeds to [`crate::tui::app::App::on_extract`]. Each task sends
//! its progress in order and then exactly one `Finished`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::api::catalog::Catalog;
use crate::extract::{Extractor, Job, Method, Schema};

use crate::tui::app::extract::{
    ExtractEvent, ExtractRequest, ExtractTarget, ExtractUpdate, LoadedSchema,
};

/// The schemas that ship with chatterm: (name, JSON).
pub const BUNDLED: &[(&str, &str)] = &[(
    "support-email",
    include_str!("../../../assets/schemas/support-email.json"),
)];

/// Loads the schema `spec` names, from the process's current directory and home.
pub fn load_schema(spec: &str) -> Result<LoadedSchema, String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    resolve_schema(spec, &cwd, home.as_deref())
}

/// Loads the schema `spec` names: a file (relative to `cwd`, `~/` meaning `home`), else
/// a bundled schema. The error says what went wrong and what the bundled names are.
pub fn resolve_schema(spec: &str, cwd: &Path, home: Option<&Path>) -> Result<LoadedSchema, String> {
    let spec = spec.trim();
    let path = expand(spec, cwd, home);
    if path.is_file() {
        let schema = Schema::from_file(&path).map_err(|e| e.to_string())?;
        let name = path
            .file_name()
            .map_or_else(|| spec.to_owned(), |n| n.to_string_lossy().into_owned());
        return Ok(LoadedSchema {
            name,
            schema: Arc::new(schema),
        });
    }
    let bare = spec.strip_suffix(".json").unwrap_or(spec);
    if let Some((name, text)) = BUNDLED.iter().find(|(name, _)| *name == bare) {
        let value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let schema = Schema::new(value).map_err(|e| e.to_string())?;
        return Ok(LoadedSchema {
            name: (*name).to_owned(),
            schema: Arc::new(schema),
        });
    }
    let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
    let why = if path.exists() {
        "is not a file"
    } else {
        "no such file"
    };
    Err(format!(
        "cannot use the schema {}: {why}, and no bundled schema has that name (bundled: {})",
        path.display(),
        names.join(", ")
    ))
}

fn expand(spec: &str, cwd: &Path, home: Option<&Path>) -> PathBuf {
    let path = match (spec.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ if spec == "~" => home.map_or_else(|| PathBuf::from(spec), Path::to_path_buf),
        _ => PathBuf::from(spec),
    };
    if path.is_relative() {
        cwd.join(path)
    } else {
        path
    }
}

/// What extractions run with. See the module docs.
#[derive(Clone)]
pub struct ExtractService {
    extractor: Extractor,
    catalog: Catalog,
}

impl ExtractService {
    pub fn new(extractor: Extractor, catalog: Catalog) -> Self {
        Self { extractor, catalog }
    }

    /// The extractor on the chat's tier or model.
    fn extractor_for(&self, target: &ExtractTarget) -> Extractor {
        let mut extractor = self.extractor.clone();
        if let Some(tier) = target.tier {
            extractor = extractor.with_tier(tier);
        }
        if target.model.is_some() {
            extractor = extractor.with_model(target.model.clone());
        }
        extractor
    }

    /// Starts `request` on a task of its own; its events go to `events`. The token
    /// cancels it.
    pub fn spawn(
        &self,
        request: &ExtractRequest,
        events: UnboundedSender<ExtractEvent>,
    ) -> CancellationToken {
        let extractor = self.extractor_for(&request.target);
        let supports = self
            .catalog
            .get(extractor.model())
            .and_then(|m| m.supports("structured_outputs"));
        let job = Job {
            schema: request.schema.schema.clone(),
            input: request.input.clone(),
            instructions: None,
            method: Method::choose(supports),
        };
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let id = request.id;
        tokio::spawn(async move {
            let (tx, mut rx) = mpsc::unbounded_channel();
            let extraction = async move {
                // `tx` goes with the extraction, so the forwarding below ends when it does.
                extractor.extract(&job, Some(&tx), &token).await
            };
            let forward = async {
                while let Some(p) = rx.recv().await {
                    let update = ExtractUpdate::Progress(p);
                    // A closed channel means the app is gone; the task just ends.
                    let _ = events.send(ExtractEvent { id, update });
                }
            };
            let (report, ()) = tokio::join!(extraction, forward);
            let update = ExtractUpdate::Finished(Box::new(report));
            let _ = events.send(ExtractEvent { id, update });
        });
        cancel
    }
}

/// The event loop's extractions. See the module docs.
pub struct Extractions {
    service: ExtractService,
    tx: UnboundedSender<ExtractEvent>,
    rx: UnboundedReceiver<ExtractEvent>,
    running: HashMap<u64, CancellationToken>,
}

impl Extractions {
    pub fn new(service: ExtractService) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            service,
            tx,
            rx,
            running: HashMap::new(),
        }
    }

    pub fn start(&mut self, request: &ExtractRequest) {
        let token = self.service.spawn(request, self.tx.clone());
        self.running.insert(request.id, token);
    }

    pub fn cancel(&mut self, id: u64) {
        if let Some(token) = self.running.get(&id) {
            token.cancel();
        }
    }

    /// Cancels everything still running (the app is quitting).
    pub fn cancel_all(&mut self) {
        for token in self.running.values() {
            token.cancel();
        }
    }

    /// The next event of any extraction. Never ends: this side holds a sender.
    pub async fn next(&mut self) -> ExtractEvent {
        let event = match self.rx.recv().await {
            Some(event) => event,
            None => std::future::pending().await,
        };
        self.seen(&event);
        event
    }

    /// An event already queued, if any (to drain before drawing).
    pub fn try_next(&mut self) -> Option<ExtractEvent> {
        let event = self.rx.try_recv().ok()?;
        self.seen(&event);
        Some(event)
    }

    fn seen(&mut self, event: &ExtractEvent) {
        if matches!(event.update, ExtractUpdate::Finished(_)) {
            self.running.remove(&event.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Auth, Client, ClientOptions};
    use crate::config::{Config, Tier};
    use crate::cost::Pricing;

    fn service() -> (ExtractService, Config) {
        let config = Config::default();
        let options = ClientOptions::new("http://127.0.0.1:9", Auth::ApiKey("k".into()));
        let client = Client::new(options).unwrap();
        let extractor = Extractor::new(client, &config, Pricing::embedded());
        (ExtractService::new(extractor, Catalog::builtin()), config)
    }

    #[test]
    fn extractions_use_the_chats_tier_or_model() {
        let (service, config) = service();
        let on = |tier, model: Option<&str>| {
            let target = ExtractTarget {
                tier,
                model: model.map(str::to_owned),
            };
            service.extractor_for(&target).model().to_owned()
        };
        let default = config.routing.default;
        assert_eq!(on(None, None), config.models.model_for(default));
        assert_eq!(
            on(Some(Tier::Fast), None),
            config.models.model_for(Tier::Fast)
        );
        assert_eq!(on(Some(Tier::Max), Some("pinned-model")), "pinned-model");
        assert_eq!(on(None, Some("claude-opus-5")), "claude-opus-5");
    }
}
