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

/// Whether a word names a day or a month (so it names no service or person).
pub(super) fn is_date_word(word: &str) -> bool {
    word.len() > 3 && (weekday_of(word).is_some() || month_of(word).is_some())
}

/// Words that say "next week" (accents folded).
const NEXT_WEEK: &[&str] = &[
    "next week",
    "semana que viene",
    "proxima semana",
    "semana proxima",
    "semana que vem",
    "la otra semana",
    "outra semana",
];

/// Words that say "this week".
const THIS_WEEK: &[&str] = &["this week", "esta semana", "essa semana", "nesta semana"];

/// Words that say "the weekend".
const WEEKEND: &[&str] = &["weekend", "fin de semana", "fim de semana", "finde", "fds"];

/// A count in digits or words, up to twelve.
fn count(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return (1..=60).contains(&n).then_some(n);
    }
    HOUR_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, n)| *n)
        .or(match word {
            "a" | "an" => Some(1),
            "couple" => Some(2),
            _ => None,
        })
}

/// "in 3 days", "en dos semanas", "daqui a duas semanas": `(n, is_weeks)`.
fn in_so_many(ws: &[&str]) -> Option<(u32, bool)> {
    for (i, w) in ws.iter().enumerate() {
        let unit_days = ["days", "day", "dias", "dia"].contains(w);
        let unit_weeks = ["weeks", "week", "semanas", "semana"].contains(w);
        if !(unit_days || unit_weeks) || i == 0 {
            continue;
        }
        let n = count(ws[i - 1])?;
        let lead = ws[..i - 1]
            .iter()
            .rev()
            .take(2)
            .copied()
            .collect::<Vec<_>>();
        let introduced = lead
            .first()
            .is_some_and(|l| ["in", "en", "em", "within", "dentro", "daqui", "of"].contains(l))
            || lead.as_slice() == ["a", "daqui"]
            || lead.as_slice() == ["de", "dentro"];
        if introduced {
            return Some((n, unit_weeks));
        }
    }
    None
}

/// The Monday of the week after `today`'s.
fn next_monday(today: NaiveDate) -> Option<NaiveDate> {
    add_days(today, u64::from(7 - today.weekday().num_days_from_monday()))
}

