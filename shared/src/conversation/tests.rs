//! Conversation transcripts, read as dialogues, and properties that hold in every state.
//!
//! A [`Sim`] plays the shell: it steps the conversation, answers its bridge requests from an
//! in-memory [`FakeBridge`] (opening hours, holds, bookings), and collects the replies as
//! the customer would read them in plain text.

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::testkit::*;

// ----- booking, step by step ---------------------------------------------------------

#[test]
fn booking_step_by_step_with_numbers_in_english() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "hi",
                &[
                    "Welcome to Salon Bella",
                    "Which service",
                    "1. Haircut (30 min · €20)",
                    "2. Colour (90 min · €60)",
                ],
            ),
            (
                "1",
                &[
                    "Who would you like for Haircut?",
                    "1. Maria Silva (★ 4.8)",
                    "4. Any available",
                ],
            ),
            (
                "1",
                &[
                    "Which day for Haircut?",
                    "1. Mon 23 Nov",
                    "2. Tue 24 Nov",
                    "Next week",
                ],
            ),
            (
                "2",
                &[
                    "Tuesday 24 November: which part of the day",
                    "1. Morning (6)",
                    "2. Afternoon (10)",
                    "3. Evening (2)",
                ],
            ),
            (
                "morning",
                &[
                    "Free times on Tuesday 24 November",
                    "1. 9:00 am",
                    "6. 11:30 am",
                ],
            ),
            (
                "third",
                &[
                    "Please confirm",
                    "Haircut with Maria Silva",
                    "Tuesday 24 November at 10:00 am",
                    "Price: €20",
                    "Free cancellation up to 24 h before",
                    "1. Confirm",
                ],
            ),
            (
                "yes",
                &[
                    "Booked! Your reference is SL-0001",
                    "Tuesday 24 November at 10:00 am",
                    "Anything else?",
                ],
            ),
        ],
    );
    let b = booked(&sim);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].start, madrid(2026, 11, 24, 10, 0));
    assert_eq!(b[0].provider, ProviderId::from("maria-s"));
    assert!(sim.bridge.holds.is_empty(), "the hold became the booking");
    assert_eq!(sim.timers.len(), 1, "the hold's expiry is watched");
}

#[test]
fn booking_by_taps_uses_option_ids() {
    let mut sim = Sim::new();
    sim.say("hello");
    sim.tap("svc:colour");
    assert!(sim.option_ids().contains(&"prov:any".to_owned()));
    sim.tap("prov:any");
    sim.tap("day:2026-11-25");
    let ids = sim.option_ids();
    let first_slot = ids
        .iter()
        .find(|i| i.starts_with("part:"))
        .cloned()
        .unwrap();
    sim.tap(&first_slot);
    let slot = sim
        .option_ids()
        .into_iter()
        .find(|i| i.starts_with("slot:"))
        .unwrap();
    let summary = sim.tap(&slot);
    assert!(summary.contains("Deposit: €15"), "{summary}");
    assert!(
        summary.contains("Cancel at least 24 h before to get the deposit back"),
        "{summary}"
    );
    let done = sim.tap("yes");
    assert!(done.contains("Booked!"), "{done}");
    assert_eq!(booked(&sim)[0].service, ServiceId::from("colour"));
}

#[test]
fn next_and_previous_week_page_through_days() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "haircut with João",
                &["Which day for Haircut?", "Next week"],
            ),
            ("next week", &["Mon 30 Nov", "Previous week"]),
            ("previous week", &["Tue 24 Nov"]),
        ],
    );
}

// ----- jumping ahead from free text --------------------------------------------------

#[test]
fn one_sentence_goes_straight_to_the_summary() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[(
            "haircut with João tomorrow at 3pm",
            &[
                "Welcome to Salon Bella",
                "Please confirm",
                "Haircut with João Pereira",
                "Tuesday 24 November at 3:00 pm",
            ],
        )],
    );
    dialogue(&mut sim, &[("confirm", &["Booked!"])]);
    assert_eq!(booked(&sim)[0].start, madrid(2026, 11, 24, 15, 0));
}

