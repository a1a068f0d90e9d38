//! Print mode's attachments: `--attach FILE` (repeatable, `-` for standard input) and the
//! `@` mentions in the prompt, all loaded and checked before anything is sent.

use std::io::Read;

use crate::attach::{
    AttachError, Attachment, LoadOptions, limits, load, load_bytes, resolve_mentions,
};

/// The attachments for `prompt`: each `--attach` in order (any readable file, `-` read
/// from `stdin`), then the files the prompt mentions (confined to the workspace), each
/// once. The first refusal is returned and nothing is sent.
pub fn attachments(
    files: &[String],
    prompt: &str,
    options: &LoadOptions,
    stdin: &mut dyn Read,
) -> Result<Vec<Attachment>, AttachError> {
    let mut out: Vec<Attachment> = Vec::new();
    for file in files {
        let attachment = if file == "-" {
            let mut bytes = Vec::new();
            stdin
                .read_to_end(&mut bytes)
                .map_err(|e| AttachError::Unreadable {
                    name: "stdin".into(),
                    reason: e.to_string(),
                })?;
            load_bytes("stdin", bytes, options)?
        } else {
            load(file, options)?
        };
        push_new(&mut out, attachment);
    }
    for attachment in resolve_mentions(prompt, options)? {
        push_new(&mut out, attachment);
    }
    limits::check_attachments(&out)?;
    Ok(out)
}

fn push_new(out: &mut Vec<Attachment>, attachment: Attachment) {
    if !out.iter().any(|a| a.hash == attachment.hash) {
        out.push(attachment);
    }
}
