//! Step 3 of a run: an ended batch's results, read line by line, judged and written.
//!
//! Each result is matched to its input by custom id, priced at the batch price and
//! recorded in the ledger, validated, and written at once, except an answer that broke
//! the schema in the first round, which is held for the retry round. A result that cannot
//! be read is noted and skipped; when fewer results were read than the batch holds, the
//! run ends with an error naming the batch, so it can be fetched again.

use std::io::Write;

use super::{BatchError, Held, Round, State, ViaBatches, Watch, failure, parse_custom_id};
use crate::api::batches::{BatchResult, BatchResultLine, MessageBatch, results_target};
use crate::api::{ApiError, MessageResponse};
use crate::cost::LedgerEntry;
use crate::extract::batch::{Failure, Item, Line};
use crate::extract::report::{ExtractError, Spend};
use crate::extract::run::Judgement;

impl ViaBatches<'_> {
    /// Reads, judges and writes every result of `batch`.
    pub(super) async fn collect<W: Write, S: Watch>(
        &self,
        batch: &MessageBatch,
        items: &[Item],
        state: &mut State<'_, W, S>,
    ) -> Result<(), BatchError> {
        let client = self.extractor.client();
        let server = |error| BatchError::Server {
            id: batch.id.clone(),
            error,
        };
        let target = results_target(&client.options().base_url, batch).map_err(server)?;
        if let Some(note) = &target.note {
            state.watch.note(note);
        }
        let mut lines = client.batch_results(&target).await.map_err(server)?;
        let mut read = 0u64;
        let mut last_error = None;
        while let Some(next) = lines.next_line().await {
            match next {
                Ok(result) => {
                    read += 1;
                    self.one_result(result, items, state)?;
                }
                Err(e) => {
                    state.watch.note(&format!("batch {}: {e}", batch.id));
                    last_error = Some(e);
                }
            }
        }
        let expected = batch.request_counts.total();
        if read < expected {
            self.give_up_held(state)?;
            let why = last_error.map_or_else(String::new, |e| format!(" ({e})"));
            let message = format!("read {read} of its {expected} results{why}");
            return Err(server(ApiError::Protocol(message)));
        }
        Ok(())
    }

    fn one_result<W: Write, S: Watch>(
        &self,
        result: BatchResultLine,
        items: &[Item],
        state: &mut State<'_, W, S>,
    ) -> Result<(), BatchError> {
        let Some((round, index, text)) = parse_custom_id(&result.custom_id, items) else {
            let shown = crate::sanitize::sanitize_line(&result.custom_id);
            state.watch.note(&format!(
                "skipped a result with the custom id {shown:?}, which chatterm did not make"
            ));
            return Ok(());
        };
        let label = match text {
            Some(_) => items[index].label.clone(),
            None => result.custom_id.clone(),
        };
        let mut spend = Spend::default();
        let outcome = match result.result {
            BatchResult::Succeeded { message } => {
                let cost =
                    spend.add_batch(&message.model, &message.usage, self.extractor.pricing());
                self.record(&message, cost, state);
                match self.judge(&message, round, text) {
                    Verdict::Final(outcome) => outcome,
                    Verdict::Hold(errors) => {
                        state.held.push(Held {
                            index,
                            label,
                            text: text.unwrap_or_default().to_owned(),
                            answer: *message,
                            errors,
                            spend,
                        });
                        return Ok(());
                    }
                }
            }
            other => Err(not_answered(other)),
        };
        state.write(Line {
            index,
            label,
            outcome,
            spend,
        })
    }

    /// An answer's outcome, or its errors when it should be retried (a first-round answer
    /// whose input is known, in a run the user did not cancel).
    fn judge(&self, message: &MessageResponse, round: Round, text: Option<&str>) -> Verdict {
        let job = self.job(text.unwrap_or_default());
        match self.extractor.judge(&job, message) {
            Judgement::Done(Ok(value)) => Verdict::Final(Ok(value)),
            Judgement::Done(Err(e)) => Verdict::Final(Err(to_failure(e))),
            Judgement::Retry(errors) if round == Round::First && text.is_some() => {
                Verdict::Hold(errors)
            }
            Judgement::Retry(errors) => {
                let message = match round {
                    Round::Retry => ExtractError::Invalid { errors: Vec::new() }.to_string(),
                    Round::First => "the result does not match the schema (its input is not \
                                     in the --batch file, so no corrected retry was made)"
                        .to_owned(),
                };
                Verdict::Final(Err(Failure {
                    kind: "invalid",
                    message,
                    errors,
                }))
            }
        }
    }

    /// One ledger entry per answered request, at the batch price.
    fn record<W, S: Watch>(
        &self,
        message: &MessageResponse,
        cost: Option<f64>,
        state: &mut State<'_, W, S>,
    ) {
        let Some(ledger) = self.extractor.ledger() else {
            return;
        };
        let entry = LedgerEntry {
            at_ms: crate::cost::day::now_ms(),
            conversation: None,
            model: message.model.clone(),
            tier: None,
            usage: message.usage.clone(),
            cost_usd: cost,
            latency_ms: 0,
            fell_back: false,
        };
        if let Err(e) = ledger.record(&entry) {
            state.watch.note(&e.to_string());
        }
    }
}

/// Why a request that got no answer failed.
fn not_answered(result: BatchResult) -> Failure {
    match result {
        BatchResult::Errored { error } => failure(
            "api",
            format!("{}: {}", error.error.kind, error.error.message),
        ),
        BatchResult::Canceled => failure(
            "cancelled",
            "the batch was cancelled before this request was processed".into(),
        ),
        BatchResult::Expired => failure(
            "expired",
            "the batch expired before this request was processed".into(),
        ),
        BatchResult::Succeeded { .. } | BatchResult::Unknown => failure(
            "api",
            "the server reported a result type this version does not know".into(),
        ),
    }
}

enum Verdict {
    Final(Result<serde_json::Value, Failure>),
    Hold(Vec<String>),
}

fn to_failure(e: ExtractError) -> Failure {
    let kind = e.kind();
    let message = e.to_string();
    let errors = match e {
        ExtractError::Invalid { errors } => errors,
        _ => Vec::new(),
    };
    Failure {
        kind,
        message,
        errors,
    }
}
