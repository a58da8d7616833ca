//! A server that a misbehaving client cannot exhaust: idle, header-trickle and body-trickle
//! connections are closed, connections over the cap get a 503 problem with Retry-After, a stop
//! lets the request in flight finish, and every error is a problem document.

mod common;

use std::time::{Duration, Instant};

use casebook::domain::agent::Role;
use casebook::server::listen::Limits;
use casebook::store::Store;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server(limits: Limits) -> (casebook::server::Running, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database(common::Backend::Sqlite, dir.path()).await.unwrap();
    let store = Store::open(&url).await.unwrap();
    let running = casebook::server::spawn_with(store.clone(), "127.0.0.1:0", limits).await.unwrap();
    (running, store, dir)
}

/// Reads until the server closes the connection (or `within` passes); what it said.
async fn read_to_close(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&out).to_string()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    let limits = Limits {
        header_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let (running, store, _dir) = server(limits).await;
    let addr = running.addr;

    // Idle: never sends a byte.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert!(read_to_close(&mut idle, Duration::from_secs(3)).await.is_some(), "an idle connection is closed");

    // Headers a byte at a time, never finished.
    let mut trickle = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle().take(200) {
            if trickle.write_all(&[*b]).await.is_err() {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        started.elapsed()
    });
    let took = writer.await.unwrap();
    assert!(took < Duration::from_secs(5), "the header trickle was cut off after {took:?}");

    // Idle keep-alive: a connection that made one request and went quiet is closed too.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let said = read_to_close(&mut kept, Duration::from_secs(3)).await.expect("closed after going idle");
    assert!(said.starts_with("HTTP/1.1 200"), "{said}");
    running.stop().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_gets_408() {
    let limits = Limits { body_timeout: Duration::from_millis(300), ..Limits::default() };
    let (running, store, _dir) = server(limits).await;
    let (_, token) = store.add_agent("anna", Role::Agent, &["support".into()]).await.unwrap();
    let mut s = TcpStream::connect(running.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"sub"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let said = read_to_close(&mut s, Duration::from_secs(5)).await.expect("answered");
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.contains("application/problem+json") && said.contains("request-timeout"), "{said}");
    running.stop().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_get_503_and_a_stop_finishes_what_is_in_flight() {
    let limits = Limits { max_connections: 4, header_timeout: Duration::from_secs(20), ..Limits::default() };
    let (running, store, _dir) = server(limits).await;
    let addr = running.addr;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut over = TcpStream::connect(addr).await.unwrap();
    let said = read_to_close(&mut over, Duration::from_secs(3)).await.expect("answered at once");
    assert!(said.starts_with("HTTP/1.1 503"), "{said}");
    assert!(said.contains("retry-after: 1") && said.contains("application/problem+json"), "{said}");
    // One leaves: a new connection is served again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::new();
    let r = client.get(format!("http://{addr}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    drop(held);
    drop(client);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A request in flight when the stop comes is finished, then the server stops.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let body = json!({"name": "ben", "role": "agent"}).to_string();
    let (_, admin_token) = store.add_agent("root", Role::Admin, &[]).await.unwrap();
    let head = format!(
        "POST /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin_token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body.as_bytes()[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(running.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "the stop waits for the request in flight");
    assert!(TcpStream::connect(addr).await.is_err(), "no new connections while stopping");
    slow.write_all(&body.as_bytes()[5..]).await.unwrap();
    let said = read_to_close(&mut slow, Duration::from_secs(5)).await.expect("answered");
    assert!(said.starts_with("HTTP/1.1 201"), "{said}");
    tokio::time::timeout(Duration::from_secs(5), stopping).await.expect("stopped after it").unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_a_problem_document() {
    let s = common::TestServer::start(common::Backend::Sqlite).await.unwrap();
    let (_, token) = s.agent("anna", Role::Agent, &["support"]).await;
    for path in ["/api/v1/cases/%FF", "/api/v1/customers/%C3%28/timeline"] {
        let r = s.get(path, &token).await;
        assert_eq!(r.status, 400, "{path}: {}", r.json);
        assert_eq!(r.content_type, "application/problem+json", "{path}");
        assert!(!r.json["detail"].as_str().unwrap_or("").is_empty(), "{path}: {}", r.json);
    }
    s.finish().await;
}