#[test]
fn a_partial_sentence_asks_only_for_what_is_missing() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            ("any time Friday afternoon", &["Which service"]),
            ("manicure", &["Who would you like for Manicure?"]),
            (
                "any",
                &["Free times on Friday 27 November", "12:00 pm", "4:00 pm"],
            ),
        ],
    );
    let reply = sim.last.last().unwrap();
    assert!(
        reply.options.iter().all(|o| !o.title.contains("am")),
        "{reply:?}"
    );
}

#[test]
fn spanish_free_text_jumps_ahead_and_answers_in_spanish() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "hola, corte de pelo el martes",
                &[
                    "¡Hola! Bienvenido a Salon Bella",
                    "¿Con quién quieres Haircut?",
                    "Cualquiera disponible",
                ],
            ),
            ("cualquiera", &["martes 24 de noviembre", "Mañana (6)"]),
            (
                "tarde",
                &["Horas libres el martes 24 de noviembre", "12:00"],
            ),
            (
                "a las 4 de la tarde",
                &[
                    "Confirma, por favor",
                    "martes 24 de noviembre a las 16:00",
                    "Precio: 20 €",
                    "Cancelación gratuita",
                ],
            ),
            ("sí", &["¡Reservado!", "SL-0001"]),
        ],
    );
    assert_eq!(sim.conv.lang, Some(Lang::Es));
}

#[test]
fn portuguese_free_text_jumps_ahead_and_answers_in_portuguese() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "quero marcar manicure amanhã às 10",
                &[
                    "Olá! Bem-vindo a Salon Bella",
                    "Com quem prefere Manicure?",
                    "Qualquer disponível",
                ],
            ),
            (
                "qualquer",
                &[
                    "Confirme, por favor",
                    "Manicure com Maria Costa",
                    "terça-feira, 24 de novembro às 10:00",
                    "Preço: 25 €",
                ],
            ),
            ("sim", &["Marcado!", "SL-0001"]),
        ],
    );
    assert_eq!(sim.conv.lang, Some(Lang::Pt));
}

#[test]
fn two_providers_with_one_name_are_asked_back() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "haircut with Maria tomorrow",
                &[
                    "Which Maria do you mean?",
                    "1. Maria Silva",
                    "2. Maria Costa",
                ],
            ),
            ("Costa", &["Tuesday 24 November", "Morning"]),
        ],
    );
    assert!(
        matches!(&sim.conv.stage, Stage::Part { draft, .. } if draft.provider == Some(ProviderChoice::One("maria-c".into())))
    );
}

#[test]
fn next_friday_near_a_weekend_is_asked_back() {
    let mut sim = Sim::new();
    dialogue(
        &mut sim,
        &[
            (
                "haircut with João next Friday",
                &[
                    "Which Friday do you mean?",
                    "1. Friday 27 November",
                    "2. Friday 4 December",
                ],
            ),
            ("2", &["Friday 4 December"]),
        ],
    );
}

// ----- my bookings, rescheduling, cancelling ------------------------------------------

fn with_booking() -> Sim {
    let mut sim = Sim::new();
    sim.say("colour with Maria Silva tomorrow at 10am");
    sim.say("yes");
    assert_eq!(booked(&sim).len(), 1);
    sim
}

#[test]
fn my_bookings_lists_them_and_offers_actions() {
    let mut sim = with_booking();
    dialogue(
        &mut sim,
        &[
            (
                "my bookings",
                &[
                    "Your upcoming bookings",
                    "Tue 24 Nov 10:00 am",
                    "Colour · SL-0001",
                ],
            ),
            (
                "1",
                &[
                    "Colour with Maria Silva, Tue 24 Nov 10:00 am",
                    "1. Reschedule",
                    "2. Cancel it",
                    "3. Back",
                ],
            ),
        ],
    );
}

