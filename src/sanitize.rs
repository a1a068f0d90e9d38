//! (Interface stub; pending.) The gate untrusted text passes before reaching a terminal.

use std::borrow::Cow;

/// Removes control characters and escape sequences; keeps `\n` and `\t`.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}

/// Like [`sanitize`], with newlines and tabs turned into spaces.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    Cow::Borrowed(s)
}
