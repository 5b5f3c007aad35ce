//! Tenants, catalog, isolation between tenants, and hours.

use super::*;

pub async fn tenants_are_created_once_and_found_by_key(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    assert!(matches!(
        store.create_tenant(&tenant("a"), "other").await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.tenant(&id).await.unwrap().unwrap().name, "Tenant a");
    assert_eq!(
        store.tenant_for_key("hash-a").await.unwrap(),
        Some(id.clone())
    );
    assert_eq!(store.tenant_for_key("nope").await.unwrap(), None);
    let v1 = store.config_version(&id).await.unwrap();
    let mut t = tenant("a");
    t.name = "Renamed".into();
    store.update_tenant(&t).await.unwrap();
    assert!(store.config_version(&id).await.unwrap() > v1);
    assert_eq!(store.tenant(&id).await.unwrap().unwrap().name, "Renamed");
    assert!(matches!(
        store.update_tenant(&tenant("zz")).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn catalog_edits_keep_order_and_bump_the_version(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let v = store.config_version(&id).await.unwrap();
    store.put_service(&id, &service("colour")).await.unwrap();
    let mut cut = service("cut");
    cut.name = "Haircut".into();
    store.put_service(&id, &cut).await.unwrap();
    let names: Vec<String> = store
        .services(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["Haircut", "COLOUR"], "replacing keeps the position");
    assert!(store.config_version(&id).await.unwrap() > v);
    assert!(store.delete_service(&id, &"colour".into()).await.unwrap());
    assert!(!store.delete_service(&id, &"colour".into()).await.unwrap());
    assert!(store.delete_provider(&id, &"bea".into()).await.unwrap());
    let providers: Vec<ProviderId> = store
        .providers(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(providers, [ProviderId::from("ana")]);
}

pub async fn one_tenants_rows_are_invisible_to_another(store: Arc<dyn Store>) {
    let a = with_tenant(store.as_ref(), "a").await;
    store.create_tenant(&tenant("b"), "hash-b").await.unwrap();
    let b: TenantId = "b".into();
    assert!(store.services(&b).await.unwrap().is_empty());
    assert!(store.providers(&b).await.unwrap().is_empty());
    held(
        store.as_ref(),
        &hold_at(&a, &["ana"], slot(9, 0), 1, "k1"),
        t0(),
    )
    .await;
    assert!(
        store
            .upcoming(&b, &customer(1), t0())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .active_reservations(&b, &["ana".into()], slot(0, 0), slot(23, 0), t0())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.delete_service(&b, &"cut".into()).await.unwrap());
    assert_eq!(store.services(&a).await.unwrap().len(), 1);
}

pub async fn hours_and_overrides_round_trip(store: Arc<dyn Store>) {
    let id = with_tenant(store.as_ref(), "a").await;
    let ana: ProviderId = "ana".into();
    assert_eq!(store.weekly(&id, &ana).await.unwrap(), Weekly::default());
    let week = Weekly {
        mon: vec![
            Interval::hm((9, 0), (13, 0)),
            Interval::hm((14, 0), (18, 0)),
        ],
        ..Weekly::default()
    };
    store.set_weekly(&id, &ana, &week).await.unwrap();
    assert_eq!(store.weekly(&id, &ana).await.unwrap(), week);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
    let off = DateOverride {
        date: day,
        intervals: vec![],
        note: Some("holiday".into()),
    };
    store.put_override(&id, &ana, &off).await.unwrap();
    assert_eq!(store.overrides(&id, &ana).await.unwrap(), vec![off]);
    assert!(store.delete_override(&id, &ana, day).await.unwrap());
    assert!(store.overrides(&id, &ana).await.unwrap().is_empty());
}

pub async fn uses_are_counted_up_to_their_limit_per_tenant(store: Arc<dyn Store>) {
    let (a, b) = (TenantId::from("a"), TenantId::from("b"));
    for _ in 0..3 {
        assert!(store.count_use(&a, "llm:2026-12", 3).await.unwrap());
    }
    assert!(!store.count_use(&a, "llm:2026-12", 3).await.unwrap());
    // Another month, another tenant, a raised limit.
    assert!(store.count_use(&a, "llm:2027-01", 3).await.unwrap());
    assert!(store.count_use(&b, "llm:2026-12", 3).await.unwrap());
    assert!(store.count_use(&a, "llm:2026-12", 4).await.unwrap());
    // A limit of 0 allows nothing.
    assert!(!store.count_use(&b, "llm:2027-02", 0).await.unwrap());
    // Many at once take exactly the limit.
    let takes = futures::future::join_all((0..20).map(|_| store.count_use(&b, "race", 7))).await;
    assert_eq!(
        takes.into_iter().filter(|t| *t.as_ref().unwrap()).count(),
        7
    );
}

pub async fn a_nonce_is_accepted_once_until_it_is_forgotten(store: Arc<dyn Store>) {
    let forget = t0() + Duration::minutes(10);
    assert!(store.claim_nonce("n-1", t0(), forget).await.unwrap());
    assert!(
        !store
            .claim_nonce("n-1", t0() + Duration::minutes(1), forget)
            .await
            .unwrap()
    );
    // Another nonce is its own.
    assert!(store.claim_nonce("n-2", t0(), forget).await.unwrap());
    // Once forgotten, it may come again (its signature's timestamp is long refused by then).
    let later = forget + Duration::seconds(1);
    assert!(
        store
            .claim_nonce("n-1", later, later + Duration::minutes(10))
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_nonce("n-1", later, later + Duration::minutes(10))
            .await
            .unwrap()
    );
}

pub async fn a_change_mark_lasts_until_ended_or_run_out(store: Arc<dyn Store>) {
    let until = t0() + Duration::seconds(30);
    assert!(!store.is_changing("SL-ABC", t0()).await.unwrap());
    let first = store.mark_changing("SL-ABC", t0(), until).await.unwrap();
    let second = store.mark_changing("SL-ABC", t0(), until).await.unwrap();
    assert_ne!(first, second);
    assert!(
        store
            .is_changing("SL-ABC", t0() + Duration::seconds(1))
            .await
            .unwrap()
    );
    assert!(!store.is_changing("SL-OTHER", t0()).await.unwrap());
    // Two changes of one booking are independent: ending one leaves the other.
    store.unmark_changing("SL-ABC", &first).await.unwrap();
    assert!(store.is_changing("SL-ABC", t0()).await.unwrap());
    store.unmark_changing("SL-ABC", &second).await.unwrap();
    assert!(!store.is_changing("SL-ABC", t0()).await.unwrap());
    // A mark its bridge never ended (it died) runs out by itself, and goes with a later mark.
    store.mark_changing("uid-9", t0(), until).await.unwrap();
    assert!(
        store
            .is_changing("uid-9", until - Duration::seconds(1))
            .await
            .unwrap()
    );
    assert!(!store.is_changing("uid-9", until).await.unwrap());
    let later = until + Duration::seconds(5);
    let again = store
        .mark_changing("uid-9", later, later + Duration::seconds(30))
        .await
        .unwrap();
    assert!(store.is_changing("uid-9", later).await.unwrap());
    // Ending a mark that is not there is harmless.
    store
        .unmark_changing("uid-9", "no-such-token")
        .await
        .unwrap();
    store.unmark_changing("uid-9", &again).await.unwrap();
    assert!(!store.is_changing("uid-9", later).await.unwrap());
}
