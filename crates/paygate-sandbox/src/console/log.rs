//! The request log: the last N Payneteasy requests the sandbox received, each with its
//! verdict, the base string the sandbox computed, the answer and hints for the usual
//! mistakes. Secrets never enter it: the redaction happens before an entry is stored.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, header};
use oauth1_signer::{AuthorizationHeader, RequestUrl, RsaPublicKey, VerifyingKey};
use payneteasy_codec::{DecodeLimits, decode_request_form};
use payneteasy_proto::{Auth, ControlPart, Endpoint, is_secret_field};
use serde::{Deserialize, Serialize};

use super::builder::{self, Command};

/// The most bytes of an answer body kept in an entry.
pub const MAX_ANSWER_BYTES: usize = 1024;
/// The most bytes of a field value kept in an entry (longer values are cut, marked `…`).
const MAX_VALUE_BYTES: usize = 256;
/// The most body fields kept in an entry.
const MAX_FIELDS: usize = 64;
/// What replaces the `oauth_signature` of a logged `Authorization` header.
pub const ELIDED: &str = "<elided>";
/// What a logged `control` shows.
pub const PRESENT: &str = "<present>";

/// What the sandbox decided about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Authenticated and answered by the command (its answer may still be a gateway
    /// `error`, such as an order not found: see [`LoggedRequest::error_code`]).
    Accepted,
    /// Refused before the command ran: HTTP 403 (authentication), 400 (the `Host`), 503 (the
    /// shared replay cache), 404 or 405.
    Refused,
    /// Answered in band with `type=validation-error` (v2 `control`, `login`, an invalid
    /// request) or `type=error`.
    Rejected,
}

/// Which check decided a refusal or a rejection ([`LoggedRequest::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Check {
    /// The OAuth signature does not match what the sandbox computed.
    Signature,
    /// `oauth_signature_method` is not `RSA-SHA256`.
    SignatureMethod,
    /// `oauth_timestamp` is outside the allowed window ([`LoggedRequest::clock_difference_secs`]).
    Timestamp,
    /// The nonce was used already.
    ReplayedNonce,
    /// The shared replay cache could not answer (HTTP 503).
    ReplayCheckUnavailable,
    /// `oauth_consumer_key` is no merchant of the sandbox.
    UnknownMerchant,
    /// A merchant called another merchant's endpoint (v4).
    WrongEndpoint,
    /// No merchant is served on the v2 endpoint.
    UnknownEndpoint,
    /// No, two or an unreadable `Authorization` header, or a missing OAuth parameter.
    Authorization,
    /// The `Host` header (or the request target's authority) is unusable (HTTP 400).
    Host,
    /// The v2 `control` is missing or does not match.
    Control,
    /// `login` in the body is not the merchant of the endpoint or of `oauth_consumer_key`.
    Login,
    /// The body is not a valid request of the command.
    InvalidRequest,
    /// The command refused the request on its own rules (order not found, not final, …).
    Command,
    /// Not `POST` (HTTP 405).
    HttpMethod,
    /// No such command or endpoint (HTTP 404).
    Route,
}

/// A plain-language explanation of a likely mistake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Hint {
    /// A stable identifier of the mistake: `scheme`, `port`, `plus_encoding`,
    /// `content_type`, `body_not_signed`, `login_in_body`, `login_not_in_body`, `query`,
    /// `trailing_slash`, `key`, `search_skipped`, `clock`, `nonce`, `merchant`, `endpoint`, `control`, `login`,
    /// `method`, `authorization`, `host`, `request`.
    pub cause: String,
    /// Whether the sandbox proved it: the request's signature verifies once this mistake is
    /// undone (only for the signature check).
    pub confirmed: bool,
    /// The explanation.
    pub text: String,
}

/// The answer the sandbox sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoggedAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` sent.
    pub content_type: Option<String>,
    /// The body as text (lossy UTF-8), at most [`MAX_ANSWER_BYTES`], card numbers masked.
    pub body: String,
    /// Whether `body` was cut.
    pub truncated: bool,
}

