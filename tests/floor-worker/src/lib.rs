//! The worker benchmark's floors, two deployments of one Rust worker:
//!
//! - the empty worker (`tests/floor-worker/wrangler.toml`): every request answered with an
//!   empty 200, what `wrangler dev` itself costs;
//! - the Durable Object floor (`tests/floor-worker/do/wrangler.toml`, `FLOOR_DO` set): each
//!   webhook goes to a Durable Object named by its sender and recipient, as the real
//!   worker's conversations are, which reads one small key, writes it back and answers.
//!   What crossing into a Durable Object and persisting there costs, before any work.

use worker::{Context, Env, Method, Request, Response, Result, event};

/// The Durable Object binding of the second floor.
const BINDING: &str = "FLOOR_OBJECTS";

/// Answers every request with an empty body, or, in the Durable Object floor, has the
/// sender's object answer each POST.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if env.var("FLOOR_DO").is_err() || req.method() != Method::Post {
        return Response::ok("");
    }
    let form = req.clone()?.form_data().await?;
    let field = |name: &str| match form.get(name) {
        Some(worker::FormEntry::Field(value)) => value,
        _ => String::new(),
    };
    let name = format!("{}/{}", field("To"), field("From"));
    let stub = env.durable_object(BINDING)?.get_by_name(&name)?;
    stub.fetch_with_request(req).await
}

// `#[durable_object]` generates undocumented JS glue; the allowance is scoped to it.
#[allow(missing_docs)]
mod object {
    use worker::{
        DurableObject, Env, Request, Response, Result, State, durable_object, wasm_bindgen,
    };

    /// One customer's object: a counter read and written per message.
    #[durable_object]
    pub struct FloorObject {
        state: State,
    }

    impl DurableObject for FloorObject {
        fn new(state: State, _env: Env) -> Self {
            Self { state }
        }

        async fn fetch(&self, _req: Request) -> Result<Response> {
            let storage = self.state.storage();
            let seen: u64 = storage.get("seen").await.ok().flatten().unwrap_or(0);
            storage.put("seen", seen + 1).await?;
            Response::ok("")
        }
    }
}
