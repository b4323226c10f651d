//! Building the widget's DOM by hand: a few elements per screen do not need a
//! framework, and doing without one is most of why the widget is small (see the
//! README's "Where the widget's bytes go").
//!
//! A screen is an [`El`] tree plus the [`Listeners`] its handlers live in: when a
//! screen is replaced, dropping its `Listeners` frees every closure it made.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, HtmlElement};

fn document() -> web_sys::Document {
    crate::browser::window().document().expect("a document")
}

/// An element under construction; each method returns it for chaining.
#[derive(Clone)]
pub struct El(pub HtmlElement);

pub fn el(tag: &str) -> El {
    // Only the widget's own fixed tags get here. (Not `expect`: printing a JS
    // error's debug form would link kilobytes of glue for nothing.)
    match document().create_element(tag) {
        Ok(e) => El(e.unchecked_into()),
        Err(_) => wasm_bindgen::throw_str("kept: an element could not be created"),
    }
}

impl El {
    pub fn class(self, class: &str) -> El {
        self.0.set_class_name(class);
        self
    }

    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets one property of the element's own style through the CSSOM, which a
    /// shop's Content-Security-Policy allows where it refuses `style="…"`.
    pub fn style(self, property: &str, value: &str) -> El {
        if let Ok(style) = js_sys::Reflect::get(&self.0, &"style".into()) {
            let _ = js_sys::Reflect::set(&style, &property.into(), &value.into());
        }
        self
    }

    pub fn text(self, text: &str) -> El {
        self.0.set_text_content(Some(text));
        self
    }

    pub fn child(self, child: &El) -> El {
        let _ = self.0.append_child(&child.0);
        self
    }

    pub fn children(self, children: &[El]) -> El {
        for c in children {
            let _ = self.0.append_child(&c.0);
        }
        self
    }

    /// Appends a text node (no element around it).
    pub fn add_text(self, text: &str) -> El {
        let _ = self.0.append_child(&document().create_text_node(text));
        self
    }

    /// Calls `f` on each `event`, for as long as `listeners` lives.
    pub fn on(self, event: &str, listeners: &Listeners, f: impl FnMut(Event) + 'static) -> El {
        listeners.add(&self.0, event, f);
        self
    }

    pub fn set_attr(&self, name: &str, value: &str) {
        let _ = self.0.set_attribute(name, value);
    }

    pub fn toggle(&self, name: &str, on: bool) {
        let _ = self.0.toggle_attribute_with_force(name, on);
    }

    pub fn focus(&self) {
        let _ = self.0.focus();
    }
}

type Handler = Closure<dyn FnMut(Event)>;

/// The event handlers of one screen, and what else must live exactly as long
/// (its timers). [`Listeners::clear`] removes and frees them all when the screen
/// goes. (A handler may clear its own screen: wasm-bindgen frees a closure that
/// is running only once it returns.)
#[derive(Clone, Default)]
pub struct Listeners(Rc<RefCell<Owned>>);

#[derive(Default)]
struct Owned {
    handlers: Vec<(HtmlElement, String, Handler)>,
    kept: Vec<Box<dyn std::any::Any>>,
}

impl Listeners {
    pub fn add(&self, target: &HtmlElement, event: &str, f: impl FnMut(Event) + 'static) {
        self.add_boxed(target, event, Box::new(f));
    }

    /// One copy of this code for every kind of handler (the widget's size).
    fn add_boxed(&self, target: &HtmlElement, event: &str, f: Box<dyn FnMut(Event)>) {
        let handler: Handler = Closure::wrap(f);
        let _ = target.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        self.0
            .borrow_mut()
            .handlers
            .push((target.clone(), event.to_string(), handler));
    }

    /// Keeps `thing` (a timer) until the screen goes.
    pub fn keep(&self, thing: impl std::any::Any) {
        self.0.borrow_mut().kept.push(Box::new(thing));
    }

    /// Removes every handler and drops what was kept (the screen is gone).
    pub fn clear(&self) {
        let owned = std::mem::take(&mut *self.0.borrow_mut());
        for (target, event, handler) in &owned.handlers {
            let _ =
                target.remove_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        }
    }
}

/// The value of an `<input>` or `<textarea>` an event came from.
pub fn event_value(e: &Event) -> String {
    e.target()
        .and_then(|t| {
            t.dyn_ref::<web_sys::HtmlTextAreaElement>()
                .map(|t| t.value())
                .or_else(|| t.dyn_ref::<web_sys::HtmlInputElement>().map(|i| i.value()))
        })
        .unwrap_or_default()
}

/// Whether the checkbox an event came from is checked.
pub fn event_checked(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

/// The key of a keyboard event ("ArrowRight").
pub fn event_key(e: &Event) -> String {
    e.dyn_ref::<web_sys::KeyboardEvent>()
        .map(|k| k.key())
        .unwrap_or_default()
}

/// Replaces everything in `parent` with `child`.
pub fn replace_children(parent: &El, child: Option<&El>) {
    parent.0.set_text_content(None);
    if let Some(c) = child {
        let _ = parent.0.append_child(&c.0);
    }
}
