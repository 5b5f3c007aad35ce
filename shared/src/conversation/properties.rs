//! Properties that hold in every state, whatever the customer sends: no panic, every reply
//! within WhatsApp's limits, and the state always saves and restores unchanged.

use proptest::prelude::*;

use super::*;
use crate::render::{self, Interactive};
use crate::testkit::*;
use crate::wire::BridgeAnswer;

fn check_reply_limits(reply: &Reply) -> Result<(), TestCaseError> {
    prop_assert!(
        reply.options.len() <= render::ITEMS_MAX,
        "{} options",
        reply.options.len()
    );
    prop_assert!(render::plain_text(reply).chars().count() <= render::TEXT_MAX);
    match render::interactive(reply) {
        Some(Interactive::QuickReply { body, buttons }) => {
            prop_assert!(body.chars().count() <= render::BODY_MAX);
            prop_assert!(buttons.len() <= render::BUTTONS_MAX);
            for (id, title) in buttons {
                prop_assert!(title.chars().count() <= render::BUTTON_TITLE_MAX, "{title}");
                prop_assert!(id.len() <= render::ID_MAX);
            }
        }
        Some(Interactive::ListPicker {
            body,
            button,
            items,
        }) => {
            prop_assert!(body.chars().count() <= render::BODY_MAX);
            prop_assert!(button.chars().count() <= render::LIST_BUTTON_MAX);
            prop_assert!(items.len() <= render::ITEMS_MAX);
            for (id, title, description) in items {
                prop_assert!(title.chars().count() <= render::ITEM_TITLE_MAX, "{title}");
                prop_assert!(description.chars().count() <= render::ITEM_DESCRIPTION_MAX);
                prop_assert!(id.len() <= render::ID_MAX);
            }
        }
        None => prop_assert!(reply.options.is_empty()),
    }
    Ok(())
}

fn customer_input() -> impl Strategy<Value = Event> {
    prop_oneof![
        "\\PC{0,40}".prop_map(Event::Text),
        prop::sample::select(vec![
            "1",
            "2",
            "10",
            "yes",
            "no",
            "menu",
            "cancel",
            "tomorrow at 3pm",
            "next friday",
            "maria",
            "mañana",
            "segunda",
            "ok",
            "help",
            "stop",
            "start",
            "language",
            "reschedule",
            "",
            "🙂",
        ])
        .prop_map(|s| Event::Text(s.to_owned())),
        // Taps: real ids of every kind, and garbled ones, which the shell turns into text.
        ("[a-z]{1,6}(:[a-z0-9-]{0,12})?").prop_map(|id| match id.parse() {
            Ok(parsed) => Event::Choice {
                id: parsed,
                title: id
            },
            Err(_) => Event::Text(id),
        }),
    ]
}

fn bridge_answer() -> impl Strategy<Value = BridgeAnswer> {
    prop_oneof![
        Just(BridgeAnswer::Unavailable),
        Just(BridgeAnswer::Slots { slots: Vec::new() }),
        Just(BridgeAnswer::Failed { reason: "x".into() }),
        Just(BridgeAnswer::Taken {
            alternatives: Vec::new()
        }),
        Just(BridgeAnswer::Bookings {
            bookings: Vec::new()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_input_panics_in_any_state_and_every_reply_fits_whatsapp(
        state in prop::sample::select(sample_states()),
        inputs in prop::collection::vec(prop_oneof![customer_input(), bridge_answer().prop_map(Event::Bridge), Just(Event::Timer)], 1..6),
    ) {
        let mut sim = Sim::new();
        sim.conv = state;
        for input in inputs {
            sim.run(input);
            for reply in &sim.last {
                check_reply_limits(reply)?;
            }
            let saved = serde_json::to_value(&sim.conv).unwrap();
            prop_assert_eq!(&Conversation::restore(&saved), &sim.conv);
        }
    }
}