/// The date the text names, resolved against `today`. `month_first` reads "3/4" as
/// March 4 (the customer writes dates the US way); otherwise day first.
pub fn date(norm: &str, today: NaiveDate, month_first: bool) -> Option<DateWish> {
    let ws = words(norm);
    if has_phrase(norm, "day after tomorrow")
        || has_phrase(norm, "pasado manana")
        || has_phrase(norm, "depois de amanha")
    {
        return add_days(today, 2).map(DateWish::On);
    }
    if let Some((n, weeks)) = in_so_many(&ws) {
        if weeks {
            return add_days(today, 7 * u64::from(n)).map(DateWish::Week);
        }
        return add_days(today, u64::from(n)).map(DateWish::On);
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
    let named_weekday = ws
        .iter()
        .find_map(|w| (w.len() > 3).then(|| weekday_of(w)).flatten());
    // Numeric: 21/11, 21/11/2026, 21/11/26.
    for w in &ws {
        let parts: Vec<&str> = w.split('/').collect();
        if parts.len() >= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            let (a, b) = (parts[0].parse::<u32>().ok()?, parts[1].parse::<u32>().ok()?);
            // The customer's own order, unless a number over 12 settles it.
            let (day, month) = if month_first {
                if a > 12 && b <= 12 { (a, b) } else { (b, a) }
            } else if b > 12 && a <= 12 {
                (b, a)
            } else {
                (a, b)
            };
            let dated = match parts.get(2).and_then(|y| y.parse::<i32>().ok()) {
                Some(y) => {
                    let year = if y < 100 { 2000 + y } else { y };
                    NaiveDate::from_ymd_opt(year, month, day)
                }
                None => upcoming(today, month, day),
            };
            if let Some(d) = dated {
                return Some(checked_against(d, named_weekday, today));
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
            return Some(checked_against(d, named_weekday, today));
        }
    }
    // "the 25th", "el 25", "dia 25": a day of this month, or of the next once it is past.
    for (i, w) in ws.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| ws.get(j)).copied();
        let ordinal =
            w.ends_with("th") || w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd");
        // "el 27" is a date in a sentence; a bare "el 2" more likely picks option 2.
        let el_date = matches!(prev, Some("el")) && (w.len() == 2 || ws.len() > 2);
        let introduced = matches!(prev, Some("the" | "dia" | "el" | "o")) && ordinal
            || matches!(prev, Some("dia"))
            || el_date
            || (matches!(prev, Some("el")) && named_weekday.is_some());
        if !introduced || w.bytes().all(|b| !b.is_ascii_digit()) {
            continue;
        }
        let Some(day) = day_number(w) else { continue };
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), day);
        let d = match this_month {
            Some(d) if d >= today => Some(d),
            _ => {
                let (y, m) = if today.month() == 12 {
                    (today.year() + 1, 1)
                } else {
                    (today.year(), today.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, day)
            }
        };
        if let Some(d) = d {
            return Some(checked_against(d, named_weekday, today));
        }
    }
    let next_week = NEXT_WEEK.iter().any(|p| has_phrase(norm, p));
    let after_next = has_phrase(norm, "after next")
        || has_phrase(norm, "despues del proximo")
        || has_phrase(norm, "depois da proxima")
        || has_phrase(norm, "depois do proximo");
    if WEEKEND.iter().any(|p| has_phrase(norm, p)) {
        let saturday = add_days(
            today,
            u64::from((7 + 5 - today.weekday().num_days_from_monday()) % 7),
        )?;
        let saturday = if next_week || has_phrase(norm, "next weekend") {
            // The weekend of next week.
            add_days(next_monday(today)?, 5)?
        } else if today.weekday() == Weekday::Sun {
            return Some(DateWish::On(today));
        } else {
            saturday
        };
        return Some(DateWish::OneOf(vec![saturday, add_days(saturday, 1)?]));
    }
    // Weekdays, with "next"/"this"/"next week"/"after next".
    for (i, w) in ws.iter().enumerate() {
        let Some(day) = weekday_of(w) else { continue };
        // Short forms double as other words ("sex", "sun", "mar"): take them only when the
        // sentence is short or they follow a date-ish word.
        let short = w.len() <= 3;
        let prev = i.checked_sub(1).and_then(|j| ws.get(j)).copied();
        let next_word = matches!(prev, Some("next" | "proximo" | "proxima"))
            || has_phrase(norm, &format!("{w} que vem"))
            || has_phrase(norm, &format!("{w} que viene"))
            || has_phrase(norm, &format!("{w} proximo"))
            || has_phrase(norm, &format!("{w} proxima"));
        let this_strict = matches!(prev, Some("this" | "este" | "esta" | "nesta" | "neste"));
        let this_word = this_strict || matches!(prev, Some("on" | "el" | "na" | "no"));
        if short && !(next_word || this_word || next_week || ws.len() <= 2) {
            continue;
        }
        let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        let first = add_days(today, u64::from(ahead))?;
        if next_week {
            // That weekday in the week after this one, whatever today is.
            return add_days(next_monday(today)?, u64::from(day.num_days_from_monday()))
                .map(DateWish::On);
        }
        if after_next {
            let next = if ahead == 0 {
                add_days(first, 7)?
            } else {
                first
            };
            return add_days(next, 7).map(DateWish::On);
        }
        if next_word {
            // "next Friday" said on a Friday is a week away; said on any other day it may
            // mean the coming one or the one after: ask.
            if ahead == 0 {
                return add_days(today, 7).map(DateWish::On);
            }
            let second = add_days(first, 7)?;
            return Some(DateWish::OneOf(vec![first, second]));
        }
        if ahead == 0 && !this_strict {
            // "Tuesday" written on a Tuesday: today, or a week today? Ask.
            return Some(DateWish::OneOf(vec![today, add_days(today, 7)?]));
        }
        return Some(DateWish::On(first));
    }
    if has_phrase(norm, "week after next") || (next_week && after_next) {
        return add_days(next_monday(today)?, 7).map(DateWish::Week);
    }
    if next_week {
        return next_monday(today).map(DateWish::Week);
    }
    if THIS_WEEK.iter().any(|p| has_phrase(norm, p)) {
        return Some(DateWish::Week(today));
    }
    None
}

