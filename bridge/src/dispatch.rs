//! The dispatcher: sends due outbox messages, exactly once, at no more than each sender's
//! rate.
//!
//! Each pass claims due rows with a lease ([`Store::claim_due`]), so two bridges never send
//! the same row; a row whose sender died is claimed again once its lease runs out, and
//! because that sender may have got as far as Twilio, the new one first asks Twilio whether
//! the message went ([`Messenger::already_sent`]). Rows are grouped by sender and each
//! sender's rows go one after another, paced to its rate, all senders at once.
//!
//! What goes is decided at send time from the booking as it then stands: a cancelled or
//! moved booking's old reminder is never sent, an opted-out customer gets nothing, and
//! outside WhatsApp's 24-hour window only the tenant's approved template may go.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use crate::rt::Instant;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use slotline_shared::catalog::TenantId;
use slotline_shared::i18n::Lang;

use crate::lifecycle::{self, Facts};
use crate::model::{ProviderRecord, ServiceRecord, Stage, Status, Tenant};
use crate::ports::{Body, Messenger, Outgoing, SendError};
use crate::ports::{Clock, OutboxMessage, SendOutcome, Store, StoreResult};

/// How the dispatcher behaves.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long a claimed row is reserved for its sender.
    pub lease: Duration,
    /// Rows claimed per tenant per pass (about a second of sending at Twilio's default rate).
    pub per_tenant: usize,
    /// The Twilio account for tenants that name none.
    pub default_account: Option<String>,
    /// Messages per second per sender, unless the tenant sets its own.
    pub default_rate: u32,
    /// Where Twilio reports deliveries (the worker's `/webhooks/twilio/status`).
    pub status_callback: Option<String>,
    /// Attempts before a message that keeps failing transiently is given up.
    pub max_attempts: u32,
    /// Signs the links receipts and credit notes go out by; `None` (no
    /// `SLOTLINE_PUBLIC_URL`) cannot send them.
    pub documents: Option<crate::receipts::LinkSigner>,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            lease: Duration::seconds(60),
            per_tenant: 80,
            default_account: None,
            default_rate: 80,
            status_callback: None,
            max_attempts: 8,
            documents: None,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Accepted by Twilio.
    pub sent: usize,
    /// Found already sent by an earlier, interrupted attempt.
    pub recovered: usize,
    /// To be tried again later.
    pub retried: usize,
    /// Given up.
    pub failed: usize,
    /// Not sent on purpose.
    pub skipped: usize,
}

impl Report {
    fn add(&mut self, outcome: &SendOutcome) {
        match outcome {
            SendOutcome::Sent { via: RECOVERED, .. } => self.recovered += 1,
            SendOutcome::Sent { .. } => self.sent += 1,
            SendOutcome::Retry { .. } => self.retried += 1,
            SendOutcome::Failed { .. } => self.failed += 1,
            SendOutcome::Skipped { .. } => self.skipped += 1,
        }
    }

    fn merge(&mut self, other: Report) {
        self.sent += other.sent;
        self.recovered += other.recovered;
        self.retried += other.retried;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// A tenant's settings and catalog, loaded once per pass.
struct TenantData {
    tenant: Tenant,
    services: Vec<ServiceRecord>,
    providers: Vec<ProviderRecord>,
}

/// A claimed message with its tenant (`None` if the tenant is gone).
type Claimed = (OutboxMessage, Option<Arc<TenantData>>);

/// Sends the outbox.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    messenger: Arc<dyn Messenger>,
    clock: Arc<dyn Clock>,
    settings: DispatchSettings,
    /// Per sender number: the earliest moment its next message may go.
    pace: Mutex<HashMap<String, Instant>>,
    /// Per sender number, on a store bridges share: slots reserved there and not used yet.
    reserved: Mutex<HashMap<String, Reserved>>,
    /// One pass at a time in this process (the timer and `/internal/cron/tick`).
    running: tokio::sync::Mutex<()>,
    /// What every pass of this process did, added up (for `/metrics`).
    totals: Mutex<Report>,
    /// Set when the process is stopping: no new pass starts.
    stopping: std::sync::atomic::AtomicBool,
}

/// How many rows of one sender are settled together.
const SETTLE_EVERY: usize = 10;

/// Send slots reserved at once on a shared store: one round trip for this many messages.
const RESERVE_BLOCK: u32 = 10;

/// Send slots of one sender reserved on the shared store.
#[derive(Debug, Clone, Copy)]
struct Reserved {
    next: DateTime<Utc>,
    left: u32,
    gap: chrono::Duration,
}

impl Dispatcher {
    /// The Twilio account that sends for `tenant`: its own, or the platform's.
    fn account_for(&self, tenant: &Tenant) -> Option<String> {
        tenant
            .messaging
            .account_sid
            .clone()
            .or_else(|| self.settings.default_account.clone())
    }

