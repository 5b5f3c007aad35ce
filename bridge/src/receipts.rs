//! Receipts and credit notes as PDF files, and the signed links Twilio fetches them by.
//!
//! A document is drawn from its frozen record ([`Document`]) each time it is asked for, so
//! nothing but the record is kept and every copy of it is the same. The page is A4 in
//! Helvetica, one of PDF's standard fonts: nothing is embedded and the file stays a few
//! kilobytes. Those fonts carry Latin text (WinAnsi), which covers the languages the
//! conversation speaks; a character outside it prints as `?`.
//!
//! Twilio fetches a WhatsApp message's media from a public URL. The bridge serves each
//! document at `/documents/{tenant}/{code}.pdf` behind a signature that expires
//! ([`LinkSigner`]): a link in a message cannot be edited into someone else's receipt, and
//! a link that leaks stops working.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use hmac::{Hmac, Mac};
use printpdf::{
    BuiltinFont, Color, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem,
};
use sha2::Sha256;
use slotline_shared::catalog::{Money, TenantId};
use slotline_shared::i18n::Lang;

use crate::model::{Document, DocumentKind};

/// The words printed on a document, in one language.
struct Labels {
    receipt: &'static str,
    credit_note: &'static str,
    number: &'static str,
    date: &'static str,
    customer: &'static str,
    booking: &'static str,
    description: &'static str,
    amount: &'static str,
    total: &'static str,
    tax_included: &'static str,
    tax_id: &'static str,
    paid: &'static str,
    refunded: &'static str,
    payment_reference: &'static str,
    refund_reference: &'static str,
    corrects: &'static str,
    deposit: &'static str,
}

fn labels(lang: Lang) -> Labels {
    match lang {
        Lang::En => Labels {
            receipt: "Receipt",
            credit_note: "Credit note",
            number: "No.",
            date: "Date",
            customer: "Customer",
            booking: "Booking",
            description: "Description",
            amount: "Amount",
            total: "Total",
            tax_included: "of which tax",
            tax_id: "Tax id",
            paid: "Paid by card through Stripe.",
            refunded: "Refunded to the card it was paid with, through Stripe.",
            payment_reference: "Payment reference",
            refund_reference: "Refund reference",
            corrects: "Corrects receipt",
            deposit: "Deposit",
        },
        Lang::Es => Labels {
            receipt: "Recibo",
            credit_note: "Nota de abono",
            number: "N.º",
            date: "Fecha",
            customer: "Cliente",
            booking: "Reserva",
            description: "Concepto",
            amount: "Importe",
            total: "Total",
            tax_included: "de los cuales IVA",
            tax_id: "NIF",
            paid: "Pagado con tarjeta a través de Stripe.",
            refunded: "Devuelto a la tarjeta con la que se pagó, a través de Stripe.",
            payment_reference: "Referencia del pago",
            refund_reference: "Referencia del reembolso",
            corrects: "Rectifica el recibo",
            deposit: "Depósito",
        },
        Lang::Pt => Labels {
            receipt: "Recibo",
            credit_note: "Nota de crédito",
            number: "N.º",
            date: "Data",
            customer: "Cliente",
            booking: "Marcação",
            description: "Descrição",
            amount: "Valor",
            total: "Total",
            tax_included: "dos quais IVA",
            tax_id: "NIF",
            paid: "Pago com cartão através da Stripe.",
            refunded: "Devolvido ao cartão com que foi pago, através da Stripe.",
            payment_reference: "Referência do pagamento",
            refund_reference: "Referência do reembolso",
            corrects: "Corrige o recibo",
            deposit: "Sinal",
        },
        Lang::PtBr => Labels {
            receipt: "Recibo",
            credit_note: "Nota de crédito",
            number: "Nº",
            date: "Data",
            customer: "Cliente",
            booking: "Agendamento",
            description: "Descrição",
            amount: "Valor",
            total: "Total",
            tax_included: "dos quais impostos",
            tax_id: "CNPJ",
            paid: "Pago com cartão pela Stripe.",
            refunded: "Devolvido ao cartão usado no pagamento, pela Stripe.",
            payment_reference: "Referência do pagamento",
            refund_reference: "Referência do reembolso",
            corrects: "Corrige o recibo",
            deposit: "Sinal",
        },
    }
}

/// The title a document carries, in its language ("Receipt", "Nota de crédito").
pub fn title(kind: DocumentKind, lang: Lang) -> &'static str {
    let l = labels(lang);
    match kind {
        DocumentKind::Receipt => l.receipt,
        DocumentKind::CreditNote => l.credit_note,
    }
}

