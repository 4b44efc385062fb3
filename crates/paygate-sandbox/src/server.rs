//! The hyper server under both gateway halves: accept loop, optional TLS, routing by path
//! prefix, request size limit, and fault delivery.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::faults::{FAULT_HEADER, Fault, FaultController};

/// The largest request body the sandbox reads; larger requests get HTTP 413.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// The response body type: whole, or streamed for the drip and truncation faults.
pub(crate) type Body = BoxBody<Bytes, io::Error>;

/// One gateway emulated by the sandbox, mounted under a path prefix.
pub(crate) trait GatewayHalf: Send + Sync + 'static {
    /// The path prefix this half serves, such as `/paynet/api/v4/`.
    fn prefix(&self) -> &str;
    /// The fault route of a request path (the command name), if this half knows it.
    fn route<'a>(&self, path: &'a str) -> Option<&'a str>;
    /// Answers one request. Runs inline on the server's task unless [`Self::may_block`] says
    /// otherwise, so it should take microseconds, not milliseconds.
    fn handle(&self, request: Request<Bytes>) -> Response<Bytes>;
    /// Whether answering `route` can take long (RSA key generation): such requests are
    /// answered on the blocking pool instead of the reactor.
    fn may_block(&self, _route: &str) -> bool {
        false
    }
    /// Bounds how many of this half's [`Self::may_block`] requests hold a blocking thread.
    fn blocking_admission(&self) -> Option<&crate::admission::BlockingAdmission> {
        None
    }
}

/// Counters shared by the server and the sandbox handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) faults: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) halves: Vec<Arc<dyn GatewayHalf>>,
    pub(crate) faults: FaultController,
    /// Whether [`FAULT_HEADER`] is honoured (off unless the builder allows it).
    pub(crate) allow_fault_header: bool,
    pub(crate) counters: Counters,
}

pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                // Out of file descriptors and similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let serve = async {
                match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls_stream) => serve_connection(tls_stream, peer, shared).await,
                        Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    },
                    None => serve_connection(stream, peer, shared).await,
                }
            };
            tokio::select! {
                () = serve => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

async fn serve_connection<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { answer(shared, req).await }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

fn full(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Answers one request, applying the fault chosen for it. An `Err` makes hyper close the
/// connection without an answer (the `close` fault).
async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, io::Error> {
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    let path = request.uri().path().to_owned();
    let Some(half) = shared
        .halves
        .iter()
        .find(|h| path.starts_with(h.prefix()))
        .cloned()
    else {
        return Ok(full(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no such sandbox route\n",
        ));
    };
    let route = half.route(&path).unwrap_or("*").to_owned();
    let header = Some(FAULT_HEADER).filter(|_| shared.allow_fault_header);
    let fault = match header.and_then(|name| request.headers().get(name)) {
        Some(value) => match value.to_str().ok().map(str::parse::<Fault>) {
            Some(Ok(fault)) => Some(fault),
            Some(Err(e)) => {
                return Ok(full(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    format!("{e}\n"),
                ));
            }
            None => {
                return Ok(full(
                    StatusCode::BAD_REQUEST,
                    "text/plain; charset=utf-8",
                    "fault header is not text\n",
                ));
            }
        },
        None => shared.faults.take(&route),
    };
    if let Some(fault) = &fault {
        shared.counters.faults.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%route, %fault, "injecting fault");
        if let Fault::Status {
            code,
            with_body,
            retry_after,
        } = fault
        {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = if *with_body {
                format!(
                    "{} {}\n",
                    status.as_str(),
                    status.canonical_reason().unwrap_or("")
                )
            } else {
                String::new()
            };
            let mut response = full(status, "text/plain; charset=utf-8", body);
            if let Some(ra) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*ra));
            }
            return Ok(response);
        }
    }

    // Read the request body, bounded.
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return if too_large {
                Ok(full(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "text/plain; charset=utf-8",
                    "request body too large\n",
                ))
            } else {
                Err(io::Error::other("request body could not be read"))
            };
        }
    };
    let request = Request::from_parts(parts, body);
    // Most gateway work is short (an RSA verification is ~20-50 µs), so it runs inline: a
    // hand-off to the blocking pool per request costs more than the work (measured with
    // `paygate load`). Routes that may generate an RSA key go to the blocking pool.
    let response = if half.may_block(&route) {
        // Wait for a slot as a task, not on a thread: bounds the blocking threads.
        let _slot = match half.blocking_admission().map(|a| a.enter()) {
            Some(entering) => match entering.await {
                Ok(slot) => Some(slot),
                Err(busy) => return deliver(busy, fault).await,
            },
            None => None,
        };
        tokio::task::spawn_blocking(move || half.handle(request))
            .await
            .map_err(|_| io::Error::other("sandbox handler panicked"))?
    } else {
        half.handle(request)
    };
    deliver(response, fault).await
}

async fn deliver(
    response: Response<Bytes>,
    fault: Option<Fault>,
) -> Result<Response<Body>, io::Error> {
    let (mut parts, body) = response.into_parts();
    let whole = |parts: http::response::Parts, body: Bytes| {
        Response::from_parts(
            parts,
            Full::new(body)
                .map_err(|never: Infallible| match never {})
                .boxed(),
        )
    };
    match fault {
        None | Some(Fault::Status { .. }) => Ok(whole(parts, body)),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            Ok(whole(parts, body))
        }
        Some(Fault::CloseBeforeAnswer) => Err(io::Error::other("fault: close before answering")),
        Some(Fault::WrongContentType) => {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            Ok(whole(parts, body))
        }
        Some(Fault::Garbage) => {
            // Deterministic bytes that are neither a form nor JSON nor UTF-8.
            let garbage: Vec<u8> = (0u32..512)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 0x80)
                .collect();
            parts.headers.remove(header::CONTENT_LENGTH);
            Ok(whole(parts, Bytes::from(garbage)))
        }
        Some(Fault::CloseMidBody) => {
            let half = body.len() / 2;
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(2);
            tokio::spawn(async move {
                let _ = tx.send_data(body.slice(..half)).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                tx.abort(io::Error::other("fault: close in the middle of the body"));
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
        Some(Fault::Oversized(n)) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(4);
            tokio::spawn(async move {
                const CHUNK: usize = 16 * 1024;
                let chunk = Bytes::from(vec![b'x'; CHUNK]);
                let mut left = n;
                while left > 0 {
                    let len = left.min(CHUNK);
                    // A client that stops reading makes this fail: stop producing.
                    if tx.send_data(chunk.slice(..len)).await.is_err() {
                        return;
                    }
                    left -= len;
                }
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
        Some(Fault::SlowDrip(interval)) => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            let (mut tx, channel) = http_body_util::channel::Channel::<Bytes, io::Error>::new(1);
            tokio::spawn(async move {
                for i in 0..body.len() {
                    if tx.send_data(body.slice(i..i + 1)).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(interval).await;
                }
            });
            Ok(Response::from_parts(parts, channel.boxed()))
        }
    }
}