    /// Sends one message at once, outside the outbox: a one-time code a person is waiting
    /// for, which is worthless if late and must never be sent twice by a retry. `template`
    /// is an approved template whose one variable is `text`'s code, used where configured
    /// (WhatsApp lets a business start a conversation only with a template).
    pub async fn send_now(
        &self,
        tenant: &Tenant,
        from: &slotline_shared::phone::PhoneNumber,
        to: &slotline_shared::phone::PhoneNumber,
        text: String,
        template: Option<(&str, &str)>,
    ) -> Result<String, SendError> {
        let account = self
            .account_for(tenant)
            .ok_or_else(|| SendError::NoAccount("no Twilio account is configured".into()))?;
        let lang = tenant.languages.first().copied().unwrap_or(Lang::En);
        let body = match template {
            Some((sid, code)) => Body::Template {
                sid: sid.to_owned(),
                variables: serde_json::json!({ "1": code }).to_string(),
            },
            None => Body::Session {
                reply: slotline_shared::render::Reply::text(text),
                lang,
            },
        };
        self.messenger
            .send(&Outgoing {
                account_sid: account,
                from: from.clone(),
                to: to.clone(),
                body,
                status_callback: None,
            })
            .await
    }
    /// A dispatcher over `store`, sending through `messenger`.
    pub fn new(
        store: Arc<dyn Store>,
        messenger: Arc<dyn Messenger>,
        clock: Arc<dyn Clock>,
        settings: DispatchSettings,
    ) -> Self {
        Self {
            store,
            messenger,
            clock,
            settings,
            pace: Mutex::new(HashMap::new()),
            reserved: Mutex::new(HashMap::new()),
            running: tokio::sync::Mutex::new(()),
            totals: Mutex::new(Report::default()),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// For a stopping process: lets the pass under way finish the batch it claimed (every
    /// message being sent is sent and recorded), and starts nothing more.
    pub async fn drain(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        drop(self.running.lock().await);
    }

    /// Everything this process's passes have done since it started.
    pub fn totals(&self) -> Report {
        *self.totals.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends everything due now, batch after batch, until nothing due is left.
    pub async fn tick(self: &Arc<Self>) -> StoreResult<Report> {
        let report = self.pass().await?;
        self.totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .merge(report);
        Ok(report)
    }

    /// Groups `claimed` by sender, reading the tenants not seen yet in this pass at once.
    async fn by_sender(
        &self,
        claimed: Vec<OutboxMessage>,
        tenants: &mut HashMap<TenantId, Option<Arc<TenantData>>>,
    ) -> StoreResult<HashMap<String, Vec<Claimed>>> {
        let mut new: Vec<TenantId> = claimed
            .iter()
            .map(|m| m.tenant.clone())
            .filter(|t| !tenants.contains_key(t))
            .collect();
        new.sort();
        new.dedup();
        let loaded =
            futures_util::future::try_join_all(new.iter().map(|t| self.load_tenant(t))).await?;
        tenants.extend(new.into_iter().zip(loaded));
        let mut groups: HashMap<String, Vec<Claimed>> = HashMap::new();
        for m in claimed {
            let data = tenants.get(&m.tenant).cloned().flatten();
            let sender = data
                .as_ref()
                .and_then(|d| d.tenant.sender())
                .map_or_else(String::new, |s| s.as_e164().to_owned());
            groups.entry(sender).or_default().push((m, data));
        }
        Ok(groups)
    }

    async fn claim(&self) -> StoreResult<Vec<OutboxMessage>> {
        self.store
            .claim_due(
                self.clock.now(),
                self.settings.lease,
                self.settings.per_tenant,
            )
            .await
    }

    #[cfg(feature = "native")]
    async fn pass(self: &Arc<Self>) -> StoreResult<Report> {
        use crate::ports::StoreError;
        let _one = self.running.lock().await;
        let mut report = Report::default();
        let mut tenants: HashMap<TenantId, Option<Arc<TenantData>>> = HashMap::new();
        // The next batch, claimed while the last quarter of the current one goes out, so
        // senders do not pause while a claim runs.
        let mut next: Option<tokio::task::JoinHandle<StoreResult<Vec<OutboxMessage>>>> = None;
        loop {
            let claimed = match next.take() {
                // Claimed already: it is sent even by a stopping process.
                Some(claim) => claim
                    .await
                    .map_err(|e| StoreError::backend(format!("a claim task failed: {e}")))??,
                // A stopping process finishes the batch it claimed, and claims no other.
                None if self.stopping.load(std::sync::atomic::Ordering::SeqCst) => {
                    return Ok(report);
                }
                None => self.claim().await?,
            };
            if claimed.is_empty() {
                return Ok(report);
            }
            let total = claimed.len();
            let left = Arc::new(std::sync::atomic::AtomicUsize::new(total));
            // Each sender's messages go in order, all senders at once.
            let groups = self.by_sender(claimed, &mut tenants).await?;
            let mut tasks = tokio::task::JoinSet::new();
            for (sender, rows) in groups {
                let me = Arc::clone(self);
                let sender = Some(sender).filter(|s| !s.is_empty());
                let left = Arc::clone(&left);
                tasks.spawn(async move { me.send_group(sender, rows, &left).await });
            }
            let mut watch = tokio::time::interval(StdDuration::from_millis(20));
            loop {
                tokio::select! {
                    done = tasks.join_next() => match done {
                        None => break,
                        Some(Ok(Ok(r))) => report.merge(r),
                        Some(Ok(Err(e))) => return Err(e),
                        Some(Err(e)) => tracing::error!("a sender task failed: {e}"),
                    },
                    _ = watch.tick(), if next.is_none() => {
                        let nearly_done = left.load(std::sync::atomic::Ordering::Relaxed) * 4 <= total;
                        if nearly_done && !self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                            let me = Arc::clone(self);
                            next = Some(tokio::spawn(async move { me.claim().await }));
                        }
                    }
                }
            }
        }
    }

    /// A pass in a component (one thread, no tokio): each sender's messages in order, all
    /// senders at once on this task; the next batch is claimed when this one is done.
    #[cfg(not(feature = "native"))]
    async fn pass(self: &Arc<Self>) -> StoreResult<Report> {
        let _one = self.running.lock().await;
        let mut report = Report::default();
        let mut tenants: HashMap<TenantId, Option<Arc<TenantData>>> = HashMap::new();
        loop {
            if self.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(report);
            }
            let claimed = self.claim().await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            let left = std::sync::atomic::AtomicUsize::new(claimed.len());
            let groups = self.by_sender(claimed, &mut tenants).await?;
            let sent = futures_util::future::join_all(groups.into_iter().map(|(sender, rows)| {
                let sender = Some(sender).filter(|s| !s.is_empty());
                self.send_group(sender, rows, &left)
            }))
            .await;
            for outcome in sent {
                report.merge(outcome?);
            }
        }
    }

    /// Runs passes every `every` until the process stops.
    #[cfg(feature = "native")]
    pub async fn run(self: Arc<Self>, every: StdDuration) {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            match self.tick().await {
                Ok(r) if r == Report::default() => {}
                Ok(r) => tracing::info!(?r, "dispatched lifecycle messages"),
                Err(e) => tracing::warn!("dispatching failed: {e}"),
            }
        }
    }

