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
    /// Portuguese.
    Pt,
}

impl Lang {
    /// Every language, in menu order.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Es, Lang::Pt];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Pt => "pt",
        }
    }

    /// The language's name in itself.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
            Lang::Pt => "Português",
        }
    }

    /// The language with this ISO 639-1 code.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
}

impl Lang {
    /// The language a business speaks to a customer whose own is not known yet: the first
    /// of the business's languages, English if it lists none.
    pub fn default_of(languages: &[Lang]) -> Lang {
        languages.first().copied().unwrap_or(Lang::En)
    }
}
