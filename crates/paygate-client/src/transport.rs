//! The thin HTTP transport shared by both clients: one pooled hyper client over rustls
//! (aws-lc-rs), with timeouts, a response size limit, the `https` rule and error
//! classification by dispatch state.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{HttpConnector, capture_connection};
use hyper_util::rt::TokioExecutor;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{Error, MaybeSentReason, NotSentReason, UnreadableReason};

/// Which root certificates the client trusts, besides the extra roots of
/// [`TransportConfigBuilder::extra_root_pem`].
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

/// The longest timeout or deadline a builder accepts (10 minutes): a payment call waiting
/// longer is a hang, not a slow gateway.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest response size limit a builder accepts (64 MiB; both gateways answer in a few
/// kilobytes).
pub const MAX_RESPONSE_LIMIT: usize = 64 * 1024 * 1024;
/// The most idle connections per host a builder accepts.
pub const MAX_IDLE_PER_HOST: usize = 1024;

/// A configuration value a builder refused. The settings are named as the builder methods.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration, count or size that must be positive is zero.
    #[error("{setting} must not be zero")]
    Zero {
        /// The builder method.
        setting: &'static str,
    },
    /// A value is over its upper bound.
    #[error("{setting} is {value}, over the limit of {max}")]
    TooLarge {
        /// The builder method.
        setting: &'static str,
        /// The value given, as text.
        value: String,
        /// The bound, as text.
        max: String,
    },
    /// Two settings contradict each other.
    #[error("{0}")]
    Inconsistent(&'static str),
    /// The `User-Agent` is empty or not a valid header value.
    #[error("user_agent is not a valid header value")]
    InvalidUserAgent,
    /// An extra root certificate is not PEM, or holds no certificate.
    #[error("extra_root_pem: {0}")]
    ExtraRoot(String),
    /// A text setting (a login) is empty, too long or holds a control character. The value
    /// is not quoted.
    #[error("{setting} {reason}")]
    InvalidText {
        /// The setting.
        setting: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A URL setting is not an absolute `http` or `https` URL without query or fragment.
    #[error("{setting} is not a usable http(s) URL: {reason}")]
    InvalidUrl {
        /// The builder method.
        setting: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl From<ConfigError> for Error {
    /// A configuration error is [`Error::NotSent`] with [`NotSentReason::Configuration`].
    fn from(error: ConfigError) -> Self {
        Error::not_sent(NotSentReason::Configuration, error)
    }
}

/// Checks a positive duration up to [`MAX_TIMEOUT`].
pub(crate) fn check_duration(setting: &'static str, value: Duration) -> Result<(), ConfigError> {
    if value.is_zero() {
        return Err(ConfigError::Zero { setting });
    }
    check_at_most(setting, value, MAX_TIMEOUT)
}

/// Checks `value <= max`.
pub(crate) fn check_at_most<T: PartialOrd + fmt::Debug>(
    setting: &'static str,
    value: T,
    max: T,
) -> Result<(), ConfigError> {
    if value > max {
        return Err(ConfigError::TooLarge {
            setting,
            value: format!("{value:?}"),
            max: format!("{max:?}"),
        });
    }
    Ok(())
}

/// Transport settings, made by [`TransportConfig::builder`] (validated) or
/// [`TransportConfig::default`].
///
/// There is no request or total timeout here: how long a call may take is the **one deadline**
/// of the call, [`RetryPolicy::deadline`](crate::RetryPolicy::deadline) (its attempts and
/// waits included), or the [`CallBudget`] given to [`Transport::send`]. The connect timeout
/// is kept as an advanced setting (see [`TransportConfigBuilder::connect_timeout`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TransportConfig {
    connect_timeout: Duration,
    max_response_bytes: usize,
    roots: Roots,
    extra_roots: Vec<CertificateDer<'static>>,
    allow_insecure_http: bool,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    user_agent: http::HeaderValue,
}

impl Default for TransportConfig {
    /// Connect timeout 10 s, a 1 MiB response limit, the Mozilla roots, `https` only (except
    /// loopback), idle connections kept 90 s, at most 32 per host, `User-Agent:
    /// paygate/<version>`.
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            roots: Roots::default(),
            extra_roots: Vec::new(),
            allow_insecure_http: false,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 32,
            user_agent: http::HeaderValue::from_static(concat!(
                "paygate/",
                env!("CARGO_PKG_VERSION")
            )),
        }
    }
}

impl TransportConfig {
    /// A builder starting from the [defaults](TransportConfig::default).
    pub fn builder() -> TransportConfigBuilder {
        TransportConfigBuilder {
            config: TransportConfig::default(),
            extra_pems: Vec::new(),
        }
    }

    /// Time allowed to open the TCP connection and finish the TLS handshake of one attempt.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Largest response body accepted; reading stops there.
    #[must_use]
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The root certificate store trusted, besides [`TransportConfig::extra_roots`].
    #[must_use]
    pub fn roots(&self) -> Roots {
        self.roots
    }

    /// The extra trusted root certificates.
    #[must_use]
    pub fn extra_roots(&self) -> &[CertificateDer<'static>] {
        &self.extra_roots
    }

