//! The score scale (NPS 0–10, CSAT 1–5) as a WAI-ARIA radio group: one tab stop
//! (the picked score, else the first), arrow keys move and pick, Home and End
//! jump to the ends, a click or Space picks.

use std::cell::Cell;
use std::rc::Rc;

use kept_shared::json::u64_text;

use crate::dom::{El, Listeners, el, event_key};

/// The scale and its end labels; `on_pick` runs with each score picked.
pub fn scale(
    labelled_by: &str,
    (first, last): (u8, u8),
    (low, high): (&str, &str),
    listeners: &Listeners,
    on_pick: impl Fn(u8) + 'static,
) -> [El; 2] {
    let picked = Rc::new(Cell::new(None::<u8>));
    let buttons: Rc<Vec<El>> = Rc::new(
        (first..=last)
            .map(|n| {
                let number = u64_text(u64::from(n));
                // The ends say what they mean; the labels under the scale are only visual.
                let label = if n == first {
                    number.clone() + ", " + low
                } else if n == last {
                    number.clone() + ", " + high
                } else {
                    number.clone()
                };
                el("button")
                    .attr("type", "button")
                    .attr("role", "radio")
                    .class("kept-score")
                    .attr("data-score", &number)
                    .attr("aria-label", &label)
                    .text(&number)
            })
            .collect(),
    );
    let on_pick = Rc::new(on_pick);
    let pick = {
        let (buttons, picked) = (buttons.clone(), picked.clone());
        Rc::new(move |n: u8, focus: bool| {
            picked.set(Some(n));
            for (i, b) in buttons.iter().enumerate() {
                let this = usize::from(n - first) == i;
                b.set_attr("aria-checked", if this { "true" } else { "false" });
                b.set_attr("tabindex", if this { "0" } else { "-1" });
                if this && focus {
                    b.focus();
                }
            }
            on_pick(n);
        })
    };
    for (i, b) in buttons.iter().enumerate() {
        let n = first + i as u8;
        b.set_attr("aria-checked", "false");
        b.set_attr("tabindex", if i == 0 { "0" } else { "-1" });
        let on_click = pick.clone();
        let on_key = pick.clone();
        b.clone()
            .on("click", listeners, move |_| on_click(n, false))
            .on("keydown", listeners, move |e| {
                let to = match event_key(&e).as_str() {
                    "ArrowRight" | "ArrowDown" => {
                        if n == last {
                            first
                        } else {
                            n + 1
                        }
                    }
                    "ArrowLeft" | "ArrowUp" => {
                        if n == first {
                            last
                        } else {
                            n - 1
                        }
                    }
                    "Home" => first,
                    "End" => last,
                    _ => return,
                };
                e.prevent_default();
                on_key(to, true);
            });
    }
    let group = el("div")
        .class("kept-scale")
        .attr("role", "radiogroup")
        .attr("aria-labelledby", labelled_by)
        .attr("data-size", &u64_text(u64::from(last - first + 1)))
        .children(&buttons);
    let ends = el("div")
        .class("kept-scale-ends")
        .attr("aria-hidden", "true")
        .child(&el("span").text(low))
        .child(&el("span").text(high));
    [group, ends]
}
