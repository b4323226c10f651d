//! Charts as SVG, drawn in Rust on the server: with axes, dates, legends and the
//! numbers themselves, and each with its data as a table for screen readers and
//! anyone who prefers numbers. No script draws anything.

use maud::{Markup, html};

/// Width and height of a chart's drawing (it scales to its box).
const W: f64 = 640.0;
const H: f64 = 240.0;
/// Room for the axes' labels: on a phone the labels grow to stay readable
/// (dashboard.css), and "−100" must still fit left of the axis.
const LEFT: f64 = 70.0;
/// Room for half the last x label ("сент. 2026"), centred on the last point.
const RIGHT: f64 = 40.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 34.0;

/// One line or one kind of bar, with its CSS class (its colour).
pub struct Series<'a> {
    pub label: &'a str,
    pub class: &'a str,
    pub values: Vec<Option<f64>>,
}

/// The chart's viewBox: the drawing, and left of it the room its longest y
/// label takes at a phone's size (22 units, dashboard.css), where that is more
/// than `LEFT` ("40 тыс." had lost its first digit on a phone, in Russian and
/// Ukrainian). By an estimate of the label's width: digits and letters about
/// 0.62 of the size, spaces and points about half that.
fn view_box(y_ticks: &[f64], y_format: &dyn Fn(f64) -> String) -> String {
    const PHONE_SIZE: f64 = 22.0;
    let widest = y_ticks
        .iter()
        .map(|t| {
            y_format(*t)
                .chars()
                .map(|c| if c.is_alphanumeric() { 0.62 } else { 0.32 })
                .sum::<f64>()
                * PHONE_SIZE
        })
        .fold(0.0, f64::max);
    let extra = (widest + 10.0 - LEFT).max(0.0).ceil();
    // (`0.0 - 0.0` is 0, where `-0.0` writes "-0".)
    format!("{} 0 {} {H}", 0.0 - extra, W + extra)
}

fn x_of(i: usize, n: usize) -> f64 {
    if n <= 1 {
        LEFT + (W - LEFT - RIGHT) / 2.0
    } else {
        LEFT + i as f64 * (W - LEFT - RIGHT) / (n - 1) as f64
    }
}

fn y_of(v: f64, lo: f64, hi: f64) -> f64 {
    let span = if hi > lo { hi - lo } else { 1.0 };
    H - BOTTOM - (v - lo) / span * (H - TOP - BOTTOM)
}

/// At most about six x labels, evenly spread, so dates never overlap.
fn label_every(n: usize) -> usize {
    n.div_ceil(6).max(1)
}

