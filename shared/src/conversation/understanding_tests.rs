//! What customers of a business the parser was never written around say, and what they
//! hear back: one transcript per way the bot used to get them wrong. The business is a
//! physiotherapy clinic in São Paulo (Brazilian Portuguese first, English and Spanish too),
//! generated here, not the demo salon.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::catalog::{Money, Provider, Service, ServiceText};
use crate::testkit::{Sim, booked, dialogue};

/// Tuesday 24 November 2026, 13:00 in São Paulo.
fn tuesday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap()
}

fn clinic_catalog(two_massages: bool) -> Catalog {
    let svc = |id: &str, pt: &str, en: &str, es: &str, price: i64| Service {
        id: id.into(),
        name: pt.into(),
        description: String::new(),
        duration_min: 45,
        price: Money::new(price, "BRL"),
        deposit: None,
        aliases: vec![],
        translations: BTreeMap::from([
            (
                Lang::En,
                ServiceText {
                    name: en.into(),
                    description: String::new(),
                },
            ),
            (
                Lang::Es,
                ServiceText {
                    name: es.into(),
                    description: String::new(),
                },
            ),
        ]),
        image_url: None,
    };
    let mut services = vec![
        svc(
            "assess",
            "Avaliação de fisioterapia",
            "Physiotherapy assessment",
            "Evaluación de fisioterapia",
            22000,
        ),
        svc(
            "sports",
            "Massagem esportiva",
            "Sports massage",
            "Masaje deportivo",
            18000,
        ),
        svc(
            "pilates",
            "Sessão de pilates",
            "Pilates session",
            "Sesión de pilates",
            15000,
        ),
    ];
    if two_massages {
        services.push(svc(
            "relax",
            "Massagem relaxante",
            "Relaxing massage",
            "Masaje relajante",
            16000,
        ));
    }
    let all: Vec<_> = services.iter().map(|s| s.id.clone()).collect();
    let prov = |id: &str, name: &str, aliases: &[&str]| Provider {
        id: id.into(),
        name: name.into(),
        rating_tenths: Some(48),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        services: all.clone(),
    };
    Catalog {
        services,
        providers: vec![
            prov("rafael", "Rafael Souza", &[]),
            prov("beatriz", "Beatriz Lima", &["Bea"]),
            prov("joao", "João Pedro Alves", &["JP"]),
        ],
    }
}

/// The clinic's answer to a customer from `customer`'s country whose first message is
/// `text`.
fn first_reply(customer: &str, two_massages: bool, text: &str) -> String {
    clinic(customer, two_massages).say(text)
}

fn clinic(customer: &str, two_massages: bool) -> Sim {
    let zone = chrono_tz::America::Sao_Paulo;
    let now = tuesday();
    let tenant = crate::testkit::profile(
        "movimento",
        "Clínica Movimento",
        zone,
        vec![Lang::PtBr, Lang::En, Lang::Es],
        now,
    );
    Sim::business(now, zone, tenant, clinic_catalog(two_massages), customer)
}

const BRAZIL: &str = "+5511987654321";
const UK: &str = "+447700900123";
const SPAIN: &str = "+34611222333";

#[test]
fn part_of_a_service_name_finds_it_in_every_language() {
    for (customer, text, named) in [
        (UK, "massage please", "Sports massage"),
        (UK, "I want pilates", "Pilates session"),
        (UK, "physio on friday", "Physiotherapy assessment"),
        (BRAZIL, "quero uma massagem", "Massagem esportiva"),
        (BRAZIL, "fisioterapia amanhã", "Avaliação de fisioterapia"),
        (SPAIN, "un masaje el viernes", "Masaje deportivo"),
    ] {
        let mut sim = clinic(customer, false);
        let reply = sim.say(text);
        assert!(reply.contains(named), "{text}: {reply}");
        // Straight to the next question: who, not which service.
        assert!(
            matches!(sim.conv.stage, Stage::Provider { .. }),
            "{text}: {:?}",
            sim.conv.stage
        );
    }
}

