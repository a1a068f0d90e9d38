//! Prices and usage to money.
//!
//! - [`Pricing`]: the per-model price table, embedded from `assets/pricing.toml` and open to
//!   overrides, with lookup that maps dated ids to their undated entry.
//! - [`cost_usd`]: one response's [`Usage`](crate::api::Usage) priced in US dollars.
//! - [`format_usd`]: the one way amounts are shown.
//! - [`ledger`]: one entry per request, kept across sessions ([`Ledger`]).
//!
//! Invariants: the embedded table lists only prices confirmed by official sources; a model
//! without a confirmed price has no entry and callers show "price unknown" instead of a
//! guess. Nothing here panics on a bad table; the embedded one is checked by a test.
//!
//! Not here yet: cache hit rate and savings, budgets.

pub mod ledger;
mod money;
mod pricing;

pub use ledger::{Ledger, LedgerEntry, LedgerError, MemoryLedger};
pub use money::{cost_usd, format_usd};
pub use pricing::{ModelPrice, Pricing};
