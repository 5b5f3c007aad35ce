//! The lifecycle messages' texts and button titles, in every language.

use crate::lang::Lang;
use crate::notice::Notice;

/// The message's text in `lang`, with `{business}`, `{service}`, `{provider}`, `{when}` and
/// `{reference}` to fill.
pub fn notice_text(notice: Notice, lang: Lang) -> &'static str {
    use Lang::*;
    use Notice::*;
    match (notice, lang) {
        (Confirmation, PtBr) => {
            "{business}: seu {service} com {provider} está agendado para {when}. Código {reference}."
        }
        (DayBefore, PtBr) => {
            "Lembrete de {business}: {service} com {provider} amanhã, {when}. Você vem?"
        }
        (ShortlyBefore, PtBr) => {
            "Até daqui a pouco em {business}: {service} com {provider}, {when}."
        }
        (FollowUp, PtBr) => {
            "Obrigado pela visita a {business}! Como foi seu {service} com {provider}? Avalie de 1 a 5 estrelas."
        }
        (NoShow, PtBr) => {
            "Sentimos sua falta em {business} no {service} ({when}). Quer outro horário?"
        }
        (ReEngage, PtBr) => {
            "Faz um tempo desde sua última visita a {business}. Vamos agendar o próximo {service}?"
        }
        (Moved, PtBr) => {
            "{business} mudou seu {service} com {provider} para {when}. Código {reference}."
        }
        (CancelledByBusiness, PtBr) => {
            "{business} precisou cancelar seu {service} ({when}). Sentimos muito! Quer outro horário?"
        }
        (Confirmation, En) => {
            "{business}: your {service} with {provider} is booked for {when}. Reference {reference}."
        }
        (Confirmation, Es) => {
            "{business}: tu {service} con {provider} está reservado para el {when}. Referencia {reference}."
        }
        (Confirmation, Pt) => {
            "{business}: o seu {service} com {provider} está marcado para {when}. Referência {reference}."
        }
        (DayBefore, En) => {
            "Reminder from {business}: {service} with {provider} tomorrow, {when}. Will you come?"
        }
        (DayBefore, Es) => {
            "Recordatorio de {business}: {service} con {provider} mañana, {when}. ¿Vienes?"
        }
        (DayBefore, Pt) => "Lembrete de {business}: {service} com {provider} amanhã, {when}. Vem?",
        (ShortlyBefore, En) => "See you soon at {business}: {service} with {provider}, {when}.",
        (ShortlyBefore, Es) => {
            "Te esperamos pronto en {business}: {service} con {provider}, {when}."
        }
        (ShortlyBefore, Pt) => "Até já em {business}: {service} com {provider}, {when}.",
        (FollowUp, En) => {
            "Thank you for visiting {business}! How was your {service} with {provider}? Rate it from 1 to 5 stars."
        }
        (FollowUp, Es) => {
            "¡Gracias por visitar {business}! ¿Qué tal tu {service} con {provider}? Puntúalo de 1 a 5 estrellas."
        }
        (FollowUp, Pt) => {
            "Obrigado pela visita a {business}! Como foi o seu {service} com {provider}? Avalie de 1 a 5 estrelas."
        }
        (NoShow, En) => {
            "We missed you at {business} for your {service} ({when}). Would you like another time?"
        }
        (NoShow, Es) => {
            "Te echamos de menos en {business} para tu {service} ({when}). ¿Quieres otra hora?"
        }
        (NoShow, Pt) => {
            "Sentimos a sua falta em {business} para o {service} ({when}). Quer outro horário?"
        }
        (ReEngage, En) => {
            "It has been a while since your last visit to {business}. Shall we book your next {service}?"
        }
        (ReEngage, Es) => {
            "Hace tiempo de tu última visita a {business}. ¿Reservamos tu próximo {service}?"
        }
        (ReEngage, Pt) => {
            "Já passou algum tempo desde a sua última visita a {business}. Marcamos o próximo {service}?"
        }
        (Moved, En) => {
            "{business} moved your {service} with {provider} to {when}. Reference {reference}."
        }
        (Moved, Es) => {
            "{business} ha cambiado tu {service} con {provider} al {when}. Referencia {reference}."
        }
        (Moved, Pt) => {
            "{business} mudou o seu {service} com {provider} para {when}. Referência {reference}."
        }
        (CancelledByBusiness, En) => {
            "{business} had to cancel your {service} ({when}). Sorry! Would you like another time?"
        }
        (CancelledByBusiness, Es) => {
            "{business} ha tenido que cancelar tu {service} ({when}). ¡Lo sentimos! ¿Quieres otra hora?"
        }
        (CancelledByBusiness, Pt) => {
            "{business} teve de cancelar o seu {service} ({when}). Lamentamos! Quer outro horário?"
        }
        (Paid, En) => {
            "{business}: thank you, your deposit is paid. Your {service} with {provider} is booked for {when}. Reference {reference}."
        }
        (Paid, Es) => {
            "{business}: gracias, tu depósito está pagado. Tu {service} con {provider} está reservado para el {when}. Referencia {reference}."
        }
        (Paid, Pt) => {
            "{business}: obrigado, o sinal está pago. O seu {service} com {provider} está marcado para {when}. Referência {reference}."
        }
        (Paid, PtBr) => {
            "{business}: obrigado, o sinal foi pago. Seu {service} com {provider} está agendado para {when}. Código {reference}."
        }
        (PaymentExpired, En) => {
            "{business}: the deposit for your {service} on {when} was not paid in time, so the time was released. Would you like to book again?"
        }
        (PaymentExpired, Es) => {
            "{business}: el depósito de tu {service} del {when} no se pagó a tiempo y la hora se ha liberado. ¿Quieres reservar de nuevo?"
        }
        (PaymentExpired, Pt) => {
            "{business}: o sinal do seu {service} de {when} não foi pago a tempo, por isso o horário foi libertado. Quer marcar de novo?"
        }
        (PaymentExpired, PtBr) => {
            "{business}: o sinal do seu {service} de {when} não foi pago a tempo, então o horário foi liberado. Quer agendar de novo?"
        }
        (PaidTooLate, En) => {
            "{business}: your deposit arrived after the time for your {service} ({when}) had gone to someone else, so it is being refunded in full. Would you like another time?"
        }
        (PaidTooLate, Es) => {
            "{business}: tu depósito llegó cuando la hora de tu {service} ({when}) ya era de otra persona, así que te lo devolvemos entero. ¿Quieres otra hora?"
        }
        (PaidTooLate, Pt) => {
            "{business}: o seu sinal chegou depois de o horário do {service} ({when}) ter sido ocupado, por isso vai ser devolvido por inteiro. Quer outro horário?"
        }
        (PaidTooLate, PtBr) => {
            "{business}: seu sinal chegou depois que o horário do {service} ({when}) foi ocupado, então ele será devolvido integralmente. Quer outro horário?"
        }
        (Receipt, En) => {
            "{business}: here is the receipt for your deposit (reference {reference})."
        }
        (Receipt, Es) => {
            "{business}: aquí tienes el recibo de tu depósito (referencia {reference})."
        }
        (Receipt, Pt) => "{business}: aqui está o recibo do seu sinal (referência {reference}).",
        (Receipt, PtBr) => "{business}: aqui está o recibo do seu sinal (código {reference}).",
        (CreditNote, En) => {
            "{business}: here is the credit note for your refund (reference {reference})."
        }
        (CreditNote, Es) => {
            "{business}: aquí tienes la nota de abono de tu reembolso (referencia {reference})."
        }
        (CreditNote, Pt) => {
            "{business}: aqui está a nota de crédito do seu reembolso (referência {reference})."
        }
        (CreditNote, PtBr) => {
            "{business}: aqui está a nota de crédito do seu reembolso (código {reference})."
        }
        (RefundFailed, En) => {
            "{business}: the refund for your {service} ({when}, reference {reference}) did not go through at the bank. We are on it and will be in touch; no need to do anything."
        }
        (RefundFailed, Es) => {
            "{business}: el reembolso de tu {service} ({when}, referencia {reference}) no se ha podido completar en el banco. Nos ocupamos y te escribiremos; no tienes que hacer nada."
        }
        (RefundFailed, Pt) => {
            "{business}: o reembolso do seu {service} ({when}, referência {reference}) não foi concluído pelo banco. Estamos a tratar disso e entraremos em contacto; não precisa de fazer nada."
        }
        (RefundFailed, PtBr) => {
            "{business}: o reembolso do seu {service} ({when}, código {reference}) não foi concluído pelo banco. Já estamos cuidando disso e vamos entrar em contato; você não precisa fazer nada."
        }
    }
}

/// The title of a lifecycle message's button (`confirm`, `reschedule`, `cancel`, `book`,
/// and `stars` for the list of ratings) in `lang`.
pub fn notice_button(key: &str, lang: Lang) -> &'static str {
    use Lang::*;
    match (key, lang) {
        ("book", PtBr) => "Agendar",
        (other, PtBr) => notice_button(other, Pt),
        ("confirm", En) => "Confirm",
        ("confirm", Es) => "Confirmar",
        ("confirm", Pt) => "Confirmar",
        ("reschedule", En) => "Reschedule",
        ("reschedule", Es) => "Cambiar hora",
        ("reschedule", Pt) => "Remarcar",
        ("cancel", En) => "Cancel",
        ("cancel", Es) => "Cancelar",
        ("cancel", Pt) => "Cancelar",
        ("book", En) => "Book",
        ("book", Es) => "Reservar",
        ("book", Pt) => "Marcar",
        ("stars", En) => "Rate",
        ("stars", Es) => "Puntuar",
        _ => "Avaliar",
    }
}