/// One request the sandbox received, as the request log keeps it. Secrets never appear: the
/// `oauth_signature` is [`ELIDED`], `control` shows only [`PRESENT`], a card number keeps its
/// last four digits, `cvv2` is dropped (from the fields and from the base string).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// 1 for the first request the sandbox logged, then 2, 3, … (gaps mean entries that left
    /// the ring).
    pub seq: u64,
    /// When it was answered, in Unix milliseconds (the sandbox's clock).
    pub unix_ms: u64,
    /// The HTTP method.
    pub method: String,
    /// The request path and query, as received (secret query values redacted).
    pub path: String,
    /// `v2` or `v4` when the path is an API route.
    pub api: Option<String>,
    /// The command (`create-card-ref`, `sync/account-verification`, …) when the path names one.
    pub command: Option<String>,
    /// The endpoint of the path (`39915`, `group/1144`).
    pub endpoint: Option<String>,
    /// The merchant: `oauth_consumer_key` (v4), else the body's `login`.
    pub merchant: Option<String>,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Authorization` header with its signature [`ELIDED`].
    pub authorization: Option<String>,
    /// The form fields of the body, in order (redacted). Empty when the body is not a form.
    pub fields: Vec<(String, String)>,
    /// The body's length in bytes.
    pub body_bytes: usize,
    /// What the sandbox decided.
    pub verdict: Verdict,
    /// The check that refused or rejected it (`None` when accepted without an error).
    pub check: Option<Check>,
    /// The gateway `error-code` of an in-band rejection or command error.
    pub error_code: Option<String>,
    /// The reason in words.
    pub detail: Option<String>,
    /// `oauth_timestamp` minus the sandbox's clock, in seconds (positive: the client's clock
    /// is ahead).
    pub clock_difference_secs: Option<i64>,
    /// The timestamp window allowed, ± seconds.
    pub allowed_skew_secs: Option<u64>,
    /// The URL the sandbox verified the signature over (v4).
    pub signed_url: Option<String>,
    /// The signature base string the sandbox computed (v4), secrets replaced as in `fields`.
    pub base_string: Option<String>,
    /// The answer sent.
    pub answer: LoggedAnswer,
    /// Plain-language hints, the confirmed ones first.
    pub hints: Vec<Hint>,
}

/// The most searches for the mistake behind a bad signature in one second (each tries up to
/// nine variants, one RSA verification each), since any client can send bad signatures at will.
pub const MAX_SEARCHES_PER_SECOND: u32 = 50;

/// Admits at most [`MAX_SEARCHES_PER_SECOND`] searches in each one-second window.
#[derive(Default)]
struct SearchBudget {
    window: Mutex<Option<(Instant, u32)>>,
}

impl SearchBudget {
    fn admit(&self, now: Instant) -> bool {
        let mut window = crate::lock(&self.window);
        match &mut *window {
            Some((start, count))
                if now.saturating_duration_since(*start) < Duration::from_secs(1) =>
            {
                if *count < MAX_SEARCHES_PER_SECOND {
                    *count += 1;
                    true
                } else {
                    false
                }
            }
            slot => {
                *slot = Some((now, 1));
                true
            }
        }
    }
}

/// The ring of [`LoggedRequest`]s.
pub(crate) struct RequestLog {
    capacity: usize,
    next_seq: AtomicU64,
    entries: Mutex<VecDeque<LoggedRequest>>,
    searches: SearchBudget,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        RequestLog {
            capacity,
            next_seq: AtomicU64::new(1),
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            searches: SearchBudget::default(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The entries, oldest first.
    pub(crate) fn entries(&self) -> Vec<LoggedRequest> {
        crate::lock(&self.entries).iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        crate::lock(&self.entries).clear();
    }

    fn push(&self, mut entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        entry.seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let mut entries = crate::lock(&self.entries);
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Whether requests are recorded at all.
    pub(crate) fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Records one request and its answer.
    pub(crate) fn record(&self, seen: &Seen, response: &Response<Bytes>, context: &Context<'_>) {
        if self.enabled() {
            self.push(describe(seen, response, context, &self.searches));
        }
    }
}

/// What the log keeps of a request until its answer is known (the handler consumes the
/// request itself).
pub(crate) struct Seen {
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Seen {
    pub(crate) fn of(request: &Request<Bytes>) -> Self {
        Seen {
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers: request.headers().clone(),
            body: request.body().clone(),
        }
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the Payneteasy half decided, attached to its answer as a response extension by the
/// one place that makes each decision ([`mark`]).
#[derive(Clone, Debug)]
pub(crate) struct Decision {
    pub(crate) verdict: Verdict,
    pub(crate) check: Option<Check>,
    pub(crate) error_code: Option<String>,
    pub(crate) detail: Option<String>,
}

/// Attaches `decision` to `response` (what [`RequestLog::record`] reads).
pub(crate) fn mark(mut response: Response<Bytes>, decision: Decision) -> Response<Bytes> {
    response.extensions_mut().insert(decision);
    response
}

/// A merchant as the log's diagnosis sees it.
pub(crate) struct MerchantView<'a> {
    pub(crate) login: &'a str,
    pub(crate) key: &'a RsaPublicKey,
    pub(crate) endpoint_id: u64,
    pub(crate) endpoint_group_id: u64,
}

/// What the log needs from the Payneteasy half besides the request and the answer.
pub(crate) struct Context<'a> {
    /// `http` or `https`: the scheme the sandbox verifies signatures over.
    pub(crate) scheme: &'a str,
    /// The sandbox's clock.
    pub(crate) now: SystemTime,
    pub(crate) max_skew_secs: u64,
    /// The merchants: by login, and every one (for the endpoint hints).
    pub(crate) merchants: Vec<MerchantView<'a>>,
}

impl Context<'_> {
    fn merchant(&self, login: &str) -> Option<&MerchantView<'_>> {
        self.merchants.iter().find(|m| m.login == login)
    }
}

/// Masks a card number: its last four digits at most.
fn mask_pan(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let keep = if digits.len() >= 12 { 4 } else { 0 };
    let tail: String = digits[digits.len() - keep..].iter().collect();
    format!(
        "{}{tail}",
        "*".repeat(digits.len().saturating_sub(keep).max(4))
    )
}

/// The logged form of a field value: `None` to drop it.
fn redact_value(name: &str, value: &str) -> Option<String> {
    if name == "control" {
        return Some(PRESENT.to_owned());
    }
    if name == "credit_card_number" {
        return Some(mask_pan(value));
    }
    if is_secret_field(name) {
        return None;
    }
    Some(cut(&scrub_card_numbers(value), MAX_VALUE_BYTES))
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut with `…`.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Masks every run of 12 to 19 digits (a card number in free text: an error message, an
/// answer body) but its last four.
pub(crate) fn scrub_card_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if (12..=19).contains(&run.len()) {
            out.push_str(&mask_pan(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The body's form fields (decoded), when it is a form.
fn form_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    if body.is_empty() {
        return Some(Vec::new());
    }
    let limits = DecodeLimits::default();
    decode_request_form(Some(FORM), body, &limits).ok()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// `name=value&…` percent-encoded again, with the secret values replaced: the body the
/// base string is computed over for the log.
fn redacted_form(fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in fields {
        let Some(value) = redact_value_for_base(name, value) else {
            continue;
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&oauth1_signer::percent_encode(name));
        out.push('=');
        out.push_str(&oauth1_signer::percent_encode(&value));
    }
    out
}

/// As [`redact_value`], without the cut (the base string keeps whole values).
fn redact_value_for_base(name: &str, value: &str) -> Option<String> {
    match name {
        "control" => Some(PRESENT.to_owned()),
        "credit_card_number" => Some(mask_pan(value)),
        _ if is_secret_field(name) => None,
        _ => Some(scrub_card_numbers(value)),
    }
}

/// `OAuth name="value", …` with `oauth_signature` [`ELIDED`].
fn redacted_authorization(header: &AuthorizationHeader) -> String {
    let mut out = String::from("OAuth ");
    for (i, (name, value)) in header.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let value = if name == "oauth_signature" {
            ELIDED.to_owned()
        } else {
            cut(&String::from_utf8_lossy(value), MAX_VALUE_BYTES)
        };
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&value);
        out.push('"');
    }
    out
}

/// The path's API version, command and endpoint (`/paynet/api/v4/create-card-ref/39915`).
fn api_route(path: &str) -> Option<(&'static Command, String)> {
    let rest = path.strip_prefix("/paynet/api/")?;
    let (version, rest) = rest.split_once('/')?;
    builder::commands()
        .iter()
        .filter(|c| c.version.as_str() == version)
        .filter_map(|c| {
            let endpoint = rest.strip_prefix(c.path)?.strip_prefix('/')?;
            endpoint
                .parse::<Endpoint>()
                .ok()
                .map(|e| (c, e.to_string()))
        })
        .max_by_key(|(c, _)| c.path.len())
}

fn describe(
    seen: &Seen,
    response: &Response<Bytes>,
    context: &Context<'_>,
    searches: &SearchBudget,
) -> LoggedRequest {
    let decision = response.extensions().get::<Decision>().cloned();
    let decision = decision.unwrap_or_else(|| fallback_decision(response.status().as_u16()));
    let path = seen.uri.path();
    let route = api_route(path);
    let fields = form_fields(&seen.body);
    let authorization = seen
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| AuthorizationHeader::parse(v).ok());
    let consumer_key = authorization
        .as_ref()
        .and_then(|h| h.consumer_key())
        .map(str::to_owned);
    let body_login = fields
        .as_ref()
        .and_then(|f| f.iter().find(|(n, _)| n == "login").map(|(_, v)| v.clone()));
    let now_secs = context
        .now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let clock_difference_secs = authorization
        .as_ref()
        .and_then(|h| h.get("oauth_timestamp"))
        .and_then(|t| t.parse::<u64>().ok())
        .map(|t| i64::try_from(t).unwrap_or(i64::MAX) - i64::try_from(now_secs).unwrap_or(0));
    let host = seen.header(header::HOST).map(str::to_owned);
    let query = seen.uri.query();
    // The URL a v4 signature is verified over (a v2 request carries no signature).
    let signed_url = host
        .as_ref()
        .filter(|_| authorization.is_some())
        .map(|h| match query {
            Some(q) => format!("{}://{h}{path}?{q}", context.scheme),
            None => format!("{}://{h}{path}", context.scheme),
        });
    let content_type = seen.header(header::CONTENT_TYPE).map(str::to_owned);
    let base_string = match (&authorization, &signed_url) {
        (Some(auth), Some(url)) => {
            let redacted_body = fields.as_deref().map(redacted_form);
            let redacted_query = query.map(|q| {
                form_fields(q.as_bytes()).map_or_else(|| q.to_owned(), |f| redacted_form(&f))
            });
            let url = match (&redacted_query, url.split_once('?')) {
                (Some(q), Some((head, _))) => format!("{head}?{q}"),
                _ => url.clone(),
            };
            let body = redacted_body.unwrap_or_default();
            base_string_of(
                &seen.method,
                &url,
                content_type.as_deref(),
                body.as_bytes(),
                auth,
            )
        }
        _ => None,
    };
    let mut entry = LoggedRequest {
        seq: 0,
        unix_ms: context
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        method: cut(seen.method.as_str(), 16),
        path: cut(
            &match query {
                Some(q) => format!(
                    "{path}?{}",
                    form_fields(q.as_bytes())
                        .map_or_else(|| scrub_card_numbers(q), |f| redacted_form(&f))
                ),
                None => path.to_owned(),
            },
            512,
        ),
        api: route.as_ref().map(|(c, _)| c.version.as_str().to_owned()),
        command: route.as_ref().map(|(c, _)| c.path.to_owned()),
        endpoint: route.as_ref().map(|(_, e)| e.clone()),
        merchant: consumer_key
            .clone()
            .or(body_login.clone())
            .map(|m| cut(&m, 128)),
        host: host.as_deref().map(|h| cut(h, 256)),
        content_type: content_type.as_deref().map(|c| cut(c, 256)),
        authorization: authorization.as_ref().map(redacted_authorization),
        fields: fields
            .as_deref()
            .unwrap_or_default()
            .iter()
            .take(MAX_FIELDS)
            .filter_map(|(n, v)| redact_value(n, v).map(|v| (cut(n, 64), v)))
            .collect(),
        body_bytes: seen.body.len(),
        verdict: decision.verdict,
        check: decision.check,
        error_code: decision.error_code.clone(),
        detail: decision.detail.as_deref().map(scrub_card_numbers),
        clock_difference_secs,
        allowed_skew_secs: authorization.as_ref().map(|_| context.max_skew_secs),
        signed_url: signed_url
            .as_deref()
            .map(|u| cut(&scrub_card_numbers(u), 512)),
        base_string,
        answer: answer_of(response),
        hints: Vec::new(),
    };
    entry.hints = hints(
        seen,
        &entry,
        signed_url.as_deref(),
        authorization.as_ref(),
        route.as_ref().map(|(c, _)| *c),
        context,
        searches,
    );
    entry
}

/// The decision of an answer no decision was attached to (a route or method refusal).
fn fallback_decision(status: u16) -> Decision {
    let (verdict, check) = match status {
        404 => (Verdict::Refused, Some(Check::Route)),
        405 => (Verdict::Refused, Some(Check::HttpMethod)),
        200..=399 => (Verdict::Accepted, None),
        _ => (Verdict::Refused, None),
    };
    Decision {
        verdict,
        check,
        error_code: None,
        detail: None,
    }
}

fn answer_of(response: &Response<Bytes>) -> LoggedAnswer {
    let body = response.body();
    let truncated = body.len() > MAX_ANSWER_BYTES;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_ANSWER_BYTES)]);
    LoggedAnswer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: scrub_card_numbers(&text),
        truncated,
    }
}

/// The base string a verifier computes for this request with this header.
fn base_string_of(
    method: &http::Method,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    header: &AuthorizationHeader,
) -> Option<String> {
    let url = RequestUrl::parse(url).ok()?;
    let request = oauth1_signer::Request::new(method.as_str(), url).with_body(content_type, body);
    oauth1_signer::base_string_for_header(&request, header).ok()
}

fn hint(cause: &str, confirmed: bool, text: impl Into<String>) -> Hint {
    Hint {
        cause: cause.to_owned(),
        confirmed,
        text: text.into(),
    }
}

fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(FORM))
    })
}

fn hints(
    seen: &Seen,
    entry: &LoggedRequest,
    signed_url: Option<&str>,
    authorization: Option<&AuthorizationHeader>,
    command: Option<&'static Command>,
    context: &Context<'_>,
    searches: &SearchBudget,
) -> Vec<Hint> {
    let mut out = Vec::new();
    let merchant = entry.merchant.as_deref().and_then(|m| context.merchant(m));
    match entry.check {
        Some(Check::Signature) => {
            if let (Some(auth), Some(merchant), Some(url)) =
                (authorization, merchant, signed_url)
            {
                if searches.admit(Instant::now()) {
                    out.extend(signature_hints(seen, auth, merchant.key, url, context.scheme));
                } else {
                    out.push(hint(
                        "search_skipped",
                        false,
                        "the sandbox searches for the mistake behind at most 50 bad signatures \
                         a second: this one was not searched; send it again a moment later",
                    ));
                }
            }
            if !is_form(entry.content_type.as_deref()) && !seen.body.is_empty() {
                out.push(hint(
                    "content_type",
                    false,
                    format!(
                        "the body is not signed: its Content-Type is {:?}, and only an \
                         application/x-www-form-urlencoded body counts in the signature; send \
                         the form with that Content-Type",
                        entry.content_type.as_deref().unwrap_or("(none)")
                    ),
                ));
            }
            if !out.iter().any(|h| h.confirmed) {
                out.push(hint(
                    "key",
                    false,
                    format!(
                        "no usual mistake explains it: compare your base string with the one \
                         above (the sandbox signs over {}), and check that your private key is \
                         the pair of the public key registered for this merchant",
                        entry.signed_url.as_deref().unwrap_or("the URL it was reached at")
                    ),
                ));
                out.push(hint(
                    "plus_encoding",
                    false,
                    "values are percent-encoded with %20 for a space in the base string; a \
                     form body may carry + for a space, but a literal + must be sent as %2B",
                ));
            }
        }
        Some(Check::Timestamp) => {
            let diff = entry.clock_difference_secs.unwrap_or(0);
            let way = if diff > 0 { "ahead of" } else { "behind" };
            out.push(hint(
                "clock",
                false,
                format!(
                    "oauth_timestamp is {}s {way} the sandbox's clock; at most ±{}s is \
                     accepted: sign with the current Unix time in seconds (not milliseconds) \
                     and keep your clock synchronized",
                    diff.unsigned_abs(),
                    context.max_skew_secs
                ),
            ));
        }
        Some(Check::ReplayedNonce) => out.push(hint(
            "nonce",
            false,
            "this oauth_nonce was used already: every request, a retry too, must be signed \
             again with a fresh nonce and timestamp",
        )),
        Some(Check::UnknownMerchant) => {
            let known: Vec<&str> = context.merchants.iter().map(|m| m.login).collect();
            out.push(hint(
                "merchant",
                false,
                format!(
                    "oauth_consumer_key must be your merchant login; this sandbox knows {}",
                    known.join(", ")
                ),
            ));
        }
        Some(Check::WrongEndpoint | Check::UnknownEndpoint) => {
            let text = match merchant {
                Some(m) => format!(
                    "merchant {} is served on endpoint {} and endpoint group {} only",
                    m.login, m.endpoint_id, m.endpoint_group_id
                ),
                None => {
                    let served: Vec<String> = context
                        .merchants
                        .iter()
                        .map(|m| format!("{} (group {})", m.endpoint_id, m.endpoint_group_id))
                        .collect();
                    format!("the endpoints served here: {}", served.join(", "))
                }
            };
            out.push(hint("endpoint", false, text));
        }
        Some(Check::Control) => {
            let formula = command
                .and_then(|c| match c.auth {
                    Auth::Control(parts) => Some(control_formula(parts)),
                    _ => None,
                })
                .unwrap_or_else(|| "the command's fields and the merchant control key".into());
            out.push(hint(
                "control",
                false,
                format!(
                    "control is the lowercase hex SHA-1 of {formula}, concatenated without \
                     separators (amounts in minor units: 10.42 USD is 1042)"
                ),
            ));
        }
        Some(Check::Login) => out.push(hint(
            "login",
            false,
            "login in the body must be the merchant of the endpoint (v2) or oauth_consumer_key \
             (v4); v4 create-card-ref sends no login in the body at all",
        )),
        Some(Check::SignatureMethod) => out.push(hint(
            "method",
            false,
            "oauth_signature_method must be RSA-SHA256",
        )),
        Some(Check::Authorization) => out.push(hint(
            "authorization",
            false,
            "v4 commands need exactly one header `Authorization: OAuth oauth_consumer_key=…, \
             oauth_nonce=…, oauth_signature=…, oauth_signature_method=\"RSA-SHA256\", \
             oauth_timestamp=…, oauth_version=\"1.0\"`; v2 commands (under /paynet/api/v2/) use \
             a control field instead",
        )),
        Some(Check::Host) => out.push(hint(
            "host",
            false,
            "send one Host header, host[:port] only: the sandbox signs over the scheme, that \
             authority and the path",
        )),
        Some(Check::InvalidRequest) => out.push(hint(
            "request",
            false,
            "the body must be application/x-www-form-urlencoded with the command's fields \
             (the request builder of this console lists them)",
        )),
        Some(Check::HttpMethod) => out.push(hint("method", false, "commands are POST only")),
        Some(Check::Route) => out.push(hint(
            "request",
            false,
            "the URL must be /paynet/api/v2|v4/COMMAND/ENDPOINTID or …/COMMAND/group/ENDPOINTGROUPID",
        )),
        _ => {}
    }
    out.sort_by_key(|h| !h.confirmed);
    out
}

