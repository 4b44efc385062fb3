//! Fuzz harnesses (feature `fuzzing`). Each takes arbitrary bytes, never panics on its own, and
//! panics only when an invariant is broken. The targets in `fuzz/fuzz_targets/` call these.

use base64::Engine as _;

use crate::{
    AuthorizationHeader, HeaderError, HeaderLimits, HmacKey, OAuthParams, Request, RequestUrl,
    SigningKey, VerifyPolicy, normalize_parameters, percent_decode, percent_encode, sign, verify,
};

/// Header parser: parsing never panics; whatever parses re-renders to a header that parses to
/// the same value (without limits: rendering may percent-encode more than the input did); the
/// default limits accept only what the unlimited parser accepts, and nothing over the limits.
pub fn header(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let unlimited = AuthorizationHeader::parse_with_limits(text, &HeaderLimits::UNLIMITED);
    let limited = AuthorizationHeader::parse(text);
    if let Ok(parsed) = &limited {
        assert_eq!(
            unlimited.as_ref().ok(),
            Some(parsed),
            "the limits changed what parses"
        );
        let limits = HeaderLimits::DEFAULT;
        assert!(text.len() <= limits.max_header_bytes && parsed.len() <= limits.max_params);
    }
    if let Err(e) = &limited {
        let over_a_limit = matches!(
            e,
            HeaderError::TooLong { .. }
                | HeaderError::TooManyParameters { .. }
                | HeaderError::ValueTooLong { .. }
        );
        if !over_a_limit {
            assert_eq!(
                unlimited.as_ref().err(),
                Some(e),
                "the limits changed the error"
            );
        }
    }
    if let Ok(parsed) = unlimited {
        let rendered = parsed.to_string();
        match AuthorizationHeader::parse_with_limits(&rendered, &HeaderLimits::UNLIMITED) {
            Ok(again) => assert_eq!(
                again, parsed,
                "re-rendered header parses differently: {rendered:?}"
            ),
            Err(e) => panic!("re-rendered header does not parse: {rendered:?}: {e}"),
        }
    }
}

/// Parameter collection: query and form body from arbitrary bytes never panic; normalization does
/// not depend on input order and keeps every pair; §3.6 encoding round-trips.
pub fn params(data: &[u8]) {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (query, body) = data.split_at(split);
    assert_eq!(
        percent_decode(percent_encode(body).as_bytes())
            .ok()
            .as_deref(),
        Some(body)
    );

    let query: String = query
        .iter()
        .filter(|b| (0x21..=0x7e).contains(*b) && **b != b'#')
        .map(|&b| char::from(b))
        .collect();
    let url = format!("https://example.com/p?{query}");
    let Ok(url) = RequestUrl::parse(&url) else {
        return;
    };
    let request =
        Request::new("POST", url).with_body(Some("application/x-www-form-urlencoded"), body);
    let pairs = request.parameters();
    let forward = normalize_parameters(&pairs);
    let mut reversed = pairs.clone();
    reversed.reverse();
    assert_eq!(
        normalize_parameters(&reversed),
        forward,
        "normalization depends on order"
    );
    // Encoded names and values never contain a raw '&', so the separators count the pairs.
    let joined = if pairs.is_empty() {
        0
    } else {
        forward.matches('&').count() + 1
    };
    assert_eq!(joined, pairs.len(), "a pair was lost or invented");
}

const CONSUMER_SECRET: &str = "fuzz-consumer-secret";

/// A verify harness's input split at its first NUL: the `Authorization` header text, then the
/// form body.
fn split_input(data: &[u8]) -> (&[u8], &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    (head, body.get(1..).unwrap_or_default())
}

/// The fixed form `POST` that every verify harness signs and verifies, with `body`.
fn form_post(body: &[u8]) -> Request<'_> {
    let url = RequestUrl::parse("https://api.example.com/v1/pay?x=1")
        .unwrap_or_else(|e| panic!("fixed URL: {e}"));
    Request::new("POST", url).with_body(Some("application/x-www-form-urlencoded"), body)
}

