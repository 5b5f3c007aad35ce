//! The Flow JSON of a business: the screens WhatsApp draws, in one language, and the
//! rules its answers must keep.
//!
//! WhatsApp renders a screen only if every `${data.…}` it shows is declared in the
//! screen's `data` and every answer of ours carries exactly those fields with their
//! declared types (a missing one is an error in the client, not at our end). So the
//! screens and the answers are checked against each other: [`check`] over the Flow JSON
//! itself, [`check_answer`] over each answer the endpoint makes, in the tests of every
//! business they generate.

use serde_json::{Value, json};
use slotline_shared::i18n::{self, Key};
use slotline_shared::lang::Lang;

/// The Flow JSON version written (`EmbeddedLink` opening a URL needs 6.0).
pub const FLOW_JSON_VERSION: &str = "6.0";
/// The endpoint protocol (the contract's `data_api_version`).
pub const DATA_API_VERSION: &str = "3.0";

/// The screens, in order.
pub const SCREENS: [&str; 6] = ["SERVICE", "STAFF", "DATE", "TIME", "SUMMARY", "PAY"];

/// Components the generator writes and the checker accepts.
const COMPONENTS: [&str; 9] = [
    "Form",
    "TextHeading",
    "TextSubheading",
    "TextBody",
    "TextCaption",
    "RadioButtonsGroup",
    "DatePicker",
    "Footer",
    "EmbeddedLink",
];

fn string() -> Value {
    json!({"type": "string", "__example__": "x"})
}

fn boolean() -> Value {
    json!({"type": "boolean", "__example__": false})
}

fn options() -> Value {
    json!({
        "type": "array",
        "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}
        }},
        "__example__": [{"id": "1", "title": "x", "description": "y"}]
    })
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}, "__example__": ["2026-01-01"]})
}

fn notice() -> Value {
    json!({"type": "TextBody", "text": "${data.notice}", "visible": "${data.has_notice}"})
}

fn exchange(payload: Value) -> Value {
    json!({"name": "data_exchange", "payload": payload})
}

/// The Flow JSON of a business, its labels in `lang`.
pub fn flow_json(lang: Lang) -> Value {
    let t = |key: Key| i18n::text(lang, key).replace(['{', '}'], "");
    let continue_label = t(Key::Continue);
    json!({
        "version": FLOW_JSON_VERSION,
        "data_api_version": DATA_API_VERSION,
        "routing_model": {
            "SERVICE": ["STAFF"],
            "STAFF": ["DATE"],
            "DATE": ["TIME"],
            "TIME": ["SUMMARY"],
            "SUMMARY": ["PAY"],
            "PAY": []
        },
        "screens": [
            {
                "id": "SERVICE",
                "title": t(Key::Book),
                "data": {
                    "services": options(),
                    "notice": string(), "has_notice": boolean()
                },
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        notice(),
                        {"type": "RadioButtonsGroup", "name": "service", "label": t(Key::FlowService),
                         "required": true, "data-source": "${data.services}"},
                        {"type": "Footer", "label": continue_label,
                         "on-click-action": exchange(json!({"service": "${form.service}"}))}
                    ]
                }]}
            },
            {
                "id": "STAFF",
                "title": t(Key::Book),
                "data": {
                    "service": string(), "heading": string(), "staff": options(),
                    "notice": string(), "has_notice": boolean()
                },
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        {"type": "TextSubheading", "text": "${data.heading}"},
                        notice(),
                        {"type": "RadioButtonsGroup", "name": "provider", "label": t(Key::FlowStaff),
                         "required": true, "data-source": "${data.staff}"},
                        {"type": "Footer", "label": continue_label,
                         "on-click-action": exchange(json!({"service": "${data.service}", "provider": "${form.provider}"}))}
                    ]
                }]}
            },
            {
                "id": "DATE",
                "title": t(Key::Book),
                "data": {
                    "service": string(), "provider": string(), "heading": string(),
                    "min_date": string(), "max_date": string(), "unavailable_dates": strings(),
                    "notice": string(), "has_notice": boolean()
                },
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        {"type": "TextSubheading", "text": "${data.heading}"},
                        notice(),
                        {"type": "DatePicker", "name": "date", "label": t(Key::FlowDay), "required": true,
                         "min-date": "${data.min_date}", "max-date": "${data.max_date}",
                         "unavailable-dates": "${data.unavailable_dates}"},
                        {"type": "Footer", "label": continue_label,
                         "on-click-action": exchange(json!({"service": "${data.service}", "provider": "${data.provider}", "date": "${form.date}"}))}
                    ]
                }]}
            },
            {
                "id": "TIME",
                "title": t(Key::Book),
                "data": {
                    "service": string(), "provider": string(), "date": string(), "heading": string(),
                    "parts": options(), "part": string(), "times": options(),
                    "notice": string(), "has_notice": boolean()
                },
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        {"type": "TextSubheading", "text": "${data.heading}"},
                        notice(),
                        {"type": "RadioButtonsGroup", "name": "part", "label": t(Key::FlowPart),
                         "required": false, "init-value": "${data.part}", "data-source": "${data.parts}",
                         "on-select-action": exchange(json!({"service": "${data.service}", "provider": "${data.provider}", "date": "${data.date}", "part": "${form.part}", "refresh": "part"}))},
                        {"type": "RadioButtonsGroup", "name": "slot", "label": t(Key::FlowTime),
                         "required": true, "data-source": "${data.times}"},
                        {"type": "Footer", "label": continue_label,
                         "on-click-action": exchange(json!({"service": "${data.service}", "provider": "${data.provider}", "date": "${data.date}", "slot": "${form.slot}"}))}
                    ]
                }]}
            },
            {
                "id": "SUMMARY",
                "title": t(Key::Confirm),
                "data": {
                    "service": string(), "provider": string(), "slot": string(),
                    "summary": string(), "policy": string(),
                    "alternatives": options(), "has_alternatives": boolean(),
                    "notice": string(), "has_notice": boolean()
                },
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        {"type": "TextBody", "text": "${data.summary}"},
                        {"type": "TextCaption", "text": "${data.policy}"},
                        notice(),
                        {"type": "RadioButtonsGroup", "name": "alternative", "label": t(Key::FlowOther),
                         "required": false, "visible": "${data.has_alternatives}", "data-source": "${data.alternatives}"},
                        {"type": "Footer", "label": t(Key::Confirm),
                         "on-click-action": exchange(json!({"service": "${data.service}", "provider": "${data.provider}", "slot": "${data.slot}", "alternative": "${form.alternative}"}))}
                    ]
                }]}
            },
            {
                "id": "PAY",
                "title": t(Key::Confirm),
                "terminal": true,
                "data": {"message": string(), "url": string()},
                "layout": {"type": "SingleColumnLayout", "children": [{
                    "type": "Form", "name": "form", "children": [
                        {"type": "TextBody", "text": "${data.message}"},
                        {"type": "EmbeddedLink", "text": t(Key::FlowPay),
                         "on-click-action": {"name": "open_url", "url": "${data.url}"}},
                        {"type": "Footer", "label": t(Key::Continue),
                         "on-click-action": {"name": "complete", "payload": {}}}
                    ]
                }]}
            }
        ]
    })
}

