//! When to retry a failed sync: exponential backoff with full jitter, so that many
//! widgets coming back online at once do not all call the server in step.
//!
//! The failure count is reset after a successful sync (and on the browser's
//! `online` event), so the next failure starts again from [`BASE_MS`].

/// Ceiling of the first retry delay (1 second).
pub const BASE_MS: u64 = 1_000;
/// Longest delay between retries (5 minutes).
pub const CAP_MS: u64 = 300_000;

/// The ceiling for retry number `attempt` (0 for the first): `BASE_MS · 2^attempt`,
/// capped at [`CAP_MS`].
pub fn ceiling_ms(attempt: u32) -> u64 {
    BASE_MS.saturating_mul(1u64 << attempt.min(20)).min(CAP_MS)
}

/// The delay before retry number `attempt` (0 for the first), given `random` in
/// [0, 1): "full jitter", uniformly between 0 and [`ceiling_ms`]. Values of
/// `random` outside [0, 1] are clamped, so the delay never exceeds the ceiling.
pub fn delay_ms(attempt: u32, random: f64) -> u64 {
    let ceiling = ceiling_ms(attempt);
    let r = if random.is_nan() {
        0.0
    } else {
        random.clamp(0.0, 1.0)
    };
    ((ceiling as f64 * r) as u64).min(ceiling)
}

/// What is left of the server's "too many requests: wait `for_ms`", heard at
/// `since`, at `now` (ms by the browser's clock): none once it has passed, and
/// none when the clock reads before `since`, set back since or before 1970
/// (a wait measured by it had held every answer for weeks); the server says
/// so again if it must.
pub fn throttled_for(since: f64, for_ms: u32, now: f64) -> Option<u32> {
    let elapsed = now - since;
    (elapsed >= 0.0 && elapsed < f64::from(for_ms)).then(|| for_ms - elapsed as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_wait_holds_only_as_long_as_the_clock_says() {
        let at = 1_764_331_200_000.0;
        assert_eq!(throttled_for(at, 30_000, at), Some(30_000));
        assert_eq!(throttled_for(at, 30_000, at + 29_000.0), Some(1_000));
        assert_eq!(throttled_for(at, 30_000, at + 30_000.0), None);
        // Never throttled: a clock before 1970 had read as a wait of weeks.
        assert_eq!(throttled_for(0.0, 0, -160_000_000_000.0), None);
        assert_eq!(throttled_for(0.0, 0, at), None);
        // The clock set back after a 429: not held by it.
        assert_eq!(throttled_for(at, 30_000, at - 86_400_000.0), None);
    }

    #[test]
    fn ceilings_double_from_one_second_up_to_five_minutes() {
        assert_eq!(ceiling_ms(0), 1_000);
        assert_eq!(ceiling_ms(1), 2_000);
        assert_eq!(ceiling_ms(3), 8_000);
        assert_eq!(ceiling_ms(8), 256_000);
        assert_eq!(ceiling_ms(9), CAP_MS);
        assert_eq!(ceiling_ms(30), CAP_MS);
        assert_eq!(ceiling_ms(u32::MAX), CAP_MS);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        assert_eq!(delay_ms(0, 0.0), 0);
        assert_eq!(delay_ms(0, 0.5), 500);
        assert_eq!(delay_ms(0, 0.999_999), 999);
        assert_eq!(delay_ms(4, 0.5), 8_000);
        assert_eq!(delay_ms(u32::MAX, 1.0), CAP_MS);
        for attempt in 0..40 {
            for r in [0.0, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0] {
                let d = delay_ms(attempt, r);
                assert!(d <= ceiling_ms(attempt), "attempt {attempt}, r {r}: {d}");
            }
        }
    }

    #[test]
    fn odd_random_values_are_clamped() {
        assert_eq!(delay_ms(2, -1.0), 0);
        assert_eq!(delay_ms(2, 7.0), 4_000);
        assert_eq!(delay_ms(2, f64::NAN), 0);
    }
}