/// Which of `n` x labels are drawn: every `every`-th counted back from the
/// last, so the latest period always has its label and none crowds it; and of
/// those, which are drawn on a phone too, where the labels are larger: a third
/// as many (half as many had left a Russian month, «нояб. 2026», touching the
/// one before on a 360 px phone).
fn x_label_shown(i: usize, n: usize) -> Option<XLabel> {
    let every = label_every(n);
    let back = n - 1 - i;
    match (back.is_multiple_of(every), back.is_multiple_of(3 * every)) {
        (true, true) => Some(XLabel::Everywhere),
        (true, false) => Some(XLabel::WideOnly),
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum XLabel {
    Everywhere,
    WideOnly,
}

/// Round tick values from `lo` to `hi`, whole numbers apart (every axis here
/// writes whole numbers: counts, amounts, NPS, whole percents, CSAT's
/// points), so that no label is a half rounded (0, 0, 1, 2, 2 for a count,
/// 2 % for 2.5 %).
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .filter(|s| *s >= 1.0 && s.fract() == 0.0)
        .find(|s| *s >= raw)
        .unwrap_or_else(|| raw.ceil().max(1.0));
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

fn axes(
    x_labels: &[String],
    y_ticks: &[f64],
    lo: f64,
    hi: f64,
    y_format: &dyn Fn(f64) -> String,
    bars: bool,
) -> Markup {
    let n = x_labels.len();
    let x_at = |i: usize| if bars { bar_center(i, n) } else { x_of(i, n) };
    // Labels are centred under their point, where the drawing has room for
    // them; on a phone, where they are larger, the first and last start or
    // end at their point instead (dashboard.css), so they stay inside: a
    // line's at the drawing's edges, a bar's at its centre ("30 нояб." under
    // the last of a year's weekly bars had lost its end). (Ended there at
    // every size, the last ran into the one before.)
    let edge = |i: usize| match i {
        0 if n > 1 => Some("x-first"),
        i if i + 1 == n && n > 1 => Some("x-last"),
        _ => None,
    };
    html! {
        g class="chart-grid" aria-hidden="true" {
            @for t in y_ticks {
                line x1=(LEFT) x2=(W - RIGHT) y1=(y_of(*t, lo, hi)) y2=(y_of(*t, lo, hi)) {}
                text x=(LEFT - 6.0) y=(y_of(*t, lo, hi) + 4.0) text-anchor="end" { (y_format(*t)) }
            }
            line class="chart-axis" x1=(LEFT) x2=(W - RIGHT) y1=(H - BOTTOM) y2=(H - BOTTOM) {}
            @for (i, label) in x_labels.iter().enumerate() {
                @match x_label_shown(i, n) {
                    Some(XLabel::Everywhere) => {
                        text class=[edge(i)] x=(x_at(i)) y=(H - BOTTOM + 18.0) text-anchor="middle" { (label) }
                    }
                    Some(XLabel::WideOnly) => {
                        text class={"x-wide-only" @if let Some(e) = edge(i) { " " (e) }} x=(x_at(i)) y=(H - BOTTOM + 18.0) text-anchor="middle" { (label) }
                    }
                    None => {}
                }
            }
        }
    }
}

fn bar_slot(n: usize) -> f64 {
    (W - LEFT - RIGHT) / n.max(1) as f64
}

fn bar_center(i: usize, n: usize) -> f64 {
    LEFT + bar_slot(n) * (i as f64 + 0.5)
}

fn legend(series: &[(&str, &str)]) -> Markup {
    html! {
        ul class="chart-legend" {
            @for (label, class) in series {
                li { span class={"swatch " (class)} aria-hidden="true" {} (label) }
            }
        }
    }
}

/// A chart's figures as a table, under a disclosure; named, for a screen
/// reader, by the chart's title (`chart_id`).
fn data_table(
    chart_id: &str,
    caption: &str,
    x_head: &str,
    x_labels: &[String],
    columns: &[(&str, Vec<String>)],
) -> Markup {
    html! {
        details class="chart-data" {
            // Which chart's numbers: a page has one such toggle per chart.
            summary aria-describedby=(chart_id) { (caption) }
            // A region a keyboard scrolls, named by its chart's title;
            // dashboard.js takes the tab stop off while it fits its box.
            div class="table-wrap" tabindex="0" role="region" aria-labelledby=(chart_id) data-labelledby=(chart_id) { table {
                thead { tr { th scope="col" { (x_head) } @for (name, _) in columns { th scope="col" { (name) } } } }
                tbody {
                    @for (i, x) in x_labels.iter().enumerate() {
                        tr { th scope="row" { (x) } @for (_, values) in columns { td { (values.get(i).map(String::as_str).unwrap_or("")) } } }
                    }
                }
            } }
        }
    }
}

/// Labels a chart needs in the reader's language.
pub struct ChartWords<'a> {
    /// "Show the numbers".
    pub table: &'a str,
    /// The x axis' heading in the table ("Period").
    pub x_head: &'a str,
    /// Said in place of a chart with nothing to draw ("No data in this range yet.").
    pub empty: &'a str,
}

/// Lines over periods (NPS, CSAT): points where there are values, gaps where none.
pub fn line_chart(
    id: &str,
    title: &str,
    words: &ChartWords,
    x_labels: &[String],
    series: &[Series],
    (lo, hi): (f64, f64),
    y_format: &dyn Fn(f64) -> String,
) -> Markup {
    let n = x_labels.len();
    let y_ticks = ticks(lo, hi);
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return empty_chart(id, title, words.empty);
    }
    html! {
        figure class="chart" {
            figcaption id=(id) { (title) }
            svg viewBox=(view_box(&y_ticks, y_format)) role="img" aria-labelledby=(id) preserveAspectRatio="xMidYMid meet" {
                (axes(x_labels, &y_ticks, lo, hi, y_format, false))
                @for s in series {
                    @let points: Vec<String> = s.values.iter().enumerate()
                        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_of(i, n), y_of(v, lo, hi)))).collect();
                    polyline class={"chart-line " (s.class)} points=(points.join(" ")) fill="none" {}
                    @for (i, v) in s.values.iter().enumerate() {
                        @if let Some(v) = v {
                            circle class={"chart-dot " (s.class)} cx=(x_of(i, n)) cy=(y_of(*v, lo, hi)) r="3.5" {
                                title { (x_labels[i]) ": " (y_format(*v)) }
                            }
                        }
                    }
                }
            }
            @if series.len() > 1 { (legend(&series.iter().map(|s| (s.label, s.class)).collect::<Vec<_>>())) }
            (data_table(id, words.table, words.x_head, x_labels, &series.iter()
                .map(|s| (s.label, s.values.iter().map(|v| v.map(y_format).unwrap_or_else(|| "—".into())).collect()))
                .collect::<Vec<_>>()))
        }
    }
}

