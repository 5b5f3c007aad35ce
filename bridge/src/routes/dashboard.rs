//! `/app`: the owner's dashboard, a Vue app built into the binary (see `build.rs`).
//!
//! Files under `assets/` carry a content hash in their names and are cached for a year;
//! every other path is the app's page, which the browser must ask for again each time, so a
//! new release is picked up at the next load. Pages are sent with a strict content security
//! policy: only this origin's scripts, styles and API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, extract::Path};

use super::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));
}

/// The dashboard's files, as built into this binary.
pub fn assets() -> &'static [(&'static str, &'static [u8])] {
    embedded::ASSETS
}

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .route("/app/", get(|| serve(String::new())))
        .route("/app/{*path}", get(|Path(path): Path<String>| serve(path)))
        .layer(tower_http::compression::CompressionLayer::new())
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
                   form-action 'self'; frame-ancestors 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn find(path: &str) -> Option<&'static [u8]> {
    assets()
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

async fn serve(path: String) -> Response {
    if let Some(bytes) = find(&path).filter(|_| path != "index.html") {
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response();
    }
    // A missing asset is a 404, not the page: a stale page asking for last release's
    // script must fail visibly rather than run HTML as JavaScript.
    if path.starts_with("assets/") {
        return crate::error::AppError::NotFound(format!("/app/{path}")).into_response();
    }
    let Some(page) = find("index.html") else {
        return crate::error::AppError::Unavailable(
            "this bridge was built without its dashboard; run `cargo xtask build-dashboard` \
             and build the bridge again"
                .into(),
        )
        .into_response();
    };
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        page,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