#[test]
fn rescheduling_books_the_new_time_before_releasing_the_old() {
    let mut sim = with_booking();
    dialogue(
        &mut sim,
        &[
            (
                "reschedule",
                &[
                    "Let's find a new time for Colour with Maria Silva",
                    "Which day for Colour?",
                ],
            ),
            ("wednesday", &["Wednesday 25 November"]),
            ("afternoon", &["Free times on Wednesday 25 November"]),
            (
                "at 2pm",
                &["Please confirm", "Wednesday 25 November at 2:00 pm"],
            ),
        ],
    );
    // The old booking still stands while the new time is only held.
    assert_eq!(booked(&sim)[0].start, madrid(2026, 11, 24, 10, 0));
    dialogue(
        &mut sim,
        &[(
            "confirm",
            &["Done! SL-0001 is now Wednesday 25 November at 2:00 pm"],
        )],
    );
    let b = booked(&sim);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].start, madrid(2026, 11, 25, 14, 0));
    assert!(
        matches!(sim.bridge.requests.last(), Some(BridgeRequest::Reschedule { booking, .. }) if booking == "SL-0001")
    );
}

#[test]
fn cancelling_early_states_the_refund_and_asks_first() {
    let mut sim = with_booking();
    sim.now = monday() - Duration::days(3);
    sim.conv.last_seen = Some(sim.now);
    dialogue(
        &mut sim,
        &[(
            "cancel",
            &[
                "Cancel Colour with Maria Silva, Tue 24 Nov 10:00 am?",
                "Your deposit of €15 will be refunded",
                "1. Yes, cancel",
                "2. Keep it",
            ],
        )],
    );
    assert_eq!(booked(&sim).len(), 1, "nothing cancelled before confirming");
    dialogue(
        &mut sim,
        &[("1", &["Cancelled SL-0001", "book another time"])],
    );
    assert!(booked(&sim).is_empty());
}

#[test]
fn cancelling_late_states_the_forfeit() {
    let mut sim = with_booking();
    dialogue(
        &mut sim,
        &[
            (
                "cancelar",
                &["It is less than 24 h away, so the deposit of €15 is kept"],
            ),
            ("keep it", &["What would you like to do?"]),
        ],
    );
    assert_eq!(booked(&sim).len(), 1);
}

#[test]
fn with_no_bookings_the_customer_is_told_so() {
    let mut sim = Sim::new();
    dialogue(&mut sim, &[("mis citas", &["No tienes citas próximas"])]);
}

// ----- always available ---------------------------------------------------------------

#[test]
fn menu_starts_over_from_the_middle_of_a_booking_and_releases_the_hold() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow at 3pm");
    assert_eq!(sim.bridge.holds.len(), 1);
    dialogue(
        &mut sim,
        &[(
            "start over",
            &["What would you like to do?", "1. Book", "2. My bookings"],
        )],
    );
    assert!(
        sim.bridge.holds.is_empty(),
        "leaving the summary gives the slot back"
    );
    assert_eq!(sim.conv.stage, Stage::Menu);
}

#[test]
fn help_explains_and_repeats_the_current_question() {
    let mut sim = Sim::new();
    sim.say("hi");
    dialogue(
        &mut sim,
        &[(
            "help",
            &[
                "I can book, reschedule or cancel",
                "Which service",
                "1. Haircut",
            ],
        )],
    );
}

#[test]
fn talking_to_a_person_flags_the_conversation_and_the_bot_steps_aside() {
    let mut sim = Sim::new();
    sim.say("hi");
    dialogue(
        &mut sim,
        &[("talk to a person", &["someone will reply here soon"])],
    );
    assert_eq!(sim.handoffs, 1);
    assert_eq!(
        sim.say("hello? anyone?"),
        "",
        "the bot stays quiet while staff handle it"
    );
    dialogue(&mut sim, &[("menu", &["What would you like to do?"])]);
    assert!(!sim.conv.handed_off);
}

#[test]
fn the_language_can_be_switched() {
    let mut sim = Sim::new();
    sim.say("hi");
    dialogue(
        &mut sim,
        &[
            ("idioma", &["Choose your language", "2. Español"]),
            (
                "2",
                &["De acuerdo, te escribiré en español", "¿Qué servicio"],
            ),
        ],
    );
    assert_eq!(sim.conv.lang, Some(Lang::Es));
}

