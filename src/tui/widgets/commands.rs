//! Slash commands: what they are ([`COMMANDS`]), what a line of input means ([`parse`]) and
//! the completion popup shown while typing one ([`CommandPopup`]).
//!
//! A command is a line starting with `/`: a name, then whitespace and an argument that runs
//! to the end of the input (so `/system` may span several lines). Names match without
//! regard to ASCII case. Parsing is pure and knows nothing about state: whether `/retry`
//! makes sense right now is for the app to decide.
//!
//! Adding a command: one `cmd(..)` line in [`COMMANDS`] (the popup and help list it from
//! there), a [`SlashCommand`] variant and an arm in `parse_command`. A test checks that
//! every listed name parses, so a missing arm shows up as a failure, not a silent
//! "unknown command".
//!
//! The popup works from the input text alone, recomputed on every change by
//! [`CommandPopup::update`]. Before the first space it lists the commands whose name starts
//! with what was typed; after `/tier `, `/model ` or `/extract ` it lists tier names, model
//! ids or the bundled schemas (file paths are not listed: the popup reads no disk). The
//! selection follows its item while the list narrows, and wraps at either end. The popup
//! hides when nothing matches, and when the one match is exactly what was typed (nothing
//! is left to complete; Enter sends it).

use std::borrow::Cow;

use crate::config::TierChoice;
use args::{argument_items, server_items};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::str_width;

/// A command the user typed, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum SlashCommand {
    /// Use this model id from the next request on.
    Model(String),
    /// A fixed tier, or `auto` (the routing rules pick per request).
    Tier(TierChoice),
    /// Set the system prompt; `None` (a bare `/system`) removes it.
    System(Option<String>),
    Clear,
    Retry,
    /// Copy the last answer, or its code block with this 1-based number.
    Copy(Option<usize>),
    /// Extract JSON matching this schema (a file or a bundled name) from the next message.
    Extract(String),
    Help,
    Quit,
    /// Rename the conversation on screen.
    Rename(String),
    /// Show the session's cost table in the transcript.
    Cost,
    /// Fold the conversation now and say how many tokens it saved.
    Compact,
    /// Open the picker of stored conversations.
    Resume,
    /// Offer web search and fetch (the API's server tools) from the next message on, or
    /// not; `None` (a bare `/search`) says whether they are on.
    Search(Option<bool>),
    /// Write the conversation to a file (`None`: a new file in the current directory).
    Export {
        format: ExportFormat,
        path: Option<String>,
    },
    /// Attach these files to the next message (any readable file).
    Attach(Vec<String>),
    /// Show the project instructions (AGENTS.md, CLAUDE.md) that were loaded.
    Instructions,
    /// List the MCP servers and their tools and prompts.
    Mcp,
    /// Restart the MCP server of this name.
    McpRestart(String),
}

/// What `/export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown for people, with tool calls and results.
    Markdown,
    /// The API's `messages` array.
    Json,
}

/// One command as the popup and help show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// Without the slash.
    pub name: &'static str,
    /// Argument placeholder, empty when there is none; `[..]` when optional.
    pub args: &'static str,
    pub description: &'static str,
}

/// A command known only at run time (an MCP server's prompt, `app/mcp_prompts.rs`):
/// listed by the popup after the built-in ones, run by the app, not by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraCommand {
    /// Without the slash: `fs:review`.
    pub name: String,
    /// Argument placeholders: `FILE [FOCUS]`.
    pub args: String,
    pub description: String,
}

/// Keeps each [`COMMANDS`] entry on one line.
const fn cmd(name: &'static str, args: &'static str, description: &'static str) -> CommandSpec {
    CommandSpec {
        name,
        args,
        description,
    }
}

/// Every command, in the order the popup lists them.
pub const COMMANDS: &[CommandSpec] = &[
    cmd("model", "ID", "use this model id from the next request on"),
    cmd(
        "tier",
        "NAME",
        "use the fast, balanced or max tier, or auto",
    ),
    cmd("system", "TEXT", "set the system prompt; alone, remove it"),
    cmd(
        "clear",
        "",
        "start a new conversation (this one stays stored)",
    ),
    cmd("rename", "TITLE", "rename this conversation"),
    cmd("retry", "", "ask for the last answer again"),
    cmd("copy", "[N]", "copy the last answer, or its code block N"),
    cmd("cost", "", "show this session's cost table"),
    cmd("compact", "", "fold older turns now to save tokens"),
    cmd("resume", "", "pick a stored conversation to continue"),
    cmd("search", "on|off", "let the model search and fetch the web"),
    cmd(
        "mcp",
        "[restart NAME]",
        "list MCP servers, tools and prompts; restart one",
    ),
    cmd(
        "export",
        "[md|json] [PATH]",
        "write this conversation to a file",
    ),
    cmd("attach", "PATH...", "attach files to the next message"),
    cmd(
        "instructions",
        "",
        "show the project instructions that were loaded",
    ),
    cmd(
        "extract",
        "SCHEMA",
        "turn the next message into JSON matching a schema",
    ),
    cmd("help", "", "list commands and keys"),
    cmd("quit", "", "leave chatterm"),
];

