//! The Payneteasy v4 half of the sandbox: `create-card-ref` and `status`, with OAuth 1.0a
//! RSA-SHA256 verification, seeded orders and real semantics.
//!
//! Mount it with [`crate::SandboxBuilder::payneteasy`]; it serves
//! `POST /paynet/api/v4/{create-card-ref|status}/{ENDPOINTID}` and
//! `POST /paynet/api/v4/{create-card-ref|status}/group/{ENDPOINTGROUPID}`.
//!
//! # Authentication
//! Every request must carry exactly one `Authorization: OAuth …` header. The sandbox parses
//! it, finds the merchant by `oauth_consumer_key`, verifies the signature with the merchant's
//! public key over the URL it was reached at and the form body, checks the timestamp against
//! its clock (± [`PayneteasySandboxConfig::max_skew_secs`]) and refuses a nonce it has seen
//! (in its own memory store, or in a store shared with other verifiers,
//! [`PayneteasySandboxConfig::nonce_store`]: then the claim is awaited after the signature
//! check, and a store that cannot answer is an HTTP 503 with `Retry-After: 1`, never an
//! acceptance). A
//! merchant is served only on its own endpoint and endpoint group. Every refusal is HTTP 403
//! with the gateway's HTML "Access is denied" page ([`ACCESS_DENIED_PAGE`]); the reason is
//! logged with `tracing` (never the header: each refusal at DEBUG, and at most one WARN line
//! a second with the number of refusals since the previous one, since any client can cause
//! refusals at will) and counted in [`PayneteasyStats`]. Two
//! `Authorization` headers are such a refusal, even when the first one is valid.
//!
//! The verified URL is the routed one: the connection's scheme, the authority the client
//! addressed (the single `Host` header, or an absolute request target's authority, which must
//! then agree with `Host`), and the very path string the command and endpoint were read from,
//! plus the query. The authority must be a plain `host[:port]` ([`validate_authority`]): one
//! with `/`, `?`, `#`, `@`, whitespace, a bad host or port, two `Host` headers or a
//! disagreeing target are answered HTTP 400 with the [`AuthorityError`] as plain text, before
//! any signature work, and counted in [`PayneteasyStats::refused_bad_request`].
//!
//! # Semantics
//! | request | answer |
//! |---|---|
//! | `create-card-ref` for a final, approved order | `create-card-ref-response`, `status=approved`; the same order always gets the same `card-ref-id`, made once |
//! | `create-card-ref` for an order in `processing` or an unknown status | `type=error`, [`ERR_ORDER_NOT_FINAL`] |
//! | `create-card-ref` for a declined, filtered or failed order | `type=error`, [`ERR_ORDER_NOT_APPROVED`] |
//! | an order the merchant does not have (or whose `orderid` differs) | `type=validation-error`, [`ERR_ORDER_NOT_FOUND`] |
//! | a body that is not a valid request | `type=validation-error`, [`ERR_INVALID_REQUEST`] |
//! | `status` of a known order | `status-response` with status, amount, currency, ids, card data, `card-ref-id` once made |
//! | another HTTP method | 405 |
//! | another command, or a malformed endpoint | 404 |
//!
//! Answers use the gateway's wire format: `Content-Type: text/html;charset=utf-8`, form fields
//! with a line feed after every value but the last, and a fresh `serial-number` such as
//! `00000000-0000-0000-0000-000002de3113` in every answer. The error codes are the sandbox's
//! own: the real gateway's list is not published.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use oauth1_signer::{
    AsyncNonceStore, AuthorizationHeader, MemoryNonceStore, RequestUrl, RsaPublicKey, Verified,
    VerifyError, VerifyPolicy, claim_nonce, verify, verify_without_replay,
};
use payneteasy_codec::{
    DecodeError, DecodeLimits, EncodeError, GatewayError, GatewayErrorKind, decode_request,
    encode_gateway_error, encode_response,
};
use payneteasy_proto::{
    ControlKey, CreateCardRef, CreateCardRefResponse, Endpoint, Operation, Status, StatusCommand,
    StatusResponse,
};

use crate::log_limit::WarnLimiter;
use crate::server::{GatewayHalf, HandlerFuture};

/// Login (`oauth_consumer_key`) of the default test merchant.
pub const TEST_MERCHANT_LOGIN: &str = "paygate-test-merchant";
/// `ENDPOINTID` of the default test merchant (the seed's endpoint).
pub const TEST_ENDPOINT_ID: u64 = 39915;
/// `ENDPOINTGROUPID` of the default test merchant.
pub const TEST_ENDPOINT_GROUP_ID: u64 = 1144;
/// Merchant control key of the default test merchant. Public: it protects nothing.
pub const TEST_CONTROL_KEY: &str = "paygate-test-control";
/// The default test merchant's public key (SPKI PEM), shipped in `keys/`.
pub const TEST_MERCHANT_PUBLIC_KEY_PEM: &str = include_str!("../keys/test-merchant-public.pem");
/// The matching private key (PKCS#1 PEM), for demos and tests. Public: never register it with
/// a real gateway.
pub const TEST_MERCHANT_PRIVATE_KEY_PEM: &str = include_str!("../keys/test-merchant-private.pem");
/// Where the private key file lives in the source tree this sandbox was built from.
pub const TEST_MERCHANT_PRIVATE_KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/keys/test-merchant-private.pem"
);

/// `client_orderid` of the seeded approved order (the seed document's example).
pub const APPROVED_CLIENT_ORDERID: &str = "34T43R77N";
/// `orderid` of the seeded approved order.
pub const APPROVED_ORDERID: &str = "6868305";
/// `client_orderid` of the seeded declined order.
pub const DECLINED_CLIENT_ORDERID: &str = "PG-DECLINED-1";
/// `orderid` of the seeded declined order.
pub const DECLINED_ORDERID: &str = "6868306";
/// `client_orderid` of the seeded order still in `processing`.
pub const PROCESSING_CLIENT_ORDERID: &str = "PG-PROCESSING-1";
/// `orderid` of the seeded order still in `processing`.
pub const PROCESSING_ORDERID: &str = "6868307";
/// `client_orderid` of the seeded order in a status the protocol does not model (`pending`).
pub const PENDING_CLIENT_ORDERID: &str = "PG-PENDING-1";
/// `orderid` of the seeded `pending` order.
pub const PENDING_ORDERID: &str = "6868308";

