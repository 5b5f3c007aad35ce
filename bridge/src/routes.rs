//! The bridge's HTTP surface. Handlers extract, call one function and map the result.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use slotline_shared::wire::{Health, StoreHealth};

use crate::ports::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
}

/// The bridge's routes, ready to serve or to call in tests.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback(crate::error::not_found)
        .with_state(state)
}

/// `GET /healthz`: the version and whether the store answers; 503 when it does not.
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let store = state.store.health().await;
    let status = match store {
        StoreHealth::Ok { .. } => StatusCode::OK,
        StoreHealth::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    let health = Health {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        store,
    };
    (status, Json(health))
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::adapters::SqliteStore;

    async fn get_json(app: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let resp = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn health_reports_the_version_and_a_working_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db")).unwrap();
        let (status, body) = get_json(
            app(AppState {
                store: Arc::new(store),
            }),
            "/healthz",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["store"]["status"], "ok");
        assert_eq!(body["store"]["backend"], "sqlite");
    }

    struct DownStore;

    #[async_trait]
    impl Store for DownStore {
        async fn health(&self) -> StoreHealth {
            StoreHealth::Unavailable {
                backend: "sqlite".into(),
                reason: "database did not answer".into(),
            }
        }
    }

    #[tokio::test]
    async fn health_is_503_when_the_store_does_not_answer() {
        let (status, body) = get_json(
            app(AppState {
                store: Arc::new(DownStore),
            }),
            "/healthz",
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["store"]["status"], "unavailable");
    }

    #[tokio::test]
    async fn an_unknown_path_is_a_json_404() {
        let (status, body) = get_json(
            app(AppState {
                store: Arc::new(DownStore),
            }),
            "/nope",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"], "not_found");
    }
}
