//! An empty Rust worker: it answers every request with an empty 200, so a benchmark can
//! measure what `wrangler dev` itself costs next to the real worker, in the same run.

use worker::{Context, Env, Request, Response, Result, event};

/// Answers every request with an empty body.
#[event(fetch)]
pub async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("")
}
