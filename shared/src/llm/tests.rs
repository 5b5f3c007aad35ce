//! The model's request and answer, on a generated clinic.

use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::catalog::{Catalog, Money, Provider, Service};

fn catalog() -> Catalog {
    let svc = |id: &str, name: &str| Service {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        duration_min: 45,
        price: Money::new(18000, "BRL"),
        deposit: None,
        aliases: vec![],
        translations: Default::default(),
        image_url: None,
    };
    Catalog {
        services: vec![
            svc("sports", "Massagem esportiva"),
            svc("relax", "Massagem relaxante"),
        ],
        providers: vec![Provider {
            id: "beatriz".into(),
            name: "Beatriz Lima".into(),
            rating_tenths: None,
            aliases: vec!["Bia".into()],
            services: vec!["sports".into(), "relax".into()],
        }],
    }
}

fn tenant() -> TenantProfile {
    crate::testkit::profile(
        "movimento",
        "Clínica Movimento",
        chrono_tz::America::Sao_Paulo,
        vec![crate::lang::Lang::PtBr],
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 18, 12, 0, 0).unwrap(),
    )
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 18).unwrap()
}

/// What the tests read with: today, catalog `c`, day-first dates.
fn reading(c: &Catalog) -> Reading<'_> {
    Reading {
        today: today(),
        catalog: c,
        month_first: false,
    }
}

fn answer(arguments: serde_json::Value) -> String {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": TOOL, "arguments": arguments.to_string()}}]
        }}]
    })
    .to_string()
}

#[test]
fn the_request_names_the_catalog_forces_the_tool_and_carries_no_phone_number() {
    let c = catalog();
    let reading = reading(&c);
    let text = redact(
        "oi, sou a Zoë Ortega, meu cel é +55 11 98765-4321, zoe@example.com",
        Some("Zoë Ortega"),
    );
    assert!(
        !text.contains("98765") && !text.contains("zoe@") && !text.contains("Zoë"),
        "{text}"
    );
    assert!(
        text.contains("<phone>") && text.contains("<email>") && text.contains("<name>"),
        "{text}"
    );
    let body: serde_json::Value =
        serde_json::from_str(&request_body("gpt-test", &text, &tenant(), &reading)).unwrap();
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["tool_choice"]["function"]["name"], TOOL);
    let params = &body["tools"][0]["function"]["parameters"]["properties"];
    assert_eq!(params["service_id"]["enum"], json!(["sports", "relax"]));
    assert_eq!(params["provider_id"]["enum"], json!(["beatriz", "any"]));
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("Wed 2026-11-18") && system.contains("America/Sao_Paulo"),
        "{system}"
    );
    assert!(system.contains("Beatriz Lima / Bia"), "{system}");
    assert_eq!(body["messages"][1]["content"], text.as_str());
}

#[test]
fn an_answer_fills_only_what_it_names_and_only_with_the_businesss_own_ids() {
    let c = catalog();
    let reading = reading(&c);
    let read = read_answer(
        &answer(
            json!({"intent": "book", "service_id": "sports", "provider_id": "beatriz",
                       "date": "2026-11-20", "part_of_day": "afternoon"}),
        ),
        &reading,
    )
    .unwrap();
    assert_eq!(read.service, Some(ServiceWish::One("sports".into())));
    assert_eq!(
        read.provider,
        Some(ProviderWish::Named(vec!["beatriz".into()]))
    );
    assert_eq!(
        read.date,
        Some(DateWish::On(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()))
    );
    assert_eq!(read.time, Some(TimeWish::Part(DayPart::Afternoon)));
    // Made-up ids, a past date and a time that is not one are dropped.
    let read = read_answer(
        &answer(
            json!({"service_id": "facial", "provider_id": "maria", "date": "2026-11-01",
                       "time": "25:99"}),
        ),
        &reading,
    )
    .unwrap();
    assert_eq!(read, Interpretation::default());
    assert_eq!(
        read_answer(
            &answer(json!({"time": "17:30", "time_relation": "after"})),
            &reading
        )
        .unwrap()
        .time,
        Some(TimeWish::After(NaiveTime::from_hms_opt(17, 30, 0).unwrap()))
    );
}

#[test]
fn only_the_asked_for_formats_of_date_and_time_are_read() {
    let c = catalog();
    let reading = reading(&c);
    let odd = read_answer(
        &answer(json!({"date": "20/11/2026", "time": "5pm"})),
        &reading,
    )
    .unwrap();
    assert_eq!((odd.date, odd.time), (None, None));
    let short = read_answer(
        &answer(json!({"date": "2026-11-2", "time": "9:05"})),
        &reading,
    )
    .unwrap();
    assert_eq!(short.date, None);
    assert_eq!(
        short.time,
        Some(TimeWish::At(NaiveTime::from_hms_opt(9, 5, 0).unwrap()))
    );
}

#[test]
fn answers_that_are_not_a_tool_call_are_errors_not_readings() {
    let c = catalog();
    let reading = reading(&c);
    assert!(matches!(
        read_answer("not json", &reading),
        Err(LlmError::Shape(_))
    ));
    let prose = json!({"choices": [{"message": {"role": "assistant", "content": "Sure!"}}]});
    assert_eq!(
        read_answer(&prose.to_string(), &reading),
        Err(LlmError::NoToolCall)
    );
    let broken = json!({"choices": [{"message": {"tool_calls": [{"type": "function",
        "function": {"name": TOOL, "arguments": "{not json"}}]}}]});
    assert_eq!(
        read_answer(&broken.to_string(), &reading),
        Err(LlmError::Arguments)
    );
}

#[test]
fn the_built_in_reading_stands_and_the_model_fills_the_gaps() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let builtin = Interpretation {
        service: Some(ServiceWish::OneOf(vec!["sports".into(), "relax".into()])),
        date: Some(DateWish::On(date)),
        ..Interpretation::default()
    };
    let model = Interpretation {
        service: Some(ServiceWish::One("relax".into())),
        date: Some(DateWish::On(date + chrono::Duration::days(1))),
        time: Some(TimeWish::Part(DayPart::Morning)),
        ..Interpretation::default()
    };
    let merged = merge(&builtin, model);
    assert_eq!(merged.service, Some(ServiceWish::One("relax".into())));
    assert_eq!(merged.date, Some(DateWish::On(date)));
    assert_eq!(merged.time, Some(TimeWish::Part(DayPart::Morning)));
    // A pick outside the equally named ones is not taken.
    let outside = Interpretation {
        service: Some(ServiceWish::One("pilates".into())),
        ..Interpretation::default()
    };
    assert_eq!(merge(&builtin, outside).service, builtin.service);
}

#[test]
fn only_messages_the_parser_could_not_place_are_sent() {
    let c = catalog();
    let reading = reading(&c);
    let ask = |t: &str| {
        let norm = crate::nlu::normalize(t);
        needs_help(&norm, &crate::nlu::interpret_normalized(&norm, &reading))
    };
    assert!(ask("my shoulder has been killing me since the match"));
    assert!(
        ask("quero uma massagem amanhã"),
        "two massages: the model may pick"
    );
    assert!(!ask("massagem esportiva amanhã"));
    assert!(!ask("oi"));
    assert!(!ask("cancelar"));
    assert!(!ask("2"));
}
