//! The built-in scheduling engine: which start times are free, and who gets an "any
//! available" booking. Pure functions over schedules and reservations; the store and the
//! scheduler feed them.
//!
//! Working hours are local to each provider (who may live in another zone than the
//! tenant); the day a customer asks about is local to the tenant. Both conversions go
//! through `chrono-tz`, so DST days have 23 or 25 hours and a start in a spring-forward gap
//! simply does not exist.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use slotline_shared::catalog::ProviderId;
use slotline_shared::zone::{Fold, to_utc};

use crate::model::{DateOverride, Interval, Weekly};

/// A provider's working time.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Who.
    pub provider: ProviderId,
    /// Their zone.
    pub zone: Tz,
    /// Weekly hours.
    pub weekly: Weekly,
    /// Date overrides by local date.
    pub overrides: HashMap<NaiveDate, Vec<Interval>>,
    /// Most bookings per (tenant-local) day.
    pub max_per_day: Option<u32>,
}

impl Schedule {
    /// A schedule from stored parts.
    pub fn new(
        provider: ProviderId,
        zone: Tz,
        weekly: Weekly,
        overrides: &[DateOverride],
        max_per_day: Option<u32>,
    ) -> Self {
        Self {
            provider,
            zone,
            weekly,
            overrides: overrides
                .iter()
                .map(|o| (o.date, o.intervals.clone()))
                .collect(),
            max_per_day,
        }
    }

    /// Working intervals on local date `date`, in UTC.
    fn intervals_on(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let local = match self.overrides.get(&date) {
            Some(intervals) => intervals.as_slice(),
            None => self.weekly.day(date.weekday()),
        };
        local
            .iter()
            .filter_map(|i| {
                // The earlier reading of a repeated hour for starts, the later for ends.
                let start = to_utc(self.zone, date.and_time(i.start), Fold::Earlier);
                let end = to_utc(self.zone, date.and_time(i.end), Fold::Later);
                (end > start).then_some((start, end))
            })
            .collect()
    }
}

/// The UTC bounds of local day `day` in `zone`.
pub fn day_bounds(zone: Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| {
        to_utc(
            zone,
            d.and_hms_opt(0, 0, 0).unwrap_or_default(),
            Fold::Earlier,
        )
    };
    (midnight(day), midnight(day.succ_opt().unwrap_or(day)))
}

/// Time a reservation blocks for one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Blocked from (buffer included).
    pub start: DateTime<Utc>,
    /// Blocked until (buffer included).
    pub end: DateTime<Utc>,
    /// When the reservation itself starts, for the per-day limit.
    pub booked_start: DateTime<Utc>,
}

/// What is being booked and under which rules.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// Service duration.
    pub duration: Duration,
    /// Kept free before.
    pub buffer_before: Duration,
    /// Kept free after.
    pub buffer_after: Duration,
    /// Offer a start every this long.
    pub step: Duration,
    /// The tenant's zone (days are the tenant's).
    pub tenant_zone: Tz,
    /// Now.
    pub now: DateTime<Utc>,
    /// Earliest start allowed (now + minimum notice).
    pub earliest: DateTime<Utc>,
    /// Latest start allowed (now + booking window).
    pub latest: DateTime<Utc>,
}

impl Request {
    /// The time a booking starting at `start` blocks.
    pub fn block(&self, start: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            start - self.buffer_before,
            start + self.duration + self.buffer_after,
        )
    }
}