/// `error-code` (validation-error): no such order for this merchant.
pub const ERR_ORDER_NOT_FOUND: &str = "4001";
/// `error-code` (validation-error): the body is not a valid request.
pub const ERR_INVALID_REQUEST: &str = "4002";
/// `error-code` (error): the first payment is not in a final status yet.
pub const ERR_ORDER_NOT_FINAL: &str = "5001";
/// `error-code` (error): the first payment is final but was not approved.
pub const ERR_ORDER_NOT_APPROVED: &str = "5002";

/// The body of every HTTP 403, as in the seed document.
pub const ACCESS_DENIED_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
    <title>403</title>

    <style type="text/css">
        body {
            font-family: Arial, sans-serif;
            font-size: 130%;
            background-color: #eee;
        }

        p {
            margin: 10em auto 0;
            width: 500px;
            border: 1px solid gray;
            text-align: center;
            vertical-align: middle;
            padding: 40px 20px;
            background-color: #fff;
            -webkit-border-radius: 20px;
            -moz-border-radius: 20px;
            border-radius: 20px;
        }
    </style>
</head>

<body>
    <p>Access is denied</p>
</body>
</html>
"#;

/// The first `card-ref-id` handed out (the seed's), then counting up.
const FIRST_CARD_REF_ID: u64 = 1_461_608;
/// The first `recurring-payment-id` handed out (the seed's), then counting up.
const FIRST_RECURRING_PAYMENT_ID: u64 = 1_491_863;
/// The first serial number (the seed's `…-000002de3113`), then counting up.
const FIRST_SERIAL: u64 = 0x2de_3113;

pub use crate::Clock;

/// A merchant the Payneteasy half accepts.
#[derive(Clone, Debug)]
pub struct PayneteasyMerchant {
    /// The login, sent by clients as `oauth_consumer_key`.
    pub login: String,
    /// The merchant's RSA public key, PEM (SPKI or PKCS#1).
    pub public_key_pem: String,
    /// The merchant control key (redacted in `Debug`). Kept for callbacks; `create-card-ref`
    /// and `status` do not use it.
    pub control_key: Option<ControlKey>,
    /// The merchant's `ENDPOINTID`.
    pub endpoint_id: u64,
    /// The merchant's `ENDPOINTGROUPID`.
    pub endpoint_group_id: u64,
}

impl PayneteasyMerchant {
    /// The default test merchant: [`TEST_MERCHANT_LOGIN`], [`TEST_MERCHANT_PUBLIC_KEY_PEM`],
    /// [`TEST_CONTROL_KEY`], [`TEST_ENDPOINT_ID`], [`TEST_ENDPOINT_GROUP_ID`].
    #[must_use]
    pub fn test() -> Self {
        PayneteasyMerchant {
            login: TEST_MERCHANT_LOGIN.to_owned(),
            public_key_pem: TEST_MERCHANT_PUBLIC_KEY_PEM.to_owned(),
            control_key: ControlKey::new(TEST_CONTROL_KEY).ok(),
            endpoint_id: TEST_ENDPOINT_ID,
            endpoint_group_id: TEST_ENDPOINT_GROUP_ID,
        }
    }
}

/// A first payment known to the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededOrder {
    /// The merchant owning the order; `None`: every merchant sees it.
    pub merchant_login: Option<String>,
    /// The merchant's order id.
    pub client_orderid: String,
    /// The gateway's order id.
    pub orderid: String,
    /// The order's status.
    pub status: Status,
    /// Amount, decimal text.
    pub amount: String,
    /// Currency code.
    pub currency: String,
    /// Last four digits of the card.
    pub last_four_digits: String,
    /// BIN (first six digits) of the card.
    pub bin: String,
    /// `error-code` / `error-message` reported by `status` for a failed order.
    pub error: Option<(String, String)>,
}

impl SeededOrder {
    /// An order visible to every merchant, with a 10.00 EUR amount and a Visa test card.
    #[must_use]
    pub fn new(client_orderid: &str, orderid: &str, status: Status) -> Self {
        SeededOrder {
            merchant_login: None,
            client_orderid: client_orderid.to_owned(),
            orderid: orderid.to_owned(),
            status,
            amount: "10.00".to_owned(),
            currency: "EUR".to_owned(),
            last_four_digits: "1111".to_owned(),
            bin: "411111".to_owned(),
            error: None,
        }
    }

    /// The four default orders: approved ([`APPROVED_CLIENT_ORDERID`], the seed's example),
    /// declined, processing, and `pending` (a status the protocol does not model).
    #[must_use]
    pub fn defaults() -> Vec<SeededOrder> {
        let mut declined =
            SeededOrder::new(DECLINED_CLIENT_ORDERID, DECLINED_ORDERID, Status::Declined);
        declined.amount = "25.50".to_owned();
        declined.last_four_digits = "0002".to_owned();
        declined.bin = "400000".to_owned();
        declined.error = Some(("05".to_owned(), "Do not honor".to_owned()));
        let mut processing = SeededOrder::new(
            PROCESSING_CLIENT_ORDERID,
            PROCESSING_ORDERID,
            Status::Processing,
        );
        processing.currency = "USD".to_owned();
        processing.last_four_digits = "4444".to_owned();
        processing.bin = "555555".to_owned();
        vec![
            SeededOrder::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, Status::Approved),
            declined,
            processing,
            SeededOrder::new(
                PENDING_CLIENT_ORDERID,
                PENDING_ORDERID,
                Status::Unknown("pending".to_owned()),
            ),
        ]
    }
}

/// Settings of the Payneteasy half, mounted with [`crate::SandboxBuilder::payneteasy`].
#[derive(Clone)]
pub struct PayneteasySandboxConfig {
    /// The merchants accepted. Default: [`PayneteasyMerchant::test`].
    pub merchants: Vec<PayneteasyMerchant>,
    /// The first payments known. Default: [`SeededOrder::defaults`].
    pub orders: Vec<SeededOrder>,
    /// How far `oauth_timestamp` may be from the sandbox's clock, either way. Default 300 s.
    /// The real gateway's tolerance is not published.
    pub max_skew_secs: u64,
    /// Where the sandbox reads the time. Default [`SystemTime::now`].
    pub clock: Clock,
    /// A replay cache shared with other verifiers (such as a Redis store of the
    /// `oauth1-nonce-redis` crate, so that several sandboxes refuse each other's nonces).
    /// Default `None`: the sandbox's own in-memory store, checked inline. With a shared store
    /// the claim is awaited after the signature is verified; when the store cannot answer, the
    /// request is refused with HTTP 503 (never accepted) and counted in
    /// [`PayneteasyStats::refused_replay_check_unavailable`].
    pub nonce_store: Option<Arc<dyn AsyncNonceStore>>,
}

