//! Dates and times as customers write them, resolved against the business's today.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use super::{DateWish, DayPart, TimeWish, has_phrase, words};

const WEEKDAY_WORDS: &[(Weekday, &[&str])] = &[
    (Weekday::Mon, &["monday", "mon", "lunes", "segunda", "seg"]),
    (
        Weekday::Tue,
        &["tuesday", "tue", "tues", "martes", "terca", "ter"],
    ),
    (
        Weekday::Wed,
        &["wednesday", "wed", "miercoles", "quarta", "qua"],
    ),
    (
        Weekday::Thu,
        &["thursday", "thu", "thurs", "jueves", "quinta", "qui"],
    ),
    (Weekday::Fri, &["friday", "fri", "viernes", "sexta", "sex"]),
    (Weekday::Sat, &["saturday", "sat", "sabado", "sab"]),
    (Weekday::Sun, &["sunday", "sun", "domingo", "dom"]),
];

const MONTH_WORDS: &[&[&str]] = &[
    &["january", "jan", "enero", "ene", "janeiro"],
    &["february", "feb", "febrero", "fevereiro", "fev"],
    &["march", "mar", "marzo", "marco"],
    &["april", "apr", "abril", "abr"],
    &["may", "mayo", "maio", "mai"],
    &["june", "jun", "junio", "junho"],
    &["july", "jul", "julio", "julho"],
    &["august", "aug", "agosto", "ago"],
    &[
        "september",
        "sep",
        "sept",
        "septiembre",
        "setiembre",
        "setembro",
        "set",
    ],
    &["october", "oct", "octubre", "outubro", "out"],
    &["november", "nov", "noviembre", "novembro"],
    &["december", "dec", "diciembre", "dic", "dezembro", "dez"],
];

fn weekday_of(word: &str) -> Option<Weekday> {
    WEEKDAY_WORDS
        .iter()
        .find(|(_, names)| names.contains(&word))
        .map(|(d, _)| *d)
}

fn month_of(word: &str) -> Option<u32> {
    MONTH_WORDS
        .iter()
        .position(|names| names.contains(&word))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn day_number(word: &str) -> Option<u32> {
    let digits = word
        .trim_end_matches("st")
        .trim_end_matches("nd")
        .trim_end_matches("rd")
        .trim_end_matches("th")
        .trim_end_matches('o');
    digits.parse::<u32>().ok().filter(|d| (1..=31).contains(d))
}

/// The next date on or after `today` with this month and day (this year or next).
fn upcoming(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

fn add_days(date: NaiveDate, days: u64) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(days))
}

/// Morning words that must not be read as "tomorrow" (Spanish "mañana" is both).
fn spanish_morning(norm: &str) -> bool {
    [
        "la manana",
        "por la manana",
        "de la manana",
        "en la manana",
        "esta manana",
    ]
    .iter()
    .any(|p| has_phrase(norm, p))
}

