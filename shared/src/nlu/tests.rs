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
    date(&normalize(text), today(), false)
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
        translations: Default::default(),
        image_url: None,
    };
    let prov = |id: &str, name: &str| Provider {
        id: id.into(),
        name: name.into(),
        rating_tenths: None,
        aliases: vec![],
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
    // The same weekday as today could be today or a week today: ask.
    assert_eq!(
        date_of("saturday"),
        Some(DateWish::OneOf(vec![today(), d(2026, 11, 28)]))
    );
    assert_eq!(date_of("this saturday"), Some(DateWish::On(today())));
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
    let s = |t: &str| service(&normalize(t), &c).and_then(|w| w.one().cloned());
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

/// A physiotherapy clinic the parser was not written around.
fn clinic() -> Catalog {
    let svc = |id: &str, name: &str, description: &str| Service {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        duration_min: 45,
        price: Money::new(5000, "BRL"),
        deposit: None,
        aliases: vec![],
        translations: Default::default(),
        image_url: None,
    };
    let prov = |id: &str, name: &str, aliases: &[&str]| Provider {
        id: id.into(),
        name: name.into(),
        rating_tenths: None,
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        services: vec!["assess".into(), "sports".into(), "pilates".into()],
    };
    Catalog {
        services: vec![
            svc(
                "assess",
                "Physiotherapy assessment",
                "First visit and treatment plan",
            ),
            svc("sports", "Sports massage", "Deep tissue work for athletes"),
            svc("relax", "Relaxing massage", "Gentle full-body massage"),
            svc("pilates", "Pilates session", "Clinical pilates, one to one"),
        ],
        providers: vec![
            prov("rafael", "Rafael Souza", &[]),
            prov("beatriz", "Beatriz Lima", &["Bea"]),
            prov("joao", "João Pedro Alves", &[]),
        ],
    }
}

#[test]
fn any_word_of_a_service_names_it_across_languages() {
    let c = clinic();
    let s = |t: &str| service(&normalize(t), &c);
    let one = |id: &str| Some(ServiceWish::One(id.into()));
    for (text, want) in [
        ("pilates", one("pilates")),
        ("physio please", one("assess")),
        ("fisioterapia amanhã", one("assess")),
        ("quero uma avaliação", one("assess")),
        ("sports massage tomorrow", one("sports")),
        ("massagem desportiva", one("sports")),
        ("masaje relajante", one("relax")),
        ("a relaxing massage", one("relax")),
        ("pilates classes", one("pilates")),
        ("aulas de pilates", one("pilates")),
        ("pilattes", one("pilates")),
    ] {
        assert_eq!(s(text), want, "{text}");
    }
    // Two massages: ask between just those two.
    for text in [
        "massage",
        "massagem",
        "masaje",
        "I need a massage on friday",
    ] {
        assert_eq!(
            s(text),
            Some(ServiceWish::OneOf(vec!["sports".into(), "relax".into()])),
            "{text}"
        );
    }
    for text in ["hello", "tomorrow at 3", "with Rafael", "2"] {
        assert_eq!(s(text), None, "{text}");
    }
}

#[test]
fn everyday_words_find_the_service_a_catalog_names_otherwise() {
    let svc = |id: &str, name: &str| Service {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        duration_min: 30,
        price: Money::new(2500, "USD"),
        deposit: None,
        aliases: vec![],
        translations: Default::default(),
        image_url: None,
    };
    let c = Catalog {
        services: vec![
            svc("cut", "Classic haircut"),
            svc("beard", "Beard trim & line-up"),
            svc("clean", "Teeth cleaning"),
        ],
        providers: vec![],
    };
    let s = |t: &str| service(&normalize(t), &c).and_then(|w| w.one().cloned());
    assert_eq!(s("I need to cut my hair"), Some("cut".into()));
    assert_eq!(s("cortar el pelo"), Some("cut".into()));
    assert_eq!(s("fazer a barba"), Some("beard".into()));
    assert_eq!(s("a shave on saturday"), Some("beard".into()));
    assert_eq!(s("limpeza dos dentes"), Some("clean".into()));
    assert_eq!(s("limpieza dental"), Some("clean".into()));
}

#[test]
fn staff_by_first_name_nickname_alias_and_without_accents() {
    let c = clinic();
    let p = |t: &str| provider(&normalize(t), &c);
    let named = |id: &str| Some(ProviderWish::Named(vec![id.into()]));
    assert_eq!(p("com o joao"), named("joao"));
    assert_eq!(p("with João Pedro"), named("joao"));
    assert_eq!(p("with Rafa"), named("rafael"));
    assert_eq!(p("com a Bea"), named("beatriz"));
    assert_eq!(p("with bia"), named("beatriz"));
    assert_eq!(p("beatris"), named("beatriz"));
    assert_eq!(p("no preference"), Some(ProviderWish::Any));
    assert_eq!(p("tanto faz"), Some(ProviderWish::Any));
    assert_eq!(p("pilates on friday"), None);
}

#[test]
fn intents_are_read_inside_sentences_and_negation_is_respected() {
    let cmd = |t: &str| command(&normalize(t));
    for (text, want) in [
        ("I need to reschedule my appointment", Command::Reschedule),
        ("can I move my booking to friday?", Command::Reschedule),
        ("preciso remarcar a consulta", Command::Reschedule),
        ("quiero cambiar mi cita", Command::Reschedule),
        ("I have to cancel tomorrow's session", Command::Cancel),
        ("preciso cancelar", Command::Cancel),
        ("necesito cancelar la cita del martes", Command::Cancel),
        ("when is my appointment?", Command::MyBookings),
        ("quando é a minha consulta?", Command::MyBookings),
        ("can I talk to a person please", Command::Human),
        ("quiero hablar con alguien", Command::Human),
        ("posso falar com uma pessoa?", Command::Human),
        (
            "I don't want to cancel, I want to reschedule",
            Command::Reschedule,
        ),
    ] {
        assert_eq!(cmd(text), Some(want), "{text}");
    }
    for text in [
        "I don't want to cancel",
        "não quero cancelar",
        "no quiero cancelar",
        "pilates tomorrow",
    ] {
        assert_eq!(cmd(text), None, "{text}");
    }
}

#[test]
fn half_and_quarter_hours_in_words_and_digits() {
    let t = |s: &str| time(&normalize(s));
    let at = |h, m| Some(TimeWish::At(hm(h, m)));
    for (text, want) in [
        ("at half past 4", at(16, 30)),
        ("quarter past 4", at(16, 15)),
        ("quarter to 5", at(16, 45)),
        ("at 4:15", at(16, 15)),
        ("at 4.30", at(16, 30)),
        ("16h30", at(16, 30)),
        ("a las 4 y media", at(16, 30)),
        ("a las cuatro y media", at(16, 30)),
        ("a las 5 menos cuarto", at(16, 45)),
        ("às 4 e meia", at(16, 30)),
        ("às quatro e um quarto", at(16, 15)),
        ("quinze para as 5", at(16, 45)),
        ("at four", at(16, 0)),
        ("at 10:30am", at(10, 30)),
        ("at noon", at(12, 0)),
        ("ao meio-dia", at(12, 0)),
        ("half four", at(16, 30)),
    ] {
        assert_eq!(t(text), want, "{text}");
    }
    // Numbers that are not times stay unread.
    assert_eq!(t("one massage please"), None);
    assert_eq!(t("uma massagem"), None);
}

#[test]
fn weeks_weekends_and_weekdays_of_next_week_are_read_exactly() {
    // Today is Saturday 21 November 2026.
    for (text, want) in [
        ("tuesday next week", DateWish::On(d(2026, 11, 24))),
        ("next week's tuesday", DateWish::On(d(2026, 11, 24))),
        (
            "el martes de la semana que viene",
            DateWish::On(d(2026, 11, 24)),
        ),
        ("terça da próxima semana", DateWish::On(d(2026, 11, 24))),
        ("saturday next week", DateWish::On(d(2026, 11, 28))),
        ("the tuesday after next", DateWish::On(d(2026, 12, 1))),
        ("in 3 days", DateWish::On(d(2026, 11, 24))),
        ("daqui a 3 dias", DateWish::On(d(2026, 11, 24))),
        ("next week", DateWish::Week(d(2026, 11, 23))),
        ("la semana que viene", DateWish::Week(d(2026, 11, 23))),
        ("in two weeks", DateWish::Week(d(2026, 12, 5))),
        ("em duas semanas", DateWish::Week(d(2026, 12, 5))),
        (
            "this weekend",
            DateWish::OneOf(vec![d(2026, 11, 21), d(2026, 11, 22)]),
        ),
        (
            "el fin de semana que viene",
            DateWish::OneOf(vec![d(2026, 11, 28), d(2026, 11, 29)]),
        ),
        // A weekday and a day of the month that disagree: both are offered.
        (
            "tuesday the 25th",
            DateWish::OneOf(vec![d(2026, 11, 24), d(2026, 11, 25)]),
        ),
    ] {
        assert_eq!(date_of(text), Some(want), "{text}");
    }
}

#[test]
fn a_weekday_of_next_week_written_on_that_weekday_is_a_week_away() {
    // Tuesday 24 November.
    let tuesday = d(2026, 11, 24);
    let on = |t: &str| date(&normalize(t), tuesday, false);
    assert_eq!(on("tuesday next week"), Some(DateWish::On(d(2026, 12, 1))));
    assert_eq!(on("next tuesday"), Some(DateWish::On(d(2026, 12, 1))));
    assert_eq!(
        on("tuesday"),
        Some(DateWish::OneOf(vec![tuesday, d(2026, 12, 1)]))
    );
}

#[test]
fn numeric_dates_follow_the_customers_order() {
    let day_first = date(&normalize("3/4"), today(), false);
    let month_first = date(&normalize("3/4"), today(), true);
    assert_eq!(day_first, Some(DateWish::On(d(2027, 4, 3))));
    assert_eq!(month_first, Some(DateWish::On(d(2027, 3, 4))));
    // A number over 12 settles it either way.
    assert_eq!(
        date(&normalize("25/12"), today(), true),
        Some(DateWish::On(d(2026, 12, 25)))
    );
}
