//! `slotline-spin-host`: serves the bridge's Spin component the way `spin up` would, for the
//! tests (there is no Spin CLI on these machines).
//!
//! ```text
//! slotline-spin-host --manifest spin.toml [--component PATH.wasm] --data DIR
//!                    [--listen 127.0.0.1:0] [--addr-file FILE] [--var name=value ...]
//! ```
//!
//! It reads the manifest as Spin does: the application's `[variables]` (defaults, `required`),
//! the component's `variables` (templates over them), `sqlite_databases` and
//! `allowed_outbound_hosts`. Each request gets a fresh instance of the component (as in
//! Spin). It provides:
//!
//! - WASI 0.2 and 0.3 (clocks, random, stdio, …) from `wasmtime-wasi`;
//! - `wasi:http` 0.3 in and out from `wasmtime-wasi-http`, outbound calls only to the
//!   manifest's allowed hosts;
//! - `spin:sqlite` over rusqlite, one file per database under `--data`;
//! - `spin:variables` from `--var name=value` and `SPIN_VARIABLE_NAME` environment variables.
//!
//! It prints `listening on ADDR` once it serves, and the time the component took to compile
//! and to answer its first request (cold start).
//!
//! `slotline-spin-host --imports --component PATH.wasm` lists the interfaces the component
//! imports, one a line, and exits.

mod manifest;
mod spin;

include!(concat!(env!("OUT_DIR"), "/spin_wit.rs"));

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// What every instance shares.
struct Shared {
    databases: spin::Databases,
    variables: HashMap<String, String>,
    outbound: Arc<spin::Outbound>,
}

/// One instance's state.
pub struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: spin::Outbound,
    shared: Arc<Shared>,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

struct Args {
    manifest: PathBuf,
    component: PathBuf,
    data: PathBuf,
    listen: SocketAddr,
    addr_file: Option<PathBuf>,
    vars: HashMap<String, String>,
}

const USAGE: &str = "usage: slotline-spin-host --manifest spin.toml [--component PATH.wasm] --data DIR [--listen ADDR] [--addr-file FILE] [--var name=value ...]\n       slotline-spin-host --imports --component PATH.wasm";