#[test]
fn stop_opts_out_until_start() {
    let mut sim = Sim::new();
    sim.say("hi");
    dialogue(
        &mut sim,
        &[("STOP", &["You're unsubscribed", "Reply START"])],
    );
    assert_eq!(sim.opt_outs, vec![true]);
    assert_eq!(
        sim.say("hi"),
        "",
        "nothing is sent to an opted-out customer"
    );
    assert_eq!(sim.say("book a haircut tomorrow"), "");
    assert!(sim.bridge.requests.is_empty());
    dialogue(
        &mut sim,
        &[("START", &["Welcome back", "What would you like to do?"])],
    );
    assert_eq!(sim.opt_outs, vec![true, false]);
}

// ----- mistakes -------------------------------------------------------------------------

#[test]
fn an_invalid_option_number_gets_a_hint_and_the_options_again() {
    let mut sim = Sim::new();
    sim.say("hi");
    dialogue(
        &mut sim,
        &[(
            "7",
            &[
                "Sorry, I didn't get that",
                "Reply with a number",
                "1. Haircut",
                "3. Manicure",
            ],
        )],
    );
}

#[test]
fn gibberish_gets_a_hint_and_the_options_again_in_each_language() {
    for (greeting, hint) in [
        ("hi", "Sorry, I didn't get that"),
        ("hola, quiero una cita", "Perdona, no lo he entendido"),
        ("olá, quero marcar", "Desculpe, não percebi"),
    ] {
        let mut sim = Sim::new();
        sim.say(greeting);
        let reply = sim.say("asdkjh qwe");
        assert!(reply.contains(hint), "{reply}");
        assert!(reply.contains("1. Haircut"), "{reply}");
    }
}

#[test]
fn a_slot_taken_between_listing_and_choosing_offers_the_nearest_ones() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow afternoon");
    sim.bridge
        .taken
        .push(("joao".into(), madrid(2026, 11, 24, 15, 0)));
    dialogue(
        &mut sim,
        &[(
            "3pm",
            &[
                "that time was just taken",
                "The nearest free times",
                "2:30 pm",
                "3:30 pm",
            ],
        )],
    );
    assert!(booked(&sim).is_empty());
    dialogue(&mut sim, &[("3:30pm", &["Please confirm", "3:30 pm"])]);
}

#[test]
fn a_taken_exact_time_offers_the_nearest_times_that_day() {
    let mut sim = Sim::new();
    sim.bridge
        .taken
        .push(("joao".into(), madrid(2026, 11, 24, 15, 0)));
    dialogue(
        &mut sim,
        &[(
            "haircut with João tomorrow at 3pm",
            &["3:00 pm is not free", "2:30 pm", "3:30 pm"],
        )],
    );
}

#[test]
fn bridge_unavailable_apologises_and_resumes_where_it_was() {
    let mut sim = Sim::new();
    sim.say("haircut");
    sim.bridge.down = true;
    dialogue(&mut sim, &[("João", &["booking is paused for a moment"])]);
    assert!(
        matches!(sim.conv.stage, Stage::Provider { .. }),
        "{:?}",
        sim.conv.stage
    );
    sim.bridge.down = false;
    dialogue(&mut sim, &[("João", &["Which day for Haircut?"])]);
}

#[test]
fn a_customer_back_hours_later_is_reminded_and_stale_times_are_rechecked() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow afternoon");
    assert!(matches!(sim.conv.stage, Stage::Time { .. }));
    // Overnight someone books 3pm.
    sim.later(Duration::hours(9));
    sim.bridge
        .taken
        .push(("joao".into(), madrid(2026, 11, 24, 15, 0)));
    dialogue(
        &mut sim,
        &[(
            "ok",
            &[
                "Welcome back! You were booking Haircut",
                "1. Continue",
                "2. Start over",
            ],
        )],
    );
    let listed = sim.say("continue");
    assert!(
        listed.contains("Free times on Tuesday 24 November"),
        "{listed}"
    );
    assert!(
        !listed.contains("3:00 pm"),
        "the taken time is not offered again:\n{listed}"
    );
}

