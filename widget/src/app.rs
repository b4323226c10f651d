//! The widget's UI: mounting into a shadow root, the three surveys, the thank-you
//! screen, the loyalty card, and the kiosk's one-respondent-after-another loop.

use std::rc::Rc;

use chrono::Utc;
use gloo_timers::callback::{Interval, Timeout};
use kept_shared::limits::MAX_TEXT_CHARS;
use kept_shared::validate::validate_answer;
use kept_shared::{
    Answer, AnswerValue, Channel, LoyaltyStatus, ShopSurveys, Survey, SurveyKind, WidgetEvent,
    WidgetEventKind, WidgetEvents, api,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::asked::{self, Asked, Closing, Outcome};
use crate::browser::{self, FetchError, LocalStore};
use crate::config::{self, Mode, Plan, WidgetConfig};
use crate::i18n::{self, Texts};
use crate::queue::{Kept, KeyValueStore};
use crate::sync::Syncer;

const CSS: &str = include_str!("widget.css");

/// Mounts the widget into `host` (called by `kept.js`). `config` holds the script
/// tag's `data-*` attributes, names without `data-` (`{"key": "pk_demo", "api":
/// "https://kept.example", "locale": "uk-UA", ...}`), as an object or as its JSON
/// text. `surveys`, if given, is the `fetch` of the surveys that `kept.js` started
/// while the wasm was downloading; without it the widget asks itself.
///
/// A bad configuration is reported in one console line and the host element is
/// removed, so the shop's page shows no empty box: the page must never break, so
/// this never throws.
#[wasm_bindgen]
pub fn mount(host: HtmlElement, config: JsValue, surveys: Option<js_sys::Promise>) {
    console_error_panic_hook::set_once();
    let json = match config.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(&config)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default(),
    };
    let cfg = match config::attrs_from_json(&json).and_then(|a| config::parse(&a)) {
        Ok(cfg) => cfg,
        Err(e) => {
            host.remove();
            return browser::error(&format!("the widget is not shown: {e}"));
        }
    };
    if let Err(e) = render_into(&host, cfg, surveys) {
        host.remove();
        browser::error(&format!(
            "the widget could not start: {}",
            browser::js_message(&e)
        ));
    }
}

fn render_into(
    host: &HtmlElement,
    cfg: WidgetConfig,
    surveys: Option<js_sys::Promise>,
) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let root = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let style = document.create_element("style")?;
    style.set_text_content(Some(CSS));
    root.append_child(&style)?;
    let container: HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name(if cfg.mode == Mode::Kiosk {
        "kept kept-kiosk"
    } else {
        "kept"
    });
    container.set_attribute("lang", i18n::language(&cfg.locale))?;
    root.append_child(&container)?;

    let storage = LocalStore::open().map(Rc::new);
    if storage.is_none() {
        browser::warn(
            "local storage is unavailable: unsent answers are kept only while this page is open",
        );
    }
    let syncer = Syncer::new(&cfg.api, &cfg.public_key, storage.clone());
    syncer.kick();
    let ctx = Ctx {
        texts: i18n::texts(&cfg.locale),
        cfg: StoredValue::new(cfg),
        syncer: StoredValue::new_local(syncer),
        storage: StoredValue::new_local(storage),
        host: StoredValue::new_local(host.clone()),
    };
    let prefetched = StoredValue::new_local(surveys);
    leptos::mount::mount_to(container, move || {
        view! { <Widget ctx=ctx prefetched=prefetched.get_value()/> }
    })
    .forget();
    Ok(())
}

/// What every part of the widget needs; cheap to copy into closures.
#[derive(Clone, Copy)]
struct Ctx {
    cfg: StoredValue<WidgetConfig>,
    texts: &'static Texts,
    syncer: StoredValue<Rc<Syncer>, LocalStorage>,
    storage: StoredValue<Option<Rc<LocalStore>>, LocalStorage>,
    /// The element `kept.js` made for the widget in the shop's page.
    host: StoredValue<HtmlElement, LocalStorage>,
}

impl Ctx {
    fn url(&self, path: String) -> String {
        self.cfg.with_value(|c| format!("{}{path}", c.api))
    }

