//! A tenant's time zone as the conversation needs it: a name and its UTC offsets over a
//! window of time.
//!
//! The full time-zone database is a megabyte of data; the edge worker does not carry it.
//! The bridge, which has it, computes the offsets a tenant's zone will have over the booking
//! window ([`Zone::from_tz`], feature `tzdb`) and ships them with the tenant's profile. Local
//! times are then a lookup and an addition.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// A time zone over a window: the offset in force from each instant on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// The IANA name, e.g. `Europe/Madrid`.
    pub name: String,
    /// `(from, offset)`: from this Unix second on, local time is UTC plus `offset` seconds.
    /// Sorted by `from`; the first entry also covers everything before it. (Seconds stay
    /// within ±2⁵³ so the JSON survives JavaScript numbers at the edge.)
    pub offsets: Vec<(i64, i32)>,
}

impl Zone {
    /// A zone with one offset forever (UTC is `Zone::fixed("UTC", 0)`).
    pub fn fixed(name: &str, offset_secs: i32) -> Zone {
        Zone {
            name: name.to_owned(),
            offsets: vec![(0, offset_secs)],
        }
    }

    /// The offset in force at `t`, in seconds east of UTC.
    pub fn offset_at(&self, t: DateTime<Utc>) -> i32 {
        let secs = t.timestamp();
        let i = self.offsets.partition_point(|(from, _)| *from <= secs);
        self.offsets
            .get(i.saturating_sub(1))
            .map_or(0, |(_, offset)| *offset)
    }

    /// The local date and time at `t`.
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        (t + Duration::seconds(i64::from(self.offset_at(t)))).naive_utc()
    }

    /// The local date at `t`.
    pub fn date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date()
    }

    /// The zone's offsets between `from` and `to`, from the time-zone database.
    #[cfg(any(test, feature = "tzdb"))]
    pub fn from_tz(tz: chrono_tz::Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Zone {
        use chrono::Offset;
        let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().fix().local_minus_utc();
        let mut offsets = vec![(from.timestamp(), offset(from))];
        let mut t = from;
        // Offsets change at most a few times a year and never twice within an hour: walk
        // hourly, then narrow each change down to the second.
        while t < to {
            let next = t + Duration::hours(1);
            if offset(next) != offset(t) {
                let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    let at = DateTime::from_timestamp(mid, 0).unwrap_or(t);
                    if offset(at) == offset(t) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let at = DateTime::from_timestamp(hi, 0).unwrap_or(next);
                offsets.push((hi, offset(at)));
            }
            t = next;
        }
        Zone {
            name: tz.name().to_owned(),
            offsets,
        }
    }
}

/// Which reading of a wall-clock time that happens twice (the hour repeated when clocks
/// go back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// The first time the clock shows it: for the start of something.
    Earlier,
    /// The second time: for the end of something, so a shift that ends in the repeated
    /// hour keeps all of it.
    Later,
}

/// The instant a wall-clock time in `tz` stands for: the one rule for every local time the
/// platform turns into UTC (opening hours, reminders, day bounds). A time the clocks skip
/// (the hour lost when they go forward) becomes the first instant after the gap, when the
/// clock first reads past it; a repeated one takes the reading `fold` picks.
#[cfg(any(test, feature = "tzdb"))]
pub fn to_utc(tz: chrono_tz::Tz, local: NaiveDateTime, fold: Fold) -> DateTime<Utc> {
    use chrono::{LocalResult, TimeZone};
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, late) => match fold {
            Fold::Earlier => early.with_timezone(&Utc),
            Fold::Later => late.with_timezone(&Utc),
        },
        LocalResult::None => {
            // Gaps are an hour or two at most; the first valid minute ends this one. The
            // offset before the gap reads `local` as an instant inside it, which is where
            // a zone without a valid minute nearby (none exists) would fall back to.
            (1..=180)
                .find_map(|m| {
                    tz.from_local_datetime(&(local + Duration::minutes(m)))
                        .earliest()
                        .map(|t| t.with_timezone(&Utc))
                })
                .unwrap_or_else(|| local.and_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn one_rule_turns_wall_clock_times_into_instants_across_dst() {
        let madrid = chrono_tz::Europe::Madrid;
        let at = |d: u32, m: u32, h: u32, min: u32| {
            NaiveDate::from_ymd_opt(2026, m, d)
                .unwrap()
                .and_hms_opt(h, min, 0)
                .unwrap()
        };
        let utc =
            |m: u32, d: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        // 29 March: 02:00 jumps to 03:00. 02:30 does not exist; 03:00 (01:00 UTC) is next.
        assert_eq!(
            to_utc(madrid, at(29, 3, 2, 30), Fold::Earlier),
            utc(3, 29, 1, 0)
        );
        // 25 October: 02:00–03:00 happens twice, at +02:00 and then +01:00.
        assert_eq!(
            to_utc(madrid, at(25, 10, 2, 30), Fold::Earlier),
            utc(10, 25, 0, 30)
        );
        assert_eq!(
            to_utc(madrid, at(25, 10, 2, 30), Fold::Later),
            utc(10, 25, 1, 30)
        );
        assert_eq!(
            to_utc(madrid, at(1, 12, 10, 0), Fold::Later),
            utc(12, 1, 9, 0)
        );
    }

    #[test]
    fn the_offsets_match_the_database_across_both_dst_changes() {
        let tz = chrono_tz::Europe::Madrid;
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let zone = Zone::from_tz(tz, from, from + Duration::days(400));
        assert_eq!(zone.name, "Europe/Madrid");
        // Winter, the spring-forward change and the fall-back change: three offsets.
        assert_eq!(zone.offsets.len(), 3, "{:?}", zone.offsets);
        let mut t = from;
        while t < from + Duration::days(400) {
            assert_eq!(zone.local(t), t.with_timezone(&tz).naive_local(), "at {t}");
            t += Duration::minutes(37);
        }
        let just_before = Utc.with_ymd_and_hms(2027, 3, 28, 0, 59, 59).unwrap();
        assert_eq!(zone.offset_at(just_before), 3600);
        assert_eq!(zone.offset_at(just_before + Duration::seconds(1)), 7200);
    }

    #[test]
    fn a_fixed_zone_has_one_offset() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 23, 30, 0).unwrap();
        assert_eq!(
            Zone::fixed("UTC", 0).date(t),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
        assert_eq!(
            Zone::fixed("+01", 3600).date(t),
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
    }

    #[test]
    fn a_zone_survives_json() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let zone = Zone::from_tz(
            chrono_tz::America::Sao_Paulo,
            from,
            from + Duration::days(30),
        );
        let json = serde_json::to_string(&zone).unwrap();
        assert_eq!(serde_json::from_str::<Zone>(&json).unwrap(), zone);
    }
}
