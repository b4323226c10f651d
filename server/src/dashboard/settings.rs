//! Settings: the shop's name, the sites allowed to show the widget, loyalty tiers
//! (with their names per language) and points, the churn window, the time zone;
//! the snippet for the shop's pages; the keys (the public one shown, the secret ones made anew and shown once); and
//! who changed what, when.

use crate::audit_words::{action_said, actor_said, detail_said};
use std::collections::BTreeMap;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kept_shared::limits::MIN_CHURN_WINDOW_DAYS;
use kept_shared::{FieldError, FieldProblem, ShopSettings, TierSetting};
use maud::{Markup, html};

use super::form::{self, Unread};
use super::format;
use super::i18n::Texts;
use super::layout::{Section, aria_invalid, errors, said_on_load, shell};
use super::session::{Session, sign_in};
use super::surveys::dashboard_actor;
use super::{expired, fields_allowed, refused};
use crate::db::Db;
use crate::http::Failure;
use crate::links::PublicBase;
use crate::owner::settings::{self as owner_settings, ChangeError};
use crate::tokens::TokenKind;

/// Lines of the audit log shown.
const AUDIT_LINES: u64 = 50;

/// Each field's label, by its path (`tiers.min_points`; see `field_problems`).
fn field_label(t: &Texts, key: &str) -> Option<&'static str> {
    Some(match key {
        "name" => t.shop_name,
        "time_zone" => t.time_zone,
        "points_per_unit" => t.points_per_unit,
        "churn_window_days" => t.churn_window,
        "survey_cooldown_days" => t.survey_cooldown,
        "text_retention_days" => t.text_retention,
        "allowed_origins" => t.allowed_origins,
        "tiers" => t.tiers,
        "tiers.name" => t.tier_name,
        "tiers.min_points" => t.min_points,
        "tiers.labels" => t.tier_labels,
        _ => return None,
    })
}

/// A field's id in the form, from its path in a [`FieldError`]: the origins
/// are one text area, and a tier's names in every language one field.
fn field_id(path: &str) -> String {
    let path = if path.starts_with("allowed_origins") {
        "allowed_origins".to_string()
    } else {
        path.split_once(".labels.")
            .map_or(path.to_string(), |(tier, _)| format!("{tier}.labels"))
    };
    format!(
        "s-{}",
        path.replace(['.', '[', ']'], "-").trim_end_matches('-')
    )
}