/// The line a deposit's document describes, in `lang`: "Deposit: Colour with Ana, Tuesday
/// 24 November at 3:30 pm".
pub fn deposit_line(lang: Lang, service: &str, provider: &str, when: &str) -> String {
    let with = match lang {
        Lang::En => "with",
        Lang::Es => "con",
        Lang::Pt | Lang::PtBr => "com",
    };
    format!(
        "{}: {service} {with} {provider}, {when}",
        labels(lang).deposit
    )
}

/// An amount with its cents, as a document prints it: "€1,500.00", "1.500,00 €",
/// "R$ 20,00".
pub fn amount(lang: Lang, money: &Money) -> String {
    let abs = money.minor.unsigned_abs();
    let sign = if money.minor < 0 { "-" } else { "" };
    let (thousands, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Es | Lang::Pt | Lang::PtBr => ('.', ','),
    };
    let digits = (abs / 100).to_string();
    let mut units = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            units.push(thousands);
        }
        units.push(c);
    }
    let number = format!("{units}{decimal}{:02}", abs % 100);
    match (money.currency.as_str(), lang) {
        ("BRL", _) => format!("{sign}R$ {number}"),
        ("EUR", Lang::En) => format!("{sign}€{number}"),
        ("GBP", Lang::En) => format!("{sign}£{number}"),
        ("USD", Lang::En) => format!("{sign}${number}"),
        ("EUR", _) => format!("{sign}{number} €"),
        ("GBP", _) => format!("{sign}{number} £"),
        ("USD", _) => format!("{sign}{number} $"),
        (other, _) => format!("{sign}{number} {other}"),
    }
}

/// A rate in hundredths of a percent as printed: 2300 → "23 %", 770 → "7.7 %" ("7,7 %").
fn rate(lang: Lang, basis_points: u32) -> String {
    let whole = basis_points / 100;
    let rest = basis_points % 100;
    if rest == 0 {
        return format!("{whole} %");
    }
    let decimal = if lang == Lang::En { '.' } else { ',' };
    let fraction = format!("{rest:02}");
    format!("{whole}{decimal}{} %", fraction.trim_end_matches('0'))
}

fn local_date(lang: Lang, at: DateTime<Utc>, zone: &str) -> String {
    let zone: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&zone);
    match lang {
        Lang::En => local.format("%-d %B %Y").to_string(),
        Lang::Es | Lang::Pt | Lang::PtBr => local.format("%d/%m/%Y").to_string(),
    }
}

/// Text placed on the page: the ops of one line of it.
struct Page {
    ops: Vec<Op>,
}

const LEFT: f32 = 20.0;
const AMOUNT_AT: f32 = 150.0;
const GREY: f32 = 0.35;

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(if bold {
                    BuiltinFont::HelveticaBold
                } else {
                    BuiltinFont::Helvetica
                }),
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn colour(&mut self, grey: f32) {
        self.ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: grey,
                g: grey,
                b: grey,
                icc_profile: None,
            }),
        });
    }

    fn rule(&mut self, y: f32) {
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(0.5) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(LEFT), Mm(y)),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(190.0), Mm(y)),
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }
}

