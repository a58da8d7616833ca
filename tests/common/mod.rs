//! Test harness: a real server on 127.0.0.1:0 over a real database — a fresh SQLite file, or a
//! fresh PostgreSQL database when CASEBOOK_TEST_DATABASE_URL is set — and a client that checks
//! every answer against the served OpenAPI document (route, status, content type and shape).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub mod proxy;
pub mod pty;

use casebook::domain::agent::{Agent, Role};
use casebook::server::Running;
use casebook::store::secrets::SecretKey;
use casebook::store::Store;
use reqwest::Method;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PG_ENV: &str = "CASEBOOK_TEST_DATABASE_URL";

/// A fresh database URL for one test, or `None` (with a note) when PostgreSQL is not configured.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}", dir.join("test.db").display())),
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var(PG_ENV) else {
                eprintln!("skipped: {PG_ENV} is not set, so this PostgreSQL test did not run");
                return None;
            };
            Some(create_pg_database(&admin_url).await)
        }
    }
}

async fn create_pg_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to CASEBOOK_TEST_DATABASE_URL");
    // Leftovers of earlier runs that died before cleaning up: older than an hour.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'cbtest\\_%' AND split_part(datname, '_', 2)::bigint < $1",
    )
    .bind(chrono::Utc::now().timestamp() - 3600)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    for name in stale {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await;
    }
    let name = format!("cbtest_{}_{}", chrono::Utc::now().timestamp(), uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.expect("create test database");
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

pub async fn drop_pg_database(url: &str) {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var(PG_ENV) else { return };
    let name = url.rsplit('/').next().unwrap_or("").split('?').next().unwrap_or("").to_string();
    if !name.starts_with("cbtest_") {
        return;
    }
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await;
    }
}

/// The address of a server that stopped serving.
pub struct Stopped(pub std::net::SocketAddr);

