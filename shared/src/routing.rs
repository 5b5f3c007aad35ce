//! Picking a tenant on a shared WhatsApp number by keyword.

use crate::nlu::normalize;
use crate::wire::RouteTenant;

/// The tenant whose keyword or name the text is, starts with or ends with ("SALON",
/// "book salon", "Zen Clinic"). `None` when no tenant or several match: the customer is
/// asked for the keyword rather than guessed for.
pub fn by_keyword<'a>(tenants: &'a [RouteTenant], text: &str) -> Option<&'a RouteTenant> {
    let norm = normalize(text);
    let first = norm.split(' ').next().unwrap_or("");
    let matches = |t: &&RouteTenant| {
        std::iter::once(&t.name).chain(&t.keywords).any(|k| {
            let k = normalize(k);
            !k.is_empty()
                && (norm == k
                    || first == k
                    || norm.starts_with(&format!("{k} "))
                    || norm.ends_with(&format!(" {k}")))
        })
    };
    let mut found = tenants.iter().filter(matches);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Whether two keywords would be read as the same by [`by_keyword`] (case, accents and
/// punctuation aside): two tenants on one number must never share one.
pub fn same_keyword(a: &str, b: &str) -> bool {
    let (a, b) = (normalize(a), normalize(b));
    !a.is_empty() && a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants() -> Vec<RouteTenant> {
        vec![
            RouteTenant {
                id: "bella".into(),
                name: "Salon Bella".into(),
                keywords: vec!["bella".into(), "salon".into()],
            },
            RouteTenant {
                id: "zen".into(),
                name: "Zen Clinic".into(),
                keywords: vec!["zen".into(), "clinic".into()],
            },
        ]
    }

    #[test]
    fn a_keyword_or_the_name_picks_the_tenant() {
        let t = tenants();
        let pick = |text: &str| by_keyword(&t, text).map(|t| t.id.as_str());
        assert_eq!(pick("SALON"), Some("bella"));
        assert_eq!(pick("book salon"), Some("bella"));
        assert_eq!(pick("Zen Clinic"), Some("zen"));
        assert_eq!(pick("zen, tomorrow at 3"), Some("zen"));
        assert_eq!(pick("hello"), None);
        assert_eq!(pick("salon or clinic"), None, "two matches are not guessed");
    }

    #[test]
    fn keywords_that_read_alike_are_the_same() {
        assert!(same_keyword("SALON", "salón"));
        assert!(same_keyword("zen!", "Zen"));
        assert!(!same_keyword("zen", "zena"));
        assert!(!same_keyword("", " "));
    }
}
