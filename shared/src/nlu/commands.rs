//! Commands that mean the same anywhere ("menu", "stop", "my bookings") and option
//! numbers in words and ordinals.

use super::{Command, words};

/// Commands, matched against the whole normalised message or its leading words.
const COMMANDS: &[(Command, &[&str])] = &[
    (
        Command::Menu,
        &[
            "menu",
            "start over",
            "restart",
            "main menu",
            "inicio",
            "empezar de nuevo",
            "volver a empezar",
            "recomecar",
            "comecar de novo",
            "reiniciar",
        ],
    ),
    (Command::Help, &["help", "ayuda", "ajuda", "?"]),
    (
        Command::Location,
        &[
            "address",
            "location",
            "directions",
            "map",
            "direccion",
            "ubicacion",
            "endereco",
            "localizacao",
            "morada",
        ],
    ),
    (
        Command::Human,
        &[
            "talk to a person",
            "talk to someone",
            "speak to a person",
            "human",
            "agent",
            "person",
            "hablar con alguien",
            "hablar con una persona",
            "agente",
            "persona",
            "falar com alguem",
            "falar com uma pessoa",
            "atendente",
            "pessoa",
        ],
    ),
    (
        Command::Language,
        &[
            "language",
            "idioma",
            "lingua",
            "english",
            "espanol",
            "portugues",
        ],
    ),
    (
        Command::Stop,
        &[
            "stop",
            "unsubscribe",
            "stop all",
            "baja",
            "darme de baja",
            "sair",
            "parar",
            "cancelar subscricao",
        ],
    ),
    (Command::Start, &["start", "unstop", "subscribe", "alta"]),
    (
        Command::MyBookings,
        &[
            "my bookings",
            "my booking",
            "my appointments",
            "my appointment",
            "bookings",
            "appointments",
            "mis citas",
            "mis reservas",
            "mi cita",
            "minhas marcacoes",
            "as minhas marcacoes",
            "meus agendamentos",
            "minha marcacao",
            "marcacoes",
        ],
    ),
    (
        Command::Reschedule,
        &[
            "reschedule",
            "change my booking",
            "move my booking",
            "reprogramar",
            "cambiar cita",
            "cambiar fecha",
            "cambiar",
            "remarcar",
            "reagendar",
            "mudar",
        ],
    ),
    (
        Command::Cancel,
        &["cancel", "cancelar", "cancel it", "cancelarla", "anular"],
    ),
    (
        Command::Book,
        &[
            "book",
            "book now",
            "new booking",
            "booking",
            "appointment",
            "reservar",
            "reserva",
            "cita",
            "nueva cita",
            "marcar",
            "agendar",
            "nova marcacao",
        ],
    ),
    (
        Command::Yes,
        &[
            "yes",
            "y",
            "yeah",
            "yep",
            "ok",
            "okay",
            "sure",
            "confirm",
            "confirmed",
            "si",
            "vale",
            "claro",
            "confirmar",
            "sim",
            "pode ser",
            "confirmo",
            "de acuerdo",
        ],
    ),
    (
        Command::No,
        &[
            "no",
            "nope",
            "nah",
            "nao",
            "change",
            "change time",
            "cambiar hora",
            "mudar horario",
        ],
    ),
];

