//! No secret in `Debug`, `Display`, error text or `tracing` output, anywhere in paygate.
//!
//! Secrets: the merchant's RSA private key (PEM body), HMAC and PLAINTEXT secrets, the
//! PaySecure password, the PAN, the CVN, the Payneteasy control key, and everything that
//! would let a reader replay a request: the `oauth_signature` value and the `Authorization`
//! header.
//!
//! Its own test binary: one global subscriber at TRACE writes into a shared buffer. (Global,
//! because `tracing` caches per-callsite interest across threads, so a thread-local subscriber
//! could miss events that another test hit first.)

use std::fmt::{Debug, Display};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use oauth1_signer::{HmacKey, PlaintextKey, RsaPrivateKey, SignatureMethod, SigningKey};
use paygate_client::paysecure::PlainCard;
use paygate_client::{
    Error, PaySecureClient, PaySecureConfig, PayneteasyClient, PayneteasyConfig, Transport,
    TransportConfig,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_CONTROL_KEY, TEST_ENDPOINT_ID,
    TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM, TEST_MERCHANT_PUBLIC_KEY_PEM,
};
use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{
    PaySecureMerchant, PaySecureSandboxConfig, PayneteasyMerchant, PayneteasySandboxConfig, Sandbox,
};
use payneteasy_proto::{ControlKey, CreateCardRefRequest, Endpoint, Environment};
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{CardExpiration, CreateKeySessionRequest, Password, RequestorCredentials};

const PAN: &str = "4111111111111111";
const CVN: &str = "123";
const WRONG_PASSWORD: &str = "wrong-secret-pw";
const HMAC_CONSUMER_SECRET: &str = "hmac-consumer-s3cret";
const HMAC_TOKEN_SECRET: &str = "hmac-token-s3cret";

fn other_key_pem() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/keys/other2048-pkcs1.pem"
    );
    std::fs::read_to_string(path).unwrap()
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Installs the global TRACE subscriber once and returns its buffer.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

/// A signing key that remembers every signature it made, so the test knows what the
/// `oauth_signature` values of the real calls were.
struct Recording {
    key: RsaPrivateKey,
    signatures: Mutex<Vec<Vec<u8>>>,
}

impl SigningKey for Recording {
    fn method(&self) -> SignatureMethod {
        SigningKey::method(&self.key)
    }

    fn sign(&self, base_string: &[u8]) -> Result<Vec<u8>, oauth1_signer::Error> {
        let signature = self.key.sign(base_string)?;
        self.signatures.lock().unwrap().push(signature.clone());
        Ok(signature)
    }
}

/// What must never be printed.
#[derive(Default)]
struct Secrets {
    /// Matched literally.
    literal: Vec<String>,
    /// Every 40-character run of the private keys' PEM bodies, except the runs that also
    /// occur in the public key (a PKCS#1 private key embeds the public modulus).
    key_runs: Vec<String>,
}

impl Secrets {
    fn new() -> Self {
        let mut literal: Vec<String> = [
            TEST_PASSWORD,
            WRONG_PASSWORD,
            PAN,
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            TEST_CONTROL_KEY,
            HMAC_CONSUMER_SECRET,
            HMAC_TOKEN_SECRET,
            "BEGIN RSA PRIVATE KEY",
            "BEGIN PRIVATE KEY",
            "oauth_signature",
            "OAuth oauth_",
        ]
        .map(str::to_owned)
        .to_vec();
        literal.push(format!("{HMAC_CONSUMER_SECRET}&{HMAC_TOKEN_SECRET}"));
        let body = |pem: &str| {
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
        };
        let public = body(TEST_MERCHANT_PUBLIC_KEY_PEM);
        let mut key_runs = Vec::new();
        for pem in [TEST_MERCHANT_PRIVATE_KEY_PEM.to_owned(), other_key_pem()] {
            let chars: Vec<char> = body(&pem).chars().collect();
            for window in chars.windows(40) {
                let run: String = window.iter().collect();
                if !public.contains(&run) {
                    key_runs.push(run);
                }
            }
        }
        assert!(key_runs.len() > 2000, "the private keys were read");
        Secrets { literal, key_runs }
    }

