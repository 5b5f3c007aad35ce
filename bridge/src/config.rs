//! The bridge's settings, read once from the environment at start.
//!
//! Every external service is reached through a base URL from here, so a test or a staging
//! deployment can point the bridge at stand-ins. The README lists each variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use thiserror::Error;

/// Everything the bridge needs to start. Its `Debug` shows every setting but the secrets,
/// which print as `[redacted]`, so a logged configuration leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the HTTP server listens (`SLOTLINE_BRIDGE_ADDR`, default `127.0.0.1:8788`; port
    /// 0 lets the system pick a free one).
    pub listen: SocketAddr,
    /// A file the bridge writes the address it listens on to, once it does
    /// (`SLOTLINE_ADDR_FILE`): how a supervisor or test learns the port picked for port 0.
    pub addr_file: Option<PathBuf>,
    /// Where the data lives (`SLOTLINE_DATABASE`): a SQLite file (default
    /// `$XDG_DATA_HOME/slotline/slotline.db`, else `~/.local/share/slotline/slotline.db`) or
    /// a `postgres://` URL.
    pub database: Database,
    /// Twilio's REST API (`TWILIO_API_URL`, default `https://api.twilio.com`).
    pub twilio_api_url: String,
    /// A self-hosted Cal.com API (`CALCOM_API_URL`); unset means the built-in engine schedules.
    pub calcom_api_url: Option<String>,
    /// The secret the worker signs its calls with (`SLOTLINE_WORKER_SECRET`, at least 16
    /// characters); unset disables the worker API.
    pub worker_secret: Option<String>,
    /// The platform operator's admin key (`SLOTLINE_OPERATOR_KEY`, at least 16 characters);
    /// unset means tenants can only be created by seeding.
    pub operator_key: Option<String>,
    /// Create the demo salon at start if it does not exist (`SLOTLINE_SEED_DEMO=1`).
    pub seed_demo: bool,
    /// Twilio's Content API (`TWILIO_CONTENT_URL`, default `https://content.twilio.com`).
    pub twilio_content_url: String,
    /// Twilio's Senders API (`TWILIO_MESSAGING_URL`, default `https://messaging.twilio.com`),
    /// where businesses' own WhatsApp numbers are registered.
    pub twilio_messaging_url: String,
    /// The platform's WhatsApp Business Account id (`TWILIO_WABA_ID`) new senders join;
    /// unset leaves it to Twilio's default for the account.
    pub twilio_waba_id: Option<String>,
    /// The worker's Twilio webhook (`SLOTLINE_INBOUND_URL`) a newly registered number sends
    /// its customers' messages to; unset, `SLOTLINE_STATUS_CALLBACK_URL` without its
    /// `/status`.
    pub inbound_url: Option<String>,
    /// The Twilio account for tenants that name none (`TWILIO_ACCOUNT_SID`).
    pub twilio_account_sid: Option<String>,
    /// Auth tokens by `AccountSid`: `TWILIO_AUTH_TOKENS` (JSON object), plus
    /// `TWILIO_AUTH_TOKEN` for `TWILIO_ACCOUNT_SID`. Empty means no lifecycle messages.
    pub twilio_tokens: std::collections::HashMap<String, String>,
    /// Where Twilio reports deliveries of the bridge's messages
    /// (`SLOTLINE_STATUS_CALLBACK_URL`, normally the worker's `/webhooks/twilio/status`).
    pub status_callback_url: Option<String>,
    /// Seconds between dispatcher passes (`SLOTLINE_DISPATCH_EVERY_SECS`, default 5; 0
    /// turns the timer off, leaving `POST /internal/cron/tick`).
    pub dispatch_every_secs: u64,
    /// Seconds a claimed message is reserved for its sender before another may take it
    /// over (`SLOTLINE_DISPATCH_LEASE_SECS`, default 60).
    pub dispatch_lease_secs: u64,
    /// Cal.com API key (`CALCOM_API_KEY`, `cal_…`); unset calls anonymously, which Cal.com
    /// allows for slots and bookings.
    pub calcom_api_key: Option<String>,
    /// The secret Cal.com signs webhooks with (`CALCOM_WEBHOOK_SECRET`); unset refuses them.
    pub calcom_webhook_secret: Option<String>,
    /// Accept Cal.com webhooks registered without a secret (`CALCOM_ALLOW_UNSIGNED_WEBHOOKS=1`).
    pub calcom_allow_unsigned: bool,
    /// Cal.com calls per minute at most (`CALCOM_REQUESTS_PER_MINUTE`, default 110, under
    /// Cal.com's own 120).
    pub calcom_per_minute: u64,
    /// Stripe's API base (`STRIPE_API_URL`, default `https://api.stripe.com`).
    pub stripe_api_url: String,
    /// The platform's Stripe secret key (`STRIPE_SECRET_KEY`); unset, deposits are only
    /// mentioned to customers, never taken.
    pub stripe_secret_key: Option<String>,
    /// The signing secret of the Connect webhook endpoint (`STRIPE_WEBHOOK_SECRET`,
    /// `whsec_…`); unset, Stripe's webhooks are refused.
    pub stripe_webhook_secret: Option<String>,
    /// `SLOTLINE_PUBLIC_URL`: where the internet (Twilio) reaches this bridge; receipts
    /// and credit notes are sent as links under it. Unset, they are kept and downloadable
    /// from the admin API but not sent.
    pub public_url: Option<String>,
    /// `SLOTLINE_LINK_SECRET`: signs those links (at least 16 characters; the same on every
    /// bridge behind one URL). Required with `SLOTLINE_PUBLIC_URL`.
    pub link_secret: Option<String>,
    /// `SLOTLINE_LINK_TTL_SECS`: how long a document link works (default 3600; Twilio
    /// fetches it within seconds, WhatsApp keeps its own copy).
    pub link_ttl_secs: u64,
    /// `SLOTLINE_SESSION_IDLE_SECS`: how long a dashboard session lasts unused (default
    /// 43200, 12 hours; 5 to 2592000).
    pub session_idle_secs: u64,
    /// `SLOTLINE_SIGNUP`: `open` (default) lets anyone sign a business up at `/app`;
    /// `closed` leaves creating businesses to the operator.
    pub signup_open: bool,
    /// `SLOTLINE_SHARED_NUMBERS`: the platform's shared WhatsApp numbers (E.164, comma
    /// separated) a new business may join with a keyword; empty by default.
    pub shared_numbers: Vec<slotline_shared::phone::PhoneNumber>,
    /// `SLOTLINE_RESET_TEMPLATE`: the approved WhatsApp template (`HX…`, an authentication
    /// template whose `{{1}}` is the code) password-reset codes go out as. Unset, they go
    /// as a plain message, which WhatsApp delivers only to someone who wrote to the number
    /// in the last 24 hours.
    pub reset_template: Option<String>,
    /// `SLOTLINE_AUTH_PER_MINUTE`: sign-ins, sign-ups, reset requests and joins one client
    /// address may make a minute (default 30; 1 to 100000).
    pub auth_per_minute: u32,
    /// `SLOTLINE_TRUST_FORWARDED_FOR`: `1` counts attempts by the first address of
    /// `X-Forwarded-For` (set it only behind a proxy that writes that header).
    pub trust_forwarded_for: bool,
}