    fn cache_get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.storage
            .with_value(|s| s.as_ref()?.get(key))
            .and_then(|v| serde_json::from_str(&v).ok())
    }

    fn cache_put<T: serde::Serialize>(&self, key: &str, value: &T) {
        if let (Some(s), Ok(v)) = (self.storage.get_value(), serde_json::to_string(value)) {
            // A full storage only costs the offline copy.
            let _ = s.set(key, &v);
        }
    }

    fn keys(&self) -> crate::queue::Keys {
        self.cfg
            .with_value(|c| crate::queue::Keys::new(&c.public_key))
    }

    /// The server will not serve this widget as configured (unknown key, origin
    /// not allowed, ...): say so in one console line, in the server's words, and
    /// leave nothing on the page.
    fn give_up(&self, error: &FetchError) {
        browser::error(&format!("the widget is not shown: {}", error.message()));
        self.syncer.with_value(|s| s.stop());
        self.host.with_value(|h| h.remove());
    }

    /// Reports a failed request: once per page when the server cannot be reached.
    fn report(&self, what: &str, error: &FetchError) {
        match error {
            FetchError::Network(e) => self
                .cfg
                .with_value(|c| browser::warn_unreachable(&c.api, e)),
            other => browser::warn(&format!("could not load {what}: {other}")),
        }
    }
}

#[component]
fn Widget(ctx: Ctx, prefetched: Option<js_sys::Promise>) -> impl IntoView {
    // Render the cached surveys at once (they make the widget work offline), then
    // refresh them from the server.
    let surveys_key = ctx.keys().surveys();
    let surveys = RwSignal::new(ctx.cache_get::<ShopSurveys>(&surveys_key));
    let url = ctx.url(ctx.cfg.with_value(|c| api::surveys(&c.public_key)));
    spawn_local(async move {
        let fresh = match prefetched {
            Some(response) => browser::read_json::<ShopSurveys>(response).await,
            None => browser::get_json::<ShopSurveys>(&url).await,
        };
        match fresh {
            Ok(fresh) => {
                ctx.cache_put(&surveys_key, &fresh);
                // Only a real change re-renders: a visitor mid-answer keeps their place.
                if surveys.get_untracked().as_ref() != Some(&fresh) {
                    surveys.set(Some(fresh));
                }
            }
            Err(e) if e.is_config_error() => {
                ctx.storage
                    .with_value(|s| s.as_ref().map(|s| s.remove(&surveys_key)));
                ctx.give_up(&e);
            }
            Err(e) => ctx.report("the surveys (the saved copy is used, if any)", &e),
        }
    });
    let customer = ctx.cfg.with_value(|c| c.customer.clone());
    let kiosk = ctx.cfg.with_value(|c| c.mode == Mode::Kiosk);
    view! {
        {customer.map(|customer| view! { <LoyaltyCard ctx=ctx customer=customer/> })}
        {move || surveys.get().map(|shop| {
            let (wanted, order) = ctx.cfg.with_value(|c| (c.surveys.clone(), c.order.clone()));
            let keys = ctx.keys();
            // A kiosk asks every respondent everything: it remembers nobody.
            let earlier = |survey: &str| {
                if kiosk {
                    return None;
                }
                ctx.cache_get::<Asked>(&keys.asked(order.as_deref(), survey))
                    .filter(|a| a.still_holds(order.is_some(), Utc::now()))
                    .map(|a| a.outcome)
            };
            let plan = config::surveys_to_ask(&shop.surveys, wanted.as_deref(), earlier);
            if kiosk {
                view! { <Kiosk ctx=ctx shop=shop plan=plan/> }.into_any()
            } else {
                view! { <Flow ctx=ctx shop=shop plan=plan on_next=None/> }.into_any()
            }
        })}
    }
}

