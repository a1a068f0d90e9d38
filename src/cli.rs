//! Command-line definitions (clap). Parsing only; `main.rs` acts on them.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use chatterm::config::TierChoice;
use chatterm::extract::Method;

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
    #[arg(long, global = true, value_parser = parse_tier)]
    pub tier: Option<TierChoice>,

    /// Model id to use, whatever the tier.
    #[arg(long, global = true)]
    pub model: Option<String>,

    /// System prompt (overrides `chat.system`).
    #[arg(long)]
    pub system: Option<String>,

    /// Most tokens an answer may use.
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Extended thinking: off, adaptive, or a budget in tokens (at least 1024); overrides
    /// `[thinking]`. Also after `extract`.
    #[arg(long, global = true, value_name = "off|adaptive|N", value_parser = parse_thinking)]
    pub thinking: Option<ThinkingFlag>,

    /// Effort for every tier: low, medium, high, xhigh or max (overrides `models.effort`).
    /// Also after `extract`.
    #[arg(long, global = true, value_name = "LEVEL", value_parser = parse_effort)]
    pub effort: Option<chatterm::config::Effort>,

    /// Config file (default: the platform config directory's chatterm/config.toml).
    #[arg(long, global = true, env = "CHATTERM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Attach a file to the message (print mode; repeatable): text, PNG, JPEG, GIF, WebP or
    /// PDF. `-` attaches standard input (then give the prompt as an argument).
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<String>,

    /// Print the final message as JSON (print mode).
    #[arg(long)]
    pub json: bool,

    /// Run against the built-in local server with a simulated assistant (no API key needed).
    #[arg(long, global = true)]
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
        /// How long a Message Batch takes to process, in seconds (its requests finish one
        /// by one over this time).
        #[arg(long, default_value_t = 2.0, value_parser = parse_seconds)]
        batch_seconds: f64,
        /// The share of batch requests (0 to 1) that end errored.
        #[arg(long, default_value_t = 0.0, value_parser = parse_share)]
        batch_errored: f64,
        /// Picks which batch requests error: the same seed errors the same requests.
        #[arg(long, default_value_t = 0)]
        batch_seed: u64,
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
    /// Extract JSON that matches a JSON Schema from text (structured outputs).
    Extract(ExtractArgs),
    /// List, show and export stored conversations.
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// MCP servers: `chatterm mcp list` starts each configured server, prints its state and
    /// tools, and exits non-zero when one fails to start.
    Mcp {
        #[command(subcommand)]
        command: McpCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Start every configured server and print its state and tools (exit 1 if one fails).
    List,
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
    /// Delete a conversation and its messages.
    Delete {
        /// The conversation's id.
        id: String,
    },
    /// Give a conversation a new title.
    Rename {
        /// The conversation's id.
        id: String,
        /// The new title (several words need no quotes).
        #[arg(required = true, num_args = 1..)]
        title: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}

/// `chatterm extract`: prints the JSON on stdout; exit 0 ok, 1 API or network failure,
/// 2 invalid after the retry, refusal, max_tokens or bad usage.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("many").args(["batch", "resume_batch"]).multiple(true))]
pub struct ExtractArgs {
    /// The JSON Schema the result must match.
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,

    /// The text to extract from: a file, or - for standard input (the default).
    #[arg(long, value_name = "FILE|-", conflicts_with = "batch")]
    pub input: Option<String>,

    /// The system prompt for the extraction (default: a built-in one).
    #[arg(long, value_name = "TEXT")]
    pub instructions: Option<String>,

    /// native (output_config.format) or tool (one forced tool call); default: native where
    /// the model supports structured outputs, else tool.
    #[arg(long, value_parser = parse_method)]
    pub method: Option<Method>,

    /// Many inputs: a .jsonl file (a JSON string or {"text", "id"} per line) or a directory.
    #[arg(long, value_name = "FILE.jsonl|DIR")]
    pub batch: Option<PathBuf>,

    /// With --batch: extractions in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// With --batch: the file for the result lines (default: standard output).
    #[arg(long, value_name = "FILE", requires = "many")]
    pub output: Option<PathBuf>,

    /// With --batch: concurrent (one request per input, several at once) or batches (one
    /// Message Batch: half price, results when the whole batch is done).
    #[arg(long, value_enum, default_value_t = Via::Concurrent, requires = "batch")]
    pub via: Via,

    /// Picks up a Message Batch left running, by its id; with the same --batch file its
    /// results are matched to their inputs and invalid ones retried.
    #[arg(long, value_name = "ID", conflicts_with = "input")]
    pub resume_batch: Option<String>,
}

/// How `extract --batch` sends its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    Concurrent,
    Batches,
}

