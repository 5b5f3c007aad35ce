//! Understanding what a customer wrote, without an LLM.
//!
//! Everything works on a normalised form of the text (lower case, accents and punctuation
//! removed), so "Mañana", "manana" and "MAÑANA!" read the same. The parser fills an
//! [`Interpretation`]; an LLM adapter may fill the same structure later, and the state
//! machine decides what to do with it either way.
//!
//! Dates are resolved against `today` in the tenant's time zone, which the caller supplies.

mod answer;

pub use answer::{Answer, GO_BACK, REFUSALS, answer, answer_to};

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use crate::catalog::{Catalog, ProviderId, ServiceId};
use crate::lang::Lang;

/// A command a customer can give at any point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Back to the main menu, dropping the current flow.
    Menu,
    /// What can I say?
    Help,
    /// Hand the conversation to a person.
    Human,
    /// Change language.
    Language,
    /// Opt out of all messages.
    Stop,
    /// Opt back in.
    Start,
    /// Start a booking.
    Book,
    /// List my bookings.
    MyBookings,
    /// Move a booking.
    Reschedule,
    /// Cancel a booking.
    Cancel,
    /// Agreement.
    Yes,
    /// Refusal.
    No,
}

/// When in the day a customer wants to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DayPart {
    /// Before noon.
    Morning,
    /// Noon to 17:00.
    Afternoon,
    /// From 17:00.
    Evening,
}

impl DayPart {
    /// The part a local time falls in.
    pub fn of(t: NaiveTime) -> DayPart {
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
        let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default();
        if t < noon {
            DayPart::Morning
        } else if t < five {
            DayPart::Afternoon
        } else {
            DayPart::Evening
        }
    }
}

/// A time preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeWish {
    /// At this time.
    At(NaiveTime),
    /// At or after this time.
    After(NaiveTime),
    /// Before this time.
    Before(NaiveTime),
    /// Some time in this part of the day.
    Part(DayPart),
}

impl TimeWish {
    /// Whether a slot starting at `t` fits the wish (`At` only fits exactly).
    pub fn accepts(self, t: NaiveTime) -> bool {
        match self {
            TimeWish::At(at) => t == at,
            TimeWish::After(after) => t >= after,
            TimeWish::Before(before) => t < before,
            TimeWish::Part(part) => DayPart::of(t) == part,
        }
    }
}

/// A date the customer named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateWish {
    /// One date.
    On(NaiveDate),
    /// Several dates it could mean ("next Friday" on a Wednesday); ask back.
    OneOf(Vec<NaiveDate>),
}

/// A provider the customer named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderWish {
    /// Whoever is free.
    Any,
    /// These providers match the name (more than one: ask which).
    Named(Vec<ProviderId>),
}

/// Everything the parser understood in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interpretation {
    /// A command, when the message is one.
    pub command: Option<Command>,
    /// A service named in the text.
    pub service: Option<ServiceId>,
    /// A provider named in the text.
    pub provider: Option<ProviderWish>,
    /// A date named in the text.
    pub date: Option<DateWish>,
    /// A time named in the text.
    pub time: Option<TimeWish>,
    /// The language the text is written in, when it is clear.
    pub lang: Option<Lang>,
}

impl Interpretation {
    /// Whether the text named anything bookable (service, provider, date or time).
    pub fn names_booking_details(&self) -> bool {
        self.service.is_some()
            || self.provider.is_some()
            || self.date.is_some()
            || self.time.is_some()
    }
}

/// Lower case, accents removed, punctuation other than `:` and `/` turned into spaces,
/// whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        let keep = c.is_alphanumeric() || c == ':' || c == '/';
        if keep {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'º' => 'o',
        'ª' => 'a',
        c => c,
    }
}