/// Verification against a fixed HMAC-SHA1 key: an arbitrary header and body never panic and
/// never verify unless the signature really is the HMAC of the computed base string; a request
/// signed from the same bytes verifies, and any change of its body makes it fail.
pub fn verify_request(data: &[u8]) {
    let key = HmacKey::new(CONSUMER_SECRET, "");
    let (head, body) = split_input(data);
    let request = form_post(body);
    let policy = VerifyPolicy::signature_only();

    // 1. Arbitrary header against the fixed key.
    let accepted = std::str::from_utf8(head)
        .ok()
        .and_then(|text| AuthorizationHeader::parse(text).ok())
        .and_then(|header| {
            verify(&request, &header, &key, &policy)
                .ok()
                .map(|verified| (header, verified))
        });
    if let Some((header, verified)) = accepted {
        let expected = key
            .sign(verified.base_string.as_bytes())
            .unwrap_or_default();
        let sent = header
            .get_bytes("oauth_signature")
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default();
        assert_eq!(sent, expected, "verified a signature that does not match");
    }

    // 2. Sign with values taken from the input, verify, then tamper with the body.
    let nonce = if head.is_empty() {
        "n".to_owned()
    } else {
        percent_encode(&head[..head.len().min(16)])
    };
    let params = OAuthParams::new("fuzz-consumer", &nonce, 1_700_000_000);
    let Ok(signed) = sign(&request, &params, &key) else {
        return;
    };
    let header = AuthorizationHeader::parse(signed.authorization())
        .unwrap_or_else(|e| panic!("own header does not parse: {e}: {}", signed.authorization()));
    if let Err(e) = verify(&request, &header, &key, &policy) {
        panic!("own signature does not verify: {e}");
    }
    if !body.is_empty() {
        let mut changed = body.to_vec();
        changed.push(b'&');
        changed.extend_from_slice(b"extra=1");
        let tampered = form_post(&changed);
        assert!(
            verify(&tampered, &header, &key, &policy).is_err(),
            "a changed body still verifies"
        );
    }
}

/// The back ends compiled in, in a fixed order.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
fn backends() -> &'static [crate::Backend] {
    &[
        #[cfg(feature = "aws-lc-rs")]
        crate::Backend::AwsLcRs,
        #[cfg(feature = "rsa")]
        crate::Backend::RustCrypto,
    ]
}

/// Key loading (PEM and DER, private and public, every compiled back end): arbitrary bytes
/// never panic; a key that loads is inside its back end's size range, its public half survives
/// PEM and DER round trips, two back ends that both accept a key see the same public key, and a
/// private key that loads signs what its public key verifies.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub fn keys(data: &[u8]) {
    use crate::{RsaPrivateKey, RsaPublicKey, SigningKey as _, VerifyingKey as _};

    let text = std::str::from_utf8(data).ok();
    let mut public_seen: Option<Vec<u8>> = None;
    let mut same_key = |public: &RsaPublicKey| {
        let spki = public.to_spki_der();
        match &public_seen {
            Some(seen) => assert_eq!(seen, &spki, "two back ends see different keys"),
            None => public_seen = Some(spki),
        }
    };
    for &backend in backends() {
        let check_public = |public: &RsaPublicKey| {
            assert!((backend.min_bits()..=backend.max_bits()).contains(&public.bits()));
            let pem = RsaPublicKey::from_pem_with(backend, &public.to_pem())
                .unwrap_or_else(|e| panic!("own public PEM does not load: {e}"));
            let der = RsaPublicKey::from_der_with(backend, &public.to_pkcs1_der())
                .unwrap_or_else(|e| panic!("own PKCS#1 DER does not load: {e}"));
            assert_eq!(pem.to_spki_der(), public.to_spki_der());
            assert_eq!(der.to_spki_der(), public.to_spki_der());
        };
        let check_private = |private: &RsaPrivateKey| {
            let public = private.public_key();
            assert_eq!(public.bits(), private.bits());
            check_public(&public);
            let message = b"POST&https%3A%2F%2Fexample.com%2F&a%3D1";
            let signature = private
                .sign(message)
                .unwrap_or_else(|e| panic!("a loaded key does not sign: {e}"));
            assert!(
                public.verify(message, &signature).is_ok(),
                "a loaded key signs what its public key refuses"
            );
            public
        };
        if let Some(text) = text {
            if let Ok(private) = RsaPrivateKey::from_pem_with(backend, text) {
                same_key(&check_private(&private));
            }
            if let Ok(public) = RsaPublicKey::from_pem_with(backend, text) {
                check_public(&public);
            }
        }
        if let Ok(private) = RsaPrivateKey::from_der_with(backend, data) {
            same_key(&check_private(&private));
        }
        if let Ok(public) = RsaPublicKey::from_der_with(backend, data) {
            check_public(&public);
        }
    }
}

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
struct RsaFixture {
    private: crate::RsaPrivateKey,
    /// The public key loaded from its own file, once per back end.
    public: Vec<crate::RsaPublicKey>,
}