/// The date the text names, resolved against `today`.
pub fn date(norm: &str, today: NaiveDate) -> Option<DateWish> {
    let ws = words(norm);
    if has_phrase(norm, "day after tomorrow")
        || has_phrase(norm, "pasado manana")
        || has_phrase(norm, "depois de amanha")
    {
        return add_days(today, 2).map(DateWish::On);
    }
    if ws
        .iter()
        .any(|w| ["today", "hoy", "hoje", "tonight"].contains(w))
    {
        return Some(DateWish::On(today));
    }
    let tomorrow_es = has_phrase(norm, "manana") && !spanish_morning(norm)
        || has_phrase(norm, "manana por la manana")
        || has_phrase(norm, "manana a la manana");
    if ws
        .iter()
        .any(|w| ["tomorrow", "tmrw", "tmr", "amanha"].contains(w))
        || tomorrow_es
    {
        return add_days(today, 1).map(DateWish::On);
    }
    // Numeric: 21/11, 21/11/2026, 21/11/26.
    for w in &ws {
        let parts: Vec<&str> = w.split('/').collect();
        if parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            let (a, b) = (parts[0].parse::<u32>().ok()?, parts[1].parse::<u32>().ok()?);
            // Day first, as everywhere but the US; a first number over 12 settles it anyway,
            // and a second one over 12 means the writer put the month first.
            let (day, month) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
            let dated = match parts.get(2).and_then(|y| y.parse::<i32>().ok()) {
                Some(y) => {
                    let year = if y < 100 { 2000 + y } else { y };
                    NaiveDate::from_ymd_opt(year, month, day)
                }
                None => upcoming(today, month, day),
            };
            if let Some(d) = dated {
                return Some(DateWish::On(d));
            }
        }
    }
    // Month names: "nov 25", "25 nov", "25th of november", "25 de noviembre".
    for (i, w) in ws.iter().enumerate() {
        let Some(month) = month_of(w) else { continue };
        // "mar" is also Spanish for Tuesday's short form and "sex"/"set" are ambiguous: only
        // accept a month word next to a day number.
        let before = i
            .checked_sub(1)
            .and_then(|j| ws.get(j))
            .copied()
            .filter(|p| ["de", "of"].contains(p))
            .map_or(i.checked_sub(1), |_| i.checked_sub(2))
            .and_then(|j| ws.get(j))
            .and_then(|p| day_number(p));
        let after = ws.get(i + 1).and_then(|n| day_number(n));
        if let Some(day) = after.or(before)
            && let Some(d) = upcoming(today, month, day)
        {
            return Some(DateWish::On(d));
        }
    }
    // Weekdays, with "next"/"this".
    for (i, w) in ws.iter().enumerate() {
        let Some(day) = weekday_of(w) else { continue };
        // Short forms double as other words ("sex", "sun", "mar"): take them only when the
        // sentence is short or they follow a date-ish word.
        let short = w.len() <= 3;
        let prev = i.checked_sub(1).and_then(|j| ws.get(j)).copied();
        let next_word = matches!(prev, Some("next" | "proximo" | "proxima"))
            || has_phrase(norm, &format!("{w} que vem"));
        let this_word = matches!(
            prev,
            Some("this" | "este" | "esta" | "on" | "el" | "na" | "no")
        );
        if short && !(next_word || this_word || ws.len() <= 2) {
            continue;
        }
        let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        let first = add_days(today, u64::from(ahead))?;
        if next_word {
            // "next Friday" said on a Friday is a week away; said on any other day it may
            // mean the coming one or the one after: ask.
            if ahead == 0 {
                return add_days(today, 7).map(DateWish::On);
            }
            let second = add_days(first, 7)?;
            return Some(DateWish::OneOf(vec![first, second]));
        }
        return Some(DateWish::On(first));
    }
    None
}