    /// Whether plain `http` to hosts that are not loopback is allowed.
    #[must_use]
    pub fn allow_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// How long an idle pooled connection is kept.
    #[must_use]
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }

    /// Most idle connections kept per host (0: no pooling).
    #[must_use]
    pub fn pool_max_idle_per_host(&self) -> usize {
        self.pool_max_idle_per_host
    }

    /// The `User-Agent` header sent when the request has none.
    #[must_use]
    pub fn user_agent(&self) -> &str {
        self.user_agent.to_str().unwrap_or_default()
    }
}

/// Builds a [`TransportConfig`]; every setting starts at its default. [`build`](Self::build)
/// validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct TransportConfigBuilder {
    config: TransportConfig,
    extra_pems: Vec<Vec<u8>>,
}

impl TransportConfigBuilder {
    /// Time allowed to open the TCP connection of one attempt (default 10 s, at most
    /// [`MAX_TIMEOUT`]). An advanced setting, kept rather than derived from the deadline: a
    /// connect failure is proved not processed and is retried for every operation, so a
    /// connect timeout shorter than the deadline turns a silent host into a retry within the
    /// same call. It never extends the call: an attempt also ends at its share of the
    /// deadline.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Largest response body accepted (default 1 MiB, at least 1 byte, at most
    /// [`MAX_RESPONSE_LIMIT`]).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.config.max_response_bytes = limit;
        self
    }

    /// The root store trusted (default [`Roots::Webpki`]).
    pub fn roots(mut self, roots: Roots) -> Self {
        self.config.roots = roots;
        self
    }

    /// Adds trusted root certificates, PEM (a private CA, the sandbox's certificate); every
    /// `CERTIFICATE` block is added. Checked by [`build`](Self::build).
    pub fn extra_root_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.extra_pems.push(pem.as_ref().to_vec());
        self
    }

    /// Allows plain `http` to hosts that are not loopback. Off by default: card data and
    /// signatures must not cross a network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.config.allow_insecure_http = allow;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s, at most [`MAX_TIMEOUT`]).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// Most idle connections kept per host (default 32, at most [`MAX_IDLE_PER_HOST`]; 0
    /// disables pooling).
    pub fn pool_max_idle_per_host(mut self, count: usize) -> Self {
        self.config.pool_max_idle_per_host = count;
        self
    }

    /// The `User-Agent` sent when a request has none (default `paygate/<version>`).
    pub fn user_agent(mut self, user_agent: impl AsRef<str>) -> Self {
        match http::HeaderValue::from_str(user_agent.as_ref()) {
            Ok(value) if !value.is_empty() => self.config.user_agent = value,
            // Remembered as invalid, reported by `build`.
            _ => self.config.user_agent = http::HeaderValue::from_static(""),
        }
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`ConfigError`]: a zero or over-long timeout, a zero or huge response limit, too many
    /// idle connections, an invalid `User-Agent`, an extra root that is not PEM or holds no
    /// certificate.
    pub fn build(self) -> Result<TransportConfig, ConfigError> {
        let mut config = self.config;
        check_duration("connect_timeout", config.connect_timeout)?;
        check_duration("pool_idle_timeout", config.pool_idle_timeout)?;
        if config.max_response_bytes == 0 {
            return Err(ConfigError::Zero {
                setting: "max_response_bytes",
            });
        }
        check_at_most(
            "max_response_bytes",
            config.max_response_bytes,
            MAX_RESPONSE_LIMIT,
        )?;
        check_at_most(
            "pool_max_idle_per_host",
            config.pool_max_idle_per_host,
            MAX_IDLE_PER_HOST,
        )?;
        if config.user_agent.is_empty() {
            return Err(ConfigError::InvalidUserAgent);
        }
        for pem in &self.extra_pems {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ConfigError::ExtraRoot(e.to_string()))?;
            if certs.is_empty() {
                return Err(ConfigError::ExtraRoot(
                    "no PEM CERTIFICATE block found".to_owned(),
                ));
            }
            config.extra_roots.extend(certs);
        }
        Ok(config)
    }
}

/// A pooled HTTP/1.1 client over rustls. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    config: Arc<TransportConfig>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The time one attempt of a call may take: the call's deadline, and the moment this attempt
/// must have its response headers (its share of the deadline, so that a hung attempt of an
/// idempotent call leaves time for a retry). The clients make it from
/// [`RetryPolicy::deadline`](crate::RetryPolicy::deadline).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallBudget {
    /// The moment the call must be over (the body read included).
    pub deadline: Instant,
    /// The moment this attempt must have the response headers; never after `deadline`.
    pub headers_by: Instant,
}

impl CallBudget {
    /// One attempt that may use the whole time until `deadline`.
    #[must_use]
    pub fn until(deadline: Instant) -> Self {
        CallBudget {
            deadline,
            headers_by: deadline,
        }
    }

    /// One attempt that may take `time` from now.
    #[must_use]
    pub fn from_now(time: Duration) -> Self {
        Self::until(Instant::now() + time)
    }

