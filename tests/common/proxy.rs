//! A fault-injecting HTTP proxy on loopback: a real TCP proxy between the console's client and
//! the server that, request by request, passes, drops, delays, duplicates, or loses the answer
//! after the server has committed. Each client connection carries one request (the proxy asks
//! the server to close after answering, so the client does not reuse it).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, answered.
    Pass,
    /// The connection is closed before the server sees the request.
    DropRequest,
    /// Only half the request reaches the server, then both connections close.
    CutRequest,
    /// The server handles it (and commits); the answer is lost.
    DropResponse,
    /// The server handles it; half the answer arrives, then the connection closes.
    CutResponse,
    /// The server gets it twice at once; the client gets one answer.
    Duplicate,
    /// Forwarded after this many milliseconds.
    Delay(u64),
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    /// The faults applied, in the order requests arrived.
    pub applied: Arc<Mutex<Vec<Fault>>>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let upstream = Arc::new(Mutex::new(upstream));
        let faults = Arc::new(Mutex::new(VecDeque::new()));
        let applied = Arc::new(Mutex::new(Vec::new()));
        let (u, f, a) = (upstream.clone(), faults.clone(), applied.clone());
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(handle(conn, u.clone(), f.clone(), a.clone()));
            }
        });
        FaultProxy { addr, upstream, faults, applied, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points the proxy at another server (a restarted one).
    pub fn set_upstream(&self, addr: SocketAddr) {
        *self.upstream.lock().unwrap() = addr;
    }

    /// The faults for the next requests, in order; requests beyond them pass.
    pub fn set_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        *self.faults.lock().unwrap() = faults.into_iter().collect();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: Arc<Mutex<SocketAddr>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    applied: Arc<Mutex<Vec<Fault>>>,
) {
    let Some(request) = read_request(&mut client).await else { return };
    let fault = faults.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
    applied.lock().unwrap().push(fault);
    let upstream = *upstream.lock().unwrap();
    let request = closing(&request);
    let answer = match fault {
        Fault::DropRequest => return,
        Fault::CutRequest => {
            if let Ok(mut s) = TcpStream::connect(upstream).await {
                let _ = s.write_all(&request[..request.len() / 2]).await;
            }
            return;
        }
        Fault::Delay(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            forward(upstream, &request).await
        }
        Fault::Duplicate => {
            let (a, b) = tokio::join!(forward(upstream, &request), forward(upstream, &request));
            a.or(b)
        }
        Fault::Pass | Fault::DropResponse | Fault::CutResponse => forward(upstream, &request).await,
    };
    let Ok(answer) = answer else { return };
    match fault {
        Fault::DropResponse => {}
        Fault::CutResponse => {
            let _ = client.write_all(&answer[..answer.len() / 2]).await;
        }
        _ => {
            let _ = client.write_all(&answer).await;
        }
    }
    let _ = client.shutdown().await;
}

/// One whole HTTP/1.1 request (head and `content-length` body), or `None` if the client left.
async fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(head_end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= head_end + 4 + len {
                buf.truncate(head_end + 4 + len);
                return Some(buf);
            }
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The request with `connection: close`, so the server closes after answering.
fn closing(request: &[u8]) -> Vec<u8> {
    let head_end = find(request, b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&request[..head_end]);
    let mut lines: Vec<&str> =
        head.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("connection: close");
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&request[head_end..]);
    out
}

async fn forward(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(upstream).await?;
    s.write_all(request).await?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).await?;
    if answer.is_empty() {
        return Err(std::io::Error::other("no answer"));
    }
    Ok(answer)
}