    async fn load_tenant(&self, id: &TenantId) -> StoreResult<Option<Arc<TenantData>>> {
        let Some(tenant) = self.store.tenant(id).await? else {
            return Ok(None);
        };
        Ok(Some(Arc::new(TenantData {
            services: self.store.services(id).await?,
            providers: self.store.providers(id).await?,
            tenant,
        })))
    }

    async fn send_group(
        &self,
        sender: Option<String>,
        rows: Vec<Claimed>,
        left: &std::sync::atomic::AtomicUsize,
    ) -> StoreResult<Report> {
        let mut report = Report::default();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            // Their outcomes settled together.
            let chunk: Vec<Claimed> = rows.by_ref().take(SETTLE_EVERY).collect();
            let mut results = Vec::new();
            for (m, data) in chunk {
                let outcome = match data {
                    Some(data) => self.send_one(&m, &data).await?,
                    None => SendOutcome::Skipped {
                        detail: "the tenant no longer exists".into(),
                    },
                };
                report.add(&outcome);
                results.push((m.id, outcome));
                left.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
            self.store.settle(&results, self.clock.now()).await?;
        }
        if let Some(sender) = sender {
            self.give_back(&sender).await;
        }
        Ok(report)
    }

    /// Gives the slots this bridge reserved for `sender` and did not use back to the store,
    /// so the other bridges can send in them.
    async fn give_back(&self, sender: &str) {
        let unused = self
            .reserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(sender);
        let Some(r) = unused.filter(|r| r.left > 0) else {
            return;
        };
        let until = r.next + r.gap * i32::try_from(r.left).unwrap_or(i32::MAX);
        if let Err(e) = self.store.release_sends(sender, r.next, until).await {
            // They lapse: the sender goes a little slower for a moment, never faster.
            tracing::warn!(error = %e, "unused send slots not given back");
        }
    }

