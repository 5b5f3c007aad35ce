//! The parser on sentences customers write.

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