#[test]
fn two_services_sharing_the_word_are_asked_between_and_no_others() {
    let mut sim = clinic(UK, true);
    let reply = sim.say("I'd like a massage tomorrow");
    assert!(reply.contains("Which one do you mean?"), "{reply}");
    assert!(
        reply.contains("Sports massage") && reply.contains("Relaxing massage"),
        "{reply}"
    );
    assert!(!reply.contains("Pilates"), "{reply}");
    let reply = sim.say("relaxing");
    assert!(
        reply.contains("Who would you like for Relaxing massage?"),
        "{reply}"
    );
}

#[test]
fn intents_inside_sentences_do_what_they_say() {
    let mut sim = clinic(UK, false);
    dialogue(
        &mut sim,
        &[
            ("pilates with Rafael tomorrow at 10am", &["Please confirm"]),
            ("yes", &["Booked!"]),
        ],
    );
    dialogue(
        &mut sim,
        &[(
            "I need to reschedule my appointment",
            &["Let's find a new time"],
        )],
    );
    let mut sim = clinic(BRAZIL, false);
    dialogue(
        &mut sim,
        &[
            ("pilates com o Rafael amanhã às 10h", &["Confirme"]),
            ("sim", &["Agendado!"]),
            ("preciso cancelar a minha consulta", &["Cancelar"]),
        ],
    );
    let mut sim = clinic(SPAIN, false);
    sim.say("hola");
    sim.say("necesito hablar con una persona");
    assert_eq!(sim.handoffs, 1);
    // Negated, it is not the intent.
    let reply = first_reply(
        UK,
        false,
        "I don't want to cancel anything, just book pilates",
    );
    assert!(!reply.contains("upcoming bookings"), "{reply}");
    assert!(reply.contains("Pilates session"), "{reply}");
}

#[test]
fn what_was_understood_is_said_back_before_the_next_question() {
    let reply = first_reply(UK, false, "sports massage tomorrow afternoon");
    assert!(
        reply.contains("Got it: Sports massage, Wednesday 25 November, in the afternoon."),
        "{reply}"
    );
    assert!(
        reply.contains("Who would you like for Sports massage?"),
        "{reply}"
    );
    let reply = first_reply(BRAZIL, false, "massagem com a Bia na sexta depois das 15h");
    assert!(
        reply.contains("Entendi: Massagem esportiva, com Beatriz Lima, sexta-feira, 27 de novembro, depois das 15:00."),
        "{reply}"
    );
}

#[test]
fn help_gives_examples_from_this_business() {
    let mut sim = clinic(UK, false);
    sim.say("hello");
    let reply = sim.say("help");
    assert!(
        reply.contains("\"physiotherapy assessment tomorrow at 3pm\""),
        "{reply}"
    );
    assert!(reply.contains("sports massage with Rafael"), "{reply}");
    assert!(!reply.contains("haircut"), "{reply}");
}

#[test]
fn a_brazilian_number_is_answered_in_brazilian_portuguese_with_reais() {
    let mut sim = clinic(BRAZIL, false);
    let reply = sim.say("oi");
    assert!(reply.contains("Qual serviço você gostaria?"), "{reply}");
    assert!(reply.contains("R$ 220,00"), "{reply}");
    dialogue(
        &mut sim,
        &[
            ("1", &["Com quem você prefere Avaliação de fisioterapia?"]),
            ("Rafael", &["Qual dia"]),
        ],
    );
    // A Portuguese number of the same business reads European Portuguese where offered;
    // here only pt-BR is, so it is pt-BR too.
    let reply = first_reply("+351912345678", false, "olá, quero marcar uma massagem");
    assert!(reply.contains("Entendi: Massagem esportiva"), "{reply}");
}

