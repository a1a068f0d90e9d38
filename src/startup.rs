//! Setting up a run, for the binary: the config in force, the API client, the tools, the
//! model catalog, the budget gate, and the small subcommands (`usage`, `mock-server`).
//!
//! Nothing here touches the terminal UI; `main.rs` strings these steps together and picks
//! the front end.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use color_eyre::eyre::{Result, WrapErr, eyre};

use chatterm::api::catalog::{self, Catalog};
use chatterm::api::{Auth, Client, ClientOptions};
use chatterm::config::{self, Config, LoadOptions, PerTier, Tier};
use chatterm::cost::day::{LocalTime, now_ms};
use chatterm::cost::{Ledger, Pricing, report};
use chatterm::engine::{ApprovalPolicy, ToolSettings};
use chatterm::mock::MockServer;
use chatterm::print;
use chatterm::tools::{Registry, ToolExecutor};

use crate::cli::Cli;

/// How long print and line mode wait for `/v1/models` when the cached listing is missing or
/// stale (at most once a day); the full-screen UI never waits, it asks in the background.
const DISCOVERY_WAIT: Duration = Duration::from_secs(3);

/// The config in force (file and environment layers, the demo's system prompt, the
/// flags), and its warnings (unknown keys) for the front end to show.
pub fn load_config(cli: &Cli) -> Result<(Config, Vec<String>)> {
    let loaded = config::load(&LoadOptions::from_process_env(cli.config.clone()))?;
    let warnings = loaded.warnings.iter().map(ToString::to_string).collect();
    let mut config = loaded.config;
    if cli.demo && config.chat.system.is_none() {
        config.chat.system = Some(chatterm::mock::DEMO_SYSTEM_PROMPT.to_owned());
    }
    apply_flags(&mut config, cli);
    Ok((config, warnings))
}

fn apply_flags(config: &mut Config, cli: &Cli) {
    if let Some(t) = cli.tier {
        config.models.tier = t;
    }
    if let Some(s) = &cli.system {
        config.chat.system = Some(s.clone());
    }
    if let Some(n) = cli.max_tokens {
        config.models.max_tokens = PerTier::all(n);
    }
    apply_thinking_flags(config, cli);
}

/// `--thinking` and `--effort` over `[thinking]` and `models.effort`.
fn apply_thinking_flags(config: &mut Config, cli: &Cli) {
    use crate::cli::ThinkingFlag;
    use chatterm::config::ThinkingMode;
    match cli.thinking {
        Some(ThinkingFlag::Off) => config.thinking.mode = ThinkingMode::Off,
        Some(ThinkingFlag::Adaptive) => config.thinking.mode = ThinkingMode::Adaptive,
        Some(ThinkingFlag::Budget(n)) => {
            config.thinking.mode = ThinkingMode::Budget;
            config.thinking.budget_tokens = n;
        }
        None => {}
    }
    if let Some(effort) = cli.effort {
        config.thinking.effort = PerTier::all(Some(effort));
    }
}

pub fn client_options(config: &Config, base_url: String, auth: Auth) -> ClientOptions {
    let mut o = ClientOptions::new(base_url, auth);
    o.betas = config.betas();
    o.connect_timeout = config.api.connect_timeout;
    o.first_byte_timeout = config.api.first_byte_timeout;
    o.idle_timeout = config.api.idle_timeout;
    o.max_retries = config.api.max_retries;
    o
}

/// The tools the model may call: the built-ins and `[[tools.command]]`, plus the bundled
/// order-management example in the demo. Built whatever `tools.enabled` says: the engine
/// answers calls that still arrive when tools are off.
pub fn tools(config: &Config, demo: bool) -> Result<Arc<dyn ToolExecutor>> {
    let extra = if demo {
        chatterm::config::orders_example::demo_command_tools()
            .wrap_err("setting up the demo's example tools")?
    } else {
        Vec::new()
    };
    let registry = Registry::from_config_with(&config.tools, extra).wrap_err("tools")?;
    Ok(Arc::new(registry))
}

/// The start-up warning for a tools root at the home directory or `/`, when tools are on.
pub fn root_warning(config: &Config, cli: &Cli) -> Option<String> {
    if !config.tools.enabled || cli.no_tools {
        return None;
    }
    let root = match &config.tools.root {
        Some(root) => root.clone(),
        None => std::env::current_dir().ok()?,
    };
    chatterm::tools::guard::root_warning(&root, chatterm::tools::guard::home_dir().as_deref())
}

/// How tools run this time: `[tools]`, then `--no-tools` and `--approve-all`.
pub fn tool_settings(config: &Config, cli: &Cli) -> ToolSettings {
    ToolSettings {
        enabled: config.tools.enabled && !cli.no_tools,
        parallel: config.tools.parallel,
        max_rounds: config.tools.max_rounds,
        eager_input_streaming: config.tools.eager_input_streaming,
        approvals: if cli.approve_all {
            ApprovalPolicy::ApproveAll
        } else {
            ApprovalPolicy::Ask
        },
        server: config.tools.server.clone(),
    }
}