pub struct TestServer {
    pub backend: Backend,
    pub server: Running,
    pub store: Store,
    pub base: String,
    pub url: String,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(
            backend,
            casebook::server::ServeOptions { deliveries: Some(Default::default()), ..Default::default() },
        )
        .await
    }

    /// [`TestServer::start`] serving as `options` say (limits, how it delivers webhooks).
    pub async fn start_with(backend: Backend, options: casebook::server::ServeOptions) -> Option<TestServer> {
        // The server's warnings and errors (an incident's cause) show with a failing test.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,sqlx=error"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await?;
        let key = SecretKey::load_or_create(&dir.path().join("secret.key")).expect("secret key");
        let store = Store::open(&url).await.expect("open store").with_secret_key(key);
        let server =
            casebook::server::spawn_configured(store.clone(), "127.0.0.1:0", options).await.expect("spawn server");
        let base = server.url();
        Some(TestServer { backend, server, store, base, url, client: reqwest::Client::new(), _dir: dir })
    }

    /// A second API node on the same database (PostgreSQL: several stateless nodes).
    pub async fn second_node(&self) -> (Running, Store) {
        self.second_node_with(casebook::server::ServeOptions {
            deliveries: Some(Default::default()),
            ..Default::default()
        })
        .await
    }

    /// [`TestServer::second_node`] serving as `options` say.
    pub async fn second_node_with(&self, options: casebook::server::ServeOptions) -> (Running, Store) {
        let key = SecretKey::load_or_create(&self._dir.path().join("secret.key")).expect("secret key");
        let store = Store::open(&self.url).await.expect("open store").with_secret_key(key);
        let server =
            casebook::server::spawn_configured(store.clone(), "127.0.0.1:0", options).await.expect("spawn server");
        (server, store)
    }

    /// A consistent copy of the SQLite database, as a backup tool would make it.
    pub async fn backup(&self) -> std::path::PathBuf {
        assert_eq!(self.backend, Backend::Sqlite, "backups are taken of SQLite files here");
        let path = self._dir.path().join(format!("backup-{}.db", uuid::Uuid::now_v7()));
        sqlx::query(&format!("VACUUM INTO '{}'", path.display())).execute(self.store.reader()).await.expect("backup");
        path
    }

    /// Stops the server, puts `backup` in place of its database, and starts it again (on a new
    /// port: `base` changes).
    pub async fn restore(&mut self, backup: &std::path::Path) {
        self.store.close().await;
        let file = self._dir.path().join("test.db");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        std::fs::copy(backup, &file).expect("restore backup");
        self.store = Store::open(&self.url).await.expect("open restored store");
        let server = casebook::server::spawn(self.store.clone(), "127.0.0.1:0").await.expect("spawn server");
        self.base = server.url();
        std::mem::replace(&mut self.server, server).stop().await;
    }

    /// Stops serving (the database stays): clients find nobody at `base` until
    /// [`TestServer::serve_again`]. The stopped server is kept to hold the address.
    pub async fn stop_serving(&mut self) -> Stopped {
        let addr = self.server.addr;
        let idle = casebook::server::spawn(self.store.clone(), "127.0.0.1:0").await.expect("spawn");
        std::mem::replace(&mut self.server, idle).stop().await;
        Stopped(addr)
    }

    /// Serves again at the address it had (`base` stays valid).
    pub async fn serve_again(&mut self, stopped: Stopped) {
        let server = casebook::server::spawn(self.store.clone(), &stopped.0.to_string()).await.expect("serve again");
        std::mem::replace(&mut self.server, server).stop().await;
    }

    pub async fn finish(self) {
        self.server.stop().await;
        self.store.close().await;
        if self.backend == Backend::Postgres {
            drop_pg_database(&self.url).await;
        }
    }

    pub async fn agent(&self, name: &str, role: Role, teams: &[&str]) -> (Agent, String) {
        let teams: Vec<String> = teams.iter().map(|s| s.to_string()).collect();
        self.store.add_agent(name, role, &teams).await.expect("add agent")
    }

    /// A customer, made by posting a shop sign-up event for `subject` (with a token that may
    /// post shop events); returns its id.
    pub async fn customer(&self, token: &str, subject: &str) -> String {
        let event = ce(
            &format!("signup-{subject}"),
            "shop",
            "signed_up",
            subject,
            "2024-01-01T00:00:00Z",
            serde_json::json!({}),
        );
        let r = self.events(token, "application/cloudevents+json", event).await;
        r.json["customer_id"].as_str().expect("the sign-up event names its customer").to_string()
    }

    pub async fn ingest_token(&self, source: &str) -> String {
        self.store.add_ingest_token(source).await.expect("ingest token")
    }

    /// Sends a request and checks the answer against the OpenAPI document.
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<(&str, Vec<u8>)>) -> Resp {
        let mut req = self.client.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = res.bytes().await.expect("body");
        let json: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!("{method} {path}: answer is not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        if status >= 500 {
            panic!("{method} {path}: server error {status}: {json}");
        }
        conforms(&method, path, status, &content_type, &json);
        Resp { status, content_type, json }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(token), Some(("application/json", serde_json::to_vec(&body).unwrap()))).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, Some(token), Some(("application/json", serde_json::to_vec(&body).unwrap()))).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(token), Some(("application/json", serde_json::to_vec(&body).unwrap())))
            .await
    }

    pub async fn events(&self, token: &str, content_type: &str, body: Value) -> Resp {
        self.send(Method::POST, "/api/v1/events", Some(token), Some((content_type, serde_json::to_vec(&body).unwrap())))
            .await
    }

    /// Pushes `ops` for `device`; the results (the push itself must answer 200).
    pub async fn push(&self, token: &str, device: uuid::Uuid, ops: &[Value]) -> Vec<Value> {
        let r =
            self.post("/api/v1/sync/push", token, serde_json::json!({"device_id": device, "operations": ops})).await;
        assert_eq!(r.status, 200, "{}", r.json);
        r.json["results"].as_array().unwrap().clone()
    }

    /// The bodies of a case's notes, as the server has them.
    pub async fn note_bodies(&self, case_id: &str, token: &str) -> Vec<String> {
        let case = self.get(&format!("/api/v1/cases/{case_id}"), token).await.json;
        case["notes"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap().to_string()).collect()
    }
}

