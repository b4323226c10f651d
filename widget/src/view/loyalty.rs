//! The visitor's loyalty card: points, tier, progress to the next tier. The saved
//! status shows at once, marked as not current, until the server answers.

use std::rc::Rc;

use kept_shared::json::{u64_text, write_timestamp};
use kept_shared::{LoyaltyStatus, api};

use super::Ctx;
use crate::browser;
use crate::dom::{El, el, replace_children};
use crate::i18n::{self, Texts};

/// Mounts the card for `customer` into `container`.
pub fn loyalty_card(ctx: &Rc<Ctx>, container: &El, customer: &str) {
    let place = el("div").class("kept-loyalty-slot");
    container.clone().child(&place);
    let key = ctx.keys().loyalty(customer);
    if let Some(saved) = ctx.cache_get::<LoyaltyStatus>(&key) {
        replace_children(
            &place,
            Some(&card(&saved, false, ctx.texts, &ctx.cfg.locale)),
        );
    }
    let url = ctx.url(&api::loyalty(&ctx.cfg.public_key, customer));
    let ctx = ctx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match browser::get_json::<LoyaltyStatus>(&url).await {
            Ok(fresh) => {
                ctx.cache_put(&key, &fresh);
                replace_children(
                    &place,
                    Some(&card(&fresh, true, ctx.texts, &ctx.cfg.locale)),
                );
            }
            // The loader says it when the server refuses the widget.
            Err(e) if e.refuses_the_widget() => {}
            Err(browser::FetchError::Network(e)) => browser::warn_unreachable(&ctx.cfg.api, &e),
            Err(e) => {
                browser::warn(&(String::from("could not load the loyalty status: ") + &e.message()))
            }
        }
    });
}

fn card(s: &LoyaltyStatus, current: bool, t: &'static Texts, locale: &str) -> El {
    let percent = (s.progress() * 100.0).round() as u64;
    let next = match &s.next_tier {
        Some(n) => t.points_to_next(n.points_needed, n.name_for(locale)),
        None => t.top_tier.to_string(),
    };
    let points = u64_text(s.points);
    let aside = el("aside")
        .class("kept-loyalty")
        .attr("data-points", &points)
        .attr("data-tier", &s.tier)
        .attr("data-current", if current { "true" } else { "false" })
        .child(
            &el("div")
                .class("kept-loyalty-head")
                .child(
                    &el("span")
                        .class("kept-tier")
                        .add_text(t.tier)
                        .add_text(" ")
                        .child(&el("strong").text(s.tier_name(locale))),
                )
                .child(
                    &el("span")
                        .class("kept-points")
                        .child(&el("strong").text(&points))
                        .add_text(" ")
                        .add_text(t.points_word(s.points)),
                ),
        )
        .child(
            &el("div")
                .class("kept-progress")
                .attr("role", "progressbar")
                .attr("aria-valuemin", "0")
                .attr("aria-valuemax", "100")
                .attr("aria-valuenow", &u64_text(percent))
                .attr("aria-label", &next)
                .child(&el("div").class("kept-progress-fill").attr(
                    "style",
                    &(String::from("width: ") + &u64_text(percent) + "%"),
                )),
        )
        .child(&el("p").class("kept-next-tier").text(&next));
    if !current {
        // "2026-11-25 10:00" (UTC), from the RFC 3339 text without its seconds.
        let mut stamp = String::new();
        write_timestamp(&mut stamp, &s.as_of);
        let date = stamp.get(..16).unwrap_or(&stamp).replace('T', " ");
        aside.clone().child(
            &el("p")
                .class("kept-stale")
                .text(&i18n::fill(t.as_of, &[("date", &date)])),
        );
    }
    aside
}
