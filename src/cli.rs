//! Command-line definitions (clap). Parsing only; `main.rs` acts on them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use chatterm::config::TierChoice;

/// chatterm: a terminal chat client for Claude.
#[derive(Debug, Parser)]
#[command(name = "chatterm", version, about, long_about = None)]
pub struct Cli {
    /// Print mode: answer PROMPT (or standard input) on stdout and exit.
    #[arg(short = 'p', long = "print")]
    pub print: bool,

    /// The message to send (print mode reads standard input when it is absent).
    pub prompt: Option<String>,

    /// Model tier to start with: fast, balanced, max, or auto (routing rules pick per
    /// request).
    #[arg(long, value_parser = parse_tier)]
    pub tier: Option<TierChoice>,

    /// Model id to use, whatever the tier.
    #[arg(long)]
    pub model: Option<String>,

    /// System prompt (overrides `chat.system`).
    #[arg(long)]
    pub system: Option<String>,

    /// Most tokens an answer may use.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Config file (default: the platform config directory's chatterm/config.toml).
    #[arg(long, env = "CHATTERM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the final message as JSON (print mode).
    #[arg(long)]
    pub json: bool,

    /// Run against the built-in local server with a simulated assistant (no API key needed).
    #[arg(long)]
    pub demo: bool,

    /// Colour theme: dark, light, ansi16 or a theme file (overrides `ui.theme`).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Start with mouse capture off, so the terminal's own text selection works.
    #[arg(long)]
    pub no_mouse: bool,

    /// Offer no tools to the model for this run (a tool call that still arrives is answered
    /// with an error).
    #[arg(long)]
    pub no_tools: bool,

    /// Run tools that ask for approval without asking (print mode otherwise refuses them).
    #[arg(long)]
    pub approve_all: bool,
    /// Send even when today's spend has reached `budget.daily_usd` (print mode refuses
    /// otherwise; the chat screen asks instead).
    #[arg(long)]
    pub over_budget: bool,

    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run the local Anthropic-compatible mock server (for tests and trying chatterm offline).
    MockServer {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 8787)]
        port: u16,
    },
    /// Run a bundled example tool (the demo's order lookup): the input JSON on stdin, the
    /// result on stdout. Hidden: it is a `[[tools.command]]` program, not for people.
    #[command(hide = true)]
    ToolExample {
        /// The example, e.g. `orders`.
        example: String,
        /// The tool, e.g. `lookup_order`.
        tool: String,
    },
    /// Print recorded usage: requests, tokens and cost per day and model, with totals.
    Usage {
        /// How many days to cover, today included.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
    },
}

fn parse_tier(s: &str) -> Result<TierChoice, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn interface_flags_parse() {
        let cli = Cli::try_parse_from(["chatterm", "--theme", "light", "--no-mouse"]).unwrap();
        assert_eq!(cli.theme.as_deref(), Some("light"));
        assert!(cli.no_mouse);
        let cli = Cli::try_parse_from(["chatterm"]).unwrap();
        assert_eq!(cli.theme, None);
        assert!(!cli.no_mouse);
        assert!(!cli.no_tools && !cli.approve_all);
        assert!(!cli.over_budget);
    }

    #[test]
    fn tool_flags_parse() {
        let cli =
            Cli::try_parse_from(["chatterm", "-p", "hi", "--no-tools", "--approve-all"]).unwrap();
        assert!(cli.no_tools && cli.approve_all);
    }

    #[test]
    fn tier_takes_auto_and_the_tier_names() {
        let tier = |t: &str| Cli::try_parse_from(["chatterm", "--tier", t]).map(|c| c.tier);
        assert_eq!(tier("auto").unwrap(), Some(TierChoice::Auto));
        assert_eq!(
            tier("Fast").unwrap(),
            Some(TierChoice::Fixed(chatterm::config::Tier::Fast))
        );
        assert!(tier("turbo").is_err());
    }

    #[test]
    fn tool_example_is_a_hidden_subcommand() {
        let cli = Cli::try_parse_from(["chatterm", "tool-example", "orders", "lookup_order"]);
        let Some(Sub::ToolExample { example, tool }) = cli.unwrap().command else {
            panic!("not parsed as tool-example");
        };
        assert_eq!(
            (example.as_str(), tool.as_str()),
            ("orders", "lookup_order")
        );
        let help = Cli::command().render_long_help().to_string();
        assert!(!help.contains("tool-example"), "{help}");
    }

    #[test]
    fn budget_and_usage_arguments_parse() {
        let cli = Cli::try_parse_from(["chatterm", "-p", "hi", "--over-budget"]).unwrap();
        assert!(cli.over_budget);
        let days = |args: &[&str]| match Cli::try_parse_from(args).map(|c| c.command) {
            Ok(Some(Sub::Usage { days })) => Some(days),
            _ => None,
        };
        assert_eq!(days(&["chatterm", "usage"]), Some(7));
        assert_eq!(days(&["chatterm", "usage", "--days", "30"]), Some(30));
        assert_eq!(days(&["chatterm", "usage", "--days", "0"]), None);
    }
}
