//! The kiosk: one respondent after another. Each gets a new flow (all its state
//! made afresh), after the thank-you screen or after idle time, so nothing one
//! respondent picked or typed is visible to the next.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::plan::SurveyView;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::{Ctx, flow};
use crate::browser;
use crate::dom::{El, Listeners, el};

struct Kiosk {
    ctx: Rc<Ctx>,
    stage: El,
    surveys: Rc<Vec<SurveyView>>,
    /// The respondent being served; a late timer for an earlier one does nothing.
    respondent: Cell<u32>,
    last_touch: Cell<f64>,
    touched: Cell<bool>,
    current: RefCell<Listeners>,
}

/// Mounts the kiosk into `container`, for the page's life.
pub fn kiosk(ctx: &Rc<Ctx>, container: &El, surveys: Vec<SurveyView>) {
    let stage = el("div").class("kept-stage");
    container.clone().child(&stage);
    let kiosk = Rc::new(Kiosk {
        ctx: ctx.clone(),
        stage: stage.clone(),
        surveys: Rc::new(surveys),
        respondent: Cell::new(0),
        last_touch: Cell::new(browser::now_ms()),
        // A respondent the kiosk app identified (by their receipt) counts as
        // present from the start: if they walk away untouched, the idle time
        // still ends their turn, and nothing of theirs stays for the next one.
        touched: Cell::new(ctx.cfg.customer.is_some()),
        current: RefCell::new(Listeners::default()),
    });
    // The stage's own handlers and the idle check live as long as the page.
    let forever = Listeners::default();
    for event in ["pointerdown", "keydown", "input"] {
        let k = kiosk.clone();
        stage.clone().on(event, &forever, move |_| {
            k.touched.set(true);
            k.last_touch.set(browser::now_ms());
        });
    }
    let idle_ms = f64::from(ctx.cfg.kiosk_idle_seconds) * 1000.0;
    let k = kiosk.clone();
    let tick = Closure::<dyn FnMut()>::new(move || {
        if k.touched.get() && browser::now_ms() - k.last_touch.get() > idle_ms {
            k.next(k.respondent.get());
        }
    });
    let _ = browser::window().set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1_000,
    );
    tick.forget();
    std::mem::forget(forever);
    kiosk.serve();
}

impl Kiosk {
    fn serve(self: &Rc<Self>) {
        let r = self.respondent.get();
        let this = self.clone();
        let next: Rc<dyn Fn()> = Rc::new(move || this.next(r));
        let listeners = flow(&self.ctx, &self.stage, self.surveys.clone(), Some(next));
        *self.current.borrow_mut() = listeners;
    }

    fn next(self: &Rc<Self>, from: u32) {
        // Only the respondent that asked: a late timer must not skip the next one.
        if self.respondent.get() != from {
            return;
        }
        self.touched.set(false);
        self.current.borrow().clear();
        // For the kiosk app: a respondent it identified is done (it starts an
        // anonymous kiosk again). From the stage, out of the shadow root: a
        // widget the app has taken off the page tells nobody.
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(done) = web_sys::Event::new_with_event_init_dict("kept:next", &init) {
            let _ = self.stage.0.dispatch_event(&done);
        }
        self.respondent.set(from + 1);
        self.serve();
    }
}
