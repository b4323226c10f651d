//! The widget's entry point, called by the loader's second half
//! (`widget/loader/show.js`, bundled with this glue) once `kept.js` decided
//! something is to be shown or sent.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::browser::{self, LocalStore};
use crate::closing::Closing;
use crate::config::{self, Mode};
use crate::dom::{El, Listeners, el};
use crate::i18n;
use crate::plan::PlanView;
use crate::sync::Syncer;
use crate::view::{self, Ctx};

const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

#[wasm_bindgen]
extern "C" {
    /// A constructed stylesheet (`new CSSStyleSheet()`).
    #[wasm_bindgen(js_name = CSSStyleSheet)]
    type Sheet;
    #[wasm_bindgen(constructor, js_class = "CSSStyleSheet", catch)]
    fn new() -> Result<Sheet, JsValue>;
    #[wasm_bindgen(method, js_name = replaceSync, catch)]
    fn replace_sync(this: &Sheet, text: &str) -> Result<(), JsValue>;
}

/// The widget's stylesheet in its shadow root: a constructed stylesheet, adopted,
/// which a shop's Content-Security-Policy does not govern (a `<style>` needs
/// `style-src 'unsafe-inline'`, which browsers ignore once the policy names a
/// nonce or a hash); in a browser without them, a `<style>`.
fn adopt_styles(root: &web_sys::ShadowRoot) {
    let key = JsValue::from_str("adoptedStyleSheets");
    // Looked for before it is set: set, any object would have it.
    let adopted = js_sys::Reflect::has(root, &key).unwrap_or(false)
        && Sheet::new().is_ok_and(|sheet| {
            sheet.replace_sync(CSS).is_ok()
                && js_sys::Reflect::set(root, &key, &js_sys::Array::of1(&sheet)).unwrap_or(false)
        });
    if !adopted {
        let _ = root.append_child(&el("style").text(CSS).0);
    }
}

/// Mounts the widget. `script` is the loader's script tag; `attrs` its `data-*`
/// attributes, names without `data-`; `plan` the display plan's JSON text with
/// its texts, none when there is only the queue to send; `show` the ids of the
/// surveys due, in order; `card` whether to show the loyalty card;
/// `record(survey, outcome)` the loader's history.
///
/// A bad configuration is reported in one console line and nothing is left on
/// the page, so the shop's page shows no empty box: the page must never break, so
/// this never throws.
#[wasm_bindgen]
pub fn mount(
    script: HtmlElement,
    attrs: JsValue,
    plan: Option<String>,
    show: Vec<String>,
    card: bool,
    record: Option<js_sys::Function>,
) {
    if let Err(e) = start(&script, &attrs, plan, show, card, record) {
        browser::error(&(String::from("the widget is not shown: ") + &e));
    }
}

