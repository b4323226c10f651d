//! One survey's screen: its question, the scale or the reasons, the optional
//! text, and Skip and Send.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use kept_shared::AnswerValue;

use super::scale::scale;
use super::text_field::text_field;
use crate::dom::{El, Listeners, el, event_checked};
use crate::i18n::Texts;
use crate::plan::{SurveyView, ViewKind};

/// What a screen hands back: the answer, or `None` for Skip.
pub type Submit = Rc<dyn Fn(Option<AnswerValue>)>;

/// Builds the answer from what the visitor picked, if it is complete.
type AnswerOf = Rc<RefCell<Box<dyn Fn() -> Option<AnswerValue>>>>;

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The survey's section and its heading (to move focus to).
pub fn survey_screen(
    survey: &SurveyView,
    t: &'static Texts,
    listeners: &Listeners,
    submit: Submit,
) -> (El, El) {
    let question_id = String::from("kept-q-") + &survey.id;
    let heading = el("h2")
        .class("kept-question")
        .attr("id", &question_id)
        .attr("tabindex", "-1")
        .text(&survey.question);
    let section = el("section")
        .class("kept-survey")
        .attr("data-survey", &survey.id)
        .attr("aria-labelledby", &question_id)
        .child(&heading);
    let follow_up = &survey.follow_up;

    // Send, enabled once the answer is complete; `answer` builds it.
    let answer: AnswerOf = Rc::new(RefCell::new(Box::new(|| None)));
    let send = el("button")
        .attr("type", "button")
        .class("kept-submit")
        .attr("disabled", "")
        .text(t.send);
    let ready = {
        let send = send.clone();
        Rc::new(move |on: bool| send.toggle("disabled", !on))
    };
    let actions = {
        let (skip_submit, send_submit, answer) = (submit.clone(), submit, answer.clone());
        el("div")
            .class("kept-actions")
            .child(
                &el("button")
                    .attr("type", "button")
                    .class("kept-skip")
                    .text(t.skip)
                    .on("click", listeners, move |_| skip_submit(None)),
            )
            .child(&send.on("click", listeners, move |_| {
                if let Some(v) = answer.borrow()() {
                    send_submit(Some(v))
                }
            }))
    };

    match &survey.kind {
        ViewKind::Nps { ask_reason } => {
            let ask_reason = *ask_reason;
            let score = Rc::new(Cell::new(None::<u8>));
            let reason = Rc::new(RefCell::new(String::new()));
            // The "why?" appears with the first score picked.
            let why = text_field("reason", follow_up, t, reason.clone(), listeners, || {});
            let shown = Cell::new(false);
            let (s, place, actions_el) = (score.clone(), section.clone(), actions.clone());
            let [group, ends] = scale(
                &question_id,
                (0, 10),
                (t.not_likely, t.very_likely),
                listeners,
                move |n| {
                    s.set(Some(n));
                    if ask_reason && !shown.replace(true) {
                        for part in &why {
                            let _ = place.0.insert_before(&part.0, Some(&actions_el.0));
                        }
                    }
                    ready(true);
                },
            );
            section.clone().child(&group).child(&ends);
            *answer.borrow_mut() = Box::new(move || {
                score.get().map(|score| AnswerValue::Nps {
                    score,
                    reason: if ask_reason {
                        non_empty(&reason.borrow())
                    } else {
                        None
                    },
                })
            });
        }
        ViewKind::Csat => {
            let score = Rc::new(Cell::new(None::<u8>));
            let s = score.clone();
            let [group, ends] = scale(
                &question_id,
                (1, 5),
                (t.very_unsatisfied, t.very_satisfied),
                listeners,
                move |n| {
                    s.set(Some(n));
                    ready(true);
                },
            );
            section.clone().child(&group).child(&ends);
            *answer.borrow_mut() =
                Box::new(move || score.get().map(|score| AnswerValue::Csat { score }));
        }
        ViewKind::Churn {
            reasons,
            allow_other_text,
        } => {
            let allow_other = *allow_other_text;
            let codes: Vec<String> = reasons.iter().map(|(code, _)| code.clone()).collect();
            let picked = Rc::new(RefCell::new(vec![false; codes.len()]));
            let other = Rc::new(RefCell::new(String::new()));
            let complete = {
                let (picked, other) = (picked.clone(), other.clone());
                Rc::new(move || {
                    picked.borrow().contains(&true)
                        || (allow_other && !other.borrow().trim().is_empty())
                })
            };
            let hint_id = question_id.clone() + "-hint";
            // Named by the heading above (not a hidden legend repeating it), so a
            // screen reader reads the question once.
            let fieldset = el("fieldset")
                .class("kept-choices")
                .attr("aria-labelledby", &question_id)
                .attr("aria-describedby", &hint_id)
                .child(
                    &el("p")
                        .class("kept-hint")
                        .attr("id", &hint_id)
                        .text(t.reasons_hint),
                );
            for (i, (code, label)) in reasons.iter().enumerate() {
                let (picked, complete, ready) = (picked.clone(), complete.clone(), ready.clone());
                let input = el("input").attr("type", "checkbox").attr("value", code).on(
                    "change",
                    listeners,
                    move |e| {
                        picked.borrow_mut()[i] = event_checked(&e);
                        ready(complete());
                    },
                );
                fieldset.clone().child(
                    &el("label")
                        .class("kept-choice")
                        .child(&input)
                        .child(&el("span").text(label)),
                );
            }
            section.clone().child(&fieldset);
            if allow_other {
                let (complete, ready) = (complete.clone(), ready.clone());
                let parts =
                    text_field("other", follow_up, t, other.clone(), listeners, move || {
                        ready(complete())
                    });
                section.clone().children(&parts);
            }
            *answer.borrow_mut() = Box::new(move || {
                let chosen = picked.borrow();
                Some(AnswerValue::ChurnReason {
                    // In the survey's order, whatever order they were ticked in.
                    reasons: codes
                        .iter()
                        .zip(chosen.iter())
                        .filter(|(_, on)| **on)
                        .map(|(c, _)| c.clone())
                        .collect(),
                    other: if allow_other {
                        non_empty(&other.borrow())
                    } else {
                        None
                    },
                })
            });
        }
    }
    (section.child(&actions), heading)
}