/// The one line a shop puts on its pages: the loader with the shop's rules
/// (`server/src/http/shop_loader.rs`), from where this server is reached.
fn snippet(base: &str, public_key: &str) -> String {
    format!(r#"<script src="{base}/widget/kept.js?key={public_key}" defer></script>"#)
}

/// `uk=Золото, ru=Золото` ↔ a tier's names by locale.
fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(l, n)| format!("{l}={n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A piece that is no language and name, or a language named twice, is
/// refused (the field at `path` shown again as typed), not dropped.
fn parse_labels(unread: &mut Unread, path: &str, text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match piece.split_once('=').map(|(l, n)| (l.trim(), n.trim())) {
            Some((l, n))
                if !l.is_empty()
                    && !n.is_empty()
                    && !labels.contains_key(&l.to_ascii_lowercase()) =>
            {
                labels.insert(l.to_ascii_lowercase(), n.to_string());
            }
            _ => {
                let value = piece.to_string();
                unread.refuse(path, text, FieldProblem::NotALabel { value });
                break;
            }
        }
    }
    labels
}

/// An origin as its owner writes it: a name in another script in its own
/// letters (`https://магазин.укр`), not in the `xn--` form browsers send and
/// Kept stores it in (`https://xn--80aairftm.xn--j1amh`), which no owner
/// would know for theirs; saved again, it is that form again. Anything else
/// as it is.
fn readable_origin(origin: &str) -> String {
    let Ok(url) = url::Url::parse(origin) else {
        return origin.to_string();
    };
    match url.host() {
        Some(url::Host::Domain(name)) if name.contains("xn--") => {
            let (readable, problems) = idna::domain_to_unicode(name);
            if problems.is_err() {
                return origin.to_string();
            }
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{readable}{port}", url.scheme())
        }
        _ => origin.to_string(),
    }
}

async fn render(
    db: &Db,
    session: &Session,
    base: &str,
    s: &ShopSettings,
    errs: &[FieldError],
    unread: &Unread,
    notice: Option<Markup>,
) -> Result<Response, Failure> {
    let lang = session.lang;
    let t = lang.texts();
    let audit = owner_settings::audit_log(db.as_ref(), &session.shop, AUDIT_LINES).await?;
    let zones = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .collect::<Vec<_>>();
    let content = html! {
        @if let Some(n) = notice { (n) }
        (errors(session.lang, errs, field_id, field_label))
        form method="post" action="/dashboard/settings" {
            input type="hidden" name="csrf" value=(session.csrf);
            div class="grid2" {
                label { (t.shop_name) input id=(field_id("name")) name="name" value=(s.name) required maxlength="100" aria-invalid=[aria_invalid(errs, "name")]; }
                label { (t.time_zone)
                    select id=(field_id("time_zone")) name="time_zone" {
                        @for z in &zones { option value=(z) selected[*z == s.time_zone] { (z) } }
                    }
                }
                label { (t.points_per_unit) input id=(field_id("points_per_unit")) name="points_per_unit" type=(unread.number_type("points_per_unit")) inputmode="numeric" min="0" max="1000" value=(unread.shown("points_per_unit", s.points_per_unit)) aria-invalid=[aria_invalid(errs, "points_per_unit")]; }
                // Each hint under its own field.
                label { (t.churn_window) input id=(field_id("churn_window_days")) name="churn_window_days" type=(unread.number_type("churn_window_days")) inputmode="numeric" min="7" max="730" value=(unread.shown("churn_window_days", s.churn_window_days)) aria-describedby="churn-hint" aria-invalid=[aria_invalid(errs, "churn_window_days")];
                    span class="hint" id="churn-hint" { (t.churn_window_hint) } }
                label { (t.survey_cooldown) input id=(field_id("survey_cooldown_days")) name="survey_cooldown_days" type=(unread.number_type("survey_cooldown_days")) inputmode="numeric" min="0" max="365" value=(unread.shown("survey_cooldown_days", s.survey_cooldown_days)) aria-describedby="cooldown-hint" aria-invalid=[aria_invalid(errs, "survey_cooldown_days")];
                    span class="hint" id="cooldown-hint" { (t.survey_cooldown_hint) } }
                label { (t.text_retention) input id=(field_id("text_retention_days")) name="text_retention_days" type=(unread.number_type("text_retention_days")) inputmode="numeric" min="0" max="3650" value=(unread.shown("text_retention_days", s.text_retention_days)) aria-describedby="retention-hint" aria-invalid=[aria_invalid(errs, "text_retention_days")];
                    span class="hint" id="retention-hint" { (t.text_retention_hint) } }
            }
            label class="check" { input id=(field_id("require_verified")) name="require_verified" type="checkbox" value="on" checked[s.require_verified] aria-describedby="verified-hint"; (t.require_verified) }
            p class="intro" id="verified-hint" { (t.require_verified_hint) }
            label { (t.allowed_origins)
                textarea id=(field_id("allowed_origins")) name="allowed_origins" rows="3" aria-describedby="origins-hint" aria-invalid=[aria_invalid(errs, "allowed_origins")] { (s.allowed_origins.iter().map(|o| readable_origin(o)).collect::<Vec<_>>().join("\n")) }
            }
            p class="intro" id="origins-hint" { (t.allowed_origins_hint) }
            fieldset id=(field_id("tiers")) {
                legend { (t.tiers) }
                div class="table-wrap" { table {
                    thead { tr { th scope="col" { (t.tier_name) } th scope="col" { (t.min_points) } th scope="col" { (t.tier_labels_hint) } } }
                    tbody {
                        @for (i, tier) in s.tiers.iter().chain(std::iter::once(&TierSetting { name: String::new(), min_points: 0, labels: BTreeMap::new() })).enumerate() {
                            @let blank = i == s.tiers.len();
                            tr {
                                td { input id=(field_id(&format!("tiers[{i}].name"))) name={"tier." (i) ".name"} value=(tier.name) placeholder=[blank.then_some(t.new_tier)] aria-label={(t.tier_name) " " (i + 1)} aria-invalid=[aria_invalid(errs, &format!("tiers[{i}]"))]; }
                                td { input id=(field_id(&format!("tiers[{i}].min_points"))) name={"tier." (i) ".min_points"} type=(unread.number_type(&format!("tiers[{i}].min_points"))) inputmode="numeric" min="0" value=(if blank { String::new() } else { unread.shown(&format!("tiers[{i}].min_points"), tier.min_points) }) aria-label={(t.min_points) " " (i + 1)} aria-invalid=[aria_invalid(errs, &format!("tiers[{i}].min_points"))]; }
                                td { input id=(field_id(&format!("tiers[{i}].labels"))) name={"tier." (i) ".labels"} value=(unread.shown(&format!("tiers[{i}].labels"), labels_text(&tier.labels))) aria-invalid=[aria_invalid(errs, &format!("tiers[{i}].labels"))] aria-label={(t.tier_labels_hint) " " (i + 1)}; }
                            }
                        }
                    }
                } }
                p class="intro" { (t.add_tier) }
            }
            div class="actions" { button type="submit" { (t.save) } }
        }
        h2 { (t.snippet) }
        p class="intro" { (t.snippet_hint) }
        pre class="snippet" data-testid="snippet" { code { (snippet(base, &session.shop.public_key)) } }
        h2 { (t.keys) }
        dl class="facts" {
            dt { (t.public_key) } dd { code { (session.shop.public_key) } }
        }
        @for (kind, name) in [("back-office", t.back_office_key), ("owner", t.owner_token), ("widget", t.widget_secret)] {
            form method="post" action={"/dashboard/settings/keys/" (kind)} class="actions" {
                input type="hidden" name="csrf" value=(session.csrf);
                span { (name) " — " (t.rotate_warning) }
                button type="submit" class="danger" { (t.rotate) ": " (name) }
            }
        }
        h2 { (t.changes) }
        @if audit.is_empty() { p { (t.nothing_found) } } @else {
            div class="table-wrap" { table {
                thead { tr { th scope="col" { (t.when) } th scope="col" { (t.who) } th scope="col" { (t.what) } } }
                tbody { @for a in &audit { tr {
                    td { (format::date_time(lang, a.at, session.shop.time_zone)) }
                    td { (actor_said(&a.actor, lang.into())) }
                    td { strong { (action_said(&a.action, lang.into())) } br; span class="answer-text" { (detail_said(&a.action, &a.detail, lang.into())) } }
                } } }
            } }
        }
    };
    Ok(shell(session, Section::Settings, t.settings, content))
}

/// The page with the settings as stored, `notice` above them.
async fn render_stored(
    db: &Db,
    session: &Session,
    base: &str,
    notice: Option<Markup>,
) -> Result<Response, Failure> {
    let view = owner_settings::view(db.as_ref(), &session.shop).await?;
    render(
        db,
        session,
        base,
        &view.settings,
        &[],
        &Unread::default(),
        notice,
    )
    .await
}

pub async fn page(
    State(db): State<Db>,
    session: Session,
    PublicBase(base): PublicBase,
) -> Result<Response, Failure> {
    render_stored(&db, &session, &base, None).await
}

/// The settings as the form gives them, and the fields in it that do not read.
fn settings_from_form(fields: &[(String, String)]) -> (ShopSettings, Unread) {
    let get = |name: &str| form::field(fields, name).unwrap_or("");
    let mut rows: BTreeMap<usize, (String, String, String)> = BTreeMap::new();
    for (k, v) in fields {
        let Some(rest) = k.strip_prefix("tier.") else {
            continue;
        };
        let Some((i, what)) = rest.split_once('.') else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        let row = rows.entry(i).or_default();
        match what {
            "name" => row.0 = v.clone(),
            "min_points" => row.1 = v.clone(),
            "labels" => row.2 = v.clone(),
            _ => {}
        }
    }
    let mut unread = Unread::default();
    let settings = ShopSettings {
        name: get("name").to_string(),
        allowed_origins: get("allowed_origins")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        tiers: rows
            .into_values()
            .filter(|(name, points, _)| !name.trim().is_empty() || !points.trim().is_empty())
            .enumerate()
            .map(|(i, (name, points, labels))| TierSetting {
                name,
                min_points: unread.number(&format!("tiers[{i}].min_points"), &points, 0),
                labels: parse_labels(&mut unread, &format!("tiers[{i}].labels"), &labels),
            })
            .collect(),
        points_per_unit: unread.number("points_per_unit", get("points_per_unit"), 0),
        churn_window_days: unread.number(
            "churn_window_days",
            get("churn_window_days"),
            MIN_CHURN_WINDOW_DAYS,
        ),
        time_zone: get("time_zone").to_string(),
        survey_cooldown_days: unread.number("survey_cooldown_days", get("survey_cooldown_days"), 0),
        require_verified: get("require_verified") == "on",
        // Empty keeps them, as 0 does.
        text_retention_days: match get("text_retention_days").trim() {
            "" => 0,
            days => unread.number("text_retention_days", days, 0),
        },
    };
    (settings, unread)
}

pub async fn save(
    State(db): State<Db>,
    session: Session,
    PublicBase(base): PublicBase,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    if !fields_allowed(&session, &headers, &fields) {
        return Ok(expired(&session));
    }
    let t = session.lang.texts();
    let (settings, unread) = settings_from_form(&fields);
    let outcome = if unread.errors.is_empty() {
        owner_settings::update_settings(
            db.as_ref(),
            &session.shop,
            settings.clone(),
            &dashboard_actor(&session),
        )
        .await
    } else {
        let checked = owner_settings::check_settings(&mut settings.clone()).err();
        Err(ChangeError::Invalid(
            unread.with(checked.unwrap_or_default()),
        ))
    };
    match outcome {
        Ok(()) => {
            let mut session = session;
            if let Some(shop) = db.shop(&session.shop.id).await? {
                session.shop = shop;
            }
            let saved = said_on_load(
                None,
                html! { p class="status-message" role="status" { (t.saved) } },
            );
            render_stored(&db, &session, &base, Some(saved)).await
        }
        Err(ChangeError::Invalid(errs)) => Ok(refused(
            render(&db, &session, &base, &settings, &errs, &unread, None).await?,
        )),
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

/// Makes a new secret and shows it once, once the owner has confirmed it: the
/// settings' button asks first, on a page of its own (no script needed), since the
/// old secret stops working at once. A new owner token ends every session, this
/// one too: the owner is signed in again with the new token.
pub async fn rotate(
    State(db): State<Db>,
    session: Session,
    PublicBase(base): PublicBase,
    headers: HeaderMap,
    Path(path): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Failure> {
    if !fields_allowed(&session, &headers, &fields) {
        return Ok(expired(&session));
    }
    let Some(kind) = owner_settings::Secret::from_path(&path) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let t = session.lang.texts();
    let confirmed = fields.iter().any(|(k, v)| k == "confirm" && v == "yes");
    if !confirmed {
        return Ok(confirm_rotation(&session, &path, kind));
    }
    let secret =
        owner_settings::rotate(db.as_ref(), &session.shop, kind, &dashboard_actor(&session))
            .await?;
    let mut session = session;
    let mut cookie = None;
    if kind == owner_settings::Secret::Token(TokenKind::Owner)
        && let Some((new_cookie, opened)) =
            sign_in(&db, &session.shop.id, &secret.secret, &headers).await
    {
        // The page shown now carries the new session's CSRF token.
        session.csrf = opened.csrf;
        session.id_hash = opened.id_hash;
        cookie = Some(new_cookie);
    }
    let notice = html! {
        section class="card" role="status" aria-labelledby="new-secret" {
            h2 id="new-secret" { (t.new_secret) }
            p class="secret" data-testid="new-secret" { (secret.secret) }
            p { (t.new_secret_hint) }
        }
    };
    let mut resp = render_stored(&db, &session, &base, Some(notice)).await?;
    if let Some(c) = cookie {
        resp.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// The page that asks before a secret is replaced, saying what stops working.
fn confirm_rotation(session: &Session, path: &str, kind: owner_settings::Secret) -> Response {
    let t = session.lang.texts();
    let (name, consequence) = match kind {
        owner_settings::Secret::Token(TokenKind::BackOffice) => (t.back_office_key, None),
        owner_settings::Secret::Token(TokenKind::Owner) => {
            (t.owner_token, Some(t.rotate_owner_warning))
        }
        owner_settings::Secret::Widget => (t.widget_secret, Some(t.rotate_widget_warning)),
    };
    let content = html! {
        section class="card" aria-labelledby="confirm-rotation" data-testid="confirm-rotation" {
            h2 id="confirm-rotation" { (name) }
            p { (t.rotate_warning) }
            @if let Some(consequence) = consequence { p { (consequence) } }
            form method="post" action={"/dashboard/settings/keys/" (path)} class="actions" {
                input type="hidden" name="csrf" value=(session.csrf);
                input type="hidden" name="confirm" value="yes";
                button type="submit" class="danger" { (t.rotate_confirm) }
                a href="/dashboard/settings" { (t.cancel) }
            }
        }
    };
    shell(session, Section::Settings, t.rotate_confirm_title, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_names_per_language_are_written_and_read_back() {
        let mut unread = Unread::default();
        let labels = parse_labels(&mut unread, "tiers[0].labels", " uk = Золото ,ru=Золото ");
        assert_eq!(labels_text(&labels), "ru=Золото, uk=Золото");
        assert!(unread.errors.is_empty());
        // What is no pair, or a language twice, is refused and shown as typed.
        let mut unread = Unread::default();
        let labels = parse_labels(&mut unread, "tiers[0].labels", "UK=Золото");
        assert_eq!(
            labels_text(&labels),
            "uk=Золото",
            "the language in lower case"
        );
        for typed in ["uk=Золото, bad", "uk=Золото, =x", "uk=A, UK=B", "ru="] {
            let mut unread = Unread::default();
            parse_labels(&mut unread, "tiers[0].labels", typed);
            assert_eq!(unread.errors.len(), 1, "{typed}");
            assert_eq!(unread.shown("tiers[0].labels", ""), typed);
        }
    }
}
