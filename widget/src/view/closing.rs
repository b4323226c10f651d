//! The screen after the last question.

use crate::closing::Closing;
use crate::dom::{El, Listeners, el};
use crate::i18n::Texts;

/// The closing section and its heading (to move focus to); with `next`, a
/// "Next customer" button (the kiosk) that runs it.
pub fn closing_screen(
    closing: Closing,
    t: &'static Texts,
    listeners: &Listeners,
    next: Option<Box<dyn Fn()>>,
) -> (El, El) {
    let (title, body) = match closing {
        Closing::Thanks => (t.thanks_title, Some(t.thanks_body)),
        Closing::ThanksForYourTime => (t.skipped_title, None),
    };
    let heading = el("h2").attr("tabindex", "-1").text(title);
    let section = el("section")
        .class("kept-thanks")
        .attr("role", "status")
        .attr("aria-live", "polite")
        .attr(
            "data-answered",
            if closing == Closing::Thanks {
                "true"
            } else {
                "false"
            },
        )
        .child(
            &el("div")
                .class("kept-check")
                .attr("aria-hidden", "true")
                .text("✓"),
        )
        .child(&heading);
    if let Some(body) = body {
        section.clone().child(&el("p").text(body));
    }
    if let Some(next) = next {
        section.clone().child(
            &el("button")
                .attr("type", "button")
                .class("kept-next")
                .text(t.next_customer)
                .on("click", listeners, move |_| next()),
        );
    }
    (section, heading)
}