/// Bars per period, stacked (promoters, passives, detractors) or side by side
/// (acquired and lost), with their counts.
pub fn bar_chart(
    id: &str,
    title: &str,
    words: &ChartWords,
    x_labels: &[String],
    series: &[Series],
    stacked: bool,
    y_format: &dyn Fn(f64) -> String,
) -> Markup {
    let n = x_labels.len();
    let value = |s: &Series, i: usize| s.values.get(i).copied().flatten().unwrap_or(0.0);
    let hi = (0..n)
        .map(|i| {
            if stacked {
                series.iter().map(|s| value(s, i)).sum::<f64>()
            } else {
                series.iter().map(|s| value(s, i)).fold(0.0, f64::max)
            }
        })
        .fold(0.0, f64::max);
    if hi <= 0.0 {
        return empty_chart(id, title, words.empty);
    }
    let y_ticks = ticks(0.0, hi);
    let hi = y_ticks.last().copied().unwrap_or(hi).max(hi);
    let slot = bar_slot(n);
    let width = if stacked {
        slot * 0.6
    } else {
        slot * 0.8 / series.len().max(1) as f64
    };
    // Each bar: x, top, height, class, and what it says on hover.
    let mut rects: Vec<(f64, f64, f64, &str, String)> = Vec::new();
    for (i, x_label) in x_labels.iter().enumerate() {
        let mut base = 0.0;
        for (k, s) in series.iter().enumerate() {
            let v = value(s, i);
            let x = if stacked {
                bar_center(i, n) - width / 2.0
            } else {
                bar_center(i, n) - slot * 0.4 + k as f64 * width
            };
            let (y0, y1) = if stacked { (base, base + v) } else { (0.0, v) };
            if v > 0.0 {
                let top = y_of(y1, 0.0, hi);
                rects.push((
                    x,
                    top,
                    y_of(y0, 0.0, hi) - top,
                    s.class,
                    format!("{x_label} — {}: {}", s.label, whole(v)),
                ));
            }
            if stacked {
                base += v;
            }
        }
    }
    html! {
        figure class="chart" {
            figcaption id=(id) { (title) }
            svg viewBox=(view_box(&y_ticks, y_format)) role="img" aria-labelledby=(id) preserveAspectRatio="xMidYMid meet" {
                (axes(x_labels, &y_ticks, 0.0, hi, y_format, true))
                @for (x, top, height, class, hint) in &rects {
                    rect class={"chart-bar " (class)} x=(x) width=(width) y=(top) height=(height) { title { (hint) } }
                }
            }
            (legend(&series.iter().map(|s| (s.label, s.class)).collect::<Vec<_>>()))
            (data_table(id, words.table, words.x_head, x_labels, &series.iter()
                .map(|s| (s.label, (0..n).map(|i| whole(value(s, i))).collect()))
                .collect::<Vec<_>>()))
        }
    }
}

/// A chart with nothing to draw: its title and `empty` in words, rather than
/// axes around nothing.
fn empty_chart(id: &str, title: &str, empty: &str) -> Markup {
    html! {
        figure class="chart" {
            figcaption id=(id) { (title) }
            p class="chart-empty" { (empty) }
        }
    }
}

/// A bar's value, a count or an amount in whole units: "12 345".
fn whole(v: f64) -> String {
    super::format::whole(v.round().max(0.0) as u64)
}

