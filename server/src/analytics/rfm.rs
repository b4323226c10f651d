//! RFM: recency, frequency and monetary scores 1–5 over the customers who bought
//! up to a day, and the segments of the recency × frequency grid.
//!
//! Each score is `1 + floor(5 × (customers strictly worse) ÷ N)`: equal values get
//! equal scores, the best get 5, nobody gets 0 or 6. Worse means a longer
//! recency, fewer purchases, a smaller amount.

use chrono::NaiveDate;
use kept_shared::{RfmScores, Segment};

/// A customer's purchase figures up to the day scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    pub last_day: NaiveDate,
    pub purchases: u64,
    pub total_cents: u64,
}

fn score(worse: usize, n: usize) -> u8 {
    (1 + 5 * worse / n) as u8
}

/// The scores of each customer (in the order given) at day `at`.
pub fn scores(values: &[Value], at: NaiveDate) -> Vec<RfmScores> {
    let n = values.len();
    let recency = |v: &Value| (at - v.last_day).num_days().max(0) as u32;
    let mut recencies: Vec<u32> = values.iter().map(recency).collect();
    let mut frequencies: Vec<u64> = values.iter().map(|v| v.purchases).collect();
    let mut amounts: Vec<u64> = values.iter().map(|v| v.total_cents).collect();
    recencies.sort_unstable();
    frequencies.sort_unstable();
    amounts.sort_unstable();
    values
        .iter()
        .map(|v| {
            let days = recency(v);
            // Worse recency: strictly longer; worse frequency or amount: strictly less.
            let r = score(n - recencies.partition_point(|x| *x <= days), n);
            let f = score(frequencies.partition_point(|x| *x < v.purchases), n);
            let m = score(amounts.partition_point(|x| *x < v.total_cents), n);
            RfmScores {
                recency_days: days,
                frequency: v.purchases,
                monetary_cents: v.total_cents,
                r,
                f,
                m,
                segment: Segment::of(r, f),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
    }

    fn v(last: u32, purchases: u64, total: u64) -> Value {
        Value {
            last_day: d(last),
            purchases,
            total_cents: total,
        }
    }

    #[test]
    fn five_distinct_customers_get_one_score_each() {
        let values: Vec<_> = (1..=5).map(|i| v(i, i as u64, i as u64 * 100)).collect();
        let s = scores(&values, d(10));
        assert_eq!(s.iter().map(|x| x.r).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(s.iter().map(|x| x.f).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(s.iter().map(|x| x.m).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(s[0].recency_days, 9);
        assert_eq!(s[4].segment, Segment::Champions);
        assert_eq!(s[0].segment, Segment::Lost);
    }

    #[test]
    fn ties_get_equal_scores_and_the_best_get_five() {
        // Frequencies 1, 1, 1, 2, 5, 5: worse counts 0, 0, 0, 3, 4, 4 of N = 6.
        let values: Vec<_> = [1, 1, 1, 2, 5, 5].iter().map(|&f| v(1, f, 100)).collect();
        let s = scores(&values, d(1));
        assert_eq!(
            s.iter().map(|x| x.f).collect::<Vec<_>>(),
            [1, 1, 1, 3, 4, 4]
        );
        // All equal: nobody is strictly worse than anyone, so all score 1.
        assert!(s.iter().all(|x| (x.r, x.m) == (1, 1)));
        let one = scores(&[v(1, 1, 1)], d(1));
        assert_eq!((one[0].r, one[0].f, one[0].m), (1, 1, 1));
        assert!(scores(&[], d(1)).is_empty());
    }

    #[test]
    fn the_segment_grid() {
        use Segment::*;
        let grid = [
            (5, [New, Promising, Loyal, Champions, Champions]),
            (4, [New, Promising, Loyal, Champions, Champions]),
            (3, [Hibernating, Hibernating, Loyal, Loyal, Loyal]),
            (2, [Lost, Hibernating, AtRisk, AtRisk, CantLose]),
            (1, [Lost, Hibernating, AtRisk, AtRisk, CantLose]),
        ];
        for (r, row) in grid {
            for (f, segment) in (1..=5).zip(row) {
                assert_eq!(Segment::of(r, f), segment, "R{r} F{f}");
            }
        }
    }
}
