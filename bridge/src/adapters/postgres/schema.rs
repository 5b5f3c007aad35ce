//! The schema on PostgreSQL, as versioned migrations.
//!
//! The tables mirror SQLite's (times are Unix seconds in `BIGINT`, settings are JSON
//! documents), with what only PostgreSQL can give: an exclusion constraint that makes two
//! live reservations of one provider over one time impossible in the database itself, and
//! sequence columns where SQLite orders by `rowid`.

/// Migrations, applied in order; `slotline_schema.version` counts those applied.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE TABLE services (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE providers (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, position BIGINT NOT NULL,
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
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    block_start BIGINT NOT NULL,
    block_end BIGINT NOT NULL,
    status TEXT NOT NULL,
    expires_at BIGINT,
    deposit_minor BIGINT,
    deposit_currency TEXT,
    created_at BIGINT NOT NULL,
    idem_key TEXT,
    moved_to TEXT,
    external_uid TEXT,
    -- A move the business made in Cal.com stands even over another booking: Cal.com is the
    -- calendar of record there.
    overlap_ok BOOLEAN NOT NULL DEFAULT FALSE,
    -- A hold past its expiry that a new hold needed the time of: it blocks nothing any more,
    -- though it stays 'held' until the sweep releases it.
    lapsed BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT reservations_no_overlap EXCLUDE USING gist (
        tenant_id WITH =,
        provider_id WITH =,
        tstzrange(to_timestamp(block_start), to_timestamp(block_end)) WITH &&
    ) WHERE (status IN ('held', 'confirmed') AND NOT overlap_ok AND NOT lapsed)
);
CREATE UNIQUE INDEX reservations_reference ON reservations (tenant_id, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX reservations_idem ON reservations (tenant_id, idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX reservations_provider_time ON reservations (tenant_id, provider_id, block_start);
CREATE INDEX reservations_customer ON reservations (tenant_id, customer, start_at);
CREATE INDEX reservations_held ON reservations (status, expires_at);
CREATE INDEX reservations_external ON reservations (external_uid) WHERE external_uid IS NOT NULL;
CREATE TABLE status_history (
    seq BIGSERIAL PRIMARY KEY,
    reservation_id TEXT NOT NULL, at BIGINT NOT NULL, status TEXT NOT NULL,
    moved_from BIGINT, moved_to BIGINT
);
CREATE INDEX status_history_reservation ON status_history (reservation_id);
CREATE TABLE customers (
    tenant_id TEXT NOT NULL, phone TEXT NOT NULL, name TEXT, language TEXT,
    opted_out BOOLEAN NOT NULL DEFAULT FALSE, bookings BIGINT NOT NULL DEFAULT 0,
    last_seen BIGINT NOT NULL, seen_at BIGINT,
    PRIMARY KEY (tenant_id, phone)
);
CREATE TABLE deliveries (
    seq BIGSERIAL,
    tenant_id TEXT NOT NULL, message_sid TEXT NOT NULL, customer TEXT NOT NULL,
    status TEXT NOT NULL, error_code BIGINT, updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, message_sid)
);
CREATE INDEX deliveries_updated ON deliveries (tenant_id, updated_at);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    customer TEXT NOT NULL,
    reference TEXT,
    stage TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    send_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT,
    claimed_at BIGINT,
    message_sid TEXT,
    error_code BIGINT,
    detail TEXT,
    sent_at BIGINT,
    via TEXT,
    template_only BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, send_at);
CREATE INDEX outbox_booking ON outbox (tenant_id, reference, state);
CREATE INDEX outbox_customer ON outbox (tenant_id, customer, stage, state);
CREATE INDEX outbox_sid ON outbox (tenant_id, message_sid);
CREATE INDEX outbox_recent ON outbox (tenant_id, created_at);
CREATE TABLE ratings (
    tenant_id TEXT NOT NULL, reference TEXT NOT NULL, provider_id TEXT NOT NULL,
    stars BIGINT NOT NULL, at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, reference)
);
"#,
    // What bridges share besides the data: used worker-signature nonces, and each sender's
    // next free send slot (microseconds), so together they keep to its rate. The slots are
    // unlogged: written for every message, they need no flush to disk, and after a server
    // crash the table is simply empty again (pacing restarts from now).
    r#"
CREATE TABLE nonces (nonce TEXT PRIMARY KEY, forget_at BIGINT NOT NULL);
CREATE INDEX nonces_forget ON nonces (forget_at);
CREATE UNLOGGED TABLE send_pace (sender TEXT PRIMARY KEY, next_at BIGINT NOT NULL);
"#,
    // Counted uses with a limit (a tenant's language-model calls per month).
    r#"
CREATE TABLE usage (
    tenant_id TEXT NOT NULL, what TEXT NOT NULL, count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, what)
);
"#,
    // Cal.com bookings a bridge is changing right now (so any bridge reads their webhooks as
    // that bridge's own), and Cal.com's call budget and breaker, one row per API, kept
    // together by every bridge. Both unlogged: short-lived, and empty again after a server
    // crash is harmless (a change in flight then failed anyway; the budget starts full).
    r#"
CREATE UNLOGGED TABLE changing (
    key TEXT NOT NULL, token TEXT NOT NULL, until BIGINT NOT NULL,
    PRIMARY KEY (key, token)
);
CREATE UNLOGGED TABLE call_gates (
    name TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at_ms BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    open_until_ms BIGINT NOT NULL,
    retry_until_ms BIGINT NOT NULL
);
"#,
    // Used nonces are written for every worker request: unlogged, a claim costs no flush to
    // disk. After a server crash the table is empty again, so a request captured in the
    // minutes before could be replayed once; every worker request that changes anything
    // carries its idempotency key, so a replay changes nothing.
    r#"
ALTER TABLE nonces SET UNLOGGED;
"#,
    // Deposits: one payment per held booking, found again by its Stripe Checkout Session.
    r#"
CREATE TABLE payments (
    tenant_id TEXT NOT NULL, hold_id TEXT NOT NULL, session_id TEXT, state TEXT NOT NULL,
    doc TEXT NOT NULL, pay_by BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hold_id)
);
CREATE UNIQUE INDEX payments_session ON payments (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX payments_unsettled ON payments (pay_by) WHERE state IN ('creating', 'open');
"#,
    // Receipts and credit notes, numbered per tenant and kind without gaps.
    r#"
CREATE TABLE documents (
    tenant_id TEXT NOT NULL, kind TEXT NOT NULL, number BIGINT NOT NULL, key TEXT NOT NULL,
    hold_id TEXT NOT NULL, issued_at BIGINT NOT NULL, doc TEXT NOT NULL,
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
    locked_until BIGINT, created_at BIGINT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, created_at);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
    doc TEXT NOT NULL, expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
"#,
    // Who changed what, for the owners; read newest first.
    r#"
CREATE TABLE audit (tenant_id TEXT NOT NULL, at BIGINT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX audit_tenant ON audit (tenant_id, at);
"#,
    // One-time tickets: staff invitations and password-reset codes.
    r#"
CREATE TABLE tickets (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant_id TEXT, doc TEXT NOT NULL,
    expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL
);
CREATE INDEX tickets_tenant ON tickets (tenant_id, kind, created_at);
"#,
];
