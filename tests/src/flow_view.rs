//! A Flow screen as WhatsApp draws it, read from the Flow JSON and the endpoint's data, and
//! the requests its buttons make: what the phone simulator shows as text for `/flow`, and
//! what the tests follow to prove the published JSON and the endpoint agree.
//!
//! Only what our Flow JSON uses is understood: text components, radio groups fed by a data
//! source (with an `on-select-action`), a date picker, an embedded link and the footer.
//! `${data.x}` is the screen's data from the endpoint, `${form.x}` what the customer chose.

use serde_json::{Map, Value};

/// One thing on a screen, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text of any size.
    Text(String),
    /// A radio group: pick one of `options` (`(id, title)`).
    Choice {
        /// The form field it fills.
        name: String,
        /// Its label.
        label: String,
        /// `(id, title)` of each option, with the description if any appended to the title.
        options: Vec<(String, String)>,
        /// Whether the footer needs it.
        required: bool,
        /// The option chosen before the customer chooses (`init-value`).
        initial: Option<String>,
        /// What picking an option sends at once, if anything (`on-select-action`).
        on_select: Option<Value>,
    },
    /// A date picker.
    Date {
        /// The form field it fills (`YYYY-MM-DD`).
        name: String,
        /// Its label.
        label: String,
        /// First day it offers.
        min: String,
        /// Last day it offers.
        max: String,
        /// Days in between it greys out.
        unavailable: Vec<String>,
    },
    /// A link out of the Flow.
    Link {
        /// Its text.
        text: String,
        /// Where it goes.
        url: String,
    },
    /// The screen's button and what it does.
    Footer {
        /// Its label.
        label: String,
        /// Its `on-click-action`, unresolved.
        action: Value,
    },
}

/// `template` with every `${data.x}` and `${form.x}` string replaced by its value (a missing
/// value is an empty string, as WhatsApp sends it).
pub fn resolve(template: &Value, data: &Value, form: &Map<String, Value>) -> Value {
    match template {
        Value::String(s) => {
            if let Some(key) = s.strip_prefix("${data.").and_then(|k| k.strip_suffix('}')) {
                data.get(key)
                    .cloned()
                    .unwrap_or(Value::String(String::new()))
            } else if let Some(key) = s.strip_prefix("${form.").and_then(|k| k.strip_suffix('}')) {
                form.get(key)
                    .cloned()
                    .unwrap_or(Value::String(String::new()))
            } else {
                template.clone()
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, data, form)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, data, form)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The screen `id` of `flow`.
fn screen<'f>(flow: &'f Value, id: &str) -> Result<&'f Value, String> {
    flow["screens"]
        .as_array()
        .and_then(|screens| screens.iter().find(|s| s["id"] == id))
        .ok_or_else(|| format!("the Flow JSON has no screen {id}"))
}

/// The title of screen `id`.
pub fn title(flow: &Value, id: &str) -> Result<String, String> {
    Ok(text(&screen(flow, id)?["title"]))
}