    /// The same deadline, with the headers expected by `headers_by` (capped at the deadline).
    #[must_use]
    pub fn with_headers_by(self, headers_by: Instant) -> Self {
        CallBudget {
            headers_by: headers_by.min(self.deadline),
            ..self
        }
    }
}

impl Transport {
    /// Builds the transport. Must be called inside a Tokio runtime only when sending. Both
    /// gateway clients' `with_transport_config` constructors are this plus their `new`.
    ///
    /// # Errors
    /// [`Error::NotSent`] with [`NotSentReason::Configuration`] when an extra root
    /// certificate is refused by the store, or the selected root store is not compiled in.
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
    /// unless [`TransportConfigBuilder::allow_insecure_http`] is set.
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

    /// Sends one request and reads the whole response within `budget` (by default
    /// [`DEFAULT_DEADLINE`](crate::DEFAULT_DEADLINE) from now) and the connect timeout. No
    /// retry happens here.
    ///
    /// # Errors
    /// Classified by dispatch state: [`Error::NotSent`] (bad URL, connect failure or timeout,
    /// also when the budget ran out before a connection was made, TLS failure, deadline
    /// already passed), [`Error::MaybeSent`] (timeout or connection lost before the response
    /// headers), [`Error::ResponseUnreadable`] (body too large or truncated).
    pub async fn send(
        &self,
        mut request: Request<Bytes>,
        budget: Option<CallBudget>,
    ) -> Result<Response<Bytes>, Error> {
        self.check_url(request.uri())?;
        let started = Instant::now();
        let budget = budget.unwrap_or_else(|| CallBudget::from_now(crate::DEFAULT_DEADLINE));
        if budget.deadline <= started {
            return Err(Error::not_sent(
                NotSentReason::DeadlineExceeded,
                "the deadline passed before the request could start",
            ));
        }
        if !request.headers().contains_key(http::header::USER_AGENT) {
            request
                .headers_mut()
                .insert(http::header::USER_AGENT, self.config.user_agent.clone());
        }
        // Tells, when the time runs out, whether a connection was ever made: without one
        // nothing was written.
        let connection = capture_connection(&mut request);
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(body));
        let headers_by = budget.headers_by.min(budget.deadline);
        let response =
            match tokio::time::timeout_at(headers_by.into(), self.client.request(request)).await {
                Err(_elapsed) if connection.connection_metadata().is_none() => {
                    return Err(Error::not_sent(
                        NotSentReason::ConnectTimeout,
                        "no connection was made before the deadline",
                    ));
                }
                Err(_elapsed) => {
                    return Err(Error::maybe_sent(
                        MaybeSentReason::Timeout,
                        Some("no response headers before the deadline".into()),
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
        let body = match tokio::time::timeout_at(budget.deadline.into(), read).await {
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
    for cert in &config.extra_roots {
        roots.add(cert.clone()).map_err(|e| {
            Error::not_sent(
                NotSentReason::Configuration,
                format!("extra root certificate: {e}"),
            )
        })?;
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
        let err = TransportConfig::builder()
            .extra_root_pem(b"not a certificate")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::ExtraRoot(_)), "{err:?}");
        // Where a client `Error` is expected, it is a configuration error, not sent.
        let err = Error::from(err);
        assert!(matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::Configuration,
                ..
            }
        ));
    }

    #[test]
    fn the_builder_refuses_zero_and_absurd_values() {
        let zero = Duration::ZERO;
        let week = Duration::from_secs(7 * 24 * 3600);
        #[rustfmt::skip]
        let refused: Vec<(TransportConfigBuilder, &str)> = vec![
            (TransportConfig::builder().connect_timeout(zero), "connect_timeout"),
            (TransportConfig::builder().connect_timeout(week), "connect_timeout"),
            (TransportConfig::builder().pool_idle_timeout(zero), "pool_idle_timeout"),
            (TransportConfig::builder().max_response_bytes(0), "max_response_bytes"),
            (TransportConfig::builder().max_response_bytes(usize::MAX), "max_response_bytes"),
            (TransportConfig::builder().pool_max_idle_per_host(1 << 20), "pool_max_idle_per_host"),
            (TransportConfig::builder().user_agent("bad\nagent"), "user_agent"),
            (TransportConfig::builder().user_agent(""), "user_agent"),
        ];
        for (builder, setting) in refused {
            let err = builder.build().unwrap_err();
            assert!(err.to_string().contains(setting), "{setting}: {err}");
        }
        let config = TransportConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .max_response_bytes(4096)
            .pool_max_idle_per_host(0)
            .user_agent("shop/1.0")
            .build()
            .unwrap();
        assert_eq!(config.connect_timeout(), Duration::from_secs(2));
        assert_eq!(config.max_response_bytes(), 4096);
        assert_eq!(config.pool_max_idle_per_host(), 0);
        assert_eq!(config.user_agent(), "shop/1.0");
        assert_eq!(
            TransportConfig::builder().build().unwrap().user_agent(),
            TransportConfig::default().user_agent()
        );
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
