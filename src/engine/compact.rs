//! Context bounding before a request: estimate, count near the limit, fold when over.
//!
//! [`bound`] runs at the start of a turn, inside the turn's task (it may call the API):
//!
//! 1. estimate the request: the last request's prompt tokens (from its usage) plus an
//!    estimate of the messages added since, or an estimate of the whole request when no
//!    usage is known (new conversation, changed system prompt, after a fold);
//! 2. above 90% of the budget (`context.max_fraction` of the model's window), ask
//!    `count_tokens` for the real figure; a failed count keeps the estimate;
//! 3. above the budget, fold the oldest whole turns (see `context.rs`) until the estimate
//!    is back to half the budget, keeping the newest `context.keep_turns`: summarised by the
//!    fast tier (a real, costed request reported with `Update::Usage`), or dropped with
//!    `truncate`. A failed summary falls back to dropping, so the request still fits;
//! 4. report the next request's size (`Update::ContextSize`) and what was folded (a notice
//!    with the number of turns and the tokens saved).
//!
//! Cancellation is honoured at every await: the turn then ends as cancelled.

use tokio_util::sync::CancellationToken;

use super::Update;
use super::attempts::Candidate;
use super::context::{self, Fold};
use super::record;
use super::request::{self, RequestSettings};
use super::turn::TurnContext;
use crate::api::{ApiError, Message, MessagesRequest, System, Usage};
use crate::config::{ContextConfig, ContextStrategy, Tier};
use crate::cost::{cost_usd, group};

/// Above this share of the budget the estimate is checked with `count_tokens`.
const COUNT_ABOVE: f64 = 0.9;
/// The longest summary asked for, in tokens.
const SUMMARY_MAX_TOKENS: u32 = 2048;
/// Share of the summariser's window the transcript may fill.
const TRANSCRIPT_SHARE: f64 = 0.6;

const SUMMARY_SYSTEM: &str = "You condense conversations so they can continue in less space. \
Write a faithful summary of the conversation you are given: the user's goals and \
constraints, decisions made, facts and figures established, code, file names and \
identifiers that matter, tool results worth keeping, and questions still open. Use terse \
bullet points. Do not add anything that is not in the conversation, and do not answer it.";

/// The prompt size the previous request turned out to have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// How many history messages that request carried.
    pub messages: usize,
    /// Its prompt tokens: input + cache writes + cache reads.
    pub tokens: u64,
}

/// The model that writes summaries (the fast tier) and its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Summariser {
    pub model: String,
    pub max_tokens: u32,
    pub window: u64,
}

/// What bounding needs besides the history and the request: the limits of the turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The context window of the turn's first model.
    pub window: u64,
    pub context: ContextConfig,
    pub summariser: Summariser,
}

/// What [`bound`] needs.
pub struct BoundInput<'a> {
    pub messages: &'a [Message],
    pub known: Option<Known>,
    pub settings: &'a RequestSettings,
    pub limits: &'a Limits,
}

/// The request to send, its estimated size, and the folded history when it was folded.
#[derive(Debug)]
pub struct Bounded {
    pub request: MessagesRequest,
    pub tokens: u64,
    pub folded: Option<Vec<Message>>,
}

/// Estimates, counts and folds as the module docs describe.
pub async fn bound(ctx: &TurnContext<'_>, input: BoundInput<'_>) -> Result<Bounded, ApiError> {
    let request = request::build(input.messages, input.settings);
    let budget = (input.limits.window as f64 * input.limits.context.max_fraction) as u64;
    let mut tokens = estimate(&input, &request);
    if tokens as f64 > COUNT_ABOVE * budget as f64
        && let Ok(counted) = cancellable(ctx.cancel, ctx.client.count_tokens(&request)).await?
    {
        tokens = counted;
    }
    if tokens <= budget {
        report_size(ctx, &input, tokens);
        return Ok(Bounded {
            request,
            tokens,
            folded: None,
        });
    }
    let shed = tokens - budget / 2;
    let Some(fold) = context::plan(input.messages, input.limits.context.keep_turns, shed) else {
        notice(
            ctx,
            format!(
                "context: the next request is about {} of the model's {} tokens, and the newest \
             {} turn(s) cannot be folded; consider /clear",
                group(tokens),
                group(input.limits.window),
                input.limits.context.keep_turns
            ),
        );
        report_size(ctx, &input, tokens);
        return Ok(Bounded {
            request,
            tokens,
            folded: None,
        });
    };
    let (messages, how) = fold_history(ctx, &input, fold).await?;
    let request = request::build(&messages, input.settings);
    let after = context::estimate_request(&request);
    notice(
        ctx,
        format!(
            "context: {how} the {} oldest turn{}, saving about {} tokens (next request about {} \
         of a {}-token window)",
            fold.turns,
            if fold.turns == 1 { "" } else { "s" },
            group(tokens.saturating_sub(after)),
            group(after),
            group(input.limits.window)
        ),
    );
    report_size(ctx, &input, after);
    Ok(Bounded {
        request,
        tokens: after,
        folded: Some(messages),
    })
}