    /// Decides what `m` should be now and sends it.
    async fn send_one(&self, m: &OutboxMessage, data: &TenantData) -> StoreResult<SendOutcome> {
        let now = self.clock.now();
        let tenant = &data.tenant;
        let skip = |detail: &str| {
            Ok(SendOutcome::Skipped {
                detail: detail.to_owned(),
            })
        };
        if !tenant.reminders.enabled(m.stage) {
            return skip("this message is switched off");
        }
        // Read just before the send, one message at a time: reads spread over the sender's
        // pace cost nothing, while a burst of them at once would make every sender late.
        let reach = self.store.reach(&tenant.id, &m.customer).await?;
        if reach.opted_out {
            return skip("the customer opted out");
        }
        let booking = match &m.reference {
            Some(reference) => self.store.booking(&tenant.id, reference).await?,
            None => None,
        };
        let Some(booking) = booking else {
            return skip("the booking no longer exists");
        };
        let fitting = match m.stage {
            Stage::Confirmation | Stage::DayBefore | Stage::ShortlyBefore | Stage::Moved => {
                booking.status == Status::Confirmed && booking.start > now
            }
            Stage::CancelledByBusiness => booking.status == Status::Cancelled,
            Stage::FollowUp | Stage::ReEngage => booking.status == Status::Confirmed,
            Stage::NoShow => booking.status == Status::NoShow,
            Stage::Paid => booking.status == Status::Confirmed,
            // About a hold that never became a booking.
            Stage::PaymentExpired | Stage::PaidTooLate => {
                matches!(booking.status, Status::Held | Status::Released)
            }
            // Money moved whatever became of the booking since.
            Stage::Receipt | Stage::CreditNote | Stage::RefundFailed => true,
        };
        if !fitting {
            return skip("the booking changed; this message no longer applies");
        }
        let lang = reach
            .language
            .filter(|l| tenant.languages.contains(l))
            .unwrap_or_else(|| Lang::default_of(&tenant.languages));
        let facts = Facts {
            business: tenant.name.clone(),
            service: data
                .services
                .iter()
                .find(|s| s.id == booking.service)
                .map_or_else(|| booking.service.to_string(), |s| s.name.clone()),
            provider: data
                .providers
                .iter()
                .find(|p| p.id == booking.provider)
                .map_or_else(|| booking.provider.to_string(), |p| p.name.clone()),
            local_start: booking.start.with_timezone(&tenant.zone).naive_local(),
            reference: m.reference.clone().unwrap_or_default(),
        };
        let Some(from) = tenant.sender().cloned() else {
            return Ok(SendOutcome::Failed {
                error_code: None,
                detail: "the tenant has no WhatsApp number to send from".into(),
            });
        };
        let Some(account) = self.account_for(tenant) else {
            return Ok(SendOutcome::Failed {
                error_code: None,
                detail: "no Twilio account is configured for this tenant".into(),
            });
        };
        // The window is measured from the last message the worker reported; it reports at
        // most every few minutes, so the window is taken to close a little early.
        let in_window = !m.template_only
            && reach
                .seen_at
                .is_some_and(|seen| now < seen + Duration::hours(24) - Duration::minutes(1));
        let template = template_for(tenant, m.stage, lang).map(|sid| Body::Template {
            // A template the dashboard submitted numbers its variables as they appear in
            // it; one entered by hand follows the fixed order.
            variables: match tenant
                .template_requests
                .iter()
                .find(|r| r.content_sid == sid)
            {
                Some(r) => lifecycle::variables_in(lang, &facts, &r.fields),
                None => lifecycle::variables(lang, &facts),
            },
            sid: sid.to_owned(),
        });
        let media = match m.stage {
            Stage::Receipt | Stage::CreditNote => {
                match self
                    .document_link(tenant, &booking.id, m.stage, now)
                    .await?
                {
                    Ok(link) => Some(link),
                    Err(why) => return skip(why),
                }
            }
            _ => None,
        };
        let body = if in_window {
            let mut reply = lifecycle::render(m.stage, lang, &facts);
            reply.media_url = media.clone();
            Body::Session { reply, lang }
        } else {
            match template.clone() {
                Some(t) => t,
                None => {
                    return skip(
                        "outside the 24-hour window and no approved template for this message",
                    );
                }
            }
        };
        let mut outgoing = Outgoing {
            account_sid: account,
            from,
            to: m.customer.clone(),
            body,
            status_callback: self.settings.status_callback.clone(),
        };
        let rate = tenant
            .messaging
            .rate_per_sec
            .unwrap_or(self.settings.default_rate);
        if let Some(since) = m.in_doubt_since {
            // An earlier attempt may have reached Twilio: look before sending again.
            match self.messenger.already_sent(&outgoing, since).await {
                Ok(Some(sid)) => {
                    return Ok(SendOutcome::Sent {
                        sid,
                        via: RECOVERED,
                    });
                }
                Ok(None) => {}
                Err(e) => return Ok(self.failure(m, e, now)),
            }
        }
        self.wait_turn(outgoing.from.as_e164(), rate).await;
        let via = via_of(&outgoing.body);
        match self.messenger.send(&outgoing).await {
            Ok(sid) => Ok(SendOutcome::Sent { sid, via }),
            Err(SendError::OutsideWindow) if via == "session" => match template {
                // The window had closed after all: the template instead.
                Some(t) => {
                    outgoing.body = t;
                    self.wait_turn(outgoing.from.as_e164(), rate).await;
                    match self.messenger.send(&outgoing).await {
                        Ok(sid) => Ok(SendOutcome::Sent {
                            sid,
                            via: "template",
                        }),
                        Err(e) => Ok(self.failure(m, e, now)),
                    }
                }
                None => Ok(SendOutcome::Failed {
                    error_code: Some(63016),
                    detail: "outside the 24-hour window and no approved template for this message"
                        .into(),
                }),
            },
            Err(e) => Ok(self.failure(m, e, now)),
        }
    }

