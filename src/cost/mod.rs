//! Prices, usage to money, session accounting, budgets, the usage ledger and its report.
//!
//! - [`Pricing`]: the per-model price table, embedded from `assets/pricing.toml`, with the
//!   config's `[pricing."MODEL-ID"]` overrides laid over it; lookup maps dated ids to their
//!   undated entry.
//! - [`cost_usd`]: one response's [`Usage`](crate::api::Usage) priced in US dollars;
//!   [`savings_usd`]: what the prompt cache saved on it. [`format_usd`] and [`group`]: the
//!   one way amounts and token counts are shown.
//! - [`session`]: the session's requests folded into what the sidebar shows (last request,
//!   totals, hit rate, savings, cost by tier, cache expiry, rate limits, cost alerts).
//! - [`ended`]: how one request ended, as the engine reports it to every front end.
//! - [`answered`]: an answer priced by the model(s) that wrote it (`usage.iterations`).
//! - [`budget`]: today's spend against `budget.daily_usd`.
//! - [`ledger`]: one entry per request, kept across sessions ([`Ledger`]); [`report`]
//!   formats it for `chatterm usage`; [`day`] turns its UTC times into local days.
//!
//! Invariants: the embedded table lists only prices confirmed by official sources; a model
//! without a confirmed price has no entry and callers show "price unknown" instead of a
//! guess. Nothing here panics on a bad table; the embedded one is checked by a test.
//! Nothing here does terminal IO: the TUI and print mode draw what these types hold.

pub mod answered;
pub mod budget;
pub mod day;
pub mod ended;
pub mod ledger;
mod money;
mod pricing;
pub mod report;
pub mod session;

pub use ended::{Outcome, RequestEnd, estimate_output_tokens};
pub use ledger::{Ledger, LedgerEntry, LedgerError, MemoryLedger};
pub use money::{cost_usd, format_usd, group, savings_usd, uncached_cost_usd, write_split};
pub(crate) use pricing::RawPrice;
pub use pricing::{ModelPrice, Pricing};
pub use session::{SessionAccount, Tokens};
