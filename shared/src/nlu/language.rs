//! Which language a message is in, from words that give it away.

use super::words;
use crate::lang::Lang;

/// Words that give a language away (accents already folded).
const LANG_WORDS: &[(Lang, &[&str])] = &[
    (
        Lang::En,
        &[
            "the",
            "i",
            "want",
            "book",
            "with",
            "at",
            "tomorrow",
            "today",
            "please",
            "can",
            "my",
            "next",
            "appointment",
            "hi",
            "hello",
            "thanks",
            "yes",
            "an",
            "for",
            "haircut",
            "after",
            "before",
            "morning",
            "afternoon",
            "evening",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "time",
            "any",
            "is",
            "it",
            "would",
            "like",
            "pm",
            "am",
            "cancel",
            "reschedule",
            "help",
        ],
    ),
    (
        Lang::Es,
        &[
            "quiero",
            "reservar",
            "cita",
            "con",
            "el",
            "la",
            "las",
            "los",
            "manana",
            "hoy",
            "hola",
            "gracias",
            "si",
            "para",
            "lunes",
            "martes",
            "miercoles",
            "jueves",
            "viernes",
            "sabado",
            "domingo",
            "una",
            "mi",
            "mis",
            "proximo",
            "noche",
            "pelo",
            "despues",
            "ayuda",
            "puedo",
            "quisiera",
            "del",
            "y",
            "hora",
            "cualquiera",
            "cancelar",
            "cambiar",
            "idioma",
            "espanol",
            "manicura",
            "semana",
        ],
    ),
    (
        Lang::Pt,
        &[
            "quero",
            "marcar",
            "com",
            "amanha",
            "hoje",
            "ola",
            "obrigado",
            "obrigada",
            "sim",
            "das",
            "as",
            "terca",
            "quarta",
            "quinta",
            "sexta",
            "feira",
            "um",
            "meu",
            "minhas",
            "proxima",
            "noite",
            "cabelo",
            "manha",
            "agendar",
            "voce",
            "depois",
            "ajuda",
            "posso",
            "gostaria",
            "do",
            "da",
            "e",
            "horario",
            "qualquer",
            "cancelar",
            "remarcar",
            "lingua",
            "portugues",
            "nao",
            "semana",
            "bom",
            "dia",
            "oi",
            "pra",
            "voce",
            "vc",
            "tudo",
            "bem",
            "obg",
        ],
    ),
];

/// The language of the text, when one clearly dominates.
pub fn detect_lang(norm: &str) -> Option<Lang> {
    let ws = words(norm);
    let mut scores = [(Lang::En, 0u32), (Lang::Es, 0), (Lang::Pt, 0)];
    for w in &ws {
        for (lang, list) in LANG_WORDS {
            if list.contains(w) {
                let own = LANG_WORDS.iter().filter(|(_, l)| l.contains(w)).count();
                // A word only one language uses counts double.
                let weight = if own == 1 { 2 } else { 1 };
                if let Some(entry) = scores.iter_mut().find(|(l, _)| l == lang) {
                    entry.1 += weight;
                }
            }
        }
    }
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    let (best, top) = scores[0];
    (top >= 2 && top > scores[1].1).then_some(best)
}
