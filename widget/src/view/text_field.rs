//! An optional free-text field with its label and the characters left.

use std::cell::RefCell;
use std::rc::Rc;

use kept_shared::json::u64_text;
use kept_shared::limits::MAX_TEXT_CHARS;

use crate::dom::{El, Listeners, el, event_value};
use crate::i18n::Texts;

/// The label, the field and its counter; the text typed lands in `text`, and
/// `on_change` runs after each change.
pub fn text_field(
    name: &str,
    label: &str,
    t: &'static Texts,
    text: Rc<RefCell<String>>,
    listeners: &Listeners,
    on_change: impl Fn() + 'static,
) -> [El; 3] {
    let id = String::from("kept-text-") + name;
    let count_id = id.clone() + "-count";
    let left = |typed: usize| {
        u64_text(MAX_TEXT_CHARS.saturating_sub(typed) as u64) + " " + t.characters_left
    };
    let count = el("p")
        .class("kept-count")
        .attr("id", &count_id)
        .text(&left(0));
    let counter = count.clone();
    let field = el("textarea")
        .attr("id", &id)
        .attr("name", name)
        .attr("rows", "3")
        .attr("maxlength", &u64_text(MAX_TEXT_CHARS as u64))
        .attr("aria-describedby", &count_id)
        .on("input", listeners, move |e| {
            let value = event_value(&e);
            // Counted as `maxlength` counts, in UTF-16 units: the counter
            // reaches 0 just as the field stops taking text (an emoji is two).
            // Never more characters than the server's limit, which counts
            // characters.
            counter
                .0
                .set_text_content(Some(&left(value.encode_utf16().count())));
            *text.borrow_mut() = value;
            on_change();
        });
    let label = el("label")
        .class("kept-label")
        .attr("for", &id)
        .add_text(label)
        .add_text(" ")
        .child(
            &el("span")
                .class("kept-optional")
                .text(&(String::from("(") + t.optional + ")")),
        );
    [label, field, count]
}