/// A date named by number, checked against a weekday named beside it: when they disagree
/// ("Tuesday 25" when the 25th is a Wednesday), both are offered.
fn checked_against(d: NaiveDate, weekday: Option<Weekday>, today: NaiveDate) -> DateWish {
    match weekday {
        Some(w) if w != d.weekday() => {
            let ahead = (7 + w.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
            let by_weekday = add_days(today, u64::from(ahead)).unwrap_or(d);
            DateWish::OneOf(vec![by_weekday.min(d), by_weekday.max(d)])
        }
        _ => DateWish::On(d),
    }
}

/// Hours in words, for "at four", "a las cuatro", "às quatro".
const HOUR_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("una", 1),
    ("uno", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("once", 11),
    ("doce", 12),
    ("uma", 1),
    ("um", 1),
    ("duas", 2),
    ("dois", 2),
    ("quatro", 4),
    ("sete", 7),
    ("oito", 8),
    ("nove", 9),
    ("dez", 10),
    ("onze", 11),
    ("doze", 12),
];

fn hour_word(word: &str) -> Option<u32> {
    HOUR_WORDS.iter().find(|(w, _)| *w == word).map(|(_, h)| *h)
}

/// Minutes written after an hour: "and a half", "y media", "e meia", "y cuarto", "e um
/// quarto", "thirty", "y 20". Negative for "menos cuarto" (a quarter to). Returns the
/// minutes and how many words they took.
fn minutes_after(rest: &[&str]) -> Option<(i32, usize)> {
    const PHRASES: &[(&str, i32)] = &[
        ("and a half", 30),
        ("and half", 30),
        ("y media", 30),
        ("e meia", 30),
        ("y treinta", 30),
        ("e trinta", 30),
        ("thirty", 30),
        ("and a quarter", 15),
        ("y cuarto", 15),
        ("e um quarto", 15),
        ("e quarto", 15),
        ("y quince", 15),
        ("e quinze", 15),
        ("fifteen", 15),
        ("forty five", 45),
        ("y cuarenta y cinco", 45),
        ("e quarenta e cinco", 45),
        ("fortyfive", 45),
        ("menos cuarto", -15),
        ("menos um quarto", -15),
        ("menos quarto", -15),
        ("menos quinze", -15),
        ("menos diez", -10),
        ("menos dez", -10),
        ("y diez", 10),
        ("e dez", 10),
        ("y veinte", 20),
        ("e vinte", 20),
        ("twenty", 20),
        ("y cuarenta", 40),
        ("e quarenta", 40),
        ("forty", 40),
        ("y cinco", 5),
        ("e cinco", 5),
        ("oh five", 5),
    ];
    for (phrase, minutes) in PHRASES {
        let n = phrase.split(' ').count();
        if rest.len() >= n && rest[..n].iter().copied().eq(phrase.split(' ')) {
            return Some((*minutes, n));
        }
    }
    // "y 20", "e 45", or "4 30" (a dot read as a space).
    let (digits, used) = match rest {
        [join, d, ..] if ["y", "e", "and"].contains(join) => (*d, 2),
        [d, ..] => (*d, 1),
        [] => return None,
    };
    let digits = digits.trim_end_matches("pm").trim_end_matches("am");
    (digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<i32>().ok())
        .flatten()
        .filter(|m| (0..60).contains(m))
        .map(|m| (m, used))
}

/// Minutes written before an hour: "half past", "quarter past", "quarter to", "ten to",
/// "quinze para as", "cuarto para las", British "half four".
fn minutes_before(before: &[&str]) -> Option<i32> {
    let ends = |phrase: &str| {
        let n = phrase.split(' ').count();
        before.len() >= n
            && before[before.len() - n..]
                .iter()
                .copied()
                .eq(phrase.split(' '))
    };
    for (phrase, minutes) in [
        ("half past", 30),
        ("quarter past", 15),
        ("a quarter past", 15),
        ("ten past", 10),
        ("twenty past", 20),
        ("five past", 5),
        ("quarter to", -15),
        ("a quarter to", -15),
        ("ten to", -10),
        ("twenty to", -20),
        ("five to", -5),
        ("quinze para as", -15),
        ("quinze pras", -15),
        ("um quarto para as", -15),
        ("dez para as", -10),
        ("vinte para as", -20),
        ("cinco para as", -5),
        ("cuarto para las", -15),
        ("diez para las", -10),
        ("veinte para las", -20),
        ("cinco para las", -5),
        ("half", 30),
    ] {
        if ends(phrase) {
            return Some(minutes);
        }
    }
    None
}

/// Greetings that name a part of the day without asking for it.
const GREETINGS: &[&str] = &[
    "good morning",
    "good afternoon",
    "good evening",
    "boa tarde",
    "boa noite",
    "buenas tardes",
    "buenas noches",
];

/// The time preference the text names.
pub fn time(norm: &str) -> Option<TimeWish> {
    let ungreeted;
    let norm = if GREETINGS.iter().any(|g| has_phrase(norm, g)) {
        let mut rest = format!(" {norm} ");
        for g in GREETINGS {
            rest = rest.replace(&format!(" {g} "), " ");
        }
        ungreeted = rest.trim().to_owned();
        ungreeted.as_str()
    } else {
        norm
    };
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
        "in the afternoon",
        "at night",
        "after work",
        "despues del trabajo",
        "saliendo del trabajo",
        "depois do trabalho",
        "depois do servico",
        "after school",
        "despues del colegio",
        "depois da escola",
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
        let noon = ["noon", "midday", "mediodia", "meiodia"].contains(w)
            || (*w == "dia" && i > 0 && ws[i - 1] == "meio")
            || (*w == "dia" && i > 0 && ws[i - 1] == "medio");
        let reading = if noon {
            Some((12, 0, true, true))
        } else {
            clock(w, ws.get(i + 1).copied()).or_else(|| hour_word(w).map(|h| (h, 0, false, false)))
        };
        let Some((hour, minute, explicit, settled)) = reading else {
            continue;
        };
        // "ten past four", "quarter to five": the first number is minutes.
        let minutes_first = ws.get(i + 1).is_some_and(|n| *n == "past" || *n == "to")
            && ws
                .get(i + 2)
                .is_some_and(|h| hour_word(h).is_some() || h.parse::<u32>().is_ok());
        if minutes_first {
            continue;
        }
        // "in two weeks", "daqui a duas semanas": a count, not a time.
        let counted = ws.get(i + 1).is_some_and(|n| {
            [
                "days", "day", "weeks", "week", "dias", "dia", "semanas", "semana", "months",
                "meses", "hours", "horas", "minutes", "minutos", "people", "personas", "pessoas",
            ]
            .contains(n)
        });
        if counted && !noon {
            continue;
        }
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
        // Minutes in words around the hour: "half past 4", "4 y media", "quinze para as 5".
        let written_in_words = hour_word(w).is_some();
        let bare = !w.contains(':') && !w.contains('h') && !noon;
        let before_minutes = if bare { minutes_before(&ws[..i]) } else { None };
        let after_minutes = if bare && minute == 0 {
            minutes_after(&ws[i + 1..]).map(|(m, _)| m)
        } else {
            None
        };
        let offset = before_minutes.or(after_minutes);
        // A bare number only counts as a time after "at", "a las", "às" and the like.
        let introduced = [
            "at", "around", "after", "before", "from", "las", "as", "a", "til", "until", "by",
            "la", "pelas", "approx", "about", "tipo", "sobre",
        ]
        .contains(&prev)
            || [
                "despues de",
                "antes de",
                "depois das",
                "antes das",
                "a partir",
                "volta das",
            ]
            .contains(&format!("{prev2} {prev}").as_str());
        // "one" and "uma" are numbers far more often than hours: words need an introducer
        // or minutes ("at four", "cuatro y media").
        if !explicit && !introduced && offset.is_none() {
            continue;
        }
        if written_in_words && !introduced && offset.is_none() {
            continue;
        }
        let mut hour = adjust_hour(hour, settled, pm_marker, am_marker);
        let mut minute = i32::try_from(minute).unwrap_or(0);
        if let Some(m) = offset {
            if m < 0 {
                hour = if hour == 0 { 23 } else { hour - 1 };
                minute = 60 + m;
            } else {
                minute = m;
            }
        }
        let t = NaiveTime::from_hms_opt(hour, u32::try_from(minute).unwrap_or(0), 0)?;
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
fn clock(word: &str, next: Option<&str>) -> Option<(u32, u32, bool, bool)> {
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
    // Whether the hour needs no reading: am/pm given, or a 24-hour form ("04:15", "16h").
    let settled = suffix_pm
        || suffix_am
        || matches!(next, Some("pm" | "am"))
        || (h.len() == 2 && h.starts_with('0'))
        || hour == 0
        || hour >= 13;
    Some((hour, minute, explicit || (marked && hour > 0), settled))
}

/// Applies "de la tarde"-style markers and the business-hours reading of an hour that
/// does not say am or pm ("at 3" and "at 4:15" are in the afternoon; nobody books a
/// haircut at 3 am).
fn adjust_hour(hour: u32, settled: bool, pm_marker: bool, am_marker: bool) -> u32 {
    if settled || hour >= 12 {
        return hour;
    }
    if pm_marker && !am_marker {
        return hour + 12;
    }
    if am_marker {
        return hour;
    }
    if (1..=7).contains(&hour) {
        return hour + 12;
    }
    hour
}
