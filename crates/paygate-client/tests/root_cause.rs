//! `Error`'s `Display` names the root cause of a real failure: an untrusted certificate, a
//! refused connection, a DNS failure. Each is provoked for real, on loopback (or, for DNS, with
//! a reserved `.invalid` name that never resolves and fails at once offline).

use std::time::Duration;

use bytes::Bytes;
use paygate_client::{Error, NotSentReason, Transport, TransportConfig};
use paygate_sandbox::Sandbox;

fn post(url: &str) -> http::Request<Bytes> {
    http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"a=b"))
        .unwrap()
}

/// Sends one request with the default transport (Mozilla roots) and returns the error and its
/// `Display` text.
async fn fail(url: &str) -> (Error, String) {
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(20), transport.send(post(url), None));
    let err = sent
        .await
        .expect("fails well before 20 s")
        .expect_err("the request cannot succeed");
    let text = err.to_string();
    println!("{url}: {text}");
    (err, text)
}

fn reason(err: &Error) -> Option<NotSentReason> {
    match err {
        Error::NotSent { reason, .. } => Some(*reason),
        _ => None,
    }
}

/// A TLS server on loopback whose certificate no trusted root signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_named() {
    let sandbox = Sandbox::builder().tls(true).start().await.unwrap();
    let (err, text) = fail(&format!("{}/paynet/api/v4/status/1", sandbox.base_url())).await;
    assert_eq!(reason(&err), Some(NotSentReason::Tls), "{err:?}");
    // Before: "request not sent (Tls): client error (Connect)".
    assert!(text.contains("UnknownIssuer"), "{text}");
    assert!(
        text.starts_with("request not sent (Tls): client error (Connect): "),
        "{text}"
    );
    assert_eq!(
        text.matches("UnknownIssuer").count(),
        1,
        "each cause once: {text}"
    );
}

/// A port nobody listens on (bound, then closed).
#[tokio::test]
async fn a_refused_connection_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (err, text) = fail(&format!("http://{addr}/x")).await;
    assert_eq!(reason(&err), Some(NotSentReason::Connect), "{err:?}");
    assert!(text.to_ascii_lowercase().contains("refused"), "{text}");
}

/// `.invalid` is reserved (RFC 6761): it never resolves.
#[tokio::test]
async fn a_dns_failure_is_named() {
    let (err, text) = fail("https://paygate-test.invalid/x").await;
    assert_eq!(reason(&err), Some(NotSentReason::Connect), "{err:?}");
    assert!(text.contains("dns error"), "{text}");
    // The resolver's own words come after hyper's "dns error".
    let after = text.split("dns error").nth(1).unwrap_or_default();
    assert!(after.len() > 2, "the resolver's message is shown: {text}");
}
