//! Dates, times and prices as each language writes them.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};

use crate::catalog::Money;
use crate::lang::Lang;

const WEEKDAYS: [[&str; 7]; 3] = [
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ],
    [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ],
];

const WEEKDAYS_SHORT: [[&str; 7]; 3] = [
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
    ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"],
];

const MONTHS: [[&str; 12]; 3] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
];

const MONTHS_SHORT: [[&str; 12]; 3] = [
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ],
    [
        "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
    ],
];

fn idx(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::Es => 1,
        Lang::Pt | Lang::PtBr => 2,
    }
}

/// The weekday's full name, e.g. "Tuesday", "martes", "terça-feira".
pub fn weekday_name(lang: Lang, day: Weekday) -> &'static str {
    WEEKDAYS[idx(lang)][day.num_days_from_monday() as usize]
}

/// A short day label for lists: "Tue 24 Nov", "mar 24 nov", "ter 24 nov".
pub fn day_short(lang: Lang, date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        WEEKDAYS_SHORT[idx(lang)][date.weekday().num_days_from_monday() as usize],
        date.day(),
        MONTHS_SHORT[idx(lang)][date.month0() as usize]
    )
}

/// A full day: "Tuesday 24 November", "martes 24 de noviembre", "terça-feira, 24 de novembro".
pub fn day_long(lang: Lang, date: NaiveDate) -> String {
    let weekday = weekday_name(lang, date.weekday());
    let month = MONTHS[idx(lang)][date.month0() as usize];
    match lang {
        Lang::En => format!("{weekday} {} {month}", date.day()),
        Lang::Es => format!("{weekday} {} de {month}", date.day()),
        Lang::Pt | Lang::PtBr => format!("{weekday}, {} de {month}", date.day()),
    }
}

/// A time of day: "3:30 pm" in English, "15:30" otherwise.
pub fn time(lang: Lang, t: NaiveTime) -> String {
    match lang {
        Lang::En => {
            let (pm, hour) = t.hour12();
            format!("{hour}:{:02} {}", t.minute(), if pm { "pm" } else { "am" })
        }
        Lang::Es | Lang::Pt | Lang::PtBr => format!("{:02}:{:02}", t.hour(), t.minute()),
    }
}

/// A day and time: "Tuesday 24 November at 3:30 pm", "martes 24 de noviembre a las 15:30".
pub fn when(lang: Lang, date: NaiveDate, t: NaiveTime) -> String {
    let joiner = match lang {
        Lang::En => "at",
        Lang::Es => "a las",
        Lang::Pt | Lang::PtBr => "às",
    };
    format!("{} {joiner} {}", day_long(lang, date), time(lang, t))
}

/// A price: "€20", "€20.50" in English; "20 €", "20,50 €" in Spanish and Portuguese;
/// Brazilian reais as "R$ 20,00".
pub fn price(lang: Lang, money: &Money) -> String {
    let symbol = match money.currency.as_str() {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "BRL" => "R$",
        other => other,
    };
    let negative = money.minor < 0;
    let abs = money.minor.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    let sign = if negative { "-" } else { "" };
    match lang {
        Lang::En => {
            let units = grouped(units, ',');
            if cents == 0 {
                format!("{sign}{symbol}{units}")
            } else {
                format!("{sign}{symbol}{units}.{cents:02}")
            }
        }
        Lang::Es | Lang::Pt | Lang::PtBr => {
            let units = grouped(units, '.');
            // Reais are always written with their centavos.
            let amount = if cents == 0 && money.currency != "BRL" {
                units
            } else {
                format!("{units},{cents:02}")
            };
            if money.currency == "BRL" {
                format!("{sign}R$ {amount}")
            } else {
                format!("{sign}{amount} {symbol}")
            }
        }
    }
}

/// `n` with thousands separated: 1500 → "1.500" (or "1,500").
fn grouped(n: u64, separator: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}
