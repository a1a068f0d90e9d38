//! The engine: runs conversation turns against the API and reports what happens.
//!
//! Front ends (the TUI, print mode) talk to a running [`Engine`] through two channels:
//! they send [`Command`]s and receive [`Update`]s. The engine owns the conversation
//! history, builds each request, and runs one turn at a time:
//!
//! - [`attempts`]: the pure decision logic of a turn's attempts: retry with backoff,
//!   fall back to the next tier's model, or give up. No IO; tested as a table.
//! - [`turn`]: the async driver of one request: sends it, folds the stream, emits
//!   updates, sleeps between attempts, honours cancellation.
//! - [`tool_loop`]: the driver of a whole turn: requests and tool rounds until the model
//!   stops, with the pure decisions in [`tool_plan`] (settings, what a request offers, what
//!   follows an answer) and [`tool_round`] (one round of calls: triage, approvals,
//!   parallel runs, cancellation, results).
//! - [`session`]: the engine task: history, tier and model choice, commands.
//! - [`request`]: building the request body (system prompt, cache breakpoints, tools).
//! - [`cache`]: where the prompt-cache breakpoints go (pure).
//! - [`routing`]: the `auto` tier: which tier answers a prompt (pure).
//! - [`context`]: size estimates and folding old turns (pure); [`compact`] runs it before
//!   a request (count_tokens near the limit, the summary request).
//! - [`start`]: what a turn starts with: route, candidates, budget, the turn's task.
//! - `record`: where a request ends: its usage written to the usage ledger, and
//!   [`Update::RequestEnded`] sent with today's spend read back.
//! - [`journal`]: the persistence hook: what the session writes to the store, and when.
//! - [`title`]: the background title request (`chat.auto_title`).
//!
//! Every turn-scoped update carries its [`TurnId`], so a front end can drop late updates of
//! a turn it already considers cancelled.

pub mod attempts;
pub mod cache;
pub mod compact;
pub mod context;
pub mod journal;
mod record;
pub mod request;
pub mod routing;
pub mod session;
mod start;
pub mod title;
pub mod tool_loop;
pub mod tool_plan;
pub mod tool_round;
pub mod turn;

use std::time::Duration;

use crate::api::ratelimit::RateLimits;
use crate::api::{ApiError, ContentBlock, MessageResponse, Usage};
use crate::config::{Tier, TierChoice};
pub use crate::cost::{Outcome, RequestEnd};
use crate::tools::{ApprovalDecision, InvalidInput, ToolOutput};

pub use attempts::{Attempts, Candidate, Decision};
pub use session::{Engine, EngineHandle};
pub use tool_plan::{ApprovalPolicy, NoTools, ToolSettings, short_id};
pub use tool_round::ToolMemory;

/// Identifies one turn (one user message and everything answering it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TurnId(pub u64);

impl std::fmt::Display for TurnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "turn {}", self.0)
    }
}

/// What a front end asks the engine to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Send a user message and run a turn. Sent while a turn runs, it waits for that turn
    /// to end (one such message at most; more are refused with a notice).
    Send(String),
    /// Cancel the running turn; its HTTP request is aborted at once.
    Cancel,
    /// Use this tier from the next request on (clears a `--model` override).
    SetTier(Tier),
    /// Use a fixed tier, or `auto` (routing per request), from the next request on
    /// (clears a `--model` override). `SetTierChoice(Fixed(t))` is `SetTier(t)`.
    SetTierChoice(TierChoice),
    /// Use this model id from the next request on, whatever the tier (`None` = tier's model).
    SetModel(Option<String>),
    /// Replace the system prompt (`None` removes it).
    SetSystem(Option<String>),
    /// Run the last user message again (after a failure, or to regenerate an answer).
    /// After a tool round that is its results: the calls that ran do not run again.
    Retry,
    /// Forget the conversation. With a journal, the next message begins a new stored
    /// conversation (this one stays stored): Ctrl+N and `/clear`.
    Clear,
    /// Edit an earlier message: drop the history from the `user_index`-th (0-based) typed
    /// user message on, branch the stored conversation there, and send `text` instead.
    Fork { user_index: usize, text: String },
    /// Continue a stored conversation: its id in the journal and its history (the complete
    /// messages, exactly as stored). Cancels a running turn.
    Resume {
        conversation: String,
        history: Vec<crate::api::Message>,
    },
    /// Fold the conversation now (`/compact`), with the configured context strategy, as
    /// bounding would when it runs over: the oldest turns are summarised (or dropped),
    /// keeping `context.keep_turns`. Ends with [`Update::Compacted`]. Refused with a notice
    /// while a turn runs.
    Compact,
    /// The user's answer to a tool call awaiting approval (by tool_use id).
    Approve {
        id: String,
        decision: ApprovalDecision,
    },
    /// Refuse a call awaiting approval, with the user's reason: the model reads it in the
    /// call's error result.
    Refuse { id: String, reason: String },
    /// Ask, auto-approve writes, or approve everything, from the next turn on (the TUI's
    /// permission modes).
    SetApprovals(ApprovalPolicy),
}

