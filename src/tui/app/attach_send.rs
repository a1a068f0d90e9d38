//! Attachments in and out: `/attach`, a pasted path, and a message sent with its chips and
//! mentions. Part of [`App`]; the state is in `attach.rs`.
//!
//! Each way in asks the event loop to load files ([`Effect::Attach`] with an
//! [`AttachRequest`]) and is answered through one of the callbacks below. A message with
//! pending chips or an `@` mention is held until its mentions are resolved
//! ([`App::mentions_resolved`]): then it is shown with its chips and sent to the engine as
//! `Command::SendAttached`. A refusal (a file over a limit, a kind the model does not
//! take, a binary) sends nothing: the error names the file and the limit, the text comes
//! back into the input and the chips stay, so nothing is lost.

use std::path::PathBuf;

use tokio::time::Instant;

use crate::attach::{AttachError, Attachment};
use crate::engine::Command;

use crate::tui::app::attach::chip;
use crate::tui::app::attach_text::pasted_path;
use crate::tui::app::paste::UserText;
use crate::tui::app::{App, Connection, Effect};
use crate::tui::render::cells::{CellKind, NoticeKind};

/// Files the event loop loads for the app (`run/attach.rs`).
#[derive(Debug, Clone, PartialEq)]
pub enum AttachRequest {
    /// `/attach PATH...`: each file that loads becomes a chip; each that does not, an error.
    Files(Vec<String>),
    /// A paste that looks like a path: offered for attaching if it names a file.
    Pasted { text: String, path: PathBuf },
    /// A message to send: its mentions resolved, then sent with them and `attachments`
    /// (the chips that were pending when it was sent or queued).
    Send {
        text: UserText,
        attachments: Vec<Attachment>,
    },
}

impl App {
    /// `/attach PATH...`.
    pub(in crate::tui) fn attach_command(&mut self, paths: Vec<String>, now: Instant) {
        if self.attach.options.is_none() {
            self.flash("attachments are not available here", now);
            return;
        }
        self.effect(Effect::Attach(AttachRequest::Files(paths)));
    }

    /// The files of `/attach` loaded (or not), in the order named.
    pub fn files_loaded(&mut self, results: Vec<Result<Attachment, AttachError>>, now: Instant) {
        let mut added = 0;
        for result in results {
            match result {
                Ok(attachment) => {
                    self.add_pending(attachment);
                    added += 1;
                }
                Err(e) => self.notice(NoticeKind::Error, format!("not attached: {e}")),
            }
        }
        if added > 0 {
            let files = if added == 1 { "file" } else { "files" };
            self.flash(
                format!("{added} {files} attached: sent with the next message"),
                now,
            );
        }
    }

    /// After a paste: a path to a file is worth an offer (the loop checks the disk).
    pub(in crate::tui) fn offer_pasted_path(&mut self, clean: &str) {
        if self.attach.options.is_none() {
            return;
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(path) = pasted_path(clean, home.as_deref()) {
            let text = clean.trim().to_owned();
            self.effect(Effect::Attach(AttachRequest::Pasted { text, path }));
        }
    }

    /// A pasted path loaded: Tab will attach it. A path to nothing stays plain text; a
    /// file that cannot be attached says why.
    pub fn paste_loaded(
        &mut self,
        text: String,
        result: Result<Attachment, AttachError>,
        now: Instant,
    ) {
        match result {
            Ok(attachment) if self.input.text().contains(&text) => {
                self.attach.offer = Some(crate::tui::app::attach::PasteOffer { text, attachment });
            }
            Ok(_) | Err(AttachError::NotFound { .. } | AttachError::Directory { .. }) => {}
            Err(e) => self.flash(format!("cannot attach: {e}"), now),
        }
    }

    /// Sends typed text: straight away when it carries nothing to attach, else after the
    /// loop has resolved its mentions. `with_pending`: the pending chips go with it (a
    /// message from the input).
    pub(in crate::tui) fn send_typed(&mut self, text: UserText, with_pending: bool) {
        let attachments = if with_pending {
            std::mem::take(&mut self.attach.pending)
        } else {
            Vec::new()
        };
        self.send_with(text, attachments);
    }

    /// Sends typed text with these attachments (and whatever its mentions name).
    pub(in crate::tui) fn send_with(&mut self, text: UserText, attachments: Vec<Attachment>) {
        let mentions = self
            .attach
            .options
            .as_ref()
            .is_some_and(|o| o.index.is_some())
            && !crate::attach::mentions(&text).is_empty();
        if attachments.is_empty() && !mentions {
            return self.send_user(text);
        }
        self.attach.offer = None;
        self.effect(Effect::Attach(AttachRequest::Send { text, attachments }));
    }

    /// A message's mentions resolved: it is sent with them and its attachments, or, on a
    /// refusal, not at all (see the module docs).
    pub fn mentions_resolved(
        &mut self,
        text: UserText,
        mut attachments: Vec<Attachment>,
        result: Result<Vec<Attachment>, AttachError>,
    ) {
        let found = match result {
            Ok(found) => found,
            Err(e) => return self.not_sent(&text, attachments, &e),
        };
        for attachment in found {
            if !attachments.iter().any(|a| a.hash == attachment.hash) {
                attachments.push(attachment);
            }
        }
        // Together they may be over a request's limits (images, 32 MB): refused here,
        // where the text can still go back into the input.
        if let Err(e) = crate::attach::limits::check_attachments(&attachments) {
            return self.not_sent(&text, attachments, &e);
        }
        self.send_attached(text, attachments);
    }

    /// A message refused before sending: the reason as an error notice, and the text back
    /// in the input (before anything typed since); its chips are pending again.
    fn not_sent(&mut self, text: &UserText, attachments: Vec<Attachment>, error: &AttachError) {
        self.notice(NoticeKind::Error, format!("not sent: {error}"));
        self.pend_again(attachments);
        self.conversation.scroll_to_bottom();
        let draft = self.input.text();
        let back = if draft.trim().is_empty() {
            text.to_string()
        } else {
            format!("{}\n\n{draft}", &**text)
        };
        self.input.set_text(&back);
        self.sync_popup();
    }

    /// Shows a user message with its attachments' chips and asks the engine to answer it.
    fn send_attached(&mut self, text: UserText, attachments: Vec<Attachment>) {
        if attachments.is_empty() {
            return self.send_user(text);
        }
        self.drop_retry_countdown();
        let sent = text.to_string();
        let chips = attachments.iter().map(chip).collect();
        self.conversation
            .push(CellKind::User(text.with_attachments(chips)));
        self.conversation.scroll_to_bottom();
        self.connection = Connection::Waiting;
        self.effect(Effect::Engine(Command::SendAttached {
            text: sent,
            attachments,
        }));
    }
}
