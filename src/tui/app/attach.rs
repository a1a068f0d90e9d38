//! Attachments on the app's side: the `@`-mention popup, the pending chips above the input,
//! the offer to attach a pasted path, and the project instructions. Part of [`App`];
//! loading and sending are in `attach_send.rs`, the text parsing in `attach_text.rs`.
//!
//! The model: the library (`crate::attach`) loads files and knows their kinds and limits;
//! the app keeps what the person is putting together. [`Attachments::pending`] are files
//! already loaded (by `/attach` or an accepted paste) that go with the next message sent
//! from the input, each shown as a chip; `@path` mentions stay text in the input until
//! the message is sent, when the library resolves them. The app never reads a file
//! itself: loading is an [`Effect::Attach`](crate::tui::app::Effect::Attach) the event loop carries out
//! (`run/attach.rs`), which calls back with the result.
//!
//! The mention popup follows the input: after every change ([`App::sync_popup`]) the word
//! before the cursor is looked at; an `@word` (or a path after `/attach `) asks the
//! workspace's [`FileIndex`] for the best matches. The index walks the tree on a thread
//! of its own and filters what it has found so far, so the popup shows partial results,
//! or "indexing…", and [`App::tick`] asks again every [`INDEX_POLL`] until the walk is
//! done. Typing never waits for it.
//!
//! Keys (the `Mention` and `Chips` overlays): with matches on show, Up/Down pick, Tab or
//! Enter insert `@path`, Esc closes. Backspace at the very start of the input removes
//! the last chip; a click on a chip removes it. After a paste that names an existing
//! file, Tab attaches it (the pasted text leaves the input) and Esc keeps it as text:
//! neither key types prose, so nothing typed by accident attaches a file.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::time::Instant;

use crate::api::catalog::Catalog;
use crate::attach::{Attachment, FileIndex, LoadOptions, ProjectInstructions};
use crate::sanitize::sanitize_line;

use crate::tui::app::App;
use crate::tui::app::attach_text::{mention_query, quote_path};
use crate::tui::widgets::mention::MentionPopup;

/// How often the popup asks the index again while it is still walking.
pub(in crate::tui) const INDEX_POLL: Duration = Duration::from_millis(100);
/// Matches asked of the index for the popup.
const MATCHES: usize = 50;

/// What the app is given to attach files: see [`AttachOptions::for_workspace`].
#[derive(Clone)]
pub struct AttachOptions {
    /// How files are loaded (explicit; mentions use [`LoadOptions::mention`]).
    pub load: LoadOptions,
    /// The models' capabilities, so a file is checked for the model in use when loaded.
    pub catalog: Option<Catalog>,
    /// The workspace's files for `@`-completion; `None` without a workspace.
    pub index: Option<FileIndex>,
    /// The AGENTS.md / CLAUDE.md the engine joins to the system prompt.
    pub instructions: ProjectInstructions,
}

impl AttachOptions {
    /// Options for the config's workspace (the tools' root and guard, as `@` mentions
    /// obey them) and the project instructions the engine was given. Without a usable
    /// root, `@` mentions are off; `/attach` still works.
    pub fn from_config(config: &crate::config::Config, catalog: Catalog) -> Self {
        let workspace = crate::attach::workspace_for(&config.tools);
        let instructions = crate::attach::project_instructions(config);
        AttachOptions::for_workspace(workspace, Some(catalog), instructions)
    }

    /// Options for the workspace at `workspace` (the tools' root and guard): its file
    /// index starts walking now, in the background.
    pub fn for_workspace(
        workspace: Option<crate::tools::workspace::Workspace>,
        catalog: Option<Catalog>,
        instructions: ProjectInstructions,
    ) -> AttachOptions {
        let index = workspace.as_ref().map(FileIndex::spawn);
        AttachOptions {
            load: LoadOptions::explicit(workspace),
            catalog,
            index,
            instructions,
        }
    }
}

/// A pasted path that names a file: attached with Tab, or left as text.
#[derive(Debug, Clone)]
pub(in crate::tui) struct PasteOffer {
    /// The pasted text as it stands in the input (removed when attached).
    pub text: String,
    pub attachment: Attachment,
}

/// The attachments being put together (see the module docs).
#[derive(Default)]
pub(in crate::tui) struct Attachments {
    pub options: Option<AttachOptions>,
    pub popup: MentionPopup,
    /// Loaded files that go with the next message from the input, in order.
    pub pending: Vec<Attachment>,
    pub offer: Option<PasteOffer>,
    /// Where the chips were drawn in the last frame, for clicks.
    pub chips_area: Option<ratatui::layout::Rect>,
}

/// The chip of an attachment, safe to draw: its name comes from the file system.
pub(in crate::tui) fn chip(attachment: &Attachment) -> String {
    sanitize_line(&attachment.chip()).into_owned()
}

