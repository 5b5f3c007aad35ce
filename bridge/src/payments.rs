//! Deposits: a booking whose service asks one is confirmed by its payment, not by the
//! customer's "yes".
//!
//! 1. The customer confirms a hold ([`Payments::confirm`]). If the service takes a deposit
//!    and the tenant has a Stripe account, the hold is stretched to the payment window, a
//!    [`Payment`] is stored (`creating`) and a Checkout Session opened with a deterministic
//!    idempotency key; the answer carries the link. A bridge that dies between Stripe's
//!    answer and the store write asks again with the same key and gets the same session:
//!    nothing is charged twice.
//! 2. Stripe's webhook ([`Payments::on_webhook`]) says paid or expired. Paid confirms the
//!    hold and tells the customer ([`Stage::Paid`]); if the hold had lapsed, the same slot is
//!    held again when free, otherwise the payment is refunded in full and the customer told
//!    ([`Stage::PaidTooLate`]). Expired releases the hold and tells the customer
//!    ([`Stage::PaymentExpired`]).
//!
//! A payment's state only moves forward, by compare-and-set in the store, so an event
//! delivered twice, late or out of order changes nothing the second time.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use slotline_shared::catalog::{Money, TenantId};
use slotline_shared::wire::{BridgeAnswer, Hold};

use crate::adapters::stripe::{CheckoutRequest, EventKind, StripeClient, StripeError};
use crate::error::AppError;
use crate::lifecycle;
use crate::model::{
    Document, DocumentKind, Payment, PaymentState, RefundRecord, RefundStatus, Reservation, Stage,
    Status, TaxLine, Tenant,
};
use crate::ports::{Change, Clock, HoldNotice, HoldResult, Scheduler, Store};
use crate::scheduler::reference_for;

/// Checkout's pages close this long after the payment window, so a customer paying in its
/// last second is still inside Stripe's 30-minute minimum (our clock and Stripe's differ).
const CHECKOUT_MARGIN: Duration = Duration::minutes(1);

/// How long after a payment window ends the bridge asks Stripe itself, when Stripe's event
/// has not come.
const LAPSE_GRACE: Duration = Duration::minutes(2);

/// What a Checkout Session came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The money is in.
    Paid,
    /// It will not come: expired, or a delayed payment failed.
    Unpaid,
}

/// Deposits through Stripe.
pub struct Payments {
    stripe: StripeClient,
    /// The Connect endpoint's signing secret (`whsec_…`); `None` refuses webhooks.
    webhook_secret: Option<String>,
    store: Arc<dyn Store>,
    scheduler: Arc<dyn Scheduler>,
    clock: Arc<dyn Clock>,
}

/// What a webhook delivery came to, for the log and the answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handled {
    /// The booking was confirmed by its payment.
    Confirmed,
    /// Paid after the hold lapsed; the same slot was free and is booked.
    Rebooked,
    /// Paid after the slot had gone: refunded in full.
    Refunded,
    /// Not paid in time: the hold was released.
    Released,
    /// A pending refund went through: its credit note was issued.
    RefundSucceeded,
    /// A pending refund failed: the customer was told, the operator warned.
    RefundFailed,
    /// Nothing to do (a replay, an event of no interest, a payment not ours).
    Ignored,
}