/// A port nothing listens on: the server "down".
pub async fn dead_server() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// A pushed operation with a fresh id.
pub fn op(seq: i64, kind: &str, payload: Value) -> Value {
    serde_json::json!({"id": uuid::Uuid::now_v7(), "seq": seq, "kind": kind, "payload": payload})
}

/// The status of each push result.
pub fn statuses(results: &[Value]) -> Vec<&str> {
    results.iter().map(|r| r["status"].as_str().unwrap()).collect()
}

pub fn openapi_doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(casebook::server::openapi_json()).expect("the OpenAPI document is JSON"))
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

fn escape_pointer(s: &str) -> String {
    // A JSON pointer inside a URI fragment: `~` and `/` escaped, braces percent-encoded.
    s.replace('~', "~0").replace('/', "~1").replace('{', "%7B").replace('}', "%7D")
}

/// Panics unless the documented operation for (method, path) documents this status and
/// content type, and the body fits the documented schema.
pub fn conforms(method: &Method, full_path: &str, status: u16, content_type: &str, body: &Value) {
    let path = full_path.split('?').next().unwrap_or(full_path);
    let doc = openapi_doc();
    let paths = doc["paths"].as_object().expect("paths");
    let template = paths.keys().find(|t| template_matches(t, path));
    let op_key = method.as_str().to_lowercase();
    let op = template.and_then(|t| paths[t].get(&op_key).map(|op| (t, op)));
    let Some((template, op)) = op else {
        // The fallback answers unknown routes and methods with a problem; anything else served
        // must be in the document.
        assert!(
            (status == 404 || status == 405) && content_type.starts_with("application/problem+json"),
            "{method} {path} answered {status} but is missing from the OpenAPI document"
        );
        return;
    };
    let responses = op["responses"].as_object().expect("responses");
    let range = format!("{}XX", status / 100);
    let key = [status.to_string(), range, "default".to_string()]
        .into_iter()
        .find(|k| responses.contains_key(k))
        .unwrap_or_else(|| panic!("{method} {template}: status {status} is not documented: {body}"));
    let content = &responses[&key]["content"];
    if content.is_null() && media_is_empty(content_type) {
        return; // documented without a body, answered without one (204)
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    let Some(schema_at) = content.get(media) else {
        panic!("{method} {template} {status}: content type `{media}` is not documented (documented: {content})");
    };
    let pointer = format!(
        "#/paths/{}/{op_key}/responses/{key}/content/{}/schema",
        escape_pointer(template),
        escape_pointer(media)
    );
    if schema_at.get("schema").is_none() {
        return;
    }
    let validator = validator_for(&pointer);
    let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status}: the answer does not fit the documented shape:\n{}\n{body:#}",
        errors.join("\n")
    );
}

fn media_is_empty(content_type: &str) -> bool {
    content_type.trim().is_empty()
}

fn validator_for(pointer: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(pointer) {
        return v.clone();
    }
    let mut root = openapi_doc().clone();
    root["$schema"] = Value::String("https://json-schema.org/draft/2020-12/schema".into());
    root["$ref"] = Value::String(pointer.to_string());
    let v = Arc::new(
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema at {pointer} does not compile: {e}")),
    );
    cache.lock().unwrap().insert(pointer.to_string(), v.clone());
    v
}

/// A CloudEvent in JSON.
pub fn ce(id: &str, source: &str, kind: &str, subject: &str, time: &str, data: Value) -> Value {
    serde_json::json!({
        "specversion": "1.0", "id": id, "source": source, "type": format!("com.example.{source}.{kind}"),
        "subject": subject, "time": time, "data": data
    })
}

/// Runs an async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(s) = $crate::common::TestServer::start($crate::common::Backend::Sqlite).await {
                        super::$name(&s).await;
                        s.finish().await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(s) = $crate::common::TestServer::start($crate::common::Backend::Postgres).await {
                        super::$name(&s).await;
                        s.finish().await;
                    }
                }
            }
        )+
    };
}