/// Parses the process's arguments ([`parse_from`]); exits with clap's message on an error.
pub fn parse() -> Cli {
    parse_from(std::env::args_os().collect()).unwrap_or_else(|e| e.exit())
}

/// Parses `args` so that with `-p` the positional is always the prompt: `chatterm -p usage`
/// sends the word "usage" rather than running the `usage` subcommand. clap would take a
/// subcommand's name first, so when print mode meets one, that word is moved behind `--`
/// (where only a positional can be) and the line parsed again.
pub fn parse_from(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    let first = Cli::try_parse_from(&args);
    let print = args.iter().any(|a| a == "-p" || a == "--print");
    match &first {
        Ok(cli) if cli.command.is_none() => return first,
        // `chatterm -p history` fails as a `history` without its own subcommand.
        _ if !print => return first,
        _ => {}
    }
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for (i, arg) in args.iter().enumerate().skip(1) {
        if !names.iter().any(|n| arg.to_str() == Some(n.as_str())) {
            continue;
        }
        let mut moved: Vec<std::ffi::OsString> = args[..i].to_vec();
        moved.extend(args[i + 1..].iter().cloned());
        moved.push("--".into());
        moved.push(arg.clone());
        if let Ok(again) = Cli::try_parse_from(&moved)
            && again.print
            && again.command.is_none()
        {
            return Ok(again);
        }
    }
    first
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse()
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: expected seconds from 0 to 86400")),
    }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?}: expected a share from 0 to 1, like 0.1")),
    }
}

fn parse_tier(s: &str) -> Result<TierChoice, String> {
    s.parse()
}

/// `--thinking`: a mode, or a budget (which means the budget mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThinkingFlag {
    Off,
    Adaptive,
    Budget(u32),
}

fn parse_thinking(s: &str) -> Result<ThinkingFlag, String> {
    match s.to_ascii_lowercase().as_str() {
        "off" => Ok(ThinkingFlag::Off),
        "adaptive" | "on" => Ok(ThinkingFlag::Adaptive),
        n => match n.parse::<u32>() {
            Ok(n) if n >= chatterm::config::MIN_BUDGET_TOKENS => Ok(ThinkingFlag::Budget(n)),
            Ok(n) => Err(format!(
                "a thinking budget is at least 1024 tokens, got {n}"
            )),
            Err(_) => Err(format!(
                "expected off, adaptive or a number of tokens, got {s:?}"
            )),
        },
    }
}