/// Items the popup shows at once; more scroll.
const MAX_ROWS: usize = 8;

/// Longest piece of an unknown command name repeated back in an error (twice, so the
/// message fits an 80-column status bar).
const MAX_ECHO: usize = 20;

/// What a line of input means: `None` when it is not a command (no leading `/`), else the
/// command or a message for the user saying what is wrong.
pub fn parse(input: &str) -> Option<Result<SlashCommand, String>> {
    let body = input.strip_prefix('/')?.trim_end();
    let (name, arg) = match body.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (body, ""),
    };
    Some(parse_command(name, arg))
}

fn parse_command(name: &str, arg: &str) -> Result<SlashCommand, String> {
    match name.to_ascii_lowercase().as_str() {
        "model" if !arg.is_empty() && !arg.contains(char::is_whitespace) => {
            Ok(SlashCommand::Model(arg.to_owned()))
        }
        "model" => Err("/model takes one model id".to_owned()),
        "tier" => arg
            .parse()
            .map(SlashCommand::Tier)
            .map_err(|_| "/tier takes fast, balanced, max or auto".to_owned()),
        "system" => Ok(SlashCommand::System(
            (!arg.is_empty()).then(|| arg.to_owned()),
        )),
        "clear" => no_args("clear", arg, SlashCommand::Clear),
        "retry" => no_args("retry", arg, SlashCommand::Retry),
        "copy" => parse_copy(arg),
        "extract" => parse_extract(arg),
        "help" => no_args("help", arg, SlashCommand::Help),
        "quit" => no_args("quit", arg, SlashCommand::Quit),
        "rename" if !arg.is_empty() => Ok(SlashCommand::Rename(
            arg.split_whitespace().collect::<Vec<_>>().join(" "),
        )),
        "rename" => Err("/rename takes the new title: /rename Rust lifetimes".to_owned()),
        "cost" => no_args("cost", arg, SlashCommand::Cost),
        "compact" => no_args("compact", arg, SlashCommand::Compact),
        "resume" => no_args("resume", arg, SlashCommand::Resume),
        "export" => parse_export(arg),
        "attach" => crate::tui::app::attach_text::split_paths(arg).map(SlashCommand::Attach),
        "instructions" => no_args("instructions", arg, SlashCommand::Instructions),
        "mcp" => parse_mcp(arg),
        "search" => match arg.to_ascii_lowercase().as_str() {
            "" => Ok(SlashCommand::Search(None)),
            "on" => Ok(SlashCommand::Search(Some(true))),
            "off" => Ok(SlashCommand::Search(Some(false))),
            _ => Err("/search takes on or off".to_owned()),
        },
        "" => Err("type a command name after / — /help lists them".to_owned()),
        _ => {
            let echo: String = name.chars().take(MAX_ECHO).collect();
            let more = if echo.len() < name.len() { "…" } else { "" };
            Err(format!(
                "/{echo}{more} is not a command: //{echo}{more} sends it as text"
            ))
        }
    }
}

/// `/export [md|json] [PATH]`: either word may be left out; a path alone keeps Markdown.
fn parse_export(arg: &str) -> Result<SlashCommand, String> {
    let usage = || "usage: /export [md|json] [PATH]".to_owned();
    if arg.contains('\n') {
        return Err(usage());
    }
    let (first, rest) = match arg.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (arg, ""),
    };
    let format = match first.to_ascii_lowercase().as_str() {
        "md" | "markdown" => Some(ExportFormat::Markdown),
        "json" => Some(ExportFormat::Json),
        _ => None,
    };
    let path = match format {
        Some(_) => rest,
        None => arg,
    };
    Ok(SlashCommand::Export {
        format: format.unwrap_or(ExportFormat::Markdown),
        path: (!path.is_empty()).then(|| path.to_owned()),
    })
}

/// `/mcp` alone lists; `/mcp restart NAME` restarts one.
fn parse_mcp(arg: &str) -> Result<SlashCommand, String> {
    let words: Vec<&str> = arg.split_whitespace().collect();
    match words.as_slice() {
        [] => Ok(SlashCommand::Mcp),
        ["restart", name] => Ok(SlashCommand::McpRestart((*name).to_owned())),
        _ => Err("usage: /mcp, or /mcp restart NAME".to_owned()),
    }
}

