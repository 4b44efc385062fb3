//! The integrator's console: web pages served by the sandbox under [`CONSOLE_PREFIX`], on its
//! own listener (loopback only by default, as the sandbox is).
//!
//! | page | what |
//! |---|---|
//! | `GET /console/` | the index |
//! | `GET /console/builder?command=v4/create-card-ref` | the request builder's form for one command |
//! | `POST /console/builder` | the built request: normalized parameters, base string, hex and base64 signature, `Authorization`, body and a ready `curl` command (v4), or the body with its `control` (v2) |
//! | `GET /console/log` | the request log ([`LoggedRequest`]), newest first |
//! | `GET /console/log.json` | the same as JSON: `{"capacity": N, "entries": [LoggedRequest, …]}`, oldest first |
//!
//! # The request builder
//! Any Payneteasy command of the workspace (the list and the fields come from
//! [`payneteasy_proto::for_each_operation!`] and [`payneteasy_proto::request_field_names`]),
//! encoded and signed by the codec the client uses
//! ([`payneteasy_codec::encode_request`], [`payneteasy_codec::encode_control_request`]): a v4
//! command with a pasted PEM private key (PKCS#1 or PKCS#8), a v2 command with the merchant
//! control key. Payneteasy's own example (URL
//! `https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915`, login
//! `TestMerchant`, `client_orderid=34T43R77N`, `orderid=6868305`, its nonce and timestamp)
//! gives the published request. The key is used for that one request, never stored, logged or
//! shown again (the form comes back without it).
//!
//! # The request log
//! The last N requests the Payneteasy half received (a ring: N is
//! [`SandboxBuilder::request_log_capacity`](crate::SandboxBuilder::request_log_capacity),
//! default [`DEFAULT_REQUEST_LOG_CAPACITY`]; 0 turns it off), each with its route, merchant,
//! [`Verdict`] and the [`Check`] that decided it, the clock difference, the URL and base string
//! the sandbox verified, the answer (status and body, cut at [`MAX_ANSWER_BYTES`]) and
//! [`Hint`]s. For a bad signature the sandbox tries the usual mistakes (the other scheme, the
//! URL without its port, a `+` signed as a literal plus, a body sent with another content type,
//! the body left out, `login` in the body but not signed or the reverse, the query left out, a
//! trailing slash) and marks the one whose variant of the request the signature verifies over
//! as `confirmed` (at most [`MAX_SEARCHES_PER_SECOND`] such searches a second; past that the
//! hint `search_skipped` says so). Secrets never appear: `oauth_signature` is [`ELIDED`], `control` is only
//! [`PRESENT`], a card number keeps its last four digits, `cvv2` is dropped (from the fields
//! and from the base string), and any run of 12–19 digits in free text is masked. Read it in
//! code with [`Sandbox::request_log`](crate::Sandbox::request_log) or as JSON from
//! `GET /console/log.json` (deserialize the entries into [`LoggedRequest`]).
//!
//! An entry of `log.json` (the fields are [`LoggedRequest`]'s; `check`, `error_code`,
//! `detail`, the clock and the base string are `null` where they do not apply):
//!
//! ```json
//! {"seq": 1, "unix_ms": 1796143633000, "method": "POST",
//!  "path": "/paynet/api/v4/create-card-ref/39915", "api": "v4", "command": "create-card-ref",
//!  "endpoint": "39915", "merchant": "paygate-test-merchant", "host": "127.0.0.1:35135",
//!  "content_type": "application/x-www-form-urlencoded",
//!  "authorization": "OAuth oauth_consumer_key=\"paygate-test-merchant\", oauth_nonce=\"n-1\", oauth_signature=\"<elided>\", …",
//!  "fields": [["client_orderid", "34T43R77N"], ["orderid", "6868305"]], "body_bytes": 40,
//!  "verdict": "refused", "check": "signature", "error_code": null,
//!  "detail": "the signature does not match the request",
//!  "clock_difference_secs": 0, "allowed_skew_secs": 300,
//!  "signed_url": "http://127.0.0.1:35135/paynet/api/v4/create-card-ref/39915",
//!  "base_string": "POST&http%3A%2F%2F127.0.0.1%3A35135%2Fpaynet…",
//!  "answer": {"status": 403, "content_type": "text/html", "body": "<!DOCTYPE html>…", "truncated": false},
//!  "hints": [{"cause": "scheme", "confirmed": true,
//!             "text": "you signed https:// but sent the request over http://, …"}]}
//! ```
//!
//! `verdict` is `accepted`, `refused` (HTTP 403, 400, 503, 404 or 405, before the command) or
//! `rejected` (answered in band, `type=validation-error` or `error`, with its `error_code`);
//! `check` is one of `signature`, `signature_method`, `timestamp`, `replayed_nonce`,
//! `replay_check_unavailable`, `unknown_merchant`, `wrong_endpoint`, `unknown_endpoint`,
//! `authorization`, `host`, `control`, `login`, `invalid_request`, `command`, `http_method`,
//! `route` ([`Check`]); a hint's `cause` is listed at [`Hint::cause`].
//!
//! # Security
//! Every page is rendered on the server (plain HTML forms, no script, no external asset) with
//! every value HTML-escaped, and sent with `Content-Security-Policy: default-src 'none';
//! style-src 'sha256-…'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`
//! and `Cache-Control: no-store`. The console answers only requests whose `Host` is an IP
//! address or `localhost` (a page elsewhere cannot reach it through DNS rebinding); bad forms
//! (not UTF-8, too many fields, a body over [`MAX_REQUEST_BYTES`](crate::MAX_REQUEST_BYTES))
//! get an error page. Faults ([`crate::faults`]) never apply to the console. Turn it off with
//! [`SandboxBuilder::console`](crate::SandboxBuilder::console).