/// Free start times for one provider on tenant-local day `day`.
pub fn free_starts(
    req: &Request,
    schedule: &Schedule,
    busy: &[Busy],
    day: NaiveDate,
) -> Vec<DateTime<Utc>> {
    let (day_start, day_end) = day_bounds(req.tenant_zone, day);
    if let Some(max) = schedule.max_per_day {
        let that_day = busy
            .iter()
            .filter(|b| b.booked_start >= day_start && b.booked_start < day_end)
            .count();
        if that_day >= max as usize {
            return Vec::new();
        }
    }
    let mut out = Vec::new();
    // The provider's local dates that can overlap the tenant's day.
    let first = day.pred_opt().unwrap_or(day);
    for offset in 0..3 {
        let Some(date) = first.checked_add_days(chrono::Days::new(offset)) else {
            continue;
        };
        for (open, close) in schedule.intervals_on(date) {
            let mut start = open;
            while start + req.duration <= close {
                let candidate = start;
                start += req.step;
                if candidate < day_start || candidate >= day_end {
                    continue;
                }
                if candidate < req.earliest || candidate > req.latest {
                    continue;
                }
                let (block_start, block_end) = req.block(candidate);
                if busy
                    .iter()
                    .any(|b| b.start < block_end && block_start < b.end)
                {
                    continue;
                }
                out.push(candidate);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How busy a provider has been, for fair round robin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// Who.
    pub provider: ProviderId,
    /// Relative share (higher gets more).
    pub weight: u32,
    /// Bookings and live holds over the recent period.
    pub recent: u32,
    /// When they were last booked, if ever.
    pub last_booked: Option<DateTime<Utc>>,
}

/// Orders free providers for an "any available" booking: fewest recent bookings per unit of
/// weight first, then least recently booked (never booked first), then by id so the order
/// is deterministic. Returns the order and a sentence explaining the first choice.
pub fn fair_order(mut loads: Vec<Load>) -> (Vec<ProviderId>, String) {
    // Compare recent/weight without division: a/w1 < b/w2 ⇔ a·w2 < b·w1.
    loads.sort_by(|a, b| {
        let left = u64::from(a.recent) * u64::from(b.weight.max(1));
        let right = u64::from(b.recent) * u64::from(a.weight.max(1));
        left.cmp(&right)
            .then_with(|| a.last_booked.cmp(&b.last_booked))
            .then_with(|| a.provider.cmp(&b.provider))
    });
    let reason = match loads.first() {
        Some(first) => format!(
            "picked {} ({} recent bookings at weight {}, last booked {}) among {} free",
            first.provider,
            first.recent,
            first.weight,
            first
                .last_booked
                .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
            loads.len()
        ),
        None => "no provider free".to_owned(),
    };
    (loads.into_iter().map(|l| l.provider).collect(), reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone, Timelike};

    const MADRID: Tz = chrono_tz::Europe::Madrid;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(zone: Tz, y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        zone.with_ymd_and_hms(y, mo, day, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn weekdays(intervals: &[Interval]) -> Weekly {
        Weekly {
            mon: intervals.to_vec(),
            tue: intervals.to_vec(),
            wed: intervals.to_vec(),
            thu: intervals.to_vec(),
            fri: intervals.to_vec(),
            sat: Vec::new(),
            sun: Vec::new(),
        }
    }

    fn everyday(intervals: &[Interval]) -> Weekly {
        let mut w = weekdays(intervals);
        w.sat = intervals.to_vec();
        w.sun = intervals.to_vec();
        w
    }

    fn schedule(weekly: Weekly) -> Schedule {
        Schedule::new("ana".into(), MADRID, weekly, &[], None)
    }

    /// Monday 23 November 2026, 08:00 in Madrid; no notice, a long window, 30-minute steps.
    fn request(minutes: i64) -> Request {
        let now = at(MADRID, 2026, 11, 23, 8, 0);
        Request {
            duration: Duration::minutes(minutes),
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            step: Duration::minutes(30),
            tenant_zone: MADRID,
            now,
            earliest: now,
            latest: now + Duration::days(60),
        }
    }

    fn local_times(starts: &[DateTime<Utc>], zone: Tz) -> Vec<String> {
        starts
            .iter()
            .map(|s| {
                let t = s.with_timezone(&zone).time();
                format!("{:02}:{:02}", t.hour(), t.minute())
            })
            .collect()
    }

    fn busy(start: DateTime<Utc>, minutes: i64) -> Busy {
        Busy {
            start,
            end: start + Duration::minutes(minutes),
            booked_start: start,
        }
    }

    #[test]
    fn opening_hours_alone() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (11, 0))]));
        let starts = free_starts(&request(30), &s, &[], d(2026, 11, 24));
        assert_eq!(
            local_times(&starts, MADRID),
            ["09:00", "09:30", "10:00", "10:30"]
        );
    }

    #[test]
    fn a_service_must_fit_before_closing() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (11, 0))]));
        let starts = free_starts(&request(90), &s, &[], d(2026, 11, 24));
        assert_eq!(local_times(&starts, MADRID), ["09:00", "09:30"]);
    }

    #[test]
    fn breaks_are_gaps_between_intervals() {
        let s = schedule(weekdays(&[
            Interval::hm((9, 0), (10, 0)),
            Interval::hm((11, 0), (12, 0)),
        ]));
        let starts = free_starts(&request(30), &s, &[], d(2026, 11, 24));
        assert_eq!(
            local_times(&starts, MADRID),
            ["09:00", "09:30", "11:00", "11:30"]
        );
    }

    #[test]
    fn closed_days_have_nothing() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (17, 0))]));
        assert!(free_starts(&request(30), &s, &[], d(2026, 11, 29)).is_empty());
    }

    #[test]
    fn a_day_off_override_closes_a_working_day_and_extra_hours_open_a_closed_one() {
        let overrides = [
            DateOverride {
                date: d(2026, 11, 24),
                intervals: vec![],
                note: Some("holiday".into()),
            },
            DateOverride {
                date: d(2026, 11, 28),
                intervals: vec![Interval::hm((10, 0), (11, 0))],
                note: None,
            },
        ];
        let s = Schedule::new(
            "ana".into(),
            MADRID,
            weekdays(&[Interval::hm((9, 0), (17, 0))]),
            &overrides,
            None,
        );
        assert!(free_starts(&request(30), &s, &[], d(2026, 11, 24)).is_empty());
        let sat = free_starts(&request(30), &s, &[], d(2026, 11, 28));
        assert_eq!(local_times(&sat, MADRID), ["10:00", "10:30"]);
    }

    #[test]
    fn bookings_block_their_time() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (11, 0))]));
        let b = [busy(at(MADRID, 2026, 11, 24, 9, 30), 30)];
        let starts = free_starts(&request(30), &s, &b, d(2026, 11, 24));
        assert_eq!(local_times(&starts, MADRID), ["09:00", "10:00", "10:30"]);
    }

    #[test]
    fn buffers_keep_time_free_around_a_booking() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (12, 0))]));
        let mut req = request(30);
        req.buffer_before = Duration::minutes(15);
        req.buffer_after = Duration::minutes(15);
        // Someone is booked 10:30–11:00 (blocked with their own buffers 10:15–11:15).
        let b = [Busy {
            start: at(MADRID, 2026, 11, 24, 10, 15),
            end: at(MADRID, 2026, 11, 24, 11, 15),
            booked_start: at(MADRID, 2026, 11, 24, 10, 30),
        }];
        let starts = free_starts(&req, &s, &b, d(2026, 11, 24));
        // 10:00 would block 09:45–10:45, 11:00 would block 10:45–11:45: both collide.
        assert_eq!(local_times(&starts, MADRID), ["09:00", "09:30", "11:30"]);
    }

    #[test]
    fn minimum_notice_and_booking_window() {
        let s = schedule(everyday(&[Interval::hm((9, 0), (12, 0))]));
        let mut req = request(30);
        req.now = at(MADRID, 2026, 11, 23, 9, 10);
        req.earliest = req.now + Duration::minutes(60);
        req.latest = req.now + Duration::days(2);
        let today = free_starts(&req, &s, &[], d(2026, 11, 23));
        assert_eq!(local_times(&today, MADRID), ["10:30", "11:00", "11:30"]);
        let last = free_starts(&req, &s, &[], d(2026, 11, 25));
        assert_eq!(local_times(&last, MADRID), ["09:00"]);
        assert!(free_starts(&req, &s, &[], d(2026, 11, 26)).is_empty());
    }

    #[test]
    fn the_daily_maximum_closes_the_day_once_reached() {
        let mut s = schedule(weekdays(&[Interval::hm((9, 0), (17, 0))]));
        s.max_per_day = Some(2);
        let b = [
            busy(at(MADRID, 2026, 11, 24, 9, 0), 30),
            busy(at(MADRID, 2026, 11, 24, 15, 0), 30),
        ];
        assert!(free_starts(&request(30), &s, &b, d(2026, 11, 24)).is_empty());
        assert!(!free_starts(&request(30), &s, &b[..1], d(2026, 11, 24)).is_empty());
        assert!(!free_starts(&request(30), &s, &b, d(2026, 11, 25)).is_empty());
    }

    #[test]
    fn a_fully_booked_day_has_nothing() {
        let s = schedule(weekdays(&[Interval::hm((9, 0), (10, 0))]));
        let b = [busy(at(MADRID, 2026, 11, 24, 9, 0), 60)];
        assert!(free_starts(&request(30), &s, &b, d(2026, 11, 24)).is_empty());
    }

    #[test]
    fn spring_forward_day_skips_the_missing_hour() {
        // Madrid, Sunday 28 March 2027: 02:00 jumps to 03:00.
        let s = schedule(everyday(&[Interval::hm((1, 0), (4, 0))]));
        let mut req = request(30);
        req.now = at(MADRID, 2027, 3, 27, 0, 0);
        req.earliest = req.now;
        req.latest = req.now + Duration::days(10);
        let starts = free_starts(&req, &s, &[], d(2027, 3, 28));
        assert_eq!(
            local_times(&starts, MADRID),
            ["01:00", "01:30", "03:00", "03:30"]
        );
        let (start, end) = day_bounds(MADRID, d(2027, 3, 28));
        assert_eq!(end - start, Duration::hours(23));
    }

    #[test]
    fn fall_back_day_offers_the_repeated_hour_by_the_clock() {
        // Madrid, Sunday 31 October 2027: 03:00 falls back to 02:00.
        let s = schedule(everyday(&[Interval::hm((1, 0), (4, 0))]));
        let mut req = request(60);
        req.step = Duration::minutes(60);
        req.now = at(MADRID, 2027, 10, 30, 0, 0);
        req.earliest = req.now;
        req.latest = req.now + Duration::days(10);
        let starts = free_starts(&req, &s, &[], d(2027, 10, 31));
        // 01:00 to 04:00 local is four real hours: 01, 02 (summer), 02 (winter), 03.
        assert_eq!(
            local_times(&starts, MADRID),
            ["01:00", "02:00", "02:00", "03:00"]
        );
        let (start, end) = day_bounds(MADRID, d(2027, 10, 31));
        assert_eq!(end - start, Duration::hours(25));
    }

    #[test]
    fn a_provider_in_another_zone_works_their_own_hours() {
        // A Lisbon provider works 09:00–11:00 Lisbon time = 10:00–12:00 Madrid time.
        let mut s = schedule(weekdays(&[Interval::hm((9, 0), (11, 0))]));
        s.zone = chrono_tz::Europe::Lisbon;
        let starts = free_starts(&request(60), &s, &[], d(2026, 11, 24));
        assert_eq!(local_times(&starts, MADRID), ["10:00", "10:30", "11:00"]);
    }

    #[test]
    fn late_hours_abroad_land_on_the_tenants_next_day() {
        // New York 20:00–22:00 is 02:00–04:00 the next day in Madrid.
        let mut s = schedule(everyday(&[Interval::hm((20, 0), (22, 0))]));
        s.zone = chrono_tz::America::New_York;
        let starts = free_starts(&request(60), &s, &[], d(2026, 11, 25));
        assert_eq!(local_times(&starts, MADRID), ["02:00", "02:30", "03:00"]);
    }

    #[test]
    fn rules_combine() {
        let overrides = [DateOverride {
            date: d(2026, 11, 24),
            intervals: vec![Interval::hm((14, 0), (16, 0))],
            note: None,
        }];
        let mut s = Schedule::new(
            "ana".into(),
            MADRID,
            weekdays(&[Interval::hm((9, 0), (17, 0))]),
            &overrides,
            Some(3),
        );
        s.max_per_day = Some(3);
        let mut req = request(30);
        req.buffer_after = Duration::minutes(30);
        let b = [busy(at(MADRID, 2026, 11, 24, 14, 30), 30)];
        let starts = free_starts(&req, &s, &b, d(2026, 11, 24));
        // 14:00 would block until 15:00 (with buffer): collides. 15:00 and 15:30 are free.
        assert_eq!(local_times(&starts, MADRID), ["15:00", "15:30"]);
        assert_eq!(
            starts[0].with_timezone(&MADRID).time(),
            NaiveTime::from_hms_opt(15, 0, 0).unwrap()
        );
    }

    #[test]
    fn fair_order_prefers_the_least_loaded_then_least_recent_then_id() {
        let t = |h| Some(at(MADRID, 2026, 11, 20, h, 0));
        let load = |p: &str, weight, recent, last| Load {
            provider: p.into(),
            weight,
            recent,
            last_booked: last,
        };
        let (order, reason) = fair_order(vec![
            load("carla", 1, 2, t(9)),
            load("bea", 1, 1, t(12)),
            load("ana", 1, 1, t(10)),
            load("dora", 1, 1, None),
        ]);
        let ids: Vec<&str> = order.iter().map(|p| p.as_str()).collect();
        assert_eq!(ids, ["dora", "ana", "bea", "carla"]);
        assert!(
            reason.contains("picked dora") && reason.contains("never"),
            "{reason}"
        );
    }

    #[test]
    fn weights_give_a_heavier_provider_more() {
        let load = |p: &str, weight, recent| Load {
            provider: p.into(),
            weight,
            recent,
            last_booked: None,
        };
        // Ana at weight 2 with 3 bookings (1.5 each) goes before Bea at weight 1 with 2.
        let (order, _) = fair_order(vec![load("bea", 1, 2), load("ana", 2, 3)]);
        assert_eq!(order[0].as_str(), "ana");
        let (order, _) = fair_order(vec![load("bea", 1, 1), load("ana", 2, 3)]);
        assert_eq!(order[0].as_str(), "bea");
    }
}