impl Default for PayneteasySandboxConfig {
    fn default() -> Self {
        PayneteasySandboxConfig {
            merchants: vec![PayneteasyMerchant::test()],
            orders: SeededOrder::defaults(),
            max_skew_secs: 300,
            clock: Arc::new(SystemTime::now),
            nonce_store: None,
        }
    }
}

impl fmt::Debug for PayneteasySandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayneteasySandboxConfig")
            .field("merchants", &self.merchants)
            .field("orders", &self.orders)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("shared_nonce_store", &self.nonce_store.is_some())
            .finish_non_exhaustive()
    }
}

/// What the Payneteasy half has done so far ([`crate::Sandbox::payneteasy_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayneteasyStats {
    /// Card references created (a repeat for the same order creates none).
    pub card_refs_created: u64,
    /// Authenticated requests answered (responses and in-band errors alike).
    pub answered: u64,
    /// Refused: the `oauth_consumer_key` is no known merchant.
    pub refused_unknown_merchant: u64,
    /// Refused: the signature does not match.
    pub refused_bad_signature: u64,
    /// Refused: a valid merchant on another merchant's endpoint or group.
    pub refused_wrong_endpoint: u64,
    /// Refused: the timestamp is outside the allowed skew.
    pub refused_stale_timestamp: u64,
    /// Refused: the nonce was already used.
    pub refused_replayed_nonce: u64,
    /// Refused with HTTP 503: the shared nonce store
    /// ([`PayneteasySandboxConfig::nonce_store`]) could not answer, so the replay check was
    /// unavailable (fail closed).
    pub refused_replay_check_unavailable: u64,
    /// Refused: no or unreadable `Authorization` header, missing OAuth parameters, another
    /// signature method.
    pub refused_malformed: u64,
    /// Refused with HTTP 400 before authentication: a `Host` (or request-target authority)
    /// that is not a plain `host[:port]`, two `Host` headers, or a `Host` that disagrees with
    /// an absolute request target ([`AuthorityError`]).
    pub refused_bad_request: u64,
}

impl PayneteasyStats {
    /// All refusals (HTTP 403 and the HTTP 400 of [`Self::refused_bad_request`]) together.
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.refused_bad_request
            + self.refused_unknown_merchant
            + self.refused_bad_signature
            + self.refused_wrong_endpoint
            + self.refused_stale_timestamp
            + self.refused_replayed_nonce
            + self.refused_replay_check_unavailable
            + self.refused_malformed
    }
}

/// Why a request was refused with HTTP 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    UnknownMerchant,
    BadSignature,
    WrongEndpoint,
    StaleTimestamp,
    ReplayedNonce,
    /// HTTP 503, not 403: the shared nonce store could not answer.
    ReplayCheckUnavailable,
    Malformed(&'static str),
    /// HTTP 400, not 403: the request's authority is unusable.
    BadRequest(AuthorityError),
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    card_refs_created: AtomicU64,
    answered: AtomicU64,
    unknown_merchant: AtomicU64,
    bad_signature: AtomicU64,
    wrong_endpoint: AtomicU64,
    stale_timestamp: AtomicU64,
    replayed_nonce: AtomicU64,
    replay_check_unavailable: AtomicU64,
    malformed: AtomicU64,
    bad_request: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> PayneteasyStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PayneteasyStats {
            card_refs_created: get(&self.card_refs_created),
            answered: get(&self.answered),
            refused_unknown_merchant: get(&self.unknown_merchant),
            refused_bad_signature: get(&self.bad_signature),
            refused_wrong_endpoint: get(&self.wrong_endpoint),
            refused_stale_timestamp: get(&self.stale_timestamp),
            refused_replayed_nonce: get(&self.replayed_nonce),
            refused_replay_check_unavailable: get(&self.replay_check_unavailable),
            refused_malformed: get(&self.malformed),
            refused_bad_request: get(&self.bad_request),
        }
    }

    fn refused(&self, refusal: Refusal) {
        let counter = match refusal {
            Refusal::UnknownMerchant => &self.unknown_merchant,
            Refusal::BadSignature => &self.bad_signature,
            Refusal::WrongEndpoint => &self.wrong_endpoint,
            Refusal::StaleTimestamp => &self.stale_timestamp,
            Refusal::ReplayedNonce => &self.replayed_nonce,
            Refusal::ReplayCheckUnavailable => &self.replay_check_unavailable,
            Refusal::Malformed(_) => &self.malformed,
            Refusal::BadRequest(_) => &self.bad_request,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why the authority a request was sent to (its `Host`, or the authority of an absolute
/// request target) was refused with HTTP 400. The sandbox verifies the signature over
/// `scheme://AUTHORITY` and the very path it routes on, so the authority must be a plain
/// `host[:port]` and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// No `Host` header and no absolute request target.
    #[error("no Host header")]
    Missing,
    /// More than one `Host` header.
    #[error("more than one Host header")]
    Duplicate,
    /// The authority is empty.
    #[error("the Host header is empty")]
    Empty,
    /// Whitespace, control or non-ASCII characters.
    #[error("the Host header contains whitespace, control or non-ASCII characters")]
    NotVisibleAscii,
    /// A `/`, `?` or `#`: a path, query or fragment smuggled into the authority.
    #[error("the Host header contains a path, query or fragment delimiter")]
    Delimiter,
    /// A `@`: user information.
    #[error("the Host header contains user information (@)")]
    UserInfo,
    /// The host is not a registered name (letters, digits, `-`, `.`, `_`) nor a bracketed
    /// IPv6 address.
    #[error("the host is not a plain name, IPv4 or bracketed IPv6 address")]
    InvalidHost,
    /// The port is empty, not decimal digits, or above 65535.
    #[error("the port is not a number from 0 to 65535")]
    InvalidPort,
    /// An absolute request target names another scheme or authority than the connection
    /// and the `Host` header.
    #[error("the request target and the Host header disagree")]
    Mismatch,
}

/// Checks that `text` is a plain `host[:port]` authority (as in a `Host` header) and returns
/// it parsed.
///
/// Accepted: a registered name or IPv4 address of letters, digits, `-`, `.` and `_`, or a
/// bracketed IPv6 address, optionally followed by `:` and 1–5 digits up to 65535.
///
/// # Errors
/// The [`AuthorityError`] naming the first problem found.
pub fn validate_authority(text: &str) -> Result<http::uri::Authority, AuthorityError> {
    if text.is_empty() {
        return Err(AuthorityError::Empty);
    }
    if text.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(AuthorityError::NotVisibleAscii);
    }
    if text.contains(['/', '?', '#']) {
        return Err(AuthorityError::Delimiter);
    }
    if text.contains('@') {
        return Err(AuthorityError::UserInfo);
    }
    let authority: http::uri::Authority = text.parse().map_err(|_| AuthorityError::InvalidHost)?;
    let host = authority.host();
    let valid_host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .is_some_and(|v6| v6.parse::<std::net::Ipv6Addr>().is_ok()),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        }
    };
    if !valid_host {
        return Err(AuthorityError::InvalidHost);
    }
    match text.strip_prefix(host).ok_or(AuthorityError::InvalidHost)? {
        "" => {}
        rest => {
            let digits = rest.strip_prefix(':').ok_or(AuthorityError::InvalidHost)?;
            let valid = !digits.is_empty()
                && digits.len() <= 5
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok();
            if !valid {
                return Err(AuthorityError::InvalidPort);
            }
        }
    }
    Ok(authority)
}