#[test]
fn after_a_week_away_the_conversation_starts_fresh() {
    let mut sim = Sim::new();
    sim.say("haircut with João");
    sim.later(Duration::days(8));
    dialogue(
        &mut sim,
        &[("hello", &["Welcome to Salon Bella", "Which service"])],
    );
}

#[test]
fn an_expired_hold_is_announced_and_times_listed_again() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow at 3pm");
    let expiry = *sim.timers.last().unwrap();
    sim.now = expiry;
    sim.bridge.holds.clear();
    let reply = sim.run(Event::Timer);
    assert!(reply.contains("was released"), "{reply}");
    assert!(reply.contains("Tuesday 24 November"), "{reply}");
}

#[test]
fn a_booking_on_the_dst_change_day_lands_at_the_local_time() {
    // Europe/Madrid springs forward on Sunday 28 March 2027 (02:00 → 03:00).
    let mut sim = Sim::at(madrid(2027, 3, 26, 12, 0), chrono_tz::Europe::Madrid);
    sim.bridge.open_sundays = true;
    dialogue(
        &mut sim,
        &[
            (
                "haircut with João on 28/3 at 3pm",
                &["Sunday 28 March at 3:00 pm"],
            ),
            ("yes", &["Booked!"]),
        ],
    );
    assert_eq!(
        booked(&sim)[0].start,
        Utc.with_ymd_and_hms(2027, 3, 28, 13, 0, 0).unwrap()
    );
    // And the day before, still winter time.
    let mut sim = Sim::at(madrid(2027, 3, 26, 12, 0), chrono_tz::Europe::Madrid);
    dialogue(
        &mut sim,
        &[
            (
                "haircut with João on 27/3 at 3pm",
                &["Saturday 27 March at 3:00 pm"],
            ),
            ("yes", &["Booked!"]),
        ],
    );
    assert_eq!(
        booked(&sim)[0].start,
        Utc.with_ymd_and_hms(2027, 3, 27, 14, 0, 0).unwrap()
    );
}

#[test]
fn dates_and_times_are_the_businesses_not_the_customers() {
    // 23:30 UTC on Monday is already Tuesday in Madrid, while a New York customer's evening
    // is still Monday: "tomorrow" is Wednesday, the business's tomorrow.
    let mut sim = Sim::at(
        Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).unwrap(),
        chrono_tz::Europe::Madrid,
    );
    sim.customer = PhoneNumber::parse("+12125550123").unwrap();
    dialogue(
        &mut sim,
        &[
            (
                "haircut with João tomorrow at 10am",
                &["Wednesday 25 November at 10:00 am"],
            ),
            ("yes", &["Booked!"]),
        ],
    );
    assert_eq!(booked(&sim)[0].start, madrid(2026, 11, 25, 10, 0));
}

#[test]
fn a_retried_confirmation_carries_the_same_idempotency_key() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow at 3pm");
    let saved = sim.conv.clone();
    sim.say("yes");
    let first = sim.bridge.requests.last().cloned();
    // The shell crashed before saving: the same message is processed again from the saved
    // state and must ask with the same key.
    sim.conv = saved;
    sim.say("yes");
    let keys: Vec<&str> = sim
        .bridge
        .requests
        .iter()
        .filter_map(|r| match r {
            BridgeRequest::Confirm {
                idempotency_key, ..
            } => Some(idempotency_key.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        matches!(first, Some(BridgeRequest::Confirm { .. })),
        "{first:?}"
    );
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
}

// ----- state shape -------------------------------------------------------------------

#[test]
fn the_skeletons_saved_state_migrates_to_a_fresh_conversation() {
    let v1 = serde_json::json!({"v": 1, "messages": 4, "last_text": "hi"});
    assert_eq!(Conversation::restore(&v1), Conversation::default());
    let garbage = serde_json::json!({"v": 2, "stage": "Nowhere"});
    assert_eq!(Conversation::restore(&garbage), Conversation::default());
}

#[test]
fn a_conversation_mid_booking_survives_saving() {
    let mut sim = Sim::new();
    sim.say("haircut with João tomorrow at 3pm");
    let saved = serde_json::to_value(&sim.conv).unwrap();
    assert_eq!(Conversation::restore(&saved), sim.conv);
}

// ----- properties ------------------------------------------------------------------------

#[test]
fn menu_leaves_every_state() {
    for state in sample_states() {
        let mut sim = Sim::new();
        let before = format!("{:?}", state.stage);
        sim.conv = state;
        sim.say("menu");
        assert_eq!(sim.conv.stage, Stage::Menu, "from {before}");
        assert!(!sim.last.is_empty(), "menu from {before} answered nothing");
    }
}

#[test]
fn every_sample_state_round_trips_through_json() {
    for state in sample_states() {
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<Conversation>(&json).unwrap(), state);
    }
}