impl App {
    /// The load options for the model in use, or `None` when attaching is not set up.
    pub fn attach_load_options(&self) -> Option<LoadOptions> {
        let options = self.attach.options.as_ref()?;
        let load = options.load.clone();
        Some(match &options.catalog {
            Some(catalog) => load.for_model(catalog, &self.status.model),
            None => LoadOptions {
                model: self.status.model.clone(),
                ..load
            },
        })
    }

    /// The chips' labels, in order.
    pub(in crate::tui) fn chip_labels(&self) -> Vec<String> {
        self.attach.pending.iter().map(chip).collect()
    }

    /// The line offering to attach a pasted path, while there is one.
    pub(in crate::tui) fn offer_line(&self) -> Option<String> {
        let offer = self.attach.offer.as_ref()?;
        Some(format!(
            "attach {}? Tab attaches · Esc keeps it as text",
            chip(&offer.attachment).trim_start_matches("▣ ")
        ))
    }

    /// What the word before the cursor completes, if anything: `(query, is_mention)`.
    /// An `@word` anywhere; after `/attach `, the path being typed.
    fn completion_query(&self) -> Option<(String, bool)> {
        let word = self.input.word_before_cursor();
        if let Some(query) = mention_query(&word) {
            return Some((query.to_owned(), true));
        }
        let text = self.input.text();
        let args = text
            .get(..8)
            .filter(|head| head.eq_ignore_ascii_case("/attach "))
            .map(|_| &text[8..])?;
        (!args.contains('\n') && !word.starts_with(['"', '\''])).then_some((word, false))
    }

    /// Recomputes the mention popup for the input as it is now.
    pub(in crate::tui) fn sync_mentions(&mut self) {
        let index = self.attach.options.as_ref().and_then(|o| o.index.as_ref());
        let (Some(index), Some((query, _))) = (index, self.completion_query()) else {
            self.attach.popup.show(None, Vec::new(), false);
            return;
        };
        let indexing = !index.is_complete();
        let paths = index
            .filter(&query, MATCHES)
            .into_iter()
            .map(|m| m.path)
            .collect();
        self.attach.popup.show(Some(&query), paths, indexing);
        // A paste offer lasts while its text is in the input.
        if let Some(offer) = &self.attach.offer
            && !self.input.text().contains(&offer.text)
        {
            self.attach.offer = None;
        }
    }

    /// The clock: while the popup waits on the index, it asks again every [`INDEX_POLL`].
    pub(in crate::tui) fn tick_mentions(&mut self, now: Instant) -> Option<Instant> {
        if !self.attach.popup.is_indexing() {
            return None;
        }
        self.sync_mentions();
        self.attach.popup.is_indexing().then(|| now + INDEX_POLL)
    }

    /// Whether the mention popup is up (the `Mention` overlay).
    pub(in crate::tui) fn mention_open(&self) -> bool {
        self.attach.popup.is_open()
    }

    /// The mention popup's keys; false for a key it leaves to the input.
    pub(in crate::tui) fn on_mention_key(&mut self, key: &KeyEvent) -> bool {
        let popup = &mut self.attach.popup;
        let bare = key.modifiers.is_empty();
        match key.code {
            KeyCode::Esc => popup.dismiss(),
            KeyCode::Up if popup.has_choice() => popup.select_prev(),
            KeyCode::Down if popup.has_choice() => popup.select_next(),
            KeyCode::Tab | KeyCode::Enter if bare && popup.has_choice() => self.accept_mention(),
            _ => return false,
        }
        true
    }

    /// Tab or Enter: the word before the cursor becomes `@path ` (or the path, after
    /// `/attach`), quoted when the path has spaces.
    fn accept_mention(&mut self) {
        let (Some(path), Some((_, mention))) = (
            self.attach.popup.selected_path().map(str::to_owned),
            self.completion_query(),
        ) else {
            return;
        };
        let word = self.input.word_before_cursor().chars().count();
        let quoted = quote_path(&path);
        let text = match (mention, quoted.starts_with('"')) {
            (true, true) => format!("@{quoted} "),
            (true, false) => format!("@{path} "),
            (false, _) => format!("{quoted} "),
        };
        self.input.replace_before_cursor(word, &text);
        self.sync_popup();
    }

    /// Whether the chips take keys now (the `Chips` overlay): there are chips or an offer.
    pub(in crate::tui) fn chips_open(&self) -> bool {
        !self.attach.pending.is_empty() || self.attach.offer.is_some()
    }

