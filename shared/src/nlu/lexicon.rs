//! Words the parser knows without being told by a business: words that carry no meaning
//! for matching, everyday words for kinds of service, and nicknames.
//!
//! A business's catalog is matched word by word ([`super::names`]); these lists only widen
//! what a catalog word matches ("trim" finds "Haircut", "limpeza" finds "Dental cleaning")
//! or keep filler from matching at all. They are vocabulary, not any one business's names:
//! each group is a thing people book, in every language we speak, nouns and verbs alike.

/// Words that never identify a service or a person (kept in alphabetical order, checked by
/// a test, so they are searched without sorting them at start): articles, pronouns, courtesy, booking
/// words, and words about time (read by the date and time parsers instead).
use std::sync::LazyLock;

pub(super) const STOPWORDS: &str = "\
    a about after afternoon again agendamento agendar ai al algo alguem alguien also am \
    amanha an and animais animal animales another antes any anyone appointment \
    appointments appt are around as asap at ate available barbearia barbeiro barber \
    barberia barbero barbers barbershop be before boa bom book booking bookings buenas \
    buenos but by cachorra cachorrinho cachorro can cat cats cita citas clinic clinica \
    clock com con cost could cuarto da daqui das day days de del depois desde despues \
    dia dias did do doctor doctora does dog dogs done dont dos doutor doutora dr dra e \
    el em en entao es esa ese essa esse esta este estudio eu evening favor fazer fin \
    fine for free from gata gatinha gatinho gatita gatito gato gatos get go good \
    gostaria got gracias great hacer hacerme half has hasta have hay hello here hey hi \
    hoje hola hora horario horarios horas hour hours how hoy i if im in is it its just \
    kitten la las last le let lets like lo los love make manana manha marcacao marcacoes \
    marcar mascota mascotas may maybe me media meia menos mesma mesmo meu meus mi might \
    min mine minha minhas minutes mis misma mismo miss morning mr mrs ms much my na nao \
    nas necesito need new next night no noche noches noite noon nos not o obrigada \
    obrigado of oi ok okay ola on one or os other otra otro ou our outra outro para \
    pasado past pedir pela perra perrita perrito perro perros person pet pets please pls \
    pm pode podia podria por possible posso pra preciso price pro prof professor \
    professora proxima proximo puede puedo puppy quarter quarto que queria quero quiere \
    quiero quisiera reserva reservar reserve sacar salao salon same schedule se see \
    semana semanas senhor senhora senor senora service services servicio servicios \
    servico servicos seu shall should siguiente sim slot so sobre some someone something \
    soon spa sr sra still studio su sua sus tarde tardes tem thank thanks that the their \
    them then there these thing this those tiene tienen time times to today tomorrow \
    tonight tu tudo turno um uma umas un una uno unos uns until up us vem vez visit \
    wanna want was we week weekend weeks what when where which who will with would y ya \
    yes yo you your";