/// Intents recognised anywhere in a sentence ("I need to move my appointment", "¿puedo
/// hablar con alguien?", "preciso cancelar a consulta de amanhã"), most specific first: a
/// sentence asking for a person about a cancellation wants the person.
const INTENTS: &[(Command, &[&str])] = &[
    (
        Command::Location,
        &[
            "where are you",
            "where is the",
            "where s the",
            "where is it",
            "where are you located",
            "your address",
            "the address",
            "how do i get there",
            "how to get there",
            "donde estan",
            "donde estais",
            "donde queda",
            "donde esta la",
            "donde esta el",
            "donde se encuentra",
            "la direccion",
            "como llego",
            "onde fica",
            "onde ficam",
            "onde voces ficam",
            "onde e a",
            "onde e o",
            "o endereco",
            "a morada",
            "como chego",
        ],
    ),
    (
        Command::Human,
        &[
            "talk to a person",
            "talk to someone",
            "talk to somebody",
            "talk to a human",
            "talk to a real person",
            "speak to someone",
            "speak to a person",
            "speak to a human",
            "speak with someone",
            "speak with a person",
            "talk with someone",
            "real person",
            "a human",
            "customer service",
            "the reception",
            "receptionist",
            "hablar con alguien",
            "hablar con una persona",
            "hablar con un humano",
            "hablar con recepcion",
            "una persona real",
            "atencion al cliente",
            "falar com alguem",
            "falar com uma pessoa",
            "falar com um humano",
            "falar com a rececao",
            "falar com a recepcao",
            "falar com um atendente",
            "uma pessoa real",
            "atendimento humano",
            "atendente",
            "falar com a secretaria",
            "falar com a recepcao",
            "falar com a rececao",
            "the front desk",
            "hablar con recepcion",
            "hablar con la recepcion",
            "hablar con secretaria",
        ],
    ),
    (
        Command::Reschedule,
        &[
            "reschedule",
            "rebook",
            "rearrange",
            "move my",
            "move the appointment",
            "move the booking",
            "move it",
            "change my appointment",
            "change my booking",
            "change my reservation",
            "change the appointment",
            "change the booking",
            "change the date of my",
            "change the time of my",
            "postpone",
            "push back my",
            "reprogramar",
            "cambiar mi cita",
            "cambiar la cita",
            "cambiar mi reserva",
            "cambiar la reserva",
            "cambiar de dia",
            "cambiar la hora de mi",
            "cambiar el dia de mi",
            "mover mi cita",
            "mover la cita",
            "aplazar",
            "posponer",
            "remarcar",
            "reagendar",
            "mudar a marcacao",
            "mudar a minha marcacao",
            "mudar o horario",
            "mudar a consulta",
            "mudar a data",
            "mudar meu agendamento",
            "mudar o agendamento",
            "trocar o horario",
            "trocar a data",
            "adiar",
        ],
    ),
    (
        Command::Cancel,
        &[
            "cancel",
            "cancelling",
            "canceling",
            "call off",
            "cancelar",
            "cancela",
            "cancelarla",
            "cancelarlo",
            "anular",
            "anula",
            "desmarcar",
            "desmarque",
            "cancele",
        ],
    ),
    (
        Command::MyBookings,
        &[
            "my bookings",
            "my booking",
            "my appointments",
            "my appointment",
            "my reservation",
            "when is my",
            "what time is my",
            "what bookings",
            "which bookings",
            "what appointments",
            "do i have any",
            "tengo alguna cita",
            "tengo alguna reserva",
            "tenho alguma marcacao",
            "tenho algum agendamento",
            "tenho alguma consulta",
            "tenho alguma aula",
            "tengo reservado",
            "tengo reservada",
            "tengo reservados",
            "tengo reservadas",
            "tenho marcado",
            "tenho marcada",
            "tenho agendado",
            "tenho agendada",
            "what do i have booked",
            "have i booked",
            "did i book",
            "do i have an appointment",
            "do i have a booking",
            "mis citas",
            "mi cita",
            "mis reservas",
            "mi reserva",
            "cuando es mi",
            "a que hora es mi",
            "tengo cita",
            "tengo una cita",
            "tengo turno",
            "a que hora tengo",
            "que dia tengo",
            "mi turno",
            "mis turnos",
            "minhas marcacoes",
            "minha marcacao",
            "meus agendamentos",
            "meu agendamento",
            "minha consulta",
            "minhas consultas",
            "quando e a minha",
            "quando e o meu",
            "tenho marcacao",
            "tenho consulta",
            "tenho horario",
        ],
    ),
];

/// Words that, a little before an intent, say the customer does not want it.
const NEGATIONS: &[&str] = &[
    "dont", "don", "not", "never", "no", "nao", "nunca", "without", "sin", "sem", "nem",
];

/// Words that may stand between a negation and the intent it negates ("don't *want to*
/// cancel", "no *quiero* cancelar"); any other word ends the negation's reach ("no puedo
/// *ir*, anula la cita" cancels).
const NEGATION_BRIDGE: &[&str] = &[
    "t", "want", "to", "wanna", "need", "i", "do", "will", "would", "like", "have", "going",
    "quiero", "quero", "queria", "quisiera", "necesito", "preciso", "vou", "voy", "a", "que", "me",
    "gostaria", "deseo", "desejo", "la", "o", "el",
];

/// Verbs that move something, and the things they move: "change the day of my lesson",
/// "pasar mi cita al lunes", "trocar o dia da aula" are reschedules.
const MOVE_VERBS: &[&str] = &[
    "move", "moving", "change", "shift", "push", "switch", "cambi", "mover", "muev", "pasar",
    "pasa", "pase", "correr", "corre", "muda", "troca", "troque", "passa", "passe",
];
const MOVED_THINGS: &[&str] = &[
    "appointment",
    "booking",
    "session",
    "lesson",
    "class",
    "reservation",
    "cita",
    "reserva",
    "clase",
    "sesion",
    "turno",
    "marcacao",
    "aula",
    "consulta",
    "agendamento",
    "horario",
    "dia",
    "hora",
    "day",
    "date",
    "fecha",
    "data",
    "it",
];

/// The command this message is: the whole message ("menu", "stop", "sí"), or an intent
/// anywhere in a sentence ("I need to reschedule my massage") unless negated ("I don't
/// want to cancel"). A sentence that merely contains "book" is not the Book command; it is
/// parsed for details instead.
pub fn command(norm: &str) -> Option<Command> {
    let stripped = strip_courtesy(norm);
    COMMANDS
        .iter()
        .find(|(_, phrases)| phrases.contains(&stripped))
        .map(|(c, _)| *c)
        .or_else(|| intent(norm))
}

/// An intent named anywhere in the sentence and not negated.
fn intent(norm: &str) -> Option<Command> {
    let ws = words(norm);
    INTENTS.iter().find_map(|(command, phrases)| {
        // A substring search first: most phrases are not in most messages.
        let named = phrases
            .iter()
            .any(|p| norm.contains(p) && occurs_unnegated(&ws, p))
            || (*command == Command::Reschedule && moves_something(&ws));
        named.then_some(*command)
    })
}