/// One respondent's way through the surveys, then the thank-you screen.
#[component]
fn Flow(ctx: Ctx, shop: ShopSurveys, plan: Plan, on_next: Option<Callback<()>>) -> impl IntoView {
    let step = RwSignal::new(0usize);
    let shop = StoredValue::new(shop);
    let Plan { ask, earlier } = plan;
    let surveys = StoredValue::new(ask);
    // How each survey of this visit ended, for the closing screen.
    let outcomes = StoredValue::new(Vec::<Outcome>::new());
    let submit = Callback::new(move |value: Option<AnswerValue>| {
        let survey = surveys.with_value(|s| s[step.get_untracked()].id.clone());
        let outcome = match value {
            Some(value) => {
                if let Err(e) =
                    shop.with_value(|shop| queue_answer(ctx, shop, survey.clone(), value))
                {
                    // The form only offers valid answers; this is a bug, not the visitor's fault.
                    return browser::error(&format!("answer not queued: {e}"));
                }
                Outcome::Answered
            }
            None => {
                report(ctx, &survey, WidgetEventKind::Skipped);
                Outcome::Skipped
            }
        };
        remember(ctx, &survey, outcome);
        outcomes.update_value(|o| o.push(outcome));
        step.update(|s| *s += 1);
    });
    move || {
        let step = step.get();
        // After an answer the pressed button is gone: move focus to what comes next,
        // so keyboard and screen-reader users are not dropped at the page's top.
        // Never on the first screen: the widget must not steal the shop page's focus.
        let focus = step > 0;
        match surveys.with_value(|s| s.get(step).cloned()) {
            Some(survey) => {
                view! { <SurveyView ctx=ctx survey=survey submit=submit focus=focus/> }.into_any()
            }
            None => {
                let closing = outcomes.with_value(|now| asked::closing(&earlier, now));
                view! { <ClosingScreen ctx=ctx closing=closing on_next=on_next focus=focus/> }
                    .into_any()
            }
        }
    }
}

/// Tells the server the widget showed or skipped `survey`: counts for the owner's
/// survey funnel, nothing about the visitor.
fn report(ctx: Ctx, survey: &str, kind: WidgetEventKind) {
    if ctx.cfg.with_value(|c| c.preview) {
        return;
    }
    let (url, channel) = ctx.cfg.with_value(|c| {
        (
            format!("{}{}", c.api, api::events(&c.public_key)),
            if c.mode == Mode::Kiosk {
                Channel::Kiosk
            } else {
                Channel::Web
            },
        )
    });
    browser::post_and_forget(
        &url,
        &WidgetEvents {
            events: vec![WidgetEvent {
                survey: survey.to_string(),
                kind,
                channel,
            }],
        },
    );
}

/// Remembers how `survey` ended for this visitor (see [`crate::asked`]), so it is
/// not asked again; a kiosk remembers nothing, each respondent is a stranger.
fn remember(ctx: Ctx, survey: &str, outcome: Outcome) {
    let (kiosk, order, preview) = ctx
        .cfg
        .with_value(|c| (c.mode == Mode::Kiosk, c.order.clone(), c.preview));
    if !kiosk && !preview {
        let key = ctx.keys().asked(order.as_deref(), survey);
        ctx.cache_put(
            &key,
            &Asked {
                outcome,
                at: Utc::now(),
            },
        );
    }
}

/// Validates an answer with the shared rules, queues it, and starts a sync.
fn queue_answer(
    ctx: Ctx,
    shop: &ShopSurveys,
    survey: String,
    value: AnswerValue,
) -> Result<(), String> {
    let answer = ctx.cfg.with_value(|c| Answer {
        id: browser::random_uuid(),
        shop: shop.shop.id.clone(),
        survey,
        channel: if c.mode == Mode::Kiosk {
            Channel::Kiosk
        } else {
            Channel::Web
        },
        customer_ref: c.customer.clone(),
        order_ref: c.order.clone(),
        answered_at: Utc::now(),
        value,
    });
    validate_answer(&shop.shop.id, &shop.surveys, &answer, Utc::now())
        .map_err(|e| e.to_string())?;
    if ctx.cfg.with_value(|c| c.preview) {
        return Ok(());
    }
    let syncer = ctx.syncer.get_value();
    if syncer.queue.enqueue(&answer) == Kept::InMemory {
        browser::warn(
            "the answer could not be saved to local storage; it is kept in memory until sent",
        );
    }
    syncer.kick();
    Ok(())
}

fn non_empty(text: String) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

