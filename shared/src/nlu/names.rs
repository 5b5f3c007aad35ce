//! Services and providers named in a message, driven by the business's own catalog.
//!
//! Every word of a service's name, aliases, translations and description can identify it:
//! a word scores for each service it matches (exactly, up to plural and gender, up to a
//! typo, as the start of a longer word, or as an everyday word for the same kind of
//! service), a word shared by several services counts for each only in part, and the best
//! score wins. Services scoring about the same are all returned, so the customer is asked
//! between just those. Providers match by full name, alias, any part of the name, a prefix
//! of it, or a common nickname.

use super::fuzzy::contains_fuzzy;
use super::lexicon::{GENERIC, is_stopword, kinds_of, nickname_of, root, stem};
use super::{ProviderWish, normalize, similar, words};
use crate::catalog::{Catalog, ProviderId, Service, ServiceId};

/// A service the customer named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceWish {
    /// This one.
    One(ServiceId),
    /// One of these, equally well named ("massage" with two massages on offer): ask which.
    OneOf(Vec<ServiceId>),
}

impl ServiceWish {
    /// The service, when only one was named.
    pub fn one(&self) -> Option<&ServiceId> {
        match self {
            ServiceWish::One(id) => Some(id),
            ServiceWish::OneOf(_) => None,
        }
    }
}

/// How much a catalog word in a name counts against one in a description.
const NAME_WEIGHT: f32 = 1.0;
const DESCRIPTION_WEIGHT: f32 = 0.5;
/// A service scoring at least this share of the best is named as well as the best.
const TIE_SHARE: f32 = 0.65;
/// Added for a service whose whole name the message covers.
const COMPLETE_BONUS: f32 = 0.3;
/// Below this, no service is named at all.
const MIN_SCORE: f32 = 0.15;

/// How well a message word matches a catalog word, 0 when not at all. `kinds` is how many
/// kinds of service the catalog word's service names: a "Beard trim" is about beards and
/// hair, so "hair" alone points to it less than to a "Haircut".
fn closeness(word: &str, word_stem: &str, catalog_word: &str, kinds: usize) -> f32 {
    if word == catalog_word {
        return 1.0;
    }
    let catalog_stem = stem(catalog_word);
    if word_stem == catalog_stem {
        return 1.0;
    }
    // "vacunar" for "Vacunación", "limpar" for "Limpeza".
    let (wr, cr) = (root(word), root(catalog_word));
    if wr.len() >= 4 && wr == cr {
        return 0.95;
    }
    // A typo only in longer words: "fine" is not "line".
    let long = word.chars().count() >= 5 && catalog_word.chars().count() >= 5;
    if long && (similar(word_stem, &catalog_stem) || similar(word, catalog_word)) {
        return 0.85;
    }
    // "cut" in "haircut": the end of a compound is the thing itself (a short end only
    // after a known word, so "val" is not "removal").
    let compound = catalog_word.len() >= word.len() + 3
        && catalog_word.ends_with(word)
        && (word.len() >= 4
            || kinds_of(&catalog_word[..catalog_word.len() - word.len()])
                .next()
                .is_some());
    if compound {
        return 0.9;
    }
    let related = kinds_of(word).chain(kinds_of(word_stem)).any(|k| {
        kinds_of(catalog_word)
            .chain(kinds_of(&catalog_stem))
            .any(|c| c == k)
    });
    if related {
        return 0.6 / (1.0 + 0.7 * kinds.saturating_sub(1) as f32);
    }
    // "physio" for "physiotherapy", "fisio" for "fisioterapia".
    let wl = word.chars().count();
    if wl >= 4 && catalog_word.len() > word.len() && catalog_word.starts_with(word) {
        return 0.7;
    }
    0.0
}

/// The words of a catalog text that can identify it (no filler, no numbers).
fn content_words(text: &str) -> Vec<String> {
    let norm = normalize(text);
    words(&norm)
        .into_iter()
        .filter(|w| w.chars().count() >= 2 && !is_stopword(w) && !is_numberish(w))
        .map(str::to_owned)
        .collect()
}

fn is_numberish(w: &str) -> bool {
    w.bytes().any(|b| b.is_ascii_digit())
}