/// `/compact`: folds all but the newest `context.keep_turns` turns now, with the
/// configured strategy. `Ok(None)` when there is nothing to fold; else the folded history
/// and what to tell the user (how many turns, the tokens saved).
pub async fn compact_now(
    ctx: &TurnContext<'_>,
    messages: &[Message],
    settings: &RequestSettings,
    limits: &Limits,
) -> Result<Option<(Vec<Message>, String)>, ApiError> {
    // Shedding "everything" folds the most that may be folded.
    let Some(fold) = context::plan(messages, limits.context.keep_turns, u64::MAX) else {
        return Ok(None);
    };
    let before = context::estimate_request(&request::build(messages, settings));
    let input = BoundInput {
        messages,
        known: None,
        settings,
        limits,
    };
    let (folded, how) = fold_history(ctx, &input, fold).await?;
    let after = context::estimate_request(&request::build(&folded, settings));
    let text = format!(
        "compacted: {how} the {} oldest turn{}, saving about {} tokens (the next request is \
         about {} of a {}-token window)",
        fold.turns,
        if fold.turns == 1 { "" } else { "s" },
        group(before.saturating_sub(after)),
        group(after),
        group(limits.window)
    );
    Ok(Some((folded, text)))
}

/// The folded history and a word for what happened to the folded turns.
async fn fold_history(
    ctx: &TurnContext<'_>,
    input: &BoundInput<'_>,
    fold: Fold,
) -> Result<(Vec<Message>, &'static str), ApiError> {
    if input.limits.context.strategy == ContextStrategy::Truncate {
        return Ok((context::truncate(input.messages, fold), "dropped"));
    }
    match summarise(ctx, &input.messages[..fold.cut], &input.limits.summariser).await {
        Ok(summary) => Ok((
            context::with_summary(input.messages, fold, &summary),
            "summarised",
        )),
        Err(ApiError::Cancelled) => Err(ApiError::Cancelled),
        Err(e) => {
            notice(
                ctx,
                format!(
                    "context: the summary failed ({}); dropping instead",
                    e.short()
                ),
            );
            Ok((context::truncate(input.messages, fold), "dropped"))
        }
    }
}

/// The estimate of step 1 (module docs).
fn estimate(input: &BoundInput<'_>, request: &MessagesRequest) -> u64 {
    match input.known {
        Some(k) if k.messages <= input.messages.len() => {
            k.tokens + context::estimate_messages(&input.messages[k.messages..])
        }
        _ => context::estimate_request(request),
    }
}

/// Asks the summariser for a summary of `folded`; its usage is reported like any request's.
async fn summarise(
    ctx: &TurnContext<'_>,
    folded: &[Message],
    summariser: &Summariser,
) -> Result<String, ApiError> {
    let max_chars = (summariser.window as f64 * TRANSCRIPT_SHARE) as usize * 4;
    let transcript = context::tail(&context::transcript(folded), max_chars);
    let prompt =
        format!("<conversation>\n{transcript}</conversation>\n\nSummarise the conversation above.");
    let mut request = MessagesRequest::new(
        &summariser.model,
        summariser.max_tokens.min(SUMMARY_MAX_TOKENS),
        vec![Message::user_text(prompt)],
    );
    request.system = Some(System::Text(SUMMARY_SYSTEM.to_owned()));
    let sent = tokio::time::Instant::now();
    let (message, _meta) = cancellable(ctx.cancel, ctx.client.create(&request)).await??;
    // A real request: costed in the sidebar and kept in the usage ledger like any other.
    let candidate = Candidate {
        tier: Some(Tier::Fast),
        model: summariser.model.clone(),
    };
    // The running usage first, then the end: front ends count the request at its end.
    report_usage(ctx, &summariser.model, message.usage.clone());
    let ended = record::Ended {
        outcome: crate::cost::Outcome::Answered,
        usage: Some(&message.usage),
        message: Some(&message),
        timing: None,
    };
    record::request_ended(ctx, &candidate, false, sent, ended);
    let summary = message.text();
    if summary.trim().is_empty() {
        return Err(ApiError::Protocol("the summary came back empty".into()));
    }
    Ok(summary)
}

fn report_usage(ctx: &TurnContext<'_>, model: &str, usage: Usage) {
    let _ = ctx.updates.send(Update::Usage {
        turn: ctx.turn,
        model: model.to_owned(),
        cost_usd: ctx.pricing.price(model).map(|p| cost_usd(p, &usage)),
        usage,
    });
}

fn report_size(ctx: &TurnContext<'_>, input: &BoundInput<'_>, tokens: u64) {
    let _ = ctx.updates.send(Update::ContextSize {
        model: input.settings.model.clone(),
        tokens,
        window: input.limits.window,
    });
}

fn notice(ctx: &TurnContext<'_>, text: String) {
    let _ = ctx.updates.send(Update::Notice {
        turn: Some(ctx.turn),
        text,
    });
}

/// Runs `future` unless the turn is cancelled first (`Err(Cancelled)`).
async fn cancellable<T>(
    cancel: &CancellationToken,
    future: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(ApiError::Cancelled),
        out = future => Ok(out),
    }
}
