//! What the widget costs a shop's page, measured side by side in headless Chromium
//! with a 4× slower CPU and a slow 3G network, cache disabled (a first visit)
//! unless said otherwise:
//!
//! - (a) a shop page where nothing is due, with the snippet Kept gives a shop
//!   (`kept.js?key=…`, the loader with the shop's rules): that file only;
//! - (a′) the same with the generic `kept.js` (a page that names a customer
//!   gets this path): the loader, then the plan's rules;
//! - (a″) the same as (a), as the visitor's next page of the shop (cache on);
//! - (b) the same page where the NPS question is due;
//! - (c) the same page with the NPS question as a plain HTML form (the reference
//!   for (b): a survey with no script at all);
//! - (d) the same page without Kept (the reference for (a) and (a′));
//! - (d″) the same as (d), as the visitor's next page (the reference for (a″));
//! - (e) the same as (d) with one inline script that reads local storage: the
//!   part of (a)'s script time any script that keeps answers in the visitor's
//!   browser pays (the loader must look for answers waiting to be sent);
//! - (f) the same as (d) with one external script that only reads local
//!   storage: the floor of what (a) can cost, for any loader that must find
//!   answers queued on an earlier page (the issue's own requirement);
//! - (h) the same as (f), the script reading its own tag's attributes too:
//!   the floor of (a) for any loader that reads what the page asks of it on
//!   its tag (the order, for once per order; a loyalty card placed there; a
//!   customer), as the requirements need;
//! - (g) the same as (c) with the plain form written by one external script:
//!   the floor of (b), for any survey delivered by a script rather than written
//!   in the shop's page.
//!
//! For each: bytes over the network (everything, and from Kept: headers and
//! bodies as Chromium received them, from its network events, since resource
//! timing hides the size of the cross-origin plan), time until the question is on
//! screen, and main-thread time (Chromium's `TaskDuration` and `ScriptDuration`)
//! over the same window for every page, the median of `RUNS` loads. Prints
//! Markdown for the README.
//!
//! `cargo bench -p kept-e2e --bench page_load` (needs the built widget:
//! scripts/build-widget.sh).

use anyhow::{Context, Result};
use chromiumoxide::cdp::browser_protocol::emulation::SetCpuThrottlingRateParams;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chromiumoxide::cdp::browser_protocol::network::{
    EmulateNetworkConditionsByRuleParams, EnableParams as NetworkEnable, EventLoadingFinished,
    EventResponseReceived, NetworkConditions, RequestId, SetCacheDisabledParams,
};
use chromiumoxide::cdp::browser_protocol::performance::{
    EnableParams as PerformanceEnable, GetMetricsParams,
};
use futures::StreamExt;
use kept_e2e::{Env, Widget};
use kept_server::demo;
use kept_shared::{PageMatch, PageRule};

/// Loads of each page; the median is reported.
const RUNS: usize = 9;
/// Chromium's CPU slowdown (DevTools' "4x slowdown", a mid-range phone).
const CPU_SLOWDOWN: f64 = 4.0;
/// Slow 3G as DevTools defines it: 400 ms round trip, 400 kbit/s each way.
const LATENCY_MS: f64 = 400.0;
const BYTES_PER_SECOND: f64 = 400_000.0 / 8.0;
/// Every page is watched this long from the start of its navigation, and its
/// main-thread time read at the end: the same window for all (a page watched
/// longer would count more of the browser's idle work), and long enough for the
/// slowest to finish (checked at its end).
const WINDOW_MS: u32 = 8_000;

struct Load {
    bytes: f64,
    kept_bytes: f64,
    /// Kept's requests: their path and bytes.
    kept_parts: Vec<(String, f64)>,
    question_ms: Option<f64>,
    main_thread_ms: f64,
    script_ms: f64,
}