fn words(norm: &str) -> Vec<&str> {
    norm.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Whether `phrase` (normalised, one or more words) occurs in `norm` as whole words.
/// Called dozens of times per message, so it allocates nothing.
fn has_phrase(norm: &str, phrase: &str) -> bool {
    let bytes = norm.as_bytes();
    norm.match_indices(phrase).any(|(i, _)| {
        let end = i + phrase.len();
        (i == 0 || bytes[i - 1] == b' ') && (end == bytes.len() || bytes[end] == b' ')
    })
}

/// Commands, matched against the whole normalised message or its leading words.
const COMMANDS: &[(Command, &[&str])] = &[
    (
        Command::Menu,
        &[
            "menu",
            "start over",
            "restart",
            "main menu",
            "inicio",
            "empezar de nuevo",
            "volver a empezar",
            "recomecar",
            "comecar de novo",
            "reiniciar",
        ],
    ),
    (Command::Help, &["help", "ayuda", "ajuda", "?"]),
    (
        Command::Human,
        &[
            "talk to a person",
            "talk to someone",
            "speak to a person",
            "human",
            "agent",
            "person",
            "hablar con alguien",
            "hablar con una persona",
            "agente",
            "persona",
            "falar com alguem",
            "falar com uma pessoa",
            "atendente",
            "pessoa",
        ],
    ),
    (
        Command::Language,
        &[
            "language",
            "idioma",
            "lingua",
            "english",
            "espanol",
            "portugues",
        ],
    ),
    (
        Command::Stop,
        &[
            "stop",
            "unsubscribe",
            "stop all",
            "baja",
            "darme de baja",
            "sair",
            "parar",
            "cancelar subscricao",
        ],
    ),
    (Command::Start, &["start", "unstop", "subscribe", "alta"]),
    (
        Command::MyBookings,
        &[
            "my bookings",
            "my booking",
            "my appointments",
            "my appointment",
            "bookings",
            "appointments",
            "mis citas",
            "mis reservas",
            "mi cita",
            "minhas marcacoes",
            "as minhas marcacoes",
            "meus agendamentos",
            "minha marcacao",
            "marcacoes",
        ],
    ),
    (
        Command::Reschedule,
        &[
            "reschedule",
            "change my booking",
            "move my booking",
            "reprogramar",
            "cambiar cita",
            "cambiar fecha",
            "cambiar",
            "remarcar",
            "reagendar",
            "mudar",
        ],
    ),
    (
        Command::Cancel,
        &["cancel", "cancelar", "cancel it", "cancelarla", "anular"],
    ),
    (
        Command::Book,
        &[
            "book",
            "book now",
            "new booking",
            "booking",
            "appointment",
            "reservar",
            "reserva",
            "cita",
            "nueva cita",
            "marcar",
            "agendar",
            "nova marcacao",
        ],
    ),
    (
        Command::Yes,
        &[
            "yes",
            "y",
            "yeah",
            "yep",
            "ok",
            "okay",
            "sure",
            "confirm",
            "confirmed",
            "si",
            "vale",
            "claro",
            "confirmar",
            "sim",
            "pode ser",
            "confirmo",
            "de acuerdo",
        ],
    ),
    (
        Command::No,
        &[
            "no",
            "nope",
            "nah",
            "nao",
            "change",
            "change time",
            "cambiar hora",
            "mudar horario",
        ],
    ),
];

/// The command this message is, if the whole message is one (a sentence that merely
/// contains "book" is not the Book command; it is parsed for details instead).
pub fn command(norm: &str) -> Option<Command> {
    let stripped = strip_courtesy(norm);
    COMMANDS
        .iter()
        .find(|(_, phrases)| phrases.contains(&stripped))
        .map(|(c, _)| *c)
}

/// Drops "please", "por favor" and similar from the ends of a message.
fn strip_courtesy(norm: &str) -> &str {
    let mut s = norm.trim();
    for courtesy in [
        "please",
        "pls",
        "por favor",
        "porfa",
        "thanks",
        "gracias",
        "obrigado",
        "obrigada",
    ] {
        if let Some(rest) = s.strip_suffix(courtesy) {
            s = rest.trim();
        }
        if let Some(rest) = s.strip_prefix(courtesy) {
            s = rest.trim();
        }
    }
    for lead in [
        "i want to",
        "i want",
        "quiero",
        "quero",
        "i would like to",
        "id like to",
    ] {
        if let Some(rest) = s.strip_prefix(lead) {
            let rest = rest.trim();
            if !rest.is_empty() {
                s = rest;
            }
        }
    }
    s
}

const NUMBER_WORDS: &[(&str, usize)] = &[
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
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("last", usize::MAX),
    ("uno", 1),
    ("una", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("primero", 1),
    ("primera", 1),
    ("segundo", 2),
    ("segunda", 2),
    ("tercero", 3),
    ("tercera", 3),
    ("cuarto", 4),
    ("cuarta", 4),
    ("quinto", 5),
    ("quinta", 5),
    ("sexto", 6),
    ("sexta", 6),
    ("septimo", 7),
    ("septima", 7),
    ("octavo", 8),
    ("octava", 8),
    ("noveno", 9),
    ("novena", 9),
    ("decimo", 10),
    ("decima", 10),
    ("ultimo", usize::MAX),
    ("ultima", usize::MAX),
    ("um", 1),
    ("uma", 1),
    ("dois", 2),
    ("duas", 2),
    ("quatro", 4),
    ("sete", 7),
    ("oito", 8),
    ("nove", 9),
    ("dez", 10),
    ("primeiro", 1),
    ("primeira", 1),
    ("terceiro", 3),
    ("terceira", 3),
    ("setimo", 7),
    ("setima", 7),
    ("oitavo", 8),
    ("oitava", 8),
    ("nono", 9),
    ("nona", 9),
];

/// An option number the message names: "2", "#2", "2.", "2nd", "2º", "two", "second",
/// "dos", "segunda", "option 2", "the second one". `usize::MAX` stands for "last".
pub fn option_number(norm: &str) -> Option<usize> {
    let fillers = [
        "option", "opcion", "opcao", "number", "numero", "no", "the", "el", "la", "lo", "o", "a",
        "one", "please", "por", "favor", "pls",
    ];
    let ws: Vec<&str> = words(norm);
    let meaningful: Vec<&str> = ws
        .iter()
        .copied()
        .filter(|w| !fillers.contains(w) || ws.len() == 1)
        .collect();
    let [word] = meaningful.as_slice() else {
        return None;
    };
    let digits = word
        .trim_end_matches(['o', 'a'])
        .trim_end_matches("st")
        .trim_end_matches("nd");
    let digits = digits.trim_end_matches("rd").trim_end_matches("th");
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.parse().ok().filter(|n| (1..=99).contains(n));
    }
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| w == word)
        .map(|(_, n)| *n)
}