mod builder;
mod log;
mod pages;

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use payneteasy_codec::{DecodeLimits, decode_request_form};
use zeroize::Zeroizing;

pub use log::{
    Check, ELIDED, Hint, LoggedAnswer, LoggedRequest, MAX_ANSWER_BYTES, MAX_SEARCHES_PER_SECOND,
    PRESENT, Verdict,
};
pub(crate) use log::{Context, Decision, MerchantView, RequestLog, Seen, mark};

use crate::payneteasy::{TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN};
use crate::server::GatewayHalf;

/// The path prefix of the console's pages.
pub const CONSOLE_PREFIX: &str = "/console/";

/// The default number of requests the log keeps.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 100;

/// The command the builder shows first (the seed's).
const DEFAULT_COMMAND: &str = "v4/create-card-ref";

/// The most fields the console reads from one form.
const MAX_FORM_FIELDS: usize = 128;

/// The console, mounted as a half of the server.
pub(crate) struct ConsoleHalf {
    log: Arc<RequestLog>,
    scheme: &'static str,
}

impl ConsoleHalf {
    pub(crate) fn new(log: Arc<RequestLog>, tls: bool) -> Self {
        ConsoleHalf {
            log,
            scheme: if tls { "https" } else { "http" },
        }
    }
}

impl GatewayHalf for ConsoleHalf {
    fn prefix(&self) -> &str {
        CONSOLE_PREFIX
    }

    fn route<'a>(&self, _path: &'a str) -> Option<&'a str> {
        None
    }

    fn faultable(&self) -> bool {
        false
    }

    fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        secure(self.answer(&request))
    }
}

/// `'sha256-…'` of [`pages::STYLE`], for the Content-Security-Policy.
fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine as _;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pages::STYLE.as_bytes());
        format!(
            "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
            base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
        )
    })
}