fn args() -> Result<Args, String> {
    let mut manifest = None;
    let mut component = None;
    let mut data = None;
    let mut listen: SocketAddr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
    let mut addr_file = None;
    let mut vars = HashMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--manifest" => manifest = Some(PathBuf::from(value()?)),
            "--component" => component = Some(PathBuf::from(value()?)),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--listen" => {
                listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?;
            }
            "--addr-file" => addr_file = Some(PathBuf::from(value()?)),
            "--var" => {
                let pair = value()?;
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--var wants name=value, not {pair:?}"))?;
                vars.insert(k.to_owned(), v.to_owned());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Args {
        manifest: manifest.ok_or(USAGE)?,
        component: component.unwrap_or_default(),
        data: data.ok_or(USAGE)?,
        listen,
        addr_file,
        vars,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slotline-spin-host: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The interfaces `component` imports.
fn imports(component: &std::path::Path) -> Result<Vec<String>, String> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    let engine = Engine::new(&config).map_err(|e| format!("wasmtime: {e}"))?;
    let component = Component::from_file(&engine, component)
        .map_err(|e| format!("cannot load {}: {e:#}", component.display()))?;
    let mut names: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    names.sort();
    Ok(names)
}

async fn run() -> Result<(), String> {
    let mut raw = std::env::args().skip(1);
    if raw.next().as_deref() == Some("--imports") {
        let (Some(flag), Some(path)) = (raw.next(), raw.next()) else {
            return Err(USAGE.into());
        };
        if flag != "--component" {
            return Err(USAGE.into());
        }
        for name in imports(std::path::Path::new(&path))? {
            println!("{name}");
        }
        return Ok(());
    }
    let args = args()?;
    let manifest = manifest::Manifest::read(&args.manifest)?;
    // Without --component, the manifest's own `source`, as `spin up` runs it.
    let component_path = if args.component.as_os_str().is_empty() {
        args.manifest
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."))
            .join(&manifest.source)
    } else {
        args.component.clone()
    };
    let mut given = args.vars.clone();
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("SPIN_VARIABLE_") {
            given.entry(name.to_ascii_lowercase()).or_insert(v);
        }
    }
    let variables = manifest.component_variables(&given)?;
    let allowed = manifest.allowed_hosts(&given)?;
    std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create {}: {e}", args.data.display()))?;
    let databases = spin::Databases::new(&args.data, &manifest.sqlite_databases);

    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    let engine = Engine::new(&config).map_err(|e| format!("wasmtime: {e}"))?;
    let started = Instant::now();
    let component = Component::from_file(&engine, &component_path)
        .map_err(|e| format!("cannot load {}: {e:#}", component_path.display()))?;
    let compiled = started.elapsed();

    let mut linker: Linker<Host> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| format!("{e:#}"))?;
    wasmtime_wasi::p3::add_to_linker(&mut linker).map_err(|e| format!("{e:#}"))?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker).map_err(|e| format!("{e:#}"))?;
    spin::add_to_linker(&mut linker).map_err(|e| format!("{e:#}"))?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| format!("the component does not link: {e:#}"))?;
    let pre = ServicePre::new(pre).map_err(|e| format!("not an HTTP component: {e:#}"))?;

    let shared = Arc::new(Shared {
        databases,
        variables,
        outbound: Arc::new(spin::Outbound::new(allowed)),
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    if let Some(path) = &args.addr_file {
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bound.to_string())
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    println!(
        "listening on {bound} (component compiled in {} ms)",
        compiled.as_millis()
    );
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    loop {
        let (socket, peer) = listener.accept().await.map_err(|e| e.to_string())?;
        let (pre, shared, engine, first) = (
            pre.clone(),
            Arc::clone(&shared),
            engine.clone(),
            Arc::clone(&first),
        );
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (pre, shared, engine, first) = (
                    pre.clone(),
                    Arc::clone(&shared),
                    engine.clone(),
                    Arc::clone(&first),
                );
                async move {
                    let at = Instant::now();
                    let answer = match serve(&engine, &pre, shared, request, peer).await {
                        Ok(response) => response,
                        Err(e) => {
                            eprintln!("slotline-spin-host: request failed: {e:#}");
                            let mut r = http::Response::new(Full::new(Bytes::from(
                                "the component failed; see the host's log",
                            )));
                            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                            r
                        }
                    };
                    if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        println!(
                            "first request answered in {} ms (instantiation included)",
                            at.elapsed().as_millis()
                        );
                    }
                    Ok::<_, std::convert::Infallible>(answer)
                }
            });
            let io = hyper_util::rt::TokioIo::new(socket);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await
            {
                eprintln!("slotline-spin-host: connection: {e}");
            }
        });
    }
}

/// One request: a fresh store and instance, the handler called, its answer read whole.
async fn serve(
    engine: &Engine,
    pre: &ServicePre<Host>,
    shared: Arc<Shared>,
    request: http::Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> wasmtime::Result<http::Response<Full<Bytes>>> {
    let wasi = WasiCtx::builder().inherit_stderr().inherit_stdout().build();
    let hooks = shared.outbound.as_ref().clone();
    let mut request_hooks = hooks.clone();
    let mut store = Store::new(
        engine,
        Host {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            shared,
        },
    );
    let service = pre.instantiate_async(&mut store).await?;
    let (mut parts, body) = request.into_parts();
    // Spin tells a component who called in this header.
    parts.headers.insert(
        "spin-client-addr",
        http::HeaderValue::from_str(&peer.to_string())?,
    );
    // The request's URI as the component sees it: absolute, as Spin gives it.
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let authority = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    parts.uri = format!("http://{authority}{path}").parse()?;
    let body = body.collect().await?.to_bytes();
    let request = http::Request::from_parts(parts, Full::new(body));
    store
        .run_concurrent(async move |accessor| -> wasmtime::Result<_> {
            let (request, io) =
                wasmtime_wasi_http::p3::Request::from_http(&mut request_hooks, request);
            let response = match service.handle(accessor, request).await? {
                Ok(response) => response,
                Err(code) => wasmtime::bail!("the handler answered an error: {code:?}"),
            };
            let response = accessor.with(|mut store| response.into_http(&mut store, io))?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok(http::Response::from_parts(parts, Full::new(body)))
        })
        .await?
}
