//! Timestamps as serde's chrono writes them (RFC 3339 in UTC, `Z`, with 0, 3, 6
//! or 9 digits of fraction as needed), computed with the civil-calendar
//! arithmetic of H. Hinnant's `days_from_civil` instead of chrono's formatting.

use chrono::{DateTime, Utc};

use super::{FromJson, Json, JsonError, JsonWriter, ToJson};
use crate::answer::UnixMillis;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn push_digits(out: &mut String, n: i64, width: usize) {
    let mut digits = [b'0'; 9];
    let mut n = n;
    for i in (0..width).rev() {
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits[..width].iter().map(|&d| char::from(d)));
}

/// Appends `t` as serde's chrono would (years 0000–9999).
pub fn write_timestamp(out: &mut String, t: &DateTime<Utc>) {
    write_instant(out, t.timestamp(), i64::from(t.timestamp_subsec_nanos()));
}

/// Appends the instant `secs` and `nanos` after 1970 as serde's chrono writes
/// it: by the arithmetic above, without chrono's calendar (its tables and
/// date code are 0.4 kB of the widget's brotli, which writes times only as
/// [`UnixMillis`]).
fn write_instant(out: &mut String, secs: i64, nanos: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    push_digits(out, y, 4);
    out.push('-');
    push_digits(out, m, 2);
    out.push('-');
    push_digits(out, d, 2);
    out.push('T');
    push_digits(out, s / 3600, 2);
    out.push(':');
    push_digits(out, s / 60 % 60, 2);
    out.push(':');
    push_digits(out, s % 60, 2);
    if nanos != 0 {
        out.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(out, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(out, nanos / 1_000, 6);
        } else {
            push_digits(out, nanos, 9);
        }
    }
    out.push('Z');
}

/// Reads an RFC 3339 timestamp (`2026-11-25T10:00:00.5+02:00`, `…Z`).
pub fn read_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let days_in_month = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b":") => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    DateTime::from_timestamp(secs, nanos as u32)
}

impl FromJson for DateTime<Utc> {
    fn from_json(v: &Json) -> Result<Self, JsonError> {
        v.as_str()
            .and_then(read_timestamp)
            .ok_or_else(|| JsonError("not an RFC 3339 timestamp".into()))
    }
}

impl ToJson for DateTime<Utc> {
    fn write_json(&self, w: &mut JsonWriter) {
        let mut s = String::with_capacity(32);
        write_timestamp(&mut s, self);
        w.string(&s);
    }
}

/// The last millisecond of year 9999: the last instant four digits of year
/// write.
const LAST_WRITTEN_MS: i64 = 253_402_300_799_999;

impl ToJson for UnixMillis {
    /// As a `DateTime` of the same instant is written, from 1970 to 9999: a
    /// clock outside them is written as their first or last instant, which
    /// the server refuses as too old or too far ahead (a year 12026 had been
    /// written as 2026, and taken).
    fn write_json(&self, w: &mut JsonWriter) {
        let mut s = String::with_capacity(32);
        let ms = self.0.clamp(0, LAST_WRITTEN_MS);
        let (secs, ms) = (ms.div_euclid(1000), ms.rem_euclid(1000));
        write_instant(&mut s, secs, ms * 1_000_000);
        w.string(&s);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn writes_every_timestamp_as_serde_does() {
        let mut t = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap();
        // Every 7 days and 13 hours and some nanos from 1970 to past 2100: every
        // month and leap year, with 0, 3, 6 and 9 digits of fraction.
        let mut k = 0i64;
        while t.timestamp() < 4_200_000_000 {
            let mut mine = String::new();
            write_timestamp(&mut mine, &t);
            assert_eq!(format!("\"{mine}\""), serde_json::to_string(&t).unwrap());
            assert_eq!(read_timestamp(&mine), Some(t), "{mine}");
            k += 1;
            let nanos = match k % 4 {
                0 => 0,
                1 => 123_000_000,
                2 => 4_560_000,
                _ => 789_123_457,
            };
            t = Utc
                .timestamp_opt(t.timestamp() + 7 * 86_400 + 13 * 3600 + k % 60, nanos)
                .unwrap();
        }
    }

    /// The widget's answers hold their time as milliseconds: written, they
    /// must read as the instant they name, as a `DateTime` of it is written.
    #[test]
    fn milliseconds_are_written_as_the_datetime_of_the_same_instant() {
        // Every 3 days, 5 hours and some milliseconds from 1970 to past 2100,
        // with and without a fraction.
        let mut ms = 0i64;
        let mut k = 0i64;
        while ms < 4_200_000_000_000 {
            let t = DateTime::from_timestamp_millis(ms).unwrap();
            assert_eq!(UnixMillis(ms).to_json(), t.to_json(), "{t}");
            assert_eq!(UnixMillis(ms).to_json(), serde_json::to_string(&t).unwrap());
            k += 1;
            ms += 3 * 86_400_000 + 5 * 3_600_000 + [0, 1, 120, 999][k as usize % 4];
        }
    }

    #[test]
    fn a_clock_past_the_years_written_is_written_as_their_end() {
        for (ms, written) in [
            (-1, "\"1970-01-01T00:00:00Z\""),
            (i64::MIN, "\"1970-01-01T00:00:00Z\""),
            (LAST_WRITTEN_MS, "\"9999-12-31T23:59:59.999Z\""),
            (LAST_WRITTEN_MS + 1, "\"9999-12-31T23:59:59.999Z\""),
            (i64::MAX, "\"9999-12-31T23:59:59.999Z\""),
        ] {
            assert_eq!(UnixMillis(ms).to_json(), written, "{ms}");
        }
    }

    #[test]
    fn reads_offsets_and_refuses_what_is_not_a_timestamp() {
        let t = read_timestamp("2026-11-25T12:30:00.5+02:30").unwrap();
        assert_eq!(
            t,
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap() + Duration::milliseconds(500)
        );
        assert_eq!(
            read_timestamp("2024-02-29T23:59:59-01:00"),
            Some(Utc.with_ymd_and_hms(2024, 3, 1, 0, 59, 59).unwrap())
        );
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25T10:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00Zjunk",
            "2026-11-25T10:00:00+2:00",
            "２026-11-25T10:00:00Z",
        ] {
            assert_eq!(read_timestamp(bad), None, "{bad}");
        }
    }
}
