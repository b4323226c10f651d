//! What the widget says when no question is left, which depends on whether the
//! visitor answered anything. (Whether a survey is asked at all is the loader's
//! decision, by the rules of `shared/targeting.md`.)

/// How a survey ended for this visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Skipped,
}

/// What the widget shows after the last question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// "Thank you! Your answer helps us get better."
    Thanks,
    /// Every question was skipped: "Thanks for your time!", no word of an answer.
    ThanksForYourTime,
}

/// The closing after the outcomes of this visit's surveys.
pub fn closing(outcomes: &[Outcome]) -> Closing {
    if outcomes.contains(&Outcome::Answered) {
        Closing::Thanks
    } else {
        Closing::ThanksForYourTime
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    #[test]
    fn the_closing_thanks_for_an_answer_only_when_there_was_one() {
        assert_eq!(closing(&[Answered, Skipped]), Closing::Thanks);
        assert_eq!(closing(&[Skipped, Answered]), Closing::Thanks);
        assert_eq!(closing(&[Skipped, Skipped]), Closing::ThanksForYourTime);
    }
}