/// What is wrong with a Flow JSON, each as a sentence (empty: nothing).
pub fn check(flow: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    if flow["data_api_version"] != DATA_API_VERSION {
        errors.push("data_api_version must be \"3.0\" for an endpoint".into());
    }
    if !flow["version"].is_string() {
        errors.push("version missing".into());
    }
    let screens = flow["screens"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = screens.iter().filter_map(|s| s["id"].as_str()).collect();
    for id in &ids {
        if *id == "SUCCESS"
            || id.is_empty()
            || !id.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            errors.push(format!(
                "screen id {id:?}: upper-case letters and underscores, not SUCCESS"
            ));
        }
    }
    if let Some(routes) = flow["routing_model"].as_object() {
        for (from, to) in routes {
            if !ids.contains(&from.as_str()) {
                errors.push(format!("routing_model names unknown screen {from}"));
            }
            for target in to.as_array().into_iter().flatten() {
                if !target.as_str().is_some_and(|t| ids.contains(&t)) {
                    errors.push(format!("routing_model: {from} → unknown {target}"));
                }
            }
        }
    } else {
        errors.push("routing_model missing (an endpoint Flow needs one)".into());
    }
    for screen in &screens {
        let id = screen["id"].as_str().unwrap_or("?");
        let declared = screen["data"].as_object().cloned().unwrap_or_default();
        for (name, spec) in &declared {
            if spec["type"].as_str().is_none() || spec.get("__example__").is_none() {
                errors.push(format!(
                    "{id}: data field {name} needs a type and an __example__"
                ));
            }
        }
        let mut inputs = Vec::new();
        let mut footers = 0;
        walk(&screen["layout"], &mut |component| {
            if let Some(kind) = component["type"].as_str()
                && kind != "SingleColumnLayout"
            {
                if !COMPONENTS.contains(&kind) {
                    errors.push(format!("{id}: unknown component {kind}"));
                }
                if kind == "Footer" {
                    footers += 1;
                }
                // WhatsApp refuses an input without its label, and cuts long ones.
                let (field, most) = match kind {
                    "RadioButtonsGroup" | "DatePicker" => ("label", 30),
                    "Footer" => ("label", 35),
                    "EmbeddedLink" => ("text", 25),
                    _ => ("", 0),
                };
                if most > 0 {
                    let text = component[field].as_str().unwrap_or("");
                    let length = text.chars().count();
                    if text.trim().is_empty() || length > most {
                        errors.push(format!(
                            "{id}: a {kind}'s {field} must have 1 to {most} characters: {text:?}"
                        ));
                    }
                }
            }
            if let Some(name) = component["name"].as_str()
                && component["type"] != "Form"
            {
                inputs.push(name.to_owned());
            }
        });
        if footers != 1 {
            errors.push(format!(
                "{id}: a screen needs exactly one Footer, has {footers}"
            ));
        }
        for reference in references(&screen["layout"]) {
            if let Some(field) = reference.strip_prefix("data.")
                && !declared.contains_key(field)
            {
                errors.push(format!(
                    "{id}: ${{data.{field}}} is not declared in its data"
                ));
            }
            if let Some(field) = reference.strip_prefix("form.")
                && !inputs.iter().any(|i| i == field)
            {
                errors.push(format!(
                    "{id}: ${{form.{field}}} names no input of the screen"
                ));
            }
        }
    }
    errors
}