/// What "the question is on screen" means on each page: the widget's question
/// in its shadow root, or the plain form's heading. Installed only on the pages
/// that show one; it stops when it has seen it.
const WATCH: &str = "(() => { const tick = () => { \
    const h = document.querySelector('.kept-host'); \
    const q = (h && h.shadowRoot && h.shadowRoot.querySelector('.kept-question')) \
      || document.querySelector('.plain-survey .kept-question'); \
    if (q && q.getBoundingClientRect().height > 0) { window.__question = performance.now(); return; } \
    requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()";

/// Bytes over the network per URL (headers and body, as received), from
/// Chromium's network events.
#[derive(Default)]
struct Transfers {
    url: HashMap<RequestId, String>,
    bytes: HashMap<RequestId, f64>,
}

/// Loads `url` in a fresh tab and measures it; with `earlier`, after that page
/// of the same shop, the cache on (a visitor's next page).
async fn load(
    env: &Env,
    url: &str,
    watch: bool,
    until: &str,
    earlier: Option<&str>,
) -> Result<Load> {
    let w: Widget = env.open("about:blank").await?;
    if let Some(earlier) = earlier {
        w.goto(earlier).await?;
        w.wait_until("the earlier page done", until).await?;
    }
    let transfers = Arc::new(Mutex::new(Transfers::default()));
    let mut responses = w.page.event_listener::<EventResponseReceived>().await?;
    let mut finished = w.page.event_listener::<EventLoadingFinished>().await?;
    let sink = transfers.clone();
    let recorder = tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(r) = responses.next() => {
                    sink.lock().unwrap().url.insert(r.request_id.clone(), r.response.url.clone());
                }
                Some(f) = finished.next() => {
                    sink.lock().unwrap().bytes.insert(f.request_id.clone(), f.encoded_data_length);
                }
                else => break,
            }
        }
    });
    w.page.execute(NetworkEnable::default()).await?;
    w.page
        .execute(SetCacheDisabledParams::new(earlier.is_none()))
        .await?;
    w.page
        .execute(EmulateNetworkConditionsByRuleParams::new(
            false,
            // An empty pattern: every request.
            vec![NetworkConditions::new(
                "",
                LATENCY_MS,
                BYTES_PER_SECOND,
                BYTES_PER_SECOND,
            )],
        ))
        .await?;
    w.page
        .execute(SetCpuThrottlingRateParams::new(CPU_SLOWDOWN))
        .await?;
    w.page.execute(PerformanceEnable::default()).await?;
    if watch {
        w.run_before_each_page(WATCH).await?;
    }
    w.goto(url).await?;
    // One timer in the page to the end of the window (polling, from here or in
    // the page, would itself cost the page main-thread time), then the check.
    let done = w
        .eval(&format!(
            "new Promise(done => setTimeout(() => done({until}), Math.max(0, {WINDOW_MS} - performance.now())))"
        ))
        .await?;
    anyhow::ensure!(
        done.as_bool() == Some(true),
        "{url}: not done ({until}) within {WINDOW_MS} ms"
    );
    let metrics = w.page.execute(GetMetricsParams::default()).await?;
    let metric = |name: &str| {
        metrics
            .result
            .metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
            .with_context(|| name.to_string())
    };
    let task = metric("TaskDuration")?;
    let script = metric("ScriptDuration")?;
    let question = w.eval("window.__question ?? null").await?.as_f64();
    recorder.abort();
    let sizes: Vec<(String, f64)> = {
        let t = transfers.lock().unwrap();
        t.bytes
            .iter()
            .map(|(id, b)| (t.url.get(id).cloned().unwrap_or_default(), *b))
            .collect()
    };
    let mut kept_parts: Vec<(String, f64)> = sizes
        .iter()
        .filter(|(u, _)| u.contains("/kept/") || u.contains("/api/") || u.contains("/widget/"))
        .map(|(u, b)| {
            let path = u.split_once("//").map_or(u.as_str(), |(_, rest)| rest);
            let path = path.find('/').map_or(path, |i| &path[i..]);
            (path.split('?').next().unwrap_or(path).to_string(), *b)
        })
        .collect();
    kept_parts.sort_by(|a, b| a.0.cmp(&b.0));
    let load = Load {
        bytes: sizes.iter().map(|(_, b)| b).sum(),
        kept_bytes: kept_parts.iter().map(|(_, b)| b).sum::<f64>() + 0.0, // not -0 when empty
        kept_parts,
        question_ms: question,
        main_thread_ms: task * 1000.0,
        script_ms: script * 1000.0,
    };
    w.page.clone().close().await?;
    Ok(load)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    name: &'static str,
    bytes: f64,
    kept_bytes: f64,
    /// Kept's requests in the first load.
    kept_parts: Vec<(String, f64)>,
    question_ms: Option<f64>,
    main_thread_ms: f64,
    script_ms: f64,
}