impl Payments {
    /// Deposits through `stripe`, with webhooks checked against `webhook_secret`.
    pub fn new(
        stripe: StripeClient,
        webhook_secret: Option<String>,
        store: Arc<dyn Store>,
        scheduler: Arc<dyn Scheduler>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            stripe,
            webhook_secret,
            store,
            scheduler,
            clock,
        }
    }

    /// The customer confirmed `hold`. `None` when no deposit is taken through Stripe for it
    /// (the hold is confirmed as usual); otherwise the answer for the customer.
    pub async fn confirm(
        &self,
        tenant: &TenantId,
        hold: &str,
    ) -> Result<Option<BridgeAnswer>, AppError> {
        // The hold first: most services take no deposit, and their confirmation (the hot
        // path) then costs one read here, not two.
        let Some(r) = self.store.reservation(tenant, hold).await? else {
            return Ok(None);
        };
        let Some(amount) = r.deposit.clone().filter(|d| d.minor > 0) else {
            return Ok(None);
        };
        if r.status == Status::Confirmed {
            return Ok(None);
        }
        let Some(record) = self.store.tenant(tenant).await? else {
            return Ok(None);
        };
        let Some(account) = record.payments.stripe_account.clone() else {
            return Ok(None);
        };
        let now = self.clock.now();
        let payment = match self.store.payment(tenant, hold).await? {
            Some(p) => p,
            None => {
                if !r.is_active(now) {
                    return Ok(None); // the scheduler says the hold is gone
                }
                let pay_by = now
                    + Duration::minutes(i64::from(record.payments.window_min))
                    + CHECKOUT_MARGIN;
                if !self.store.extend_hold(tenant, hold, pay_by, now).await? {
                    return Ok(None);
                }
                let fresh = Payment {
                    tenant: tenant.clone(),
                    hold: hold.to_owned(),
                    attempt: 1,
                    amount: amount.clone(),
                    state: PaymentState::Creating,
                    session: None,
                    url: None,
                    payment_intent: None,
                    pay_by,
                    refunded_minor: 0,
                    refunds: Vec::new(),
                    moved_to: None,
                    updated_at: now,
                };
                self.store.open_payment(&fresh).await?
            }
        };
        let due = |url: Option<String>, p: &Payment| BridgeAnswer::PaymentDue {
            hold: Hold {
                id: r.id.clone(),
                service: r.service.clone(),
                provider: r.provider.clone(),
                start: r.start,
                expires_at: p.pay_by,
            },
            amount: p.amount.clone(),
            url,
        };
        match payment.state {
            PaymentState::Open => return Ok(Some(due(payment.url.clone(), &payment))),
            PaymentState::Paid => {
                self.settle_paid(&record, &account, &payment).await?;
                return Ok(None);
            }
            PaymentState::Expired | PaymentState::Refunded => {
                return Ok(Some(BridgeAnswer::Failed {
                    reason: "the payment window ended".into(),
                }));
            }
            PaymentState::Creating => {}
        }
        match self.open_checkout(&record, &account, &r, &payment).await {
            Ok(open) => Ok(Some(due(open.url.clone(), &open))),
            Err(e) if e.is_transient() => {
                // The hold stays; the customer asks again (any message) and the same key
                // gets the same session.
                tracing::warn!(tenant = %tenant, hold, "Checkout Session not made yet: {e}");
                Ok(Some(due(None, &payment)))
            }
            Err(e) => {
                tracing::error!(tenant = %tenant, hold, "Stripe refused the Checkout Session: {e}");
                Ok(Some(BridgeAnswer::Failed {
                    reason: "the payment could not be started".into(),
                }))
            }
        }
    }

    /// Asks Stripe for this attempt's session and stores it.
    async fn open_checkout(
        &self,
        tenant: &Tenant,
        account: &str,
        r: &Reservation,
        payment: &Payment,
    ) -> Result<Payment, StripeError> {
        // A name missing for a moment is no reason to refuse the customer's payment page.
        let service = self
            .service_name(&tenant.id, &r.service)
            .await
            .unwrap_or_else(|_| r.service.to_string());
        let local = r.start.with_timezone(&tenant.zone);
        let back = tenant.sender().map_or_else(
            || "https://wa.me/".to_owned(),
            |n| format!("https://wa.me/{}", n.as_e164().trim_start_matches('+')),
        );
        let request = CheckoutRequest {
            currency: payment.amount.currency.to_lowercase(),
            amount: payment.amount.minor,
            name: format!(
                "{} · {service} {}",
                tenant.name,
                local.format("%Y-%m-%d %H:%M")
            ),
            tenant: tenant.id.to_string(),
            hold: r.id.clone(),
            success_url: back.clone(),
            cancel_url: Some(back),
            expires_at: payment.pay_by.timestamp(),
            application_fee: tenant
                .payments
                .platform_fee_percent
                .map(|p| payment.amount.minor * i64::from(p) / 100)
                .filter(|fee| *fee > 0),
        };
        let session = self
            .stripe
            .create_checkout(account, &request, &payment.checkout_key(account))
            .await?;
        let mut open = payment.clone();
        open.state = PaymentState::Open;
        open.session = Some(session.id);
        open.url = session.url;
        open.updated_at = self.clock.now();
        match self
            .store
            .update_payment(&open, PaymentState::Creating, None, open.updated_at)
            .await
        {
            Ok(true) => Ok(open),
            // Another request stored it first (or the webhook already moved it on).
            Ok(false) => Ok(self
                .store
                .payment(&tenant.id, &r.id)
                .await
                .ok()
                .flatten()
                .unwrap_or(open)),
            Err(e) => Err(StripeError::Unreadable(format!("not stored: {e}"))),
        }
    }

    /// Checks and acts on one webhook delivery.
    pub async fn on_webhook(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Handled, AppError> {
        let Some(secret) = &self.webhook_secret else {
            return Err(AppError::Unavailable(
                "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)".into(),
            ));
        };
        slotline_shared::stripe::verify(secret, body, signature, self.clock.now().timestamp())
            .map_err(|e| AppError::BadRequest(format!("Stripe-Signature: {e}")))?;
        let event = crate::adapters::stripe::parse_event(body).map_err(AppError::BadRequest)?;
        if event.livemode != self.stripe.is_live() {
            tracing::info!(event = %event.id, livemode = event.livemode, "a Stripe event of the other mode");
            return Ok(Handled::Ignored);
        }
        if let EventKind::RefundChanged { refund } = &event.kind {
            return self.refund_changed(event.account.as_deref(), refund).await;
        }
        let (session, paid) = match &event.kind {
            EventKind::SessionCompleted { session, paid } => (session, *paid),
            EventKind::SessionExpired { session } | EventKind::SessionFailed { session } => {
                (session, false)
            }
            EventKind::Other(_) | EventKind::RefundChanged { .. } => {
                return Ok(Handled::Ignored);
            }
        };
        let payment = match self.store.payment_by_session(&session.id).await? {
            Some(p) => Some(p),
            // A bridge that died before storing the session: the metadata names the hold.
            None => match (
                session.metadata.get("tenant_id"),
                session.metadata.get("booking_id"),
            ) {
                (Some(t), Some(h)) => self.store.payment(&TenantId(t.clone()), h).await?,
                _ => None,
            },
        };
        let Some(payment) = payment else {
            tracing::info!(event = %event.id, "a Stripe event about no payment of ours");
            return Ok(Handled::Ignored);
        };
        let Some(tenant) = self.store.tenant(&payment.tenant).await? else {
            return Ok(Handled::Ignored);
        };
        let account = tenant.payments.stripe_account.clone().unwrap_or_default();
        if event.account.as_deref() != Some(account.as_str()) {
            return Err(AppError::BadRequest(
                "the event's account is not this payment's business".into(),
            ));
        }
        let outcome = match &event.kind {
            EventKind::SessionCompleted { .. } if !paid => return Ok(Handled::Ignored),
            EventKind::SessionCompleted { .. } => Outcome::Paid,
            _ => Outcome::Unpaid,
        };
        self.apply(&tenant, &account, payment, session, outcome)
            .await
    }

    /// What a session came to, from Stripe's event or from asking Stripe.
    async fn apply(
        &self,
        tenant: &Tenant,
        account: &str,
        mut payment: Payment,
        session: &crate::adapters::stripe::CheckoutSession,
        outcome: Outcome,
    ) -> Result<Handled, AppError> {
        let now = self.clock.now();
        match outcome {
            Outcome::Paid => {
                if matches!(payment.state, PaymentState::Creating | PaymentState::Open) {
                    let before = payment.state;
                    let mut next = payment.clone();
                    next.state = PaymentState::Paid;
                    next.session = Some(session.id.clone());
                    next.payment_intent = session.payment_intent.clone();
                    next.url = None;
                    next.updated_at = now;
                    self.store.update_payment(&next, before, None, now).await?;
                    payment = self
                        .store
                        .payment(&payment.tenant, &payment.hold)
                        .await?
                        .unwrap_or(next);
                }
                if payment.state != PaymentState::Paid {
                    return Ok(Handled::Ignored);
                }
                self.settle_paid(tenant, account, &payment).await
            }
            Outcome::Unpaid => {
                if !matches!(payment.state, PaymentState::Creating | PaymentState::Open) {
                    return Ok(Handled::Ignored);
                }
                let before = payment.state;
                let mut next = payment.clone();
                next.state = PaymentState::Expired;
                next.url = None;
                next.updated_at = now;
                let notice = self.notice(tenant, &payment.hold, Stage::PaymentExpired, now);
                if self
                    .store
                    .update_payment(&next, before, Some(&notice), now)
                    .await?
                {
                    self.scheduler.release(&tenant.id, &payment.hold).await?;
                    Ok(Handled::Released)
                } else {
                    Ok(Handled::Ignored)
                }
            }
        }
    }

    /// Settles payments whose window ended a while ago without a word from Stripe (a lost
    /// webhook, a bridge down when it came): each session is asked for at Stripe and
    /// treated as its event would have been; one still open is closed first. How many
    /// were settled. Runs on the bridge's timer and on every cron tick.
    pub async fn settle_lapsed(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let lapsed = self.store.lapsed_payments(now - LAPSE_GRACE, 50).await?;
        let mut settled = 0;
        for payment in lapsed {
            let Some(tenant) = self.store.tenant(&payment.tenant).await? else {
                continue;
            };
            let Some(account) = tenant.payments.stripe_account.clone() else {
                continue;
            };
            let session = match &payment.session {
                Some(id) => self.stripe.retrieve_checkout(&account, id).await,
                // Never made (Stripe was down throughout): nothing can be paid.
                None => {
                    let empty = crate::adapters::stripe::CheckoutSession::unmade();
                    self.apply(&tenant, &account, payment, &empty, Outcome::Unpaid)
                        .await?;
                    settled += 1;
                    continue;
                }
            };
            let session = match session {
                Ok(s) if s.status.as_deref() == Some("open") => {
                    let key = format!("expire:{account}:{}", s.id);
                    match self.stripe.expire_checkout(&account, &s.id, &key).await {
                        Ok(closed) => closed,
                        Err(e) => {
                            tracing::warn!(tenant = %tenant.id, hold = %payment.hold, "a lapsed payment page could not be closed: {e}");
                            continue;
                        }
                    }
                }
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(tenant = %tenant.id, hold = %payment.hold, "a lapsed payment could not be looked up: {e}");
                    continue;
                }
            };
            let outcome = match (session.status.as_deref(), session.payment_status.as_deref()) {
                (Some("complete"), Some("paid")) => Outcome::Paid,
                // Complete but unpaid: a delayed method still settling; its event decides.
                (Some("complete"), _) => continue,
                _ => Outcome::Unpaid,
            };
            self.apply(&tenant, &account, payment, &session, outcome)
                .await?;
            settled += 1;
        }
        Ok(settled)
    }

    fn notice(&self, tenant: &Tenant, hold: &str, stage: Stage, now: DateTime<Utc>) -> HoldNotice {
        HoldNotice {
            reference: reference_for(hold),
            planned: lifecycle::plan_now(tenant, stage, now),
        }
    }

    /// A paid deposit: the booking it pays for is made, or the money goes back.
    async fn settle_paid(
        &self,
        tenant: &Tenant,
        account: &str,
        payment: &Payment,
    ) -> Result<Handled, AppError> {
        let id = &tenant.id;
        let Some(r) = self.store.reservation(id, &payment.hold).await? else {
            return Ok(Handled::Ignored);
        };
        if r.status == Status::Confirmed {
            // A replay, or a bridge that stopped before the receipt: issuing is idempotent.
            self.issue_receipt(tenant, payment).await?;
            return Ok(Handled::Ignored);
        }
        if let Some(moved) = &payment.moved_to {
            return self.settle_moved(tenant, account, payment, moved).await;
        }
        match self.scheduler.confirm_paid(id, &payment.hold).await? {
            Change::Done(_) => {
                self.issue_receipt(tenant, payment).await?;
                return Ok(Handled::Confirmed);
            }
            Change::NotFound => return Ok(Handled::Ignored),
            Change::HoldGone | Change::Taken(_) => {}
        }
        // The hold lapsed before the money came: the same slot, if it is still free.
        let again = self
            .scheduler
            .hold(
                id,
                &r.service,
                Some(&r.provider),
                r.start,
                &r.customer,
                &format!("paid:{}", payment.hold),
            )
            .await;
        if let Ok(HoldResult::Held(h)) = again {
            // The new booking carries the payment, so cancelling it later refunds it.
            let mut moved = payment.clone();
            moved.hold = h.id.clone();
            // The session stays with the first row, which Stripe's events find.
            moved.session = None;
            self.store.open_payment(&moved).await?;
            // Noted on the first row before the booking is made: a replay (or a bridge that
            // stopped here) finishes this booking instead of making another.
            let mut first = payment.clone();
            first.moved_to = Some(h.id.clone());
            first.updated_at = self.clock.now();
            self.store
                .update_payment(&first, PaymentState::Paid, None, first.updated_at)
                .await?;
            return self.settle_moved(tenant, account, &first, &h.id).await;
        }
        self.refund_in_full(tenant, account, payment).await
    }

    /// A paid deposit whose booking is (being) made on hold `moved`: it is confirmed once,
    /// with its receipt; if that hold lapsed too, the money goes back.
    async fn settle_moved(
        &self,
        tenant: &Tenant,
        account: &str,
        payment: &Payment,
        moved: &str,
    ) -> Result<Handled, AppError> {
        let id = &tenant.id;
        let (Some(carried), Some(booking)) = (
            self.store.payment(id, moved).await?,
            self.store.reservation(id, moved).await?,
        ) else {
            return Ok(Handled::Ignored);
        };
        if booking.status == Status::Confirmed {
            self.issue_receipt(tenant, &carried).await?;
            return Ok(Handled::Ignored);
        }
        match self.scheduler.confirm_paid(id, moved).await? {
            Change::Done(_) => {
                self.issue_receipt(tenant, &carried).await?;
                Ok(Handled::Rebooked)
            }
            _ => self.refund_in_full(tenant, account, payment).await,
        }
    }

    /// A booking cancelled: gives back `share` of its paid deposit (`None`: all that is
    /// left, as when the business cancels) through Stripe. What was refunded; `None` when
    /// no deposit was paid through Stripe for it. A refund Stripe refuses is logged for the
    /// operator and the booking stays cancelled.
    pub async fn refund_cancelled(
        &self,
        tenant: &TenantId,
        reference: &str,
        share: Option<&Money>,
    ) -> Result<Option<Money>, AppError> {
        let refunded = match self
            .refund_booking(tenant, reference, share, "cancel")
            .await
        {
            // Part was refunded by hand before: what is left goes back.
            Err(AppError::BadRequest(_)) => {
                self.refund_booking(tenant, reference, None, "cancel").await
            }
            other => other,
        };
        match refunded {
            Err(AppError::Unavailable(why)) => {
                tracing::error!(tenant = %tenant, reference, "the deposit was not refunded: {why}; refund it in Stripe's dashboard");
                Ok(share.cloned())
            }
            other => other,
        }
    }

    /// The payment of a booking, if its deposit went through Stripe.
    pub async fn of_booking(
        &self,
        tenant: &TenantId,
        reference: &str,
    ) -> Result<Option<Payment>, AppError> {
        let Some(r) = self.store.booking(tenant, reference).await? else {
            return Ok(None);
        };
        Ok(self.store.payment(tenant, &r.id).await?)
    }

    /// Gives back `amount` (`None`: all that is left) of a booking's paid deposit. `why`
    /// names the refund in its idempotency key with what was refunded before, so a retry
    /// of one refund is that refund and a second deliberate one is new. What was refunded;
    /// `None` when no deposit was paid through Stripe for the booking.
    pub async fn refund_booking(
        &self,
        tenant: &TenantId,
        reference: &str,
        amount: Option<&Money>,
        why: &str,
    ) -> Result<Option<Money>, AppError> {
        let Some(record) = self.store.tenant(tenant).await? else {
            return Ok(None);
        };
        let Some(account) = record.payments.stripe_account.clone() else {
            return Ok(None);
        };
        let Some(payment) = self.of_booking(tenant, reference).await? else {
            return Ok(None);
        };
        let Some(intent) = payment
            .payment_intent
            .clone()
            .filter(|_| matches!(payment.state, PaymentState::Paid | PaymentState::Refunded))
        else {
            return Ok(None);
        };
        let left = payment.amount.minor - payment.refunded_minor;
        let wanted = amount.map_or(left, |m| m.minor);
        if wanted > left {
            return Err(AppError::BadRequest(format!(
                "at most {left} (minor units) of this deposit is left to refund"
            )));
        }
        if wanted <= 0 {
            return Ok(Some(Money::new(0, &payment.amount.currency)));
        }
        let key = payment.refund_key(&account, &refund_what(why, &payment));
        let whole = wanted == payment.amount.minor;
        let refund = self
            .stripe
            .refund(
                &account,
                &intent,
                (!whole).then_some(wanted),
                tenant.as_str(),
                &payment.hold,
                &key,
            )
            .await
            .map_err(|e| AppError::Unavailable(format!("Stripe did not refund: {e}")))?;
        let status = RefundStatus::parse(&refund.status).unwrap_or(RefundStatus::Pending);
        if !status.gives_back() {
            return Err(AppError::Unavailable(format!(
                "Stripe did not refund: the refund is {}",
                refund.status
            )));
        }
        let now = self.clock.now();
        let mut next = payment.clone();
        next.state = PaymentState::Refunded;
        next.refunded_minor = payment.refunded_minor + refund.amount;
        next.refunds.push(RefundRecord {
            id: refund.id.clone(),
            amount_minor: refund.amount,
            status,
        });
        next.updated_at = now;
        self.store
            .update_payment(&next, payment.state, None, now)
            .await?;
        let given = Money::new(refund.amount, &payment.amount.currency);
        // A pending refund gets its credit note when Stripe says it went through.
        if status == RefundStatus::Succeeded {
            self.issue_credit_note(&record, &payment, &refund.id, &given)
                .await?;
        }
        Ok(Some(given))
    }

    /// A refund moved on at Stripe (its `refund.updated` or `refund.failed` event): one that
    /// went through gets its credit note; one that failed is taken off what was refunded,
    /// the customer told, and the operator warned (it can be refunded again by hand).
    async fn refund_changed(
        &self,
        event_account: Option<&str>,
        refund: &crate::adapters::stripe::Refund,
    ) -> Result<Handled, AppError> {
        let (Some(tenant), Some(hold)) = (
            refund.metadata.get("tenant_id"),
            refund.metadata.get("booking_id"),
        ) else {
            // Made outside Slotline (Stripe's dashboard): nothing of ours to track.
            return Ok(Handled::Ignored);
        };
        let tenant = TenantId(tenant.clone());
        let (Some(record), Some(payment)) = (
            self.store.tenant(&tenant).await?,
            self.store.payment(&tenant, hold).await?,
        ) else {
            return Ok(Handled::Ignored);
        };
        if event_account != record.payments.stripe_account.as_deref() {
            return Err(AppError::BadRequest(
                "the event's account is not this refund's business".into(),
            ));
        }
        let Some(status) = RefundStatus::parse(&refund.status) else {
            return Ok(Handled::Ignored);
        };
        let Some(known) = payment.refunds.iter().find(|r| r.id == refund.id).cloned() else {
            return Ok(Handled::Ignored);
        };
        // Only forward: a final status stays, and a repeat changes nothing.
        if known.status.is_final() || known.status == status {
            return Ok(Handled::Ignored);
        }
        let now = self.clock.now();
        let mut next = payment.clone();
        for r in &mut next.refunds {
            if r.id == refund.id {
                r.status = status;
            }
        }
        next.updated_at = now;
        let given = Money::new(known.amount_minor, &payment.amount.currency);
        if status.gives_back() {
            if !self
                .store
                .update_payment(&next, payment.state, None, now)
                .await?
            {
                return Ok(Handled::Ignored);
            }
            if status == RefundStatus::Succeeded {
                self.issue_credit_note(&record, &payment, &refund.id, &given)
                    .await?;
                return Ok(Handled::RefundSucceeded);
            }
            return Ok(Handled::Ignored);
        }
        next.refunded_minor = (payment.refunded_minor - known.amount_minor).max(0);
        let notice = self.notice(&record, &payment.hold, Stage::RefundFailed, now);
        if !self
            .store
            .update_payment(&next, payment.state, Some(&notice), now)
            .await?
        {
            return Ok(Handled::Ignored);
        }
        tracing::error!(tenant = %tenant, hold, refund = %refund.id, "a refund failed at Stripe; refund it again from the admin API or Stripe's dashboard");
        Ok(Handled::RefundFailed)
    }

    /// Gives the business a Stripe connected account if it has none (stored on the tenant)
    /// and a fresh link for its owner to finish onboarding; the account's status.
    pub async fn onboard(
        &self,
        tenant: &Tenant,
        return_url: &str,
        refresh_url: &str,
    ) -> Result<Onboarding, AppError> {
        let unavailable = |e: StripeError| AppError::Unavailable(format!("Stripe: {e}"));
        let account = match &tenant.payments.stripe_account {
            Some(id) => self.stripe.account(id).await.map_err(unavailable)?,
            None => {
                let country = country_of(tenant);
                let made = self
                    .stripe
                    .create_account(
                        tenant.id.as_str(),
                        &tenant.name,
                        country,
                        &format!("account:{}", tenant.id),
                    )
                    .await
                    .map_err(unavailable)?;
                let mut updated = tenant.clone();
                updated.payments.stripe_account = Some(made.id.clone());
                self.store.update_tenant(&updated).await?;
                made
            }
        };
        let now = self.clock.now();
        let link = self
            .stripe
            .onboarding_link(
                &account.id,
                return_url,
                refresh_url,
                // One link a minute at most: a double click gets the same one.
                &format!("link:{}:{}", account.id, now.timestamp() / 60),
            )
            .await
            .map_err(unavailable)?;
        Ok(Onboarding {
            status: account.status(),
            account: account.id,
            onboarding_url: Some(link.url),
        })
    }

    /// The business's connected account and its status at Stripe.
    pub async fn account_status(&self, tenant: &Tenant) -> Result<Onboarding, AppError> {
        let Some(id) = &tenant.payments.stripe_account else {
            return Err(AppError::NotFound(
                "a Stripe account for this business".into(),
            ));
        };
        let account = self
            .stripe
            .account(id)
            .await
            .map_err(|e| AppError::Unavailable(format!("Stripe: {e}")))?;
        Ok(Onboarding {
            status: account.status(),
            account: account.id,
            onboarding_url: None,
        })
    }

    /// The customer gave a held time back: a payment page still open is closed at Stripe,
    /// so it cannot be paid for a time no longer held (best effort: a payment that slips
    /// through is refunded as a late one).
    pub async fn hold_released(&self, tenant: &TenantId, hold: &str) -> Result<(), AppError> {
        let Some(payment) = self.store.payment(tenant, hold).await? else {
            return Ok(());
        };
        let (PaymentState::Open, Some(session)) = (payment.state, payment.session.clone()) else {
            return Ok(());
        };
        let Some(account) = self
            .store
            .tenant(tenant)
            .await?
            .and_then(|t| t.payments.stripe_account)
        else {
            return Ok(());
        };
        match self
            .stripe
            .expire_checkout(&account, &session, &format!("expire:{account}:{session}"))
            .await
        {
            Ok(_) => {
                let now = self.clock.now();
                let mut next = payment.clone();
                next.state = PaymentState::Expired;
                next.url = None;
                next.updated_at = now;
                self.store
                    .update_payment(&next, PaymentState::Open, None, now)
                    .await?;
            }
            Err(e) => tracing::warn!(tenant = %tenant, hold, "the payment page stays open: {e}"),
        }
        Ok(())
    }

    /// The receipt of a paid deposit (issued once per payment, whatever is replayed) and
    /// its message to the customer.
    async fn issue_receipt(
        &self,
        tenant: &Tenant,
        payment: &Payment,
    ) -> Result<Document, AppError> {
        let key = format!(
            "receipt:{}",
            payment.payment_intent.as_deref().unwrap_or(&payment.hold)
        );
        self.issue(
            tenant,
            &payment.hold,
            DocumentKind::Receipt,
            key,
            &payment.amount,
            payment.payment_intent.clone(),
            None,
        )
        .await
    }

    /// The credit note of refund `refund` (`re_…`) of `given` from `payment`, correcting
    /// its receipt (issued now if it was not yet), and its message to the customer.
    async fn issue_credit_note(
        &self,
        tenant: &Tenant,
        payment: &Payment,
        refund: &str,
        given: &Money,
    ) -> Result<Document, AppError> {
        // The receipt is there already but for payments older than receipts: issuing it
        // again would read the booking, customer and catalog only to find it.
        let issued = self
            .store
            .documents_of(&tenant.id, &payment.hold)
            .await?
            .into_iter()
            .find(|d| d.kind == DocumentKind::Receipt);
        let receipt = match issued {
            Some(receipt) => receipt,
            None => self.issue_receipt(tenant, payment).await?,
        };
        self.issue(
            tenant,
            &payment.hold,
            DocumentKind::CreditNote,
            format!("credit:{refund}"),
            given,
            Some(refund.to_owned()),
            Some(receipt.code()),
        )
        .await
    }

    /// The name customers know service `service` by (its id, if it is gone).
    async fn service_name(
        &self,
        tenant: &TenantId,
        service: &slotline_shared::catalog::ServiceId,
    ) -> Result<String, AppError> {
        Ok(self
            .store
            .services(tenant)
            .await?
            .into_iter()
            .find(|s| &s.id == service)
            .map_or_else(|| service.to_string(), |s| s.name))
    }

    /// Issues a document about the booking held as `hold`, written in its customer's
    /// language, and queues it to them in the same transaction.
    #[allow(clippy::too_many_arguments)]
    async fn issue(
        &self,
        tenant: &Tenant,
        hold: &str,
        kind: DocumentKind,
        key: String,
        amount: &Money,
        payment_reference: Option<String>,
        corrects: Option<String>,
    ) -> Result<Document, AppError> {
        let id = &tenant.id;
        let Some(r) = self.store.reservation(id, hold).await? else {
            return Err(AppError::NotFound(format!("booking {hold}")));
        };
        let reach = self.store.reach(id, &r.customer).await?;
        let lang = reach
            .language
            .filter(|l| tenant.languages.contains(l))
            .unwrap_or_else(|| slotline_shared::i18n::Lang::default_of(&tenant.languages));
        let service = self.service_name(id, &r.service).await?;
        let provider = self
            .store
            .providers(id)
            .await?
            .into_iter()
            .find(|p| p.id == r.provider)
            .map_or_else(|| r.provider.to_string(), |p| p.name);
        let local = r.start.with_timezone(&tenant.zone).naive_local();
        let when = slotline_shared::i18n::when(lang, local.date(), local.time());
        let now = self.clock.now();
        let reference = r.reference.clone().unwrap_or_else(|| reference_for(hold));
        let draft = Document {
            tenant: id.clone(),
            kind,
            number: 0,
            key,
            hold: hold.to_owned(),
            reference: reference.clone(),
            issued_at: now,
            zone: tenant.zone.name().to_owned(),
            lang,
            business: tenant.name.clone(),
            billing: tenant.billing.clone(),
            customer: r.customer.as_e164().to_owned(),
            description: crate::receipts::deposit_line(lang, &service, &provider, &when),
            amount: amount.clone(),
            tax: tenant
                .billing
                .as_ref()
                .and_then(|b| b.tax_basis_points)
                .map(|bp| TaxLine::included(amount.minor, bp)),
            payment_reference,
            corrects,
        };
        let stage = match kind {
            DocumentKind::Receipt => Stage::Receipt,
            DocumentKind::CreditNote => Stage::CreditNote,
        };
        let notice = HoldNotice {
            reference,
            planned: lifecycle::plan_now(tenant, stage, now),
        };
        Ok(self
            .store
            .issue_document(&draft, Some(&notice), now)
            .await?)
    }

    /// Gives a paid deposit back whole, and tells the customer why.
    async fn refund_in_full(
        &self,
        tenant: &Tenant,
        account: &str,
        payment: &Payment,
    ) -> Result<Handled, AppError> {
        let Some(intent) = payment.payment_intent.as_deref() else {
            tracing::error!(tenant = %tenant.id, hold = %payment.hold, "paid too late, and no PaymentIntent to refund");
            return Err(AppError::Unavailable(
                "the payment cannot be refunded yet".into(),
            ));
        };
        let refund = self
            .stripe
            .refund(
                account,
                intent,
                None,
                tenant.id.as_str(),
                &payment.hold,
                &payment.refund_key(account, "late"),
            )
            .await
            .map_err(|e| {
                // Stripe retries the event; the same key makes the same refund.
                tracing::warn!(tenant = %tenant.id, hold = %payment.hold, "refund not made yet: {e}");
                AppError::Unavailable("the refund could not be made yet".into())
            })?;
        let status = RefundStatus::parse(&refund.status).unwrap_or(RefundStatus::Pending);
        let now = self.clock.now();
        let mut next = payment.clone();
        next.state = PaymentState::Refunded;
        next.refunded_minor = if status.gives_back() {
            refund.amount
        } else {
            0
        };
        next.refunds.push(RefundRecord {
            id: refund.id.clone(),
            amount_minor: refund.amount,
            status,
        });
        next.updated_at = now;
        let notice = self.notice(tenant, &payment.hold, Stage::PaidTooLate, now);
        self.store
            .update_payment(&next, PaymentState::Paid, Some(&notice), now)
            .await?;
        if status == RefundStatus::Succeeded {
            // The money came and went: a receipt for it, and the credit note that cancels it.
            let given = Money::new(refund.amount, &payment.amount.currency);
            self.issue_credit_note(tenant, payment, &refund.id, &given)
                .await?;
        } else if !status.gives_back() {
            tracing::error!(tenant = %tenant.id, hold = %payment.hold, "a late payment's refund failed at Stripe; refund it by hand");
        }
        Ok(Handled::Refunded)
    }
}