    /// Adds the signatures a recording key made: base64, percent-encoded, and a prefix.
    fn add_signatures(&mut self, signatures: &[Vec<u8>]) {
        for signature in signatures {
            let b64 = base64::engine::general_purpose::STANDARD.encode(signature);
            let encoded = b64
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D");
            self.literal.push(b64[..32].to_owned());
            self.literal.push(encoded);
            self.literal.push(b64);
        }
    }

    fn assert_absent(&self, what: &str, text: &str) {
        for secret in &self.literal {
            assert!(
                !text.contains(secret.as_str()),
                "{what}: {secret:?} leaked into:\n{text}"
            );
        }
        let lower = text.to_ascii_lowercase();
        assert!(
            !lower.contains("authorization:") && !lower.contains("authorization=\"oauth"),
            "{what}: an Authorization header leaked into:\n{text}"
        );
        for run in &self.key_runs {
            assert!(
                !text.contains(run.as_str()),
                "{what}: private key material {run:?} leaked into:\n{text}"
            );
        }
        // The CVN is three common digits: look for it as the value printed right after a
        // CVN-like name (`cvn=123`, `Cvn(123)`, `"EncryptedCVN":"123"`, `cvn: Some("123")`).
        let skip = |t: &str| -> usize {
            t.len()
                - t.trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
                    .len()
        };
        for marker in ["cvn", "cvv", "cvc", "cvv2", "card_security"] {
            let mut from = 0;
            while let Some(at) = lower[from..].find(marker) {
                let start = from + at + marker.len();
                let mut rest = &lower[start..];
                rest = &rest[skip(rest)..];
                if let Some(after) = rest.strip_prefix("some") {
                    rest = &after[skip(after)..];
                }
                assert!(
                    !rest.starts_with(CVN),
                    "{what}: the CVN leaked after {marker:?} in:\n{text}"
                );
                from = start;
            }
        }
    }

    fn check(&self, what: &str, value: &(impl Debug + ?Sized)) {
        self.assert_absent(&format!("{what} (Debug)"), &format!("{value:?}"));
        self.assert_absent(
            &format!("{what} (Debug, alternate)"),
            &format!("{value:#?}"),
        );
    }

    fn check_display(&self, what: &str, value: &(impl Display + Debug + ?Sized)) {
        self.check(what, value);
        self.assert_absent(&format!("{what} (Display)"), &value.to_string());
    }

    /// Debug and Display of an error, and of every source in its chain.
    fn check_error(&self, what: &str, error: &Error) {
        self.check_display(what, error);
        let mut source = std::error::Error::source(error);
        while let Some(e) = source {
            self.assert_absent(&format!("{what} (source)"), &format!("{e} / {e:?}"));
            source = e.source();
        }
    }
}