/// The model catalog to start with, after pointing unpinned tiers at what it lists, and
/// `Some(cache dir)` when the engine should refresh it in the background. Reads the disk
/// cache; asks the API only when that is missing or older than a day, waiting (briefly)
/// only when `waits` (print mode answers at once, so the tiers must be settled first).
pub async fn discover_models(
    client: &Client,
    config: &mut Config,
    discover: bool,
    waits: bool,
) -> (Catalog, Option<Option<std::path::PathBuf>>) {
    if !discover {
        return (Catalog::builtin(), None);
    }
    let dir = catalog::disk::cache_dir(&|k| std::env::var(k).ok());
    let start = catalog::at_startup(
        dir.as_deref(),
        &client.options().base_url,
        SystemTime::now(),
    );
    let mut listing = start.catalog;
    let mut background = None;
    if start.refresh && waits {
        let refresh = catalog::refresh_noting(client, dir.as_deref());
        if let Ok(Ok((fresh, note))) = tokio::time::timeout(DISCOVERY_WAIT, refresh).await {
            listing = fresh;
            if let Some(note) = note {
                eprintln!("note: {note}");
            }
        }
    } else if start.refresh {
        background = Some(dir);
    }
    listing.discover_tiers(&mut config.models);
    (listing, background)
}

/// Whether today's spend has reached `budget.daily_usd` without `--over-budget`; says why
/// on stderr when it has. An unreadable ledger is a warning, not a refusal.
pub fn over_budget(config: &Config, cli: &Cli, ledger: &dyn Ledger, local: LocalTime) -> bool {
    let spent = match ledger.spent_since(local.midnight_ms(now_ms())) {
        Ok(spent) => spent,
        Err(e) => {
            eprintln!("warning: {e}; today's spend is not checked against the budget");
            return false;
        }
    };
    match print::budget_refusal(spent, config.budget.daily_usd, cli.over_budget) {
        Some(why) => {
            eprintln!("error: {why}");
            true
        }
        None => false,
    }
}

/// Each tier's model, for attributing requests to tiers.
pub fn tier_models(config: &Config) -> Vec<(Tier, String)> {
    Tier::ALL
        .iter()
        .map(|&t| (t, config.models.model_for(t).to_owned()))
        .collect()
}

/// `chatterm usage`: the ledger's last `days` days as a table on stdout.
pub fn usage(ledger: &dyn Ledger, local: LocalTime, days: u32) -> Result<i32> {
    let now = now_ms();
    let entries = ledger
        .entries_since(local.days_back_ms(now, days))
        .wrap_err("reading the usage ledger")?;
    print!("{}", report::usage_report(&entries, &local, days, now));
    Ok(0)
}

/// The prompt from the argument, else from standard input (when it is not a terminal).
pub fn prompt_from(cli: &Cli) -> Result<String> {
    if let Some(p) = &cli.prompt {
        // The API refuses an empty message with a 400; say so before anything is sent.
        if p.trim().is_empty() {
            return Err(eyre!(
                "the prompt is empty: chatterm -p \"your question\" (or pipe it in)"
            ));
        }
        return Ok(p.clone());
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(eyre!(
            "print mode needs a prompt: chatterm -p \"your question\" (or pipe it in)"
        ));
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .wrap_err("reading the prompt from standard input")?;
    if text.trim().is_empty() {
        return Err(eyre!("the prompt on standard input is empty"));
    }
    Ok(text)
}

/// `chatterm mock-server`: the local Anthropic-compatible server, until Ctrl+C.
pub async fn mock_server(port: u16, batches: chatterm::mock::batches::BatchPlan) -> Result<i32> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = MockServer::bind(addr)
        .await
        .wrap_err_with(|| format!("cannot listen on {addr}"))?;
    server.plan_batches(batches);
    // A chatterm pointed at it picks its tiers from the model list: only models with a
    // known price are listed, so the example shows what each answer costs.
    let pricing = Pricing::embedded();
    for id in chatterm::mock::models::catalogue_ids() {
        if pricing.price(id).is_none() {
            server.add_model(chatterm::mock::models::hidden(id));
        }
    }
    // Written without `eprintln!`, which panics when stderr is closed: a script that read
    // the first line and went away must not take the server down.
    let mut err = std::io::stderr();
    let url = server.url();
    let _ = writeln!(err, "chatterm mock server listening on {url}");
    let _ = writeln!(
        err,
        "try:  ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=test chatterm -p \"hello\""
    );
    let _ = writeln!(err, "stop with Ctrl+C");
    server.wait().await;
    Ok(0)
}