/// The repository's 2048-bit test key pair, loaded once.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
fn rsa_fixture() -> &'static RsaFixture {
    static FIXTURE: std::sync::OnceLock<RsaFixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let private = include_str!("../../../testdata/vectors/keys/rsa2048-pkcs1.pem");
        let public = include_str!("../../../testdata/vectors/keys/rsa2048-public.pem");
        RsaFixture {
            private: crate::RsaPrivateKey::from_pem(private)
                .unwrap_or_else(|e| panic!("test private key: {e}")),
            public: backends()
                .iter()
                .map(|&backend| {
                    crate::RsaPublicKey::from_pem_with(backend, public)
                        .unwrap_or_else(|e| panic!("test public key ({backend}): {e}"))
                })
                .collect(),
        }
    })
}

/// RSA-SHA256 verification against the repository's 2048-bit test public key (every compiled
/// back end): the input is an `Authorization` header, then a NUL, then a form body for
/// `POST https://api.example.com/v1/pay?x=1`. Nothing panics; a request verifies only if its
/// signature is exactly the test private key's signature of the computed base string
/// (PKCS#1 v1.5 is deterministic); the back ends agree. The seeds are validly signed requests, so
/// mutations reach the RSA check itself.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub fn verify_rsa(data: &[u8]) {
    use crate::SigningKey as _;

    let fixture = rsa_fixture();
    let (head, body) = split_input(data);
    let request = form_post(body);
    let Some(header) = std::str::from_utf8(head)
        .ok()
        .and_then(|text| AuthorizationHeader::parse(text).ok())
    else {
        return;
    };
    let policy = VerifyPolicy::signature_only();
    let mut verdicts = fixture
        .public
        .iter()
        .map(|public| verify(&request, &header, public, &policy));
    let Some(first) = verdicts.next() else {
        return;
    };
    let accepted = first.is_ok();
    for other in verdicts {
        assert_eq!(other.is_ok(), accepted, "the back ends disagree");
    }
    if let Ok(verified) = first {
        let expected = fixture
            .private
            .sign(verified.base_string.as_bytes())
            .unwrap_or_else(|e| panic!("fixture key does not sign: {e}"));
        let sent = header
            .get_bytes("oauth_signature")
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .unwrap_or_default();
        assert_eq!(sent, expected, "verified a signature that does not match");
    }
}

/// A validly signed input for [`verify_rsa`] (header, NUL, body), for seeds and tests.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
pub fn verify_rsa_seed(nonce: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
    let url = RequestUrl::parse("https://api.example.com/v1/pay?x=1")
        .unwrap_or_else(|e| panic!("fixed URL: {e}"));
    let request =
        Request::new("POST", url).with_body(Some("application/x-www-form-urlencoded"), body);
    let params = OAuthParams::new("fuzz-consumer", nonce, timestamp);
    let signed = sign(&request, &params, &rsa_fixture().private)
        .unwrap_or_else(|e| panic!("fixture key does not sign: {e}"));
    let mut input = signed.authorization().as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(body);
    input
}
