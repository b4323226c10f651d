//! The page object of the owner's dashboard: a tab on the dashboard's pages, and
//! what an owner does there (sign in, go to a section, fill a field, press a
//! button), as a person would, with the page's own elements.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chromiumoxide::layout::Point;
use serde_json::Value;

use crate::{WAIT, Widget};

/// A tab on the dashboard.
pub struct Dashboard {
    /// The tab (its screenshots, viewport, axe and console helpers).
    pub tab: Widget,
    base: String,
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

impl Dashboard {
    pub fn new(tab: Widget, base: &str) -> Dashboard {
        Dashboard {
            tab,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Signs in with the login form and waits for the overview.
    pub async fn sign_in(&self, shop: &str, token: &str) -> Result<()> {
        self.visit("/dashboard/login").await?;
        self.fill("input[name=shop]", shop).await?;
        self.fill("input[name=token]", token).await?;
        self.click("form button[type=submit]").await?;
        self.wait_for_path("/dashboard").await?;
        self.wait_for("main h1").await
    }

    /// Opens a dashboard path and waits for its heading.
    pub async fn visit(&self, path: &str) -> Result<()> {
        self.tab.goto(&format!("{}{path}", self.base)).await?;
        self.wait_for("main h1").await
    }

    /// Waits until the tab shows `path` (after a redirect or a form).
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        self.tab
            .wait_until(
                &format!("the page {path}"),
                &format!("location.pathname === {}", js(path)),
            )
            .await?;
        self.tab
            .wait_until("the page to load", "document.readyState === 'complete'")
            .await
    }

    pub async fn wait_for(&self, selector: &str) -> Result<()> {
        self.tab
            .wait_until(
                selector,
                &format!("document.querySelector({}) !== null", js(selector)),
            )
            .await
    }

    pub async fn exists(&self, selector: &str) -> Result<bool> {
        Ok(self
            .tab
            .eval(&format!(
                "document.querySelector({}) !== null",
                js(selector)
            ))
            .await?
            == Value::Bool(true))
    }

    /// The text of the first element matching `selector` ("" without one).
    pub async fn text(&self, selector: &str) -> Result<String> {
        let v = self
            .tab
            .eval(&format!(
                "document.querySelector({})?.innerText ?? ''",
                js(selector)
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// The texts of every element matching `selector`.
    pub async fn texts(&self, selector: &str) -> Result<Vec<String>> {
        let v = self
            .tab
            .eval(&format!(
                "[...document.querySelectorAll({})].map(e => e.innerText.trim())",
                js(selector)
            ))
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Sets a field's value as typing would (with an input event).
    pub async fn fill(&self, selector: &str, value: &str) -> Result<()> {
        self.wait_for(selector).await?;
        let done = self
            .tab
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); e.focus(); e.value = {}; \
                 e.dispatchEvent(new Event('input', {{bubbles: true}})); e.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
                js(selector),
                js(value)
            ))
            .await?;
        if done != Value::Bool(true) {
            bail!("could not fill {selector}");
        }
        Ok(())
    }

    /// Clicks an element with the mouse, at its centre, after scrolling to it.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for(selector).await?;
        let xy: Vec<f64> = serde_json::from_value(
            self.tab
                .eval(&format!(
                    "(() => {{ const e = document.querySelector({}); e.scrollIntoView({{block: 'center'}}); \
                     const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
                    js(selector)
                ))
                .await?,
        )
        .with_context(|| format!("finding {selector}"))?;
        self.tab.page.click(Point { x: xy[0], y: xy[1] }).await?;
        Ok(())
    }

    /// Clicks a submit button and waits for the page it leads to.
    pub async fn submit(&self, button: &str) -> Result<()> {
        let before: String = self
            .tab
            .eval("String(performance.timeOrigin)")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.click(button).await?;
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.tab.eval("String(performance.timeOrigin)").await.ok();
            let ready = self.tab.eval("document.readyState").await.ok();
            if now.as_ref().and_then(Value::as_str) != Some(before.as_str())
                && ready.as_ref().and_then(Value::as_str) == Some("complete")
            {
                return self.wait_for("main h1").await;
            }
            if Instant::now() > deadline {
                bail!("pressing {button} led nowhere");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's tables are fitted to the window's width (the
    /// dashboard's script marks it, after a resize too).
    pub async fn wait_for_tables_fitted(&self) -> Result<()> {
        self.tab
            .wait_until(
                "the tables fitted to the width",
                "document.documentElement.dataset.tablesFitted === String(innerWidth)",
            )
            .await
    }

    /// Whether the page is wider than the window (it scrolls sideways).
    pub async fn scrolls_sideways(&self) -> Result<bool> {
        let wider = self
            .tab
            .eval("document.documentElement.scrollWidth > innerWidth + 1")
            .await?;
        Ok(wider.as_bool() == Some(true))
    }

    /// The charts' labels that do not fit inside their drawing, each as "the
    /// chart's title: the label" ("40 тыс." had lost its first digit on a
    /// phone).
    pub async fn clipped_chart_labels(&self) -> Result<Vec<String>> {
        let js = "[...document.querySelectorAll('figure.chart svg')].flatMap(svg => { \
                    const box = svg.getBoundingClientRect(); \
                    return [...svg.querySelectorAll('text')].filter(t => { const r = t.getBoundingClientRect(); \
                      return r.width && (r.left < box.left - 0.5 || r.right > box.right + 0.5); }) \
                      .map(t => svg.closest('figure').querySelector('figcaption').textContent + ': ' + t.textContent); })";
        Ok(serde_json::from_value(self.tab.eval(js).await?)?)
    }

    /// Fetches a dashboard URL from the page, with its session (a download).
    pub async fn download(&self, path: &str) -> Result<String> {
        let v = self
            .tab
            .eval(&format!(
                "fetch({}, {{credentials: 'same-origin'}}).then(r => r.ok ? r.text() : Promise.reject(r.status))",
                js(path)
            ))
            .await?;
        Ok(v.as_str().context("the download is text")?.to_string())
    }
}