/// Adds the security headers to every console answer.
fn secure(mut response: Response<Bytes>) -> Response<Bytes> {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn html(status: StatusCode, body: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn error_page(status: StatusCode, message: &str) -> Response<Bytes> {
    html(
        status,
        pages::error(status.canonical_reason().unwrap_or("Error"), message),
    )
}

/// Whether `host` (a `Host` header) names this machine by address or as `localhost`: what a
/// page on another site cannot make a browser send through DNS rebinding.
fn host_allowed(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((v6, port)) if port.is_empty() || port.starts_with(':') => {
                return v6.parse::<std::net::Ipv6Addr>().is_ok();
            }
            _ => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Reads a form (the body of a POST, the query of a GET).
fn read_form(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let limits = DecodeLimits::default().with_max_fields(MAX_FORM_FIELDS);
    decode_request_form(Some(payneteasy_codec::FORM_CONTENT_TYPE), bytes, &limits)
        .map_err(|e| format!("the form cannot be read: {e}"))
}

fn take(fields: &mut [(String, String)], name: &str) -> Zeroizing<String> {
    Zeroizing::new(
        fields
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default(),
    )
}

fn value<'f>(fields: &'f [(String, String)], name: &str) -> &'f str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

impl ConsoleHalf {
    fn answer(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let Some(host) = host.filter(|h| host_allowed(h)) else {
            return error_page(
                StatusCode::FORBIDDEN,
                "the console answers only requests addressed to an IP address or localhost",
            );
        };
        let path = request.uri().path();
        let method = request.method();
        match path.strip_prefix(CONSOLE_PREFIX).unwrap_or(path) {
            "" if method == Method::GET => html(StatusCode::OK, pages::index(self.log.capacity())),
            "builder" if method == Method::GET => self.builder_get(request, host),
            "builder" if method == Method::POST => self.builder_post(request),
            "log" if method == Method::GET => html(
                StatusCode::OK,
                pages::log(&self.log.entries(), self.log.capacity()),
            ),
            "log.json" if method == Method::GET => self.log_json(),
            "" | "log" | "log.json" | "builder" => {
                let mut response = error_page(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "this page answers GET (and the builder POST)",
                );
                response.headers_mut().insert(
                    header::ALLOW,
                    HeaderValue::from_static(if path.ends_with("builder") {
                        "GET, POST"
                    } else {
                        "GET"
                    }),
                );
                response
            }
            _ => error_page(StatusCode::NOT_FOUND, "no such console page"),
        }
    }

    fn log_json(&self) -> Response<Bytes> {
        let body = serde_json::json!({
            "capacity": self.log.capacity(),
            "entries": self.log.entries(),
        });
        let mut response = Response::new(Bytes::from(body.to_string()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }

    fn builder_get(&self, request: &Request<Bytes>, host: &str) -> Response<Bytes> {
        let query = match read_form(request.uri().query().unwrap_or("").as_bytes()) {
            Ok(query) => query,
            Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
        };
        let key = match value(&query, "command") {
            "" => DEFAULT_COMMAND,
            key => key,
        };
        let Some(command) = builder::find(key) else {
            return error_page(StatusCode::BAD_REQUEST, "no such command");
        };
        let url = format!(
            "{}://{host}/paynet/api/{}/{}/{TEST_ENDPOINT_ID}",
            self.scheme,
            command.version.as_str(),
            command.path
        );
        let form = pages::builder_form(&pages::FormValues {
            command,
            url: &url,
            login: TEST_MERCHANT_LOGIN,
            nonce: "",
            timestamp: "",
            fields: &[],
        });
        html(StatusCode::OK, pages::page("Request builder", &form))
    }

    fn builder_post(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !content_type.is_some_and(oauth1_signer::is_form_content_type) {
            return error_page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the builder takes an application/x-www-form-urlencoded form",
            );
        }
        let mut form = match read_form(request.body()) {
            Ok(form) => form,
            Err(e) => return error_page(StatusCode::BAD_REQUEST, &e),
        };
        // The keys leave the form at once, into memory wiped on drop.
        let key_pem = take(&mut form, "key");
        let control_key = take(&mut form, "control_key");
        let Some(command) = builder::find(value(&form, "command")) else {
            return error_page(StatusCode::BAD_REQUEST, "no such command");
        };
        let fields: Vec<(String, String)> = form
            .iter()
            .filter_map(|(n, v)| n.strip_prefix("f:").map(|n| (n.to_owned(), v.clone())))
            .filter(|(n, _)| command.fields.contains(&n.as_str()))
            .collect();
        let input = builder::Input {
            url: value(&form, "url"),
            login: value(&form, "login"),
            nonce: value(&form, "nonce"),
            timestamp: value(&form, "timestamp"),
            key_pem: &key_pem,
            control_key: &control_key,
            fields: &fields,
        };
        let (status, result) = match command.build(&input) {
            Ok(built) => (StatusCode::OK, pages::built(&built)),
            Err(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "<p class=\"error\" id=\"error\">{}</p>\n",
                    crate::payneteasy::html_escape(&e.to_string())
                ),
            ),
        };
        let form = pages::builder_form(&pages::FormValues {
            command,
            url: input.url,
            login: input.login,
            nonce: input.nonce,
            timestamp: input.timestamp,
            fields: &fields,
        });
        html(
            status,
            pages::page("Request builder", &format!("{result}{form}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn half() -> ConsoleHalf {
        ConsoleHalf::new(Arc::new(RequestLog::new(10)), false)
    }

    fn get(path: &str) -> Request<Bytes> {
        Request::builder()
            .uri(path)
            .header(header::HOST, "127.0.0.1:8080")
            .body(Bytes::new())
            .unwrap()
    }

    fn post(body: impl Into<Bytes>) -> Request<Bytes> {
        Request::builder()
            .method(Method::POST)
            .uri("/console/builder")
            .header(header::HOST, "localhost:8080")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into())
            .unwrap()
    }

    fn text(response: &Response<Bytes>) -> &str {
        std::str::from_utf8(response.body()).unwrap()
    }

    #[test]
    fn every_page_has_the_security_headers() {
        let half = half();
        for path in [
            "/console/",
            "/console/builder",
            "/console/log",
            "/console/log.json",
            "/console/nope",
        ] {
            let response = half.handle(get(path));
            let h = response.headers();
            assert!(
                h[header::CONTENT_SECURITY_POLICY]
                    .to_str()
                    .unwrap()
                    .starts_with("default-src 'none'")
            );
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(h[header::CACHE_CONTROL], "no-store");
        }
    }

    #[test]
    fn the_style_is_the_one_the_policy_allows() {
        let page = pages::page("t", "");
        assert!(page.contains(&format!("<style>{}</style>", pages::STYLE)));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn hostile_forms_get_an_error_page_and_values_are_escaped() {
        let half = half();
        let bad_utf8 = half.handle(post(&b"command=v4%2Fstatus&url=%FF%FE"[..]));
        assert_eq!(bad_utf8.status(), StatusCode::BAD_REQUEST);
        let many: String = (0..10_000).map(|i| format!("f{i}=x&")).collect();
        assert_eq!(half.handle(post(many)).status(), StatusCode::BAD_REQUEST);
        let html_in = half.handle(post(
            "command=v4%2Fcreate-card-ref&url=%3Cscript%3Ealert(1)%3C%2Fscript%3E&f%3Aclient_orderid=%22%3E%3Cb%3E",
        ));
        assert_eq!(html_in.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = text(&html_in);
        assert!(
            !body.contains("<script>") && !body.contains("\"><b>"),
            "{body}"
        );
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let unknown = half.handle(post("command=v9%2Fnope"));
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        let not_form = Request::builder()
            .method(Method::POST)
            .uri("/console/builder")
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Bytes::from_static(b"{}"))
            .unwrap();
        assert_eq!(
            half.handle(not_form).status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[test]
    fn the_key_is_not_shown_again() {
        let half = half();
        let key = include_str!("../../../../testdata/vectors/keys/rsa2048-pkcs1.pem");
        let body = payneteasy_codec::encode_form(&[
            ("command", "v4/create-card-ref"),
            (
                "url",
                "http://127.0.0.1:8080/paynet/api/v4/create-card-ref/39915",
            ),
            ("login", "paygate-test-merchant"),
            ("key", key),
            ("f:client_orderid", "A"),
            ("f:orderid", "1"),
        ]);
        let response = half.handle(post(body));
        assert_eq!(response.status(), StatusCode::OK);
        let page = text(&response);
        assert!(page.contains("id=\"signature-base64\""));
        let key_line = key.lines().nth(1).unwrap();
        assert!(!page.contains(key_line));
    }

    #[test]
    fn only_addresses_and_localhost_reach_the_console() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:80",
            "localhost:1",
            "[::1]:8080",
            "[::1]",
            "10.0.0.2",
        ] {
            assert!(host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:80",
            "[::1",
            "localhost.evil.example",
            "",
        ] {
            assert!(!host_allowed(bad), "{bad}");
        }
        let mut request = get("/console/");
        request.headers_mut().insert(
            header::HOST,
            HeaderValue::from_static("rebound.example:8080"),
        );
        assert_eq!(half().handle(request).status(), StatusCode::FORBIDDEN);
    }
}
