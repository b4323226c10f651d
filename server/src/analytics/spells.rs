//! Spells of activity: the definitions of active, lost and won back, in one place.
//!
//! A spell is a maximal run of a customer's purchase days in which no two
//! consecutive ones are more than W days apart. For a spell from `start` to `end`:
//! the customer is active on every day from `start` to `end + W − 1`; they are lost
//! on `end + W` (the first day with no purchase in the W days up to it); a spell
//! that is not their first starts with a win-back (they were not active the day
//! before). With purchases on Jan 1 and Mar 1 and W = 90: one spell, active
//! Jan 1 – May 29, lost May 30.

use chrono::{Days, NaiveDate};

/// One spell, with the stores of the purchases that open and close it (for
/// figures by store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub start_store: Option<String>,
    pub end_store: Option<String>,
}

impl Spell {
    /// The day the customer is lost after this spell: `end + W`.
    pub fn loss_day(&self, window_days: u32) -> NaiveDate {
        self.end
            .checked_add_days(Days::new(u64::from(window_days)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Whether the customer is active on `day` thanks to this spell.
    pub fn active_on(&self, day: NaiveDate, window_days: u32) -> bool {
        self.start <= day && day < self.loss_day(window_days)
    }
}

/// The spells of purchases on `days` (sorted by day, each with its store).
pub fn spells_of(days: &[(NaiveDate, Option<&str>)], window_days: u32) -> Vec<Spell> {
    let mut spells: Vec<Spell> = Vec::new();
    for &(day, store) in days {
        match spells.last_mut() {
            Some(s) if (day - s.end).num_days() <= i64::from(window_days) => {
                if day > s.end {
                    s.end = day;
                    s.end_store = store.map(str::to_string);
                }
            }
            _ => spells.push(Spell {
                start: day,
                end: day,
                start_store: store.map(str::to_string),
                end_store: store.map(str::to_string),
            }),
        }
    }
    spells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn plain(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
        let with: Vec<_> = days.iter().map(|&d| (d, None)).collect();
        spells_of(&with, 90)
            .into_iter()
            .map(|s| (s.start, s.end))
            .collect()
    }

    /// The worked example of the definitions: W = 90, a non-leap year.
    #[test]
    fn the_worked_example() {
        let spells = spells_of(&[(d(1, 1), None), (d(3, 1), None)], 90);
        assert_eq!(spells.len(), 1);
        let s = &spells[0];
        assert!(s.active_on(d(1, 1), 90) && s.active_on(d(5, 29), 90));
        assert!(!s.active_on(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(), 90));
        assert_eq!(s.loss_day(90), d(5, 30), "lost on Mar 1 + 90 days");
        assert!(!s.active_on(d(5, 30), 90));
        // A purchase on May 30 instead keeps the customer active: no loss.
        assert_eq!(plain(&[d(1, 1), d(3, 1), d(5, 30)]), [(d(1, 1), d(5, 30))]);
        // One on May 31 is a win-back, after the loss on May 30.
        assert_eq!(
            plain(&[d(1, 1), d(3, 1), d(5, 31)]),
            [(d(1, 1), d(3, 1)), (d(5, 31), d(5, 31))]
        );
    }

    #[test]
    fn several_purchases_a_day_and_the_stores_of_a_spells_ends() {
        let spells = spells_of(
            &[
                (d(1, 1), Some("a")),
                (d(1, 1), Some("b")),
                (d(1, 5), Some("c")),
            ],
            90,
        );
        assert_eq!(spells.len(), 1);
        assert_eq!(spells[0].start_store.as_deref(), Some("a"));
        assert_eq!(spells[0].end_store.as_deref(), Some("c"));
    }
}