    /// Backspace at the start of the input removes the last chip; Tab takes the paste
    /// offer and Esc declines it (when idle: streaming, Esc interrupts). False for any
    /// other key.
    pub(in crate::tui) fn on_chips_key(&mut self, key: &KeyEvent, now: Instant) -> bool {
        let plain = key.modifiers.is_empty() || key.modifiers == KeyModifiers::SHIFT;
        match key.code {
            KeyCode::Backspace
                if plain && self.input.cursor_at_start() && !self.attach.pending.is_empty() =>
            {
                if let Some(gone) = self.attach.pending.pop() {
                    self.flash(format!("removed {}", gone_name(&gone)), now);
                }
            }
            KeyCode::Tab if key.modifiers.is_empty() && self.attach.offer.is_some() => {
                self.take_offer(now);
            }
            // While an answer streams, Esc interrupts it as always; the offer waits.
            KeyCode::Esc if self.attach.offer.is_some() && !self.is_busy() => {
                self.attach.offer = None;
                self.flash("kept as text", now);
            }
            _ => return false,
        }
        true
    }

    /// Tab on the paste offer: the pasted path leaves the input and becomes a chip.
    fn take_offer(&mut self, now: Instant) {
        let Some(offer) = self.attach.offer.take() else {
            return;
        };
        self.input.remove_text(&offer.text);
        let name = gone_name(&offer.attachment);
        self.add_pending(offer.attachment);
        self.sync_popup();
        self.flash(
            format!("attached {name}: it goes with the next message"),
            now,
        );
    }

    /// Adds a chip, unless the same content is already pending.
    pub(in crate::tui) fn add_pending(&mut self, attachment: Attachment) {
        if self.push_pending(attachment) {
            // The draft's counted cost includes its chips (`token_count.rs`).
            self.watch_draft(Instant::now());
        }
    }

    /// Chips back among the pending ones (a message that came back into the input, or
    /// was not sent), before any added since; each content once.
    pub(in crate::tui) fn pend_again(&mut self, attachments: Vec<Attachment>) {
        let later = std::mem::take(&mut self.attach.pending);
        let mut changed = false;
        for attachment in attachments.into_iter().chain(later) {
            changed |= self.push_pending(attachment);
        }
        if changed {
            self.watch_draft(Instant::now());
        }
    }

    /// Appends a chip unless the same content is pending; true when it was appended.
    fn push_pending(&mut self, attachment: Attachment) -> bool {
        let pending = &mut self.attach.pending;
        let new = !pending.iter().any(|a| a.hash == attachment.hash);
        if new {
            pending.push(attachment);
        }
        new
    }

    /// A left click: on a chip, removes it. True when it hit one.
    pub(in crate::tui) fn click_chip(&mut self, column: u16, row: u16) -> bool {
        let Some(area) = self.attach.chips_area else {
            return false;
        };
        if !area.contains(ratatui::layout::Position::new(column, row)) {
            return false;
        }
        let labels = self.chip_labels();
        let hit =
            crate::tui::widgets::chips::chip_at(&labels, area.width, column - area.x, row - area.y);
        match hit {
            Some(i) if i < self.attach.pending.len() => {
                self.attach.pending.remove(i);
                self.watch_draft(Instant::now());
                true
            }
            _ => false,
        }
    }

    /// `/instructions`: the project instructions loaded, in full, as a notice.
    pub(in crate::tui) fn show_instructions(&mut self) {
        let text = match self.attach.options.as_ref().map(|o| &o.instructions) {
            Some(found) if !found.is_empty() => format!(
                "Project instructions ({}, ≈ {} tokens), after the system prompt:\n\n{}",
                found.label(),
                crate::attach::grouped(found.tokens()),
                found.text()
            ),
            _ => "No project instructions: no AGENTS.md or CLAUDE.md in the workspace root \
                  or its parents up to the repository root (or chat.project_instructions = \
                  false)"
                .to_owned(),
        };
        let skipped = self
            .attach
            .options
            .as_ref()
            .map(|o| o.instructions.skipped.clone());
        self.notice(crate::tui::render::cells::NoticeKind::Info, text);
        for (path, why) in skipped.unwrap_or_default() {
            self.notice(
                crate::tui::render::cells::NoticeKind::Error,
                format!("skipped {}: {why}", path.display()),
            );
        }
        self.conversation.scroll_to_bottom();
    }

    /// The sidebar's line: the instructions' file names and size, if any were loaded.
    pub(in crate::tui) fn instructions_line(&self) -> Option<String> {
        let found = &self.attach.options.as_ref()?.instructions;
        (!found.is_empty()).then(|| {
            format!(
                "{} · ≈ {} tokens",
                sanitize_line(&found.label()),
                crate::attach::grouped(found.tokens())
            )
        })
    }
}

/// The chip of an attachment read back from a stored message.
pub(in crate::tui) fn info_chip(info: &crate::attach::AttachmentInfo) -> String {
    let chip = format!(
        "▣ {} · {} · ≈ {} tokens",
        info.name,
        crate::attach::human_size(info.size),
        crate::attach::grouped(info.tokens)
    );
    sanitize_line(&chip).into_owned()
}

/// A file's name for a status message.
fn gone_name(attachment: &Attachment) -> String {
    sanitize_line(&attachment.name).into_owned()
}

#[cfg(test)]
#[path = "attach_tests.rs"]
mod tests;