/// Edit distance with adjacent transpositions, capped: returns `max + 1` once exceeded.
/// Words are short, so the rows live on the stack.
fn distance(a: &[char], b: &[char], max: usize) -> usize {
    const MAX_LEN: usize = 32;
    if a.len() > MAX_LEN || b.len() > MAX_LEN {
        return if a == b { 0 } else { max + 1 };
    }
    let mut prev2 = [0usize; MAX_LEN + 1];
    let mut prev = [0usize; MAX_LEN + 1];
    let mut cur = [0usize; MAX_LEN + 1];
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[b.len()]
}

/// Whether two normalised words are the same up to a small typo: exact below 4 letters,
/// one edit up to 7, two from 8.
pub fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    let allowed = match la.min(lb) {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    if allowed == 0 || la.abs_diff(lb) > allowed {
        return false;
    }
    let mut ca = ['\0'; 32];
    let mut cb = ['\0'; 32];
    if la > 32 || lb > 32 {
        return false;
    }
    for (slot, c) in ca.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in cb.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    distance(&ca[..la], &cb[..lb], allowed) <= allowed
}

/// Whether the words of `phrase` occur consecutively in `text_words`, each up to a typo.
fn contains_fuzzy(text_words: &[&str], phrase: &str) -> bool {
    let pw: Vec<&str> = words(phrase);
    if pw.is_empty() || pw.len() > text_words.len() {
        return false;
    }
    text_words
        .windows(pw.len())
        .any(|window| window.iter().zip(&pw).all(|(a, b)| similar(a, b)))
}

