//! Command-line definitions (clap). Parsing only; `main.rs` acts on them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use chatterm::config::Tier;

/// chatterm: a terminal chat client for Claude.
#[derive(Debug, Parser)]
#[command(name = "chatterm", version, about, long_about = None)]
pub struct Cli {
    /// Print mode: answer PROMPT (or standard input) on stdout and exit.
    #[arg(short = 'p', long = "print")]
    pub print: bool,

    /// The message to send (print mode reads standard input when it is absent).
    pub prompt: Option<String>,

    /// Model tier to start with.
    #[arg(long, value_parser = parse_tier)]
    pub tier: Option<Tier>,

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

    /// Continue the most recently active stored conversation (also with -p).
    #[arg(short = 'c', long = "continue", conflicts_with = "resume")]
    pub continue_last: bool,

    /// Continue the stored conversation with this id (`chatterm history list` shows them).
    #[arg(long, value_name = "ID")]
    pub resume: Option<String>,

    /// Keep conversations in memory only, e.g. when the store's file is locked or damaged.
    #[arg(long)]
    pub temp_store: bool,

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
    /// List, show and export stored conversations.
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// The most recently active conversations, newest first.
    List {
        /// Only conversations whose title or messages contain these words.
        #[arg(long, short = 's', value_name = "WORDS")]
        search: Option<String>,
        /// How many to list.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Print a conversation (Markdown, as `export --format md`).
    Show {
        /// The conversation's id.
        id: String,
    },
    /// Write a conversation out: Markdown for people, or JSON messages for the API.
    Export {
        /// The conversation's id.
        id: String,
        /// md: Markdown with tool calls and results; json: the API's `messages` array.
        #[arg(long, short = 'f', value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}

fn parse_tier(s: &str) -> Result<Tier, String> {
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
    }

    #[test]
    fn history_flags_parse() {
        let cli = Cli::try_parse_from(["chatterm", "-p", "--continue", "hi"]).unwrap();
        assert!(cli.print && cli.continue_last);
        let cli = Cli::try_parse_from(["chatterm", "--resume", "12", "--temp-store"]).unwrap();
        assert_eq!(cli.resume.as_deref(), Some("12"));
        assert!(cli.temp_store);
        assert!(Cli::try_parse_from(["chatterm", "--continue", "--resume", "3"]).is_err());
        let cli = Cli::try_parse_from(["chatterm", "history", "export", "7", "--format", "json"])
            .unwrap();
        assert!(matches!(
            cli.command,
            Some(Sub::History {
                command: HistoryCommand::Export {
                    format: ExportFormat::Json,
                    ..
                }
            })
        ));
    }
}