#[test]
fn debug_and_display_of_every_secret_holder_are_redacted() {
    let secrets = Secrets::new();

    let rsa = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    secrets.check("RsaPrivateKey", &rsa);
    secrets.check(
        "RsaPrivateKey (other)",
        &RsaPrivateKey::from_pem(&other_key_pem()).unwrap(),
    );
    secrets.check("RsaSigner", &rsa.with_method(SignatureMethod::RsaSha512));
    secrets.check(
        "HmacKey",
        &HmacKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET),
    );
    secrets.check(
        "HmacKey (SHA-256)",
        &HmacKey::sha256(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET),
    );
    secrets.check(
        "PlaintextKey",
        &PlaintextKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET),
    );

    let password = Password::new(TEST_PASSWORD);
    secrets.check_display("Password", &password);
    let credentials = RequestorCredentials::new(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        password.clone(),
        TEST_VERSION,
    )
    .unwrap();
    secrets.check("RequestorCredentials", &credentials);
    secrets.check(
        "CreateKeySessionRequest",
        &CreateKeySessionRequest::new(credentials.clone(), Some(15)),
    );
    for layout in [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111"] {
        let pan = Pan::new(layout).unwrap();
        secrets.check_display("Pan", &pan);
        assert!(
            format!("{pan:?}").contains("1111"),
            "the last four stay visible"
        );
    }
    let cvn = Cvn::new(CVN).unwrap();
    secrets.check_display("Cvn", &cvn);
    // `Cvn` prints no digit at all, so no context is needed to judge it.
    assert!(!format!("{cvn:?}{cvn}").contains(CVN));
    secrets.check("ControlKey", &ControlKey::new(TEST_CONTROL_KEY).unwrap());

    let env = Environment::custom("http://127.0.0.1:9/paynet/api/v4").unwrap();
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let keys: [(&str, Arc<dyn SigningKey>); 3] = [
        ("RSA", Arc::new(rsa.clone())),
        (
            "HMAC",
            Arc::new(HmacKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET)),
        ),
        (
            "PLAINTEXT",
            Arc::new(PlaintextKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET)),
        ),
    ];
    for (name, key) in keys {
        let config = PayneteasyConfig::builder(env.clone(), TEST_MERCHANT_LOGIN, key)
            .build()
            .unwrap();
        secrets.check(&format!("PayneteasyConfig ({name})"), &config);
        let client = PayneteasyClient::new(config, transport.clone());
        secrets.check(&format!("PayneteasyClient ({name})"), &client);
    }
    let config = PaySecureConfig::builder(credentials)
        .base_url("http://127.0.0.1:9/paysecure")
        .build()
        .unwrap();
    secrets.check("PaySecureConfig", &config);
    secrets.check("PaySecureClient", &PaySecureClient::new(config, transport));

    secrets.check("PaySecureMerchant", &PaySecureMerchant::test());
    secrets.check("PaySecureSandboxConfig", &PaySecureSandboxConfig::default());
    secrets.check("PayneteasyMerchant", &PayneteasyMerchant::test());
    secrets.check(
        "PayneteasySandboxConfig",
        &PayneteasySandboxConfig::default(),
    );

    // An error built from bad credentials names the field, never the password.
    let err = PaySecureConfig::from_parts(TEST_MERCHANT_ID, "", Password::new(WRONG_PASSWORD), "1")
        .unwrap_err();
    secrets.check_error("PaySecureConfig::from_parts error", &err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_calls_leak_nothing_into_traces_debug_or_errors() {
    let captured = captured();
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .unwrap();
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let mut errors: Vec<(&str, Error)> = Vec::new();
    let mut answers: Vec<String> = Vec::new();

    // Payneteasy: a signed create-card-ref that succeeds, then one with a foreign key (403).
    let recording = Arc::new(Recording {
        key: RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap(),
        signatures: Mutex::new(Vec::new()),
    });
    let intruder_key = Arc::new(Recording {
        key: RsaPrivateKey::from_pem(&other_key_pem()).unwrap(),
        signatures: Mutex::new(Vec::new()),
    });
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
    let request = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
    let merchant = PayneteasyClient::new(
        PayneteasyConfig::builder(env.clone(), TEST_MERCHANT_LOGIN, recording.clone())
            .build()
            .unwrap(),
        transport.clone(),
    );
    let response = merchant.create_card_ref(&endpoint, &request).await.unwrap();
    answers.push(format!("{response:?}"));
    let intruder = PayneteasyClient::new(
        PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, intruder_key.clone())
            .build()
            .unwrap(),
        transport.clone(),
    );
    let err = intruder
        .create_card_ref(&endpoint, &request)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AuthenticationRefused { status: 403, .. }),
        "{err:?}"
    );
    errors.push(("Payneteasy 403", err));

    // PaySecure: CreateKey with the right and a wrong password, TokenizeCard with PAN and CVN.
    let paysecure = |password: &str| {
        let config = PaySecureConfig::from_parts(
            TEST_MERCHANT_ID,
            TEST_USER_NAME,
            Password::new(password),
            TEST_VERSION,
        )
        .unwrap()
        .base_url(sandbox.paysecure_base_url())
        .build()
        .unwrap();
        PaySecureClient::new(config, transport.clone())
    };
    let client = paysecure(TEST_PASSWORD);
    let pan = Pan::new(PAN).unwrap();
    let cvn = Cvn::new(CVN).unwrap();
    let expiration = CardExpiration::parse("1230").unwrap();
    let tokenized = client
        .tokenize_card(
            &PlainCard::new(pan.clone(), expiration)
                .cvn(cvn.clone())
                .verify(true),
        )
        .await
        .unwrap();
    answers.push(format!("{tokenized:?}"));
    let issued = client.cached_key().await.unwrap();
    answers.push(format!("{issued:?}"));
    let wrong = paysecure(WRONG_PASSWORD);
    let err = wrong.create_key(None).await.unwrap_err();
    assert!(
        matches!(err, Error::AuthenticationRefused { status: 401, .. }),
        "{err:?}"
    );
    errors.push(("PaySecure wrong password", err));
    // A card the gateway refuses after decrypting it (its CVN is fine, the key is unknown).
    let mut forged = issued.session.clone();
    forged.key_id = Some("NO-SUCH-KEY".into());
    let forged = paysecure_codec::card_crypto::CardEncryptionKey::from_session(
        &forged,
        paysecure_codec::card_crypto::KeyEncoding::Auto,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let err = client
        .tokenize_card_with_key(
            &forged,
            &PlainCard::new(pan.clone(), expiration).cvn(cvn.clone()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.class(), "rejected");
    errors.push(("PaySecure in-band rejection", err));
    // A card the sandbox never sees: a fault closes the connection after it was processed.
    sandbox
        .faults()
        .push("TokenizeCard", paygate_sandbox::Fault::CloseBeforeAnswer);
    let err = client
        .tokenize_card(&PlainCard::new(pan.clone(), expiration).cvn(cvn.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.class(), "maybe_sent");
    errors.push(("PaySecure lost TokenizeCard answer", err));

    let mut secrets = Secrets::new();
    secrets.add_signatures(&recording.signatures.lock().unwrap());
    secrets.add_signatures(&intruder_key.signatures.lock().unwrap());
    assert_eq!(recording.signatures.lock().unwrap().len(), 1);
    assert_eq!(intruder_key.signatures.lock().unwrap().len(), 1);

    for (what, err) in &errors {
        secrets.check_error(what, err);
    }
    for answer in &answers {
        secrets.assert_absent("a successful answer (Debug)", answer);
    }
    secrets.check("PayneteasyClient", &merchant);
    secrets.check("PaySecureClient", &client);
    secrets.check("PaySecureClient (wrong password)", &wrong);

    let log = captured.text();
    // The capture works: the spans and events of every call are there.
    for expected in [
        "create-card-ref",
        "CreateKey",
        "TokenizeCard",
        "attempt=1",
        "refused",
    ] {
        assert!(log.contains(expected), "{expected:?} missing from:\n{log}");
    }
    secrets.assert_absent("tracing output", &log);
}

/// The checks above would catch each kind of leak.
#[test]
fn the_leak_checks_are_not_vacuous() {
    let mut secrets = Secrets::new();
    secrets.add_signatures(&[vec![0xfb; 256]]);
    // Past the modulus: a line of the private exponent and primes.
    let key_line = TEST_MERCHANT_PRIVATE_KEY_PEM.lines().nth(15).unwrap();
    let leaks = [
        format!("pan={PAN}"),
        "card 4111 1111 1111 1111".to_owned(),
        format!("cvn={CVN}"),
        format!("EncryptedCVN: Some(\"{CVN}\")"),
        format!("password: \"{TEST_PASSWORD}\""),
        format!("ControlKey({TEST_CONTROL_KEY})"),
        format!("key: {key_line}"),
        format!(
            "sig {}",
            base64::engine::general_purpose::STANDARD.encode([0xfb; 256])
        ),
        "authorization: OAuth realm=\"\"".to_owned(),
    ];
    for leak in leaks {
        let caught = std::panic::catch_unwind(|| secrets.assert_absent("probe", &leak));
        assert!(caught.is_err(), "not caught: {leak}");
    }
    secrets.assert_absent("probe", "Pan(****1111) Cvn(<redacted>) amount=123.00");
}

/// The signed `http::Request` handed out by `sign_request` and built by the codec: its `Debug`
/// shows neither the `Authorization` header nor the signature, for every method.
#[test]
fn signed_requests_hide_the_authorization_header() {
    let env = Environment::custom("http://127.0.0.1:9/paynet/api/v4").unwrap();
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let request = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
    let recording = Arc::new(Recording {
        key: RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap(),
        signatures: Mutex::new(Vec::new()),
    });
    let keys: [(&str, Arc<dyn SigningKey>); 3] = [
        ("RSA", recording.clone()),
        (
            "HMAC",
            Arc::new(HmacKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET)),
        ),
        (
            "PLAINTEXT",
            Arc::new(PlaintextKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET)),
        ),
    ];
    let mut requests = Vec::new();
    for (name, key) in keys {
        let client = PayneteasyClient::new(
            PayneteasyConfig::builder(env.clone(), TEST_MERCHANT_LOGIN, key.clone())
                .build()
                .unwrap(),
            transport.clone(),
        );
        let signed = client
            .sign_request::<payneteasy_proto::CreateCardRef>(&endpoint, &request)
            .unwrap();
        assert!(
            signed.headers().contains_key(http::header::AUTHORIZATION),
            "{name}: the header is there, only hidden"
        );
        requests.push((format!("sign_request ({name})"), signed));
        let encoded = payneteasy_codec::encode_request::<payneteasy_proto::CreateCardRef>(
            &env,
            &endpoint,
            &request,
            TEST_MERCHANT_LOGIN,
            key.as_ref(),
            "nonce-1234567890",
            1_700_000_000,
        )
        .unwrap();
        requests.push((format!("encode_request ({name})"), encoded.request));
    }
    let mut secrets = Secrets::new();
    secrets.add_signatures(&recording.signatures.lock().unwrap());
    assert_eq!(recording.signatures.lock().unwrap().len(), 2);
    for (what, request) in &requests {
        secrets.check(what, request);
        secrets.check(&format!("{what}, headers"), request.headers());
        let authorization = &request.headers()[http::header::AUTHORIZATION];
        assert!(authorization.is_sensitive(), "{what}");
        secrets.check(&format!("{what}, the header value"), authorization);
    }
}