fn parse_effort(s: &str) -> Result<chatterm::config::Effort, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Cli {
        parse_from(args.iter().map(Into::into).collect()).unwrap()
    }

    #[test]
    fn with_print_the_positional_is_always_the_prompt() {
        let cli = parsed(&["chatterm", "-p", "usage"]);
        assert!(cli.print && cli.command.is_none());
        assert_eq!(cli.prompt.as_deref(), Some("usage"));
        let cli = parsed(&["chatterm", "-p", "history", "--tier", "fast"]);
        assert_eq!(cli.prompt.as_deref(), Some("history"));
        assert!(cli.tier.is_some());
        // Without -p the subcommands are still subcommands.
        assert!(matches!(
            parsed(&["chatterm", "usage"]).command,
            Some(Sub::Usage { .. })
        ));
        assert!(matches!(
            parsed(&["chatterm", "history", "list"]).command,
            Some(Sub::History { .. })
        ));
    }

    #[test]
    fn batch_flags_parse_and_depend_on_each_other() {
        let try_parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        let extract = ["chatterm", "extract", "--schema", "s.json"];
        let with = |more: &[&'static str]| [&extract[..], more].concat();
        let cli = try_parse(&with(&["--batch", "b.jsonl", "--via", "batches"])).unwrap();
        let Some(Sub::Extract(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.via, Via::Batches);
        // --via needs --batch; --output needs --batch or --resume-batch.
        assert!(try_parse(&with(&["--via", "batches"])).is_err());
        assert!(try_parse(&with(&["--output", "o.jsonl"])).is_err());
        let cli = try_parse(&with(&["--resume-batch", "msgbatch_1", "--output", "o"])).unwrap();
        let Some(Sub::Extract(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.resume_batch.as_deref(), Some("msgbatch_1"));
        assert!(try_parse(&with(&["--resume-batch", "x", "--input", "i.txt"])).is_err());
        let mock = ["chatterm", "mock-server", "--batch-errored"];
        assert!(try_parse(&[&mock[..], &["0.25"]].concat()).is_ok());
        assert!(try_parse(&[&mock[..], &["2"]].concat()).is_err());
        let seconds = ["chatterm", "mock-server", "--batch-seconds", "-1"];
        assert!(try_parse(&seconds).is_err());
    }

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
    fn thinking_and_effort_flags() {
        let cli = parsed(&["chatterm", "--thinking", "4000", "--effort", "xhigh"]);
        assert_eq!(cli.thinking, Some(ThinkingFlag::Budget(4000)));
        assert_eq!(cli.effort, Some(chatterm::config::Effort::XHigh));
        assert_eq!(
            parsed(&["chatterm", "--thinking", "off"]).thinking,
            Some(ThinkingFlag::Off)
        );
        let err = |args: &[&str]| Cli::try_parse_from(args).unwrap_err().to_string();
        assert!(err(&["chatterm", "--thinking", "100"]).contains("1024"));
        assert!(err(&["chatterm", "--effort", "huge"]).contains("huge"));
        // An extraction takes them too (its config is loaded with the same flags).
        let extract = [
            "chatterm",
            "extract",
            "--schema",
            "s.json",
            "--thinking",
            "adaptive",
        ];
        let cli = parsed(&[&extract[..], &["--effort", "low"]].concat());
        assert_eq!(cli.thinking, Some(ThinkingFlag::Adaptive));
        assert_eq!(cli.effort, Some(chatterm::config::Effort::Low));
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

    #[test]
    fn extract_takes_the_shared_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "chatterm", "extract", "--demo", "--schema", "s.json", "--input", "-", "--tier",
            "fast", "--method", "tool",
        ])
        .unwrap();
        assert!(cli.demo);
        assert_eq!(
            cli.tier,
            Some(TierChoice::Fixed(chatterm::config::Tier::Fast))
        );
        let Some(Sub::Extract(args)) = cli.command else {
            panic!("not extract")
        };
        assert_eq!(args.method, Some(Method::Tool));
        assert_eq!(args.input.as_deref(), Some("-"));
        assert_eq!(args.concurrency, 4);
        assert!(
            Cli::try_parse_from(["chatterm", "extract", "--schema", "s", "--output", "o"]).is_err(),
            "--output needs --batch"
        );
        assert!(
            Cli::try_parse_from(["chatterm", "extract", "--schema", "s", "--method", "json"])
                .is_err()
        );
    }

    #[test]
    fn history_delete_and_rename_parse() {
        let cli = Cli::try_parse_from(["chatterm", "history", "delete", "7"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Sub::History {
                command: HistoryCommand::Delete { ref id }
            }) if id == "7"
        ));
        let cli = Cli::try_parse_from(["chatterm", "history", "rename", "7", "Rust", "lifetimes"])
            .unwrap();
        let Some(Sub::History {
            command: HistoryCommand::Rename { id, title },
        }) = cli.command
        else {
            panic!("not rename");
        };
        assert_eq!(
            (id.as_str(), title.join(" ").as_str()),
            ("7", "Rust lifetimes")
        );
        assert!(Cli::try_parse_from(["chatterm", "history", "rename", "7"]).is_err());
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
