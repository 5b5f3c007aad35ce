//! Every text a customer reads, in every language, and local formats.
//!
//! Texts are templates with `{name}` placeholders, filled by [`fill`]. Every key exists in
//! every language; a test checks that each template's placeholders agree across languages.
//!
//! - this module: the conversation's texts ([`Key`]);
//! - [`notice_text`], [`notice_button`]: lifecycle messages (reminders, follow-ups);
//! - [`when`], [`price`] and the other formats: dates, times and prices.

mod format;
mod notices;

pub use crate::lang::Lang;
pub use format::{day_long, day_short, price, time, weekday_name, when};
pub use notices::{notice_button, notice_text};

/// A translatable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Key {
    Greeting,
    WhatToDo,
    Book,
    MyBookings,
    TalkToPerson,
    ChooseService,
    ChooseProvider,
    AnyProvider,
    ChooseDay,
    NoDaysThisWeek,
    NextWeek,
    PrevWeek,
    ChoosePart,
    Morning,
    Afternoon,
    Evening,
    ChooseTime,
    NoTimesThatDay,
    NothingFits,
    MoreTimes,
    Summary,
    DepositLine,
    PolicyFree,
    PolicyDeposit,
    Confirm,
    Change,
    Booked,
    SlotTaken,
    SlotTakenNone,
    Unavailable,
    BookingFailed,
    BookingsHeader,
    NoBookings,
    BookingAction,
    Reschedule,
    CancelBooking,
    Back,
    CancelAsk,
    CancelRefund,
    CancelForfeit,
    KeepBooking,
    YesCancel,
    Cancelled,
    Rescheduled,
    RescheduleIntro,
    Help,
    Handoff,
    OptedOut,
    OptedIn,
    ChooseLanguage,
    LanguageSet,
    NotUnderstood,
    Hint,
    Resume,
    Continue,
    StartOver,
    WhichProvider,
    WhichDate,
    HoldExpired,
    AnythingElse,
    ListButton,
    NoServices,
    WithProvider,
    PausedForPerson,
    SeeYou,
    ThanksRating,
    NothingToRate,
    NotBooked,
    NotMoved,
    KeptBooking,
    CancelOrKeep,
    TooFast,
    NotConnected,
    Paused,
    AskKeyword,
    WhichBusiness,
    Understood,
    SaidWith,
    SaidAnyone,
    SaidWeekOf,
    SaidAt,
    SaidAfter,
    SaidBefore,
    SaidMorning,
    SaidAfternoon,
    SaidEvening,
    WhichService,
    HelpExampleDay,
    HelpExampleWith,
    Or,
    NotFreeAt,
    LastVisitLine,
    NoLastVisit,
    CannotHearVoice,
    CannotSeePictures,
    StickerThanks,
    CannotOpenFiles,
    LocationThanks,
    WhereWeAre,
    NoAddress,
    WhichDay,
    PayDeposit,
    PayLinkComing,
    PaymentWaiting,
    CancelPartial,
    FlowExpired,
    FlowUsed,
    PickTime,
    FlowOffer,
    /// The Flow's short field labels (WhatsApp shows at most 30 characters).
    FlowService,
    FlowStaff,
    FlowDay,
    FlowPart,
    FlowTime,
    FlowOther,
    FlowPay,
}

