//! One respondent's way through the surveys due, then the closing screen.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use kept_shared::{AnswerValue, WidgetEventKind};

use crate::answer::new_answer;
use crate::plan::SurveyView;

use super::Ctx;
use super::closing::closing_screen;
use super::survey::{Submit, survey_screen};
use crate::browser::{self, Timer};
use crate::closing::{Outcome, closing};
use crate::dom::{El, Listeners, replace_children};
use crate::queue::Kept;

/// Runs the surveys in `stage`, one screen at a time. When the last is done, the
/// closing screen shows; `next` (the kiosk) adds its "Next customer" button. The
/// returned `Listeners` hold the current screen's handlers: clearing them ends
/// the flow.
pub fn flow(
    ctx: &Rc<Ctx>,
    stage: &El,
    surveys: Rc<Vec<SurveyView>>,
    next: Option<Rc<dyn Fn()>>,
) -> Listeners {
    let state = Rc::new(Flow {
        ctx: ctx.clone(),
        stage: stage.clone(),
        surveys,
        step: Cell::new(0),
        outcomes: RefCell::new(Vec::new()),
        listeners: Listeners::default(),
        next,
    });
    state.show();
    state.listeners.clone()
}

struct Flow {
    ctx: Rc<Ctx>,
    stage: El,
    surveys: Rc<Vec<SurveyView>>,
    step: Cell<usize>,
    outcomes: RefCell<Vec<Outcome>>,
    listeners: Listeners,
    next: Option<Rc<dyn Fn()>>,
}

impl Flow {
    fn show(self: &Rc<Self>) {
        self.listeners.clear();
        let step = self.step.get();
        let ctx = &self.ctx;
        let (screen, heading) = match self.surveys.get(step) {
            Some(survey) => {
                ctx.report(&survey.id, WidgetEventKind::Shown);
                let this = self.clone();
                let submit: Submit = Rc::new(move |value| this.submit(value));
                survey_screen(survey, ctx.texts, &self.listeners, submit)
            }
            None => {
                let next = self.next.clone().map(|n| {
                    // The kiosk moves on by itself; the timer goes with the screen
                    // if the respondent taps "Next customer" first.
                    let later = n.clone();
                    let ms = ctx.cfg.kiosk_thanks_seconds * 1000;
                    self.listeners.keep(Timer::new(ms, move || later()));
                    Box::new(move || n()) as Box<dyn Fn()>
                });
                let closing = closing(&self.outcomes.borrow());
                closing_screen(closing, ctx.texts, &self.listeners, next)
            }
        };
        replace_children(&self.stage, Some(&screen));
        // After an answer the pressed button is gone: move focus to what comes
        // next, so keyboard and screen-reader users are not dropped at the page's
        // top. Never on the first screen: the widget must not steal the shop
        // page's focus.
        if step > 0 {
            heading.focus();
        }
    }

    fn submit(self: &Rc<Self>, value: Option<AnswerValue>) {
        let Some(survey) = self.surveys.get(self.step.get()) else {
            return;
        };
        let outcome = match value {
            Some(value) => {
                queue_answer(&self.ctx, survey, value);
                Outcome::Answered
            }
            None => {
                self.ctx.report(&survey.id, WidgetEventKind::Skipped);
                Outcome::Skipped
            }
        };
        self.ctx.remember(&survey.id, outcome);
        self.outcomes.borrow_mut().push(outcome);
        self.step.set(self.step.get() + 1);
        self.show();
    }
}

/// Queues an answer (the server checks it with the shared rules: `answer.rs`),
/// and starts a sync.
fn queue_answer(ctx: &Ctx, survey: &SurveyView, value: AnswerValue) {
    if ctx.cfg.preview {
        return;
    }
    let answer = new_answer(
        &ctx.cfg,
        &ctx.shop_id,
        &survey.id,
        value,
        browser::random_uuid(),
        browser::now(),
    );
    if ctx.syncer.queue.enqueue(&answer) == Kept::InMemory {
        browser::warn(
            "the answer could not be saved to local storage; it is kept in memory until sent",
        );
    }
    ctx.syncer.kick();
}