/// The option whose title the text names: equal up to typos, or contained as whole words.
/// `None` when no option or several options match equally well.
pub fn match_title<'a>(norm: &str, titles: impl IntoIterator<Item = &'a str>) -> Option<usize> {
    let text_words = words(norm);
    let mut exact = Vec::new();
    let mut contained = Vec::new();
    let mut inside = Vec::new();
    for (i, title) in titles.into_iter().enumerate() {
        let t = normalize(title);
        if t.is_empty() {
            continue;
        }
        let tw = words(&t);
        if tw.len() == text_words.len() && tw.iter().zip(&text_words).all(|(a, b)| similar(a, b)) {
            exact.push(i);
        } else if contains_fuzzy(&text_words, &t) {
            contained.push((i, tw.len()));
        } else if !text_words.is_empty() && contains_fuzzy(&tw, norm) {
            inside.push(i);
        }
    }
    match exact.as_slice() {
        [one] => return Some(*one),
        [_, _, ..] => return None,
        [] => {}
    }
    let Some(longest) = contained.iter().map(|(_, n)| *n).max() else {
        // The text is part of exactly one title ("Costa" for "Maria Costa").
        return match inside.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
    };
    let best: Vec<usize> = contained
        .iter()
        .filter(|(_, n)| *n == longest)
        .map(|(i, _)| *i)
        .collect();
    match best.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Words that give a language away (accents already folded).
const LANG_WORDS: &[(Lang, &[&str])] = &[
    (
        Lang::En,
        &[
            "the",
            "i",
            "want",
            "book",
            "with",
            "at",
            "tomorrow",
            "today",
            "please",
            "can",
            "my",
            "next",
            "appointment",
            "hi",
            "hello",
            "thanks",
            "yes",
            "an",
            "for",
            "haircut",
            "after",
            "before",
            "morning",
            "afternoon",
            "evening",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "time",
            "any",
            "is",
            "it",
            "would",
            "like",
            "pm",
            "am",
            "cancel",
            "reschedule",
            "help",
        ],
    ),
    (
        Lang::Es,
        &[
            "quiero",
            "reservar",
            "cita",
            "con",
            "el",
            "la",
            "las",
            "los",
            "manana",
            "hoy",
            "hola",
            "gracias",
            "si",
            "para",
            "lunes",
            "martes",
            "miercoles",
            "jueves",
            "viernes",
            "sabado",
            "domingo",
            "una",
            "mi",
            "mis",
            "proximo",
            "noche",
            "pelo",
            "despues",
            "ayuda",
            "puedo",
            "quisiera",
            "del",
            "y",
            "hora",
            "cualquiera",
            "cancelar",
            "cambiar",
            "idioma",
            "espanol",
            "manicura",
            "semana",
        ],
    ),
    (
        Lang::Pt,
        &[
            "quero",
            "marcar",
            "com",
            "amanha",
            "hoje",
            "ola",
            "obrigado",
            "obrigada",
            "sim",
            "das",
            "as",
            "terca",
            "quarta",
            "quinta",
            "sexta",
            "feira",
            "um",
            "meu",
            "minhas",
            "proxima",
            "noite",
            "cabelo",
            "manha",
            "agendar",
            "voce",
            "depois",
            "ajuda",
            "posso",
            "gostaria",
            "do",
            "da",
            "e",
            "horario",
            "qualquer",
            "cancelar",
            "remarcar",
            "lingua",
            "portugues",
            "nao",
            "semana",
            "bom",
            "dia",
        ],
    ),
];

/// The language of the text, when one clearly dominates.
pub fn detect_lang(norm: &str) -> Option<Lang> {
    let ws = words(norm);
    let mut scores = [(Lang::En, 0u32), (Lang::Es, 0), (Lang::Pt, 0)];
    for w in &ws {
        for (lang, list) in LANG_WORDS {
            if list.contains(w) {
                let own = LANG_WORDS.iter().filter(|(_, l)| l.contains(w)).count();
                // A word only one language uses counts double.
                let weight = if own == 1 { 2 } else { 1 };
                if let Some(entry) = scores.iter_mut().find(|(l, _)| l == lang) {
                    entry.1 += weight;
                }
            }
        }
    }
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    let (best, top) = scores[0];
    (top >= 2 && top > scores[1].1).then_some(best)
}

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

/// The service the text names, by name or alias, allowing small typos.
pub fn service(norm: &str, catalog: &Catalog) -> Option<ServiceId> {
    let ws = words(norm);
    let mut best: Option<(usize, &ServiceId)> = None;
    let mut tie = false;
    for s in &catalog.services {
        for name in std::iter::once(&s.name).chain(&s.aliases) {
            let n = normalize(name);
            let len = words(&n).len();
            if contains_fuzzy(&ws, &n) {
                match best {
                    Some((l, id)) if l == len && id != &s.id => tie = true,
                    Some((l, _)) if l >= len => {}
                    _ => {
                        best = Some((len, &s.id));
                        tie = false;
                    }
                }
            }
        }
    }
    if tie {
        return None;
    }
    best.map(|(_, id)| id.clone())
}

/// The provider(s) the text names: full names win over first names; "any" means anyone.
pub fn provider(norm: &str, catalog: &Catalog) -> Option<ProviderWish> {
    let ws = words(norm);
    // "any time" and "qualquer hora" are about time, not people.
    let about_time = |i: usize| {
        ws.get(i + 1).is_some_and(|n| {
            ["time", "day", "hora", "horario", "dia", "momento", "hour"].contains(n)
        })
    };
    let any = ws.iter().enumerate().any(|(i, w)| {
        [
            "anyone",
            "anybody",
            "whoever",
            "cualquiera",
            "qualquer",
            "indiferente",
            "any",
        ]
        .contains(w)
            && !about_time(i)
            && (*w != "any"
                || ws.len() <= 3
                || ws
                    .get(i + 1)
                    .is_some_and(|n| ["available", "one", "provider", "stylist"].contains(n)))
    });
    if any {
        return Some(ProviderWish::Any);
    }
    let full: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            let n = normalize(&p.name);
            words(&n).len() > 1 && contains_fuzzy(&ws, &n)
        })
        .map(|p| p.id.clone())
        .collect();
    if !full.is_empty() {
        return Some(ProviderWish::Named(full));
    }
    // Otherwise any one part of a name: "Maria" (maybe two of them), "Costa".
    let first: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            let n = normalize(&p.name);
            words(&n)
                .iter()
                .any(|part| part.len() >= 3 && ws.iter().any(|w| similar(w, part)))
        })
        .map(|p| p.id.clone())
        .collect();
    (!first.is_empty()).then_some(ProviderWish::Named(first))
}