/// "change … appointment", "pasar mi cita", "trocar o dia": a moving verb with a booking
/// (or its day) within three words after it, not negated.
fn moves_something(ws: &[&str]) -> bool {
    ws.iter().enumerate().any(|(i, w)| {
        // Any form of the verb: "cambias", "cámbiame", "mudar", "muda".
        MOVE_VERBS
            .iter()
            .any(|v| w.starts_with(v) && w.len() <= v.len() + 4)
            && !w.starts_with("pasado")
            && ws[i + 1..].iter().take(3).any(|n| MOVED_THINGS.contains(n))
            && !negated(ws, i)
    })
}

/// Whether the word at `i` is negated: a negation a little before it, with only words
/// that carry it in between.
fn negated(ws: &[&str], i: usize) -> bool {
    let start = i.saturating_sub(4);
    ws[start..i].iter().enumerate().any(|(k, w)| {
        NEGATIONS.contains(w)
            && ws[start + k + 1..i]
                .iter()
                .all(|between| NEGATION_BRIDGE.contains(between))
    })
}

/// Whether `phrase` occurs in the words with no negation among the four words before it
/// ("I don't want to cancel" splits "don't" in two).
fn occurs_unnegated(ws: &[&str], phrase: &str) -> bool {
    let n = phrase.split(' ').count();
    if n > ws.len() {
        return false;
    }
    (0..=ws.len() - n)
        .any(|i| ws[i..i + n].iter().copied().eq(phrase.split(' ')) && !negated(ws, i))
}

/// Whether a word is a number or an ordinal in words ("two", "segunda").
pub(super) fn is_number_word(word: &str) -> bool {
    NUMBER_WORDS.iter().any(|(w, _)| *w == word)
}

/// Drops "please", "por favor" and similar from the ends of a message.
fn strip_courtesy(norm: &str) -> &str {
    let mut s = norm.trim();
    for courtesy in [
        "please",
        "pls",
        "por favor",
        "porfa",
        "thanks",
        "gracias",
        "obrigado",
        "obrigada",
    ] {
        if let Some(rest) = s.strip_suffix(courtesy) {
            s = rest.trim();
        }
        if let Some(rest) = s.strip_prefix(courtesy) {
            s = rest.trim();
        }
    }
    for lead in [
        "i want to",
        "i want",
        "quiero",
        "quero",
        "i would like to",
        "id like to",
    ] {
        if let Some(rest) = s.strip_prefix(lead) {
            let rest = rest.trim();
            if !rest.is_empty() {
                s = rest;
            }
        }
    }
    s
}

const NUMBER_WORDS: &[(&str, usize)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("last", usize::MAX),
    ("uno", 1),
    ("una", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("diez", 10),
    ("primero", 1),
    ("primera", 1),
    ("segundo", 2),
    ("segunda", 2),
    ("tercero", 3),
    ("tercera", 3),
    ("cuarto", 4),
    ("cuarta", 4),
    ("quinto", 5),
    ("quinta", 5),
    ("sexto", 6),
    ("sexta", 6),
    ("septimo", 7),
    ("septima", 7),
    ("octavo", 8),
    ("octava", 8),
    ("noveno", 9),
    ("novena", 9),
    ("decimo", 10),
    ("decima", 10),
    ("ultimo", usize::MAX),
    ("ultima", usize::MAX),
    ("um", 1),
    ("uma", 1),
    ("dois", 2),
    ("duas", 2),
    ("quatro", 4),
    ("sete", 7),
    ("oito", 8),
    ("nove", 9),
    ("dez", 10),
    ("primeiro", 1),
    ("primeira", 1),
    ("terceiro", 3),
    ("terceira", 3),
    ("setimo", 7),
    ("setima", 7),
    ("oitavo", 8),
    ("oitava", 8),
    ("nono", 9),
    ("nona", 9),
];

/// An option number the message names: "2", "#2", "2.", "2nd", "2º", "two", "second",
/// "dos", "segunda", "option 2", "the second one". `usize::MAX` stands for "last".
pub fn option_number(norm: &str) -> Option<usize> {
    let fillers = [
        "option", "opcion", "opcao", "number", "numero", "no", "the", "el", "la", "lo", "o", "a",
        "one", "please", "por", "favor", "pls",
    ];
    let ws: Vec<&str> = words(norm);
    let meaningful: Vec<&str> = ws
        .iter()
        .copied()
        .filter(|w| !fillers.contains(w) || ws.len() == 1)
        .collect();
    let [word] = meaningful.as_slice() else {
        return None;
    };
    let digits = word
        .trim_end_matches(['o', 'a'])
        .trim_end_matches("st")
        .trim_end_matches("nd");
    let digits = digits.trim_end_matches("rd").trim_end_matches("th");
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.parse().ok().filter(|n| (1..=99).contains(n));
    }
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| w == word)
        .map(|(_, n)| *n)
}