/// What a refund's idempotency key names besides its payment: why, what was refunded
/// before, and (after refunds that failed) how many failed, so asking again after a failure
/// is a new refund and a retry of one is that one.
fn refund_what(why: &str, payment: &Payment) -> String {
    let failed = payment
        .refunds
        .iter()
        .filter(|r| !r.status.gives_back())
        .count();
    if failed == 0 {
        format!("{why}:{}", payment.refunded_minor)
    } else {
        format!("{why}:{}:after-{failed}-failed", payment.refunded_minor)
    }
}

/// A business's connected account as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Onboarding {
    /// `acct_…`.
    pub account: String,
    /// `pending`, `enabled` or `restricted`.
    pub status: &'static str,
    /// Where the owner finishes onboarding (when one was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onboarding_url: Option<String>,
}

/// The country Stripe should open the account in, from the business's time zone when it
/// names one plainly (Stripe asks the owner otherwise).
fn country_of(tenant: &Tenant) -> Option<&'static str> {
    let zone = tenant.zone.name();
    [
        ("Europe/Lisbon", "PT"),
        ("Europe/Madrid", "ES"),
        ("Atlantic/Canary", "ES"),
        ("America/Sao_Paulo", "BR"),
        ("Europe/London", "GB"),
        ("Europe/Paris", "FR"),
        ("Europe/Berlin", "DE"),
        ("America/New_York", "US"),
        ("America/Chicago", "US"),
        ("America/Denver", "US"),
        ("America/Los_Angeles", "US"),
        ("America/Mexico_City", "MX"),
    ]
    .into_iter()
    .find(|(z, _)| *z == zone)
    .map(|(_, c)| c)
}
