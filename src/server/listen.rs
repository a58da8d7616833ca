//! Serving connections with limits a misbehaving client cannot get past: a time to send a
//! request's headers (which is also how long an idle keep-alive connection may wait for its
//! next request), a time to send its body, a cap on open connections and on requests being
//! handled at once — over either, a clear `503` with `Retry-After` instead of a queue that
//! grows until the process runs out of descriptors — and a graceful stop: on shutdown no new
//! connection is taken, requests in flight finish, idle connections close.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::problem::ApiError;

/// The limits of one server process.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Requests being handled at once; one more is answered 503.
    pub max_in_flight: usize,
    /// Time to send a request's headers, and the most a keep-alive connection stays idle.
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
    /// How long a graceful stop waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 512,
            max_in_flight: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// How long the request's body may take to arrive, for the extractors that read it.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

fn busy(detail: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable", detail)
}

/// Caps requests in flight (503 over the cap) and tells the extractors the body's deadline.
pub async fn limit_requests(
    axum::extract::State((slots, body)): axum::extract::State<(Arc<Semaphore>, Duration)>,
    mut req: Request,
    next: Next,
) -> Response {
    let Ok(_slot) = slots.try_acquire() else {
        return busy("the server is handling as many requests as it takes at once: retry in a moment").into_response();
    };
    req.extensions_mut().insert(BodyDeadline(body));
    next.run(req).await
}

/// The answer to a connection over the cap, written by hand: it never reaches the router.
async fn refuse_connection(mut stream: TcpStream) {
    let body = serde_json::to_string(
        &*busy("the server has as many connections open as it takes: retry in a moment, or reuse a connection").0,
    )
    .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops taking
/// connections and lets requests in flight finish (up to the drain timeout).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors or a connection reset before it was taken: wait a moment
                // rather than spin, and go on.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Each request knows its connection's peer (`/metrics` is free on loopback only).
        let service = tower::ServiceExt::map_request(router.clone(), move |mut req: axum::extract::Request<_>| {
            req.extensions_mut().insert(super::metrics::Peer(peer));
            req
        });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(limits.drain_timeout) => {
            tracing::warn!("requests still in flight after {:?}: stopping anyway", limits.drain_timeout);
        }
    }
    Ok(())
}
