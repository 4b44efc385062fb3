//! Hostile clients against a real sandbox on loopback: what the sandbox verifies must be what
//! it routes, whatever the `Host` header and the request target say.

use std::sync::Arc;
use std::time::Duration;

use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, sign, unix_timestamp_now};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: &str = "application/x-www-form-urlencoded";

async fn sandbox(tls: bool) -> Sandbox {
    Sandbox::builder()
        .tls(tls)
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts")
}

fn body() -> String {
    format!("client_orderid={APPROVED_CLIENT_ORDERID}&orderid={APPROVED_ORDERID}")
}

/// A valid `Authorization` header for `POST url` with `body`.
fn authorization(url: &str, body: &str, nonce: &str) -> String {
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let url = RequestUrl::parse(url).unwrap();
    let request = Request::new("POST", url).with_body(Some(FORM), body.as_bytes());
    let params = OAuthParams::new(TEST_MERCHANT_LOGIN, nonce, unix_timestamp_now());
    sign(&request, &params, &key)
        .unwrap()
        .authorization()
        .to_owned()
}

/// One raw HTTP/1.1 request; returns the status code and the whole answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let mut text = format!("POST {target} HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "Content-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    (code, answer)
}

async fn plain(
    sandbox: &Sandbox,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    exchange(stream, target, headers, body).await
}

async fn tls(
    sandbox: &Sandbox,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let ca =
        CertificateDer::from_pem_slice(sandbox.ca_certificate_pem().unwrap().as_bytes()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let stream = connector
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    exchange(stream, target, headers, body).await
}

/// Defect: a request signed for `status` was accepted on `create-card-ref` when the `Host`
/// header carried the signed path and a `#`, and made a card reference.
#[tokio::test]
async fn a_request_signed_for_status_cannot_run_create_card_ref() {
    for use_tls in [false, true] {
        let sandbox = sandbox(use_tls).await;
        let base = sandbox.payneteasy_base_url();
        let addr = sandbox.local_addr();
        let body = body();
        let auth = authorization(
            &format!("{base}/status/{TEST_ENDPOINT_ID}"),
            &body,
            "cross-command",
        );
        let headers = [
            (
                "Host",
                format!("{addr}/paynet/api/v4/status/{TEST_ENDPOINT_ID}#"),
            ),
            ("Authorization", auth),
        ];
        let target = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");
        let (code, answer) = if use_tls {
            tls(&sandbox, &target, &headers, &body).await
        } else {
            plain(&sandbox, &target, &headers, &body).await
        };
        assert_eq!(code, 400, "tls {use_tls}: {answer}");
        assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
        assert_eq!(sandbox.payneteasy_stats().refused_bad_request, 1);

        // The honest request still works on the same sandbox.
        let url = format!("{base}/create-card-ref/{TEST_ENDPOINT_ID}");
        let auth = authorization(&url, &body, "honest");
        let headers = [("Host", addr.to_string()), ("Authorization", auth)];
        let (code, answer) = if use_tls {
            tls(&sandbox, &target, &headers, &body).await
        } else {
            plain(&sandbox, &target, &headers, &body).await
        };
        assert_eq!(code, 200, "tls {use_tls}: {answer}");
        assert_eq!(sandbox.payneteasy_stats().card_refs_created, 1);
    }
}

/// Every `Host` that is not a plain `host[:port]` is refused with HTTP 400 before
/// authentication, even with a signature made over exactly that text.
#[tokio::test]
async fn an_authority_that_is_not_host_and_port_is_refused() {
    let sandbox = sandbox(false).await;
    let addr = sandbox.local_addr();
    let port = addr.port();
    let target = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");
    let body = body();
    let honest = authorization(
        &format!("{}{target}", sandbox.base_url()),
        &body,
        "host-cases",
    );
    for host in [
        format!("{addr}/"),
        format!("{addr}?x=1"),
        format!("{addr}#"),
        format!("user@{addr}"),
        format!("127.0.0.1:{port}\tx"),
        format!("127.0.0.1 :{port}"),
        "127.0.0.1:99999".to_owned(),
        "127.0.0.1:8x".to_owned(),
        format!("127.0.0.1%2e:{port}"),
        format!("[::1:{port}"),
        format!("127.0.0.1:{port}:1"),
    ] {
        let headers = [("Host", host.clone()), ("Authorization", honest.clone())];
        let (code, answer) = plain(&sandbox, &target, &headers, &body).await;
        assert_eq!(code, 400, "Host {host:?}: {answer}");
    }
    assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
    assert_eq!(sandbox.payneteasy_stats().refused_bad_request, 11);
}

/// Two `Host` headers, or a request target whose authority differs from `Host`, are refused.
#[tokio::test]
async fn two_hosts_or_an_absolute_target_for_another_host_are_refused() {
    let sandbox = sandbox(false).await;
    let addr = sandbox.local_addr();
    let body = body();
    let status_url = format!(
        "{}/status/{TEST_ENDPOINT_ID}",
        sandbox.payneteasy_base_url()
    );
    let ccr_path = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");

    let auth = authorization(&format!("{}{ccr_path}", sandbox.base_url()), &body, "two");
    let headers = [
        ("Host", addr.to_string()),
        ("Host", "example.com".to_owned()),
        ("Authorization", auth),
    ];
    let (code, answer) = plain(&sandbox, &ccr_path, &headers, &body).await;
    assert_eq!(code, 400, "{answer}");

    // Absolute form naming another authority than Host: refused, never verified over Host.
    let auth = authorization(&status_url, &body, "absolute");
    let target = format!("http://other.example{ccr_path}");
    let headers = [("Host", addr.to_string()), ("Authorization", auth)];
    let (code, answer) = plain(&sandbox, &target, &headers, &body).await;
    assert_eq!(code, 400, "{answer}");
    assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
}

/// Two `Authorization` headers are refused (403) even when the first one is valid.
#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let sandbox = sandbox(false).await;
    let addr = sandbox.local_addr();
    let body = body();
    let target = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");
    let url = format!("{}{target}", sandbox.base_url());
    let first = authorization(&url, &body, "first");
    let second = authorization(&url, &body, "second");
    let headers = [
        ("Host", addr.to_string()),
        ("Authorization", first),
        ("Authorization", second),
    ];
    let (code, answer) = plain(&sandbox, &target, &headers, &body).await;
    assert_eq!(code, 403, "{answer}");
    let stats = sandbox.payneteasy_stats();
    assert_eq!((stats.card_refs_created, stats.refused_malformed), (0, 1));
}

