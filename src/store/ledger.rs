//! The usage ledger over SQLite: [`crate::cost::Ledger`] for [`Store`].
//!
//! One row per request. The whole [`Usage`] is kept as JSON, so fields the API adds later
//! (and the cache TTL split) survive; the cost is stored as computed at the time, because
//! prices change and the ledger records what was paid. Entries are never deleted with a
//! conversation.

use rusqlite::params;

use super::Store;
use crate::api::Usage;
use crate::config::Tier;
use crate::cost::{Ledger, LedgerEntry, LedgerError};

impl Ledger for Store {
    fn record(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        let usage = serde_json::to_string(&entry.usage).map_err(|e| LedgerError(e.to_string()))?;
        let conn = self.conn().map_err(|e| LedgerError(e.to_string()))?;
        conn.execute(
            "INSERT INTO usage_ledger (at_ms, conversation, model, tier, usage, cost_usd, \
               latency_ms, fell_back) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                entry.at_ms,
                entry.conversation,
                entry.model,
                entry.tier.map(Tier::as_str),
                usage,
                entry.cost_usd,
                i64::try_from(entry.latency_ms).unwrap_or(i64::MAX),
                entry.fell_back
            ],
        )
        .map_err(|e| LedgerError(self.sql_err(e).to_string()))?;
        Ok(())
    }

    fn entries_since(&self, since_ms: i64) -> Result<Vec<LedgerEntry>, LedgerError> {
        let conn = self.conn().map_err(|e| LedgerError(e.to_string()))?;
        let fail = |e: rusqlite::Error| LedgerError(self.sql_err(e).to_string());
        let mut stmt = conn
            .prepare_cached(
                "SELECT at_ms, conversation, model, tier, usage, cost_usd, latency_ms, \
                 fell_back FROM usage_ledger WHERE at_ms >= ?1 ORDER BY at_ms, id",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map(params![since_ms], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(fail)?;
        rows.into_iter()
            .map(
                |(at_ms, conversation, model, tier, usage, cost, latency, fell_back)| {
                    let usage: Usage = serde_json::from_str(&usage)
                        .map_err(|e| LedgerError(format!("ledger entry at {at_ms}: {e}")))?;
                    Ok(LedgerEntry {
                        at_ms,
                        conversation,
                        model,
                        tier: tier.and_then(|t| t.parse().ok()),
                        usage,
                        cost_usd: cost,
                        latency_ms: u64::try_from(latency).unwrap_or(0),
                        fell_back,
                    })
                },
            )
            .collect()
    }

    fn spent_since(&self, since_ms: i64) -> Result<f64, LedgerError> {
        let conn = self.conn().map_err(|e| LedgerError(e.to_string()))?;
        conn.query_row(
            "SELECT TOTAL(cost_usd) FROM usage_ledger WHERE at_ms >= ?1",
            params![since_ms],
            |r| r.get(0),
        )
        .map_err(|e| LedgerError(self.sql_err(e).to_string()))
    }
}
