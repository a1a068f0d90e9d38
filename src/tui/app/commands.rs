//! The slash commands that report on or act for the whole conversation: `/cost` (the
//! session's cost table as a notice), `/export` (asks the event loop to write the stored
//! conversation to a file) and `/compact` (asks the engine to fold the history now).
//! Part of [`App`]; parsing is in `widgets/commands.rs`.
//!
//! Nothing here does IO: the table is built from the session account the sidebar also
//! reads, the file is an effect the event loop carries out and the fold is the engine's;
//! both report back with a notice. The fold's summary request is paid for: its usage comes
//! with `Update::Compacted` and counts in the session like the title request's.

use std::path::PathBuf;

use tokio::time::Instant;

use crate::config::Tier;
use crate::cost::session::Totals;
use crate::cost::{format_usd, group};

use crate::api::Usage;
use crate::engine::Command;

use crate::tui::app::{App, Connection, Effect, StoreRequest};
use crate::tui::render::cells::NoticeKind;
use crate::tui::widgets::commands::ExportFormat;

impl App {
    /// `/cost`: the session's totals, per tier and per kind of token, in the transcript.
    pub(in crate::tui) fn show_cost_table(&mut self) {
        let totals = self.cost.account.totals();
        let table = cost_table(&totals);
        self.notice(NoticeKind::Cost, table);
        self.conversation.scroll_to_bottom();
    }

    /// `/export [md|json] [PATH]`: the stored conversation, written by the event loop.
    pub(in crate::tui) fn export(
        &mut self,
        format: ExportFormat,
        path: Option<String>,
        now: Instant,
    ) {
        let Some(id) = self.browse.conversation_id else {
            self.flash("nothing to export yet: send a message first", now);
            return;
        };
        let path = path.map_or_else(
            || default_export_name(id.to_string(), format),
            PathBuf::from,
        );
        self.effect(Effect::Store(StoreRequest::Export { id, format, path }));
    }
}

impl App {
    /// `/compact`: the engine folds the older turns now, with the configured strategy.
    pub(in crate::tui) fn compact_now(&mut self, now: Instant) {
        if self.is_busy() {
            self.flash("an answer is streaming: /compact after it ends", now);
            return;
        }
        self.connection = Connection::Waiting;
        self.flash("compacting the conversation…", now);
        self.effect(Effect::Engine(Command::Compact));
    }

    /// The engine's fold ended: what it saved, and its summary request counted.
    pub(in crate::tui) fn compacted(
        &mut self,
        text: String,
        requests: &[(String, Usage, Option<f64>)],
        today_usd: Option<f64>,
        now: Instant,
    ) {
        for (model, usage, cost) in requests {
            let fast = Some(Tier::Fast);
            (self.cost.account).add_background(model, fast, usage, *cost, now.into_std());
        }
        // The engine read the ledger after recording them: no read back here.
        if let Some(usd) = today_usd {
            self.set_spent_today(Ok(usd));
        }
        if self.live.is_none() {
            self.connection = Connection::Idle;
        }
        // "compacting…" is over; the notice says how it went.
        self.flash = None;
        self.notice(NoticeKind::Info, text);
        self.conversation.scroll_to_bottom();
    }
}

/// The file `/export` writes when no path is given: in the current directory, named after
/// the conversation (the event loop never overwrites: an existing file is an error).
fn default_export_name(id: String, format: ExportFormat) -> PathBuf {
    let ext = match format {
        ExportFormat::Markdown => "md",
        ExportFormat::Json => "json",
    };
    PathBuf::from(format!("chatterm-{id}.{ext}"))
}

/// The `/cost` table: narrow (under 60 columns) so it stays aligned on an 80-column screen.
pub(in crate::tui) fn cost_table(totals: &Totals) -> String {
    let mut out = format!(
        "Session cost: {} over {} request{}",
        format_usd(totals.cost_usd),
        totals.requests,
        if totals.requests == 1 { "" } else { "s" }
    );
    if totals.unpriced > 0 {
        out.push_str(&format!(" ({} unpriced, not counted)", totals.unpriced));
    }
    out.push_str(&format!(
        "\n{:<10} {:>8} {:>12}",
        "tier", "requests", "cost"
    ));
    for tier in totals.tiers() {
        let name = tier.tier.map_or("pinned", Tier::as_str);
        out.push_str(&format!(
            "\n{name:<10} {:>8} {:>12}",
            tier.requests,
            format_usd(tier.cost_usd)
        ));
    }
    let t = &totals.tokens();
    out.push_str(&format!(
        "\ntokens: input {} · cache read {} · cache write {} · output {}",
        group(t.input),
        group(t.cache_read),
        group(t.cache_write),
        group(t.output)
    ));
    if let Some(rate) = totals.hit_rate() {
        out.push_str(&format!(
            "\ncache: {:.0}% of prompt tokens read from it, saving {}",
            rate * 100.0,
            format_usd(totals.saved_usd)
        ));
    }
    if totals.web_searches > 0 {
        // Billed per search; already part of the cost above when the price is known.
        let n = totals.web_searches;
        out.push_str(&format!(
            "
web searches: {n} (included in the cost at the per-search price)"
        ));
    }
    out
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
