//! Server-to-server callbacks: when an order reaches a final status and it has a
//! `server_callback_url`, an HTTP `GET` of that URL with the callback parameters appended
//! (`orderid`, `merchant_order`, `client_orderid`, `amount`, `status`, `type`, `control`), the
//! `control` being `sha1(status + orderid + client_orderid + merchant control key)`.
//!
//! Bounded everywhere: a queue of [`CallbackPolicy::queue_capacity`] callbacks (a full queue
//! drops the new one, counted in [`super::PayneteasyStats::callbacks_dropped`]), at most
//! [`CallbackPolicy::max_in_flight`] deliveries at once, [`CallbackPolicy::max_attempts`]
//! attempts each with a doubling backoff from [`CallbackPolicy::initial_backoff`] up to
//! [`CallbackPolicy::max_backoff`], and [`CallbackPolicy::timeout`] per attempt. A delivery
//! succeeds on HTTP 200 (as the gateway wants it); any other answer or a transport failure is
//! retried. Only `http://` and `https://` URLs are accepted (checked when the order is made);
//! HTTPS is verified against the Mozilla root set.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use payneteasy_proto::{ControlKey, compute_control};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

use super::Counters;
use super::orders::Finished;

/// How the sandbox sends server callbacks ([`super::PayneteasySandboxConfig::callbacks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackPolicy {
    /// Attempts per callback, the first included (at least 1). Default 5. (The gateway
    /// retries up to 30 times over 14 days; the sandbox keeps it short.)
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each. Default 200 ms.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts. Default 5 s.
    pub max_backoff: Duration,
    /// Time allowed for one attempt (connect, TLS, answer head). Default 5 s.
    pub timeout: Duration,
    /// Callbacks waiting to be sent; when full, a new one is dropped. Default 1,024.
    pub queue_capacity: usize,
    /// Deliveries in progress at once (their retries included). Default 16.
    pub max_in_flight: usize,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        CallbackPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
            queue_capacity: 1024,
            max_in_flight: 16,
        }
    }
}

/// Why a callback URL is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackUrlError {
    /// Not an absolute URL.
    #[error("not an absolute URL")]
    NotAbsolute,
    /// Another scheme than `http` or `https`.
    #[error("only http and https URLs are accepted")]
    Scheme,
    /// A fragment (`#`), user information (`@`), whitespace or control characters.
    #[error("the URL has a fragment, user information, whitespace or control characters")]
    Characters,
}

/// Checks that `url` is an absolute `http://` or `https://` URL without fragment or user
/// information (for `server_callback_url` and `redirect_url`).
///
/// # Errors
/// The [`CallbackUrlError`] naming the problem.
pub fn check_url(url: &str) -> Result<Uri, CallbackUrlError> {
    if url.contains(['#', ' ']) || url.chars().any(char::is_control) {
        return Err(CallbackUrlError::Characters);
    }
    let uri: Uri = url.parse().map_err(|_| CallbackUrlError::NotAbsolute)?;
    let authority = uri.authority().ok_or(CallbackUrlError::NotAbsolute)?;
    if authority.as_str().contains('@') {
        return Err(CallbackUrlError::Characters);
    }
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => Ok(uri),
        Some(_) => Err(CallbackUrlError::Scheme),
        None => Err(CallbackUrlError::NotAbsolute),
    }
}

/// One callback to send.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    url: String,
}

/// The callback queue of the Payneteasy half; its worker starts with the sandbox.
pub(crate) struct Callbacks {
    policy: CallbackPolicy,
    queue: OnceLock<mpsc::Sender<Job>>,
    counters: Arc<Counters>,
}

impl Callbacks {
    pub(crate) fn new(policy: CallbackPolicy, counters: Arc<Counters>) -> Self {
        Callbacks {
            policy,
            queue: OnceLock::new(),
            counters,
        }
    }