#[test]
fn the_sample_states_cover_every_stage_a_customer_can_be_in() {
    let names: Vec<String> = sample_states()
        .iter()
        .map(|c| {
            format!("{:?}", c.stage)
                .split([' ', '{'])
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    for stage in [
        "Menu",
        "Service",
        "Provider",
        "Date",
        "Day",
        "Part",
        "Time",
        "Confirm",
        "Bookings",
        "BookingAction",
        "CancelConfirm",
        "Language",
        "Resume",
    ] {
        assert!(
            names.iter().any(|n| n == stage),
            "no sample in {stage}: {names:?}"
        );
    }
}

#[test]
fn cancelling_inside_a_partial_tier_states_the_exact_share() {
    use crate::catalog::RefundTier;
    // 23 h ahead, with half back from 12 h and a quarter from 2 h.
    let mut sim = with_booking();
    sim.tenant.policy.partial_refunds = vec![
        RefundTier {
            min_hours: 2,
            percent: 25,
        },
        RefundTier {
            min_hours: 12,
            percent: 50,
        },
    ];
    dialogue(
        &mut sim,
        &[(
            "cancel",
            &[
                "you will get €7.50 of your €15 deposit back",
                "1. Yes, cancel",
            ],
        )],
    );
    // Five hours ahead only the quarter tier is met.
    let mut sim2 = with_booking();
    sim2.tenant.policy.partial_refunds = sim.tenant.policy.partial_refunds.clone();
    sim2.now = madrid(2026, 11, 24, 5, 0);
    sim2.conv.last_seen = Some(sim2.now);
    dialogue(
        &mut sim2,
        &[("cancel", &["you will get €3.75 of your €15 deposit back"])],
    );
    // An hour ahead nothing is.
    sim2.say("keep it");
    sim2.now = madrid(2026, 11, 24, 9, 0);
    dialogue(&mut sim2, &[("cancel", &["the deposit of €15 is kept"])]);
}

// ----- WhatsApp Flows ------------------------------------------------------------------

#[test]
fn the_booking_flow_is_offered_where_a_booking_starts_and_only_in_a_language_it_has() {
    let offered = |sim: &Sim| -> Vec<Lang> { sim.last.iter().filter_map(|r| r.flow).collect() };
    // Flows off: the text flow alone.
    let mut sim = Sim::new();
    sim.say("hi");
    assert_eq!(offered(&sim), []);

    let mut sim = Sim::new();
    sim.tenant.flow_content.insert(Lang::En, "HXen".into());
    let said = sim.say("hi");
    assert!(
        said.contains("1. Haircut"),
        "the list stays beside it: {said}"
    );
    assert_eq!(offered(&sim), [Lang::En]);
    // Once the service is chosen, the booking goes on in text; no second Flow.
    sim.say("1");
    assert_eq!(offered(&sim), []);

    // A customer writing a language the Flow is not published in keeps the text flow.
    let mut sim = Sim::new();
    sim.tenant.flow_content.insert(Lang::Pt, "HXpt".into());
    sim.say("hi");
    assert_eq!(offered(&sim), []);
}
