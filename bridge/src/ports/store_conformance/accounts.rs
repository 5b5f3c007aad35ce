//! Dashboard users and sessions.

use super::*;
use crate::model::{Role, Session, Ticket, TicketKind, TicketUse, User};

fn user(id: &str, tenant: Option<&str>, email: &str) -> User {
    User {
        id: id.into(),
        tenant: tenant.map(Into::into),
        email: email.into(),
        name: format!("User {id}"),
        role: Role::Owner,
        phone: None,
        provider: None,
        created_at: t0(),
    }
}

fn session(id: &str, user: &str, at: DateTime<Utc>) -> Session {
    Session {
        id: id.into(),
        user_id: user.into(),
        csrf: format!("csrf-{id}"),
        created_at: at,
        last_seen_at: at,
        expires_at: at + Duration::hours(1),
        user_agent: "test".into(),
    }
}

pub async fn a_sign_up_creates_the_business_and_its_owner_together_or_neither(
    store: Arc<dyn Store>,
) {
    let ana = user("u1", Some("studio"), "ana@studio.example");
    store
        .sign_up(&tenant("studio"), "key-studio", &ana, "hash-ana")
        .await
        .unwrap();
    assert_eq!(
        store.tenant_for_key("key-studio").await.unwrap(),
        Some("studio".into())
    );
    let (found, creds) = store
        .user_by_email("ana@studio.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, ana);
    assert_eq!(
        (creds.password_hash.as_str(), creds.failed_logins),
        ("hash-ana", 0)
    );
    // The same email for another business: refused, and that business is not created.
    let again = user("u2", Some("other"), "ana@studio.example");
    assert!(matches!(
        store
            .sign_up(&tenant("other"), "key-other", &again, "h")
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.tenant(&"other".into()).await.unwrap().is_none());
    // The same business id: refused, and the second owner is not created.
    let bea = user("u3", Some("studio"), "bea@studio.example");
    assert!(matches!(
        store.sign_up(&tenant("studio"), "key-2", &bea, "h").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .user_by_email("bea@studio.example")
            .await
            .unwrap()
            .is_none()
    );
    // A colleague joins; the business lists both, another business none.
    store.create_user(&bea, "hash-bea").await.unwrap();
    assert!(matches!(
        store
            .create_user(&user("u4", Some("studio"), "bea@studio.example"), "h")
            .await,
        Err(StoreError::Conflict(_))
    ));
    let ids: Vec<String> = store
        .users(&"studio".into())
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(ids, ["u1", "u3"]);
    with_tenant(store.as_ref(), "b").await;
    assert!(store.users(&"b".into()).await.unwrap().is_empty());
    // A new key replaces the old one.
    store.rotate_key(&"studio".into(), "key-new").await.unwrap();
    assert_eq!(store.tenant_for_key("key-studio").await.unwrap(), None);
    assert_eq!(
        store.tenant_for_key("key-new").await.unwrap(),
        Some("studio".into())
    );
    assert!(matches!(
        store.rotate_key(&"nobody".into(), "k").await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn repeated_wrong_passwords_lock_the_account_until_a_good_one_resets(
    store: Arc<dyn Store>,
) {
    let ana = user("u1", Some("studio"), "ana@studio.example");
    store
        .sign_up(&tenant("studio"), "k", &ana, "h")
        .await
        .unwrap();
    let until = t0() + Duration::minutes(15);
    for n in 1..=4 {
        let c = store.login_failed("u1", 5, until).await.unwrap();
        assert_eq!((c.failed_logins, c.locked_until), (n, None));
    }
    store.login_succeeded("u1").await.unwrap();
    for _ in 1..=4 {
        store.login_failed("u1", 5, until).await.unwrap();
    }
    let locked = store.login_failed("u1", 5, until).await.unwrap();
    assert_eq!(locked.locked_until, Some(until));
    let (_, creds) = store
        .user_by_email("ana@studio.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.locked_until, Some(until));
    // Concurrent failures from two bridges lock exactly once, never lose a count.
    let store2 = Arc::clone(&store);
    store.login_succeeded("u1").await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let s = Arc::clone(&store2);
            tokio::spawn(async move { s.login_failed("u1", 5, until).await.unwrap() })
        })
        .collect();
    let mut locks = 0;
    for t in tasks {
        if t.await.unwrap().failed_logins == 0 {
            locks += 1;
        }
    }
    assert_eq!(locks, 2, "10 failures with a limit of 5 lock twice");
    store.login_succeeded("u1").await.unwrap();
    let (_, creds) = store
        .user_by_email("ana@studio.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((creds.failed_logins, creds.locked_until), (0, None));
    assert!(matches!(
        store.login_failed("nobody", 5, until).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn sessions_expire_are_touched_and_end_only_for_their_user(store: Arc<dyn Store>) {
    let ana = user("u1", Some("studio"), "ana@studio.example");
    store
        .sign_up(&tenant("studio"), "k", &ana, "h")
        .await
        .unwrap();
    let bea = user("u2", Some("studio"), "bea@studio.example");
    store.create_user(&bea, "h").await.unwrap();
    store
        .open_session("tok-1", &session("s1", "u1", t0()))
        .await
        .unwrap();
    store
        .open_session("tok-2", &session("s2", "u1", t0() + Duration::minutes(1)))
        .await
        .unwrap();
    store
        .open_session("tok-3", &session("s3", "u2", t0()))
        .await
        .unwrap();
    let (s, u) = store.session("tok-1", t0()).await.unwrap().unwrap();
    assert_eq!(
        (s.id.as_str(), s.csrf.as_str(), u.id.as_str()),
        ("s1", "csrf-s1", "u1")
    );
    assert!(store.session("tok-x", t0()).await.unwrap().is_none());
    // An hour on, unused: gone. Touched, it lasts.
    let later = t0() + Duration::minutes(59);
    store
        .touch_session("tok-1", later, later + Duration::hours(1))
        .await
        .unwrap();
    let past = t0() + Duration::minutes(61) + Duration::seconds(30);
    assert!(store.session("tok-2", past).await.unwrap().is_none());
    let (s, _) = store.session("tok-1", past).await.unwrap().unwrap();
    assert_eq!(s.last_seen_at, later);
    let listed: Vec<String> = store
        .sessions_of("u1", t0())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, ["s2", "s1"], "newest first");
    // One user cannot end another's session.
    assert!(!store.end_session("u2", "s1").await.unwrap());
    assert!(store.end_session("u1", "s1").await.unwrap());
    assert!(!store.end_session("u1", "s1").await.unwrap());
    assert!(store.session("tok-1", t0()).await.unwrap().is_none());
    assert!(store.session("tok-3", t0()).await.unwrap().is_some());
}

pub async fn the_audit_log_reads_newest_first_per_tenant(store: Arc<dyn Store>) {
    use crate::model::AuditEntry;
    let a = with_tenant(store.as_ref(), "a").await;
    let b = with_tenant(store.as_ref(), "b").await;
    for (n, action) in ["service.create", "service.update", "hours.update"]
        .into_iter()
        .enumerate()
    {
        let entry = AuditEntry {
            at: t0() + Duration::seconds(i64::try_from(n).unwrap()),
            actor: "usr_1".into(),
            action: action.into(),
            target: "cut".into(),
            before: (n > 0).then(|| serde_json::json!({"price_minor": 1000})),
            after: Some(serde_json::json!({"price_minor": 1200})),
        };
        store.record_audit(&a, &entry).await.unwrap();
    }
    let log = store.audit_log(&a, 2).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["hours.update", "service.update"]);
    assert_eq!(
        log[1].before,
        Some(serde_json::json!({"price_minor": 1000}))
    );
    assert_eq!(store.audit_log(&a, 10).await.unwrap().len(), 3);
    assert!(store.audit_log(&b, 10).await.unwrap().is_empty());
}

fn ticket(key: &str, kind: TicketKind, tenant: &str, secret: &str, at: DateTime<Utc>) -> Ticket {
    Ticket {
        key: key.into(),
        kind,
        tenant: Some(tenant.into()),
        secret_hash: crate::auth::key_hash(secret),
        detail: serde_json::json!({"email": format!("{key}@example.com")}),
        created_at: at,
        expires_at: at + Duration::hours(1),
        attempts: 0,
    }
}

pub async fn a_ticket_is_used_once_and_dies_of_wrong_guesses_or_age(store: Arc<dyn Store>) {
    let now = t0();
    let right = crate::auth::key_hash("123456");
    let wrong = crate::auth::key_hash("000000");
    store
        .put_ticket(&ticket(
            "reset:u1",
            TicketKind::Reset,
            "studio",
            "123456",
            now,
        ))
        .await
        .unwrap();
    // The kind is part of the key: a reset code does not pass for an invitation.
    assert!(
        store
            .ticket("reset:u1", TicketKind::Invite, now)
            .await
            .unwrap()
            .is_none()
    );
    for left in [2, 1] {
        assert_eq!(
            store
                .use_ticket("reset:u1", TicketKind::Reset, &wrong, 3, now)
                .await
                .unwrap(),
            TicketUse::Wrong { left }
        );
    }
    let used = store
        .use_ticket("reset:u1", TicketKind::Reset, &right, 3, now)
        .await
        .unwrap();
    assert!(
        matches!(&used, TicketUse::Used(t) if t.attempts == 2),
        "{used:?}"
    );
    assert_eq!(
        store
            .use_ticket("reset:u1", TicketKind::Reset, &right, 3, now)
            .await
            .unwrap(),
        TicketUse::Gone,
        "a used ticket cannot be used again"
    );
    // Three wrong guesses destroy it, even for the right code after them.
    store
        .put_ticket(&ticket(
            "reset:u1",
            TicketKind::Reset,
            "studio",
            "123456",
            now,
        ))
        .await
        .unwrap();
    for _ in 0..3 {
        store
            .use_ticket("reset:u1", TicketKind::Reset, &wrong, 3, now)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .use_ticket("reset:u1", TicketKind::Reset, &right, 3, now)
            .await
            .unwrap(),
        TicketUse::Gone
    );
    // A new code replaces the old one; an expired one is gone.
    store
        .put_ticket(&ticket(
            "reset:u1",
            TicketKind::Reset,
            "studio",
            "111111",
            now,
        ))
        .await
        .unwrap();
    store
        .put_ticket(&ticket(
            "reset:u1",
            TicketKind::Reset,
            "studio",
            "222222",
            now,
        ))
        .await
        .unwrap();
    let late = now + Duration::hours(2);
    assert_eq!(
        store
            .use_ticket(
                "reset:u1",
                TicketKind::Reset,
                &crate::auth::key_hash("222222"),
                3,
                late
            )
            .await
            .unwrap(),
        TicketUse::Gone
    );
    assert!(matches!(
        store
            .use_ticket(
                "reset:u1",
                TicketKind::Reset,
                &crate::auth::key_hash("111111"),
                3,
                now
            )
            .await
            .unwrap(),
        TicketUse::Wrong { .. }
    ));
    // Ten concurrent uses of one invitation: exactly one gets it.
    store
        .put_ticket(&ticket("inv_a", TicketKind::Invite, "studio", "tok", now))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let s = Arc::clone(&store);
            tokio::spawn(async move {
                s.use_ticket(
                    "inv_a",
                    TicketKind::Invite,
                    &crate::auth::key_hash("tok"),
                    5,
                    now,
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut used = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), TicketUse::Used(_)) {
            used += 1;
        }
    }
    assert_eq!(used, 1);
}

pub async fn invitations_are_listed_and_withdrawn_per_business(store: Arc<dyn Store>) {
    let now = t0();
    for (key, tenant, minutes) in [
        ("inv_1", "studio", 0),
        ("inv_2", "studio", 5),
        ("inv_3", "other", 1),
    ] {
        store
            .put_ticket(&ticket(
                key,
                TicketKind::Invite,
                tenant,
                key,
                now + Duration::minutes(minutes),
            ))
            .await
            .unwrap();
    }
    let keys = |v: Vec<Ticket>| v.into_iter().map(|t| t.key).collect::<Vec<_>>();
    let studio = "studio".into();
    assert_eq!(
        keys(
            store
                .tickets(&studio, TicketKind::Invite, now)
                .await
                .unwrap()
        ),
        ["inv_2", "inv_1"]
    );
    assert!(
        store
            .tickets(&studio, TicketKind::Reset, now)
            .await
            .unwrap()
            .is_empty()
    );
    // One business cannot withdraw another's.
    assert!(!store.drop_ticket(&studio, "inv_3").await.unwrap());
    assert!(store.drop_ticket(&studio, "inv_1").await.unwrap());
    assert!(!store.drop_ticket(&studio, "inv_1").await.unwrap());
    assert_eq!(
        keys(
            store
                .tickets(&studio, TicketKind::Invite, now)
                .await
                .unwrap()
        ),
        ["inv_2"]
    );
    // Expired ones are not listed.
    let later = now + Duration::hours(3);
    assert!(
        store
            .tickets(&studio, TicketKind::Invite, later)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_new_password_ends_every_session_and_lifts_a_lock(store: Arc<dyn Store>) {
    let ana = user("u1", Some("studio"), "ana@studio.example");
    store
        .sign_up(&tenant("studio"), "k", &ana, "old")
        .await
        .unwrap();
    let now = t0();
    store
        .open_session("h1", &session("s1", "u1", now))
        .await
        .unwrap();
    store
        .open_session("h2", &session("s2", "u1", now))
        .await
        .unwrap();
    store
        .login_failed("u1", 1, now + Duration::minutes(15))
        .await
        .unwrap();
    store.set_password("u1", "new").await.unwrap();
    assert!(store.sessions_of("u1", now).await.unwrap().is_empty());
    let (_, creds) = store
        .user_by_email("ana@studio.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (creds.password_hash.as_str(), creds.locked_until),
        ("new", None)
    );
    assert!(matches!(
        store.set_password("nobody", "x").await,
        Err(StoreError::NotFound(_))
    ));
}