/// Horizontal bars with their labels and counts (churn reasons, the 0–10 spread,
/// segments): readable on a phone, the numbers written beside each bar.
pub fn ranked_bars(
    id: &str,
    title: &str,
    rows: &[(String, u64)],
    class: &str,
    empty: &str,
) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0);
    if max == 0 {
        return empty_chart(id, title, empty);
    }
    html! {
        figure class="chart" {
            figcaption id=(id) { (title) }
            ol class="ranked" aria-labelledby=(id) {
                @for (label, n) in rows {
                    li {
                        span class="ranked-label" { (label) }
                        span class="ranked-track" aria-hidden="true" {
                            svg viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false" {
                                rect class="bg" width="100" height="10" {}
                                rect class={"ranked-bar " (class)} width=(format!("{:.1}", *n as f64 * 100.0 / max as f64)) height="10" {}
                            }
                        }
                        span class="ranked-count" { (super::format::whole(*n)) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_covering_the_range() {
        assert_eq!(ticks(-100.0, 100.0), [-100.0, -50.0, 0.0, 50.0, 100.0]);
        assert_eq!(ticks(0.0, 7.0), [0.0, 2.0, 4.0, 6.0]);
        assert_eq!(ticks(1.0, 5.0), [1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn x_labels_end_on_the_latest_period_evenly_spaced_and_a_third_as_many_on_a_phone() {
        for n in 1..=60 {
            let shown: Vec<usize> = (0..n).filter(|&i| x_label_shown(i, n).is_some()).collect();
            let phone: Vec<usize> = (0..n)
                .filter(|&i| x_label_shown(i, n) == Some(XLabel::Everywhere))
                .collect();
            assert_eq!(shown.last(), Some(&(n - 1)), "n = {n}");
            assert_eq!(phone.last(), Some(&(n - 1)), "n = {n}");
            assert!(shown.len() <= 7, "n = {n}: {shown:?}");
            assert!(phone.len() <= 3, "n = {n}: {phone:?}");
            let gaps: Vec<usize> = shown.windows(2).map(|w| w[1] - w[0]).collect();
            assert!(
                gaps.iter().all(|g| *g == label_every(n)),
                "n = {n}: {shown:?}"
            );
        }
    }

    #[test]
    fn a_line_chart_has_axes_a_labelled_image_and_its_numbers_as_a_table() {
        let words = ChartWords {
            table: "Show the numbers",
            x_head: "Week",
            empty: "No data in this range yet.",
        };
        let svg = line_chart(
            "nps",
            "NPS by week",
            &words,
            &["Nov 2".into(), "Nov 9".into()],
            &[Series {
                label: "NPS",
                class: "c1",
                values: vec![Some(40.0), None],
            }],
            (-100.0, 100.0),
            &|v| format!("{v:.0}"),
        )
        .into_string();
        assert!(svg.contains(r#"role="img" aria-labelledby="nps""#));
        assert!(svg.contains(">Nov 2<") && svg.contains(">-100<") && svg.contains(">100<"));
        assert!(svg.contains("<td>40</td>") && svg.contains("<td>—</td>"));
    }

    #[test]
    fn counts_have_whole_ticks_and_a_chart_of_nothing_says_so() {
        assert_eq!(ticks(0.0, 2.0), [0.0, 1.0, 2.0]);
        assert_eq!(ticks(0.0, 1.0), [0.0, 1.0]);
        assert_eq!(ticks(0.0, 7.0), [0.0, 2.0, 4.0, 6.0]);
        // A churn rate's 0–10 %: not 2.5 % written as 2 %.
        assert_eq!(ticks(0.0, 10.0), [0.0, 5.0, 10.0]);
        assert_eq!(ticks(0.0, 100.0), [0.0, 25.0, 50.0, 75.0, 100.0]);
        let words = ChartWords {
            table: "Show the numbers",
            x_head: "Score",
            empty: "No data in this range yet.",
        };
        let bars = |values: Vec<Option<f64>>| {
            bar_chart(
                "spread",
                "Scores",
                &words,
                &["9".into(), "10".into()],
                &[Series {
                    label: "Answers",
                    class: "c1",
                    values,
                }],
                false,
                &|v| format!("{v}"),
            )
            .into_string()
        };
        let two = bars(vec![Some(1.0), Some(2.0)]);
        let ticks: Vec<&str> = two
            .split("text-anchor=\"end\">")
            .skip(1)
            .map(|t| t.split('<').next().unwrap())
            .collect();
        assert_eq!(ticks, ["0", "1", "2"]);
        let nothing = bars(vec![Some(0.0), None]);
        assert!(nothing.contains("No data in this range yet.") && !nothing.contains("<svg"));
        let ranked = ranked_bars("r", "Reasons", &[], "c1", "No data in this range yet.");
        assert!(ranked.into_string().contains("No data in this range yet."));
    }
}