/// `x-paygate-fault` is ignored unless the sandbox was started to allow it; when allowed,
/// a spec past the bounds is refused (HTTP 400) instead of run.
#[tokio::test]
async fn the_fault_header_needs_opt_in_and_is_bounded() {
    let target = format!("/paynet/api/v4/status/{TEST_ENDPOINT_ID}");
    let body = format!("client_orderid={APPROVED_CLIENT_ORDERID}");
    for allowed in [false, true] {
        let sandbox = Sandbox::builder()
            .allow_fault_header(allowed)
            .payneteasy(PayneteasySandboxConfig::default())
            .start()
            .await
            .unwrap();
        let url = format!("{}{target}", sandbox.base_url());
        let host = sandbox.local_addr().to_string();
        let request = |nonce: &str, fault: &str| {
            vec![
                ("Host", host.clone()),
                ("Authorization", authorization(&url, &body, nonce)),
                ("x-paygate-fault", fault.to_owned()),
            ]
        };
        let (code, answer) = plain(&sandbox, &target, &request("s1", "status=503"), &body).await;
        let expected = if allowed { 503 } else { 200 };
        assert_eq!(code, expected, "allowed {allowed}: {answer}");
        assert_eq!(sandbox.faults_injected(), u64::from(allowed));
        for spec in ["delay=600s", "oversized=67108864", "drip=10s"] {
            let (code, answer) = plain(&sandbox, &target, &request(spec, spec), &body).await;
            let expected = if allowed { 400 } else { 200 };
            assert_eq!(code, expected, "allowed {allowed}, {spec}: {answer}");
        }
        assert_eq!(sandbox.faults_injected(), u64::from(allowed));
    }
}
