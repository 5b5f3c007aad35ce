//! The schema, as the migrations that build it.

/// Schema migrations, applied in order; `PRAGMA user_version` counts those applied.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE TABLE services (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE providers (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE weekly (
    tenant_id TEXT NOT NULL, provider_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider_id)
);
CREATE TABLE overrides (
    tenant_id TEXT NOT NULL, provider_id TEXT NOT NULL, date TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, provider_id, date)
);
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    reference TEXT,
    provider_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    block_start INTEGER NOT NULL,
    block_end INTEGER NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER,
    deposit_minor INTEGER,
    deposit_currency TEXT,
    created_at INTEGER NOT NULL,
    idem_key TEXT,
    moved_to TEXT
);
CREATE UNIQUE INDEX reservations_reference ON reservations (tenant_id, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX reservations_idem ON reservations (tenant_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX reservations_provider_time ON reservations (tenant_id, provider_id, block_start);
CREATE INDEX reservations_customer ON reservations (tenant_id, customer, start_at);
CREATE INDEX reservations_held ON reservations (status, expires_at);
CREATE TABLE status_history (
    reservation_id TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL
);
CREATE INDEX status_history_reservation ON status_history (reservation_id);
CREATE TABLE customers (
    tenant_id TEXT NOT NULL, phone TEXT NOT NULL, name TEXT, language TEXT,
    opted_out INTEGER NOT NULL DEFAULT 0, bookings INTEGER NOT NULL DEFAULT 0,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);
"#,
    r#"
CREATE TABLE deliveries (
    tenant_id TEXT NOT NULL, message_sid TEXT NOT NULL, customer TEXT NOT NULL,
    status TEXT NOT NULL, error_code INTEGER, updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, message_sid)
);
CREATE INDEX deliveries_updated ON deliveries (tenant_id, updated_at);
"#,
    r#"
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    reference TEXT,
    stage TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    send_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    claimed_at INTEGER,
    message_sid TEXT,
    error_code INTEGER,
    detail TEXT,
    sent_at INTEGER,
    via TEXT,
    template_only INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, send_at);
CREATE INDEX outbox_booking ON outbox (tenant_id, reference, state);
CREATE INDEX outbox_customer ON outbox (tenant_id, customer, stage, state);
CREATE INDEX outbox_sid ON outbox (tenant_id, message_sid);
CREATE INDEX outbox_recent ON outbox (tenant_id, created_at);
ALTER TABLE customers ADD COLUMN seen_at INTEGER;
CREATE TABLE ratings (
    tenant_id TEXT NOT NULL, reference TEXT NOT NULL, provider_id TEXT NOT NULL,
    stars INTEGER NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, reference)
);
"#,
    r#"
ALTER TABLE reservations ADD COLUMN external_uid TEXT;
CREATE INDEX reservations_external ON reservations (external_uid) WHERE external_uid IS NOT NULL;
"#,
    // A move is recorded with its old and new start.
    r#"
ALTER TABLE status_history ADD COLUMN moved_from INTEGER;
ALTER TABLE status_history ADD COLUMN moved_to INTEGER;
"#,
    // Worker-signature nonces, so a replay is refused by every bridge on the database.
    r#"
CREATE TABLE nonces (nonce TEXT PRIMARY KEY, forget_at INTEGER NOT NULL);
CREATE INDEX nonces_forget ON nonces (forget_at);
"#,
    // Counted uses with a limit (a tenant's language-model calls per month).
    r#"
CREATE TABLE usage (
    tenant_id TEXT NOT NULL, what TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, what)
);
"#,
    // Cal.com bookings a bridge is changing right now, so their webhooks read as its own.
    r#"
CREATE TABLE changing (
    key TEXT NOT NULL, token TEXT NOT NULL, until INTEGER NOT NULL,
    PRIMARY KEY (key, token)
);
"#,
    // Deposits: one payment per held booking, found again by its Stripe Checkout Session.
    r#"
CREATE TABLE payments (
    tenant_id TEXT NOT NULL, hold_id TEXT NOT NULL, session_id TEXT, state TEXT NOT NULL,
    doc TEXT NOT NULL, pay_by INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, hold_id)
);
CREATE UNIQUE INDEX payments_session ON payments (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX payments_unsettled ON payments (pay_by) WHERE state IN ('creating', 'open');
"#,
    // Receipts and credit notes, numbered per tenant and kind without gaps.
    r#"
CREATE TABLE documents (
    tenant_id TEXT NOT NULL, kind TEXT NOT NULL, number INTEGER NOT NULL, key TEXT NOT NULL,
    hold_id TEXT NOT NULL, issued_at INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, number)
);
CREATE UNIQUE INDEX documents_key ON documents (tenant_id, key);
CREATE INDEX documents_hold ON documents (tenant_id, hold_id);
CREATE INDEX documents_issued ON documents (tenant_id, issued_at);
"#,
    // Dashboard users and their sessions. An email signs in to one account across every
    // business, so it is unique platform-wide.
    r#"
CREATE TABLE users (
    id TEXT PRIMARY KEY, tenant_id TEXT, email TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
    password_hash TEXT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER, created_at INTEGER NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, created_at);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
    doc TEXT NOT NULL, expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
"#,
    // Who changed what, for the owners; read newest first.
    r#"
CREATE TABLE audit (tenant_id TEXT NOT NULL, at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX audit_tenant ON audit (tenant_id, at);
"#,
    // One-time tickets: staff invitations and password-reset codes.
    r#"
CREATE TABLE tickets (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant_id TEXT, doc TEXT NOT NULL,
    expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL
);
CREATE INDEX tickets_tenant ON tickets (tenant_id, kind, created_at);
"#,
    // Which reservations of a provider block a time is asked on every hold and every day
    // of slots. Ordered by when they end, the scan covers only those not over yet (the
    // bookings ahead, few) instead of every one that started before (the whole history,
    // which grows forever); it holds what the overlap test reads, so it needs no row.
    r#"
CREATE INDEX reservations_provider_end
    ON reservations (tenant_id, provider_id, block_end, block_start, status, expires_at);
"#,
];