/// What is wrong with `answer` (a plaintext answer of the endpoint) under `flow`: an
/// unknown screen, or data fields missing, extra or of another type than declared.
pub fn check_answer(flow: &Value, answer: &Value) -> Vec<String> {
    let Some(screen) = answer["screen"].as_str() else {
        // `ping`, an acknowledgement, or an error message.
        return Vec::new();
    };
    if screen == "SUCCESS" {
        return match answer["data"]["extension_message_response"]["params"]["flow_token"] {
            Value::String(_) => Vec::new(),
            _ => vec!["SUCCESS must hand back the flow_token in extension_message_response".into()],
        };
    }
    let Some(spec) = flow["screens"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == screen))
    else {
        return vec![format!("answer names unknown screen {screen}")];
    };
    let declared = spec["data"].as_object().cloned().unwrap_or_default();
    let given = answer["data"].as_object().cloned().unwrap_or_default();
    let mut errors = Vec::new();
    for (name, field) in &declared {
        match given.get(name) {
            None => errors.push(format!("{screen}: {name} missing")),
            Some(value) => {
                let ok = match field["type"].as_str() {
                    Some("string") => value.is_string(),
                    Some("boolean") => value.is_boolean(),
                    Some("number") => value.is_number(),
                    Some("array") => value.is_array(),
                    Some("object") => value.is_object(),
                    _ => false,
                };
                if !ok {
                    errors.push(format!("{screen}: {name} is not a {}", field["type"]));
                }
            }
        }
    }
    for name in given.keys() {
        if !declared.contains_key(name) && name != "error_message" {
            errors.push(format!("{screen}: {name} is not declared"));
        }
    }
    errors
}

fn walk(value: &Value, visit: &mut impl FnMut(&Value)) {
    match value {
        Value::Object(map) => {
            if map.contains_key("type") {
                visit(value);
            }
            for child in map.values() {
                walk(child, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, visit)),
        _ => {}
    }
}

/// Every `${…}` in a layout.
fn references(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |text: &str| {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end + 1..];
        }
    };
    fn strings(value: &Value, visit: &mut impl FnMut(&str)) {
        match value {
            Value::String(s) => visit(s),
            Value::Array(items) => items.iter().for_each(|i| strings(i, visit)),
            Value::Object(map) => map.values().for_each(|v| strings(v, visit)),
            _ => {}
        }
    }
    strings(value, &mut visit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flow_json_keeps_its_own_rules_in_every_language() {
        for lang in Lang::ALL {
            let flow = flow_json(lang);
            assert_eq!(check(&flow), Vec::<String>::new(), "{lang:?}");
            let screens: Vec<&str> = flow["screens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap())
                .collect();
            assert_eq!(screens, SCREENS);
        }
        assert_ne!(
            flow_json(Lang::En)["screens"][0]["title"],
            flow_json(Lang::Pt)["screens"][0]["title"]
        );
    }

    #[test]
    fn the_checker_catches_what_the_client_would_refuse() {
        let mut flow = flow_json(Lang::En);
        flow["screens"][2]["data"]
            .as_object_mut()
            .unwrap()
            .remove("max_date");
        flow["screens"][0]["layout"]["children"][0]["children"][1]["type"] = json!("RadioButtons");
        flow["screens"][1]["id"] = json!("staff");
        let errors = check(&flow);
        assert!(
            errors.iter().any(|e| e.contains("${data.max_date}")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("unknown component RadioButtons"))
        );
        assert!(errors.iter().any(|e| e.contains("\"staff\"")));
        // A label cut from a sentence with a placeholder at its start is empty.
        let mut flow = flow_json(Lang::En);
        flow["screens"][3]["layout"]["children"][0]["children"][2]["label"] = json!("");
        flow["screens"][0]["layout"]["children"][0]["children"][2]["label"] =
            json!("A label far longer than thirty-five characters");
        let errors = check(&flow);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("TIME: a RadioButtonsGroup's label")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("SERVICE: a Footer's label")),
            "{errors:?}"
        );

        let flow = flow_json(Lang::En);
        let answer = json!({"screen": "PAY", "data": {"message": "Pay", "url": 3, "extra": true}});
        let errors = check_answer(&flow, &answer);
        assert_eq!(errors.len(), 2, "{errors:?}");
        let answer = json!({"screen": "DATE", "data": {}});
        assert_eq!(check_answer(&flow, &answer).len(), 8);
        assert!(!check_answer(&flow, &json!({"screen": "NOPE", "data": {}})).is_empty());
    }
}
