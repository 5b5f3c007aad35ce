//! The bridge put together from its settings: one [`AppState`] for the native binary and
//! the Spin component alike, so both serve the same bridge. What only a process with timers
//! does (sweeping holds, the dispatcher's own timer) is left to its caller.

use std::sync::Arc;
use std::time::Duration;

use crate::adapters::TwilioMessenger;
use crate::adapters::calcom::Calcom;
use crate::adapters::stripe::StripeClient;
use crate::adapters::twilio_setup::TwilioSetup;
use crate::auth::ReplayGuard;
use crate::config::Config;
use crate::dispatch::{DispatchSettings, Dispatcher};
use crate::payments::Payments;
use crate::ports::{Clock, HttpClient, Scheduler, Store};
use crate::receipts::LinkSigner;
use crate::routes::AppState;
use crate::routes::calcom::WebhookSettings;
use crate::scheduler::EmbeddedScheduler;

/// How long one Stripe call may take. A Checkout Session is made while the customer waits
/// for the reply to "confirm", inside the worker's few seconds; a slower Stripe leaves the
/// hold in place and the customer gets the link on their next message.
pub const STRIPE_TIMEOUT: Duration = Duration::from_millis(1_500);

/// The bridge's state from `config`, keeping its records in `store`, calling out through
/// `http`, telling time by `clock` and refusing replayed worker requests with `replay`.
pub fn assemble(
    config: &Config,
    store: Arc<dyn Store>,
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    replay: ReplayGuard,
) -> AppState {
    let calcom = config.calcom_api_url.as_ref().map(|url| {
        let per_minute = u32::try_from(config.calcom_per_minute).unwrap_or(u32::MAX);
        let client = Calcom::new(
            Arc::clone(&http),
            url,
            config.calcom_api_key.clone(),
            per_minute,
        );
        // Bridges sharing a store share Cal.com's budget and breaker through it.
        Arc::new(match store.call_gate(url, per_minute) {
            Some(gate) => client.with_gate(gate),
            None => client,
        })
    });
    let scheduler = Arc::new(match &calcom {
        Some(client) => EmbeddedScheduler::with_calcom(
            Arc::clone(&store),
            Arc::clone(&clock),
            Arc::clone(client),
        ),
        None => EmbeddedScheduler::new(Arc::clone(&store), Arc::clone(&clock)),
    });
    let calcom_webhooks = config.calcom_webhook_secret.clone().map(|secret| {
        Arc::new(WebhookSettings {
            secret,
            allow_unsigned: config.calcom_allow_unsigned,
        })
    });
    let documents = match (&config.public_url, &config.link_secret) {
        (Some(base), Some(secret)) => Some(LinkSigner::new(
            secret,
            base,
            chrono::Duration::seconds(i64::try_from(config.link_ttl_secs).unwrap_or(3600)),
        )),
        _ => None,
    };
    let dispatcher = (!config.twilio_tokens.is_empty()).then(|| {
        Arc::new(Dispatcher::new(
            Arc::clone(&store),
            Arc::new(TwilioMessenger::new(
                Arc::clone(&http),
                &config.twilio_api_url,
                &config.twilio_content_url,
                config.twilio_tokens.clone(),
            )),
            Arc::clone(&clock),
            DispatchSettings {
                lease: chrono::Duration::seconds(
                    i64::try_from(config.dispatch_lease_secs).unwrap_or(60),
                ),
                default_account: config.twilio_account_sid.clone(),
                status_callback: config.status_callback_url.clone(),
                documents: documents.clone(),
                ..DispatchSettings::default()
            },
        ))
    });
    let payments = config.stripe_secret_key.as_deref().map(|key| {
        Arc::new(Payments::new(
            StripeClient::new(
                Arc::clone(&http),
                &config.stripe_api_url,
                key,
                STRIPE_TIMEOUT,
            ),
            config.stripe_webhook_secret.clone(),
            Arc::clone(&store),
            Arc::clone(&scheduler) as Arc<dyn Scheduler>,
            Arc::clone(&clock),
        ))
    });
    // The platform's own Twilio account registers businesses' numbers.
    let senders = config
        .twilio_account_sid
        .as_ref()
        .and_then(|account| Some((account, config.twilio_tokens.get(account)?)))
        .map(|(account, token)| {
            let inbound = config.inbound_url.clone().or_else(|| {
                config
                    .status_callback_url
                    .as_deref()
                    .and_then(|u| u.strip_suffix("/status"))
                    .map(str::to_owned)
            });
            Arc::new(TwilioSetup::new(
                Arc::clone(&http),
                &config.twilio_messaging_url,
                &config.twilio_content_url,
                account,
                token,
                config.twilio_waba_id.clone(),
                inbound,
            ))
        });
    AppState {
        store,
        scheduler,
        clock,
        worker_secret: config
            .worker_secret
            .clone()
            .map(|s| Arc::from(s.into_bytes())),
        operator_key: config.operator_key.clone().map(Arc::from),
        replay: Arc::new(replay),
        dispatcher,
        calcom_webhooks,
        calcom,
        payments,
        documents: documents.map(Arc::new),
        accounts: Arc::new(crate::accounts::AccountSettings {
            session_idle: Duration::from_secs(config.session_idle_secs),
            signup_open: config.signup_open,
            shared_numbers: config.shared_numbers.clone(),
            reset_template: config.reset_template.clone(),
            per_address: config.auth_per_minute,
            trust_forwarded_for: config.trust_forwarded_for,
            secure_cookie: config
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            ..Default::default()
        }),
        senders,
        flow_keys: config
            .worker_secret
            .as_deref()
            .map(|s| Arc::new(crate::flows::keys::KeyRing::new(s.as_bytes()))),
    }
}
