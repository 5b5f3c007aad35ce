//! Yes or no to a question that commits something (a booking, a move, a cancellation, a
//! payment).
//!
//! The rule is lopsided on purpose: saying yes by mistake costs a customer a booking or
//! money, saying no by mistake costs one more message. So a refusal anywhere in the text
//! wins over everything, typos in refusals are forgiven, and yes counts only when the whole
//! message is agreement. Anything else is no answer, and the question is asked again.

use super::{normalize, similar, words};

/// What the customer answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Go ahead.
    Yes,
    /// Do not; leave things as they were.
    No,
    /// Not this one: go back and choose again.
    Back,
}

/// Words and phrases that refuse or abandon (accents folded). Any of them, anywhere in the
/// message, means it is not a yes.
pub const REFUSALS: &[&str] = &[
    // English
    "no",
    "nope",
    "nah",
    "nay",
    "not",
    "dont",
    "don t",
    "do not",
    "cancel",
    "stop",
    "abort",
    "quit",
    "exit",
    "never",
    "never mind",
    "nevermind",
    "forget it",
    "wrong",
    "incorrect",
    // Spanish
    "cancelar",
    "cancela",
    "cancelalo",
    "cancelala",
    "anular",
    "anula",
    "parar",
    "salir",
    "nunca",
    "mejor no",
    "olvidalo",
    "olvidate",
    "equivocado",
    "incorrecto",
    "ni hablar",
    "negativo",
    // Portuguese
    "nao",
    "cancele",
    "cancelo",
    "sair",
    "desistir",
    "desisto",
    "esquece",
    "esqueca",
    "errado",
    "incorreto",
    "melhor nao",
    "nem pensar",
];

/// Refusals that mean "another one", not "none at all".
pub const GO_BACK: &[&str] = &[
    "back",
    "go back",
    "previous",
    "change",
    "change time",
    "other time",
    "another time",
    "different time",
    "volver",
    "atras",
    "regresar",
    "cambiar",
    "cambiar hora",
    "otra hora",
    "voltar",
    "mudar",
    "trocar",
    "outra hora",
    "outro horario",
];

/// Agreement; a yes is a message made only of these and courtesy.
const AGREEMENT: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ok",
    "okay",
    "k",
    "sure",
    "confirm",
    "confirmed",
    "book it",
    "go ahead",
    "perfect",
    "great",
    "good",
    "fine",
    "si",
    "vale",
    "claro",
    "confirmar",
    "confirmo",
    "confirmado",
    "de acuerdo",
    "perfecto",
    "bien",
    "genial",
    "sim",
    "pode ser",
    "confirma",
    "certo",
    "perfeito",
    "otimo",
    "combinado",
    "beleza",
];

/// Words that neither agree nor refuse ("yes please", "sí, gracias").
const COURTESY: &[&str] = &[
    "please", "pls", "thanks", "thank", "you", "por", "favor", "gracias", "obrigado", "obrigada",
    "que", "it", "that", "is", "all", "good",
];

/// Emoji that say yes on their own.
const AGREEING_EMOJI: &[char] = &['👍', '👌', '✅', '✔'];

/// Whether any phrase of `lexicon` occurs in the words. A single word of five letters or
/// more is forgiven a typo ("cancle"); shorter ones, and phrases, must be exact, or "para"
/// (for) would read as "parar" (stop). Runs on every answer to a committing screen, so it
/// allocates nothing.
fn mentions(text_words: &[&str], lexicon: &[&str]) -> bool {
    let same = |a: &str, b: &str| a == b || (a.len() >= 5 && b.len() >= 5 && similar(a, b));
    lexicon.iter().any(|phrase| {
        if !phrase.contains(' ') {
            return text_words.iter().any(|w| same(w, phrase));
        }
        let n = phrase.split(' ').count();
        n <= text_words.len()
            && text_words
                .windows(n)
                .any(|window| window.iter().copied().eq(phrase.split(' ')))
    })
}

/// Whether the words are agreement and courtesy only, with at least one agreement.
fn only_agreement(text_words: &[&str]) -> bool {
    let mut agreed = false;
    let mut i = 0;
    'outer: while i < text_words.len() {
        // A phrase first, so "de acuerdo" is not read as two unknown words.
        for phrase in AGREEMENT {
            let n = phrase.split(' ').count();
            if text_words.len() - i >= n
                && text_words[i..i + n].iter().copied().eq(phrase.split(' '))
            {
                agreed = true;
                i += n;
                continue 'outer;
            }
        }
        if COURTESY.contains(&text_words[i]) {
            i += 1;
            continue;
        }
        return false;
    }
    agreed
}

/// The customer's answer to a question that commits something, or `None` when the text is
/// neither a clear yes nor a refusal. `raw` is the text as written (for emoji), `norm` the
/// same through [`normalize`].
pub fn answer(raw: &str, norm: &str) -> Option<Answer> {
    let text_words = words(norm);
    if mentions(&text_words, GO_BACK) {
        return Some(Answer::Back);
    }
    if mentions(&text_words, REFUSALS) {
        return Some(Answer::No);
    }
    if text_words.is_empty() {
        let agreeing = raw.chars().any(|c| AGREEING_EMOJI.contains(&c));
        let only_emoji = raw
            .chars()
            .all(|c| AGREEING_EMOJI.contains(&c) || c.is_whitespace() || !c.is_alphanumeric());
        return (agreeing && only_emoji).then_some(Answer::Yes);
    }
    only_agreement(&text_words).then_some(Answer::Yes)
}

/// [`answer`] for text not yet normalised.
pub fn answer_to(raw: &str) -> Option<Answer> {
    answer(raw, &normalize(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_message_of_agreement_is_a_yes() {
        for text in [
            "yes",
            "Yes!",
            "yes please",
            "ok",
            "OK 👍",
            "👍",
            "confirm",
            "sí",
            "Sí, por favor",
            "vale",
            "de acuerdo",
            "sim",
            "pode ser",
            "claro que sí",
        ] {
            assert_eq!(answer_to(text), Some(Answer::Yes), "{text}");
        }
    }

    #[test]
    fn a_refusal_anywhere_wins_even_next_to_a_yes() {
        for text in [
            "no",
            "No.",
            "nope",
            "cancel",
            "cancle",
            "yes no",
            "ok no",
            "no, cancelar",
            "cancelar",
            "não",
            "nao obrigado",
            "don't",
            "no 1",
            "1 no",
            "sim, não",
        ] {
            assert_eq!(answer_to(text), Some(Answer::No), "{text}");
        }
    }

    #[test]
    fn asking_for_another_time_goes_back() {
        for text in [
            "change",
            "back",
            "no, change the time",
            "otra hora",
            "voltar",
            "atrás",
            "cambiar",
        ] {
            assert_eq!(answer_to(text), Some(Answer::Back), "{text}");
        }
    }

    #[test]
    fn anything_else_is_no_answer() {
        for text in [
            "maybe",
            "what time was it?",
            "🙂",
            "",
            "1",
            "tomorrow at 5",
            "wait",
            "sí, para mañana",
        ] {
            assert_eq!(answer_to(text), None, "{text}");
        }
    }
}
