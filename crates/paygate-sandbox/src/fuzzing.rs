//! Fuzz harness (feature `fuzzing`) for the sandbox's request decoding and authentication:
//! arbitrary bytes become an `http::Request<Bytes>` that the Payneteasy half answers with a
//! fixed clock. The harness never panics on its own; it panics only when the handler panics
//! or an invariant is broken: **a v4 request the sandbox accepts carries a valid signature
//! made for exactly the URL it was routed on** (scheme, authority, path, query), and **a v2
//! request is served (answered with anything but a `validation-error` / `error`) only with
//! the `control` the harness computed**. Every route is reached: v4 and v2 commands, and the
//! payer pages (`/paynet/acs/…`, `/paynet/form/…`).
//!
//! # Input
//! ```text
//! FLAGS METHOD '\n' TARGET '\n' HOST '\n' SIGN_URL '\n' AUTHORIZATION '\n'
//! (NAME ': ' VALUE '\n')* '\n' BODY
//! ```
//! - `FLAGS` (one byte): bit 0 the harness signs `SIGN_URL` (or, when empty,
//!   `SCHEME://HOST TARGET`) with the test merchant's private key, `POST`, the request's
//!   `Content-Type` and `BODY`; bit 1 the sandbox runs as HTTPS; bit 2 `AUTHORIZATION` is sent
//!   as well (a second header when the harness signs, otherwise the only one); bit 3 the
//!   harness appends `&control=…`, the v2 `status` control of the body's `login`,
//!   `client_orderid` and `orderid` with the test merchant's control key.
//! - `TARGET` is the request target (origin form `/paynet/...` or absolute form);
//!   `HOST` the `Host` header (none when empty).
//! - Unparsable parts (a method, a target, a header) end the run quietly.
//!
//! Since the fuzzer cannot forge an RSA signature, an accepted request must be one the
//! harness signed, over the routed URL.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, header};
use oauth1_signer::{OAuthParams, RequestUrl, RsaPrivateKey, sign};

use crate::payneteasy::{
    Counters, PayneteasyHalf, PayneteasySandboxConfig, TEST_CONTROL_KEY, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use crate::server::GatewayHalf;

/// The harness's fixed clock (Unix seconds); signatures carry it as `oauth_timestamp`.
pub const FIXED_NOW: u64 = 1_700_000_000;

/// The nonce of every signature the harness makes (each run has a fresh nonce store).
const NONCE: &str = "fuzz-nonce";

static KEY: LazyLock<Option<RsaPrivateKey>> =
    LazyLock::new(|| RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).ok());

/// What one run did (for the harness's own tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The input did not make a request.
    NoRequest,
    /// The sandbox answered with this HTTP status.
    Answered(u16),
}

/// Splits off one `\n`-terminated line.
fn line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = data.iter().position(|&b| b == b'\n')?;
    Some((&data[..at], &data[at + 1..]))
}

/// Runs one input (see the [module docs](self)); panics only on a broken invariant.
pub fn payneteasy_request(data: &[u8]) -> Outcome {
    run(data).unwrap_or(Outcome::NoRequest)
}

