//! Dashboard users and sessions.

use super::*;
use crate::model::{Role, Session, User};

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