/// Kinds of service, each a group of words (stems after accent folding) that mean the same
/// thing to a customer, in English, Spanish and Portuguese, nouns and the verbs people use
/// for them. A message word in a group matches a catalog word in the same group.
pub(super) const KINDS: &[&str] = &[
    // Hair cutting.
    "haircut cut cuts trim trimmed corte cortes cortar cortarme cortarse pelo cabello \
     cabelo hair recortar aparar cortarle",
    // Beards and shaving.
    "beard barba shave shaving afeitar afeitado afeitarme barbear barbeado rasurado \
     navalha navaja",
    // Colouring.
    "colour color coloring colouring dye tint tinte tintura coloracion coloracao pintar \
     highlights mechas luzes reflejos balayage retoque tenir tenirse tenido tinturar",
    // Hands and nails.
    "manicure manicura nails nail unas unhas esmalte esmaltado verniz hand hands mano \
     manos mao maos cuticle cuticula cutilagem",
    // Feet.
    "pedicure pedicura feet foot pies pes pe pie toes toenails",
    // Massage.
    "massage massages massagem massagens masaje masajes massagista masajista massaging",
    // Physiotherapy.
    "physio physiotherapy physiotherapist physical fisioterapia fisio fisioterapeuta \
     kinesiologia rehab rehabilitation reabilitacao rehabilitacion",
    // Cleaning teeth.
    "cleaning clean limpieza limpeza limpar limpiar hygiene hygienist higiene scale \
     polish profilaxia destartarizacao sarro tartaro tartar",
    // Teeth and dentists.
    "teeth tooth dental dentist dentista dientes diente dentes dente odontologia muelas \
     muela",
    // Whitening.
    "whitening whiten white blanqueamiento blanquear clareamento clarear branqueamento \
     branquear",
    // Check-ups.
    "checkup check test revision revisao exam examen exame control chequeo rotina",
    // Pulling a tooth.
    "extraction extract pull extraccion extracao arrancar tirar",
    // Braces.
    "braces brackets orthodontics orthodontic orthodontist ortodoncia ortodoncista \
     ortodontia ortodontista aparelho invisalign aligners",
    // Fillings.
    "filling cavity caries empaste obturacao restauracao obturacion",
    // Faces.
    "facial face cara rosto skincare cutis pele piel",
    // Waxing.
    "wax waxing depilacion depilacao depilar cera",
    // Brows.
    "eyebrow eyebrows brow brows cejas ceja sobrancelha sobrancelhas",
    // Lashes.
    "lash lashes eyelash eyelashes pestanas cilios extensiones",
    // Lessons.
    "tutoring tutor lesson lessons class classes clase clases aula aulas explicacao \
     explicacoes explicaciones reforco teach teaching study estudar estudiar homework \
     deberes",
    // Mathematics.
    "math maths mathematics matematicas matematica mat algebra calculus",
    // Languages taught.
    "english ingles",
    "spanish espanol castellano espanhol",
    "portuguese portugues",
    // Music.
    "piano teclado",
    "guitar guitarra violao",
    // Assessments and first visits.
    "assessment evaluation evaluacion avaliacao initial inicial diagnosis diagnostico \
     valoracion",
    // Follow-ups.
    "followup follow seguimiento retorno acompanhamento review",
    // Therapy and counselling.
    "therapy terapia counselling counseling psychology psicologia psychologist \
     psicologo psicologa therapist terapeuta",
    // Acupuncture.
    "acupuncture acupuntura needles agujas agulhas",
    // Nutrition.
    "nutrition nutricion nutricao diet dieta nutritionist nutricionista dietitian",
    // Exercise classes.
    "pilates",
    "yoga",
    "training trainer entrenamiento entrenador treino treinador workout",
    // Sport.
    "sports sport deportivo deportiva desportivo desportiva esportivo esportiva deporte \
     esporte desporto",
    // Trying something first.
    "trial try experimental experimentar prueba probar teste testar taster",
    // Relaxing.
    "relaxing relax relaxation relajante relajacion relaxante relaxar",
    // Deep tissue.
    "deep profundo profunda",
    // Hot stones.
    "stone stones piedras pedras pedra piedra",
    // Scrubs.
    "scrub exfoliation exfoliacion esfoliacao exfoliante esfoliante",
    // Washing and styling hair.
    "blowdry blow styling style brushing escova secado peinado peinar penteado wash \
     lavado lavagem",
    // Children.
    "kids kid child children junior nino nina ninos infantil crianca criancas menino \
     menina boy girl daughter hijo hija filho filha toddler son",
    // Tattoos and piercing.
    "tattoo tattoos tatuaje tatuagem tatuar",
    "piercing piercings perforacion furo",
    // Animals.
    "vaccine vaccination vaccinate jab vacuna vacunar vacunacion vacina vacinar vacinacao",
    "grooming groom bath bano banho tosa tosquia bathe bathing banar banhar",
    // Eyes.
    "eye eyes vision ojos olhos vista optometry optometria",
    // Legal and money advice.
    "tax taxes impuestos impostos irs renta declaracion declaracao",
    "legal lawyer abogado advogado juridico juridica law",
];

