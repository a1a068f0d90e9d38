//! The binary's side of the conversation store: opening it (with the temporary-store
//! fallback), choosing the conversation to continue, and `chatterm history`.
//!
//! A store that cannot be opened (locked past the busy timeout, damaged, from a newer
//! chatterm) never loses the user's work silently: print and line mode stop with exit
//! status 2 and a message naming the file and `--temp-store`; the full-screen mode asks,
//! before it takes over the terminal, whether to go on with a temporary store.

use std::io::Write;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};

use chatterm::sanitize::{json_safe, sanitize, sanitize_line};
use chatterm::store::{self, ConversationId, LoadedConversation, Store, to_api_json, to_markdown};

use crate::cli::{Cli, ExportFormat, HistoryCommand};

/// Exit status when the store cannot be used.
pub const EXIT_STORE: i32 = 2;

/// Opens the store the flags ask for. `Err(status)` after the problem was reported.
/// `ask` puts a yes/no question to the user (the full-screen mode's one-key prompt); without
/// it a store that cannot be opened is an error.
pub fn open(cli: &Cli, ask: Option<&dyn Fn(&str) -> bool>) -> Result<Arc<Store>, i32> {
    let temporary = || {
        Store::in_memory().map(Arc::new).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_STORE
        })
    };
    if cli.temp_store {
        return temporary();
    }
    let Some(path) = store::default_path(&|k| std::env::var(k).ok()) else {
        eprintln!(
            "warning: no data directory (set {}); conversations are not saved",
            store::ENV_DATA_DIR
        );
        return temporary();
    };
    match Store::open(&path) {
        Ok(s) => Ok(Arc::new(s)),
        Err(e) => {
            eprintln!("error: cannot open the conversation store: {e}");
            let question =
                "Start with a temporary store instead (nothing is saved after you quit)?";
            if ask.is_some_and(|ask| ask(question)) {
                return temporary();
            }
            eprintln!("{}", advice(&e));
            Err(EXIT_STORE)
        }
    }
}

/// What to do about a store that cannot be opened: it depends on why (a damaged file is
/// not fixed by closing another program).
fn advice(e: &store::StoreError) -> String {
    use store::StoreError as E;
    const TEMP: &str = "or start with --temp-store to keep this session's conversations in \
                        memory only.";
    match e {
        E::Locked { path } => {
            format!("Another program holds {path}: close it (another chatterm?), {TEMP}")
        }
        E::Corrupt { path, .. } => format!(
            "The database is damaged: {path}. Move that file away (chatterm then starts a new \
             one; keep the old one to recover from), {TEMP}"
        ),
        E::TooNew { path, .. } => {
            format!("{path} was written by a newer chatterm: run that one, {TEMP}")
        }
        E::Io { path, .. } => {
            format!("Check that {path} and its directory can be read and written, {TEMP}")
        }
        _ => "Start with --temp-store to keep this session's conversations in memory.".into(),
    }
}

/// The conversation `--continue` or `--resume ID` names, loaded; `None` for a new one.
pub fn resumed(cli: &Cli, store: &Store) -> Result<Option<LoadedConversation>> {
    let id = match (&cli.resume, cli.continue_last) {
        (Some(id), _) => Some(id.parse::<ConversationId>()?),
        (None, true) => {
            let latest = store.latest()?;
            if latest.is_none() {
                eprintln!("note: no stored conversation to continue yet; starting a new one");
            }
            latest
        }
        (None, false) => None,
    };
    match id {
        Some(id) => Ok(Some(store.load(id).wrap_err("resuming")?)),
        None => Ok(None),
    }
}

/// `chatterm history ...`. Returns the exit status.
pub fn history(cli: &Cli, command: &HistoryCommand) -> Result<i32> {
    let store = match open(cli, None) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let mut out = std::io::stdout().lock();
    match command {
        HistoryCommand::List { search, limit } => {
            let rows = store.list(search.as_deref(), *limit)?;
            if rows.is_empty() {
                eprintln!(
                    "no conversations{}",
                    if search.is_some() { " match" } else { " yet" }
                );
            }
            for r in rows {
                let branch = r
                    .parent
                    .map_or(String::new(), |p| format!(" (branch of {p})"));
                let line = format!(
                    "{:>6}  {:<16}  {:>4} msgs  {:>8}  {:<20}  {}{branch}",
                    r.id,
                    store::utc(r.updated_ms).trim_end_matches(" UTC"),
                    r.message_count,
                    chatterm::cost::format_usd(r.cost_usd),
                    r.model,
                    r.title
                );
                // One row per conversation, whatever its title holds.
                writeln!(out, "{}", sanitize_line(&line))?;
            }
        }
        HistoryCommand::Show { id } => {
            let id: ConversationId = id.parse()?;
            let text = to_markdown(&store.load(id)?, &store.tool_results(id)?);
            write!(out, "{}", sanitize(&text))?;
        }
        HistoryCommand::Export { id, format, output } => {
            let id: ConversationId = id.parse()?;
            let loaded = store.load(id)?;
            // Through the gate wherever it goes: a file is read with `cat` too. JSON keeps
            // its value (the controls become escapes); Markdown loses only the controls.
            let text = match format {
                ExportFormat::Md => {
                    sanitize(&to_markdown(&loaded, &store.tool_results(id)?)).into_owned()
                }
                ExportFormat::Json => json_safe(&to_api_json(&loaded)?).into_owned() + "\n",
            };
            match output {
                Some(path) => store::write_private(path, text.as_bytes())
                    .wrap_err_with(|| format!("writing {}", path.display()))?,
                None => write!(out, "{text}")?,
            }
        }
        HistoryCommand::Delete { id } => {
            let id: ConversationId = id.parse()?;
            // Named in the confirmation, so a wrong id is noticed at once.
            let title = store.load(id)?.summary.title;
            store.delete(id)?;
            writeln!(
                out,
                "{}",
                sanitize(&format!("deleted conversation {id}: {title}"))
            )?;
        }
        HistoryCommand::Rename { id, title } => {
            let id: ConversationId = id.parse()?;
            let title = title.join(" ");
            if title.trim().is_empty() {
                eprintln!("error: the new title is empty");
                return Ok(EXIT_STORE);
            }
            store.rename(id, &title)?;
            writeln!(
                out,
                "{}",
                sanitize(&format!("renamed conversation {id}: {}", title.trim()))
            )?;
        }
    }
    Ok(0)
}
