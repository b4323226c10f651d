//! The visitor's loyalty card: points, tier, progress to the next tier. The saved
//! status shows at once, marked as not current, until the server answers.

use std::rc::Rc;

use kept_shared::api;
use kept_shared::json::u64_text;

use super::Ctx;
use crate::browser::{self, FetchError};
use crate::dom::{El, el, replace_children};
use crate::i18n::{self, Texts};
use crate::loyalty::LoyaltyView;

/// Mounts the card for `customer` into `container`.
pub fn loyalty_card(ctx: &Rc<Ctx>, container: &El, customer: &str) {
    let place = el("div").class("kept-loyalty-slot");
    container.clone().child(&place);
    let key = ctx.keys().loyalty(customer);
    let show = {
        let (ctx, place) = (ctx.clone(), place.clone());
        move |text: &str, current: bool| match LoyaltyView::read(text, &ctx.cfg.locale) {
            Ok(view) => replace_children(
                &place,
                Some(&card(
                    &view,
                    current,
                    ctx.texts,
                    i18n::language(&ctx.cfg.locale),
                )),
            ),
            Err(e) => browser::warn(&(String::from("unexpected loyalty status: ") + &e.0)),
        }
    };
    if let Some(saved) = ctx.saved(&key) {
        show(&saved, false);
    }
    let sig = ctx.cfg.customer_sig.as_deref().unwrap_or_default();
    let url = ctx.url(&(api::loyalty(&ctx.cfg.public_key, customer) + "?sig=" + sig));
    let ctx = ctx.clone();
    let shown = move |status: Result<String, FetchError>| match status {
        Ok(fresh) => {
            ctx.save(&key, &fresh);
            show(&fresh, true);
        }
        Err(e) => {
            // Refused (a signature not the shop's, the widget refused): the
            // saved card is neither shown nor kept on this device, which may
            // be another person's. Out of reach or failing, the server leaves
            // it shown as not current.
            if matches!(e, FetchError::Status(status, _) if (400..500).contains(&status)) {
                ctx.forget(&key);
                replace_children(&place, None);
            }
            match e {
                // The loader says it when the server refuses the widget, and
                // a signature not the shop's in the plan's warning, which it
                // says too.
                e if e.refuses_the_widget() || e.is("not_signed") => {}
                FetchError::Network(e) => browser::warn_unreachable(&ctx.cfg.api, &e),
                e => browser::warn(
                    &(String::from("could not load the loyalty status: ") + &e.message()),
                ),
            }
        }
    };
    browser::get_text(&url, Box::new(shown));
}

fn card(s: &LoyaltyView, current: bool, t: &'static Texts, locale: &str) -> El {
    let next = match &s.next {
        Some((name, needed)) => t.points_to_next(*needed, name),
        None => t.top_tier.to_string(),
    };
    let points = u64_text(s.points);
    let percent = u64_text(s.progress);
    let aside = el("aside")
        .class("kept-loyalty")
        .attr("data-points", &points)
        .attr("data-tier", &s.tier_id)
        .attr("data-current", if current { "true" } else { "false" })
        .child(
            &el("div")
                .class("kept-loyalty-head")
                .child(
                    &el("span")
                        .class("kept-tier")
                        .add_text(t.tier)
                        .add_text(" ")
                        .child(&el("strong").text(&s.tier)),
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
                .attr("aria-valuenow", &percent)
                .attr("aria-label", &next)
                .child(
                    &el("div")
                        .class("kept-progress-fill")
                        .style("width", &(percent.clone() + "%")),
                ),
        )
        .child(&el("p").class("kept-next-tier").text(&next));
    if !current {
        // The time on the visitor's clock, as the widget's language writes
        // it (the server writes it in UTC): "25.11.2026, 12:00:00".
        let date = browser::local_time(&s.as_of, locale);
        aside.clone().child(
            &el("p")
                .class("kept-stale")
                .text(&i18n::fill(t.as_of, &[("date", &date)])),
        );
    }
    aside
}