/// Where the bridge keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// One SQLite file, for one bridge.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`), which several
    /// bridges may share.
    Postgres(String),
}

impl Database {
    /// For logs and messages: the file, or the URL with any password hidden.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => hide_password(url),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `postgres://ana:secret@db/x` as `postgres://ana:[redacted]@db/x`.
/// Whether `database` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "[redacted]");
        let accounts: Vec<&String> = self.twilio_tokens.keys().collect();
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("addr_file", &self.addr_file)
            .field("database", &self.database)
            .field("twilio_api_url", &self.twilio_api_url)
            .field("calcom_api_url", &self.calcom_api_url)
            .field("worker_secret", &hidden(&self.worker_secret))
            .field("operator_key", &hidden(&self.operator_key))
            .field("seed_demo", &self.seed_demo)
            .field("twilio_content_url", &self.twilio_content_url)
            .field("twilio_messaging_url", &self.twilio_messaging_url)
            .field("twilio_waba_id", &self.twilio_waba_id)
            .field("inbound_url", &self.inbound_url)
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field("twilio_tokens (accounts only)", &accounts)
            .field("status_callback_url", &self.status_callback_url)
            .field("dispatch_every_secs", &self.dispatch_every_secs)
            .field("dispatch_lease_secs", &self.dispatch_lease_secs)
            .field("calcom_api_key", &hidden(&self.calcom_api_key))
            .field(
                "calcom_webhook_secret",
                &hidden(&self.calcom_webhook_secret),
            )
            .field("calcom_allow_unsigned", &self.calcom_allow_unsigned)
            .field("calcom_per_minute", &self.calcom_per_minute)
            .field("session_idle_secs", &self.session_idle_secs)
            .field("signup_open", &self.signup_open)
            .field("shared_numbers", &self.shared_numbers)
            .field("reset_template", &self.reset_template)
            .field("auth_per_minute", &self.auth_per_minute)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .finish()
    }
}