/// The authority the client addressed: the `Host` header, or the authority of an absolute
/// request target (which must then agree with `Host` when both are present).
fn request_authority(
    request: &Request<Bytes>,
    scheme: &str,
) -> Result<http::uri::Authority, AuthorityError> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(AuthorityError::Duplicate);
    }
    let host = host
        .map(|h| h.to_str().map_err(|_| AuthorityError::NotVisibleAscii))
        .transpose()?
        .map(validate_authority)
        .transpose()?;
    match (request.uri().authority(), host) {
        (None, None) => Err(AuthorityError::Missing),
        (None, Some(host)) => Ok(host),
        (Some(target), host) => {
            let target = validate_authority(target.as_str())?;
            let same_scheme = request
                .uri()
                .scheme_str()
                .is_none_or(|s| s.eq_ignore_ascii_case(scheme));
            let same_host = host
                .as_ref()
                .is_none_or(|h| h.as_str().eq_ignore_ascii_case(target.as_str()));
            if same_scheme && same_host {
                Ok(target)
            } else {
                Err(AuthorityError::Mismatch)
            }
        }
    }
}

struct Merchant {
    login: String,
    key: RsaPublicKey,
    endpoint_id: u64,
    endpoint_group_id: u64,
}

/// A card reference made for an order.
#[derive(Clone)]
struct CardRef {
    card_ref_id: String,
    recurring_payment_id: String,
}

#[derive(Default)]
struct State {
    /// (client_orderid, orderid) → the card reference made for it.
    card_refs: HashMap<(String, String), CardRef>,
    made: u64,
}

/// The commands this half serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    CreateCardRef,
    Status,
}

impl Cmd {
    fn parse(name: &str) -> Option<Cmd> {
        match name {
            n if n == CreateCardRef::PATH => Some(Cmd::CreateCardRef),
            n if n == StatusCommand::PATH => Some(Cmd::Status),
            _ => None,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Cmd::CreateCardRef => CreateCardRef::PATH,
            Cmd::Status => StatusCommand::PATH,
        }
    }
}

const PREFIX: &str = "/paynet/api/v4/";

/// `{command}/{id}` or `{command}/group/{id}` after the prefix.
fn parse_path(path: &str) -> Option<(Cmd, Endpoint)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (command, endpoint) = rest.split_once('/')?;
    Some((Cmd::parse(command)?, endpoint.parse().ok()?))
}

pub(crate) struct PayneteasyHalf {
    merchants: HashMap<String, Merchant>,
    /// client_orderid → order.
    orders: HashMap<String, SeededOrder>,
    max_skew_secs: u64,
    clock: Clock,
    nonces: MemoryNonceStore,
    /// Replaces `nonces` when set: claimed asynchronously after verification.
    shared_nonces: Option<Arc<dyn AsyncNonceStore>>,
    state: Mutex<State>,
    serial: AtomicU64,
    counters: Arc<Counters>,
    /// `https` once the sandbox starts with TLS; the scheme of the URL the client signed.
    scheme: OnceLock<&'static str>,
    limits: DecodeLimits,
    refusal_warnings: WarnLimiter,
}

impl PayneteasyHalf {
    /// Checks the configuration: every public key must load, logins must be unique and
    /// non-empty, order ids unique.
    pub(crate) fn new(
        config: PayneteasySandboxConfig,
        counters: Arc<Counters>,
    ) -> Result<Self, String> {
        let mut merchants = HashMap::new();
        for m in config.merchants {
            if m.login.is_empty() || m.login.chars().any(char::is_control) {
                return Err(
                    "a Payneteasy merchant login is empty or has control characters".into(),
                );
            }
            let key = RsaPublicKey::from_pem(&m.public_key_pem).map_err(|e| {
                format!(
                    "the public key of Payneteasy merchant {:?} cannot be read: {e}",
                    m.login
                )
            })?;
            if merchants.contains_key(&m.login) {
                return Err(format!("Payneteasy merchant {:?} is listed twice", m.login));
            }
            merchants.insert(
                m.login.clone(),
                Merchant {
                    login: m.login,
                    key,
                    endpoint_id: m.endpoint_id,
                    endpoint_group_id: m.endpoint_group_id,
                },
            );
        }
        let mut orders = HashMap::new();
        for order in config.orders {
            if orders.contains_key(&order.client_orderid) {
                return Err(format!("order {:?} is seeded twice", order.client_orderid));
            }
            orders.insert(order.client_orderid.clone(), order);
        }
        // Any timestamp that passes the skew check must still be inside the store's window.
        let window = config.max_skew_secs.saturating_mul(2).saturating_add(60);
        Ok(PayneteasyHalf {
            merchants,
            orders,
            max_skew_secs: config.max_skew_secs,
            clock: config.clock,
            nonces: MemoryNonceStore::new(window, 1_000_000),
            shared_nonces: config.nonce_store,
            state: Mutex::new(State::default()),
            serial: AtomicU64::new(FIRST_SERIAL),
            counters,
            scheme: OnceLock::new(),
            limits: DecodeLimits::default(),
            refusal_warnings: WarnLimiter::default(),
        })
    }