/// Where a tool call stands. Reported for every tool_use of an answer, after its block
/// closed; the live input itself streams through [`Update::ToolInputDelta`].
#[derive(Debug, Clone, PartialEq)]
pub enum ToolStatus {
    /// The input is being checked against the tool's schema.
    Validating,
    /// The input does not fit the schema; the model gets this as an error result.
    Invalid(InvalidInput),
    /// Waiting for the user: y run once, a always for this tool, n refuse.
    AwaitingApproval,
    Running,
    /// The tool ran; `output.is_error` tells success from failure (timeout, crash).
    Finished {
        output: ToolOutput,
        duration: Duration,
    },
    /// The tool did not run (refused by the user, tools off, unknown tool, cancelled);
    /// `output` is the error result the model gets.
    NotRun {
        output: ToolOutput,
    },
}

/// Timing figures of a finished request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TurnStats {
    /// From sending the request that succeeded to its first content event.
    pub time_to_first_token: Option<Duration>,
    /// From sending that request to `message_stop`.
    pub total: Duration,
    /// Output tokens per second over the streaming part.
    pub output_tokens_per_sec: Option<f64>,
}

/// What the engine reports. Turn-scoped variants carry the turn id.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A turn began with this model.
    TurnStarted {
        turn: TurnId,
        tier: Option<Tier>,
        model: String,
    },
    /// The `auto` tier chose `tier` for this turn (sent right after `TurnStarted`);
    /// `reason` names the routing rule, or says "default".
    Routed {
        turn: TurnId,
        tier: Tier,
        reason: String,
    },
    /// The API accepted the request and the stream is open. `tier` is the tier `model`
    /// was chosen for (`None` for a model pinned by id).
    Connected {
        turn: TurnId,
        model: String,
        tier: Option<Tier>,
        request_id: Option<String>,
        rate_limits: RateLimits,
    },
    /// A content block opened (text, thinking, tool_use, or a block kept as JSON).
    ///
    /// In every block update `index` is the block's id for the whole turn: the API's
    /// content-block indices start at 0 in each request (tool rounds, retries), so the
    /// engine numbers the turn's blocks itself and each id names one block only.
    BlockStarted {
        turn: TurnId,
        index: usize,
        block: ContentBlock,
    },
    TextDelta {
        turn: TurnId,
        index: usize,
        text: String,
    },
    ThinkingDelta {
        turn: TurnId,
        index: usize,
        text: String,
    },
    /// A raw fragment of a tool input's JSON, for live display.
    ToolInputDelta {
        turn: TurnId,
        index: usize,
        id: String,
        partial_json: String,
    },
    /// A tool input that was not valid JSON when its block closed.
    ToolInputInvalid {
        turn: TurnId,
        index: usize,
        id: String,
        error: String,
    },
    /// A content block closed; tool inputs are parsed.
    BlockFinished {
        turn: TurnId,
        index: usize,
        block: ContentBlock,
    },
    /// Running usage totals of the current request, and their cost when the price is known.
    Usage {
        turn: TurnId,
        model: String,
        usage: Usage,
        cost_usd: Option<f64>,
    },
    /// A request of the turn ended, however it ended (every attempt that was sent, each
    /// tool round's, a compaction summary's): its model, tier, final usage and cost, how
    /// it ended, and today's spend in the ledger once it was recorded. Sent before
    /// anything that follows the request (`Retrying`, `FellBack`, the next `Connected`,
    /// `TurnFinished`, `Error`): front ends count requests from this alone.
    RequestEnded { turn: TurnId, request: RequestEnd },
    /// The request failed before any content and will be sent again after `wait`.
    Retrying {
        turn: TurnId,
        attempt: u32,
        max: u32,
        wait: Duration,
        reason: String,
    },
    /// The request moved to another model.
    FellBack {
        turn: TurnId,
        from: String,
        to: String,
        reason: String,
    },
    /// Something worth telling the user that is not an error.
    Notice { turn: Option<TurnId>, text: String },
    /// `Command::Compact` ended: what it did (or why it did nothing), the summary
    /// requests it paid for (model, usage, cost), to be counted like any other, and the
    /// ledger's total for today after them (`None`: no ledger, or nothing was sent).
    Compacted {
        text: String,
        requests: Vec<(String, crate::api::Usage, Option<f64>)>,
        today_usd: Option<f64>,
    },
    /// The turn is over (once per turn, after all its tool rounds): `message` is its last
    /// answer, `stats` the figures of the request that produced it.
    TurnFinished {
        turn: TurnId,
        message: MessageResponse,
        stats: TurnStats,
    },
    /// The turn failed (or was cancelled: `ApiError::Cancelled`). `partial` holds what was
    /// shown before the failure, marked incomplete by having no stop reason.
    Error {
        turn: TurnId,
        error: ApiError,
        partial: Option<MessageResponse>,
    },
    /// The tier or model for the next request changed. Not turn-scoped.
    ModelChanged { tier: Option<Tier>, model: String },
    /// How full the context window is: the estimated prompt tokens of the next request
    /// against the model's input window. Not turn-scoped; sent when either changes.
    ContextSize {
        model: String,
        tokens: u64,
        window: u64,
    },
    /// The conversation's id in the journal changed: it was created by the first
    /// message, forked, resumed, or left (`None`, after `Clear`). Not turn-scoped.
    Conversation { id: Option<String> },
    /// The background title request finished. Its usage was paid for whether or not the
    /// title was used (`None` when the user had renamed it, or nothing usable came back).
    Titled {
        conversation: String,
        title: Option<String>,
        model: String,
        usage: Usage,
        cost_usd: Option<f64>,
    },
    /// A tool call moved on (see [`ToolStatus`]).
    Tool {
        turn: TurnId,
        id: String,
        name: String,
        status: ToolStatus,
    },
    /// What a call awaiting approval would change (`write_file`: new file, or a diff),
    /// sent just before its `AwaitingApproval` status.
    ToolPreview {
        turn: TurnId,
        id: String,
        preview: crate::tools::preview::ApprovalPreview,
    },
}

impl Update {
    /// The turn this update belongs to, if it is turn-scoped.
    pub fn turn(&self) -> Option<TurnId> {
        match self {
            Self::TurnStarted { turn, .. }
            | Self::Routed { turn, .. }
            | Self::Connected { turn, .. }
            | Self::BlockStarted { turn, .. }
            | Self::TextDelta { turn, .. }
            | Self::ThinkingDelta { turn, .. }
            | Self::ToolInputDelta { turn, .. }
            | Self::ToolInputInvalid { turn, .. }
            | Self::BlockFinished { turn, .. }
            | Self::Usage { turn, .. }
            | Self::RequestEnded { turn, .. }
            | Self::Retrying { turn, .. }
            | Self::FellBack { turn, .. }
            | Self::TurnFinished { turn, .. }
            | Self::Error { turn, .. }
            | Self::Tool { turn, .. }
            | Self::ToolPreview { turn, .. } => Some(*turn),
            Self::Notice { turn, .. } => *turn,
            Self::ModelChanged { .. }
            | Self::ContextSize { .. }
            | Self::Conversation { .. }
            | Self::Compacted { .. }
            | Self::Titled { .. } => None,
        }
    }
}