#[component]
fn SurveyView(
    ctx: Ctx,
    survey: Survey,
    submit: Callback<Option<AnswerValue>>,
    focus: bool,
) -> impl IntoView {
    report(ctx, &survey.id, WidgetEventKind::Shown);
    let heading = NodeRef::<leptos::html::H2>::new();
    focus_when_mounted(heading, focus);
    let locale = ctx.cfg.with_value(|c| c.locale.clone());
    let texts = survey
        .texts_for(&locale)
        .cloned()
        .unwrap_or_else(|| kept_shared::SurveyTexts {
            question: String::new(),
            follow_up: None,
        });
    let t = ctx.texts;
    let question_id = format!("kept-q-{}", survey.id);
    let body = match survey.kind.clone() {
        SurveyKind::Nps { ask_reason } => {
            let score = RwSignal::new(None::<u8>);
            let reason = RwSignal::new(String::new());
            let follow_up = texts.follow_up.clone().unwrap_or_default();
            view! {
                <Scale labelled_by=question_id.clone() range=(0, 10) score=score low=t.not_likely high=t.very_likely/>
                <Show when=move || ask_reason && score.get().is_some()>
                    <TextField name="reason" label=follow_up.clone() text=reason t=t/>
                </Show>
                <Actions t=t ready=Signal::derive(move || score.get().is_some()) submit=submit
                    value=Callback::new(move |_| score.get_untracked().map(|score| AnswerValue::Nps {
                        score,
                        reason: if ask_reason { non_empty(reason.get_untracked()) } else { None },
                    }))/>
            }
            .into_any()
        }
        SurveyKind::Csat => {
            let score = RwSignal::new(None::<u8>);
            view! {
                <Scale labelled_by=question_id.clone() range=(1, 5) score=score low=t.very_unsatisfied high=t.very_satisfied/>
                <Actions t=t ready=Signal::derive(move || score.get().is_some()) submit=submit
                    value=Callback::new(move |_| score.get_untracked().map(|score| AnswerValue::Csat { score }))/>
            }
            .into_any()
        }
        SurveyKind::ChurnReason {
            reasons,
            allow_other_text,
        } => {
            let picked = RwSignal::new(Vec::<String>::new());
            let other = RwSignal::new(String::new());
            let follow_up = texts.follow_up.clone().unwrap_or_default();
            let default_locale = survey.default_locale.clone();
            let choices = reasons
                .into_iter()
                .map(|r| {
                    let label = r.label_for(&locale, &default_locale).to_string();
                    let code = r.code.clone();
                    let (c1, c2) = (code.clone(), code.clone());
                    view! {
                        <label class="kept-choice">
                            <input type="checkbox" value=code
                                prop:checked=move || picked.with(|p| p.contains(&c1))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let c = c2.clone();
                                    picked.update(|p| if on { if !p.contains(&c) { p.push(c) } } else { p.retain(|x| *x != c) });
                                }/>
                            <span>{label}</span>
                        </label>
                    }
                })
                .collect_view();
            view! {
                // Named by the heading above (not a hidden legend repeating it), so
                // a screen reader reads the question once.
                <fieldset class="kept-choices" aria-labelledby=question_id.clone()
                    aria-describedby=format!("{question_id}-hint")>
                    <p class="kept-hint" id=format!("{question_id}-hint")>{t.reasons_hint}</p>
                    {choices}
                </fieldset>
                {allow_other_text.then(|| view! { <TextField name="other" label=follow_up.clone() text=other t=t/> })}
                <Actions t=t submit=submit
                    ready=Signal::derive(move || !picked.with(Vec::is_empty) || (allow_other_text && !other.with(|o| o.trim().is_empty())))
                    value=Callback::new(move |_| Some(AnswerValue::ChurnReason {
                        reasons: picked.get_untracked(),
                        other: if allow_other_text { non_empty(other.get_untracked()) } else { None },
                    }))/>
            }
            .into_any()
        }
    };
    view! {
        <section class="kept-survey" data-survey=survey.id.clone() aria-labelledby=question_id.clone()>
            <h2 class="kept-question" id=question_id.clone() tabindex="-1" node_ref=heading>{texts.question.clone()}</h2>
            {body}
        </section>
    }
}

/// Focuses `heading` once it is in the page, if `focus`.
fn focus_when_mounted(heading: NodeRef<leptos::html::H2>, focus: bool) {
    if focus {
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            match heading.get() {
                Some(h) => {
                    let _ = h.focus();
                    true
                }
                None => false,
            }
        });
    }
}