/// A setting that is present but unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The value cannot be parsed.
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid {
        /// The environment variable.
        name: &'static str,
        /// What it held.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// No database path was given and there is no home folder to put the default under.
    #[error("SLOTLINE_DATABASE is not set and neither XDG_DATA_HOME nor HOME is")]
    NoDataFolder,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the settings through `lookup`, which returns a variable's value if it is set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let listen = match lookup("SLOTLINE_BRIDGE_ADDR") {
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                name: "SLOTLINE_BRIDGE_ADDR",
                value,
                expected: "an address and port such as 127.0.0.1:8788",
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8788)),
        };
        let database = match lookup("SLOTLINE_DATABASE") {
            Some(url) if is_postgres_url(&url) => Database::Postgres(url),
            Some(path) => Database::Sqlite(PathBuf::from(path)),
            None => Database::Sqlite(
                lookup("XDG_DATA_HOME")
                    .map(PathBuf::from)
                    .or_else(|| lookup("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                    .ok_or(ConfigError::NoDataFolder)?
                    .join("slotline/slotline.db"),
            ),
        };
        let url = |name: &'static str| -> Result<Option<String>, ConfigError> {
            lookup(name).map(|v| base_url(name, v)).transpose()
        };
        Ok(Self {
            listen,
            addr_file: lookup("SLOTLINE_ADDR_FILE").map(PathBuf::from),
            database,
            twilio_api_url: url("TWILIO_API_URL")?
                .unwrap_or_else(|| "https://api.twilio.com".into()),
            calcom_api_url: url("CALCOM_API_URL")?,
            worker_secret: secret(&lookup, "SLOTLINE_WORKER_SECRET")?,
            operator_key: secret(&lookup, "SLOTLINE_OPERATOR_KEY")?,
            twilio_content_url: url("TWILIO_CONTENT_URL")?
                .unwrap_or_else(|| "https://content.twilio.com".into()),
            twilio_messaging_url: url("TWILIO_MESSAGING_URL")?
                .unwrap_or_else(|| "https://messaging.twilio.com".into()),
            twilio_waba_id: lookup("TWILIO_WABA_ID").filter(|w| !w.trim().is_empty()),
            inbound_url: url("SLOTLINE_INBOUND_URL")?,
            twilio_account_sid: lookup("TWILIO_ACCOUNT_SID"),
            twilio_tokens: {
                let mut tokens: std::collections::HashMap<String, String> =
                    match lookup("TWILIO_AUTH_TOKENS") {
                        Some(json) => {
                            serde_json::from_str(&json).map_err(|_| ConfigError::Invalid {
                                name: "TWILIO_AUTH_TOKENS",
                                value: "(hidden)".into(),
                                expected: "a JSON object of AccountSid to auth token",
                            })?
                        }
                        None => Default::default(),
                    };
                if let (Some(sid), Some(token)) =
                    (lookup("TWILIO_ACCOUNT_SID"), lookup("TWILIO_AUTH_TOKEN"))
                {
                    tokens.insert(sid, token);
                }
                tokens
            },
            status_callback_url: url("SLOTLINE_STATUS_CALLBACK_URL")?,
            dispatch_every_secs: seconds(&lookup, "SLOTLINE_DISPATCH_EVERY_SECS", 5)?,
            dispatch_lease_secs: match seconds(&lookup, "SLOTLINE_DISPATCH_LEASE_SECS", 60)? {
                0 => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_DISPATCH_LEASE_SECS",
                        value: "0".into(),
                        expected: "at least 1",
                    });
                }
                n => n,
            },
            calcom_api_key: lookup("CALCOM_API_KEY"),
            calcom_webhook_secret: lookup("CALCOM_WEBHOOK_SECRET"),
            calcom_allow_unsigned: flag(&lookup, "CALCOM_ALLOW_UNSIGNED_WEBHOOKS")?,
            calcom_per_minute: match seconds(&lookup, "CALCOM_REQUESTS_PER_MINUTE", 110)? {
                0 => {
                    return Err(ConfigError::Invalid {
                        name: "CALCOM_REQUESTS_PER_MINUTE",
                        value: "0".into(),
                        expected: "at least 1",
                    });
                }
                n => n,
            },
            stripe_api_url: url("STRIPE_API_URL")?
                .unwrap_or_else(|| "https://api.stripe.com".into()),
            stripe_secret_key: match lookup("STRIPE_SECRET_KEY") {
                Some(key) if !(key.starts_with("sk_") || key.starts_with("rk_")) => {
                    return Err(ConfigError::Invalid {
                        name: "STRIPE_SECRET_KEY",
                        value: "(hidden)".into(),
                        expected: "a Stripe secret or restricted key (sk_… or rk_…)",
                    });
                }
                other => other,
            },
            stripe_webhook_secret: match lookup("STRIPE_WEBHOOK_SECRET") {
                Some(secret) if !secret.starts_with("whsec_") => {
                    return Err(ConfigError::Invalid {
                        name: "STRIPE_WEBHOOK_SECRET",
                        value: "(hidden)".into(),
                        expected: "the endpoint's signing secret (whsec_…)",
                    });
                }
                other => other,
            },
            public_url: url("SLOTLINE_PUBLIC_URL")?,
            link_secret: match (
                secret(&lookup, "SLOTLINE_LINK_SECRET")?,
                lookup("SLOTLINE_PUBLIC_URL"),
            ) {
                (None, Some(_)) => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_LINK_SECRET",
                        value: "(unset)".into(),
                        expected: "a secret of at least 16 characters, set with SLOTLINE_PUBLIC_URL",
                    });
                }
                (secret, _) => secret,
            },
            link_ttl_secs: match seconds(&lookup, "SLOTLINE_LINK_TTL_SECS", 3600)? {
                n @ 60..=604_800 => n,
                n => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_LINK_TTL_SECS",
                        value: n.to_string(),
                        expected: "between 60 and 604800 (a week)",
                    });
                }
            },
            session_idle_secs: match seconds(&lookup, "SLOTLINE_SESSION_IDLE_SECS", 43_200)? {
                n @ 5..=2_592_000 => n,
                n => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_SESSION_IDLE_SECS",
                        value: n.to_string(),
                        expected: "between 5 and 2592000 (30 days)",
                    });
                }
            },
            shared_numbers: match lookup("SLOTLINE_SHARED_NUMBERS") {
                None => Vec::new(),
                Some(list) => {
                    let mut numbers = Vec::new();
                    for n in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        numbers.push(slotline_shared::phone::PhoneNumber::parse(n).map_err(
                            |_| ConfigError::Invalid {
                                name: "SLOTLINE_SHARED_NUMBERS",
                                value: n.to_owned(),
                                expected: "WhatsApp numbers in E.164, comma separated: +14155550100,+351910000000",
                            },
                        )?);
                    }
                    numbers
                }
            },
            reset_template: match lookup("SLOTLINE_RESET_TEMPLATE") {
                None => None,
                Some(sid) if crate::model::valid_content_sid(sid.trim()) => {
                    Some(sid.trim().to_owned())
                }
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_RESET_TEMPLATE",
                        value: other,
                        expected: "a Twilio ContentSid: HX and 32 hex digits",
                    });
                }
            },
            auth_per_minute: match lookup("SLOTLINE_AUTH_PER_MINUTE") {
                None => 30,
                Some(n) => match n.trim().parse::<u32>() {
                    Ok(n @ 1..=100_000) => n,
                    _ => {
                        return Err(ConfigError::Invalid {
                            name: "SLOTLINE_AUTH_PER_MINUTE",
                            value: n,
                            expected: "a whole number from 1 to 100000",
                        });
                    }
                },
            },
            trust_forwarded_for: match lookup("SLOTLINE_TRUST_FORWARDED_FOR").as_deref() {
                None | Some("0" | "false" | "no") => false,
                Some("1" | "true" | "yes") => true,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_TRUST_FORWARDED_FOR",
                        value: other.to_owned(),
                        expected: "1 or 0",
                    });
                }
            },
            signup_open: match lookup("SLOTLINE_SIGNUP").as_deref() {
                None | Some("open") => true,
                Some("closed") => false,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_SIGNUP",
                        value: other.to_owned(),
                        expected: "open or closed",
                    });
                }
            },
            seed_demo: match lookup("SLOTLINE_SEED_DEMO").as_deref() {
                None | Some("0" | "false" | "no") => false,
                Some("1" | "true" | "yes") => true,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "SLOTLINE_SEED_DEMO",
                        value: other.to_owned(),
                        expected: "1 or 0",
                    });
                }
            },
        })
    }
}