    /// The signed link to the newest document of the kind `stage` sends, for the booking
    /// held as `hold`; why not, when there is none to send.
    async fn document_link(
        &self,
        tenant: &Tenant,
        hold: &str,
        stage: Stage,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<String, &'static str>> {
        let Some(signer) = &self.settings.documents else {
            return Ok(Err(
                "documents need SLOTLINE_PUBLIC_URL: Twilio fetches them from the bridge",
            ));
        };
        let kind = match stage {
            Stage::CreditNote => crate::model::DocumentKind::CreditNote,
            _ => crate::model::DocumentKind::Receipt,
        };
        let newest = self
            .store
            .documents_of(&tenant.id, hold)
            .await?
            .into_iter()
            .filter(|d| d.kind == kind)
            .max_by_key(|d| d.number);
        Ok(match newest {
            Some(d) => Ok(signer.link(&tenant.id, &d.code(), now)),
            None => Err("no document was issued for this booking"),
        })
    }

    fn failure(&self, m: &OutboxMessage, e: SendError, now: DateTime<Utc>) -> SendOutcome {
        match e {
            SendError::Transient {
                code,
                detail,
                retry_after,
            } if m.attempts < self.settings.max_attempts => {
                let wait = retry_after
                    .and_then(|d| Duration::from_std(d).ok())
                    .unwrap_or_else(|| backoff(m.attempts));
                SendOutcome::Retry {
                    at: now + wait,
                    error_code: code,
                    detail,
                }
            }
            SendError::Transient { code, detail, .. } | SendError::Permanent { code, detail } => {
                SendOutcome::Failed {
                    error_code: code,
                    detail,
                }
            }
            SendError::OutsideWindow => SendOutcome::Failed {
                error_code: Some(63016),
                detail: "outside the 24-hour window".into(),
            },
            SendError::NoAccount(account) => SendOutcome::Failed {
                error_code: None,
                detail: format!("no auth token for Twilio account {account} (TWILIO_AUTH_TOKENS)"),
            },
        }
    }