fn no_args(name: &str, arg: &str, command: SlashCommand) -> Result<SlashCommand, String> {
    if arg.is_empty() {
        Ok(command)
    } else {
        Err(format!("/{name} takes no arguments"))
    }
}

fn parse_copy(arg: &str) -> Result<SlashCommand, String> {
    if arg.is_empty() {
        return Ok(SlashCommand::Copy(None));
    }
    match arg.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(SlashCommand::Copy(Some(n))),
        _ => Err("/copy takes a code block number: /copy 2 copies the second".to_owned()),
    }
}

fn parse_extract(arg: &str) -> Result<SlashCommand, String> {
    if arg.is_empty() || arg.contains('\n') {
        let names: Vec<&str> = crate::tui::run::extract_task::BUNDLED
            .iter()
            .map(|(n, _)| *n)
            .collect();
        return Err(format!(
            "usage: /extract SCHEMA (a JSON Schema file, or bundled: {}), then send the text",
            names.join(", ")
        ));
    }
    Ok(SlashCommand::Extract(arg.to_owned()))
}

/// One row of the popup.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    /// The whole input Tab turns this item into.
    completion: String,
    /// Left column: `/tier NAME`, or an argument value.
    label: String,
    description: Cow<'static, str>,
}

/// The completion popup's state. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct CommandPopup {
    items: Vec<Item>,
    /// Shown in the border: which list this is.
    title: String,
    selected: usize,
    /// The first item drawn, so the selection stays in view.
    offset: usize,
    /// The only item is exactly the input.
    complete: bool,
    /// Closed with Esc; it stays closed until the input changes ([`Self::reopen`]).
    dismissed: bool,
}

impl CommandPopup {
    pub fn new() -> Self {
        CommandPopup::default()
    }

    /// Recomputes the list for the current input. `models` are the ids `/model` offers.
    pub fn update(&mut self, input: &str, models: &[String]) {
        self.update_with(
            input,
            &Offers {
                models,
                ..Offers::default()
            },
        );
    }

    /// [`Self::update`] with everything the app offers besides the built-in commands.
    pub fn update_with(&mut self, input: &str, offers: &Offers<'_>) {
        let previous = self.completion();
        let (title, mut items) = matches(input, offers);
        if let Some(prefix) = input.strip_prefix('/')
            && !prefix.contains(char::is_whitespace)
        {
            items.extend(extra_items(prefix, offers.extra));
        }
        self.title = title;
        self.items = items;
        self.complete = matches!(self.items.as_slice(), [only] if only.completion == input);
        self.selected = previous
            .and_then(|p| self.items.iter().position(|i| i.completion == p))
            .unwrap_or(0);
        self.scroll_to_selected();
    }

    pub fn is_visible(&self) -> bool {
        !self.items.is_empty() && !self.complete
    }

    /// Whether the popup is up: it has something to offer and was not closed with Esc.
    pub fn is_open(&self) -> bool {
        !self.dismissed && self.is_visible()
    }

    /// Esc: closes the popup until the input changes.
    pub fn dismiss(&mut self) {
        self.dismissed = true;
    }

    /// The input changed: the popup may show again.
    pub fn reopen(&mut self) {
        self.dismissed = false;
    }

    /// Moves the selection down, from the last item to the first.
    pub fn select_next(&mut self) {
        if !self.items.is_empty() {
            self.selected = (self.selected + 1) % self.items.len();
            self.scroll_to_selected();
        }
    }

    /// Moves the selection up, from the first item to the last.
    pub fn select_prev(&mut self) {
        if !self.items.is_empty() {
            self.selected = (self.selected + self.items.len() - 1) % self.items.len();
            self.scroll_to_selected();
        }
    }

    /// The input text Tab should produce: `/tier ` for a command with arguments, `/clear`
    /// for one without, `/tier max` for an argument.
    pub fn completion(&self) -> Option<String> {
        self.items.get(self.selected).map(|i| i.completion.clone())
    }

    /// Rows needed including the border; 0 when hidden.
    pub fn height(&self) -> u16 {
        if !self.is_visible() {
            return 0;
        }
        let rows = self.items.len().min(MAX_ROWS);
        u16::try_from(rows).unwrap_or(0) + 2
    }

    /// Columns the widest row needs, border included: the popup takes that much of the
    /// width it has, so descriptions are cut only when the screen is narrower.
    pub fn width(&self) -> u16 {
        let label = self.items.iter().map(|i| str_width(&i.label)).max();
        let description = self.items.iter().map(|i| str_width(&i.description)).max();
        let inner = 1 + label.unwrap_or(0) + 2 + description.unwrap_or(0) + 1;
        u16::try_from(inner + 2).unwrap_or(u16::MAX)
    }

