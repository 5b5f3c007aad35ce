//! Services and providers named in a message, driven by the business's own catalog.
//!
//! Every word of a service's name, aliases, translations and description can identify it:
//! a word scores for each service it matches (exactly, up to plural and gender, up to a
//! typo, as the start of a longer word, or as an everyday word for the same kind of
//! service), a word shared by several services counts for each only in part, and the best
//! score wins. Services scoring about the same are all returned, so the customer is asked
//! between just those. Providers match by full name, alias, any part of the name, a prefix
//! of it, or a common nickname.

use std::cell::RefCell;
use std::rc::Rc;

use super::fuzzy::contains_fuzzy;
use super::lexicon::{GENERIC, is_stopword, kinds_of, kinds_with_stem, nickname_of, root, stem};
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

/// A word, with what matching compares, computed once.
#[derive(Debug)]
struct Term {
    text: String,
    stem: String,
    root: String,
    kinds: Vec<u16>,
    chars: usize,
}

impl Term {
    fn new(text: &str) -> Term {
        let stem = stem(text);
        Term {
            kinds: kinds_with_stem(text, &stem),
            root: root(text).to_owned(),
            chars: text.chars().count(),
            stem,
            text: text.to_owned(),
        }
    }
}

/// A catalog word of one service and how much it counts.
#[derive(Debug)]
struct Weighted {
    term: Term,
    weight: f32,
}

/// What matching needs of one service.
#[derive(Debug)]
struct ServiceEntry {
    id: ServiceId,
    /// Names, aliases and translated names, normalised: whole-phrase matches.
    phrases: Vec<String>,
    /// Every content word of names and descriptions.
    terms: Vec<Weighted>,
    /// For each name, the indices of its words in `terms`.
    names: Vec<Vec<usize>>,
    /// How many kinds of service the names speak of.
    kinds: usize,
}

/// What matching needs of one provider.
#[derive(Debug)]
struct ProviderEntry {
    id: ProviderId,
    full: String,
    parts: Vec<String>,
    aliases: Vec<String>,
}

/// A catalog prepared for matching: normalised, stemmed and looked up once, not once per
/// message.
#[derive(Debug)]
pub(super) struct CatalogIndex {
    services: Vec<ServiceEntry>,
    providers: Vec<ProviderEntry>,
    /// Every word of every provider's name.
    people: Vec<String>,
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

impl CatalogIndex {
    fn build(catalog: &Catalog) -> CatalogIndex {
        let services = catalog
            .services
            .iter()
            .map(|s| {
                let mut entry = ServiceEntry {
                    id: s.id.clone(),
                    phrases: Vec::new(),
                    terms: Vec::new(),
                    names: Vec::new(),
                    kinds: 0,
                };
                let mut kinds: Vec<u16> = Vec::new();
                for (text, weight) in service_texts(s) {
                    let mut name = Vec::new();
                    for w in content_words(text) {
                        name.push(entry.terms.len());
                        let term = Term::new(&w);
                        if weight >= NAME_WEIGHT {
                            kinds.extend(&term.kinds);
                        }
                        entry.terms.push(Weighted { term, weight });
                    }
                    if weight >= NAME_WEIGHT {
                        let phrase = normalize(text);
                        if !phrase.is_empty() {
                            entry.phrases.push(phrase);
                        }
                        if !name.is_empty() {
                            entry.names.push(name);
                        }
                    }
                }
                let mut distinct: Vec<u16> = Vec::new();
                for k in kinds {
                    if !distinct.contains(&k) {
                        distinct.push(k);
                    }
                }
                entry.kinds = distinct.len();
                entry
            })
            .collect();
        let providers: Vec<ProviderEntry> = catalog
            .providers
            .iter()
            .map(|p| {
                let full = normalize(&p.name);
                ProviderEntry {
                    id: p.id.clone(),
                    parts: words(&full).into_iter().map(str::to_owned).collect(),
                    aliases: p
                        .aliases
                        .iter()
                        .map(|a| normalize(a))
                        .filter(|a| !a.is_empty())
                        .collect(),
                    full,
                }
            })
            .collect();
        let people = providers.iter().flat_map(|p| p.parts.clone()).collect();
        CatalogIndex {
            services,
            providers,
            people,
        }
    }
}

thread_local! {
    /// The last few catalogs seen, by a hash of what matching reads: a worker serves one
    /// business's messages after another, and rebuilding costs more than the match.
    static INDEXES: RefCell<Vec<(u64, Rc<CatalogIndex>)>> = const { RefCell::new(Vec::new()) };
}

/// How many prepared catalogs are kept.
const KEPT_INDEXES: usize = 8;

/// A hash of every text matching reads, eight bytes at a time (it runs on every message),
/// each text's length mixed in so that moving a letter from one field to the next changes
/// it.
fn fingerprint(catalog: &Catalog) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| h = (h.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    let mut feed = |text: &str| {
        for chunk in text.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            mix(u64::from_le_bytes(word));
        }
        mix(text.len() as u64 | (1 << 63));
    };
    for s in &catalog.services {
        feed(s.id.as_str());
        feed(&s.name);
        feed(&s.description);
        s.aliases.iter().for_each(|a| feed(a));
        for (lang, t) in &s.translations {
            feed(lang.code());
            feed(&t.name);
            feed(&t.description);
        }
        feed("\u{1}");
    }
    for p in &catalog.providers {
        feed(p.id.as_str());
        feed(&p.name);
        p.aliases.iter().for_each(|a| feed(a));
        feed("\u{2}");
    }
    h
}