/// Short or familiar forms of first names, each with the names it stands for.
pub(super) const NICKNAMES: &[(&str, &str)] = &[
    ("bob", "robert roberto"),
    ("bobby", "robert"),
    ("rob", "robert roberto"),
    ("bill", "william"),
    ("billy", "william"),
    ("liz", "elizabeth"),
    ("beth", "elizabeth bethany"),
    ("kate", "katherine catherine kathryn"),
    ("katie", "katherine catherine"),
    ("jim", "james"),
    ("jimmy", "james"),
    ("mike", "michael miguel"),
    ("tony", "anthony antonio antonia"),
    ("toni", "antonio antonia"),
    ("ze", "jose"),
    ("pepe", "jose"),
    ("paco", "francisco"),
    ("pancho", "francisco"),
    ("chico", "francisco"),
    ("kiko", "francisco enrique"),
    ("quique", "enrique"),
    ("nacho", "ignacio"),
    ("lola", "dolores"),
    ("lupe", "guadalupe"),
    ("manu", "manuel manuela emmanuel"),
    ("dudu", "eduardo"),
    ("duda", "eduarda"),
    ("nando", "fernando"),
    ("bia", "beatriz"),
    ("gui", "guilherme"),
    ("gabi", "gabriela gabriel"),
    ("rafa", "rafael rafaela"),
    ("dani", "daniel daniela"),
    ("alex", "alexander alexandre alejandro alexandra alessandro"),
    ("sandy", "sandra alexandra"),
    ("nick", "nicholas nicolas"),
    ("tom", "thomas tomas"),
    ("tommy", "thomas"),
    ("sam", "samuel samantha"),
    ("ben", "benjamin"),
    ("dave", "david"),
    (
        "chris",
        "christopher christine christina cristina cristiano",
    ),
    ("cris", "cristina cristiano cristian"),
    ("fer", "fernando fernanda"),
    ("juanjo", "juan"),
    ("lu", "luisa luciana lucia"),
    ("carol", "carolina caroline"),
    ("nati", "natalia"),
    ("vivi", "viviane viviana"),
    ("tati", "tatiana"),
    ("leo", "leonardo leonel leandro"),
    ("max", "maximilian maximiliano maxwell"),
    ("matt", "matthew"),
    ("andy", "andrew andres"),
    ("pat", "patricia patrick"),
    ("jess", "jessica"),
    ("jen", "jennifer"),
    ("jenny", "jennifer"),
    ("meg", "margaret megan"),
    ("maggie", "margaret"),
    ("rick", "richard ricardo"),
    ("ricky", "richard ricardo"),
    ("pati", "patricia"),
    ("cat", "catarina catalina caterina catherine"),
    ("ray", "raymond raimundo rayane"),
    ("val", "valentina valeria valerie valerio"),
    ("vale", "valentina valeria"),
    ("sofi", "sofia"),
    ("paty", "patricia"),
    ("patty", "patricia"),
    ("cata", "catarina catalina"),
    ("tere", "teresa"),
    ("guto", "gustavo augusto"),
    ("ju", "juliana julia"),
    // The same name across languages.
    ("antonio", "anthony"),
    ("anthony", "antonio"),
    ("jose", "joseph"),
    ("joseph", "jose"),
    ("juan", "john joao"),
    ("john", "juan joao"),
    ("joao", "john juan"),
    ("pedro", "peter"),
    ("peter", "pedro"),
    ("miguel", "michael"),
    ("michael", "miguel"),
    ("guillermo", "william guilherme"),
    ("jorge", "george"),
    ("george", "jorge"),
    ("carlos", "charles"),
    ("luis", "louis luiz"),
    ("luiz", "luis"),
    ("enrique", "henry henrique"),
    ("henrique", "enrique henry"),
    ("alejandro", "alexander alexandre"),
    ("pablo", "paul paulo"),
    ("paulo", "paul pablo"),
    ("jaime", "james"),
];

/// The stopwords, for binary search: every word of every message is looked up.
static STOPWORD_SET: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| STOPWORDS.split_whitespace().collect());

/// Every kind word with a kind it belongs to, sorted by word.
static KIND_MAP: LazyLock<Vec<(&'static str, u16)>> = LazyLock::new(|| {
    let map: Vec<(&str, u16)> = KINDS
        .iter()
        .enumerate()
        .flat_map(|(i, group)| {
            let kind = u16::try_from(i).unwrap_or(u16::MAX);
            group.split_whitespace().map(move |w| (w, kind))
        })
        .collect();
    // Sorted by hand: a sort routine for this one table would weigh more in the worker's
    // bundle than the insertions cost once per isolate.
    let mut sorted: Vec<(&str, u16)> = Vec::with_capacity(map.len());
    for entry in map {
        let at = sorted.partition_point(|e| *e < entry);
        if sorted.get(at) != Some(&entry) {
            sorted.insert(at, entry);
        }
    }
    sorted
});

/// Whether `word` carries no meaning for matching a service or a person.
pub(super) fn is_stopword(word: &str) -> bool {
    STOPWORD_SET.binary_search(&word).is_ok()
}

/// Words that say what sort of thing is booked, not which: "class" in a yoga studio,
/// "lesson" at a tutor's. They name a service only when nothing else in the message does
/// and exactly one service's name has them.
pub(super) const GENERIC: &[&str] = &[
    "class",
    "classes",
    "clase",
    "clases",
    "lesson",
    "lessons",
    "aula",
    "aulas",
    "session",
    "sessions",
    "consultation",
    "consultations",
    "consult",
    "consulta",
    "consultas",
    "treatment",
    "treatments",
    "tratamiento",
    "tratamento",
    "sesion",
    "sesiones",
    "sessao",
    "sessoes",
];