    fn scroll_to_selected(&mut self) {
        self.offset = visible_offset(self.offset, self.selected, MAX_ROWS);
    }

    /// Draws the bordered list over whatever `area` held.
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        Clear.render(area, buf);
        let rows = usize::from(area.height.saturating_sub(2)).min(MAX_ROWS);
        // Recomputed for the height actually given, which may be less than asked for.
        let offset = visible_offset(self.offset, self.selected, rows);
        let mut block = Block::bordered()
            .border_style(theme.style(Role::Border))
            .title(Span::styled(self.title.as_str(), theme.style(Role::Dim)));
        // Say that the list goes on, and which way: ↑↓ scroll it.
        let (above, below) = (offset, self.items.len().saturating_sub(offset + rows));
        if above + below > 0 {
            let hint = match (above, below) {
                (0, b) => format!(" ↓ {b} more "),
                (a, 0) => format!(" ↑ {a} more "),
                (a, b) => format!(" ↑ {a} · ↓ {b} more "),
            };
            block = block.title_bottom(Span::styled(hint, theme.style(Role::Dim)));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        if rows == 0 || inner.width == 0 {
            return;
        }
        let shown = self.items.iter().enumerate().skip(offset).take(rows);
        let label_width = self.items[offset..]
            .iter()
            .take(rows)
            .map(|i| str_width(&i.label))
            .max()
            .unwrap_or(0);
        for ((index, item), y) in shown.zip(inner.y..) {
            let pad = " ".repeat(label_width - str_width(&item.label) + 2);
            let line = Line::from(vec![
                Span::styled(format!(" {}{pad}", item.label), theme.style(Role::Text)),
                Span::styled(item.description.as_ref(), theme.style(Role::Dim)),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
            if index == self.selected {
                let row = Rect::new(inner.x, y, inner.width, 1);
                buf.set_style(row, theme.style(Role::Selection));
            }
        }
    }
}

/// The first item to draw so that `selected` is among `rows` drawn, moving as little as
/// possible from `offset`.
fn visible_offset(offset: usize, selected: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    offset
        .min(selected)
        .max((selected + 1).saturating_sub(rows))
}

/// What the popup offers besides the built-in commands, from the app's state.
#[derive(Debug, Default)]
pub struct Offers<'a> {
    /// The ids `/model` offers.
    pub models: &'a [String],
    /// Extra commands (MCP prompts), listed by name.
    pub extra: &'a [ExtraCommand],
    /// The MCP servers `/mcp restart` offers: each name with its state.
    pub servers: &'a [(String, String)],
}

/// The popup's title and items for an input (none when it is not a command being typed).
fn matches(input: &str, offers: &Offers<'_>) -> (String, Vec<Item>) {
    let Some(body) = input.strip_prefix('/') else {
        return (String::new(), Vec::new());
    };
    match body.split_once(char::is_whitespace) {
        None => (" commands ".to_owned(), command_items(body)),
        Some((name, arg)) => {
            let arg = arg.trim_start();
            if name.eq_ignore_ascii_case("mcp")
                && let Some(("restart", server)) = arg.split_once(char::is_whitespace)
            {
                return (" /mcp restart ".to_owned(), server_items(server, offers));
            }
            // A second word, or a multi-line argument, has nothing to complete.
            if arg.contains(char::is_whitespace) {
                return (String::new(), Vec::new());
            }
            let name = name.to_ascii_lowercase();
            let items = argument_items(&name, arg, offers.models);
            (format!(" /{name} "), items)
        }
    }
}

fn command_items(prefix: &str) -> Vec<Item> {
    let prefix = prefix.to_ascii_lowercase();
    COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(&prefix))
        .map(|c| Item {
            completion: if c.args.is_empty() {
                format!("/{}", c.name)
            } else {
                format!("/{} ", c.name)
            },
            label: if c.args.is_empty() {
                format!("/{}", c.name)
            } else {
                format!("/{} {}", c.name, c.args)
            },
            description: Cow::Borrowed(c.description),
        })
        .collect()
}

/// The extra commands whose name starts with `prefix` (any case).
fn extra_items(prefix: &str, extra: &[ExtraCommand]) -> Vec<Item> {
    let prefix = prefix.to_lowercase();
    extra
        .iter()
        .filter(|c| c.name.to_lowercase().starts_with(&prefix))
        .map(|c| {
            let spaced = if c.args.is_empty() { "" } else { " " };
            Item {
                completion: format!("/{}{spaced}", c.name),
                label: format!("/{}{spaced}{}", c.name, c.args),
                description: Cow::Owned(c.description.clone()),
            }
        })
        .collect()
}

// What follows a command's name: its arguments' values (`command_args.rs`).
#[path = "command_args.rs"]
mod args;

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