/// Cuts `text` into lines of at most `width` characters at spaces (Helvetica has no
/// metrics here; a character count keeps a line inside its column well enough).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The document as a one-page PDF.
pub fn pdf(doc: &Document) -> Vec<u8> {
    let l = labels(doc.lang);
    let code = doc.code();
    let mut page = Page { ops: Vec::new() };
    let mut y = 272.0;

    // Who issues it.
    page.colour(0.0);
    // The left column ends before the title (at 130 mm): about 28 characters at
    // 18 pt, 55 at 10 pt.
    for line in wrap(&doc.business, 28) {
        page.text(LEFT, y, 18.0, true, &line);
        y -= 7.0;
    }
    page.colour(GREY);
    if let Some(b) = &doc.billing {
        let address = b.address.lines().map(str::trim).filter(|l| !l.is_empty());
        for part in std::iter::once(b.legal_name.as_str()).chain(address) {
            for line in wrap(part, 55) {
                page.text(LEFT, y, 10.0, false, &line);
                y -= 5.0;
            }
        }
        if let Some(tax_id) = &b.tax_id {
            page.text(LEFT, y, 10.0, false, &format!("{}: {tax_id}", l.tax_id));
            y -= 5.0;
        }
    }

    // What it is.
    page.colour(0.0);
    page.text(130.0, 272.0, 16.0, true, title(doc.kind, doc.lang));
    page.text(130.0, 265.0, 10.0, false, &format!("{} {code}", l.number));
    page.text(
        130.0,
        260.0,
        10.0,
        false,
        &format!(
            "{}: {}",
            l.date,
            local_date(doc.lang, doc.issued_at, &doc.zone)
        ),
    );

    y = y.min(240.0) - 6.0;
    page.text(
        LEFT,
        y,
        10.0,
        false,
        &format!("{}: {}", l.customer, doc.customer),
    );
    y -= 5.0;
    page.text(
        LEFT,
        y,
        10.0,
        false,
        &format!("{}: {}", l.booking, doc.reference),
    );
    y -= 12.0;

    // The line.
    page.text(LEFT, y, 10.0, true, l.description);
    page.text(AMOUNT_AT, y, 10.0, true, l.amount);
    y -= 2.5;
    page.rule(y);
    y -= 6.0;
    let lines = wrap(&doc.description, 70);
    page.text(AMOUNT_AT, y, 10.0, false, &amount(doc.lang, &doc.amount));
    for line in &lines {
        page.text(LEFT, y, 10.0, false, line);
        y -= 5.0;
    }
    y += 2.5;
    page.rule(y);
    y -= 7.0;
    page.text(LEFT, y, 11.0, true, l.total);
    page.text(AMOUNT_AT, y, 11.0, true, &amount(doc.lang, &doc.amount));
    if let Some(tax) = doc.tax {
        y -= 5.5;
        page.colour(GREY);
        page.text(
            LEFT,
            y,
            9.0,
            false,
            &format!("{} {}", l.tax_included, rate(doc.lang, tax.basis_points)),
        );
        page.text(
            AMOUNT_AT,
            y,
            9.0,
            false,
            &amount(doc.lang, &Money::new(tax.minor, &doc.amount.currency)),
        );
        page.colour(0.0);
    }

    // How the money moved.
    y -= 14.0;
    let (how, reference_label) = match doc.kind {
        DocumentKind::Receipt => (l.paid, l.payment_reference),
        DocumentKind::CreditNote => (l.refunded, l.refund_reference),
    };
    page.text(LEFT, y, 10.0, false, how);
    if let Some(reference) = &doc.payment_reference {
        y -= 5.0;
        page.text(
            LEFT,
            y,
            10.0,
            false,
            &format!("{reference_label}: {reference}"),
        );
    }
    if let Some(receipt) = &doc.corrects {
        y -= 5.0;
        page.text(LEFT, y, 10.0, false, &format!("{} {receipt}", l.corrects));
    }

    let title = format!("{} {code} · {}", title(doc.kind, doc.lang), doc.business);
    let mut pdf = PdfDocument::new(&title);
    pdf.metadata.info.author = doc.business.clone();
    pdf.metadata.info.creator = "Slotline".into();
    let page = PdfPage::new(Mm(210.0), Mm(297.0), page.ops);
    pdf.with_pages(vec![page])
        .save(&PdfSaveOptions::default(), &mut Vec::new())
}

/// Signs and checks the links documents are fetched by.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    /// The bridge's public base URL (no trailing slash).
    base: String,
    /// How long a link works.
    ttl: chrono::Duration,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("base", &self.base)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why a document link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// The signature does not match the link (edited, or never ours).
    Forged,
    /// The link was good and is no longer.
    Expired,
}