fn run(data: &[u8]) -> Option<Outcome> {
    let (&flags, rest) = data.split_first()?;
    let (harness_signs, tls, extra_authorization, harness_controls) = (
        flags & 1 != 0,
        flags & 2 != 0,
        flags & 4 != 0,
        flags & 8 != 0,
    );
    let (method, rest) = line(rest)?;
    let (target, rest) = line(rest)?;
    let (host, rest) = line(rest)?;
    let (sign_url, rest) = line(rest)?;
    let (authorization, mut rest) = line(rest)?;
    let mut headers = Vec::new();
    loop {
        let (header_line, after) = line(rest)?;
        rest = after;
        if header_line.is_empty() {
            break;
        }
        let at = header_line.iter().position(|&b| b == b':')?;
        let name = HeaderName::from_bytes(&header_line[..at]).ok()?;
        let value = header_line[at + 1..]
            .strip_prefix(b" ")
            .unwrap_or(&header_line[at + 1..]);
        headers.push((name, HeaderValue::from_bytes(value).ok()?));
    }
    let body = if harness_controls {
        with_status_control(rest)?
    } else {
        Bytes::copy_from_slice(rest)
    };

    let method = Method::from_bytes(method).ok()?;
    let target = std::str::from_utf8(target).ok()?;
    let mut request = Request::builder()
        .method(method)
        .uri(target)
        .body(body.clone())
        .ok()?;
    let scheme = if tls { "https" } else { "http" };
    if !host.is_empty() {
        let value = HeaderValue::from_bytes(host).ok()?;
        request.headers_mut().append(header::HOST, value);
    }
    for (name, value) in headers {
        request.headers_mut().append(name, value);
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    // The URL the harness signs, if it signs.
    let signed_for = if harness_signs {
        let url = if sign_url.is_empty() {
            format!("{scheme}://{}{target}", std::str::from_utf8(host).ok()?)
        } else {
            std::str::from_utf8(sign_url).ok()?.to_owned()
        };
        let key = KEY.as_ref()?;
        let parsed = RequestUrl::parse(&url).ok()?;
        let to_sign =
            oauth1_signer::Request::new("POST", parsed).with_body(content_type.as_deref(), &body);
        let params = OAuthParams::new(TEST_MERCHANT_LOGIN, NONCE, FIXED_NOW);
        let signed = sign(&to_sign, &params, key).ok()?;
        let value = HeaderValue::from_str(signed.authorization()).ok()?;
        request.headers_mut().append(header::AUTHORIZATION, value);
        Some(url)
    } else {
        None
    };
    if extra_authorization {
        let value = HeaderValue::from_bytes(authorization).ok()?;
        request.headers_mut().append(header::AUTHORIZATION, value);
    }

    let routed_path = request.uri().path().to_owned();
    let routed_query = request.uri().query().map(str::to_owned);
    let routed_authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });

    let config = PayneteasySandboxConfig {
        clock: Arc::new(|| UNIX_EPOCH + Duration::from_secs(FIXED_NOW)),
        ..PayneteasySandboxConfig::default()
    };
    let half = PayneteasyHalf::new(config, Arc::new(Counters::default())).ok()?;
    half.set_tls(tls);
    let response = half.handle(request);
    let status = response.status().as_u16();
    if routed_path.starts_with("/paynet/api/v2/") {
        let body = response.body();
        let rejected = body.starts_with(b"type=validation-error")
            || body.starts_with(b"type=error\n")
            || body.as_ref() == b"type=error";
        if status == 200 && !rejected {
            assert!(
                harness_controls,
                "served a v2 request whose control the harness did not compute"
            );
        }
        return Some(Outcome::Answered(status));
    }
    if !routed_path.starts_with("/paynet/api/v4/") {
        // A payer page: its tokens are random, so none is known here.
        assert_ne!(status, 200, "served a payer page for an unknown token");
        return Some(Outcome::Answered(status));
    }
    if status == 200 {
        let Some(url) = signed_for else {
            panic!("accepted a request the harness did not sign");
        };
        let signed = RequestUrl::parse(&url).expect("the harness signed a parsable URL");
        assert_eq!(
            signed.path(),
            routed_path,
            "accepted a signature for another path"
        );
        assert_eq!(
            signed.query(),
            routed_query.as_deref(),
            "accepted a signature for another query"
        );
        assert_eq!(
            signed.scheme(),
            scheme,
            "accepted a signature for another scheme"
        );
        let authority: http::uri::Authority = routed_authority
            .expect("an accepted request has an authority")
            .parse()
            .expect("an accepted authority parses");
        assert!(
            signed.host().eq_ignore_ascii_case(authority.host()),
            "accepted a signature for another host"
        );
        let default_port = if tls { 443 } else { 80 };
        assert_eq!(
            signed.port().unwrap_or(default_port),
            authority.port_u16().unwrap_or(default_port),
            "accepted a signature for another port"
        );
    }
    Some(Outcome::Answered(status))
}

