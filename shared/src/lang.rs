//! The languages Slotline speaks, with their codes and names.
//!
//! Its own module because the catalog (a tenant's languages), the parser (the language a
//! text is in) and the texts all need it, and none of them should need each other for it.

use serde::{Deserialize, Serialize};

/// A language Slotline speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// Spanish.
    Es,
    /// Portuguese as written in Portugal (and Africa).
    Pt,
    /// Brazilian Portuguese.
    #[serde(rename = "pt-BR", alias = "pt-br", alias = "pt_BR")]
    PtBr,
}

impl Lang {
    /// Every language, in menu order.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Es, Lang::Pt, Lang::PtBr];

    /// BCP 47 code: ISO 639-1, with the region where the variant matters (`pt-BR`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::PtBr => "pt-BR",
        }
    }

    /// The language's name in itself.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Pt => "Português",
            Lang::PtBr => "Português (Brasil)",
        }
    }

    /// The language with this code, in any case and with `-` or `_` (`pt-BR`, `pt_br`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.replace('_', "-");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(&code))
    }

    /// Whether this is one of the Portuguese variants.
    pub fn is_portuguese(self) -> bool {
        matches!(self, Lang::Pt | Lang::PtBr)
    }

    /// The variant of `lang` a business offering `offered` speaks to the customer with
    /// this number: Portuguese written by a Brazilian number (+55) is Brazilian Portuguese
    /// where the business offers it, and European Portuguese the other way round; other
    /// languages are themselves. `None` when the business offers no variant of it.
    pub fn offered_variant(lang: Lang, offered: &[Lang], e164: &str) -> Option<Lang> {
        if !lang.is_portuguese() {
            return offered.contains(&lang).then_some(lang);
        }
        let preferred = if e164.starts_with("+55") {
            [Lang::PtBr, Lang::Pt]
        } else {
            [Lang::Pt, Lang::PtBr]
        };
        preferred.into_iter().find(|l| offered.contains(l))
    }
}

impl Lang {
    /// The language a business speaks to a customer whose own is not known yet: the first
    /// of the business's languages, English if it lists none.
    pub fn default_of(languages: &[Lang]) -> Lang {
        languages.first().copied().unwrap_or(Lang::En)
    }

    /// The language for a customer not heard from yet: Brazilian Portuguese for a +55
    /// number where the business offers it, otherwise the business's default.
    pub fn default_for(languages: &[Lang], e164: &str) -> Lang {
        if e164.starts_with("+55") && languages.contains(&Lang::PtBr) {
            return Lang::PtBr;
        }
        Lang::default_of(languages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_the_brazilian_variant_reads_in_any_spelling() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        for code in ["pt-BR", "pt-br", "pt_BR", "PT-br"] {
            assert_eq!(Lang::from_code(code), Some(Lang::PtBr), "{code}");
        }
        assert_eq!(serde_json::to_string(&Lang::PtBr).unwrap(), "\"pt-BR\"");
        assert_eq!(
            serde_json::from_str::<Lang>("\"pt-br\"").unwrap(),
            Lang::PtBr
        );
        assert_eq!(Lang::from_code("pt-PT"), None);
    }

    #[test]
    fn a_brazilian_number_gets_brazilian_portuguese_where_it_is_offered() {
        let both = [Lang::En, Lang::Pt, Lang::PtBr];
        assert_eq!(
            Lang::offered_variant(Lang::Pt, &both, "+5511987654321"),
            Some(Lang::PtBr)
        );
        assert_eq!(
            Lang::offered_variant(Lang::Pt, &both, "+351912345678"),
            Some(Lang::Pt)
        );
        assert_eq!(
            Lang::offered_variant(Lang::Pt, &[Lang::PtBr], "+351912345678"),
            Some(Lang::PtBr)
        );
        assert_eq!(
            Lang::offered_variant(Lang::Pt, &[Lang::En], "+5511987654321"),
            None
        );
        assert_eq!(Lang::default_for(&both, "+5511987654321"), Lang::PtBr);
        assert_eq!(Lang::default_for(&both, "+14155550100"), Lang::En);
    }
}