/// The texts of a service with their weights: name, aliases and translated names count
/// fully, descriptions in part.
fn service_texts(s: &Service) -> Vec<(&str, f32)> {
    let mut texts = vec![(s.name.as_str(), NAME_WEIGHT)];
    texts.extend(s.aliases.iter().map(|a| (a.as_str(), NAME_WEIGHT)));
    for tr in s.translations.values() {
        texts.push((tr.name.as_str(), NAME_WEIGHT));
        if !tr.description.is_empty() {
            texts.push((tr.description.as_str(), DESCRIPTION_WEIGHT));
        }
    }
    if !s.description.is_empty() {
        texts.push((s.description.as_str(), DESCRIPTION_WEIGHT));
    }
    texts
}

/// Words of the message that could name something: not filler, not a date, not a number,
/// not one of the business's people.
fn message_words<'a>(norm: &'a str, catalog: &Catalog) -> Vec<&'a str> {
    let people: Vec<String> = catalog
        .providers
        .iter()
        .flat_map(|p| {
            let n = normalize(&p.name);
            n.split(' ').map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    words(norm)
        .into_iter()
        .filter(|w| {
            w.chars().count() >= 2
                && !is_stopword(w)
                && !is_numberish(w)
                && !w.contains(':')
                && !super::when::is_date_word(w)
                // Ordinals name options, except the first visit catalogs speak of.
                && (!super::commands::is_number_word(w)
                    || ["first", "primera", "primeira", "primer"].contains(w))
                && !people.iter().any(|p| p == w)
        })
        .collect()
}

/// The service (or services, equally well named) the text names.
pub fn service(norm: &str, catalog: &Catalog) -> Option<ServiceWish> {
    if catalog.services.is_empty() {
        return None;
    }
    let text_words = words(norm);
    let mut scores = vec![0f32; catalog.services.len()];
    // A whole name or alias, word for word, is the strongest evidence there is.
    for (i, s) in catalog.services.iter().enumerate() {
        for (text, weight) in service_texts(s) {
            if weight < NAME_WEIGHT {
                continue;
            }
            let n = normalize(text);
            if !n.is_empty() && contains_fuzzy(&text_words, &n) {
                scores[i] = scores[i].max(1.0 + words(&n).len() as f32);
            }
        }
    }
    let candidates: Vec<Vec<(String, f32)>> = catalog
        .services
        .iter()
        .map(|s| {
            service_texts(s)
                .into_iter()
                .flat_map(|(text, weight)| {
                    content_words(text).into_iter().map(move |w| (w, weight))
                })
                .collect()
        })
        .collect();
    let kinds: Vec<usize> = candidates
        .iter()
        .map(|words| {
            let mut ks: Vec<usize> = words
                .iter()
                .filter(|(_, weight)| *weight >= NAME_WEIGHT)
                .flat_map(|(w, _)| kinds_of(w).chain(kinds_of(&stem(w))).collect::<Vec<_>>())
                .collect();
            ks.sort_unstable();
            ks.dedup();
            ks.len()
        })
        .collect();
    let said = message_words(norm, catalog);
    for word in said.iter().copied().filter(|w| !GENERIC.contains(w)) {
        let word_stem = stem(word);
        let per_service: Vec<f32> = candidates
            .iter()
            .zip(&kinds)
            .map(|(cw, k)| {
                cw.iter()
                    .map(|(c, weight)| closeness(word, &word_stem, c, *k) * weight)
                    .fold(0.0, f32::max)
            })
            .collect();
        // A word shared by several services counts for each by its share of the matches:
        // "massage" in two massages counts half for each, "haircut" counts mostly for
        // "Classic haircut" and little for "Beard trim" (both hair, one exactly).
        let total: f32 = per_service.iter().sum();
        if total <= 0.0 {
            continue;
        }
        for (score, v) in scores.iter_mut().zip(&per_service) {
            *score += v * v / total;
        }
    }
    // A service whose whole name the message covers ("Manicure" by "unhas") is named
    // completely, beside one named only in part ("Unhas de gel" by "unhas").
    for (i, s) in catalog.services.iter().enumerate() {
        let complete = service_texts(s)
            .into_iter()
            .filter(|(_, weight)| *weight >= NAME_WEIGHT)
            .any(|(text, _)| {
                let names = content_words(text);
                !names.is_empty()
                    && names.iter().all(|c| {
                        said.iter()
                            .any(|w| closeness(w, &stem(w), c, kinds[i]) > 0.0)
                    })
            });
        if complete && scores[i] > 0.0 {
            scores[i] += COMPLETE_BONUS;
        }
    }
    let top = scores.iter().copied().fold(0.0, f32::max);
    if top < MIN_SCORE {
        return generic_service(&said, catalog);
    }
    let best: Vec<ServiceId> = catalog
        .services
        .iter()
        .zip(&scores)
        .filter(|(_, s)| **s >= top * TIE_SHARE)
        .map(|(s, _)| s.id.clone())
        .collect();
    match <[ServiceId; 1]>::try_from(best) {
        Ok([one]) => Some(ServiceWish::One(one)),
        Err(several) => Some(ServiceWish::OneOf(several)),
    }
}

/// With nothing specific said, a word like "consulta" names the one service whose name
/// has it, if only one does and the rest of that name is what the business does anyway
/// ("Consulta de tatuaje" in a tattoo studio). "Clase" does not name a "Clase privada":
/// the word that sets it apart was not said.
fn generic_service(said: &[&str], catalog: &Catalog) -> Option<ServiceWish> {
    let generic: Vec<String> = said
        .iter()
        .filter(|w| GENERIC.contains(w))
        .map(|w| stem(w))
        .collect();
    if generic.is_empty() {
        return None;
    }
    let named: Vec<&Service> = catalog
        .services
        .iter()
        .filter(|s| {
            service_texts(s)
                .into_iter()
                .filter(|(_, weight)| *weight >= NAME_WEIGHT)
                .any(|(text, _)| {
                    let words = content_words(text);
                    words.iter().any(|c| generic.contains(&stem(c)))
                        && words
                            .iter()
                            .filter(|c| !generic.contains(&stem(c)))
                            .all(|c| shared_by_others(c, s, catalog))
                })
        })
        .collect();
    match named.as_slice() {
        [one] => Some(ServiceWish::One(one.id.clone())),
        _ => None,
    }
}

/// Whether another service's name has this word too.
fn shared_by_others(word: &str, own: &Service, catalog: &Catalog) -> bool {
    let w = stem(word);
    catalog.services.iter().filter(|s| s.id != own.id).any(|s| {
        service_texts(s)
            .into_iter()
            .filter(|(_, weight)| *weight >= NAME_WEIGHT)
            .any(|(text, _)| content_words(text).iter().any(|c| stem(c) == w))
    })
}

/// Whether a message word stands for a part of a person's name.
fn names_part(word: &str, part: &str) -> bool {
    if part.chars().count() < 3 {
        return false;
    }
    similar(word, part)
        // "Rafa" for "Rafael", "Gabi" for "Gabriela".
        || (word.chars().count() >= 4 && part.starts_with(word))
        // "Joaozinho" for "João".
        || (part.chars().count() >= 4 && word.starts_with(part) && word.len() <= part.len() + 5)
        || nickname_of(word).contains(&part)
}

/// The provider(s) the text names: full names win over aliases, aliases over parts of
/// names; "any" means anyone.
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
                || ws.get(i + 1).is_some_and(|n| {
                    [
                        "available",
                        "one",
                        "provider",
                        "stylist",
                        "barber",
                        "therapist",
                        "teacher",
                        "tutor",
                        "staff",
                        "doctor",
                        "dentist",
                        "physio",
                        "person",
                        "professional",
                        "hairdresser",
                        "of",
                        "artist",
                        "therapists",
                        "instructor",
                        "coach",
                        "optometrist",
                    ]
                    .contains(n)
                }))
    }) || [
        "no preference",
        "doesnt matter",
        "dont mind",
        "da igual",
        "me da igual",
        "tanto faz",
        "sin preferencia",
        "sem preferencia",
        "quem estiver livre",
        "quem estiver disponivel",
        "quien este libre",
        "quien este disponible",
        "whoever is free",
        "whoever is available",
    ]
    .iter()
    .any(|p| super::has_phrase(norm, p));
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
    let aliased: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            p.aliases.iter().any(|a| {
                let n = normalize(a);
                !n.is_empty() && contains_fuzzy(&ws, &n)
            })
        })
        .map(|p| p.id.clone())
        .collect();
    if !aliased.is_empty() {
        return Some(ProviderWish::Named(aliased));
    }
    // Otherwise any one part of a name: "Maria" (maybe two of them), "Costa".
    let content: Vec<&str> = ws
        .iter()
        .copied()
        .filter(|w| !is_stopword(w) && !super::when::is_date_word(w))
        .collect();
    let first: Vec<ProviderId> = catalog
        .providers
        .iter()
        .filter(|p| {
            let n = normalize(&p.name);
            words(&n)
                .iter()
                .any(|part| content.iter().any(|w| names_part(w, part)))
        })
        .map(|p| p.id.clone())
        .collect();
    (!first.is_empty()).then_some(ProviderWish::Named(first))
}