fn start(
    script: &HtmlElement,
    attrs: &JsValue,
    plan: Option<String>,
    show: Vec<String>,
    card: bool,
    record: Option<js_sys::Function>,
) -> Result<(), String> {
    let mut pairs = Vec::new();
    for entry in js_sys::Object::entries(attrs.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            pairs.push((k, v));
        }
    }
    let cfg = config::parse(&pairs)?;
    let plan = match plan {
        Some(text) => Some(PlanView::read(&text, &show, &cfg.locale).map_err(|e| e.0)?),
        None => None,
    };
    let storage = LocalStore::open().map(Rc::new);
    if storage.is_none() {
        browser::warn(
            "local storage is unavailable: unsent answers are kept only while this page is open",
        );
    }
    let syncer = Syncer::new(&cfg.api, &cfg.public_key, storage.clone());
    // The syncer retries until the page goes, whatever the screens do: it is
    // never freed (its timers and listeners hold it only weakly).
    std::mem::forget(syncer.clone());
    syncer.queue.forget_legacy();
    syncer.kick();
    let Some(plan) = plan else {
        // Nothing to show (or nothing known to show it with): only the queue to send.
        return Ok(());
    };
    let surveys = plan.surveys;
    let kiosk = cfg.mode == Mode::Kiosk;
    // A personal link answered in this browser while the server could not
    // hear it: the answer waits in the queue (sent from now on), and the
    // server, which keeps one answer per link's order, would drop a second.
    // Thanked again rather than asked again.
    let answered_here = cfg.mode == Mode::Link
        && !surveys.is_empty()
        && cfg.order.as_deref().is_some_and(|order| {
            surveys
                .iter()
                .all(|s| syncer.queue.holds_answer(&s.id, order))
        });
    if surveys.is_empty() && !card && !kiosk {
        // The texts name none of the surveys due: nothing is put on the page.
        return Ok(());
    }
    let texts = i18n::texts(&cfg.locale);
    let host = place_host(script, cfg.target.as_deref(), kiosk);
    let root = match host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)) {
        Ok(root) => root,
        Err(e) => {
            host.remove();
            return Err(browser::js_message(&e));
        }
    };
    let container = el("div")
        .class(if cfg.mode == Mode::Kiosk {
            "kept kept-kiosk"
        } else {
            "kept"
        })
        .attr("lang", i18n::language(&cfg.locale));
    adopt_styles(&root);
    // Its width where the page sizes it by its content (widget.css).
    let _ = root.append_child(&el("b").0);
    let _ = root.append_child(&container.0);
    let customer = cfg.customer.clone();
    let ctx = Rc::new(Ctx {
        cfg,
        texts,
        shop_id: plan.shop_id,
        syncer,
        storage,
        record,
    });
    // A signature not written as one was dropped (config.rs): no card, which
    // the plan's warning has said, rather than a request sure to be refused.
    // Below what is asked (in a kiosk too): a card the server sends after the
    // question is shown would move the question under the visitor's finger.
    let card_of = customer.filter(|_| card && ctx.cfg.customer_sig.is_some());
    if kiosk {
        view::kiosk(&ctx, &container, surveys);
    } else if answered_here {
        let listeners = Listeners::default();
        let (thanks, _) = view::closing_screen(Closing::Thanks, ctx.texts, &listeners, None);
        container.clone().child(&thanks);
    } else if !surveys.is_empty() {
        let stage: El = el("div").class("kept-flow");
        container.clone().child(&stage);
        // The flow lives as long as the page.
        std::mem::forget(view::flow(&ctx, &stage, Rc::new(surveys), None));
    }
    if let Some(customer) = card_of {
        view::loyalty_card(&ctx, &container, &customer);
    }
    Ok(())
}

/// The widget's element, where the page asked: in `data-target` (a CSS
/// selector), else right after the script tag. An element of its own name,
/// which no `div` rule of the shop's reaches. Kiosk styles key on its
/// `data-mode`.
fn place_host(script: &HtmlElement, target: Option<&str>, kiosk: bool) -> HtmlElement {
    let host = el("kept-widget").class("kept-host");
    if kiosk {
        host.set_attr("data-mode", "kiosk");
    }
    let found = target.and_then(|t| {
        let found = browser::window()
            .document()
            .and_then(|d| d.query_selector(t).ok().flatten());
        if found.is_none() {
            browser::warn(
                &(String::from("data-target ") + t + " not found; mounting after the script"),
            );
        }
        found
    });
    // None can fail for an element just made.
    let _ = match (found, script.parent_node()) {
        (Some(target), _) => target.append_child(&host.0),
        (None, Some(_)) => script
            .after_with_node_1(&host.0)
            .map(|_| host.0.clone().into()),
        // A page that took the script tag out (a single-page app's router):
        // the end of the page, rather than nowhere (the README says so).
        (None, None) => match browser::window().document().and_then(|d| d.body()) {
            Some(body) => body.append_child(&host.0),
            None => Ok(host.0.clone().into()),
        },
    };
    host.0
}