impl LinkSigner {
    /// Links under `base`, signed with `secret`, working for `ttl`.
    pub fn new(secret: &str, base: &str, ttl: chrono::Duration) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
            base: base.trim_end_matches('/').to_owned(),
            ttl,
        }
    }

    fn signature(&self, tenant: &TenantId, code: &str, expires: i64) -> String {
        // The key is any length: HMAC takes every one.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| {
            Hmac::<Sha256>::new_from_slice(b"slotline").expect("HMAC takes any key")
        });
        mac.update(format!("{}\n{code}\n{expires}", tenant.as_str()).as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The link to a tenant's document `code`, working from `now` for the signer's ttl.
    pub fn link(&self, tenant: &TenantId, code: &str, now: DateTime<Utc>) -> String {
        let expires = (now + self.ttl).timestamp();
        format!(
            "{}/documents/{}/{code}.pdf?expires={expires}&signature={}",
            self.base,
            tenant.as_str(),
            self.signature(tenant, code, expires)
        )
    }

    /// Whether a link's parts are ours and still good at `now`.
    pub fn check(
        &self,
        tenant: &TenantId,
        code: &str,
        expires: i64,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkError> {
        use subtle::ConstantTimeEq;
        let expected = self.signature(tenant, code, expires);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(LinkError::Forged);
        }
        if now.timestamp() > expires {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Billing, TaxLine};

    fn document(lang: Lang, kind: DocumentKind) -> Document {
        Document {
            tenant: TenantId::from("clinic-9"),
            kind,
            number: 7,
            key: "receipt:pi_1".into(),
            hold: "h1".into(),
            reference: "SL-7K3Q".into(),
            issued_at: "2026-11-30T23:30:00Z".parse().unwrap(),
            zone: "Europe/Lisbon".into(),
            lang,
            business: "Clínica Sorriso".into(),
            billing: Some(Billing {
                legal_name: "Sorriso Saúde, Lda.".into(),
                address: "Rua Augusta 100\n1100-053 Lisboa".into(),
                tax_id: Some("PT509876543".into()),
                tax_basis_points: Some(2300),
            }),
            customer: "+351912345678".into(),
            description: deposit_line(lang, "Limpeza", "Dra. Inês", "terça 1 de dezembro"),
            amount: Money::new(2_000, "EUR"),
            tax: Some(TaxLine::included(2_000, 2300)),
            payment_reference: Some("pi_3MtwBwLkdIwHu7ix28a3tqPa".into()),
            corrects: (kind == DocumentKind::CreditNote).then(|| "R-000003".to_owned()),
        }
    }

    #[test]
    fn amounts_carry_their_cents_and_the_language_s_separators() {
        assert_eq!(amount(Lang::En, &Money::new(150_000, "EUR")), "€1,500.00");
        assert_eq!(amount(Lang::Es, &Money::new(150_000, "EUR")), "1.500,00 €");
        assert_eq!(amount(Lang::PtBr, &Money::new(2_000, "BRL")), "R$ 20,00");
        assert_eq!(amount(Lang::Pt, &Money::new(374, "EUR")), "3,74 €");
        assert_eq!(rate(Lang::En, 770), "7.7 %");
        assert_eq!(rate(Lang::Pt, 2300), "23 %");
        assert_eq!(rate(Lang::Es, 1005), "10,05 %");
    }

    #[test]
    fn a_pdf_opens_and_reads_as_the_document_in_its_language() {
        let doc = document(Lang::Pt, DocumentKind::CreditNote);
        let bytes = pdf(&doc);
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let read = lopdf::Document::load_mem(&bytes).expect("a PDF lopdf can open");
        let text = read.extract_text(&[1]).expect("its text");
        for wanted in [
            "Nota de crédito",
            "CN-000007",
            "Clínica Sorriso",
            "Sorriso Saúde, Lda.",
            "NIF: PT509876543",
            "20,00 €",
            "dos quais IVA 23 %",
            "3,74 €",
            "Corrige o recibo R-000003",
            "SL-7K3Q",
            // Lisbon keeps UTC in winter: 23:30 UTC is still the 30th there.
            "30/11/2026",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from:\n{text}");
        }
    }

    #[test]
    fn a_long_name_is_wrapped_so_it_stays_clear_of_the_title() {
        let mut doc = document(Lang::En, DocumentKind::Receipt);
        doc.business = "Centro de Fisioterapia e Reabilitação Desportiva do Porto".into();
        let text = lopdf::Document::load_mem(&pdf(&doc))
            .unwrap()
            .extract_text(&[1])
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let name_lines: Vec<&str> = lines
            .iter()
            .copied()
            .take_while(|l| !l.starts_with("Sorriso"))
            .collect();
        assert!(name_lines.len() >= 2, "{text}");
        assert!(name_lines.iter().all(|l| l.chars().count() <= 28), "{text}");
        assert_eq!(name_lines.join(" "), doc.business);
    }

    #[test]
    fn a_link_works_until_it_expires_and_not_once_edited() {
        let signer = LinkSigner::new(
            "0123456789abcdef",
            "https://b.example/",
            chrono::Duration::minutes(60),
        );
        let t = TenantId::from("clinic-9");
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let link = signer.link(&t, "R-000007", now);
        assert!(link.starts_with("https://b.example/documents/clinic-9/R-000007.pdf?expires="));
        let query = link.split_once('?').unwrap().1;
        let expires: i64 = query.split('&').next().unwrap()["expires=".len()..]
            .parse()
            .unwrap();
        let sig = &query.split("signature=").nth(1).unwrap();
        assert_eq!(signer.check(&t, "R-000007", expires, sig, now), Ok(()));
        assert_eq!(
            signer.check(&t, "R-000008", expires, sig, now),
            Err(LinkError::Forged)
        );
        assert_eq!(
            signer.check(&TenantId::from("other"), "R-000007", expires, sig, now),
            Err(LinkError::Forged)
        );
        assert_eq!(
            signer.check(&t, "R-000007", expires + 3600, sig, now),
            Err(LinkError::Forged)
        );
        assert_eq!(
            signer.check(
                &t,
                "R-000007",
                expires,
                sig,
                now + chrono::Duration::minutes(61)
            ),
            Err(LinkError::Expired)
        );
    }
}