/// The prepared form of `catalog`, built on first sight.
pub(super) fn index(catalog: &Catalog) -> Rc<CatalogIndex> {
    let key = fingerprint(catalog);
    INDEXES.with(|cell| {
        let mut kept = cell.borrow_mut();
        if let Some(i) = kept.iter().position(|(k, _)| *k == key) {
            let hit = kept.remove(i);
            let index = Rc::clone(&hit.1);
            kept.insert(0, hit);
            return index;
        }
        let index = Rc::new(CatalogIndex::build(catalog));
        kept.insert(0, (key, Rc::clone(&index)));
        kept.truncate(KEPT_INDEXES);
        index
    })
}

/// A message word prepared like a [`Term`].
struct Said<'a> {
    text: &'a str,
    term: Term,
}

/// How well a message word matches a catalog word, 0 when not at all. `kinds` is how many
/// kinds of service the catalog word's service names: a "Beard trim" is about beards and
/// hair, so "hair" alone points to it less than to a "Haircut".
fn closeness(word: &Term, catalog: &Term, kinds: usize) -> f32 {
    if word.text == catalog.text || word.stem == catalog.stem {
        return 1.0;
    }
    // "vacunar" for "Vacunación", "limpar" for "Limpeza".
    if word.root.len() >= 4 && word.root == catalog.root {
        return 0.95;
    }
    // A typo only in longer words ("fine" is not "line"), and never in both of the first
    // two letters, which keeps the costly comparison for likely pairs.
    let long = word.chars >= 5 && catalog.chars >= 5;
    let plausible = || {
        let (a, b) = (word.text.as_bytes(), catalog.text.as_bytes());
        a.first() == b.first()
            || a.get(1) == b.get(1)
            || (a.first() == b.get(1) && a.get(1) == b.first())
    };
    if long
        && plausible()
        && (similar(&word.stem, &catalog.stem) || similar(&word.text, &catalog.text))
    {
        return 0.85;
    }
    // "cut" in "haircut": the end of a compound is the thing itself (a short end only
    // after a known word, so "val" is not "removal").
    let (w, c) = (word.text.as_str(), catalog.text.as_str());
    let compound = c.len() >= w.len() + 3
        && c.ends_with(w)
        && c.is_char_boundary(c.len() - w.len())
        && (w.len() >= 4 || kinds_of(&c[..c.len() - w.len()]).next().is_some());
    if compound {
        return 0.9;
    }
    if word.kinds.iter().any(|k| catalog.kinds.contains(k)) {
        return 0.6 / (1.0 + 0.7 * kinds.saturating_sub(1) as f32);
    }
    // "physio" for "physiotherapy", "fisio" for "fisioterapia".
    if word.chars >= 4 && c.len() > w.len() && c.starts_with(w) {
        return 0.7;
    }
    0.0
}