    /// Starts the worker on the current Tokio runtime (once).
    pub(crate) fn start(&self) {
        if self.queue.get().is_some() {
            return;
        }
        let (tx, mut rx) = mpsc::channel::<Job>(self.policy.queue_capacity.max(1));
        if self.queue.set(tx).is_err() {
            return;
        }
        let policy = self.policy;
        let counters = self.counters.clone();
        let slots = Arc::new(Semaphore::new(policy.max_in_flight.max(1)));
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let counters = counters.clone();
                tokio::spawn(async move {
                    deliver(&job, &policy, &counters).await;
                    drop(permit);
                });
            }
        });
    }

    /// Queues the callback of a finished order (dropped, and counted, when the queue is full
    /// or the sandbox is not running).
    pub(crate) fn enqueue(&self, finished: &Finished, key: &ControlKey) {
        let control = compute_control(
            &finished.status,
            &finished.orderid,
            &finished.client_orderid,
            key,
        );
        let query = payneteasy_codec::encode_form(&[
            ("orderid", &finished.orderid),
            ("merchant_order", &finished.client_orderid),
            ("client_orderid", &finished.client_orderid),
            ("amount", &finished.amount),
            ("status", &finished.status),
            ("type", finished.transaction_type),
            ("control", &control),
        ]);
        let separator = if finished.url.contains('?') { '&' } else { '?' };
        let job = Job {
            url: format!("{}{separator}{query}", finished.url),
        };
        let queued = self.queue.get().is_some_and(|q| q.try_send(job).is_ok());
        if !queued {
            self.counters
                .callbacks_dropped
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(orderid = %finished.orderid, "server callback dropped (queue full or sandbox not running)");
        }
    }
}

async fn deliver(job: &Job, policy: &CallbackPolicy, counters: &Counters) {
    let mut backoff = policy.initial_backoff;
    for attempt in 1..=policy.max_attempts.max(1) {
        counters.callback_attempts.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(policy.timeout, get(&job.url)).await {
            Ok(Ok(200)) => {
                counters.callbacks_sent.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(attempt, "server callback delivered");
                return;
            }
            Ok(Ok(status)) => tracing::debug!(attempt, status, "server callback refused"),
            Ok(Err(e)) => tracing::debug!(attempt, error = %e, "server callback failed"),
            Err(_) => tracing::debug!(attempt, "server callback timed out"),
        }
        if attempt < policy.max_attempts {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(policy.max_backoff);
        }
    }
    counters.callbacks_failed.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(attempts = policy.max_attempts, "server callback given up");
}

/// One `GET url`: the HTTP status.
async fn get(url: &str) -> Result<u16, Box<dyn std::error::Error + Send + Sync>> {
    let uri = check_url(url)?;
    let https = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let authority = uri.authority().ok_or("no authority")?.clone();
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = TcpStream::connect((host, port)).await?;
    let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let request = Request::get(target)
        .header(header::HOST, authority.as_str())
        .header(header::USER_AGENT, "paygate-sandbox callback")
        .body(Empty::<Bytes>::new())?;
    if https {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await?;
        send(TokioIo::new(tls), request).await
    } else {
        send(TokioIo::new(stream), request).await
    }
}

async fn send<T>(
    io: T,
    request: Request<Empty<Bytes>>,
) -> Result<u16, Box<dyn std::error::Error + Send + Sync>>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    // Read (and drop) a bounded part of the body so that the connection ends cleanly.
    let mut body = response.into_body();
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        read += frame?.data_ref().map_or(0, Bytes::len);
        if read > 64 * 1024 {
            break;
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "http://127.0.0.1:8080/cb",
            "https://merchant.example/cb?x=1",
            "HTTP://h/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("ftp://h/x", CallbackUrlError::Scheme),
            ("javascript:alert(1)", CallbackUrlError::NotAbsolute),
            ("/relative", CallbackUrlError::NotAbsolute),
            ("http://h/#frag", CallbackUrlError::Characters),
            ("http://u@h/", CallbackUrlError::Characters),
            ("http://h/a b", CallbackUrlError::Characters),
        ] {
            assert_eq!(check_url(bad).unwrap_err(), why, "{bad}");
        }
    }
}
