//! Starting catalogs: the services a new business of each kind usually offers, in every
//! language the bot speaks, for the owner to edit rather than type from nothing.
//!
//! Prices are typical amounts in the business's currency (for a few currencies whose
//! amounts run far larger than the euro's, scaled); the owner is expected to change them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use slotline_shared::catalog::ServiceId;
use slotline_shared::lang::Lang;

use slotline_shared::catalog::ServiceText;

use super::ServiceRecord;

/// What kind of business it is: it picks the starting services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusinessKind {
    /// Hair and beauty salon.
    Salon,
    /// Barber shop.
    Barber,
    /// Health clinic (general, physiotherapy, dental).
    Clinic,
    /// Consultant, coach or advisor (meetings by the hour).
    Consultant,
    /// Personal trainer or small studio.
    Fitness,
    /// Anything else: no starting services.
    Other,
}

impl BusinessKind {
    /// Every kind, in the order the dashboard offers them.
    pub const ALL: [BusinessKind; 6] = [
        Self::Salon,
        Self::Barber,
        Self::Clinic,
        Self::Consultant,
        Self::Fitness,
        Self::Other,
    ];
}

/// One starting service: its id, minutes, price (in major units of a euro-like currency),
/// deposit percent, buffer after, and its name and description in en, es and pt.
struct Draft {
    id: &'static str,
    minutes: u32,
    price: i64,
    deposit_percent: Option<u32>,
    buffer_after: u32,
    text: [(&'static str, &'static str); 3],
}

const fn d(
    id: &'static str,
    minutes: u32,
    price: i64,
    deposit_percent: Option<u32>,
    buffer_after: u32,
    text: [(&'static str, &'static str); 3],
) -> Draft {
    Draft {
        id,
        minutes,
        price,
        deposit_percent,
        buffer_after,
        text,
    }
}

const SALON: &[Draft] = &[
    d(
        "haircut",
        45,
        30,
        None,
        10,
        [
            ("Haircut", "Wash, cut and style"),
            ("Corte de pelo", "Lavado, corte y peinado"),
            ("Corte de cabelo", "Lavagem, corte e penteado"),
        ],
    ),
    d(
        "colour",
        90,
        65,
        Some(20),
        15,
        [
            ("Colour", "All-over colour with a blow-dry"),
            ("Coloración", "Color completo con secado"),
            ("Coloração", "Cor completa com brushing"),
        ],
    ),
    d(
        "blow-dry",
        30,
        20,
        None,
        5,
        [
            ("Blow-dry", "Wash and blow-dry"),
            ("Peinado", "Lavado y secado"),
            ("Brushing", "Lavagem e brushing"),
        ],
    ),
    d(
        "manicure",
        40,
        25,
        None,
        5,
        [
            ("Manicure", "Shape, cuticles and polish"),
            ("Manicura", "Forma, cutículas y esmalte"),
            ("Manicure", "Forma, cutículas e verniz"),
        ],
    ),
];

const BARBER: &[Draft] = &[
    d(
        "haircut",
        30,
        18,
        None,
        5,
        [
            ("Haircut", "Clipper and scissor cut"),
            ("Corte de pelo", "Corte a máquina y tijera"),
            ("Corte de cabelo", "Corte à máquina e tesoura"),
        ],
    ),
    d(
        "beard-trim",
        20,
        12,
        None,
        5,
        [
            ("Beard trim", "Shape and line-up"),
            ("Arreglo de barba", "Perfilado y contorno"),
            ("Aparar a barba", "Forma e contorno"),
        ],
    ),
    d(
        "cut-and-beard",
        45,
        26,
        None,
        5,
        [
            ("Cut and beard", "Haircut with a beard trim"),
            ("Corte y barba", "Corte de pelo con arreglo de barba"),
            ("Corte e barba", "Corte de cabelo com barba"),
        ],
    ),
    d(
        "hot-towel-shave",
        30,
        20,
        None,
        5,
        [
            ("Hot towel shave", "Straight-razor shave with hot towels"),
            (
                "Afeitado con toalla caliente",
                "Afeitado a navaja con toallas calientes",
            ),
            (
                "Barbear com toalha quente",
                "Barbear à navalha com toalhas quentes",
            ),
        ],
    ),
];

