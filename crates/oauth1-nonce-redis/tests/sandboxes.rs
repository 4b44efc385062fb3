//! Two sandboxes sharing one Redis replay cache (`--nonce-store redis://…` in-process): a
//! signed request accepted by sandbox A is refused by sandbox B; with Redis gone, both answer
//! 503 and accept nothing.

mod support;

use std::sync::Arc;
use std::time::Duration;

use oauth1_nonce_redis::{RedisNonceStore, RedisNonceStoreConfig};
use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, sign, unix_timestamp_now};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: &str = "application/x-www-form-urlencoded";

async fn sandbox(url: &str, prefix: &str) -> Sandbox {
    // Each sandbox has its own store and connection, as two processes would.
    let store = RedisNonceStore::connect(
        RedisNonceStoreConfig::new(url)
            .unwrap()
            .prefix(prefix)
            .timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig {
            nonce_store: Some(Arc::new(store)),
            ..PayneteasySandboxConfig::default()
        })
        .start()
        .await
        .unwrap()
}

/// A signed `status` for `authority`: path, `Authorization`, body.
fn signed(authority: &str, nonce: &str) -> (String, String, String) {
    let path = format!("/paynet/api/v4/status/{TEST_ENDPOINT_ID}");
    let body = format!("client_orderid={APPROVED_CLIENT_ORDERID}");
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let url = format!("http://{authority}{path}");
    let request = Request::new("POST", RequestUrl::parse(&url).unwrap())
        .with_body(Some(FORM), body.as_bytes());
    let params = OAuthParams::new(TEST_MERCHANT_LOGIN, nonce, unix_timestamp_now());
    let authorization = sign(&request, &params, &key)
        .unwrap()
        .authorization()
        .to_owned();
    (path, authorization, body)
}

async fn send(sandbox: &Sandbox, host: &str, request: &(String, String, String)) -> u16 {
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
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_accepted_by_sandbox_a_is_refused_by_sandbox_b() {
    let Some(redis) = support::redis("a_request_accepted_by_sandbox_a_is_refused_by_sandbox_b")
    else {
        return;
    };
    let prefix = support::unique_prefix("sandboxes");
    let a = sandbox(&redis.url(), &prefix).await;
    let b = sandbox(&redis.url(), &prefix).await;
    let host_a = a.local_addr().to_string();
    let host_b = b.local_addr().to_string();

    let to_a = signed(&host_a, &oauth1_signer::generate_nonce().unwrap());
    assert_eq!(send(&a, &host_a, &to_a).await, 200);
    // The same bytes to B (Host included, so the signature holds there too): a replay.
    assert_eq!(send(&b, &host_a, &to_a).await, 403);
    assert_eq!(b.payneteasy_stats().refused_replayed_nonce, 1);
    assert_eq!(b.payneteasy_stats().answered, 0);

    // And the other way round.
    let to_b = signed(&host_b, &oauth1_signer::generate_nonce().unwrap());
    assert_eq!(send(&b, &host_b, &to_b).await, 200);
    assert_eq!(send(&a, &host_b, &to_b).await, 403);
    assert_eq!(a.payneteasy_stats().refused_replayed_nonce, 1);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandboxes_answer_503_while_redis_is_down_and_recover() {
    let Some(mut redis) =
        support::own_redis("sandboxes_answer_503_while_redis_is_down_and_recover")
    else {
        return;
    };
    let a = sandbox(&redis.url(), "sb:").await;
    let host = a.local_addr().to_string();
    assert_eq!(send(&a, &host, &signed(&host, "up-1")).await, 200);
    redis.stop();
    for i in 0..3 {
        assert_eq!(
            send(&a, &host, &signed(&host, &format!("down-{i}"))).await,
            503
        );
    }
    let stats = a.payneteasy_stats();
    assert_eq!(
        (stats.answered, stats.refused_replay_check_unavailable),
        (1, 3)
    );
    redis.restart();
    let mut code = 0;
    for i in 0..50 {
        code = send(&a, &host, &signed(&host, &format!("back-{i}"))).await;
        if code == 200 {
            break;
        }
        assert_eq!(code, 503);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(code, 200, "the sandbox never recovered");
    a.shutdown().await;
}
