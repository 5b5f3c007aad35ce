//! Screens that commit something: a booking, a move, a cancellation. Only an explicit yes
//! commits; every refusal in any of the three languages, typed as customers type, leaves
//! things as they were.

use chrono::Duration;
use proptest::prelude::*;

use super::*;
use crate::testkit::*;
use crate::wire::BridgeRequest;

/// A customer on the "Please confirm" screen of a new booking, reached in `lang`'s words.
fn confirming(lang: Lang) -> Sim {
    let mut sim = Sim::new();
    let line = match lang {
        Lang::En => "haircut with João tomorrow at 3pm",
        Lang::Es => "quiero un corte con João mañana a las 15",
        Lang::Pt => "quero um corte com João amanhã às 15h",
        Lang::PtBr => "quero agendar um corte com o João amanhã às 15h",
    };
    sim.say(line);
    assert!(
        matches!(sim.conv.stage, Stage::Confirm { .. }),
        "{line}: {:?}",
        sim.conv.stage
    );
    assert_eq!(sim.bridge.holds.len(), 1);
    sim
}

/// A customer with a booking, on the confirm screen of moving it.
fn confirming_a_move() -> Sim {
    let mut sim = Sim::new();
    sim.say("colour with Maria Silva tomorrow at 10am");
    sim.say("yes");
    sim.say("reschedule");
    sim.say("25/11 at 2pm");
    assert!(matches!(
        &sim.conv.stage,
        Stage::Confirm { draft, .. } if draft.rescheduling.is_some()
    ));
    sim
}

/// A customer with a booking, asked whether to cancel it.
fn confirming_a_cancellation() -> Sim {
    let mut sim = Sim::new();
    sim.say("colour with Maria Silva tomorrow at 10am");
    sim.say("yes");
    sim.say("my bookings");
    sim.say("1");
    sim.tap("act:cancel");
    assert!(matches!(sim.conv.stage, Stage::CancelConfirm { .. }));
    sim
}

/// Whether a request commits what the screen asked about.
fn commits(request: &BridgeRequest) -> bool {
    matches!(
        request,
        BridgeRequest::Confirm { .. }
            | BridgeRequest::Reschedule { .. }
            | BridgeRequest::Cancel { .. }
    )
}

#[test]
fn refusing_a_booking_books_nothing_frees_the_time_and_says_so_in_each_language() {
    for (lang, word, told) in [
        (Lang::En, "cancel", "nothing was booked"),
        (Lang::En, "no", "nothing was booked"),
        (Lang::Es, "cancelar", "no se ha reservado nada"),
        (Lang::Es, "no", "no se ha reservado nada"),
        (Lang::Pt, "cancelar", "nada foi marcado"),
        (Lang::Pt, "não", "nada foi marcado"),
        (Lang::Es, "no, cancelar", "no se ha reservado nada"),
    ] {
        let mut sim = confirming(lang);
        let reply = sim.say(word);
        assert!(booked(&sim).is_empty(), "{word:?} booked: {reply}");
        assert!(sim.bridge.holds.is_empty(), "{word:?} kept the hold");
        assert!(reply.contains(told), "{word:?} ({lang:?}) said:\n{reply}");
        assert!(matches!(sim.conv.stage, Stage::Menu), "{word:?}");
    }
}

#[test]
fn asking_to_change_goes_back_to_the_times_of_that_day() {
    for (lang, word, times) in [
        (Lang::En, "change", "Tuesday 24 November"),
        (Lang::Es, "cambiar", "martes 24 de noviembre"),
        (Lang::Pt, "voltar", "terça-feira, 24 de novembro"),
    ] {
        let mut sim = confirming(lang);
        let reply = sim.say(word);
        assert!(booked(&sim).is_empty(), "{word:?}");
        assert!(sim.bridge.holds.is_empty(), "{word:?} kept the hold");
        assert!(reply.contains(times), "{word:?} said:\n{reply}");
        assert!(
            matches!(sim.conv.stage, Stage::Time { .. } | Stage::Part { .. }),
            "{word:?}: {:?}",
            sim.conv.stage
        );
    }
}

#[test]
fn only_an_explicit_yes_books() {
    for yes in [
        "yes",
        "1",
        "Confirm",
        "ok 👍",
        "👍",
        "sí",
        "sim",
        "confirmar",
    ] {
        let mut sim = confirming(Lang::En);
        let reply = sim.say(yes);
        assert_eq!(booked(&sim).len(), 1, "{yes:?} did not book: {reply}");
    }
    for unclear in ["maybe", "hmm", "what?", "3", "wait"] {
        let mut sim = confirming(Lang::En);
        let reply = sim.say(unclear);
        assert!(booked(&sim).is_empty(), "{unclear:?} booked");
        assert_eq!(sim.bridge.holds.len(), 1, "{unclear:?} let the time go");
        assert!(reply.contains("Please confirm"), "{unclear:?}: asked again");
    }
}