const CLINIC: &[Draft] = &[
    d(
        "consultation",
        30,
        60,
        None,
        5,
        [
            (
                "Consultation",
                "A first visit: history, examination and a plan",
            ),
            ("Consulta", "Primera visita: historia, exploración y plan"),
            ("Consulta", "Primeira visita: historial, observação e plano"),
        ],
    ),
    d(
        "follow-up",
        20,
        40,
        None,
        5,
        [
            ("Follow-up visit", "A check on how the treatment goes"),
            ("Revisión", "Control de cómo va el tratamiento"),
            (
                "Consulta de seguimento",
                "Controlo de como corre o tratamento",
            ),
        ],
    ),
    d(
        "physiotherapy",
        45,
        50,
        Some(20),
        10,
        [
            ("Physiotherapy session", "Manual therapy and exercises"),
            ("Sesión de fisioterapia", "Terapia manual y ejercicios"),
            ("Sessão de fisioterapia", "Terapia manual e exercícios"),
        ],
    ),
    d(
        "cleaning",
        40,
        55,
        None,
        10,
        [
            ("Dental cleaning", "Scaling and polishing"),
            ("Limpieza dental", "Tartrectomía y pulido"),
            ("Limpeza dentária", "Destartarização e polimento"),
        ],
    ),
];

const CONSULTANT: &[Draft] = &[
    d(
        "intro-call",
        20,
        0,
        None,
        10,
        [
            ("Introductory call", "A free first conversation"),
            (
                "Llamada de presentación",
                "Una primera conversación gratuita",
            ),
            ("Chamada de apresentação", "Uma primeira conversa gratuita"),
        ],
    ),
    d(
        "session",
        60,
        120,
        Some(50),
        15,
        [
            ("One-hour session", "Working through your question together"),
            ("Sesión de una hora", "Trabajamos juntos tu pregunta"),
            ("Sessão de uma hora", "Trabalhamos juntos a sua questão"),
        ],
    ),
    d(
        "workshop",
        180,
        400,
        Some(50),
        30,
        [
            ("Half-day workshop", "A morning or afternoon for your team"),
            (
                "Taller de media jornada",
                "Una mañana o una tarde para tu equipo",
            ),
            (
                "Workshop de meio dia",
                "Uma manhã ou tarde para a sua equipa",
            ),
        ],
    ),
];

const FITNESS: &[Draft] = &[
    d(
        "personal-training",
        60,
        45,
        None,
        15,
        [
            ("Personal training", "One to one, planned around your goals"),
            ("Entrenamiento personal", "Individual, según tus objetivos"),
            (
                "Treino personalizado",
                "Individual, à medida dos seus objetivos",
            ),
        ],
    ),
    d(
        "trial-session",
        45,
        0,
        None,
        15,
        [
            ("Trial session", "A free first session and assessment"),
            ("Sesión de prueba", "Primera sesión y evaluación gratuitas"),
            (
                "Sessão experimental",
                "Primeira sessão e avaliação gratuitas",
            ),
        ],
    ),
    d(
        "pilates",
        50,
        30,
        None,
        10,
        [
            ("Pilates", "Mat or reformer, small group"),
            ("Pilates", "Suelo o reformer, grupo reducido"),
            ("Pilates", "Solo ou reformer, grupo pequeno"),
        ],
    ),
];

/// How many of a currency's units a euro-priced template amount becomes, and how many
/// minor units it has. `None`: no template prices in that currency.
fn scale(currency: &str) -> Option<(i64, i64)> {
    Some(match currency {
        "EUR" | "USD" | "GBP" | "CHF" | "CAD" | "AUD" | "NZD" => (1, 100),
        "BRL" | "PEN" => (5, 100),
        "MXN" => (20, 100),
        "ARS" => (1_000, 100),
        "COP" => (4_000, 100),
        "CLP" => (900, 1),
        _ => return None,
    })
}