/// Words of the message that could name something: not filler, not a date, not a number,
/// not one of the business's people.
fn message_words<'a>(norm: &'a str, index: &CatalogIndex) -> Vec<Said<'a>> {
    words(norm)
        .into_iter()
        .filter(|w| {
            w.len() >= 2
                && !is_stopword(w)
                && !is_numberish(w)
                && !w.contains(':')
                && !super::when::is_date_word(w)
                // Ordinals name options, except the first visit catalogs speak of.
                && (!super::commands::is_number_word(w)
                    || ["first", "primera", "primeira", "primer"].contains(w))
                && !index.people.iter().any(|p| p == w)
        })
        .map(|w| Said {
            text: w,
            term: Term::new(w),
        })
        .collect()
}

/// The service (or services, equally well named) the text names.
pub fn service(norm: &str, catalog: &Catalog) -> Option<ServiceWish> {
    service_in(norm, &index(catalog))
}

/// [`service`] against a catalog already prepared.
pub(super) fn service_in(norm: &str, index: &CatalogIndex) -> Option<ServiceWish> {
    let services = &index.services;
    if services.is_empty() {
        return None;
    }
    let text_words = words(norm);
    let mut scores = vec![0f32; services.len()];
    // A whole name or alias, word for word, is the strongest evidence there is.
    for (score, s) in scores.iter_mut().zip(services) {
        for phrase in &s.phrases {
            if contains_fuzzy(&text_words, phrase) {
                *score = score.max(1.0 + words(phrase).len() as f32);
            }
        }
    }
    let said = message_words(norm, index);
    // How each said word matches each service's words: [said][service][term].
    let matches: Vec<Vec<Vec<f32>>> = said
        .iter()
        .map(|w| {
            services
                .iter()
                .map(|s| {
                    s.terms
                        .iter()
                        .map(|t| closeness(&w.term, &t.term, s.kinds))
                        .collect()
                })
                .collect()
        })
        .collect();
    for (w, per_service) in said.iter().zip(&matches) {
        if GENERIC.contains(&w.text) {
            continue;
        }
        let best: Vec<f32> = per_service
            .iter()
            .zip(services)
            .map(|(terms, s)| {
                terms
                    .iter()
                    .zip(&s.terms)
                    .map(|(v, t)| v * t.weight)
                    .fold(0.0, f32::max)
            })
            .collect();
        // A word shared by several services counts for each by its share of the matches:
        // "massage" in two massages counts half for each, "haircut" counts mostly for
        // "Classic haircut" and little for "Beard trim" (both hair, one exactly).
        let total: f32 = best.iter().sum();
        if total <= 0.0 {
            continue;
        }
        for (score, v) in scores.iter_mut().zip(&best) {
            *score += v * v / total;
        }
    }
    // A service whose whole name the message covers ("Manicure" by "unhas") is named
    // completely, beside one named only in part ("Unhas de gel" by "unhas").
    for (i, s) in services.iter().enumerate() {
        let complete = s.names.iter().any(|name| {
            name.iter()
                .all(|&t| matches.iter().any(|per_service| per_service[i][t] > 0.0))
        });
        if complete && scores[i] > 0.0 {
            scores[i] += COMPLETE_BONUS;
        }
    }
    let top = scores.iter().copied().fold(0.0, f32::max);
    if top < MIN_SCORE {
        return generic_service(&said, index);
    }
    let best: Vec<ServiceId> = services
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
fn generic_service(said: &[Said<'_>], index: &CatalogIndex) -> Option<ServiceWish> {
    let generic: Vec<&str> = said
        .iter()
        .filter(|w| GENERIC.contains(&w.text))
        .map(|w| w.term.stem.as_str())
        .collect();
    if generic.is_empty() {
        return None;
    }
    let shared_by_others = |stem: &str, own: &ServiceId| {
        index.services.iter().filter(|s| &s.id != own).any(|s| {
            s.names
                .iter()
                .flatten()
                .any(|&t| s.terms[t].term.stem == stem)
        })
    };
    let named: Vec<&ServiceEntry> = index
        .services
        .iter()
        .filter(|s| {
            s.names.iter().any(|name| {
                let stems = name.iter().map(|&t| s.terms[t].term.stem.as_str());
                stems.clone().any(|st| generic.contains(&st))
                    && stems
                        .filter(|st| !generic.contains(st))
                        .all(|st| shared_by_others(st, &s.id))
            })
        })
        .collect();
    match named.as_slice() {
        [one] => Some(ServiceWish::One(one.id.clone())),
        _ => None,
    }
}

/// Whether a message word (with the names it is a nickname for) stands for a part of a
/// person's name.
fn names_part<'n>(word: &str, nicknamed: impl Iterator<Item = &'n str>, part: &str) -> bool {
    if part.chars().count() < 3 {
        return false;
    }
    similar(word, part)
        // "Rafa" for "Rafael", "Gabi" for "Gabriela".
        || (word.chars().count() >= 4 && part.starts_with(word))
        // "Joaozinho" for "João".
        || (part.chars().count() >= 4 && word.starts_with(part) && word.len() <= part.len() + 5)
        || { nicknamed }.any(|n| n == part)
}

/// The provider(s) the text names: full names win over aliases, aliases over parts of
/// names; "any" means anyone.
pub fn provider(norm: &str, catalog: &Catalog) -> Option<ProviderWish> {
    provider_in(norm, &index(catalog))
}

/// [`provider`] against a catalog already prepared.
pub(super) fn provider_in(norm: &str, index: &CatalogIndex) -> Option<ProviderWish> {
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
                        "mechanic",
                        "technician",
                        "optician",
                        "hygienist",
                        "nurse",
                        "vet",
                        "groomer",
                        "trainer",
                        "beautician",
                        "specialist",
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
    let full: Vec<ProviderId> = index
        .providers
        .iter()
        .filter(|p| p.parts.len() > 1 && contains_fuzzy(&ws, &p.full))
        .map(|p| p.id.clone())
        .collect();
    if !full.is_empty() {
        return Some(ProviderWish::Named(full));
    }
    let aliased: Vec<ProviderId> = index
        .providers
        .iter()
        .filter(|p| p.aliases.iter().any(|a| contains_fuzzy(&ws, a)))
        .map(|p| p.id.clone())
        .collect();
    if !aliased.is_empty() {
        return Some(ProviderWish::Named(aliased));
    }
    // Otherwise any one part of a name: "Maria" (maybe two of them), "Costa".
    let content: Vec<(&str, Vec<&str>)> = ws
        .iter()
        .copied()
        // A nickname counts even where the word is filler elsewhere ("Cat" for Catarina).
        .filter(|w| {
            (!is_stopword(w) || nickname_of(w).next().is_some()) && !super::when::is_date_word(w)
        })
        .map(|w| (w, nickname_of(w).collect()))
        .collect();
    let first: Vec<ProviderId> = index
        .providers
        .iter()
        .filter(|p| {
            p.parts.iter().any(|part| {
                content
                    .iter()
                    .any(|(w, nick)| names_part(w, nick.iter().copied(), part))
            })
        })
        .map(|p| p.id.clone())
        .collect();
    (!first.is_empty()).then_some(ProviderWish::Named(first))
}