#[test]
fn a_new_time_typed_on_the_confirm_screen_replaces_the_held_one() {
    let mut sim = confirming(Lang::En);
    let reply = sim.say("actually 5pm");
    assert!(booked(&sim).is_empty());
    assert!(reply.contains("Tuesday 24 November at 5:00 pm"), "{reply}");
    assert_eq!(sim.bridge.holds.len(), 1, "the 3 pm hold went back");
    assert_eq!(
        sim.bridge.holds[0].0.start,
        madrid(2026, 11, 24, 17, 0),
        "and 5 pm is held"
    );
}

#[test]
fn refusing_a_move_keeps_the_booking_where_it_was() {
    let mut sim = confirming_a_move();
    let reply = sim.say("no");
    assert!(
        reply.contains("SL-0001 stays on Tuesday 24 November at 10:00 am"),
        "{reply}"
    );
    assert_eq!(booked(&sim)[0].start, madrid(2026, 11, 24, 10, 0));
    assert!(sim.bridge.holds.is_empty());
}

#[test]
fn on_the_cancel_screen_cancel_alone_is_asked_back_and_no_keeps_it() {
    let mut sim = confirming_a_cancellation();
    let reply = sim.say("cancel");
    assert_eq!(
        booked(&sim).len(),
        1,
        "\"cancel\" is ambiguous here: {reply}"
    );
    assert!(reply.contains("reply 1"), "{reply}");
    let reply = sim.say("no");
    assert_eq!(booked(&sim).len(), 1);
    assert!(reply.contains("Kept: SL-0001"), "{reply}");
    let mut sim = confirming_a_cancellation();
    sim.say("Yes, cancel");
    assert!(booked(&sim).is_empty(), "the option's own title cancels");
}

#[test]
fn a_stop_on_the_confirm_screen_also_frees_the_time() {
    let mut sim = confirming(Lang::En);
    sim.say("STOP");
    assert!(booked(&sim).is_empty());
    assert!(sim.bridge.holds.is_empty());
}

/// Refusals as customers type them: three languages, capitals, punctuation and typos. Kept
/// here, apart from the parser's own word lists, so that shrinking those lists fails here.
const NEGATIVE: &[&str] = &[
    "no",
    "No.",
    "NO!",
    "nope",
    "Nope!!",
    "nah",
    "no thanks",
    "no, cancel",
    "cancel",
    "Cancel!",
    "cancle",
    "cancell",
    "cancel it",
    "stop",
    "back",
    "go back",
    "change",
    "Change time",
    "never mind",
    "nevermind",
    "forget it",
    "don't",
    "do not book",
    "not now",
    "wrong",
    "abort",
    "no gracias",
    "cancelar",
    "Cancelar.",
    "cancelarr",
    "canselar",
    "anular",
    "atrás",
    "atras",
    "volver",
    "cambiar",
    "cambiar hora",
    "otra hora",
    "mejor no",
    "olvídalo",
    "ni hablar",
    "negativo",
    "no, cancelar",
    "não",
    "nao",
    "Não!",
    "não obrigado",
    "cancele",
    "voltar",
    "mudar",
    "trocar",
    "outra hora",
    "desisto",
    "esquece",
    "melhor não",
    "nem pensar",
    "errado",
    "sim, não",
    "yes no",
    "ok no",
];