/// `body` plus `&control=…` for the v2 `status` formula over its `login`, `client_orderid`
/// and `orderid` (with the test merchant's control key).
fn with_status_control(body: &[u8]) -> Option<Bytes> {
    let fields = payneteasy_codec::decode_request_form(
        Some("application/x-www-form-urlencoded"),
        body,
        &payneteasy_codec::DecodeLimits::default(),
    )
    .ok()?;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let request = payneteasy_proto::StatusV2Request::new(
        get("login")?,
        get("client_orderid")?,
        get("orderid")?,
    )
    .ok()?;
    let key = payneteasy_proto::ControlKey::new(TEST_CONTROL_KEY).ok()?;
    let control = payneteasy_codec::compute_control::<payneteasy_proto::StatusV2>(
        &payneteasy_proto::Endpoint::Id(0),
        &request,
        &key,
    )
    .ok()?;
    let mut out = body.to_vec();
    out.extend_from_slice(format!("&control={control}").as_bytes());
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEEDS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/seeds/sandbox_payneteasy"
    );

    fn input(
        flags: u8,
        target: &str,
        host: &str,
        sign_url: &str,
        auth: &str,
        body: &str,
    ) -> Vec<u8> {
        let mut data = vec![flags];
        data.extend_from_slice(
            format!(
                "POST\n{target}\n{host}\n{sign_url}\n{auth}\nContent-Type: application/x-www-form-urlencoded\n\n{body}"
            )
            .as_bytes(),
        );
        data
    }

    const CCR: &str = "/paynet/api/v4/create-card-ref/39915";
    const BODY: &str = "client_orderid=34T43R77N&orderid=6868305";

    #[test]
    fn honest_requests_are_accepted_and_attacks_refused() {
        let run = |data: Vec<u8>| payneteasy_request(&data);
        assert_eq!(
            run(input(1, CCR, "127.0.0.1:9", "", "", BODY)),
            Outcome::Answered(200)
        );
        assert_eq!(
            run(input(3, CCR, "localhost", "", "", BODY)),
            Outcome::Answered(200)
        );
        // Defect 1: signed for status, routed to create-card-ref through the Host header.
        let attack = input(
            1,
            CCR,
            "127.0.0.1:9/paynet/api/v4/status/39915#",
            "http://127.0.0.1:9/paynet/api/v4/status/39915",
            "",
            BODY,
        );
        assert_eq!(run(attack), Outcome::Answered(400));
        // A valid signature plus a second Authorization header.
        let two = input(
            5,
            CCR,
            "127.0.0.1:9",
            "",
            "OAuth oauth_consumer_key=\"x\"",
            BODY,
        );
        assert_eq!(run(two), Outcome::Answered(403));
        // Not signed at all.
        let forged = input(
            4,
            CCR,
            "127.0.0.1:9",
            "",
            "OAuth oauth_signature=\"AAAA\"",
            BODY,
        );
        assert_eq!(run(forged), Outcome::Answered(403));
        // v2: served with the harness's control, refused in band without it.
        let v2 = "/paynet/api/v2/status/39915";
        let body = "login=paygate-test-merchant&client_orderid=34T43R77N&orderid=6868305";
        assert_eq!(
            run(input(8, v2, "127.0.0.1:9", "", "", body)),
            Outcome::Answered(200)
        );
        assert_eq!(
            run(input(0, v2, "127.0.0.1:9", "", "", body)),
            Outcome::Answered(200)
        );
        assert_eq!(
            run(input(
                0,
                "/paynet/acs/0123",
                "127.0.0.1:9",
                "",
                "",
                "result=success"
            )),
            Outcome::Answered(404)
        );
        assert_eq!(payneteasy_request(b""), Outcome::NoRequest);
        assert_eq!(payneteasy_request(b"\x01\xff\n"), Outcome::NoRequest);
    }

    /// The checked-in seeds run without breaking the invariant, and include accepted ones.
    #[test]
    fn the_seeds_run() {
        let mut accepted = 0;
        let mut count = 0;
        for entry in std::fs::read_dir(SEEDS).expect("seed directory") {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            count += 1;
            if payneteasy_request(&data) == Outcome::Answered(200) {
                accepted += 1;
            }
        }
        assert!(count >= 5, "{count} seeds");
        assert!(accepted >= 2, "{accepted} accepted seeds");
    }

    /// A bounded, deterministic mutation run over the seeds (the fuzz target does the real
    /// work): byte flips, truncations and splices never panic and never break the invariants.
    #[test]
    fn mutated_seeds_never_panic() {
        let seeds: Vec<Vec<u8>> = std::fs::read_dir(SEEDS)
            .expect("seed directory")
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..600 {
            let mut data = seeds[round % seeds.len()].clone();
            for _ in 0..(next() % 4 + 1) {
                if data.is_empty() {
                    break;
                }
                let at = (next() as usize) % data.len();
                match next() % 4 {
                    0 => data[at] ^= 1 << (next() % 8),
                    1 => data.truncate(at + 1),
                    2 => {
                        let other = &seeds[(next() as usize) % seeds.len()];
                        let from = (next() as usize) % other.len().max(1);
                        data.splice(at..at, other[from..].iter().copied().take(64));
                    }
                    _ => data.insert(at, b"&=%\n\0/"[(next() % 6) as usize]),
                }
            }
            let _ = payneteasy_request(&data);
        }
    }

    /// Writes the seeds (run with `--ignored` after changing the input format).
    #[test]
    #[ignore = "regenerates fuzz/seeds/sandbox_payneteasy"]
    fn write_seeds() {
        let seeds = [
            (
                "honest-create-card-ref",
                input(1, CCR, "127.0.0.1:9", "", "", BODY),
            ),
            (
                "honest-status-group-https",
                input(
                    3,
                    "/paynet/api/v4/status/group/1144",
                    "localhost:8443",
                    "",
                    "",
                    "client_orderid=34T43R77N",
                ),
            ),
            (
                "host-smuggles-path",
                input(
                    1,
                    CCR,
                    "127.0.0.1:9/paynet/api/v4/status/39915#",
                    "http://127.0.0.1:9/paynet/api/v4/status/39915",
                    "",
                    BODY,
                ),
            ),
            (
                "absolute-target",
                input(
                    1,
                    "http://127.0.0.1:9/paynet/api/v4/create-card-ref/39915?a=1",
                    "127.0.0.1:9",
                    "",
                    "",
                    BODY,
                ),
            ),
            (
                "two-authorization",
                input(
                    5,
                    CCR,
                    "127.0.0.1:9",
                    "",
                    "OAuth oauth_consumer_key=\"paygate-test-merchant\"",
                    BODY,
                ),
            ),
            (
                "unsigned-seed-header",
                input(
                    4,
                    CCR,
                    "127.0.0.1:9",
                    "",
                    "OAuth oauth_consumer_key=\"paygate-test-merchant\", oauth_nonce=\"n\", oauth_signature=\"AAAA\", oauth_signature_method=\"RSA-SHA256\", oauth_timestamp=\"1700000000\", oauth_version=\"1.0\"",
                    BODY,
                ),
            ),
            (
                "userinfo-host",
                input(1, CCR, "user@127.0.0.1:9", "", "", BODY),
            ),
            (
                "v2-status-controlled",
                input(
                    8,
                    "/paynet/api/v2/status/39915",
                    "127.0.0.1:9",
                    "",
                    "",
                    "login=paygate-test-merchant&client_orderid=34T43R77N&orderid=6868305",
                ),
            ),
            (
                "v2-status-forged-control",
                input(
                    0,
                    "/paynet/api/v2/status/group/1144",
                    "127.0.0.1:9",
                    "",
                    "",
                    "login=paygate-test-merchant&client_orderid=34T43R77N&orderid=6868305&control=0000000000000000000000000000000000000000",
                ),
            ),
            (
                "v2-sale-card",
                input(
                    0,
                    "/paynet/api/v2/sale/39915",
                    "127.0.0.1:9",
                    "",
                    "",
                    "client_orderid=o1&order_desc=d&amount=10.42&currency=USD&address1=a&city=c&zip_code=1&country=US&phone=1&ipaddress=127.0.0.1&email=a%40b.c&card_printed_name=J&credit_card_number=4111111111111111&expire_month=12&expire_year=2030&cvv2=123&redirect_url=http%3A%2F%2F127.0.0.1%2Fr&control=x",
                ),
            ),
            (
                "acs-page",
                input(
                    0,
                    "/paynet/acs/00112233",
                    "127.0.0.1:9",
                    "",
                    "",
                    "result=success",
                ),
            ),
            (
                "v2-make-rebill-alias",
                input(
                    0,
                    "/paynet/api/v2/make-rebill/39915",
                    "127.0.0.1:9",
                    "",
                    "",
                    "login=paygate-test-merchant&client_orderid=r1&cardrefid=1461608&amount=1.00&currency=USD&control=x",
                ),
            ),
        ];
        std::fs::create_dir_all(SEEDS).unwrap();
        for (name, data) in seeds {
            std::fs::write(format!("{SEEDS}/{name}"), data).unwrap();
        }
    }
}
