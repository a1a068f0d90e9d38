//! The usage ledger: one entry per API request, kept across sessions.
//!
//! The ledger is what "today's spend" and `chatterm usage` read, so it must outlive the
//! process: the SQLite store (`store/`) is the real implementation. This module holds the
//! entry type and the [`Ledger`] trait the engine and the front ends record through, plus
//! [`MemoryLedger`] for tests and for a run without a store.
//!
//! Invariants: an entry is written once per request that produced usage (a failed attempt
//! that streamed nothing has no entry); `cost_usd` is `None` for a model without a price,
//! never a guess; times are Unix milliseconds in UTC.

use std::sync::Mutex;

use crate::api::Usage;
use crate::domain::Tier;

/// One request as the ledger keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// When the request finished, in Unix milliseconds (UTC).
    pub at_ms: i64,
    /// The conversation it belongs to, when the front end has one.
    pub conversation: Option<String>,
    pub model: String,
    /// The tier the model was chosen by; `None` for a `--model` pin.
    pub tier: Option<Tier>,
    pub usage: Usage,
    /// The request's price; `None` when the model has no price.
    pub cost_usd: Option<f64>,
    /// From sending the request to its last event, in milliseconds.
    pub latency_ms: u64,
    /// The request went to a fallback model, not the one first asked for.
    pub fell_back: bool,
}

/// Why the ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("usage ledger: {0}")]
pub struct LedgerError(pub String);

/// Where request entries are recorded and read back.
pub trait Ledger: Send + Sync {
    /// Appends one entry.
    fn record(&self, entry: &LedgerEntry) -> Result<(), LedgerError>;

    /// Every entry with `at_ms >= since_ms`, oldest first.
    fn entries_since(&self, since_ms: i64) -> Result<Vec<LedgerEntry>, LedgerError>;

    /// Total known cost of the entries since `since_ms` (unpriced entries count 0).
    fn spent_since(&self, since_ms: i64) -> Result<f64, LedgerError> {
        Ok(self
            .entries_since(since_ms)?
            .iter()
            .filter_map(|e| e.cost_usd)
            .sum())
    }
}

/// A ledger that lives as long as the process: for tests and a run without a store.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    entries: Mutex<Vec<LedgerEntry>>,
}

impl MemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Ledger for MemoryLedger {
    fn record(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        self.entries
            .lock()
            .map_err(|_| LedgerError("poisoned lock".into()))?
            .push(entry.clone());
        Ok(())
    }

    fn entries_since(&self, since_ms: i64) -> Result<Vec<LedgerEntry>, LedgerError> {
        let entries = self
            .entries
            .lock()
            .map_err(|_| LedgerError("poisoned lock".into()))?;
        let mut out: Vec<_> = entries
            .iter()
            .filter(|e| e.at_ms >= since_ms)
            .cloned()
            .collect();
        out.sort_by_key(|e| e.at_ms);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at_ms: i64, cost: Option<f64>) -> LedgerEntry {
        LedgerEntry {
            at_ms,
            conversation: None,
            model: "m".into(),
            tier: Some(Tier::Fast),
            usage: Usage::default(),
            cost_usd: cost,
            latency_ms: 10,
            fell_back: false,
        }
    }

    #[test]
    fn memory_ledger_filters_by_time_and_sums_known_costs() {
        let ledger = MemoryLedger::new();
        for e in [
            entry(30, Some(0.5)),
            entry(10, Some(1.0)),
            entry(20, None),
            entry(40, Some(0.25)),
        ] {
            ledger.record(&e).unwrap();
        }
        let since = ledger.entries_since(20).unwrap();
        assert_eq!(
            since.iter().map(|e| e.at_ms).collect::<Vec<_>>(),
            [20, 30, 40]
        );
        assert!((ledger.spent_since(20).unwrap() - 0.75).abs() < 1e-12);
        assert!((ledger.spent_since(0).unwrap() - 1.75).abs() < 1e-12);
    }
}