/// The kinds (indices into [`KINDS`]) a word belongs to.
pub(super) fn kinds_of(word: &str) -> impl Iterator<Item = u16> + '_ {
    let map = &*KIND_MAP;
    let start = map.partition_point(|(w, _)| *w < word);
    map[start..]
        .iter()
        .take_while(move |(w, _)| *w == word)
        .map(|(_, k)| *k)
}

/// The kinds of a word or of its stem, without repeats.
pub(super) fn kinds_with_stem(word: &str, stem: &str) -> Vec<u16> {
    let mut ks: Vec<u16> = Vec::new();
    for k in kinds_of(word).chain(kinds_of(stem)) {
        if !ks.contains(&k) {
            ks.push(k);
        }
    }
    ks
}

/// The full names a nickname stands for.
pub(super) fn nickname_of(word: &str) -> impl Iterator<Item = &'static str> + Clone {
    NICKNAMES
        .iter()
        .find(|(nick, _)| *nick == word)
        .map_or("", |(_, names)| names)
        .split_whitespace()
}

/// A word reduced to the part plurals and gender do not change: "masajes" and "masaje",
/// "unhas" and "unha", "massagens" and "massagem", "sessões" and "sessão" read the same.
pub(super) fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    // Spanish and Portuguese verbs carry their object: "cortarme", "afeitarse", "blanquearle".
    for clitic in [
        "arme", "erme", "irme", "arse", "erse", "irse", "arle", "erle", "arte",
    ] {
        if w.len() > 6 && w.ends_with(clitic) {
            w.truncate(w.len() - 2);
            return w;
        }
    }
    if w.len() > 4 && w.ends_with("oes") {
        w.truncate(w.len() - 3);
        w.push_str("ao");
    } else if w.len() > 4 && w.ends_with("ns") {
        w.truncate(w.len() - 2);
        w.push('m');
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w.pop();
    }
    if w.len() > 4 && w.ends_with(['a', 'e', 'o']) {
        w.pop();
    }
    w
}

/// Endings that make a noun of a verb or a verb of a noun, longest first.
const DERIVATIONS: &[&str] = &[
    "amientos", "imientos", "amiento", "imiento", "amentos", "imentos", "amento", "imento",
    "aciones", "iciones", "acoes", "icoes", "acion", "icion", "acao", "icao", "ation", "ments",
    "ment", "ated", "ating", "ando", "endo", "indo", "ate", "ura", "eza", "ing", "ar", "er", "ir",
    "ed", "al", "a", "e", "o",
];

/// The root a verb and its noun share: "vacunar" and "vacunación", "limpar" and
/// "limpeza", "whiten" and "whitening". Only roots of four letters or more are kept, so
/// short words are compared whole.
pub(super) fn root(word: &str) -> &str {
    let w = word
        .strip_suffix('s')
        .filter(|w| w.len() > 4)
        .unwrap_or(word);
    for ending in DERIVATIONS {
        if let Some(r) = w.strip_suffix(ending)
            && r.len() >= 4
        {
            return r;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_genders_share_a_stem() {
        for (a, b) in [
            ("masajes", "masaje"),
            ("unhas", "unha"),
            ("massagens", "massagem"),
            ("sessoes", "sessao"),
            ("nails", "nail"),
            ("limpezas", "limpeza"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        assert_ne!(stem("pilates"), stem("pila"));
    }

    #[test]
    fn a_verb_and_its_noun_share_a_root() {
        for (a, b) in [
            ("vacunar", "vacunacion"),
            ("esterilizar", "esterilizacion"),
            ("limpar", "limpeza"),
            ("blanquear", "blanqueamiento"),
            ("whiten", "whitening"),
            ("pintar", "pintura"),
        ] {
            assert_eq!(root(a), root(b), "{a} / {b}");
        }
        assert_ne!(root("pie"), root("piel"));
    }

    #[test]
    fn stopwords_are_kept_in_order_for_binary_search() {
        let words: Vec<&str> = STOPWORDS.split_whitespace().collect();
        assert!(words.windows(2).all(|w| w[0] < w[1]), "sort STOPWORDS");
        assert!(is_stopword("the") && is_stopword("por") && !is_stopword("massage"));
    }

    #[test]
    fn no_word_is_both_filler_and_a_kind_of_service() {
        for group in KINDS {
            for w in group.split_whitespace() {
                assert!(!is_stopword(w), "{w} is in a kind and a stopword");
            }
        }
    }
}
