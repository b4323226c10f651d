//! The widget's screens: the surveys one after another, the closing screen, the
//! kiosk's one-respondent-after-another loop, and the loyalty card.

mod closing;
mod flow;
mod kiosk;
mod loyalty;
mod scale;
mod survey;
mod text_field;

use std::rc::Rc;

use kept_shared::json::ToJson;
use kept_shared::{WidgetEvent, WidgetEventKind, WidgetEvents, api};

use crate::browser::{self, LocalStore};
use crate::closing::Outcome;
use crate::config::WidgetConfig;
use crate::i18n::Texts;
use crate::queue::{KeyValueStore, Keys};
use crate::sync::Syncer;

pub use closing::closing_screen;
pub use flow::flow;
pub use kiosk::kiosk;
pub use loyalty::loyalty_card;

/// What every screen needs.
pub struct Ctx {
    pub cfg: WidgetConfig,
    pub texts: &'static Texts,
    pub shop_id: String,
    pub syncer: Rc<Syncer>,
    pub storage: Option<Rc<LocalStore>>,
    /// The loader's record of outcomes (the visitor's display history).
    pub record: Option<js_sys::Function>,
}

impl Ctx {
    pub fn url(&self, path: &str) -> String {
        String::from(&*self.cfg.api) + path
    }

    pub fn keys(&self) -> Keys {
        Keys::new(&self.cfg.public_key)
    }

    /// A copy saved for offline use (the text the server sent).
    pub fn saved(&self, key: &str) -> Option<String> {
        self.storage.as_ref()?.get(key)
    }

    pub fn save(&self, key: &str, text: &str) {
        if let Some(s) = &self.storage {
            // A full storage only costs the offline copy.
            let _ = s.set(key, text);
        }
    }

    pub fn forget(&self, key: &str) {
        if let Some(s) = &self.storage {
            s.remove(key);
        }
    }

    /// Tells the server the widget showed or skipped `survey`: counts for the
    /// owner's survey funnel, nothing about the visitor.
    pub fn report(&self, survey: &str, kind: WidgetEventKind) {
        if self.cfg.preview {
            return;
        }
        let events = WidgetEvents {
            events: vec![WidgetEvent {
                survey: survey.to_string(),
                kind,
                channel: self.cfg.channel(),
            }],
        };
        browser::post_and_forget(
            &self.url(&api::events(&self.cfg.public_key)),
            &events.to_json(),
        );
    }

    /// Tells the loader how `survey` ended for this visitor, for its history
    /// (`shared/targeting.md`); it remembers nothing for a kiosk or a preview.
    pub fn remember(&self, survey: &str, outcome: Outcome) {
        if let Some(record) = &self.record {
            let outcome = match outcome {
                Outcome::Answered => "answered",
                Outcome::Skipped => "skipped",
            };
            let _ = record.call2(
                &wasm_bindgen::JsValue::NULL,
                &survey.into(),
                &outcome.into(),
            );
        }
    }
}
