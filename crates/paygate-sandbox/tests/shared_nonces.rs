//! Sandboxes sharing a replay cache through `PayneteasySandboxConfig::nonce_store` (issue 15):
//! a request accepted by one is refused by the other, and a store that cannot answer makes
//! the request fail closed with HTTP 503. The Redis store itself is tested against a real
//! server in `oauth1-nonce-redis`; here the shared store is an in-memory one, or a broken one.

use std::sync::Arc;
use std::time::Duration;

use oauth1_signer::{
    AsyncNonceStore, MemoryNonceStore, NonceCheckFuture, NonceClaim, OAuthParams,
    ReplayCheckUnavailable, Request, RequestUrl, RsaPrivateKey, sign, unix_timestamp_now,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: &str = "application/x-www-form-urlencoded";

async fn sandbox(store: Arc<dyn AsyncNonceStore>) -> Sandbox {
    Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig {
            nonce_store: Some(store),
            ..PayneteasySandboxConfig::default()
        })
        .start()
        .await
        .expect("sandbox starts")
}

/// A signed `create-card-ref` for `authority`: the `Authorization` header and the body.
fn signed_request(authority: &str, nonce: &str) -> (String, String, String) {
    let path = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");
    let body = format!("client_orderid={APPROVED_CLIENT_ORDERID}&orderid={APPROVED_ORDERID}");
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let url = format!("http://{authority}{path}");
    let url = RequestUrl::parse(&url).unwrap();
    let request = Request::new("POST", url).with_body(Some(FORM), body.as_bytes());
    let params = OAuthParams::new(TEST_MERCHANT_LOGIN, nonce, unix_timestamp_now());
    let authorization = sign(&request, &params, &key)
        .unwrap()
        .authorization()
        .to_owned();
    (path, authorization, body)
}

/// Sends the request to `sandbox` with `Host: host` (the authority it was signed for).
async fn send(sandbox: &Sandbox, host: &str, request: &(String, String, String)) -> (u16, String) {
    let (path, authorization, body) = request;
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let text = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n\
         Content-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_accepted_by_one_sandbox_is_refused_by_another_sharing_the_store() {
    let shared: Arc<dyn AsyncNonceStore> = Arc::new(MemoryNonceStore::default());
    let a = sandbox(shared.clone()).await;
    let b = sandbox(shared).await;
    // Signed for A's address; B is sent the same bytes, `Host` included, as a replaying
    // client (or a load balancer) would.
    let host = a.local_addr().to_string();
    let request = signed_request(&host, "shared-nonce-1");
    let (code, answer) = send(&a, &host, &request).await;
    assert_eq!(code, 200, "{answer}");
    let (code, answer) = send(&b, &host, &request).await;
    assert_eq!(code, 403, "{answer}");
    assert!(answer.contains("Access is denied"), "{answer}");
    assert_eq!(b.payneteasy_stats().refused_replayed_nonce, 1);
    assert_eq!(b.payneteasy_stats().card_refs_created, 0);
    // A refuses it too.
    assert_eq!(send(&a, &host, &request).await.0, 403);
    // A fresh nonce is accepted by B.
    let fresh = signed_request(&host, "shared-nonce-2");
    assert_eq!(send(&b, &host, &fresh).await.0, 200);
    a.shutdown().await;
    b.shutdown().await;
}

/// A shared store that cannot be reached.
struct Down;

impl AsyncNonceStore for Down {
    fn check_and_remember_async<'a>(&'a self, _claim: NonceClaim<'a>) -> NonceCheckFuture<'a> {
        Box::pin(async {
            Err(ReplayCheckUnavailable::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_store_refuses_with_503_never_accepts() {
    let sandbox = sandbox(Arc::new(Down)).await;
    let host = sandbox.local_addr().to_string();
    for i in 0..3 {
        let request = signed_request(&host, &format!("down-{i}"));
        let (code, answer) = send(&sandbox, &host, &request).await;
        assert_eq!(code, 503, "{answer}");
        assert!(answer.contains("replay check unavailable"), "{answer}");
        assert!(answer.contains("Retry-After: 1") || answer.contains("retry-after: 1"));
    }
    let stats = sandbox.payneteasy_stats();
    assert_eq!(stats.refused_replay_check_unavailable, 3);
    assert_eq!((stats.answered, stats.card_refs_created), (0, 0));
    // A forged request is still a 403: the store is consulted only after the signature.
    let (path, authorization, body) = signed_request(&host, "forged");
    let forged = (
        path,
        authorization.replace("oauth_signature=\"", "oauth_signature=\"AA"),
        body,
    );
    assert_eq!(send(&sandbox, &host, &forged).await.0, 403);
    assert_eq!(
        sandbox.payneteasy_stats().refused_replay_check_unavailable,
        3
    );
    sandbox.shutdown().await;
}