    /// Called once at start: the scheme clients use to reach (and sign for) the sandbox.
    pub(crate) fn set_tls(&self, tls: bool) {
        let _ = self.scheme.set(if tls { "https" } else { "http" });
    }

    fn now_secs(&self) -> u64 {
        (self.clock)()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn next_serial(&self) -> String {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        format!("00000000-0000-0000-0000-{n:012x}")
    }

    /// Authenticates `request`, routed on `path` (the very string the signature is verified
    /// over, with the validated authority and the connection's scheme in front). With the
    /// own memory store the nonce is claimed here too; with a shared store the verified
    /// request is handed back so that its nonce can be claimed asynchronously
    /// ([`Self::claim_shared`]) before the endpoint check ([`Self::check_endpoint`]).
    fn authenticate(
        &self,
        request: &Request<Bytes>,
        path: &str,
    ) -> Result<(&Merchant, Option<Verified>), Refusal> {
        let scheme = self.scheme.get().copied().unwrap_or("http");
        let authority = request_authority(request, scheme).map_err(Refusal::BadRequest)?;
        let mut values = request.headers().get_all(header::AUTHORIZATION).iter();
        let value = values
            .next()
            .ok_or(Refusal::Malformed("no Authorization header"))?;
        if values.next().is_some() {
            return Err(Refusal::Malformed("more than one Authorization header"));
        }
        let value = value
            .to_str()
            .map_err(|_| Refusal::Malformed("the Authorization header is not text"))?;
        let parsed = AuthorizationHeader::parse(value)
            .map_err(|_| Refusal::Malformed("the Authorization header is not OAuth"))?;
        let login = parsed
            .consumer_key()
            .ok_or(Refusal::Malformed("no oauth_consumer_key"))?;
        let merchant = self.merchants.get(login).ok_or(Refusal::UnknownMerchant)?;
        let url = match request.uri().query() {
            Some(query) => format!("{scheme}://{authority}{path}?{query}"),
            None => format!("{scheme}://{authority}{path}"),
        };
        let url =
            RequestUrl::parse(&url).map_err(|_| Refusal::Malformed("unusable Host or path"))?;
        // Built from validated parts this always holds; checked so that it stays so.
        if url.path() != path {
            return Err(Refusal::Malformed(
                "the verified path is not the routed path",
            ));
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let to_verify = oauth1_signer::Request::new(request.method().as_str(), url)
            .with_body(content_type, request.body());
        let policy = VerifyPolicy::new(self.now_secs(), self.max_skew_secs);
        if self.shared_nonces.is_some() {
            let verified = verify_without_replay(&to_verify, &parsed, &merchant.key, &policy)
                .map_err(refusal_of)?;
            Ok((merchant, Some(verified)))
        } else {
            let policy = policy.with_nonce_store(&self.nonces);
            verify(&to_verify, &parsed, &merchant.key, &policy).map_err(refusal_of)?;
            Ok((merchant, None))
        }
    }

    /// Claims the nonce of `verified` in the shared store (fail closed: a store that cannot
    /// answer refuses the request).
    async fn claim_shared(&self, verified: &Verified) -> Result<(), Refusal> {
        let Some(store) = self.shared_nonces.as_deref() else {
            return Ok(());
        };
        claim_nonce(store, verified.nonce_claim())
            .await
            .map_err(|e| {
                if let VerifyError::ReplayCheckUnavailable(unavailable) = &e {
                    tracing::debug!(error = %e, reason = %unavailable.reason(), "shared nonce store unavailable");
                }
                refusal_of(e)
            })
    }

    /// A merchant is served only on its own endpoint and endpoint group.
    fn check_endpoint(merchant: &Merchant, endpoint: Endpoint) -> Result<(), Refusal> {
        let own = match endpoint {
            Endpoint::Id(id) => id == merchant.endpoint_id,
            Endpoint::Group(id) => id == merchant.endpoint_group_id,
        };
        if own {
            Ok(())
        } else {
            Err(Refusal::WrongEndpoint)
        }
    }

    /// The order `client_orderid` of this merchant, if `orderid` (when given) matches.
    fn order(
        &self,
        merchant: &Merchant,
        client_orderid: &str,
        orderid: Option<&str>,
    ) -> Option<&SeededOrder> {
        self.orders.get(client_orderid).filter(|o| {
            o.merchant_login
                .as_deref()
                .is_none_or(|l| l == merchant.login)
                && orderid.is_none_or(|id| id == o.orderid)
        })
    }

    fn refusal(&self, kind: GatewayErrorKind, code: &str, message: String) -> Response<Bytes> {
        let mut error = GatewayError::new(kind);
        error.serial_number = Some(self.next_serial());
        error.message = Some(message);
        error.code = Some(code.to_owned());
        form_answer(encode_gateway_error(&error))
    }

    fn invalid_request(&self, error: &DecodeError) -> Response<Bytes> {
        let mut message = error.to_string();
        if let Some(source) = std::error::Error::source(error) {
            message.push_str(": ");
            message.push_str(&source.to_string());
        }
        self.refusal(
            GatewayErrorKind::ValidationError,
            ERR_INVALID_REQUEST,
            message,
        )
    }

    fn not_found(&self, client_orderid: &str) -> Response<Bytes> {
        self.refusal(
            GatewayErrorKind::ValidationError,
            ERR_ORDER_NOT_FOUND,
            format!("No order found with client_orderid {client_orderid} and this orderid"),
        )
    }

    fn create_card_ref(&self, merchant: &Merchant, request: &Request<Bytes>) -> Response<Bytes> {
        let decoded = match decode_request::<CreateCardRef>(
            content_type(request),
            request.body(),
            &self.limits,
        ) {
            Ok(decoded) => decoded,
            Err(e) => return self.invalid_request(&e),
        };
        if decoded.login().is_some_and(|l| l != merchant.login) {
            return self.refusal(
                GatewayErrorKind::ValidationError,
                ERR_INVALID_REQUEST,
                "login does not match oauth_consumer_key".to_owned(),
            );
        }
        let Some(order) = self.order(merchant, decoded.client_orderid(), Some(decoded.orderid()))
        else {
            return self.not_found(decoded.client_orderid());
        };
        if !order.status.is_final() {
            return self.refusal(
                GatewayErrorKind::Error,
                ERR_ORDER_NOT_FINAL,
                format!(
                    "The initial payment is not in a final status ({}): try again once it is",
                    order.status
                ),
            );
        }
        if !order.status.is_approved() {
            return self.refusal(
                GatewayErrorKind::Error,
                ERR_ORDER_NOT_APPROVED,
                format!(
                    "The initial payment was not approved ({}): a card reference needs an approved payment",
                    order.status
                ),
            );
        }
        let card_ref = {
            let mut state = crate::lock(&self.state);
            let key = (order.client_orderid.clone(), order.orderid.clone());
            match state.card_refs.get(&key) {
                Some(existing) => existing.clone(),
                None => {
                    let made = CardRef {
                        card_ref_id: (FIRST_CARD_REF_ID + state.made).to_string(),
                        recurring_payment_id: (FIRST_RECURRING_PAYMENT_ID + state.made).to_string(),
                    };
                    state.made += 1;
                    state.card_refs.insert(key, made.clone());
                    self.counters
                        .card_refs_created
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::info!(client_orderid = %order.client_orderid, card_ref_id = %made.card_ref_id, "card reference created");
                    made
                }
            }
        };
        let mut response = CreateCardRefResponse::new(Status::Approved);
        response.serial_number = Some(self.next_serial());
        response.card_ref_id = Some(card_ref.card_ref_id.clone());
        response.recurring_payment_id = Some(card_ref.recurring_payment_id);
        response.dst_card_ref_id = Some(card_ref.card_ref_id);
        form_answer(encode_response::<CreateCardRef>(&response))
    }

    fn status(&self, merchant: &Merchant, request: &Request<Bytes>) -> Response<Bytes> {
        let decoded = match decode_request::<StatusCommand>(
            content_type(request),
            request.body(),
            &self.limits,
        ) {
            Ok(decoded) => decoded,
            Err(e) => return self.invalid_request(&e),
        };
        let Some(order) = self.order(merchant, decoded.client_orderid(), decoded.orderid()) else {
            return self.not_found(decoded.client_orderid());
        };
        let card_ref_id = {
            let state = crate::lock(&self.state);
            state
                .card_refs
                .get(&(order.client_orderid.clone(), order.orderid.clone()))
                .map(|c| c.card_ref_id.clone())
        };
        let mut response = StatusResponse::new(order.status.clone());
        response.amount = Some(order.amount.clone());
        response.currency = Some(order.currency.clone());
        response.paynet_order_id = Some(order.orderid.clone());
        response.merchant_order_id = Some(order.client_orderid.clone());
        response.serial_number = Some(self.next_serial());
        response.card_ref_id = card_ref_id;
        response.last_four_digits = Some(order.last_four_digits.clone());
        response.bin = Some(order.bin.clone());
        if let Some((code, message)) = &order.error {
            response.error_code = Some(code.clone());
            response.error_message = Some(message.clone());
        }
        form_answer(encode_response::<StatusCommand>(&response))
    }
}

impl GatewayHalf for PayneteasyHalf {
    fn prefix(&self) -> &str {
        PREFIX
    }

    fn route<'a>(&self, path: &'a str) -> Option<&'a str> {
        let command = path.strip_prefix(PREFIX)?.split('/').next()?;
        Cmd::parse(command).map(|_| command)
    }

    fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        match self.begin(request) {
            Step::Answer(answer) => answer,
            Step::Verified(begun) => match begun.verified {
                None => self.finish(begun, Ok(())),
                // The server always calls `handle_async`, which claims in the shared store;
                // a synchronous caller cannot, so the replay check is unavailable: refused.
                Some(_) => self.finish(begun, Err(Refusal::ReplayCheckUnavailable)),
            },
        }
    }

    fn handle_async<'a>(&'a self, request: Request<Bytes>) -> HandlerFuture<'a> {
        Box::pin(async move {
            match self.begin(request) {
                Step::Answer(answer) => answer,
                Step::Verified(begun) => {
                    let claimed = match &begun.verified {
                        None => Ok(()),
                        Some(verified) => self.claim_shared(verified).await,
                    };
                    self.finish(begun, claimed)
                }
            }
        })
    }
}

/// What [`PayneteasyHalf::begin`] gives: the answer already (not routed, refused), or a verified
/// request to finish.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per request and consumed at once: a move, cheaper than boxing"
)]
enum Step<'a> {
    Answer(Response<Bytes>),
    Verified(Begun<'a>),
}

/// A request whose signature was verified, waiting for its nonce claim (when the store is
/// shared) and the endpoint check.
struct Begun<'a> {
    request: Request<Bytes>,
    command: Cmd,
    endpoint: Endpoint,
    merchant: &'a Merchant,
    /// `Some` when the nonce is still to be claimed in the shared store.
    verified: Option<Verified>,
}

impl PayneteasyHalf {
    /// Routing and signature verification, synchronous: the answer when the request is
    /// refused or not routed.
    fn begin(&self, request: Request<Bytes>) -> Step<'_> {
        let path = request.uri().path();
        let Some((command, endpoint)) = parse_path(path) else {
            return Step::Answer(plain(
                StatusCode::NOT_FOUND,
                "no such Payneteasy command or endpoint\n",
            ));
        };
        if request.method() != Method::POST {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "POST only\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return Step::Answer(response);
        }
        match self.authenticate(&request, path) {
            Ok((merchant, verified)) => Step::Verified(Begun {
                request,
                command,
                endpoint,
                merchant,
                verified,
            }),
            Err(refusal) => Step::Answer(self.refuse(command, endpoint, refusal)),
        }
    }

    /// After the nonce claim: the endpoint check, then the command.
    fn finish(&self, begun: Begun<'_>, claimed: Result<(), Refusal>) -> Response<Bytes> {
        let Begun {
            request,
            command,
            endpoint,
            merchant,
            verified: _,
        } = begun;
        if let Err(refusal) = claimed.and_then(|()| Self::check_endpoint(merchant, endpoint)) {
            return self.refuse(command, endpoint, refusal);
        }
        self.counters.answered.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(command = command.path(), %endpoint, login = %merchant.login, "Payneteasy request");
        match command {
            Cmd::CreateCardRef => self.create_card_ref(merchant, &request),
            Cmd::Status => self.status(merchant, &request),
        }
    }

    /// Counts and logs a refusal, and answers it.
    fn refuse(&self, command: Cmd, endpoint: Endpoint, refusal: Refusal) -> Response<Bytes> {
        self.counters.refused(refusal);
        tracing::debug!(command = command.path(), %endpoint, ?refusal, "Payneteasy request refused");
        // Any client can cause refusals at will: at most one WARN line a second.
        if let Some(suppressed) = self.refusal_warnings.admit(Instant::now()) {
            tracing::warn!(
                command = command.path(),
                %endpoint,
                ?refusal,
                suppressed,
                "Payneteasy request refused (one line a second at most; `suppressed` refusals since the last line are at DEBUG)"
            );
        }
        match refusal {
            Refusal::BadRequest(reason) => bad_request(reason),
            Refusal::ReplayCheckUnavailable => replay_check_unavailable(),
            _ => access_denied(),
        }
    }
}