/// Reads everything the message says.
pub fn interpret(text: &str, today: NaiveDate, catalog: &Catalog) -> Interpretation {
    interpret_normalized(&normalize(text), today, catalog)
}

/// [`interpret`] for text already passed through [`normalize`].
pub fn interpret_normalized(norm: &str, today: NaiveDate, catalog: &Catalog) -> Interpretation {
    Interpretation {
        command: command(norm),
        service: service(norm, catalog),
        provider: provider(norm, catalog),
        date: date(norm, today),
        time: time(norm),
        lang: detect_lang(norm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Money, Provider, Service};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Saturday 21 November 2026.
    const TODAY: (i32, u32, u32) = (2026, 11, 21);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn date_of(text: &str) -> Option<DateWish> {
        date(&normalize(text), today())
    }

    fn catalog() -> Catalog {
        let svc = |id: &str, name: &str, aliases: &[&str]| Service {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            duration_min: 30,
            price: Money::new(2000, "EUR"),
            deposit: None,
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        };
        let prov = |id: &str, name: &str| Provider {
            id: id.into(),
            name: name.into(),
            rating_tenths: None,
            services: vec!["haircut".into()],
        };
        Catalog {
            services: vec![
                svc(
                    "haircut",
                    "Haircut",
                    &["corte de pelo", "corte de cabelo", "corte"],
                ),
                svc(
                    "color",
                    "Colour",
                    &["color", "coloracion", "coloracao", "tinte"],
                ),
                svc("manicure", "Manicure", &["manicura", "unhas"]),
            ],
            providers: vec![
                prov("maria-s", "Maria Silva"),
                prov("maria-c", "Maria Costa"),
                prov("joao", "João Pereira"),
            ],
        }
    }

    #[test]
    fn normalising_folds_case_accents_and_punctuation() {
        assert_eq!(normalize("  Mañana, ¿A LAS 3?! "), "manana a las 3");
        assert_eq!(normalize("Terça-feira às 15:30"), "terca feira as 15:30");
    }

    #[test]
    fn option_numbers_in_digits_words_and_ordinals() {
        for (text, n) in [
            ("2", 2),
            ("#2", 2),
            ("2.", 2),
            ("2nd", 2),
            ("2º", 2),
            ("two", 2),
            ("second", 2),
            ("dos", 2),
            ("segunda", 2),
            ("segundo", 2),
            ("option 3", 3),
            ("the third one", 3),
            ("la primera", 1),
            ("o primeiro", 1),
            ("10", 10),
            ("last", usize::MAX),
        ] {
            assert_eq!(option_number(&normalize(text)), Some(n), "{text}");
        }
        for text in ["2 pm", "hello", "0", "100", "book 2 haircuts"] {
            assert_eq!(option_number(&normalize(text)), None, "{text}");
        }
    }

    #[test]
    fn titles_match_despite_case_accents_and_typos() {
        let titles = ["Haircut", "Colour", "Manicure"];
        assert_eq!(match_title(&normalize("haircut"), titles), Some(0));
        assert_eq!(match_title(&normalize("HAIRCUTT"), titles), Some(0));
        assert_eq!(match_title(&normalize("manicrue"), titles), Some(2));
        assert_eq!(match_title(&normalize("a colour please"), titles), Some(1));
        assert_eq!(match_title(&normalize("pedicure"), titles), None);
        assert_eq!(match_title(&normalize("cat"), ["Cut", "Cat"]), Some(1));
        assert_eq!(
            match_title(&normalize("costa"), ["Maria Silva", "Maria Costa"]),
            Some(1)
        );
        assert_eq!(
            match_title(&normalize("maria"), ["Maria Silva", "Maria Costa"]),
            None
        );
    }

    #[test]
    fn whole_message_commands_in_three_languages() {
        for (text, c) in [
            ("MENU", Command::Menu),
            ("start over", Command::Menu),
            ("Empezar de nuevo", Command::Menu),
            ("help", Command::Help),
            ("ajuda", Command::Help),
            ("talk to a person", Command::Human),
            ("hablar con una persona", Command::Human),
            ("atendente", Command::Human),
            ("idioma", Command::Language),
            ("STOP", Command::Stop),
            ("start", Command::Start),
            ("my bookings", Command::MyBookings),
            ("mis citas", Command::MyBookings),
            ("as minhas marcações", Command::MyBookings),
            ("reschedule", Command::Reschedule),
            ("remarcar", Command::Reschedule),
            ("cancel", Command::Cancel),
            ("cancelar", Command::Cancel),
            ("yes please", Command::Yes),
            ("sí", Command::Yes),
            ("sim", Command::Yes),
            ("no", Command::No),
            ("não", Command::No),
        ] {
            assert_eq!(command(&normalize(text)), Some(c), "{text}");
        }
        assert_eq!(command(&normalize("can I book a haircut")), None);
    }

    #[test]
    fn relative_dates() {
        assert_eq!(date_of("today"), Some(DateWish::On(today())));
        assert_eq!(date_of("tomorrow"), Some(DateWish::On(d(2026, 11, 22))));
        assert_eq!(date_of("mañana"), Some(DateWish::On(d(2026, 11, 22))));
        assert_eq!(date_of("amanhã às 10"), Some(DateWish::On(d(2026, 11, 22))));
        assert_eq!(
            date_of("pasado mañana"),
            Some(DateWish::On(d(2026, 11, 23)))
        );
        assert_eq!(date_of("por la mañana"), None);
    }

    #[test]
    fn weekdays_resolve_to_the_coming_one() {
        // Today is Saturday 21 November.
        assert_eq!(date_of("tuesday"), Some(DateWish::On(d(2026, 11, 24))));
        assert_eq!(date_of("el martes"), Some(DateWish::On(d(2026, 11, 24))));
        assert_eq!(
            date_of("na terça-feira"),
            Some(DateWish::On(d(2026, 11, 24)))
        );
        assert_eq!(date_of("saturday"), Some(DateWish::On(today())));
    }

    #[test]
    fn next_weekday_near_a_weekend_is_ambiguous() {
        assert_eq!(
            date_of("next friday"),
            Some(DateWish::OneOf(vec![d(2026, 11, 27), d(2026, 12, 4)]))
        );
        assert_eq!(
            date_of("next saturday"),
            Some(DateWish::On(d(2026, 11, 28)))
        );
        assert_eq!(
            date_of("el próximo martes"),
            Some(DateWish::OneOf(vec![d(2026, 11, 24), d(2026, 12, 1)]))
        );
    }

    #[test]
    fn calendar_dates_in_several_forms() {
        assert_eq!(date_of("21/11"), Some(DateWish::On(d(2026, 11, 21))));
        assert_eq!(date_of("20/11"), Some(DateWish::On(d(2027, 11, 20))));
        assert_eq!(date_of("3/12/2026"), Some(DateWish::On(d(2026, 12, 3))));
        assert_eq!(date_of("Nov 25"), Some(DateWish::On(d(2026, 11, 25))));
        assert_eq!(
            date_of("25th of November"),
            Some(DateWish::On(d(2026, 11, 25)))
        );
        assert_eq!(
            date_of("25 de noviembre"),
            Some(DateWish::On(d(2026, 11, 25)))
        );
        assert_eq!(date_of("2 de janeiro"), Some(DateWish::On(d(2027, 1, 2))));
        assert_eq!(date_of("I want a haircut"), None);
    }

    #[test]
    fn times_in_many_forms() {
        let t = |s: &str| time(&normalize(s));
        assert_eq!(t("3pm"), Some(TimeWish::At(hm(15, 0))));
        assert_eq!(t("at 3:30 pm"), Some(TimeWish::At(hm(15, 30))));
        assert_eq!(t("15:00"), Some(TimeWish::At(hm(15, 0))));
        assert_eq!(t("15h"), Some(TimeWish::At(hm(15, 0))));
        assert_eq!(t("às 10h30"), Some(TimeWish::At(hm(10, 30))));
        assert_eq!(t("at 10am"), Some(TimeWish::At(hm(10, 0))));
        assert_eq!(t("a las 5 de la tarde"), Some(TimeWish::At(hm(17, 0))));
        assert_eq!(t("at 3"), Some(TimeWish::At(hm(15, 0))));
        assert_eq!(t("às 10"), Some(TimeWish::At(hm(10, 0))));
        assert_eq!(t("after 5"), Some(TimeWish::After(hm(17, 0))));
        assert_eq!(t("después de las 6"), Some(TimeWish::After(hm(18, 0))));
        assert_eq!(t("depois das 14h"), Some(TimeWish::After(hm(14, 0))));
        assert_eq!(t("before 11"), Some(TimeWish::Before(hm(11, 0))));
        assert_eq!(t("morning"), Some(TimeWish::Part(DayPart::Morning)));
        assert_eq!(
            t("any time Friday afternoon"),
            Some(TimeWish::Part(DayPart::Afternoon))
        );
        assert_eq!(t("por la tarde"), Some(TimeWish::Part(DayPart::Afternoon)));
        assert_eq!(t("à noite"), Some(TimeWish::Part(DayPart::Evening)));
        assert_eq!(t("2 haircuts"), None);
    }

    #[test]
    fn services_and_providers_inside_sentences() {
        let c = catalog();
        let s = |t: &str| service(&normalize(t), &c);
        assert_eq!(s("haircut with Maria tomorrow"), Some("haircut".into()));
        assert_eq!(s("corte de pelo el martes"), Some("haircut".into()));
        assert_eq!(s("quero marcar manicure amanhã"), Some("manicure".into()));
        assert_eq!(s("a colour please"), Some("color".into()));
        assert_eq!(s("hello"), None);
        let p = |t: &str| provider(&normalize(t), &c);
        assert_eq!(
            p("haircut with Maria"),
            Some(ProviderWish::Named(vec![
                "maria-s".into(),
                "maria-c".into()
            ]))
        );
        assert_eq!(
            p("with maria costa"),
            Some(ProviderWish::Named(vec!["maria-c".into()]))
        );
        assert_eq!(
            p("com o joão"),
            Some(ProviderWish::Named(vec!["joao".into()]))
        );
        assert_eq!(p("anyone is fine"), Some(ProviderWish::Any));
        assert_eq!(p("any"), Some(ProviderWish::Any));
        assert_eq!(p("any time friday afternoon"), None);
        assert_eq!(p("qualquer hora"), None);
        assert_eq!(
            p("with Silva"),
            Some(ProviderWish::Named(vec!["maria-s".into()]))
        );
    }

    #[test]
    fn the_language_is_detected_from_typical_sentences() {
        let l = |t: &str| detect_lang(&normalize(t));
        assert_eq!(l("haircut with Maria tomorrow at 3pm"), Some(Lang::En));
        assert_eq!(l("corte de pelo el martes"), Some(Lang::Es));
        assert_eq!(l("quero marcar manicure amanhã às 10"), Some(Lang::Pt));
        assert_eq!(l("hola, quiero una cita"), Some(Lang::Es));
        assert_eq!(l("2"), None);
    }

    #[test]
    fn typos_are_forgiven_only_in_longer_words() {
        assert!(similar("haircut", "hiarcut"));
        assert!(similar("manicure", "manicrue"));
        assert!(!similar("cut", "cat"));
    }
}
