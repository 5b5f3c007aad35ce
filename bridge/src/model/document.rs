//! Receipts and credit notes: what a business hands a customer for money that moved.
//!
//! A [`Document`] is frozen when issued: the business's legal details, the line, the tax and
//! the language are copied into it, so a receipt downloaded next year reads as it did the
//! day it was paid, whatever the business changed since. The store numbers each kind per
//! tenant without gaps (the number is taken in the transaction that keeps the document).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use slotline_shared::catalog::{Money, TenantId};
use slotline_shared::i18n::Lang;

use super::{FieldErrors, problem};

/// Who issues a business's receipts, as the law wants them named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billing {
    /// The registered name ("Bella Cabeleireiros, Lda.").
    pub legal_name: String,
    /// The registered address, lines separated by newlines.
    pub address: String,
    /// The tax id (VAT number, NIF, CNPJ…), if the business has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_id: Option<String>,
    /// The tax included in its prices, in hundredths of a percent (2300 is 23 %); `None`
    /// shows no tax line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_basis_points: Option<u32>,
}

impl Billing {
    /// Adds the details' problems to `e`.
    pub fn check(&self, e: &mut FieldErrors) {
        let name = self.legal_name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            problem(e, "billing.legal_name", "1 to 120 characters");
        }
        let address = self.address.trim();
        if address.is_empty() || address.chars().count() > 300 || address.lines().count() > 5 {
            problem(
                e,
                "billing.address",
                "1 to 300 characters on at most 5 lines",
            );
        }
        if self
            .tax_id
            .as_deref()
            .is_some_and(|t| t.trim().is_empty() || t.chars().count() > 40)
        {
            problem(e, "billing.tax_id", "1 to 40 characters");
        }
        if self.tax_basis_points.is_some_and(|b| b > 5000) {
            problem(
                e,
                "billing.tax_basis_points",
                "at most 5000 (50 %), in hundredths of a percent",
            );
        }
    }
}

/// What a document records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Money received (a deposit paid).
    Receipt,
    /// Money given back (a refund), correcting a receipt.
    CreditNote,
}

impl DocumentKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Receipt => "receipt",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    /// The kind with this stored name.
    pub fn parse(text: &str) -> Option<DocumentKind> {
        [DocumentKind::Receipt, DocumentKind::CreditNote]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// The series prefix of its numbers: receipts and credit notes are numbered apart, as
    /// invoicing rules ask.
    pub fn prefix(self) -> &'static str {
        match self {
            DocumentKind::Receipt => "R",
            DocumentKind::CreditNote => "CN",
        }
    }
}

/// The tax inside an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    /// The rate, in hundredths of a percent.
    pub basis_points: u32,
    /// The tax included in the total, in minor units.
    pub minor: i64,
}

impl TaxLine {
    /// The tax included in `total_minor` at `basis_points`, rounded to the nearest minor
    /// unit (half away from zero): a price of 100 at 23 % holds 18.70, not 23.
    pub fn included(total_minor: i64, basis_points: u32) -> TaxLine {
        let (t, b) = (i128::from(total_minor), i128::from(basis_points));
        let denominator = 10_000 + b;
        let numerator = t * b;
        let half = denominator / 2;
        let minor = if numerator >= 0 {
            (numerator + half) / denominator
        } else {
            (numerator - half) / denominator
        };
        TaxLine {
            basis_points,
            minor: i64::try_from(minor).unwrap_or(i64::MAX),
        }
    }
}

/// A receipt or credit note, as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// The business.
    pub tenant: TenantId,
    /// Receipt or credit note.
    pub kind: DocumentKind,
    /// Its number in the tenant's series of its kind, from 1 without gaps; 0 until the
    /// store issues it.
    pub number: u32,
    /// What makes it unique: issuing twice with one key keeps the first (a Stripe event
    /// replayed, a refund retried).
    pub key: String,
    /// The booking's hold (reservation id).
    pub hold: String,
    /// The booking's reference.
    pub reference: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The business's zone name, for the dates printed on it.
    pub zone: String,
    /// The customer's language, which it is written in.
    pub lang: Lang,
    /// The business's trading name.
    pub business: String,
    /// Its legal details, when the business gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
    /// The customer's WhatsApp number.
    pub customer: String,
    /// The line: the service, who and when, on the business's wall clock.
    pub description: String,
    /// The amount received or given back (positive either way).
    pub amount: Money,
    /// The tax inside it, when the business set a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<TaxLine>,
    /// Stripe's reference for the money: the PaymentIntent (`pi_…`) of a receipt, the
    /// refund (`re_…`) of a credit note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// The receipt a credit note corrects (its number, as printed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

impl Document {
    /// Its number as printed and as its file is named: `R-000042`, `CN-000003`.
    pub fn code(&self) -> String {
        code(self.kind, self.number)
    }
}

/// The printed number of document `number` of `kind`.
pub fn code(kind: DocumentKind, number: u32) -> String {
    format!("{}-{number:06}", kind.prefix())
}

/// The kind and number a printed code names (`R-000042`), if it names one.
pub fn parse_code(code: &str) -> Option<(DocumentKind, u32)> {
    let (prefix, digits) = code.split_once('-')?;
    let kind = [DocumentKind::Receipt, DocumentKind::CreditNote]
        .into_iter()
        .find(|k| k.prefix() == prefix)?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = digits.parse().ok()?;
    (number > 0).then_some((kind, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn included_tax_is_the_share_of_the_gross_price() {
        assert_eq!(TaxLine::included(10_000, 2300).minor, 1870);
        assert_eq!(TaxLine::included(1_500, 2100).minor, 260);
        assert_eq!(TaxLine::included(2_000, 0).minor, 0);
        assert_eq!(TaxLine::included(1, 2300).minor, 0);
    }

    #[test]
    fn a_code_names_its_kind_and_number_and_nothing_else_parses() {
        assert_eq!(code(DocumentKind::Receipt, 42), "R-000042");
        assert_eq!(parse_code("CN-000003"), Some((DocumentKind::CreditNote, 3)));
        assert_eq!(
            parse_code("R-1234567"),
            Some((DocumentKind::Receipt, 1_234_567))
        );
        for bad in ["R-000000", "X-000001", "R-12", "R-00001a", "R000001", ""] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }
}
