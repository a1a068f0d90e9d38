//! Structured outputs: JSON that matches a schema, every time, or a clear failure.
//!
//! The model: an extraction turns an input text into a JSON value valid against a user's
//! JSON Schema. It is UI-free; `chatterm extract` and (later) the TUI's `/extract` mode
//! drive it the same way:
//!
//! 1. [`Schema::from_file`] / [`Schema::new`] prepare the schema: the full schema for
//!    local validation, and the subset the API accepts for the request ([`strip`]).
//! 2. [`Method::choose`] picks native JSON output or a forced tool from the model's
//!    capabilities (or the user picks), see [`method`].
//! 3. [`Extractor::extract`] runs a [`Job`]: one turn through the engine's turn driver
//!    (retries, fallback, cancellation as in chat), validation, at most one corrected
//!    retry with the errors fed back, and a [`Report`] with the value or an
//!    [`ExtractError`] (`Invalid`, `Refusal`, `MaxTokens`, `Api`, `Cancelled`) and the
//!    [`Spend`]. Live [`Progress`] (JSON fragments as they stream, rejections, engine
//!    updates) goes to an optional channel.
//! 4. [`batch::run`] runs many inputs with bounded concurrency and writes result lines in
//!    input order; [`via_batches`] sends them as one Message Batch at the batch price.
//!
//! Invariants: a value in `Ok` always validates against the full schema; the schema sent
//! never contains a keyword the API rejects ([`strip`] documents the list and its source);
//! every request goes through [`crate::engine::turn::run`], never a second retry loop.

pub mod batch;
pub mod method;
pub mod report;
pub mod run;
pub mod schema;
pub mod strip;
pub mod via_batches;

pub use method::Method;
pub use report::{EXIT_API, EXIT_CANCELLED, EXIT_INVALID, ExtractError, Progress, Report, Spend};
pub use run::{DEFAULT_INSTRUCTIONS, Extractor, Job, MAX_ATTEMPTS};
pub use schema::{Schema, SchemaError};