#[test]
fn service_names_are_read_in_the_customers_language() {
    let reply = first_reply(SPAIN, false, "hola, quiero reservar");
    assert!(reply.contains("Masaje deportivo"), "{reply}");
    assert!(!reply.contains("Massagem esportiva"), "{reply}");
    let reply = first_reply(UK, false, "hi, I want to book");
    assert!(
        reply.contains("Sports massage") && reply.contains("Pilates session"),
        "{reply}"
    );
}

#[test]
fn a_bare_number_as_the_first_message_shows_the_menu_and_does_nothing() {
    let mut sim = clinic(BRAZIL, false);
    let reply = sim.say("2");
    assert!(reply.contains("Bem-vindo a Clínica Movimento"), "{reply}");
    assert!(reply.contains("O que você gostaria de fazer?"), "{reply}");
    assert!(sim.bridge.requests.is_empty());
    // The next "2" picks from the menu now on screen.
    let reply = sim.say("2");
    assert!(
        reply.contains("Você não tem agendamentos futuros."),
        "{reply}"
    );
}

#[test]
fn days_and_times_are_read_exactly_or_asked() {
    // Tuesday: "Tuesday next week" is a week away, not today.
    let reply = first_reply(
        UK,
        false,
        "pilates with Rafael tuesday next week at half past 4",
    );
    assert!(reply.contains("Tuesday 1 December at 4:30 pm"), "{reply}");
    // A bare "Tuesday" on a Tuesday could be either: asked.
    let reply = first_reply(UK, false, "pilates with Rafael on tuesday");
    assert!(reply.contains("Which Tuesday do you mean?"), "{reply}");
    // "This weekend" asks which day, not "which Saturday".
    let reply = first_reply(UK, false, "pilates with Rafael this weekend");
    assert!(reply.contains("Which day do you mean?"), "{reply}");
    assert!(
        reply.contains("Saturday 28 November") && reply.contains("Sunday 29 November"),
        "{reply}"
    );
    // Half hours in words are half hours.
    let reply = first_reply(BRAZIL, false, "pilates com o Rafael amanhã às 4 e meia");
    assert!(
        reply.contains("quarta-feira, 25 de novembro às 16:30"),
        "{reply}"
    );
    let reply = first_reply(
        SPAIN,
        false,
        "pilates con Rafael mañana a las 5 menos cuarto",
    );
    assert!(reply.contains("16:45"), "{reply}");
}

#[test]
fn everyday_words_and_nicknames_find_the_service_and_the_person() {
    let reply = first_reply(UK, false, "a massage with JP tomorrow");
    assert!(
        reply.contains("Got it: Sports massage, with João Pedro Alves"),
        "{reply}"
    );
    let reply = first_reply(BRAZIL, false, "pilates com o joao");
    assert!(reply.contains("com João Pedro Alves"), "{reply}");
}

#[test]
fn stop_on_the_confirm_screen_gives_the_slot_back() {
    let mut sim = clinic(UK, false);
    sim.say("pilates with Rafael tomorrow at 10am");
    assert!(matches!(sim.conv.stage, Stage::Confirm { .. }));
    assert_eq!(sim.bridge.holds.len(), 1);
    sim.say("stop");
    assert!(sim.bridge.holds.is_empty(), "the hold was not released");
    assert!(booked(&sim).is_empty());
    assert_eq!(sim.opt_outs, vec![true]);
}

#[test]
fn the_usual_books_the_last_service_with_the_same_person() {
    let mut sim = clinic(UK, false);
    dialogue(
        &mut sim,
        &[
            ("pilates with Beatriz tomorrow at 10am", &["Please confirm"]),
            ("yes", &["Booked!"]),
        ],
    );
    // Back a fortnight later: told where they left off.
    sim.later(Duration::days(14));
    let reply = sim.say("hello");
    assert!(
        reply.contains("Last time you had Pilates session with Beatriz Lima"),
        "{reply}"
    );
    let reply = sim.say("same as last time, friday at 11am");
    assert!(reply.contains("Please confirm"), "{reply}");
    assert!(
        reply.contains("Pilates session with Beatriz Lima"),
        "{reply}"
    );
    assert!(reply.contains("Friday 11 December at 11:00 am"), "{reply}");
    sim.say("yes");
    assert_eq!(booked(&sim).len(), 2);
    // Another service, the same person.
    let reply = sim.say("a sports massage with the same person on monday at 9am");
    assert!(
        reply.contains("Sports massage with Beatriz Lima"),
        "{reply}"
    );
}

