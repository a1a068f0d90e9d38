//! The loop's side of attachments: loading the files the app asks for
//! ([`AttachRequest`]) through the library and handing the results back.
//!
//! Loading reads the file (at most the API's 32 MB) and, for a large image, downscales it:
//! done here on the loop, like loading an `/extract` schema, as it is one file the person
//! just named and takes milliseconds. The app itself never touches the disk.

use tokio::time::Instant;

use crate::attach;

use crate::tui::app::App;
use crate::tui::app::attach_send::AttachRequest;

/// Carries out one request and reports back to the app.
pub(in crate::tui) fn apply(app: &mut App, request: AttachRequest) {
    let Some(options) = app.attach_load_options() else {
        return;
    };
    let now = Instant::now();
    match request {
        AttachRequest::Files(paths) => {
            let results = paths.iter().map(|p| attach::load(p, &options)).collect();
            app.files_loaded(results, now);
        }
        AttachRequest::Pasted { text, path } => {
            let result = attach::load(&path.to_string_lossy(), &options);
            app.paste_loaded(text, result, now);
        }
        AttachRequest::Send { text, attachments } => {
            let result = attach::resolve_mentions(&text, &options.mention());
            app.mentions_resolved(text, attachments, result);
        }
    }
}
