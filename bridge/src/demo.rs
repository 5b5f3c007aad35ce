//! The demo salon: three services, three providers with different hours and breaks. Seeded
//! by `SLOTLINE_SEED_DEMO=1` (which `cargo xtask dev` sets) when no tenant `demo` exists.

use slotline_shared::catalog::TenantId;
use slotline_shared::i18n::Lang;
use slotline_shared::phone::PhoneNumber;

use crate::auth;
use crate::model::{
    BookingPolicy, Interval, ProviderRecord, Role, ServiceRecord, Tenant, User, Weekly,
};
use crate::ports::{Store, StoreError};

/// The demo tenant's id.
pub const TENANT: &str = "demo";

fn service(
    id: &str,
    name: &str,
    description: &str,
    minutes: u32,
    cents: i64,
    deposit: Option<i64>,
    aliases: &[&str],
) -> ServiceRecord {
    ServiceRecord {
        id: id.into(),
        name: name.into(),
        description: description.into(),
        duration_min: minutes,
        price_minor: cents,
        currency: "EUR".into(),
        deposit_minor: deposit,
        deposit_percent: None,
        buffer_before_min: 0,
        buffer_after_min: 10,
        image_url: None,
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        translations: Default::default(),
        active: true,
    }
}

fn provider(id: &str, name: &str, rating: u8, services: &[&str]) -> ProviderRecord {
    ProviderRecord {
        id: id.into(),
        name: name.into(),
        rating_tenths: Some(rating),
        aliases: vec![],
        services: services.iter().map(|s| (*s).into()).collect(),
        weight: 1,
        max_per_day: None,
        zone: None,
        active: true,
        calcom_event_types: Default::default(),
    }
}

fn days(mon_fri: &[Interval], sat: &[Interval]) -> Weekly {
    Weekly {
        mon: mon_fri.to_vec(),
        tue: mon_fri.to_vec(),
        wed: mon_fri.to_vec(),
        thu: mon_fri.to_vec(),
        fri: mon_fri.to_vec(),
        sat: sat.to_vec(),
        sun: Vec::new(),
    }
}

/// Creates the demo salon unless it exists. Returns whether it was created.
pub async fn seed(store: &dyn Store) -> Result<bool, StoreError> {
    let id = TenantId::from(TENANT);
    if store.tenant(&id).await?.is_some() {
        // A demo seeded before it had dashboard users gets them now.
        seed_users(store, &id).await?;
        return Ok(false);
    }
    let tenant = Tenant {
        id: id.clone(),
        name: "Salon Bella".into(),
        zone: chrono_tz::Europe::Madrid,
        languages: vec![Lang::En, Lang::Es, Lang::Pt],
        numbers: PhoneNumber::parse("+14155238886").into_iter().collect(),
        keywords: vec!["bella".into(), "salon".into()],
        greeting: None,
        emoji: true,
        policy: BookingPolicy::default(),
        interactive: false,
        address: None,
        maps_url: None,
        llm_monthly_calls: 200,
        logo_url: None,
        reminders: Default::default(),
        messaging: Default::default(),
        payments: Default::default(),
        billing: Some(crate::model::Billing {
            legal_name: "Salon Bella S.L.".into(),
            address: "Calle Mayor 12\n28013 Madrid".into(),
            tax_id: Some("ESB12345678".into()),
            tax_basis_points: Some(2100),
        }),
        onboarding: Default::default(),
        senders: Vec::new(),
        template_requests: Vec::new(),
        flows: Default::default(),
    };
    // The demo's key is random and never shown: the operator key manages it.
    let key = auth::new_key().map_err(|e| StoreError::backend(e.to_string()))?;
    store.create_tenant(&tenant, &auth::key_hash(&key)).await?;
    for s in [
        service(
            "haircut",
            "Haircut",
            "Wash, cut and style",
            30,
            2000,
            None,
            &["corte", "corte de pelo", "corte de cabelo", "cut"],
        ),
        service(
            "colour",
            "Colour",
            "Full colour with gloss",
            90,
            6000,
            Some(1500),
            &["color", "coloracion", "coloração", "tinte", "dye"],
        ),
        service(
            "manicure",
            "Manicure",
            "Shape, cuticles and polish",
            45,
            2500,
            None,
            &["manicura", "unhas", "nails"],
        ),
    ] {
        store.put_service(&id, &s).await?;
    }
    let maria = days(
        &[
            Interval::hm((9, 0), (13, 0)),
            Interval::hm((14, 0), (18, 0)),
        ],
        &[Interval::hm((10, 0), (14, 0))],
    );
    let joao = days(
        &[
            Interval::hm((11, 0), (15, 0)),
            Interval::hm((15, 30), (20, 0)),
        ],
        &[],
    );
    let ana = days(
        &[
            Interval::hm((8, 0), (12, 0)),
            Interval::hm((12, 30), (16, 0)),
        ],
        &[Interval::hm((9, 0), (13, 0))],
    );
    for (p, weekly) in [
        (
            provider("maria", "Maria Silva", 48, &["haircut", "colour"]),
            maria,
        ),
        (
            provider(
                "joao",
                "João Pereira",
                49,
                &["haircut", "colour", "manicure"],
            ),
            joao,
        ),
        (
            provider("ana", "Ana Costa", 46, &["haircut", "manicure"]),
            ana,
        ),
    ] {
        store.put_provider(&id, &p).await?;
        store.set_weekly(&id, &p.id, &weekly).await?;
    }
    seed_users(store, &id).await?;
    Ok(true)
}

/// Who signs in to the demo's dashboard: its owner, and Maria as staff; each unless there.
async fn seed_users(store: &dyn Store, id: &TenantId) -> Result<(), StoreError> {
    for (email, name, role, provider) in [
        (DEMO_OWNER, "Bella Owner", Role::Owner, None),
        (DEMO_STAFF, "Maria Silva", Role::Staff, Some("maria")),
    ] {
        if store.user_by_email(email).await?.is_some() {
            continue;
        }
        let user = User {
            id: crate::accounts::new_id("usr").map_err(|e| StoreError::backend(e.to_string()))?,
            tenant: Some(id.clone()),
            email: email.into(),
            name: name.into(),
            role,
            phone: None,
            provider: provider.map(Into::into),
            created_at: chrono::Utc::now(),
        };
        let hash = crate::accounts::hash_password(DEMO_PASSWORD)
            .await
            .map_err(|e| StoreError::backend(e.to_string()))?;
        store.create_user(&user, &hash).await?;
    }
    Ok(())
}

/// The demo owner's sign-in email.
pub const DEMO_OWNER: &str = "owner@salon-bella.example";
/// The demo staff member's sign-in email (Maria).
pub const DEMO_STAFF: &str = "maria@salon-bella.example";
/// The demo users' password; the demo is seeded only where `SLOTLINE_SEED_DEMO=1`.
pub const DEMO_PASSWORD: &str = "bella-demo-2026";
