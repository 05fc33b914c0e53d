//! A minimal HTTP/1.1 server for `compel serve`'s few read-only endpoints:
//! `GET` and `HEAD` only, one request per connection (`Connection:
//! close`), request heads bounded in size and time, a bounded number of
//! connections at once (more are answered 503 and closed).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The most bytes of a request head.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most connections served at once.
pub const MAX_CONNECTIONS: usize = 32;
/// How long a client may take to send its request or read the answer.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A request, as far as the endpoints need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
}

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Response {
    /// A plain-text answer.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", body: body.into() }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Parses a request head (up to the blank line).
pub fn parse_head(head: &str) -> Result<Request, u16> {
    let mut lines = head.split("\r\n");
    let first = lines.next().ok_or(400u16)?;
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Err(400);
    }
    let mut accept = None;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("accept") {
                accept = Some(v.trim().to_string());
            }
        }
    }
    let path = target.split(['?', '#']).next().unwrap_or("").to_string();
    Ok(Request { method: method.to_string(), path, accept })
}

fn read_head(stream: &mut TcpStream) -> Result<String, u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return String::from_utf8(buf).map_err(|_| 400);
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(431);
        }
    }
}

fn write_response(stream: &mut TcpStream, response: &Response, head_only: bool) {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if !head_only {
        let _ = stream.write_all(response.body.as_bytes());
    }
    let _ = stream.flush();
}

/// The handler of every request.
pub type Handler = dyn Fn(&Request) -> Response + Send + Sync;

fn handle(mut stream: TcpStream, handler: &Handler) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let response = match read_head(&mut stream).and_then(|h| parse_head(&h)) {
        Ok(req) if req.method == "GET" || req.method == "HEAD" => {
            let r = handler(&req);
            write_response(&mut stream, &r, req.method == "HEAD");
            return;
        }
        Ok(_) => Response::text(405, "only GET and HEAD\n"),
        Err(status) => Response::text(status, "bad request\n"),
    };
    write_response(&mut stream, &response, false);
}

/// Serves `listener` until `stop` is set: each connection on its own
/// thread, at most [`MAX_CONNECTIONS`] at once.
pub fn serve(listener: TcpListener, handler: Arc<Handler>, stop: Arc<AtomicBool>) {
    let _ = listener.set_nonblocking(true);
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                    write_response(&mut stream, &Response::text(503, "too many connections\n"), false);
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                let (handler, count) = (Arc::clone(&handler), Arc::clone(&active));
                let spawned = std::thread::Builder::new().name("compel-http".into()).spawn(move || {
                    handle(stream, &*handler);
                    count.fetch_sub(1, Ordering::SeqCst);
                });
                if spawned.is_err() {
                    // The closure (and its count) is gone with the failed spawn.
                    active.fetch_sub(1, Ordering::SeqCst);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse() {
        let r = parse_head("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: application/openmetrics-text");
        assert_eq!(
            r,
            Ok(Request {
                method: "GET".into(),
                path: "/metrics".into(),
                accept: Some("application/openmetrics-text".into())
            })
        );
        assert_eq!(parse_head("GET /"), Err(400));
        assert_eq!(parse_head("GET / SPDY/3"), Err(400));
    }
}