/// The score scale (NPS 0–10, CSAT 1–5) as a WAI-ARIA radio group: one tab stop
/// (the picked score, else the first), arrow keys move and pick, Home and End
/// jump to the ends, a click or Space picks.
#[component]
fn Scale(
    labelled_by: String,
    range: (u8, u8),
    score: RwSignal<Option<u8>>,
    low: &'static str,
    high: &'static str,
) -> impl IntoView {
    let (first, last) = range;
    let radios = StoredValue::new(
        (first..=last)
            .map(|_| NodeRef::<leptos::html::Button>::new())
            .collect::<Vec<_>>(),
    );
    let radio = move |n: u8| radios.with_value(|r| r[usize::from(n - first)]);
    let pick_and_focus = move |n: u8| {
        score.set(Some(n));
        if let Some(button) = radio(n).get() {
            let _ = button.focus();
        }
    };
    let buttons = (first..=last)
        .map(|n| {
            // The ends say what they mean; the labels under the scale are only visual.
            let label = match n {
                _ if n == first => format!("{n}, {low}"),
                _ if n == last => format!("{n}, {high}"),
                _ => n.to_string(),
            };
            view! {
                <button type="button" role="radio" class="kept-score" data-score=n.to_string()
                    node_ref=radio(n)
                    aria-checked=move || if score.get() == Some(n) { "true" } else { "false" }
                    aria-label=label
                    tabindex=move || if score.get().unwrap_or(first) == n { "0" } else { "-1" }
                    on:click=move |_| score.set(Some(n))
                    on:keydown=move |ev| {
                        let to = match ev.key().as_str() {
                            "ArrowRight" | "ArrowDown" => if n == last { first } else { n + 1 },
                            "ArrowLeft" | "ArrowUp" => if n == first { last } else { n - 1 },
                            "Home" => first,
                            "End" => last,
                            _ => return,
                        };
                        ev.prevent_default();
                        pick_and_focus(to);
                    }>
                    {n.to_string()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="kept-scale" role="radiogroup" aria-labelledby=labelled_by data-size=(last - first + 1).to_string()>{buttons}</div>
        <div class="kept-scale-ends" aria-hidden="true"><span>{low}</span><span>{high}</span></div>
    }
}

/// An optional free-text field with its label and the characters left.
#[component]
fn TextField(
    name: &'static str,
    label: String,
    text: RwSignal<String>,
    t: &'static Texts,
) -> impl IntoView {
    let id = format!("kept-text-{name}");
    view! {
        <label class="kept-label" for=id.clone()>{label}" "<span class="kept-optional">"("{t.optional}")"</span></label>
        <textarea id=id.clone() name=name rows="3" maxlength=MAX_TEXT_CHARS.to_string()
            aria-describedby=format!("{id}-count")
            prop:value=move || text.get()
            on:input=move |ev| text.set(event_target_value(&ev))></textarea>
        <p class="kept-count" id=format!("{id}-count")>
            {move || format!("{} {}", MAX_TEXT_CHARS.saturating_sub(text.with(|s| s.chars().count())), t.characters_left)}
        </p>
    }
}

/// Send (when the answer is complete) and Skip.
#[component]
fn Actions(
    t: &'static Texts,
    ready: Signal<bool>,
    value: Callback<(), Option<AnswerValue>>,
    submit: Callback<Option<AnswerValue>>,
) -> impl IntoView {
    view! {
        <div class="kept-actions">
            <button type="button" class="kept-skip" on:click=move |_| submit.run(None)>{t.skip}</button>
            <button type="button" class="kept-submit" disabled=move || !ready.get()
                on:click=move |_| if let Some(v) = value.run(()) { submit.run(Some(v)) }>{t.send}</button>
        </div>
    }
}

/// The screen after the last question: thanks for the answer, or for the time
/// when everything was skipped, or nothing (see [`asked::closing`]).
#[component]
fn ClosingScreen(
    ctx: Ctx,
    closing: Closing,
    on_next: Option<Callback<()>>,
    focus: bool,
) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    let t = ctx.texts;
    let (title, body) = match closing {
        Closing::Thanks => (t.thanks_title, Some(t.thanks_body)),
        Closing::ThanksForYourTime => (t.skipped_title, None),
        Closing::Nothing => return ().into_any(),
    };
    focus_when_mounted(heading, focus);
    if let Some(next) = on_next {
        // The kiosk moves on by itself. The timer belongs to this view: if the
        // respondent taps "Next customer" first, the view goes and the timer with it.
        let ms = ctx.cfg.with_value(|c| c.kiosk_thanks_seconds * 1000);
        let _timer = StoredValue::new_local(Timeout::new(ms, move || next.run(())));
    }
    let answered = closing == Closing::Thanks;
    view! {
        <section class="kept-thanks" role="status" aria-live="polite" data-answered=answered.to_string()>
            <div class="kept-check" aria-hidden="true">"✓"</div>
            <h2 tabindex="-1" node_ref=heading>{title}</h2>
            {body.map(|body| view! { <p>{body}</p> })}
            {on_next.map(|next| view! {
                <button type="button" class="kept-next" on:click=move |_| next.run(())>{t.next_customer}</button>
            })}
        </section>
    }
    .into_any()
}

/// The kiosk: one respondent after another. Each gets a new `Flow` (all its state
/// created afresh), after the thank-you screen or after idle time, so nothing one
/// respondent picked or typed is visible to the next.
#[component]
fn Kiosk(ctx: Ctx, shop: ShopSurveys, plan: Plan) -> impl IntoView {
    let idle_ms = ctx
        .cfg
        .with_value(|c| f64::from(c.kiosk_idle_seconds) * 1000.0);
    let respondent = RwSignal::new(0u32);
    let last_touch = StoredValue::new(browser::now_ms());
    let touched = StoredValue::new(false);
    let next_respondent = move |from: u32| {
        // Only the respondent that asked: a late timer must not skip the next one.
        if respondent.try_get_untracked() == Some(from) {
            touched.set_value(false);
            respondent.set(from + 1);
        }
    };
    // The kiosk lives as long as the page, so its timer does too.
    Interval::new(1_000, move || {
        if touched.get_value()
            && browser::now_ms() - last_touch.get_value() > idle_ms
            && let Some(r) = respondent.try_get_untracked()
        {
            next_respondent(r);
        }
    })
    .forget();
    let touch = move || {
        touched.set_value(true);
        last_touch.set_value(browser::now_ms());
    };
    let shop = StoredValue::new(shop);
    let plan = StoredValue::new(plan);
    view! {
        <div class="kept-stage" on:pointerdown=move |_| touch() on:keydown=move |_| touch() on:input=move |_| touch()>
            {move || {
                let r = respondent.get();
                let on_next = Callback::new(move |_| next_respondent(r));
                view! { <Flow ctx=ctx shop=shop.get_value() plan=plan.get_value() on_next=Some(on_next)/> }
            }}
        </div>
    }
}

#[component]
fn LoyaltyCard(ctx: Ctx, customer: String) -> impl IntoView {
    let key = ctx.keys().loyalty(&customer);
    // The saved status shows at once, marked as not current, until the server answers.
    let status = RwSignal::new(ctx.cache_get::<LoyaltyStatus>(&key).map(|s| (s, false)));
    let url = ctx.url(
        ctx.cfg
            .with_value(|c| api::loyalty(&c.public_key, &customer)),
    );
    spawn_local(async move {
        match browser::get_json::<LoyaltyStatus>(&url).await {
            Ok(fresh) => {
                ctx.cache_put(&key, &fresh);
                status.set(Some((fresh, true)));
            }
            // The surveys request says it when the server refuses the widget.
            Err(e) if e.refuses_the_widget() => {}
            Err(e) => ctx.report("the loyalty status", &e),
        }
    });
    let t = ctx.texts;
    let locale = ctx.cfg.with_value(|c| c.locale.clone());
    move || {
        status.get().map(|(s, current)| {
            let percent = (s.progress() * 100.0).round() as u32;
            let next = match &s.next_tier {
                Some(n) => t.points_to_next(n.points_needed, n.name_for(&locale)),
                None => t.top_tier.to_string(),
            };
            let as_of = (!current).then(|| {
                let date = s.as_of.format("%Y-%m-%d %H:%M").to_string();
                view! { <p class="kept-stale">{i18n::fill(t.as_of, &[("date", &date)])}</p> }
            });
            view! {
                <aside class="kept-loyalty" data-points=s.points.to_string() data-tier=s.tier.clone() data-current=current.to_string()>
                    <div class="kept-loyalty-head">
                        <span class="kept-tier">{t.tier}" "<strong>{s.tier_name(&locale).to_string()}</strong></span>
                        <span class="kept-points"><strong>{s.points.to_string()}</strong>" "{t.points_word(s.points)}</span>
                    </div>
                    <div class="kept-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=percent.to_string() aria-label=next.clone()>
                        <div class="kept-progress-fill" style=format!("width: {percent}%")></div>
                    </div>
                    <p class="kept-next-tier">{next}</p>
                    {as_of}
                </aside>
            }
        })
    }
}