/// How a verification failure is answered.
fn refusal_of(error: VerifyError) -> Refusal {
    match error {
        // Too old for the replay cache, or the cache is full of newer nonces: resending
        // with a current timestamp succeeds, as for a stale one (not a replay).
        VerifyError::StaleTimestamp { .. }
        | VerifyError::NonceTooOld { .. }
        | VerifyError::NonceStoreFull => Refusal::StaleTimestamp,
        VerifyError::ReplayedNonce => Refusal::ReplayedNonce,
        VerifyError::ReplayCheckUnavailable(_) => Refusal::ReplayCheckUnavailable,
        VerifyError::SignatureMismatch { .. } => Refusal::BadSignature,
        VerifyError::MethodMismatch { .. } => Refusal::Malformed("not RSA-SHA256"),
        VerifyError::MissingParameter { .. } => {
            Refusal::Malformed("a protocol parameter is missing")
        }
        _ => Refusal::Malformed("the OAuth parameters are unusable"),
    }
}

fn content_type(request: &Request<Bytes>) -> Option<&str> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn with_type(
    mut response: Response<Bytes>,
    status: StatusCode,
    content_type: &'static str,
) -> Response<Bytes> {
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// HTTP 200 with a gateway form body (HTTP 500 if the message cannot be written, which the
/// messages this half sends never trigger).
fn form_answer(body: Result<String, EncodeError>) -> Response<Bytes> {
    match body {
        Ok(body) => with_type(
            Response::new(Bytes::from(body)),
            StatusCode::OK,
            "text/html;charset=utf-8",
        ),
        Err(e) => with_type(
            Response::new(Bytes::from(e.to_string())),
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
        ),
    }
}

/// HTTP 403 with the gateway's HTML page.
fn access_denied() -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from_static(ACCESS_DENIED_PAGE.as_bytes())),
        StatusCode::FORBIDDEN,
        "text/html",
    )
}

/// HTTP 503: the shared nonce store could not answer, so the request cannot be checked for
/// a replay and is refused (fail closed); the client may retry later.
fn replay_check_unavailable() -> Response<Bytes> {
    let mut response = with_type(
        Response::new(Bytes::from_static(
            b"replay check unavailable: the request is refused, try again later\n",
        )),
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// HTTP 400 naming what is wrong with the request's authority.
fn bad_request(reason: AuthorityError) -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from(format!("bad request: {reason}\n"))),
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
    )
}