/// A yes/no setting (`1`/`0`, `true`/`false`, `yes`/`no`), off if unset.
fn flag(lookup: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match lookup(name).as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            name,
            value: other.to_owned(),
            expected: "1 or 0",
        }),
    }
}

/// A whole number (of seconds, or per minute), `default` if unset.
fn seconds(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match lookup(name) {
        Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            value: v,
            expected: "a whole number of seconds",
        }),
        None => Ok(default),
    }
}

/// A secret of at least 16 characters, if set.
fn secret(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name) {
        Some(v) if v.chars().count() < 16 => Err(ConfigError::Invalid {
            name,
            value: "(hidden)".into(),
            expected: "at least 16 characters",
        }),
        other => Ok(other),
    }
}

/// Checks that `value` is an http(s) base URL and drops any trailing slash.
fn base_url(name: &'static str, value: String) -> Result<String, ConfigError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::Invalid {
            name,
            value,
            expected: "an http:// or https:// URL",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn a_postgres_url_chooses_postgres_and_its_password_never_shows() {
        let config = from(&[(
            "SLOTLINE_DATABASE",
            "postgres://ana:s3cret@db.internal:5433/slotline",
        )])
        .unwrap();
        assert_eq!(
            config.database,
            Database::Postgres("postgres://ana:s3cret@db.internal:5433/slotline".into())
        );
        let shown = format!("{config:?} {}", config.database.describe());
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://ana:[redacted]@db.internal:5433/slotline"),
            "{shown}"
        );
        // A file name is still a SQLite file.
        let config = from(&[("SLOTLINE_DATABASE", "/var/lib/slotline/postgres.db")]).unwrap();
        assert!(matches!(config.database, Database::Sqlite(_)));
    }

    #[test]
    fn defaults_need_only_a_home_folder() {
        let config = from(&[("HOME", "/home/ana")]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8788");
        assert_eq!(
            config.database,
            Database::Sqlite(PathBuf::from("/home/ana/.local/share/slotline/slotline.db"))
        );
        assert_eq!(config.twilio_api_url, "https://api.twilio.com");
        assert_eq!(config.calcom_api_url, None);
    }

    #[test]
    fn stand_in_urls_replace_the_real_services() {
        let config = from(&[
            ("SLOTLINE_DATABASE", "/tmp/x.db"),
            ("TWILIO_API_URL", "http://127.0.0.1:9001/"),
            ("CALCOM_API_URL", "http://127.0.0.1:9002"),
        ])
        .unwrap();
        assert_eq!(config.twilio_api_url, "http://127.0.0.1:9001");
        assert_eq!(
            config.calcom_api_url.as_deref(),
            Some("http://127.0.0.1:9002")
        );
    }

    #[test]
    fn a_bad_setting_is_named_in_the_error() {
        let err = from(&[("HOME", "/h"), ("CALCOM_API_URL", "cal.example.com")]).unwrap_err();
        assert!(err.to_string().contains("CALCOM_API_URL"), "{err}");
        let err = from(&[("HOME", "/h"), ("SLOTLINE_BRIDGE_ADDR", "localhost")]).unwrap_err();
        assert!(err.to_string().contains("SLOTLINE_BRIDGE_ADDR"), "{err}");
    }

    #[test]
    fn short_secrets_are_refused_without_echoing_them() {
        let err = from(&[("HOME", "/h"), ("SLOTLINE_WORKER_SECRET", "short")]).unwrap_err();
        assert!(
            err.to_string().contains("SLOTLINE_WORKER_SECRET")
                && !err.to_string().contains("short\""),
            "{err}"
        );
        let ok = from(&[
            ("HOME", "/h"),
            ("SLOTLINE_OPERATOR_KEY", "0123456789abcdef"),
        ])
        .unwrap();
        assert_eq!(ok.operator_key.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn a_printed_configuration_shows_no_secret() {
        let config = from(&[
            ("HOME", "/h"),
            ("SLOTLINE_OPERATOR_KEY", "operator-key-0123456789"),
            ("SLOTLINE_WORKER_SECRET", "worker-secret-0123456789"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "twilio-token-0123456789"),
            ("CALCOM_API_KEY", "cal_live_key0123456789"),
            ("CALCOM_WEBHOOK_SECRET", "webhook-secret-0123456789"),
        ])
        .unwrap();
        let printed = format!("{config:?}");
        for secret in [
            "operator-key",
            "worker-secret",
            "twilio-token",
            "cal_live",
            "webhook-secret",
        ] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("[redacted]") && printed.contains("AC0123456789"));
    }

    #[test]
    fn without_any_home_the_database_must_be_given() {
        assert_eq!(from(&[]), Err(ConfigError::NoDataFolder));
    }
}