/// The template for `key` in `lang`.
pub fn text(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match lang {
        Lang::En => match key {
            Greeting => "Hi! Welcome to {business}.",
            WhatToDo => "What would you like to do?",
            Book => "Book",
            MyBookings => "My bookings",
            TalkToPerson => "Talk to a person",
            ChooseService => "Which service would you like?",
            ChooseProvider => "Who would you like for {service}?",
            AnyProvider => "Any available",
            ChooseDay => "Which day for {service}?",
            NoDaysThisWeek => "No free times between {from} and {to}.",
            NextWeek => "Next week",
            PrevWeek => "Previous week",
            ChoosePart => "{day}: which part of the day suits you?",
            Morning => "Morning",
            Afternoon => "Afternoon",
            Evening => "Evening",
            ChooseTime => "Free times on {day}:",
            NoTimesThatDay => "No free times on {day}.",
            NothingFits => "Nothing free at that time on {day}. Free times that day:",
            MoreTimes => "Later times",
            Summary => "Please confirm:\n{service} with {provider}\n{when}\nPrice: {price}",
            DepositLine => "Deposit: {deposit}",
            PolicyFree => "Free cancellation up to {hours} h before.",
            PolicyDeposit => {
                "Cancel at least {hours} h before to get the deposit back; later, it is kept."
            }
            Confirm => "Confirm",
            Change => "Change time",
            Booked => "Booked! Your reference is {reference}. See you {when}.",
            SlotTaken => "Sorry, that time was just taken. The nearest free times:",
            SlotTakenNone => "Sorry, that time was just taken and nothing close is free.",
            Unavailable => {
                "Sorry, booking is paused for a moment. Please write again shortly; I'll remember where we were."
            }
            BookingFailed => "Sorry, that didn't go through. Please pick another time.",
            BookingsHeader => "Your upcoming bookings:",
            NoBookings => "You have no upcoming bookings.",
            BookingAction => "{booking}\nWhat would you like to do?",
            Reschedule => "Reschedule",
            CancelBooking => "Cancel it",
            Back => "Back",
            CancelAsk => "Cancel {booking}?",
            CancelRefund => "Your deposit of {amount} will be refunded.",
            CancelForfeit => "It is less than {hours} h away, so the deposit of {amount} is kept.",
            KeepBooking => "Keep it",
            YesCancel => "Yes, cancel",
            Cancelled => "Cancelled {reference}. Would you like to book another time?",
            Rescheduled => "Done! {reference} is now {when}.",
            RescheduleIntro => "Let's find a new time for {booking}.",
            Help => {
                "I can book, reschedule or cancel appointments. Reply with an option's number, or write e.g. {examples}. MENU starts over, AGENT reaches a person, LANGUAGE changes language, STOP unsubscribes."
            }
            Handoff => {
                "I've let the team know; someone will reply here soon. Type MENU to continue with me."
            }
            OptedOut => "You're unsubscribed and won't get more messages. Reply START to resume.",
            OptedIn => "Welcome back! You'll get our messages again.",
            ChooseLanguage => "Choose your language:",
            LanguageSet => "Okay, I'll write in English.",
            NotUnderstood => "Sorry, I didn't get that.",
            Hint => "Reply with a number from the list, or type MENU.",
            Resume => "Welcome back! You were booking {service}. Continue or start over?",
            Continue => "Continue",
            StartOver => "Start over",
            WhichProvider => "Which {name} do you mean?",
            WhichDate => "Which {weekday} do you mean?",
            HoldExpired => "The time I was holding for you was released.",
            AnythingElse => "Anything else?",
            ListButton => "Options",
            NoServices => "Sorry, {business} has no services to book right now.",
            WithProvider => "{service} with {provider}",
            PausedForPerson => "A team member will answer you here. Type MENU to continue with me.",
            SeeYou => "Thank you for confirming. See you then: {booking}.",
            ThanksRating => "Thank you for your rating!",
            NothingToRate => "There is no recent visit to rate.",
            NotBooked => "No problem: nothing was booked, and that time is free again.",
            PayDeposit => {
                "To book it, pay the {amount} deposit by {until}:\n{url}\nThe time is yours until then. Write CANCEL to give it back."
            }
            PayLinkComing => {
                "The time is held for you until {until} while the {amount} deposit is paid. The payment page is on its way: write anything in a moment to get it."
            }
            PaymentWaiting => "I have not seen your payment yet.",
            CancelPartial => {
                "It is less than {hours} h away, so you will get {refund} of your {amount} deposit back."
            }
            FlowExpired => "This booking link has expired. Please request a new one.",
            FlowUsed => "This booking is already made. Write to us in the chat to change it.",
            PickTime => "Pick a time",
            FlowOffer => "Tap Pick a time to choose a day and time in a calendar, or reply here.",
            FlowService => "Service",
            FlowStaff => "With whom",
            FlowDay => "Day",
            FlowPart => "Part of the day",
            FlowTime => "Time",
            FlowOther => "Other free times",
            FlowPay => "Pay the deposit",
            NotMoved => "No problem: {reference} stays on {when}.",
            KeptBooking => "Kept: {reference} stays on {when}.",
            CancelOrKeep => "To cancel the booking reply 1; to keep it, reply 2.",
            TooFast => "You're sending messages very fast; I'll answer again in a minute.",
            NotConnected => "This WhatsApp number is not connected to a business yet.",
            Paused => "Sorry, booking is paused for a moment. Please write again shortly.",
            AskKeyword => {
                "Hi! This number serves several businesses. Please send the keyword of the one you want to reach."
            }
            Understood => "Got it: {what}.",
            SaidWith => "with {provider}",
            SaidAnyone => "with whoever is free",
            SaidWeekOf => "the week from {day}",
            SaidAt => "at {time}",
            SaidAfter => "after {time}",
            SaidBefore => "before {time}",
            SaidMorning => "in the morning",
            SaidAfternoon => "in the afternoon",
            SaidEvening => "in the evening",
            WhichService => "Which one do you mean?",
            HelpExampleDay => "\"{service} tomorrow at 3pm\"",
            HelpExampleWith => "\"{service} with {provider} on Friday morning\"",
            Or => "or",
            NotFreeAt => "{time} is not free on {day}. The nearest free times:",
            LastVisitLine => {
                "Last time you had {service} with {provider}; write \"same again\" to book it."
            }
            NoLastVisit => "I have no earlier visit of yours here, so let's choose.",
            CannotHearVoice => {
                "I can't listen to voice notes yet. Please write what you'd like, e.g. {example}."
            }
            CannotSeePictures => {
                "I can only read text, so I can't see pictures or videos. Please write what you'd like, e.g. {example}."
            }
            StickerThanks => {
                "Nice sticker! I can only read text: please write what you'd like, e.g. {example}."
            }
            CannotOpenFiles => {
                "I can't open files here. Please write what you'd like, e.g. {example}."
            }
            LocationThanks => {
                "Thanks for the location! I can only read text: please write what you'd like, e.g. {example}."
            }
            WhereWeAre => "{business} is at {address}.",
            WhichDay => "Which day do you mean?",
            NoAddress => {
                "Sorry, I don't have the address here; write AGENT and the team will tell you."
            }
            WhichBusiness => {
                "You have bookings with several businesses here. Which one would you like?"
            }
        },
        Lang::Es => match key {
            Greeting => "¡Hola! Bienvenido a {business}.",
            WhatToDo => "¿Qué te gustaría hacer?",
            Book => "Reservar",
            MyBookings => "Mis citas",
            TalkToPerson => "Hablar con alguien",
            ChooseService => "¿Qué servicio te gustaría?",
            ChooseProvider => "¿Con quién quieres {service}?",
            AnyProvider => "Cualquiera disponible",
            ChooseDay => "¿Qué día para {service}?",
            NoDaysThisWeek => "No hay horas libres entre el {from} y el {to}.",
            NextWeek => "Semana siguiente",
            PrevWeek => "Semana anterior",
            ChoosePart => "{day}: ¿qué parte del día te viene bien?",
            Morning => "Mañana",
            Afternoon => "Tarde",
            Evening => "Noche",
            ChooseTime => "Horas libres el {day}:",
            NoTimesThatDay => "No hay horas libres el {day}.",
            NothingFits => "A esa hora no hay nada libre el {day}. Horas libres ese día:",
            MoreTimes => "Más tarde",
            Summary => "Confirma, por favor:\n{service} con {provider}\n{when}\nPrecio: {price}",
            DepositLine => "Depósito: {deposit}",
            PolicyFree => "Cancelación gratuita hasta {hours} h antes.",
            PolicyDeposit => {
                "Cancela al menos {hours} h antes para recuperar el depósito; después, se retiene."
            }
            Confirm => "Confirmar",
            Change => "Cambiar hora",
            Booked => "¡Reservado! Tu referencia es {reference}. Te esperamos el {when}.",
            SlotTaken => "Lo siento, esa hora acaba de ocuparse. Las horas libres más cercanas:",
            SlotTakenNone => "Lo siento, esa hora acaba de ocuparse y no hay nada libre cerca.",
            Unavailable => {
                "Lo siento, las reservas están en pausa un momento. Escríbeme de nuevo en breve; recordaré dónde estábamos."
            }
            BookingFailed => "Lo siento, no se pudo completar. Elige otra hora, por favor.",
            BookingsHeader => "Tus próximas citas:",
            NoBookings => "No tienes citas próximas.",
            BookingAction => "{booking}\n¿Qué te gustaría hacer?",
            Reschedule => "Cambiar fecha",
            CancelBooking => "Cancelarla",
            Back => "Volver",
            CancelAsk => "¿Cancelar {booking}?",
            CancelRefund => "Te devolveremos el depósito de {amount}.",
            CancelForfeit => {
                "Faltan menos de {hours} h, así que el depósito de {amount} se retiene."
            }
            KeepBooking => "Mantenerla",
            YesCancel => "Sí, cancelar",
            Cancelled => "Cancelada {reference}. ¿Quieres reservar otra hora?",
            Rescheduled => "¡Hecho! {reference} ahora es el {when}.",
            RescheduleIntro => "Busquemos una nueva hora para {booking}.",
            Help => {
                "Puedo reservar, cambiar o cancelar citas. Responde con el número de una opción o escribe p. ej. {examples}. MENU empieza de nuevo, AGENTE te pasa con una persona, IDIOMA cambia el idioma, BAJA para no recibir mensajes."
            }
            Handoff => {
                "He avisado al equipo; alguien te responderá aquí pronto. Escribe MENU para seguir conmigo."
            }
            OptedOut => {
                "Te has dado de baja y no recibirás más mensajes. Responde START para volver."
            }
            OptedIn => "¡Bienvenido de nuevo! Volverás a recibir nuestros mensajes.",
            ChooseLanguage => "Elige tu idioma:",
            LanguageSet => "De acuerdo, te escribiré en español.",
            NotUnderstood => "Perdona, no lo he entendido.",
            Hint => "Responde con un número de la lista o escribe MENU.",
            Resume => {
                "¡Hola de nuevo! Estabas reservando {service}. ¿Seguimos o empezamos de nuevo?"
            }
            Continue => "Seguir",
            StartOver => "Empezar de nuevo",
            WhichProvider => "¿A qué {name} te refieres?",
            WhichDate => "¿Qué {weekday} quieres decir?",
            HoldExpired => "La hora que te guardaba se ha liberado.",
            AnythingElse => "¿Algo más?",
            ListButton => "Opciones",
            NoServices => "Lo siento, {business} no tiene servicios disponibles ahora.",
            WithProvider => "{service} con {provider}",
            PausedForPerson => {
                "Alguien del equipo te responderá aquí. Escribe MENU para seguir conmigo."
            }
            SeeYou => "Gracias por confirmar. Te esperamos: {booking}.",
            ThanksRating => "¡Gracias por tu valoración!",
            NothingToRate => "No hay ninguna visita reciente para valorar.",
            NotBooked => "De acuerdo: no se ha reservado nada y esa hora vuelve a estar libre.",
            PayDeposit => {
                "Para reservarla, paga el depósito de {amount} antes de las {until}:\n{url}\nLa hora es tuya hasta entonces. Escribe CANCELAR para liberarla."
            }
            PayLinkComing => {
                "Te guardo la hora hasta las {until} mientras se paga el depósito de {amount}. La página de pago está en camino: escribe cualquier cosa en un momento para recibirla."
            }
            PaymentWaiting => "Aún no veo tu pago.",
            CancelPartial => {
                "Faltan menos de {hours} h, así que te devolveremos {refund} de tu depósito de {amount}."
            }
            FlowExpired => "Este enlace de reserva ha caducado. Pide uno nuevo en el chat.",
            FlowUsed => "Esta reserva ya está hecha. Escríbenos en el chat para cambiarla.",
            PickTime => "Elegir hora",
            FlowOffer => {
                "Toca Elegir hora para escoger día y hora en un calendario, o responde aquí."
            }
            FlowService => "Servicio",
            FlowStaff => "Con quién",
            FlowDay => "Día",
            FlowPart => "Parte del día",
            FlowTime => "Hora",
            FlowOther => "Otras horas libres",
            FlowPay => "Pagar el depósito",
            NotMoved => "De acuerdo: {reference} sigue el {when}.",
            KeptBooking => "Mantenida: {reference} sigue el {when}.",
            CancelOrKeep => "Para cancelar la cita responde 1; para mantenerla, responde 2.",
            TooFast => "Estás enviando mensajes muy rápido; te respondo de nuevo en un minuto.",
            NotConnected => "Este número de WhatsApp aún no está conectado a ningún negocio.",
            Paused => {
                "Lo siento, las reservas están en pausa un momento. Escríbeme de nuevo en breve."
            }
            AskKeyword => {
                "¡Hola! Este número atiende a varios negocios. Envía la palabra clave del que quieres contactar."
            }
            Understood => "Entendido: {what}.",
            SaidWith => "con {provider}",
            SaidAnyone => "con quien esté libre",
            SaidWeekOf => "la semana del {day}",
            SaidAt => "a las {time}",
            SaidAfter => "después de las {time}",
            SaidBefore => "antes de las {time}",
            SaidMorning => "por la mañana",
            SaidAfternoon => "por la tarde",
            SaidEvening => "por la noche",
            WhichService => "¿Cuál de ellos?",
            HelpExampleDay => "«{service} mañana a las 15:00»",
            HelpExampleWith => "«{service} con {provider} el viernes por la mañana»",
            Or => "o",
            NotFreeAt => "Las {time} no está libre el {day}. Las horas libres más cercanas:",
            LastVisitLine => {
                "La última vez tuviste {service} con {provider}; escribe «lo mismo» para reservarlo."
            }
            NoLastVisit => "No tengo ninguna visita tuya anterior aquí, así que elijamos.",
            CannotHearVoice => {
                "Todavía no puedo escuchar notas de voz. Escribe lo que quieres, p. ej. {example}."
            }
            CannotSeePictures => {
                "Solo puedo leer texto, así que no veo fotos ni vídeos. Escribe lo que quieres, p. ej. {example}."
            }
            StickerThanks => {
                "¡Buen sticker! Solo leo texto: escribe lo que quieres, p. ej. {example}."
            }
            CannotOpenFiles => {
                "No puedo abrir archivos aquí. Escribe lo que quieres, p. ej. {example}."
            }
            LocationThanks => {
                "¡Gracias por la ubicación! Solo leo texto: escribe lo que quieres, p. ej. {example}."
            }
            WhereWeAre => "{business} está en {address}.",
            WhichDay => "¿Qué día?",
            NoAddress => {
                "Lo siento, no tengo la dirección aquí; escribe AGENTE y el equipo te la dirá."
            }
            WhichBusiness => "Tienes citas con varios negocios aquí. ¿Con cuál quieres hablar?",
        },
        Lang::PtBr => match key {
            // Brazilian Portuguese where it differs from the European texts below.
            WhatToDo => "O que você gostaria de fazer?",
            Book => "Agendar",
            MyBookings => "Meus agendamentos",
            ChooseService => "Qual serviço você gostaria?",
            ChooseProvider => "Com quem você prefere {service}?",
            ChooseDay => "Qual dia para {service}?",
            ChoosePart => "{day}: qual período do dia você prefere?",
            NothingFits => "Nada livre nesse horário em {day}. Horários livres nesse dia:",
            PolicyDeposit => {
                "Cancele com pelo menos {hours} h de antecedência para receber o sinal de volta; depois disso, ele fica retido."
            }
            Booked => "Agendado! Seu código é {reference}. Até {when}.",
            SlotTaken => {
                "Desculpe, esse horário acabou de ser ocupado. Os horários livres mais próximos:"
            }
            SlotTakenNone => {
                "Desculpe, esse horário acabou de ser ocupado e não há nada livre perto dele."
            }
            Unavailable => {
                "Desculpe, os agendamentos estão pausados por um momento. Escreva de novo daqui a pouco; vou lembrar onde paramos."
            }
            BookingFailed => "Desculpe, não deu certo. Escolha outro horário, por favor.",
            BookingsHeader => "Seus próximos agendamentos:",
            NoBookings => "Você não tem agendamentos futuros.",
            BookingAction => "{booking}\nO que você gostaria de fazer?",
            CancelForfeit => "Faltam menos de {hours} h, então o sinal de {amount} fica retido.",
            Cancelled => "{reference} cancelado. Quer agendar outro horário?",
            Help => {
                "Posso agendar, remarcar ou cancelar. Responda com o número de uma opção ou escreva, por exemplo, {examples}. MENU recomeça, ATENDENTE chama uma pessoa, IDIOMA muda o idioma, SAIR cancela as mensagens."
            }
            Handoff => {
                "Avisei a equipe; alguém vai responder aqui em breve. Escreva MENU para continuar comigo."
            }
            OptedOut => {
                "Você cancelou a inscrição e não vai receber mais mensagens. Responda START para voltar."
            }
            OptedIn => "Que bom ter você de volta! Você vai voltar a receber nossas mensagens.",
            ChooseLanguage => "Escolha seu idioma:",
            NotUnderstood => "Desculpe, não entendi.",
            Resume => {
                "Que bom ter você de volta! Você estava agendando {service}. Continuar ou recomeçar?"
            }
            WhichDate => "Qual {weekday}?",
            WhichDay => "Qual dia?",
            HoldExpired => "O horário que estava reservado para você foi liberado.",
            PausedForPerson => {
                "Alguém da equipe vai responder você aqui. Escreva MENU para continuar comigo."
            }
            NotBooked => "Sem problemas: nada foi agendado, e esse horário ficou livre de novo.",
            PayDeposit => {
                "Para agendar, pague o sinal de {amount} até {until}:\n{url}\nO horário fica reservado para você até lá. Escreva CANCELAR para liberá-lo."
            }
            PayLinkComing => {
                "O horário fica reservado para você até {until} enquanto o sinal de {amount} é pago. A página de pagamento está a caminho: escreva qualquer coisa daqui a pouco para recebê-la."
            }
            PaymentWaiting => "Ainda não vi seu pagamento.",
            CancelPartial => {
                "Faltam menos de {hours} h, então você receberá de volta {refund} do sinal de {amount}."
            }
            FlowExpired => "Este link de agendamento expirou. Peça um novo no chat.",
            FlowUsed => "Este agendamento já foi feito. Escreva no chat para alterá-lo.",
            PickTime => "Escolher horário",
            FlowOffer => {
                "Toque em Escolher horário para escolher dia e hora num calendário, ou responda aqui."
            }
            FlowService => "Serviço",
            FlowStaff => "Com quem",
            FlowDay => "Dia",
            FlowPart => "Período",
            FlowTime => "Horário",
            FlowOther => "Outros horários livres",
            FlowPay => "Pagar o sinal",
            NotMoved => "Sem problemas: {reference} continua em {when}.",
            KeptBooking => "Mantido: {reference} continua em {when}.",
            CancelOrKeep => "Para cancelar o agendamento responda 1; para manter, responda 2.",
            TooFast => "Você está enviando mensagens muito rápido; respondo de novo em um minuto.",
            NotConnected => "Este número de WhatsApp ainda não está conectado a nenhum negócio.",
            Paused => {
                "Desculpe, os agendamentos estão pausados por um momento. Escreva de novo em breve."
            }
            AskKeyword => {
                "Olá! Este número atende vários negócios. Envie a palavra-chave daquele com quem você quer falar."
            }
            Understood => "Entendi: {what}.",
            HelpExampleDay => "\"{service} amanhã às 15h\"",
            HelpExampleWith => "\"{service} com {provider} na sexta de manhã\"",
            NotFreeAt => {
                "Às {time} não tem horário livre em {day}. Os horários livres mais próximos:"
            }
            LastVisitLine => {
                "Da última vez você fez {service} com {provider}; escreva \"o mesmo\" para agendar de novo."
            }
            NoLastVisit => "Não encontrei nenhuma visita sua anterior aqui, então vamos escolher.",
            CannotHearVoice => {
                "Ainda não consigo ouvir áudios. Escreva o que você gostaria, por exemplo, {example}."
            }
            CannotSeePictures => {
                "Só consigo ler texto, então não vejo fotos nem vídeos. Escreva o que você gostaria, por exemplo, {example}."
            }
            StickerThanks => {
                "Adorei a figurinha! Só leio texto: escreva o que você gostaria, por exemplo, {example}."
            }
            CannotOpenFiles => {
                "Não consigo abrir arquivos aqui. Escreva o que você gostaria, por exemplo, {example}."
            }
            LocationThanks => {
                "Obrigado pela localização! Só leio texto: escreva o que você gostaria, por exemplo, {example}."
            }
            NoAddress => {
                "Desculpe, não tenho o endereço aqui; escreva ATENDENTE e a equipe te passa."
            }
            WhichBusiness => "Você tem agendamentos com vários negócios aqui. Com qual quer falar?",
            _ => text(Lang::Pt, key),
        },
        Lang::Pt => match key {
            Greeting => "Olá! Bem-vindo a {business}.",
            WhatToDo => "O que gostaria de fazer?",
            Book => "Marcar",
            MyBookings => "As minhas marcações",
            TalkToPerson => "Falar com alguém",
            ChooseService => "Que serviço gostaria?",
            ChooseProvider => "Com quem prefere {service}?",
            AnyProvider => "Qualquer disponível",
            ChooseDay => "Que dia para {service}?",
            NoDaysThisWeek => "Sem horários livres entre {from} e {to}.",
            NextWeek => "Próxima semana",
            PrevWeek => "Semana anterior",
            ChoosePart => "{day}: que parte do dia prefere?",
            Morning => "Manhã",
            Afternoon => "Tarde",
            Evening => "Noite",
            ChooseTime => "Horários livres em {day}:",
            NoTimesThatDay => "Sem horários livres em {day}.",
            NothingFits => "Nada livre a essa hora em {day}. Horários livres nesse dia:",
            MoreTimes => "Mais tarde",
            Summary => "Confirme, por favor:\n{service} com {provider}\n{when}\nPreço: {price}",
            DepositLine => "Sinal: {deposit}",
            PolicyFree => "Cancelamento grátis até {hours} h antes.",
            PolicyDeposit => {
                "Cancele pelo menos {hours} h antes para recuperar o sinal; depois, fica retido."
            }
            Confirm => "Confirmar",
            Change => "Mudar horário",
            Booked => "Marcado! A sua referência é {reference}. Até {when}.",
            SlotTaken => {
                "Lamento, esse horário acabou de ser ocupado. Os horários livres mais próximos:"
            }
            SlotTakenNone => {
                "Lamento, esse horário acabou de ser ocupado e não há nada livre perto."
            }
            Unavailable => {
                "Lamento, as marcações estão em pausa por um momento. Escreva de novo daqui a pouco; vou lembrar-me onde estávamos."
            }
            BookingFailed => {
                "Lamento, não foi possível concluir. Escolha outro horário, por favor."
            }
            BookingsHeader => "As suas próximas marcações:",
            NoBookings => "Não tem marcações futuras.",
            BookingAction => "{booking}\nO que gostaria de fazer?",
            Reschedule => "Remarcar",
            CancelBooking => "Cancelar",
            Back => "Voltar",
            CancelAsk => "Cancelar {booking}?",
            CancelRefund => "O sinal de {amount} será devolvido.",
            CancelForfeit => "Faltam menos de {hours} h, por isso o sinal de {amount} fica retido.",
            KeepBooking => "Manter",
            YesCancel => "Sim, cancelar",
            Cancelled => "Cancelada {reference}. Quer marcar outro horário?",
            Rescheduled => "Feito! {reference} passou para {when}.",
            RescheduleIntro => "Vamos encontrar um novo horário para {booking}.",
            Help => {
                "Posso marcar, remarcar ou cancelar. Responda com o número de uma opção ou escreva p. ex. {examples}. MENU recomeça, ATENDENTE chama uma pessoa, IDIOMA muda a língua, SAIR cancela as mensagens."
            }
            Handoff => {
                "Avisei a equipa; alguém vai responder aqui em breve. Escreva MENU para continuar comigo."
            }
            OptedOut => {
                "Cancelou a subscrição e não vai receber mais mensagens. Responda START para voltar."
            }
            OptedIn => "Bem-vindo de volta! Vai voltar a receber as nossas mensagens.",
            ChooseLanguage => "Escolha a sua língua:",
            LanguageSet => "Combinado, vou escrever em português.",
            NotUnderstood => "Desculpe, não percebi.",
            Hint => "Responda com um número da lista ou escreva MENU.",
            Resume => "Bem-vindo de volta! Estava a marcar {service}. Continuar ou recomeçar?",
            Continue => "Continuar",
            StartOver => "Recomeçar",
            WhichProvider => "Qual {name}?",
            WhichDate => "Que {weekday}?",
            HoldExpired => "O horário que estava reservado para si foi libertado.",
            AnythingElse => "Mais alguma coisa?",
            ListButton => "Opções",
            NoServices => "Lamento, {business} não tem serviços disponíveis agora.",
            WithProvider => "{service} com {provider}",
            PausedForPerson => {
                "Alguém da equipa vai responder-lhe aqui. Escreva MENU para continuar comigo."
            }
            SeeYou => "Obrigado por confirmar. Até lá: {booking}.",
            ThanksRating => "Obrigado pela sua avaliação!",
            NothingToRate => "Não há nenhuma visita recente para avaliar.",
            NotBooked => "Sem problema: nada foi marcado e esse horário fica livre outra vez.",
            PayDeposit => {
                "Para marcar, pague o sinal de {amount} até às {until}:\n{url}\nO horário fica guardado para si até lá. Escreva CANCELAR para o libertar."
            }
            PayLinkComing => {
                "O horário fica guardado para si até às {until} enquanto o sinal de {amount} é pago. A página de pagamento está a caminho: escreva qualquer coisa daqui a pouco para a receber."
            }
            PaymentWaiting => "Ainda não vi o seu pagamento.",
            CancelPartial => {
                "Faltam menos de {hours} h, por isso recebe de volta {refund} do sinal de {amount}."
            }
            FlowExpired => "Esta ligação de marcação expirou. Peça uma nova na conversa.",
            FlowUsed => "Esta marcação já está feita. Escreva na conversa para a alterar.",
            PickTime => "Escolher horário",
            FlowOffer => {
                "Toque em Escolher horário para escolher dia e hora num calendário, ou responda aqui."
            }
            FlowService => "Serviço",
            FlowStaff => "Com quem",
            FlowDay => "Dia",
            FlowPart => "Parte do dia",
            FlowTime => "Hora",
            FlowOther => "Outras horas livres",
            FlowPay => "Pagar o sinal",
            NotMoved => "Sem problema: {reference} continua a {when}.",
            KeptBooking => "Mantida: {reference} continua a {when}.",
            CancelOrKeep => "Para cancelar a marcação responda 1; para a manter, responda 2.",
            TooFast => {
                "Está a enviar mensagens muito depressa; respondo de novo dentro de um minuto."
            }
            NotConnected => "Este número de WhatsApp ainda não está ligado a nenhum negócio.",
            Paused => {
                "Desculpe, as marcações estão em pausa por um momento. Escreva de novo em breve."
            }
            AskKeyword => {
                "Olá! Este número serve vários negócios. Envie a palavra-chave daquele que quer contactar."
            }
            Understood => "Percebido: {what}.",
            SaidWith => "com {provider}",
            SaidAnyone => "com quem estiver livre",
            SaidWeekOf => "a semana de {day}",
            SaidAt => "às {time}",
            SaidAfter => "depois das {time}",
            SaidBefore => "antes das {time}",
            SaidMorning => "de manhã",
            SaidAfternoon => "à tarde",
            SaidEvening => "à noite",
            WhichService => "Qual deles?",
            HelpExampleDay => "«{service} amanhã às 15:00»",
            HelpExampleWith => "«{service} com {provider} na sexta de manhã»",
            Or => "ou",
            NotFreeAt => "Às {time} não há vaga em {day}. Os horários livres mais próximos:",
            LastVisitLine => {
                "Da última vez teve {service} com {provider}; escreva «o mesmo» para marcar outra vez."
            }
            NoLastVisit => "Não tenho nenhuma visita sua anterior aqui, por isso vamos escolher.",
            CannotHearVoice => {
                "Ainda não consigo ouvir mensagens de voz. Escreva o que pretende, p. ex. {example}."
            }
            CannotSeePictures => {
                "Só consigo ler texto, por isso não vejo fotos nem vídeos. Escreva o que pretende, p. ex. {example}."
            }
            StickerThanks => {
                "Belo autocolante! Só leio texto: escreva o que pretende, p. ex. {example}."
            }
            CannotOpenFiles => {
                "Não consigo abrir ficheiros aqui. Escreva o que pretende, p. ex. {example}."
            }
            LocationThanks => {
                "Obrigado pela localização! Só leio texto: escreva o que pretende, p. ex. {example}."
            }
            WhereWeAre => "{business} fica em {address}.",
            WhichDay => "Que dia?",
            NoAddress => "Lamento, não tenho a morada aqui; escreva ATENDENTE e a equipa diz-lhe.",
            WhichBusiness => "Tem marcações com vários negócios aqui. Com qual quer falar?",
        },
    }
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `text(lang, key)` filled with `values`.
pub fn t(lang: Lang, key: Key, values: &[(&str, &str)]) -> String {
    fill(text(lang, key), values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Money;
    use chrono::{NaiveDate, NaiveTime};

    const KEYS: &[Key] = &[
        Key::Greeting,
        Key::ChooseProvider,
        Key::Summary,
        Key::Booked,
        Key::CancelForfeit,
        Key::Resume,
        Key::WhichDate,
        Key::NoDaysThisWeek,
        Key::BookingAction,
        Key::Rescheduled,
        Key::Help,
        Key::Understood,
        Key::SaidWith,
        Key::SaidWeekOf,
        Key::SaidAt,
        Key::HelpExampleDay,
        Key::HelpExampleWith,
        Key::NotFreeAt,
        Key::LastVisitLine,
        Key::CannotHearVoice,
        Key::WhereWeAre,
    ];

    fn placeholders(s: &str) -> Vec<String> {
        let mut names: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_language_uses_the_same_placeholders() {
        for &key in KEYS {
            let en = placeholders(text(Lang::En, key));
            for lang in [Lang::Es, Lang::Pt, Lang::PtBr] {
                assert_eq!(placeholders(text(lang, key)), en, "{key:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(fill("Hi {a}, {b}!", &[("a", "Zoe")]), "Hi Zoe, {b}!");
    }

    #[test]
    fn dates_and_times_read_naturally_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let t = NaiveTime::from_hms_opt(15, 30, 0).unwrap();
        assert_eq!(when(Lang::En, d, t), "Tuesday 24 November at 3:30 pm");
        assert_eq!(when(Lang::Es, d, t), "martes 24 de noviembre a las 15:30");
        assert_eq!(when(Lang::Pt, d, t), "terça-feira, 24 de novembro às 15:30");
        assert_eq!(day_short(Lang::Es, d), "mar 24 nov");
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert_eq!(time(Lang::En, noon), "12:00 pm");
    }

    #[test]
    fn prices_follow_local_conventions() {
        assert_eq!(price(Lang::En, &Money::new(2000, "EUR")), "€20");
        assert_eq!(price(Lang::En, &Money::new(2050, "USD")), "$20.50");
        assert_eq!(price(Lang::Es, &Money::new(2050, "EUR")), "20,50 €");
        assert_eq!(price(Lang::Pt, &Money::new(2000, "EUR")), "20 €");
        assert_eq!(price(Lang::Pt, &Money::new(4500, "BRL")), "R$ 45,00");
        assert_eq!(price(Lang::PtBr, &Money::new(22000, "BRL")), "R$ 220,00");
        assert_eq!(price(Lang::PtBr, &Money::new(150000, "BRL")), "R$ 1.500,00");
        assert_eq!(price(Lang::En, &Money::new(125000, "USD")), "$1,250");
        assert_eq!(price(Lang::Es, &Money::new(1250050, "EUR")), "12.500,50 €");
    }
}
