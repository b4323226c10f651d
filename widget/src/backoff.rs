//! When to retry a failed sync: exponential backoff with jitter, so that many
//! widgets coming back online at once do not all call the server in step.

/// First retry delay.
pub const BASE_MS: u64 = 1_000;
/// Longest delay between retries (5 minutes).
pub const CAP_MS: u64 = 300_000;

/// The delay before retry number `attempt` (0 for the first), given `random` in
/// [0, 1): "equal jitter", uniformly between half and all of `BASE_MS · 2^attempt`
/// (capped at `CAP_MS`), so a retry never comes at once nor later than the cap.
pub fn delay_ms(attempt: u32, random: f64) -> u64 {
    let ceiling = BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(CAP_MS);
    let half = ceiling / 2;
    half + (half as f64 * random.clamp(0.0, 1.0)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_second_up_to_five_minutes() {
        assert_eq!((delay_ms(0, 0.0), delay_ms(0, 0.999_999)), (500, 999));
        assert_eq!((delay_ms(1, 0.0), delay_ms(3, 0.0)), (1_000, 4_000));
        assert_eq!(delay_ms(30, 0.0), CAP_MS / 2);
        assert!(delay_ms(u32::MAX, 1.0) <= CAP_MS);
    }

    #[test]
    fn jitter_stays_within_half_to_full_ceiling() {
        for attempt in 0..12 {
            let ceiling = (BASE_MS << attempt).min(CAP_MS);
            for r in [0.0, 0.25, 0.5, 0.75, 0.999] {
                let d = delay_ms(attempt, r);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "attempt {attempt}, r {r}: {d}"
                );
            }
        }
    }
}
