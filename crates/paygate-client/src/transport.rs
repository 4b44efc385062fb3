//! The thin HTTP transport shared by both clients: one pooled hyper client over rustls
//! (aws-lc-rs), with timeouts, a response size limit, the `https` rule and error
//! classification by dispatch state.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{Error, MaybeSentReason, NotSentReason, UnreadableReason};

/// Which root certificates the client trusts, besides [`TransportConfig::extra_roots_pem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Roots {
    /// The Mozilla root set compiled in (feature `webpki-roots`, on by default).
    #[default]
    Webpki,
    /// The operating system's trust store (feature `native-roots`).
    Native,
    /// Only the extra roots given in the configuration (for private CAs and tests).
    None,
}

/// Transport settings. Every timeout and limit has a non-zero default.
#[derive(Clone, Debug)]
pub struct TransportConfig {
    /// Time allowed to open the TCP connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed from the start of the request to the response headers. Default 30 s.
    pub request_timeout: Duration,
    /// Time allowed for the whole call, body included. Default 60 s.
    pub total_timeout: Duration,
    /// Largest response body accepted; reading stops there. Default 1 MiB.
    pub max_response_bytes: usize,
    /// The root certificates trusted.
    pub roots: Roots,
    /// Extra trusted root certificates, PEM (for a private CA or the sandbox's certificate).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Allow plain `http` to hosts that are not loopback. Off by default: card data and
    /// signatures must not cross a network in clear text.
    pub allow_insecure_http: bool,
    /// How long an idle pooled connection is kept. Default 90 s.
    pub pool_idle_timeout: Duration,
    /// Most idle connections kept per host. Default 32.
    pub pool_max_idle_per_host: usize,
    /// The `User-Agent` header sent.
    pub user_agent: String,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_response_bytes: 1024 * 1024,
            roots: Roots::default(),
            extra_roots_pem: Vec::new(),
            allow_insecure_http: false,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 32,
            user_agent: concat!("paygate/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// A pooled HTTP/1.1 client over rustls. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    config: Arc<TransportConfig>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one call may take at most; the retry loop passes its remaining deadline.
#[derive(Clone, Copy, Debug)]
pub struct CallBudget {
    /// The moment the call must be over.
    pub deadline: Instant,
}

impl Transport {
    /// Builds the transport. Must be called inside a Tokio runtime only when sending.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::Configuration`] when an extra root
    /// certificate cannot be read, or the selected root store is not compiled in.
    pub fn new(config: TransportConfig) -> Result<Self, Error> {
        let roots = root_store(&config)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::not_sent(NotSentReason::Configuration, e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .build(https);
        Ok(Transport {
            client,
            config: Arc::new(config),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Checks the `https` rule for a URL: `https` always; `http` only to loopback hosts
    /// unless [`TransportConfig::allow_insecure_http`] is set.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::InsecureUrl`] or
    /// [`NotSentReason::InvalidRequest`].
    pub fn check_url(&self, uri: &Uri) -> Result<(), Error> {
        match uri.scheme_str() {
            Some("https") => Ok(()),
            Some("http") => {
                let host = uri.host().unwrap_or_default();
                if self.config.allow_insecure_http || is_loopback(host) {
                    Ok(())
                } else {
                    Err(Error::not_sent(
                        NotSentReason::InsecureUrl,
                        format!(
                            "plain http to {host} is refused: use https, or opt out explicitly \
                             (allow_insecure_http)"
                        ),
                    ))
                }
            }
            other => Err(Error::not_sent(
                NotSentReason::InvalidRequest,
                format!("unsupported URL scheme {other:?}"),
            )),
        }
    }

    /// Sends one request and reads the whole response, within the configured timeouts and the
    /// given deadline. No retry happens here.
    ///
    /// # Errors
    /// Classified by dispatch state: [`Error::NotSent`] (bad URL, connect failure, TLS
    /// failure, deadline already passed), [`Error::MaybeSent`] (timeout or connection lost
    /// before the response headers), [`Error::ResponseUnreadable`] (body too large or
    /// truncated).
    pub async fn send(
        &self,
        mut request: Request<Bytes>,
        budget: Option<CallBudget>,
    ) -> Result<Response<Bytes>, Error> {
        self.check_url(request.uri())?;
        let started = Instant::now();
        let total_deadline = started + self.config.total_timeout;
        let deadline = match budget {
            Some(b) => b.deadline.min(total_deadline),
            None => total_deadline,
        };
        if deadline <= started {
            return Err(Error::not_sent(
                NotSentReason::DeadlineExceeded,
                "the deadline passed before the request could start",
            ));
        }
        if !request.headers().contains_key(http::header::USER_AGENT)
            && let Ok(v) = http::HeaderValue::from_str(&self.config.user_agent)
        {
            request.headers_mut().insert(http::header::USER_AGENT, v);
        }
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(body));
        let headers_deadline = deadline.min(started + self.config.request_timeout);
        let response =
            match tokio::time::timeout_at(headers_deadline.into(), self.client.request(request))
                .await
            {
                Err(_elapsed) => {
                    return Err(Error::maybe_sent(
                        MaybeSentReason::Timeout,
                        Some("no response headers before the timeout".into()),
                    ));
                }
                Ok(Err(e)) => return Err(classify_hyper_error(e)),
                Ok(Ok(response)) => response,
            };
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        let retry_after = parse_retry_after(&parts.headers);
        let limit = self.config.max_response_bytes;
        let unreadable = |reason, source: crate::error::BoxError| Error::ResponseUnreadable {
            status: Some(status),
            reason,
            retry_after,
            excerpt: None,
            source: Some(source),
        };
        if let Some(len) = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && len > limit as u64
        {
            return Err(unreadable(
                UnreadableReason::TooLarge,
                format!("Content-Length {len} is over the {limit}-byte limit").into(),
            ));
        }
        let read = async {
            let mut body = body;
            let mut buf = BytesMut::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| unreadable(UnreadableReason::Truncated, e.into()))?;
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > limit {
                        return Err(unreadable(
                            UnreadableReason::TooLarge,
                            format!("body is over the {limit}-byte limit").into(),
                        ));
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Ok(buf.freeze())
        };
        let body = match tokio::time::timeout_at(deadline.into(), read).await {
            Err(_elapsed) => {
                return Err(unreadable(
                    UnreadableReason::Truncated,
                    "the body did not arrive before the deadline".into(),
                ));
            }
            Ok(result) => result?,
        };
        Ok(Response::from_parts(parts, body))
    }
}

fn classify_hyper_error(e: hyper_util::client::legacy::Error) -> Error {
    if e.is_connect() {
        let text = error_chain_text(&e);
        let reason = if text.contains("timed out") || text.contains("timeout") {
            NotSentReason::ConnectTimeout
        } else if is_tls_error(&e) {
            NotSentReason::Tls
        } else {
            NotSentReason::Connect
        };
        return Error::not_sent(reason, e);
    }
    // Anything after the connection was made: hyper may have written the request.
    Error::maybe_sent(MaybeSentReason::ConnectionLost, Some(e.into()))
}

/// Whether a `rustls::Error` is anywhere in the chain. An `io::Error` wrapping another error
/// reports the *inner error's* source from `source()`, skipping the inner error itself, and
/// hyper-rustls nests two of them around the handshake error (`Other(InvalidData(rustls))`):
/// so an `io::Error` is descended through `get_ref`, everything else through `source`.
fn is_tls_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    // Bounded, in case a pathological error type points back at itself.
    for _ in 0..32 {
        let Some(err) = current else {
            return false;
        };
        if err.is::<rustls::Error>() {
            return true;
        }
        current = match err.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => err.source(),
        };
    }
    false
}

fn error_chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut current = e.source();
    while let Some(err) = current {
        text.push_str(": ");
        text.push_str(&err.to_string());
        current = err.source();
    }
    text.to_ascii_lowercase()
}

/// `Retry-After` in seconds (the HTTP-date form is not used by either gateway and is ignored).
pub(crate) fn parse_retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// `true` for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn root_store(config: &TransportConfig) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match config.roots {
        Roots::Webpki => {
            #[cfg(feature = "webpki-roots")]
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            #[cfg(not(feature = "webpki-roots"))]
            return Err(Error::not_sent(
                NotSentReason::Configuration,
                "Roots::Webpki needs the `webpki-roots` feature",
            ));
        }
        Roots::Native => {
            #[cfg(feature = "native-roots")]
            {
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    // A broken system certificate must not stop the others from loading.
                    let _ = roots.add(cert);
                }
            }
            #[cfg(not(feature = "native-roots"))]
            return Err(Error::not_sent(
                NotSentReason::Configuration,
                "Roots::Native needs the `native-roots` feature",
            ));
        }
        Roots::None => {}
    }
    for pem in &config.extra_roots_pem {
        let mut added = 0usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                Error::not_sent(
                    NotSentReason::Configuration,
                    format!("extra root certificate: {e}"),
                )
            })?;
            roots.add(cert).map_err(|e| {
                Error::not_sent(
                    NotSentReason::Configuration,
                    format!("extra root certificate: {e}"),
                )
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::not_sent(
                NotSentReason::Configuration,
                "extra root certificate: no PEM CERTIFICATE block found",
            ));
        }
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("127.9.9.9"));
        assert!(is_loopback("[::1]"));
        assert!(is_loopback("LOCALHOST"));
        assert!(!is_loopback("10.0.0.1"));
        assert!(!is_loopback("example.com"));
        assert!(!is_loopback("localhost.example.com"));
    }

    #[tokio::test]
    async fn http_to_remote_host_is_refused_before_sending() {
        let t = Transport::new(TransportConfig::default()).unwrap();
        let req = Request::post("http://example.com/x")
            .body(Bytes::new())
            .unwrap();
        let err = t.send(req, None).await.unwrap_err();
        assert!(matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::InsecureUrl,
                ..
            }
        ));
        assert!(!err.may_have_reached_gateway());
    }

    #[test]
    fn bad_extra_root_is_a_configuration_error() {
        let config = TransportConfig {
            extra_roots_pem: vec![b"not a certificate".to_vec()],
            ..TransportConfig::default()
        };
        let err = Transport::new(config).unwrap_err();
        assert!(matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::Configuration,
                ..
            }
        ));
    }

    #[test]
    fn tls_errors_are_found_through_nested_io_errors() {
        // The shape hyper-rustls hands to hyper-util for an untrusted certificate.
        let handshake = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let nested = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            handshake,
        ));
        assert!(is_tls_error(&nested));
        let refused =
            std::io::Error::other(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!is_tls_error(&refused));
        assert!(!is_tls_error(&std::io::Error::other("no route to host")));
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&h), None);
    }
}
