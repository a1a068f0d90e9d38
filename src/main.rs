//! The chatterm binary: parse the command line, load the config, pick a front end.
//!
//! The set-up steps that need no terminal are in `startup.rs`; this file strings them
//! together and builds the full-screen app's options.

mod cli;
mod extract_cmd;
mod startup;
mod store_cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, eyre};

use chatterm::api::{Auth, Client};
use chatterm::config::{Config, Tier};
use chatterm::cost::day::LocalTime;
use chatterm::cost::{Ledger, Pricing};
use chatterm::engine::Engine;
use chatterm::extract::Extractor;
use chatterm::mock::MockServer;
use chatterm::print::{self, PrintOptions};
use chatterm::tui;

use cli::{Cli, Sub};
use tui::app::AppOptions;
use tui::app::cost::CostOptions;
use tui::app::keymap::Keymap;
use tui::render::theme::{self, Theme};
use tui::run::extract_task::ExtractService;

const NO_KEY_HELP: &str = "\
chatterm needs an Anthropic API key.

  Set it for this shell:   export ANTHROPIC_API_KEY=sk-ant-...
  (or ANTHROPIC_AUTH_TOKEN for a bearer token)

No key yet? Try the offline demo, which runs against a built-in local server:

  chatterm --demo";

fn main() -> ExitCode {
    // The local UTC offset can only be read soundly while this is the only thread.
    let local = LocalTime::detect();
    if let Err(e) = color_eyre::install() {
        eprintln!("warning: {e}");
    }
    let cli = cli::parse();
    if let Some(Sub::ToolExample { example, tool }) = &cli.command {
        return tool_example(example, tool);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, local));
    // Whatever is still running (a stuck store write, a blocking task) gets a moment, not a
    // wait without end: after a signal or a hang-up the process must be gone within a second.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            // Errors echo what they were given (config values, API messages, file names).
            eprintln!("error: {}", chatterm::sanitize::sanitize(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// `chatterm tool-example`: a command tool's stdin and stdout, handed to the library.
fn tool_example(example: &str, tool: &str) -> ExitCode {
    let code = chatterm::tools::examples::run_stdio(
        example,
        tool,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

async fn run(cli: Cli, local: LocalTime) -> Result<i32> {
    match &cli.command {
        Some(Sub::MockServer { port }) => return startup::mock_server(*port).await,
        Some(Sub::History { command }) => return store_cli::history(&cli, command),
        _ => {}
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // The store keeps conversations and the usage ledger (every request's tokens and
    // cost, for today's spend and `chatterm usage`).
    let full_screen = interactive && !cli.print && cli.command.is_none();
    // The full screen asks before it starts whether to go on without the store: one key.
    let ask: &dyn Fn(&str) -> bool = &tui::run::ask::yes_no;
    let store = match store_cli::open(&cli, full_screen.then_some(ask)) {
        Ok(store) => store,
        Err(code) => return Ok(code),
    };
    let ledger: Arc<dyn Ledger> = store.clone();
    if let Some(Sub::Usage { days }) = cli.command {
        return startup::usage(ledger.as_ref(), local, days);
    }
    let (mut config, warnings) = startup::load_config(&cli)?;
    // The chat screen shows them as notices; elsewhere stderr is read as it goes.
    if !full_screen {
        for w in &warnings {
            // A warning quotes the config file's text (a key name): through the gate.
            eprintln!("warning: {}", chatterm::sanitize::sanitize(w));
        }
    }
    // The chat screen asks before an over-budget send; the non-interactive modes refuse.
    if !full_screen && startup::over_budget(&config, &cli, ledger.as_ref(), local) {
        return Ok(print::EXIT_REFUSED);
    }

    // The demo's server lives as long as this function.
    let demo = if cli.demo {
        Some(
            MockServer::start()
                .await
                .wrap_err("starting the demo server")?,
        )
    } else {
        None
    };
    let (base_url, auth) = match &demo {
        Some(server) => (server.url(), Auth::ApiKey("chatterm-demo".into())),
        None => match Auth::from_env(&|k| std::env::var(k).ok()) {
            Some(auth) => (config.base_url().to_owned(), auth),
            None => {
                eprintln!("{NO_KEY_HELP}");
                return Ok(2);
            }
        },
    };
    let client = Client::new(startup::client_options(&config, base_url, auth))?;
    // The demo keeps the built-in models: deterministic, and every price known.
    let discover = config.models.discover && demo.is_none();
    let waits = cli.print || !interactive || matches!(cli.command, Some(Sub::Extract(_)));
    let (catalog, refresh_dir) =
        startup::discover_models(&client, &mut config, discover, waits).await;
    let pricing = Pricing::embedded().with_overrides(&config.pricing);
    if let Some(Sub::Extract(args)) = &cli.command {
        // The default method follows the model's capabilities as `/v1/models` lists them.
        let supports = |id: &str| {
            catalog
                .get(id)
                .and_then(|m| m.supports("structured_outputs"))
        };
        let extractor = Extractor::new(client, &config, pricing)
            .with_model(cli.model.clone())
            .with_ledger(ledger.clone());
        return Ok(extract_cmd::run(args, extractor, &supports).await);
    }
    let resumed = store_cli::resumed(&cli, &store)?;
    // `/extract` in the chat screen: the chat's client, prices, ledger and models.
    let extract = ExtractService::new(
        Extractor::new(client.clone(), &config, pricing.clone())
            .with_model(cli.model.clone())
            .with_ledger(ledger.clone())
            .with_local_time(local),
        catalog.clone(),
    );
    let mut engine = Engine::new(client, &config, pricing.clone())
        .with_model(cli.model.clone())
        .with_catalog(catalog)
        .with_ledger(ledger.clone())
        .with_local_time(local)
        .with_tools(
            startup::tools(&config, cli.demo)?,
            startup::tool_settings(&config, &cli),
        )
        .with_journal(
            store.clone(),
            resumed.as_ref().map(|r| r.summary.id.to_string()),
        );
    if let Some(r) = &resumed {
        engine = engine.with_history(r.history());
    }
    if let Some(dir) = refresh_dir {
        engine = engine.refresh_catalog(dir);
    }
    let mut handle = engine.spawn();
    let opts = PrintOptions { json: cli.json };
    let root_warning = startup::root_warning(&config, &cli);
    if let (false, Some(warning)) = (full_screen, &root_warning) {
        eprintln!("warning: {warning}");
    }
    if cli.print {
        let prompt = startup::prompt_from(&cli)?;
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        return Ok(print::run_print(&mut handle, prompt, opts, &mut out, &mut err).await);
    }
    if !interactive {
        // Not a terminal (a pipe, a script): the line mode reads and answers line by line.
        if let Some(prompt) = cli.prompt.clone() {
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let code = print::run_print(&mut handle, prompt, opts, &mut out, &mut err).await;
            if code != 0 {
                return Ok(code);
            }
        }
        return Ok(print::run_lines(&mut handle, opts).await);
    }
    // Checked before the terminal is touched, so a typo in the theme or keys is a plain error.
    let cost = CostOptions {
        pricing: Arc::new(pricing),
        budget: config.budget.clone(),
        local,
        tier_models: startup::tier_models(&config),
        ledger: Some(ledger),
    };
    let mut options = app_options(&config, &cli, cost)?;
    options.notices = warnings.iter().map(|w| format!("config: {w}")).collect();
    options.notices.extend(root_warning);
    let link = tui::run::store::StoreLink { store, resumed };
    let (ending, hint) = tui::run::run(options, handle, extract, cli.prompt.clone(), link)
        .await
        .wrap_err("terminal error")?;
    // Printed after the terminal is restored, so it stays in the shell's scrollback; a
    // terminal that went away takes it with it (no panic on a failed write).
    if let Some(line) = hint {
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    Ok(ending.exit_code())
}

/// What the TUI starts with; fails before the terminal is touched on a bad theme or keys.
fn app_options(config: &Config, cli: &Cli, cost: CostOptions) -> Result<AppOptions> {
    let name = cli.theme.clone().or_else(|| config.ui.theme.clone());
    let mut theme = match &name {
        Some(name) => Theme::load(name)?,
        None => Theme::default_theme(),
    };
    if theme::no_color_requested(std::env::var_os("NO_COLOR").as_deref()) {
        theme = theme.without_colour();
    }
    let keymap = Keymap::with_overrides(&config.keys).map_err(|e| match &config.source {
        Some(file) => eyre!("{}: [keys]: {e}", file.display()),
        None => eyre!("[keys]: {e}"),
    })?;
    let tier = config.models.tier.fixed().unwrap_or(config.routing.default);
    let mut models: Vec<String> = Tier::ALL
        .iter()
        .map(|&t| config.models.model_for(t).to_owned())
        .collect();
    models.dedup();
    Ok(AppOptions {
        theme,
        keymap,
        tier: cli.model.is_none().then_some(tier),
        auto: cli.model.is_none() && config.models.tier.is_auto(),
        model: cli
            .model
            .clone()
            .unwrap_or_else(|| config.models.model_for(tier).to_owned()),
        models,
        sidebar: config.ui.sidebar,
        mouse_capture: config.ui.mouse && !cli.no_mouse,
        cost,
        approve_all: cli.approve_all,
        notices: Vec::new(),
    })
}
