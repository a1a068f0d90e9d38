//! The chatterm binary: parse the command line, load the config, pick a front end.

mod cli;
mod store_cli;
mod tui;

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, eyre};

use chatterm::api::{Auth, Client, ClientOptions};
use chatterm::config::{self, Config, LoadOptions, Tier};
use chatterm::cost::Pricing;
use chatterm::engine::Engine;
use chatterm::mock::MockServer;
use chatterm::print::{self, PrintOptions};

use cli::{Cli, Sub};
use tui::app::AppOptions;
use tui::keymap::Keymap;
use tui::theme::{self, Theme};

const NO_KEY_HELP: &str = "\
chatterm needs an Anthropic API key.

  Set it for this shell:   export ANTHROPIC_API_KEY=sk-ant-...
  (or ANTHROPIC_AUTH_TOKEN for a bearer token)

No key yet? Try the offline demo, which runs against a built-in local server:

  chatterm --demo";

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("warning: {e}");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match &cli.command {
        Some(Sub::MockServer { port }) => return mock_server(*port).await,
        Some(Sub::History { command }) => return store_cli::history(&cli, command),
        None => {}
    }
    let loaded = config::load(&LoadOptions::from_process_env(cli.config.clone()))?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let mut config = loaded.config;
    if cli.demo && config.chat.system.is_none() {
        config.chat.system = Some(chatterm::mock::DEMO_SYSTEM_PROMPT.to_owned());
    }
    apply_flags(&mut config, &cli);

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
    let client = Client::new(client_options(&config, base_url, auth))?;
    let interactive =
        !cli.print && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let store = match store_cli::open(&cli, interactive) {
        Ok(store) => store,
        Err(code) => return Ok(code),
    };
    let resumed = store_cli::resumed(&cli, &store)?;
    let mut engine = Engine::new(client, &config, Pricing::embedded())
        .with_model(cli.model.clone())
        .with_journal(
            store.clone(),
            resumed.as_ref().map(|r| r.summary.id.to_string()),
        );
    if let Some(r) = &resumed {
        engine = engine.with_history(r.history());
    }
    let mut handle = engine.spawn();
    let opts = PrintOptions { json: cli.json };
    if cli.print {
        let prompt = prompt_from(&cli)?;
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        return Ok(print::run_print(&mut handle, prompt, opts, &mut out, &mut err).await);
    }
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
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
    let options = app_options(&config, &cli)?;
    let link = tui::run_store::StoreLink { store, resumed };
    tui::run::run(options, handle, cli.prompt.clone(), link)
        .await
        .wrap_err("terminal error")?;
    Ok(0)
}

/// What the TUI starts with; fails before the terminal is touched on a bad theme or keys.
fn app_options(config: &Config, cli: &Cli) -> Result<AppOptions> {
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
    let tier = config.models.tier;
    let mut models: Vec<String> = Tier::ALL
        .iter()
        .map(|&t| config.models.model_for(t).to_owned())
        .collect();
    models.dedup();
    Ok(AppOptions {
        theme,
        keymap,
        tier: cli.model.is_none().then_some(tier),
        model: cli
            .model
            .clone()
            .unwrap_or_else(|| config.models.model_for(tier).to_owned()),
        models,
        sidebar: config.ui.sidebar,
        mouse_capture: config.ui.mouse && !cli.no_mouse,
    })
}

fn apply_flags(config: &mut Config, cli: &Cli) {
    if let Some(t) = cli.tier {
        config.models.tier = t;
    }
    if let Some(s) = &cli.system {
        config.chat.system = Some(s.clone());
    }
    if let Some(n) = cli.max_tokens {
        config.models.max_tokens = n;
    }
}

fn client_options(config: &Config, base_url: String, auth: Auth) -> ClientOptions {
    let mut o = ClientOptions::new(base_url, auth);
    o.betas = config.api.betas.clone();
    o.connect_timeout = config.api.connect_timeout;
    o.first_byte_timeout = config.api.first_byte_timeout;
    o.idle_timeout = config.api.idle_timeout;
    o.max_retries = config.api.max_retries;
    o
}

/// The prompt from the argument, else from standard input (when it is not a terminal).
fn prompt_from(cli: &Cli) -> Result<String> {
    if let Some(p) = &cli.prompt {
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

async fn mock_server(port: u16) -> Result<i32> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = MockServer::bind(addr)
        .await
        .wrap_err_with(|| format!("cannot listen on {addr}"))?;
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