/// What screen `id` shows with `data`, in order; components made invisible by the data are
/// left out.
pub fn parts(flow: &Value, id: &str, data: &Value) -> Result<Vec<Part>, String> {
    let screen = screen(flow, id)?;
    let none = Map::new();
    let mut out = Vec::new();
    let mut pending = vec![&screen["layout"]];
    // Depth first, in order: the layout holds a form, the form its components.
    while let Some(node) = pending.pop() {
        if let Some(children) = node["children"].as_array() {
            pending.extend(children.iter().rev());
        }
        let visible = node
            .get("visible")
            .map(|v| resolve(v, data, &none))
            .is_none_or(|v| v == Value::Bool(true));
        if !visible {
            continue;
        }
        let field = |key: &str| text(&resolve(&node[key], data, &none));
        match node["type"].as_str().unwrap_or_default() {
            "TextHeading" | "TextSubheading" | "TextBody" | "TextCaption" => {
                let shown = field("text");
                if !shown.trim().is_empty() {
                    out.push(Part::Text(shown));
                }
            }
            "RadioButtonsGroup" => {
                let options = resolve(&node["data-source"], data, &none)
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .map(|o| {
                                let mut title = text(&o["title"]);
                                let description = text(&o["description"]);
                                if !description.is_empty() {
                                    title = format!("{title} ({description})");
                                }
                                (text(&o["id"]), title)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let initial = Some(field("init-value")).filter(|v| !v.is_empty());
                out.push(Part::Choice {
                    name: text(&node["name"]),
                    label: field("label"),
                    options,
                    required: node["required"] == Value::Bool(true),
                    initial,
                    on_select: node.get("on-select-action").cloned(),
                });
            }
            "DatePicker" => {
                let unavailable = resolve(&node["unavailable-dates"], data, &none)
                    .as_array()
                    .map(|days| days.iter().map(text).collect())
                    .unwrap_or_default();
                out.push(Part::Date {
                    name: text(&node["name"]),
                    label: field("label"),
                    min: field("min-date"),
                    max: field("max-date"),
                    unavailable,
                });
            }
            "EmbeddedLink" => out.push(Part::Link {
                text: field("text"),
                url: text(&resolve(&node["on-click-action"]["url"], data, &none)),
            }),
            "Footer" => out.push(Part::Footer {
                label: field("label"),
                action: node["on-click-action"].clone(),
            }),
            _ => {}
        }
    }
    Ok(out)
}

/// What a button press sends: `Some((screen, payload))` for a `data_exchange`, `None` when
/// the action closes the Flow (`complete`) or leaves it.
pub fn request_of(
    action: &Value,
    screen: &str,
    data: &Value,
    form: &Map<String, Value>,
) -> Option<(String, Value)> {
    (action["name"] == "data_exchange")
        .then(|| (screen.to_owned(), resolve(&action["payload"], data, form)))
}

/// A screen as text lines, options numbered: what the simulator prints.
pub fn render(title: &str, parts: &[Part]) -> String {
    let mut out = format!("[{title}]");
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(&format!("\n{t}")),
            Part::Choice { label, options, .. } => {
                out.push_str(&format!("\n{label}:"));
                for (i, (_, title)) in options.iter().enumerate() {
                    out.push_str(&format!("\n  {}. {title}", i + 1));
                }
            }
            Part::Date {
                label,
                min,
                max,
                unavailable,
                ..
            } => {
                out.push_str(&format!("\n{label}: a day from {min} to {max}"));
                if !unavailable.is_empty() {
                    out.push_str(&format!(" (not {})", unavailable.join(", ")));
                }
            }
            Part::Link { text, url } => out.push_str(&format!("\n{text}: {url}")),
            Part::Footer { label, .. } => out.push_str(&format!("\n[{label}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow() -> Value {
        json!({"version": "7.0", "screens": [{
            "id": "PICK", "title": "Pick",
            "layout": {"type": "SingleColumnLayout", "children": [{
                "type": "Form", "name": "form", "children": [
                    {"type": "TextBody", "text": "${data.intro}"},
                    {"type": "TextBody", "text": "${data.notice}", "visible": "${data.has_notice}"},
                    {"type": "RadioButtonsGroup", "name": "slot", "label": "Time", "required": true,
                     "data-source": "${data.times}"},
                    {"type": "Footer", "label": "Go",
                     "on-click-action": {"name": "data_exchange", "payload": {"day": "${data.day}", "slot": "${form.slot}"}}}
                ]}]}
        }]})
    }

    #[test]
    fn a_screen_shows_its_data_and_hides_what_the_data_hides() {
        let data = json!({"intro": "Tuesday", "notice": "taken", "has_notice": false,
                          "times": [{"id": "9", "title": "09:00"}, {"id": "10", "title": "10:00", "description": "last"}]});
        let parts = parts(&flow(), "PICK", &data).unwrap();
        assert_eq!(parts[0], Part::Text("Tuesday".into()));
        assert!(!parts.contains(&Part::Text("taken".into())));
        let Part::Choice { options, .. } = &parts[1] else {
            panic!("{parts:?}")
        };
        assert_eq!(options[1], ("10".into(), "10:00 (last)".into()));
        let shown = render("Pick", &parts);
        assert!(
            shown.contains("2. 10:00 (last)") && shown.ends_with("[Go]"),
            "{shown}"
        );
    }

    #[test]
    fn the_footer_sends_the_screens_data_and_the_customers_choice() {
        let data = json!({"day": "2026-12-08"});
        let mut form = Map::new();
        form.insert("slot".into(), json!("10"));
        let parts = parts(&flow(), "PICK", &json!({"day": "2026-12-08"})).unwrap();
        let Some(Part::Footer { action, .. }) = parts.last() else {
            panic!("{parts:?}")
        };
        let (screen, payload) = request_of(action, "PICK", &data, &form).unwrap();
        assert_eq!(screen, "PICK");
        assert_eq!(payload, json!({"day": "2026-12-08", "slot": "10"}));
        assert_eq!(
            request_of(&json!({"name": "complete"}), "PICK", &data, &form),
            None
        );
    }
}