/// The time preference the text names.
pub fn time(norm: &str) -> Option<TimeWish> {
    let ws = words(norm);
    let pm_marker = [
        "pm",
        "p m",
        "de la tarde",
        "da tarde",
        "de la noche",
        "da noite",
        "a noite",
        "evening",
        "tonight",
    ]
    .iter()
    .any(|p| has_phrase(norm, p));
    let am_marker = [
        "am",
        "a m",
        "de la manana",
        "da manha",
        "de manha",
        "in the morning",
    ]
    .iter()
    .any(|p| has_phrase(norm, p));
    for (i, w) in ws.iter().enumerate() {
        let Some((hour, minute, explicit)) = clock(w, ws.get(i + 1).copied()) else {
            continue;
        };
        let prev = i
            .checked_sub(1)
            .and_then(|j| ws.get(j))
            .copied()
            .unwrap_or("");
        let prev2 = i
            .checked_sub(2)
            .and_then(|j| ws.get(j))
            .copied()
            .unwrap_or("");
        // A bare number only counts as a time after "at", "a las", "às" and the like.
        let introduced = [
            "at", "around", "after", "before", "from", "las", "as", "las", "a", "from", "til",
            "until", "by",
        ]
        .contains(&prev)
            || [
                "despues de",
                "antes de",
                "depois das",
                "antes das",
                "a partir",
            ]
            .contains(&format!("{prev2} {prev}").as_str());
        if !explicit && !introduced {
            continue;
        }
        let hour = adjust_hour(hour, explicit, pm_marker, am_marker);
        let t = NaiveTime::from_hms_opt(hour, minute, 0)?;
        let after = prev == "after"
            || prev == "from"
            || format!("{prev2} {prev}") == "despues de"
            || (prev == "las" && prev2 == "de" && i >= 3 && ws[i - 3] == "despues")
            || (prev == "das" && prev2 == "depois")
            || (prev == "partir" && prev2 == "a");
        let before = prev == "before"
            || (prev == "de" && prev2 == "antes")
            || (prev == "las" && prev2 == "de" && i >= 3 && ws[i - 3] == "antes")
            || (prev == "das" && prev2 == "antes");
        return Some(if after {
            TimeWish::After(t)
        } else if before {
            TimeWish::Before(t)
        } else {
            TimeWish::At(t)
        });
    }
    if [
        "morning",
        "por la manana",
        "de la manana",
        "la manana",
        "manha",
        "de manha",
    ]
    .iter()
    .any(|p| has_phrase(norm, p))
    {
        return Some(TimeWish::Part(DayPart::Morning));
    }
    if ["afternoon", "tarde"].iter().any(|p| has_phrase(norm, p)) {
        return Some(TimeWish::Part(DayPart::Afternoon));
    }
    if ["evening", "night", "tonight", "noche", "noite"]
        .iter()
        .any(|p| has_phrase(norm, p))
    {
        return Some(TimeWish::Part(DayPart::Evening));
    }
    None
}

/// Reads "15:00", "3pm", "3:30pm", "15h", "15h30", "10am", or a bare "3"; returns hour,
/// minute and whether the form was explicit about being a time.
fn clock(word: &str, next: Option<&str>) -> Option<(u32, u32, bool)> {
    let (body, suffix_pm, suffix_am) = if let Some(b) = word.strip_suffix("pm") {
        (b, true, false)
    } else if let Some(b) = word.strip_suffix("am") {
        (b, false, true)
    } else {
        (word, false, false)
    };
    let next_is_meridiem = matches!(next, Some("pm" | "am" | "h" | "hs" | "horas"));
    // "15:30" and "15h30" mark the hour the same way.
    let (h, m, marked) = if let Some((h, m)) = body.split_once([':', 'h']) {
        (h, m, true)
    } else {
        (body, "", suffix_pm || suffix_am || next_is_meridiem)
    };
    if h.is_empty()
        || !h.bytes().all(|b| b.is_ascii_digit())
        || !m.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let hour: u32 = h.parse().ok()?;
    let minute: u32 = if m.is_empty() { 0 } else { m.parse().ok()? };
    if hour > 23 || minute > 59 || m.len() > 2 {
        return None;
    }
    let hour = match (
        suffix_pm || next == Some("pm"),
        suffix_am || next == Some("am"),
    ) {
        (true, _) if hour < 12 => hour + 12,
        (_, true) if hour == 12 => 0,
        _ => hour,
    };
    let explicit = marked || suffix_pm || suffix_am;
    Some((hour, minute, explicit || (marked && hour > 0)))
}

/// Applies "de la tarde"-style markers and the business-hours reading of a bare hour
/// ("at 3" means 15:00; nobody books a haircut at 3 am).
fn adjust_hour(hour: u32, explicit: bool, pm_marker: bool, am_marker: bool) -> u32 {
    if hour >= 12 {
        return hour;
    }
    if pm_marker && !am_marker {
        return hour + 12;
    }
    if am_marker {
        return hour;
    }
    if !explicit && (1..=7).contains(&hour) {
        return hour + 12;
    }
    hour
}