/// `login + client_orderid + ENDPOINTID + …` of a v2 command, in words.
fn control_formula(parts: &[ControlPart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            ControlPart::Field(name) => (*name).to_owned(),
            ControlPart::EndpointId => "ENDPOINTID".to_owned(),
            ControlPart::AmountMinorUnits { amount, .. } => {
                format!("{amount} in minor units (if sent)")
            }
            ControlPart::FieldIfSent { field, if_sent } => {
                format!("{field} (if {if_sent} is sent)")
            }
            ControlPart::MerchantControl => "the merchant control key".to_owned(),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Tries the usual mistakes one by one: each variant of the request whose base string the
/// signature verifies over proves that mistake.
fn signature_hints(
    seen: &Seen,
    header: &AuthorizationHeader,
    key: &RsaPublicKey,
    signed_url: &str,
    scheme: &str,
) -> Vec<Hint> {
    use base64::Engine as _;
    let Some(signature) = header
        .get("oauth_signature")
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    else {
        return Vec::new();
    };
    let content_type = seen.header(header::CONTENT_TYPE);
    let body = &seen.body[..];
    let verifies = |url: &str, content_type: Option<&str>, body: &[u8]| {
        base_string_of(&seen.method, url, content_type, body, header)
            .is_some_and(|b| key.verify(b.as_bytes(), &signature).is_ok())
    };
    let mut out = Vec::new();
    let other = if scheme == "https" { "http" } else { "https" };
    let with_scheme = format!("{other}{}", &signed_url[scheme.len()..]);
    if verifies(&with_scheme, content_type, body) {
        out.push(hint(
            "scheme",
            true,
            format!(
                "you signed {other}:// but sent the request over {scheme}://, so the base \
                 strings differ: sign the URL exactly as you send it ({signed_url})"
            ),
        ));
    }
    let (head, rest) = signed_url
        .split_once("://")
        .map_or((scheme, signed_url), |(h, r)| (h, r));
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let port_split = authority
        .rsplit_once(':')
        .filter(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    if let Some((host, _port)) = port_split {
        let without_port = format!("{head}://{host}/{tail}");
        if verifies(&without_port, content_type, body) {
            out.push(hint(
                "port",
                true,
                format!(
                    "you signed the URL without its port ({without_port}); a non-default port \
                     is part of the signed URL: sign {signed_url}"
                ),
            ));
        }
    }
    if body.contains(&b'+') {
        let literal: Vec<u8> = body
            .iter()
            .flat_map(|&b| if b == b'+' { b"%2B".to_vec() } else { vec![b] })
            .collect();
        if verifies(signed_url, Some(FORM), &literal) {
            out.push(hint(
                "plus_encoding",
                true,
                "a + in the form body means a space, but you signed it as a literal +: \
                 percent-encode a literal + as %2B in the body, and a space as %20 in the base \
                 string",
            ));
        }
    }
    if !is_form(content_type) && !body.is_empty() && verifies(signed_url, Some(FORM), body) {
        out.push(hint(
            "content_type",
            true,
            format!(
                "you signed the body as a form, but sent it with Content-Type {:?}: the sandbox \
                 does not sign a body of that type; send Content-Type: \
                 application/x-www-form-urlencoded",
                content_type.unwrap_or("(none)")
            ),
        ));
    }
    if is_form(content_type) && !body.is_empty() && verifies(signed_url, content_type, b"") {
        out.push(hint(
            "body_not_signed",
            true,
            "you signed without the body parameters: every field of a form body is part of \
             the signature",
        ));
    }
    let pairs: Vec<&[u8]> = body.split(|&b| b == b'&').collect();
    let is_login = |p: &&[u8]| p.starts_with(b"login=") || p.starts_with(b"\nlogin=");
    if pairs.iter().any(is_login) {
        let without: Vec<&[u8]> = pairs.iter().copied().filter(|p| !is_login(p)).collect();
        if verifies(signed_url, content_type, &without.join(&b'&')) {
            out.push(hint(
                "login_in_body",
                true,
                "you sent login in the body but signed without it: sign every field you send \
                 (or leave login out of the body where the command does not list it)",
            ));
        }
    } else if let Some(login) = header.consumer_key() {
        let mut with = format!("login={}", oauth1_signer::percent_encode(login)).into_bytes();
        if !body.is_empty() {
            with.push(b'&');
            with.extend_from_slice(body);
        }
        if verifies(signed_url, Some(FORM), &with) {
            out.push(hint(
                "login_not_in_body",
                true,
                "you signed a login field that the body does not carry: send it, or sign \
                 without it",
            ));
        }
    }
    if let Some((without_query, _)) = signed_url.split_once('?')
        && verifies(without_query, content_type, body)
    {
        out.push(hint(
            "query",
            true,
            "you signed without the query string: its parameters are signed too",
        ));
    }
    let slash = match signed_url.strip_suffix('/') {
        Some(trimmed) => trimmed.to_owned(),
        None => format!("{signed_url}/"),
    };
    if !signed_url.contains('?') && verifies(&slash, content_type, body) {
        out.push(hint(
            "trailing_slash",
            true,
            format!("you signed {slash}: sign the path exactly as you send it"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_and_cvv_dropped() {
        assert_eq!(mask_pan("4111111111111111"), "************1111");
        assert_eq!(redact_value("cvv2", "123"), None);
        assert_eq!(redact_value("control", "abc").as_deref(), Some(PRESENT));
        assert_eq!(
            scrub_card_numbers("card 4111111111111111 refused, order 6868305"),
            "card ************1111 refused, order 6868305"
        );
        let fields = vec![
            (
                "credit_card_number".to_owned(),
                "4111111111111111".to_owned(),
            ),
            ("cvv2".to_owned(), "123".to_owned()),
            ("control".to_owned(), "0123abcd".to_owned()),
        ];
        let form = redacted_form(&fields);
        assert!(!form.contains("4111111111111111") && !form.contains("123&"));
        assert!(!form.contains("0123abcd") && !form.contains("cvv2"));
    }

    #[test]
    fn at_most_50_searches_a_second() {
        let budget = SearchBudget::default();
        let t0 = Instant::now();
        let admitted = (0..1000)
            .filter(|i| budget.admit(t0 + Duration::from_micros(*i)))
            .count();
        assert_eq!(admitted, 50);
        assert!(budget.admit(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn api_routes_are_read_from_the_command_table() {
        let (c, e) = api_route("/paynet/api/v2/sync/account-verification/group/7").unwrap();
        assert_eq!(
            (c.path, e.as_str()),
            ("sync/account-verification", "group/7")
        );
        let (c, e) = api_route("/paynet/api/v4/create-card-ref/39915").unwrap();
        assert_eq!(
            (c.version.as_str(), c.path, e.as_str()),
            ("v4", "create-card-ref", "39915")
        );
        assert!(api_route("/paynet/api/v4/nope/1").is_none());
    }
}