/// The committing screens: a new booking in each language, a move, a cancellation.
fn committing_screen(which: u8) -> Sim {
    match which {
        0 => confirming(Lang::En),
        1 => confirming(Lang::Es),
        2 => confirming(Lang::Pt),
        3 => confirming_a_move(),
        _ => confirming_a_cancellation(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_refusal_ever_commits(
        screen in 0u8..5,
        word in prop::sample::select(NEGATIVE),
        shout in any::<bool>(),
        tail in prop::sample::select(vec!["", "!", ".", "...", " 🙁", "?"]),
        minutes in 0i64..50,
    ) {
        let mut sim = committing_screen(screen);
        sim.later(Duration::minutes(minutes));
        let text = if shout { word.to_uppercase() } else { word.to_owned() };
        let before = sim.bridge.requests.len();
        let booked_before = booked(&sim);
        let reply = sim.say(&format!("{text}{tail}"));
        let committed: Vec<_> = sim.bridge.requests[before..].iter().filter(|r| commits(r)).collect();
        prop_assert!(committed.is_empty(), "{text}{tail} committed {committed:?}: {reply}");
        prop_assert_eq!(booked(&sim), booked_before);
    }
}

/// A dental clinic in São Paulo whose cleaning takes a R$ 50 deposit through Stripe, and a
/// Brazilian customer on its "Please confirm" screen.
fn clinic_confirming() -> Sim {
    use crate::catalog::{Catalog, Money, Provider, Service};
    let zone = chrono_tz::America::Sao_Paulo;
    let now = monday();
    let tenant = profile("sorriso", "Clínica Sorriso", zone, vec![Lang::PtBr], now);
    let catalog = Catalog {
        services: vec![Service {
            id: "limpeza".into(),
            name: "Limpeza dental".into(),
            description: String::new(),
            duration_min: 45,
            price: Money::new(22_000, "BRL"),
            deposit: Some(Money::new(5_000, "BRL")),
            aliases: vec![],
            translations: Default::default(),
            image_url: None,
        }],
        providers: vec![Provider {
            id: "dra-lia".into(),
            name: "Dra. Lia".into(),
            rating_tenths: None,
            aliases: vec![],
            services: vec!["limpeza".into()],
        }],
    };
    let mut sim = Sim::business(now, zone, tenant, catalog, "+5511987654321");
    sim.bridge.takes_deposits = true;
    sim.say("quero agendar uma limpeza amanhã às 10h");
    assert!(
        matches!(sim.conv.stage, Stage::Confirm { .. }),
        "{:?}",
        sim.conv.stage
    );
    sim
}

#[test]
fn a_deposit_is_paid_before_the_booking_is_made_and_the_time_stays_held() {
    let mut sim = clinic_confirming();
    let reply = sim.say("sim");
    assert!(
        booked(&sim).is_empty(),
        "a yes alone books nothing: {reply}"
    );
    assert!(reply.contains("R$ 50,00"), "{reply}");
    assert!(
        reply.contains("https://checkout.stripe.com/c/pay/cs_test_"),
        "the link: {reply}"
    );
    // 10:00 UTC is 07:00 in São Paulo: paid by 30 minutes from now, on its clock.
    assert!(reply.contains("até 07:30"), "{reply}");
    assert_eq!(sim.bridge.holds.len(), 1, "the time stays held");
    assert!(matches!(sim.conv.stage, Stage::Paying { .. }));

    // Writing before paying gets the link again, said as not paid yet.
    let reply = sim.say("oi?");
    assert!(reply.contains("Ainda não vi seu pagamento"), "{reply}");
    assert!(reply.contains("https://checkout.stripe.com/"), "{reply}");

    // Once paid, the next message finds the booking made.
    let hold = sim.bridge.holds[0].0.id.clone();
    sim.bridge.paid.push(hold);
    let reply = sim.say("paguei");
    assert_eq!(booked(&sim).len(), 1, "{reply}");
    assert!(reply.contains("Agendado!"), "{reply}");
}

#[test]
fn cancelling_while_a_deposit_is_due_gives_the_time_back() {
    for word in ["cancelar", "não", "desisto, cancelar"] {
        let mut sim = clinic_confirming();
        sim.say("sim");
        let reply = sim.say(word);
        assert!(booked(&sim).is_empty(), "{word:?}");
        assert!(
            sim.bridge.holds.is_empty(),
            "{word:?} kept the hold: {reply}"
        );
        assert!(reply.contains("nada foi agendado"), "{word:?}: {reply}");
        assert!(matches!(sim.conv.stage, Stage::Menu), "{word:?}");
    }
}

#[test]
fn cancelling_after_the_deposit_was_paid_cancels_the_booking_with_its_policy() {
    let mut sim = clinic_confirming();
    sim.say("sim");
    let hold = sim.bridge.holds[0].0.id.clone();
    sim.bridge.paid.push(hold);
    // Paid at Stripe while the chat still showed the payment screen.
    let reply = sim.say("cancelar");
    assert!(reply.contains("Agendado!"), "told it is booked: {reply}");
    assert!(
        reply.contains("O sinal de R$ 50,00 será devolvido"),
        "what cancelling gives back, 27 h ahead: {reply}"
    );
    assert_eq!(booked(&sim).len(), 1, "nothing cancelled before a yes");
    assert!(matches!(sim.conv.stage, Stage::CancelConfirm { .. }));
    sim.say("sim");
    assert!(booked(&sim).is_empty());
}