fn plain(status: StatusCode, text: &'static str) -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from_static(text.as_bytes())),
        status,
        "text/plain; charset=utf-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth1_signer::RsaPrivateKey;
    use payneteasy_codec::{DecodeLimits, decode_response_parts};
    use payneteasy_proto::{CreateCardRefRequest, Environment, StatusRequest};

    const BASE: &str = "http://127.0.0.1:9/paynet/api/v4";

    fn half(config: PayneteasySandboxConfig) -> PayneteasyHalf {
        let half = PayneteasyHalf::new(config, Arc::new(Counters::default())).unwrap();
        half.set_tls(false);
        half
    }

    fn signed<C: Operation>(
        endpoint: Endpoint,
        request: &C::Request,
        login: &str,
        nonce: &str,
        ts: u64,
    ) -> Request<Bytes> {
        let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
        let env = Environment::custom(BASE).unwrap();
        let encoded =
            payneteasy_codec::encode_request::<C>(&env, &endpoint, request, login, &key, nonce, ts)
                .unwrap();
        let (mut parts, body) = encoded.request.into_parts();
        // A server sees the path and the Host header, not the absolute URI.
        parts
            .headers
            .insert(header::HOST, HeaderValue::from_static("127.0.0.1:9"));
        parts.uri = parts
            .uri
            .path_and_query()
            .unwrap()
            .as_str()
            .parse()
            .unwrap();
        Request::from_parts(parts, body)
    }

    fn now() -> u64 {
        oauth1_signer::unix_timestamp_now()
    }

    #[test]
    fn create_card_ref_once_per_order() {
        let h = half(PayneteasySandboxConfig::default());
        let req = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
        let mut ids = Vec::new();
        for nonce in ["n1", "n2"] {
            let response = h.handle(signed::<CreateCardRef>(
                Endpoint::Id(TEST_ENDPOINT_ID),
                &req,
                TEST_MERCHANT_LOGIN,
                nonce,
                now(),
            ));
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/html;charset=utf-8"
            );
            let body = std::str::from_utf8(response.body()).unwrap();
            assert!(
                body.starts_with(
                    "type=create-card-ref-response\n&serial-number=00000000-0000-0000-0000-"
                ),
                "{body}"
            );
            let decoded = decode_response_parts::<CreateCardRef>(
                200,
                None,
                response.body(),
                &DecodeLimits::default(),
            )
            .unwrap();
            ids.push((decoded.card_ref_id, decoded.serial_number));
        }
        assert_eq!(ids[0].0.as_deref(), Some("1461608"));
        assert_eq!(ids[0].0, ids[1].0);
        assert_ne!(ids[0].1, ids[1].1, "serial numbers are unique");
        let stats = h.counters.snapshot();
        assert_eq!((stats.card_refs_created, stats.answered), (1, 2));
    }

    #[test]
    fn refusals_are_403_and_counted() {
        let h = half(PayneteasySandboxConfig::default());
        let req = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
        let ep = Endpoint::Id(TEST_ENDPOINT_ID);
        let cases = [
            signed::<CreateCardRef>(ep, &req, "someone-else", "a", now()),
            signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "b", now() - 3600),
            signed::<CreateCardRef>(Endpoint::Id(1), &req, TEST_MERCHANT_LOGIN, "c", now()),
            signed::<CreateCardRef>(
                Endpoint::Group(TEST_ENDPOINT_GROUP_ID + 1),
                &req,
                TEST_MERCHANT_LOGIN,
                "d",
                now(),
            ),
        ];
        for request in cases {
            let response = h.handle(request);
            assert_eq!(response.status(), 403);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html");
            assert_eq!(response.body().as_ref(), ACCESS_DENIED_PAGE.as_bytes());
        }
        // Tampered body: the signature no longer matches.
        let mut tampered = signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "e", now());
        *tampered.body_mut() = Bytes::from_static(b"client_orderid=34T43R77N&orderid=6868306");
        assert_eq!(h.handle(tampered).status(), 403);
        // No header at all.
        let mut bare = signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "f", now());
        bare.headers_mut().remove(header::AUTHORIZATION);
        assert_eq!(h.handle(bare).status(), 403);
        let s = h.counters.snapshot();
        assert_eq!(
            (
                s.refused_unknown_merchant,
                s.refused_stale_timestamp,
                s.refused_wrong_endpoint,
                s.refused_bad_signature,
                s.refused_malformed
            ),
            (1, 1, 2, 1, 1)
        );
        assert_eq!(s.refused(), 6);
    }

    #[test]
    fn order_semantics_and_status() {
        let h = half(PayneteasySandboxConfig::default());
        let ep = Endpoint::Group(TEST_ENDPOINT_GROUP_ID);
        let mut n = 0;
        let mut ccr = |client: &str, order: &str| {
            n += 1;
            let req = CreateCardRefRequest::new(client, order).unwrap();
            let r = h.handle(signed::<CreateCardRef>(
                ep,
                &req,
                TEST_MERCHANT_LOGIN,
                &format!("c{n}"),
                now(),
            ));
            decode_response_parts::<CreateCardRef>(200, None, r.body(), &DecodeLimits::default())
                .unwrap_err()
                .gateway_error()
                .cloned()
                .unwrap()
        };
        let e = ccr("nope", "1");
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::ValidationError, Some(ERR_ORDER_NOT_FOUND))
        );
        let e = ccr(APPROVED_CLIENT_ORDERID, "1");
        assert_eq!(
            e.code.as_deref(),
            Some(ERR_ORDER_NOT_FOUND),
            "orderid must match"
        );
        let e = ccr(PROCESSING_CLIENT_ORDERID, PROCESSING_ORDERID);
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::Error, Some(ERR_ORDER_NOT_FINAL))
        );
        let e = ccr(PENDING_CLIENT_ORDERID, PENDING_ORDERID);
        assert_eq!(e.code.as_deref(), Some(ERR_ORDER_NOT_FINAL));
        let e = ccr(DECLINED_CLIENT_ORDERID, DECLINED_ORDERID);
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::Error, Some(ERR_ORDER_NOT_APPROVED))
        );
        assert!(e.message.unwrap().contains("declined"));

        let req = StatusRequest::new(DECLINED_CLIENT_ORDERID).unwrap();
        let r = h.handle(signed::<StatusCommand>(
            ep,
            &req,
            TEST_MERCHANT_LOGIN,
            "s1",
            now(),
        ));
        let s =
            decode_response_parts::<StatusCommand>(200, None, r.body(), &DecodeLimits::default())
                .unwrap();
        assert_eq!(s.status, Status::Declined);
        assert_eq!(s.bin.as_deref(), Some("400000"));
        assert_eq!(s.paynet_order_id.as_deref(), Some(DECLINED_ORDERID));
        assert_eq!(s.card_ref_id, None);
    }

    #[test]
    fn routes_and_methods() {
        let h = half(PayneteasySandboxConfig::default());
        assert_eq!(h.route("/paynet/api/v4/status/group/1"), Some("status"));
        assert_eq!(h.route("/paynet/api/v4/sale/1"), None);
        let get = Request::get("/paynet/api/v4/status/39915")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(get).status(), 405);
        let unknown = Request::post("/paynet/api/v4/sale/39915")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(unknown).status(), 404);
        let bad_id = Request::post("/paynet/api/v4/status/x1")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(bad_id).status(), 404);
    }

    #[test]
    fn authorities() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost:0",
            "Example.COM:65535",
            "my_host-1.example",
            "[::1]",
            "[::1]:443",
        ] {
            assert_eq!(validate_authority(ok).unwrap().as_str(), ok);
        }
        for (bad, why) in [
            ("", AuthorityError::Empty),
            ("a b", AuthorityError::NotVisibleAscii),
            ("h\u{e9}", AuthorityError::NotVisibleAscii),
            ("h/p", AuthorityError::Delimiter),
            ("h?q", AuthorityError::Delimiter),
            ("h#", AuthorityError::Delimiter),
            ("u@h", AuthorityError::UserInfo),
            ("h%41", AuthorityError::InvalidHost),
            ("[zz]:1", AuthorityError::InvalidHost),
            ("[::1", AuthorityError::InvalidHost),
            (":80", AuthorityError::InvalidHost),
            ("h:", AuthorityError::InvalidPort),
            ("h:65536", AuthorityError::InvalidPort),
            ("h:+1", AuthorityError::InvalidPort),
            ("h:000080", AuthorityError::InvalidPort),
        ] {
            assert_eq!(validate_authority(bad).unwrap_err(), why, "{bad:?}");
        }
    }

    #[test]
    fn bad_configuration_is_refused() {
        let mut config = PayneteasySandboxConfig::default();
        config.merchants[0].public_key_pem = "not a key".into();
        assert!(PayneteasyHalf::new(config, Arc::default()).is_err());
        let mut config = PayneteasySandboxConfig::default();
        config.merchants.push(PayneteasyMerchant::test());
        assert!(PayneteasyHalf::new(config, Arc::default()).is_err());
    }

    #[test]
    fn every_command_is_a_fault_route() {
        for cmd in [Cmd::CreateCardRef, Cmd::Status] {
            assert!(
                crate::faults::ROUTES.contains(&cmd.path()),
                "{}",
                cmd.path()
            );
        }
    }
}