async fn measure(
    env: &Env,
    name: &'static str,
    url: impl Fn(usize) -> String,
    watch: bool,
    until: &str,
    earlier: Option<&str>,
) -> Result<Row> {
    let mut loads = Vec::new();
    for run in 0..RUNS {
        loads.push(load(env, &url(run), watch, until, earlier).await?);
    }
    let question: Vec<f64> = loads.iter().filter_map(|l| l.question_ms).collect();
    Ok(Row {
        name,
        bytes: median(loads.iter().map(|l| l.bytes).collect()),
        kept_bytes: median(loads.iter().map(|l| l.kept_bytes).collect()),
        kept_parts: loads[0].kept_parts.clone(),
        question_ms: (!question.is_empty()).then(|| median(question)),
        main_thread_ms: median(loads.iter().map(|l| l.main_thread_ms).collect()),
        script_ms: median(loads.iter().map(|l| l.script_ms).collect()),
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    let env = Env::start().await?;
    // The post-purchase surveys only on the order page; NPS alone there.
    env.edit_survey(demo::CSAT_SURVEY, |s| s.active = false)
        .await?;
    env.edit_survey(demo::NPS_SURVEY, |s| {
        s.survey.targeting.pages = vec![PageRule {
            kind: PageMatch::Exact,
            path: "/thanks".into(),
        }]
    })
    .await?;
    let decided = "document.readyState === 'complete' && document.querySelector('script[data-kept-due]') !== null";
    let loaded = "document.readyState === 'complete'";
    let shown = "window.__question != null";
    // The snippet Kept gives a shop: kept.js?key=…, with the shop's rules in it.
    let shop_loader = ("loader", "shop");
    let products = env.shop_url_at("/products", &[shop_loader]);
    let nothing_due = measure(
        &env,
        "(a) nothing due",
        |_| products.clone(),
        false,
        decided,
        None,
    )
    .await?;
    let generic = measure(
        &env,
        "(a′) nothing due, the generic kept.js (asks for the rules)",
        |_| env.shop_url_at("/products", &[]),
        false,
        decided,
        None,
    )
    .await?;
    let next_page = measure(
        &env,
        "(a″) nothing due, the visitor's next page (cache on)",
        |_| env.shop_url_at("/products/espresso", &[shop_loader]),
        false,
        decided,
        Some(&products),
    )
    .await?;
    let due = measure(
        &env,
        "(b) NPS due",
        |run| {
            env.shop_url_at(
                "/thanks",
                &[shop_loader, ("order", &format!("bench-{run}"))],
            )
        },
        true,
        shown,
        None,
    )
    .await?;
    let plain = measure(
        &env,
        "(c) plain HTML form",
        |_| env.shop_url_at("/thanks", &[("page", "plain")]),
        true,
        shown,
        None,
    )
    .await?;
    let bare = measure(
        &env,
        "(d) no Kept",
        |_| env.shop_url_at("/products", &[("page", "bare")]),
        false,
        loaded,
        None,
    )
    .await?;
    // The reference for (a″): the same two pages without Kept, the cache on.
    let bare_products = env.shop_url_at("/products", &[("page", "bare")]);
    let bare_next = measure(
        &env,
        "(d″) no Kept, the visitor's next page (cache on)",
        |_| env.shop_url_at("/products/espresso", &[("page", "bare")]),
        false,
        loaded,
        Some(&bare_products),
    )
    .await?;
    let storage = measure(
        &env,
        "(e) no Kept, one inline script reading local storage",
        |_| env.shop_url_at("/products", &[("page", "storage")]),
        false,
        loaded,
        None,
    )
    .await?;
    let storage_floor = measure(
        &env,
        "(f) no Kept, one external script reading local storage",
        |_| env.shop_url_at("/products", &[("page", "floor-storage")]),
        false,
        loaded,
        None,
    )
    .await?;
    let tag_floor = measure(
        &env,
        "(h) no Kept, one external script reading its tag's attributes and local storage",
        |_| env.shop_url_at("/products", &[("page", "floor-tag")]),
        false,
        loaded,
        None,
    )
    .await?;
    let form_floor = measure(
        &env,
        "(g) plain HTML form written by one external script",
        |_| env.shop_url_at("/thanks", &[("page", "floor-form")]),
        true,
        shown,
        None,
    )
    .await?;

    println!(
        "Headless Chromium, CPU {CPU_SLOWDOWN}× slower, {LATENCY_MS} ms round trip and {} kbit/s, cache off; each page watched {} s; median of {RUNS} loads.\n",
        BYTES_PER_SECOND * 8.0 / 1000.0,
        WINDOW_MS / 1000
    );
    println!(
        "| page | bytes over the network | of which from Kept | question on screen | main-thread tasks | of which script |"
    );
    println!("|---|---|---|---|---|---|");
    for r in [
        &nothing_due,
        &generic,
        &next_page,
        &due,
        &plain,
        &bare,
        &bare_next,
        &storage,
        &storage_floor,
        &tag_floor,
        &form_floor,
    ] {
        println!(
            "| {} | {:.0} B | {:.0} B | {} | {:.1} ms | {:.1} ms |",
            r.name,
            r.bytes,
            r.kept_bytes,
            r.question_ms
                .map_or("—".to_string(), |q| format!("{q:.0} ms")),
            r.main_thread_ms,
            r.script_ms
        );
    }
    println!();
    for r in [&nothing_due, &generic, &next_page, &due] {
        let parts: Vec<String> = r
            .kept_parts
            .iter()
            .map(|(path, b)| format!("`{path}` {b:.0} B"))
            .collect();
        println!(
            "- {} from Kept, headers included: {}",
            r.name,
            parts.join(", ")
        );
    }
    let (q_due, q_plain) = (
        due.question_ms.unwrap_or(f64::NAN),
        plain.question_ms.unwrap_or(f64::NAN),
    );
    println!();
    for (r, reference) in [
        (&nothing_due, &bare),
        (&generic, &bare),
        (&next_page, &bare_next),
    ] {
        let label = |r: &Row| r.name.split(' ').next().unwrap_or_default().to_string();
        println!(
            "- {} − {}: {:.0} B more, {:+.1} ms of script and {:+.1} ms of main-thread tasks (goal: ≤ 2 kB, ≤ 5 ms).",
            label(r),
            label(reference),
            r.bytes - reference.bytes,
            r.script_ms - reference.script_ms,
            r.main_thread_ms - reference.main_thread_ms
        );
    }
    println!(
        "- (e) − (d), the first touch of local storage: {:+.1} ms of script; (a) − (e), the rest of the loader: {:+.1} ms.",
        storage.script_ms - bare.script_ms,
        nothing_due.script_ms - storage.script_ms
    );
    println!(
        "- (b) ÷ (c): the question on screen {:.2}× as late as the plain form's (goal: ≤ 1.5×).",
        q_due / q_plain
    );
    println!(
        "- The floors: (f) − (d), {:.0} B more and {:+.1} ms of script; (h) − (d), {:.0} B more and {:+.1} ms of script; (g) ÷ (c), the question on screen {:.2}× as late.",
        storage_floor.bytes - bare.bytes,
        storage_floor.script_ms - bare.script_ms,
        tag_floor.bytes - bare.bytes,
        tag_floor.script_ms - bare.script_ms,
        form_floor.question_ms.unwrap_or(f64::NAN) / q_plain
    );
    env.close().await;
    Ok(())
}