/// A hostile loopback server: answers every request with `answer(headers, body)`.
async fn echo_server(
    answer: impl Fn(&str, &[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let response = answer(&head, &buf[head_end..head_end + length]);
                let _ = stream.write_all(&response).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// The `Authorization` header value of a request head (empty when absent).
fn authorization(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

fn http_answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn json_string(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A password with characters that JSON, forms and HTML escape.
const TRICKY_PASSWORD: &str = "qu\"ote/sl\\ash <pw>";

/// Servers that echo the request (its body, its `Authorization` header, the card) into their
/// errors: no error value holds a secret the client sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_requests_never_reach_error_values() {
    let no_retry = paygate_client::RetryPolicy::never(std::time::Duration::from_secs(10));
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let mut errors: Vec<(String, Error)> = Vec::new();

    // Payneteasy: the Authorization header (PLAINTEXT: the signature is the secret) and the
    // body echoed in a validation error, in a 500 page and in a 403 page.
    type Answer = fn(&str, &[u8]) -> Vec<u8>;
    let payneteasy: [(&str, Answer); 3] = [
        ("validation-error", |head, body| {
            let echo = format!(
                "bad request {} {}",
                authorization(head),
                String::from_utf8_lossy(body)
            );
            let form = format!(
                "type=validation-error\n&serial-number=1\n&error-message={}\n&error-code=2\n",
                percent_encode(&echo)
            );
            http_answer("200 OK", "text/html;charset=utf-8", &form)
        }),
        ("500 page", |head, body| {
            let page = format!(
                "<html><body><pre>{} {}</pre></body></html>",
                authorization(head),
                String::from_utf8_lossy(body)
            );
            http_answer("500 Internal Server Error", "text/html", &page)
        }),
        ("403 page", |head, _| {
            let page = format!(
                "<html><body>Access is denied: {}</body></html>",
                authorization(head)
            );
            http_answer("403 Forbidden", "text/html", &page)
        }),
    ];
    for (what, answer) in payneteasy {
        let addr = echo_server(answer).await;
        let env = Environment::custom(&format!("http://{addr}/paynet/api/v4")).unwrap();
        let config = PayneteasyConfig::builder(
            env,
            TEST_MERCHANT_LOGIN,
            Arc::new(PlaintextKey::new(HMAC_CONSUMER_SECRET, HMAC_TOKEN_SECRET)),
        )
        .retry(no_retry.clone())
        .build()
        .unwrap();
        let client = PayneteasyClient::new(config, transport.clone());
        let request = payneteasy_proto::StatusRequest::new(APPROVED_CLIENT_ORDERID).unwrap();
        let err = client
            .status(&Endpoint::Id(TEST_ENDPOINT_ID), &request)
            .await
            .unwrap_err();
        errors.push((format!("Payneteasy {what}"), err));
    }

    // PaySecure CreateKey: the JSON body (with the password) echoed in every kind of error.
    let paysecure: [(&str, Answer); 5] = [
        ("400 ResponseStatus", |_, body| {
            let message = format!("Invalid request {}", String::from_utf8_lossy(body));
            let json = format!(
                r#"{{"ResponseStatus":{{"ErrorCode":"ValidationException","Message":"{}"}}}}"#,
                json_string(&message)
            );
            http_answer("400 Bad Request", "application/json", &json)
        }),
        ("500 page", |_, body| {
            let page = format!(
                "<html><body><pre>{} password={TRICKY_PASSWORD}</pre></body></html>",
                String::from_utf8_lossy(body)
            );
            http_answer("500 Internal Server Error", "text/html", &page)
        }),
        ("in-band", |_, _| {
            let json = format!(
                r#"{{"ErrorCode":"1001","ErrorMessage":"wrong password {}"}}"#,
                json_string(TRICKY_PASSWORD)
            );
            http_answer("200 OK", "application/json", &json)
        }),
        ("401 ResponseStatus", |_, _| {
            let json = format!(
                r#"{{"ResponseStatus":{{"ErrorCode":"Unauthorized","Message":"{}"}}}}"#,
                json_string(TRICKY_PASSWORD)
            );
            http_answer("401 Unauthorized", "application/json", &json)
        }),
        ("not JSON", |_, body| {
            let text = format!("{TRICKY_PASSWORD} {}", String::from_utf8_lossy(body));
            http_answer("200 OK", "text/plain", &text)
        }),
    ];
    for (what, answer) in paysecure {
        let addr = echo_server(answer).await;
        let config = PaySecureConfig::from_parts(
            TEST_MERCHANT_ID,
            TEST_USER_NAME,
            Password::new(TRICKY_PASSWORD),
            TEST_VERSION,
        )
        .unwrap()
        .base_url(format!("http://{addr}/paysecure"))
        .retry(no_retry.clone())
        .build()
        .unwrap();
        let client = PaySecureClient::new(config, transport.clone());
        let err = client.create_key(None).await.unwrap_err();
        errors.push((format!("PaySecure CreateKey {what}"), err));
    }

    // PaySecure TokenizeCard: a server that decrypted the card and quotes it back.
    let sandbox = Sandbox::builder()
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .unwrap();
    let config = PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(TEST_PASSWORD),
        TEST_VERSION,
    )
    .unwrap()
    .base_url(sandbox.paysecure_base_url())
    .build()
    .unwrap();
    let issued = PaySecureClient::new(config, transport.clone())
        .create_key(Some(15))
        .await
        .unwrap();
    let tokenize: [(&str, Answer); 2] = [
        ("400 ResponseStatus", |_, _| {
            let json = r#"{"ResponseStatus":{"ErrorCode":"CardDeclined","Message":"card 4111 1111 1111 1111 cvn 123 refused","Errors":[{"FieldName":"EncryptedCardNumber","Message":"4111111111111111"}]}}"#;
            http_answer("400 Bad Request", "application/json", json)
        }),
        ("in-band", |_, _| {
            let json =
                r#"{"ErrorCode":"2002","ErrorMessage":"declined 4111-1111-1111-1111, cvn=123"}"#;
            http_answer("200 OK", "application/json", json)
        }),
    ];
    for (what, answer) in tokenize {
        let addr = echo_server(answer).await;
        let config = PaySecureConfig::from_parts(
            TEST_MERCHANT_ID,
            TEST_USER_NAME,
            Password::new(TEST_PASSWORD),
            TEST_VERSION,
        )
        .unwrap()
        .base_url(format!("http://{addr}/paysecure"))
        .retry(no_retry.clone())
        .build()
        .unwrap();
        let client = PaySecureClient::new(config, transport.clone());
        let err = client
            .tokenize_card_with_key(
                &issued.key,
                &PlainCard::new(
                    Pan::new(PAN).unwrap(),
                    CardExpiration::parse("1230").unwrap(),
                )
                .cvn(Cvn::new(CVN).unwrap()),
            )
            .await
            .unwrap_err();
        errors.push((format!("PaySecure TokenizeCard {what}"), err));
    }

    let mut secrets = Secrets::new();
    secrets.literal.push(TRICKY_PASSWORD.to_owned());
    secrets.literal.push(json_string(TRICKY_PASSWORD));
    secrets.literal.push("sl\\ash".to_owned());
    secrets.literal.push(percent_encode(HMAC_CONSUMER_SECRET));
    for (what, err) in &errors {
        secrets.check_error(what, err);
        // The errors still say what happened, with the secret cut out.
        let text = err.to_string();
        assert!(text.contains("[redacted]"), "{what}: {text}");
    }
    sandbox.shutdown().await;
}
