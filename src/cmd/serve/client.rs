//! A small HTTP/1 client (hyper) for `flinch bench serve` and the server
//! tests: one connection per request, bodies as text, SSE read event by
//! event. Dropping an [`EventStream`] closes its connection at once, as a
//! killed client would.

use std::net::SocketAddr;

use anyhow::Context;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A whole response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// The `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("the response is not JSON: {}", self.body))
    }
}

/// The connection's task, closed when this is dropped (with the future
/// that holds it, as when a client is killed).
struct Connection(JoinHandle<()>);

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> anyhow::Result<(hyper::Response<Incoming>, Connection)> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    let conn = Connection(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, addr.to_string());
    if body.is_some() {
        builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
    }
    let request = builder.body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))?;
    let response = sender.send_request(request).await?;
    Ok((response, conn))
}

fn header(response: &hyper::Response<Incoming>, name: hyper::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn whole(
    method: Method,
    addr: SocketAddr,
    path: &str,
    body: Option<&str>,
) -> anyhow::Result<Reply> {
    let (response, _conn) = send(addr, method, path, body).await?;
    let status = response.status().as_u16();
    let retry_after = header(&response, hyper::header::RETRY_AFTER).and_then(|v| v.parse().ok());
    let content_type = header(&response, hyper::header::CONTENT_TYPE);
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok(Reply {
        status,
        retry_after,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

pub async fn get(addr: SocketAddr, path: &str) -> anyhow::Result<Reply> {
    whole(Method::GET, addr, path, None).await
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> anyhow::Result<Reply> {
    whole(Method::POST, addr, path, Some(body)).await
}

/// A response read as server-sent events.
pub struct EventStream {
    pub status: u16,
    pub retry_after: Option<u64>,
    body: Incoming,
    buffer: String,
    _conn: Connection,
}

impl EventStream {
    pub async fn open(addr: SocketAddr, path: &str, body: &str) -> anyhow::Result<Self> {
        let (response, conn) = send(addr, Method::POST, path, Some(body)).await?;
        Ok(Self {
            status: response.status().as_u16(),
            retry_after: header(&response, hyper::header::RETRY_AFTER).and_then(|v| v.parse().ok()),
            body: response.into_body(),
            buffer: String::new(),
            _conn: conn,
        })
    }

    /// The `data` of the next event (comments skipped); `None` at the end.
    pub async fn next(&mut self) -> anyhow::Result<Option<String>> {
        loop {
            if let Some(cut) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..cut + 2).collect();
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                if data.is_empty() {
                    continue;
                }
                return Ok(Some(data.join("\n")));
            }
            match self.body.frame().await {
                None => return Ok(None),
                Some(frame) => {
                    if let Ok(bytes) = frame?.into_data() {
                        self.buffer.push_str(&String::from_utf8_lossy(&bytes));
                    }
                }
            }
        }
    }
}