/// The currencies templates have prices in.
pub const TEMPLATE_CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "BRL", "PEN", "MXN", "ARS", "COP", "CLP",
];

fn slot(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::Es => 1,
        Lang::Pt | Lang::PtBr => 2,
    }
}

/// The starting services for a business of `kind`, named in `languages` (the first is the
/// business's main language, the others go in as translations), priced in `currency`;
/// `None` when there are no template prices in that currency.
pub fn service_templates(
    kind: BusinessKind,
    languages: &[Lang],
    currency: &str,
) -> Option<Vec<ServiceRecord>> {
    let (factor, minor) = scale(currency)?;
    let drafts = match kind {
        BusinessKind::Salon => SALON,
        BusinessKind::Barber => BARBER,
        BusinessKind::Clinic => CLINIC,
        BusinessKind::Consultant => CONSULTANT,
        BusinessKind::Fitness => FITNESS,
        BusinessKind::Other => &[],
    };
    let main = languages.first().copied().unwrap_or(Lang::En);
    Some(
        drafts
            .iter()
            .map(|draft| {
                let (name, description) = draft.text[slot(main)];
                let translations: BTreeMap<Lang, ServiceText> = languages
                    .iter()
                    .skip(1)
                    .filter(|l| slot(**l) != slot(main))
                    .map(|l| {
                        let (name, description) = draft.text[slot(*l)];
                        (
                            *l,
                            ServiceText {
                                name: name.to_owned(),
                                description: description.to_owned(),
                            },
                        )
                    })
                    .collect();
                ServiceRecord {
                    id: ServiceId(draft.id.to_owned()),
                    name: name.to_owned(),
                    description: description.to_owned(),
                    duration_min: draft.minutes,
                    price_minor: draft.price * factor * minor,
                    currency: currency.to_owned(),
                    deposit_minor: None,
                    deposit_percent: draft.deposit_percent,
                    buffer_before_min: 0,
                    buffer_after_min: draft.buffer_after,
                    image_url: None,
                    aliases: Vec::new(),
                    translations,
                    active: true,
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Validate;

    #[test]
    fn every_kind_starts_with_valid_services_in_every_language_and_currency() {
        for kind in BusinessKind::ALL {
            for langs in [
                vec![Lang::En],
                vec![Lang::Es, Lang::En],
                vec![Lang::PtBr, Lang::Es],
            ] {
                for currency in TEMPLATE_CURRENCIES {
                    let services = service_templates(kind, &langs, currency).unwrap();
                    assert_eq!(services.is_empty(), kind == BusinessKind::Other, "{kind:?}");
                    for s in &services {
                        assert!(
                            s.problems().is_empty(),
                            "{kind:?} {}: {:?}",
                            s.id,
                            s.problems()
                        );
                        assert_eq!(s.translations.len(), langs.len() - 1);
                    }
                }
            }
        }
    }

    #[test]
    fn templates_speak_the_business_language_and_price_in_its_currency() {
        let pt = service_templates(BusinessKind::Barber, &[Lang::PtBr, Lang::En], "BRL").unwrap();
        assert_eq!(pt[1].name, "Aparar a barba");
        assert_eq!(pt[1].translations[&Lang::En].name, "Beard trim");
        assert_eq!((pt[1].price_minor, pt[1].currency.as_str()), (6_000, "BRL"));
        let clp = service_templates(BusinessKind::Salon, &[Lang::Es], "CLP").unwrap();
        assert_eq!(
            (clp[0].name.as_str(), clp[0].price_minor),
            ("Corte de pelo", 27_000)
        );
        assert!(service_templates(BusinessKind::Salon, &[Lang::En], "XYZ").is_none());
    }
}
