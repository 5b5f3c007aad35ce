//! Services and providers named in a message, by name, alias or first name, up to typos.

use super::fuzzy::contains_fuzzy;
use super::{ProviderWish, normalize, similar, words};
use crate::catalog::{Catalog, ProviderId, ServiceId};

/// The service the text names, by name or alias, allowing small typos.
pub fn service(norm: &str, catalog: &Catalog) -> Option<ServiceId> {
    let ws = words(norm);
    let mut best: Option<(usize, &ServiceId)> = None;
    let mut tie = false;
    for s in &catalog.services {
        for name in std::iter::once(&s.name).chain(&s.aliases) {
            let n = normalize(name);
            let len = words(&n).len();
            if contains_fuzzy(&ws, &n) {
                match best {
                    Some((l, id)) if l == len && id != &s.id => tie = true,
                    Some((l, _)) if l >= len => {}
                    _ => {
                        best = Some((len, &s.id));
                        tie = false;
                    }
                }
            }
        }
    }
    if tie {
        return None;
    }
    best.map(|(_, id)| id.clone())
}

/// The provider(s) the text names: full names win over first names; "any" means anyone.
pub fn provider(norm: &str, catalog: &Catalog) -> Option<ProviderWish> {
    let ws = words(norm);
    // "any time" and "qualquer hora" are about time, not people.
    let about_time = |i: usize| {
        ws.get(i + 1).is_some_and(|n| {
            ["time", "day", "hora", "horario", "dia", "momento", "hour"].contains(n)
        })
    };
    let any = ws.iter().enumerate().any(|(i, w)| {
        [
            "anyone",
            "anybody",
            "whoever",
            "cualquiera",
            "qualquer",
            "indiferente",
            "any",
        ]
        .contains(w)
            && !about_time(i)
            && (*w != "any"
                || ws.len() <= 3
                || ws
                    .get(i + 1)
                    .is_some_and(|n| ["available", "one", "provider", "stylist"].contains(n)))
    });
    if any {
        return Some(ProviderWish::Any);
    }
    let full: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            let n = normalize(&p.name);
            words(&n).len() > 1 && contains_fuzzy(&ws, &n)
        })
        .map(|p| p.id.clone())
        .collect();
    if !full.is_empty() {
        return Some(ProviderWish::Named(full));
    }
    // Otherwise any one part of a name: "Maria" (maybe two of them), "Costa".
    let first: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            let n = normalize(&p.name);
            words(&n)
                .iter()
                .any(|part| part.len() >= 3 && ws.iter().any(|w| similar(w, part)))
        })
        .map(|p| p.id.clone())
        .collect();
    (!first.is_empty()).then_some(ProviderWish::Named(first))
}