#[test]
fn the_usual_without_a_visit_says_so_and_carries_on() {
    let reply = first_reply(BRAZIL, false, "o de sempre, por favor");
    assert!(
        reply.contains("Não encontrei nenhuma visita sua anterior"),
        "{reply}"
    );
    assert!(reply.contains("Qual serviço você gostaria?"), "{reply}");
}

#[test]
fn a_voice_note_or_a_picture_is_answered_with_what_the_bot_can_read() {
    use crate::twilio::inbound::Attachment;
    let mut sim = clinic(BRAZIL, false);
    let reply = sim.run(Event::Attachment(Attachment::Voice));
    assert!(reply.contains("Ainda não consigo ouvir áudios"), "{reply}");
    assert!(
        reply.contains("\"avaliação de fisioterapia amanhã às 15h\""),
        "{reply}"
    );
    assert!(reply.contains("O que você gostaria de fazer?"), "{reply}");
    // Mid-booking, the question on screen is asked again.
    let mut sim = clinic(UK, false);
    sim.say("I want pilates");
    let reply = sim.run(Event::Attachment(Attachment::Image));
    assert!(reply.contains("I can only read text"), "{reply}");
    assert!(
        reply.contains("Who would you like for Pilates session?"),
        "{reply}"
    );
    assert!(sim.bridge.requests.is_empty());
}

#[test]
fn where_are_you_is_answered_with_the_address_and_a_map() {
    let mut sim = clinic(UK, false);
    sim.tenant.address = Some("Rua Augusta 1500, São Paulo".into());
    sim.tenant.maps_url = Some("https://maps.example.com/?q=rua+augusta+1500".into());
    let reply = sim.say("hi, where are you located?");
    assert!(
        reply.contains("Clínica Movimento is at Rua Augusta 1500, São Paulo."),
        "{reply}"
    );
    assert!(
        reply.contains("https://maps.example.com/?q=rua+augusta+1500"),
        "{reply}"
    );
    sim.say("pilates with Rafael");
    let reply = sim.say("what's the address?");
    assert!(reply.contains("Rua Augusta 1500"), "{reply}");
    assert!(reply.contains("Which day for Pilates session?"), "{reply}");
    let reply = first_reply(SPAIN, false, "¿dónde están?");
    assert!(reply.contains("no tengo la dirección"), "{reply}");
}

#[test]
fn the_logo_comes_with_the_greeting_and_a_services_picture_when_it_is_chosen() {
    let mut sim = clinic(UK, false);
    sim.tenant.logo_url = Some("https://cdn.example.com/logo.png".into());
    sim.catalog.services[2].image_url = Some("https://cdn.example.com/pilates.jpg".into());
    sim.bridge.catalog = sim.catalog.clone();
    sim.say("hello");
    assert_eq!(
        sim.last[0].media_url.as_deref(),
        Some("https://cdn.example.com/logo.png")
    );
    assert!(sim.last[1..].iter().all(|r| r.media_url.is_none()));
    sim.say("pilates");
    let pictures: Vec<_> = sim
        .last
        .iter()
        .filter_map(|r| r.media_url.clone())
        .collect();
    assert_eq!(pictures, ["https://cdn.example.com/pilates.jpg"]);
    // Choosing the person is no new service: no picture again.
    sim.say("Rafael");
    assert!(sim.last.iter().all(|r| r.media_url.is_none()));
}
