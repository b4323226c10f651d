//! A value repeated back in a message (an import's report, an API error):
//! never more than a glance of it, whatever was sent.

use std::borrow::Cow;

/// Most characters of a value a message repeats.
pub const SHOWN_CHARS: usize = 40;

/// `text` as a message repeats it: at most [`SHOWN_CHARS`] characters, then
/// an ellipsis; borrowed when it is that short (the common case, read for
/// each key of each purchase of an import).
pub fn shortened(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
        None => Cow::Borrowed(text),
    }
}