    /// Waits for `sender`'s next slot: messages go at least `1/rate` seconds apart, so no
    /// second ever holds more than `rate` of them. On a store several bridges share, the
    /// slots are taken from the store, so the rate holds for all of them together.
    async fn wait_turn(&self, sender: &str, rate: u32) {
        let gap = StdDuration::from_secs_f64(1.0 / f64::from(rate.max(1)));
        let shared_gap = chrono::Duration::from_std(gap).unwrap_or(chrono::Duration::MAX);
        match self.shared_slot(sender, shared_gap).await {
            Ok(Some(at)) => {
                if let Ok(wait) = (at - self.clock.now()).to_std() {
                    crate::rt::sleep(wait).await;
                }
                return;
            }
            Ok(None) => {}
            // Paced here alone for now; the others keep to their own share.
            Err(e) => tracing::warn!(error = %e, "shared send pacing unavailable"),
        }
        let at = {
            let mut pace = self.pace.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let next = pace.entry(sender.to_owned()).or_insert(now);
            let at = (*next).max(now);
            *next = at + gap;
            at
        };
        crate::rt::sleep_until(at).await;
    }
}

impl Dispatcher {
    /// The next of `sender`'s slots reserved on a shared store, reserving a block when none
    /// is left; `None` on a store only this process uses. A slot whose moment has passed is
    /// dropped rather than used late: another bridge may be sending in the slots after it.
    async fn shared_slot(
        &self,
        sender: &str,
        gap: chrono::Duration,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let now = self.clock.now();
        {
            let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = reserved.get_mut(sender) {
                while r.left > 0 && r.gap == gap && r.next < now {
                    r.next += r.gap;
                    r.left -= 1;
                }
                if r.left > 0 && r.gap == gap {
                    let at = r.next;
                    r.next += r.gap;
                    r.left -= 1;
                    return Ok(Some(at));
                }
            }
        }
        let Some(first) = self
            .store
            .reserve_sends(sender, RESERVE_BLOCK, gap, now)
            .await?
        else {
            return Ok(None);
        };
        self.reserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                sender.to_owned(),
                Reserved {
                    next: first + gap,
                    left: RESERVE_BLOCK - 1,
                    gap,
                },
            );
        Ok(Some(first))
    }
}

/// Marks a message found already sent (not counted as a new send).
const RECOVERED: &str = "recovered";

fn via_of(body: &Body) -> &'static str {
    match body {
        Body::Session { .. } => "session",
        Body::Template { .. } => "template",
    }
}

/// The tenant's approved template for `stage` in `lang`, else in its default language.
fn template_for(tenant: &Tenant, stage: Stage, lang: Lang) -> Option<&str> {
    let by_lang = tenant.reminders.templates.get(&stage)?;
    by_lang
        .get(&lang)
        .or_else(|| by_lang.get(&Lang::default_of(&tenant.languages)))
        .map(String::as_str)
}

/// Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 10 minutes.
fn backoff(attempts: u32) -> Duration {
    let base = 2_i64.saturating_pow(attempts.clamp(1, 12)).min(600);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        i64::from(byte[0]) * base * 250 / 255 // up to +25%
    } else {
        0
    };
    Duration::milliseconds(base * 1000 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::seconds(2) && backoff(1) <= Duration::milliseconds(2500));
        assert!(backoff(3) >= Duration::seconds(8));
        assert!(backoff(30) <= Duration::seconds(750));
    }
}
