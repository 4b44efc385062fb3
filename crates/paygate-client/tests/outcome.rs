//! What a failure proves about the payment ([`Error::outcome`]), against the embedded sandbox
//! and a hostile loopback server: a 404 for a route that does not exist is *not processed*
//! (the old code called it "may have reached the gateway" and nothing more), a validation
//! rejection is *not processed*, a dropped connection after the request is *unknown*.

use std::sync::Arc;

use oauth1_signer::RsaPrivateKey;
use paygate_client::{
    Dispatch, Error, Outcome, PayneteasyClient, PayneteasyConfig, Transport, TransportConfig,
    UnreadableReason, count_attempts,
};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{CreateCardRefRequest, Endpoint, Environment};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENDPOINT: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

fn client(base_url: &str) -> PayneteasyClient {
    let env = Environment::custom(base_url).unwrap();
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    PayneteasyClient::new(
        PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, Arc::new(key))
            .build()
            .unwrap(),
        Transport::new(TransportConfig::default()).unwrap(),
    )
}

async fn card_ref(client: &PayneteasyClient, client_orderid: &str, orderid: &str) -> (Error, u32) {
    let request = CreateCardRefRequest::new(client_orderid, orderid).unwrap();
    let (result, attempts) = count_attempts(client.create_card_ref(&ENDPOINT, &request)).await;
    (result.expect_err("the call fails"), attempts)
}

/// A mistyped path (`/paynet/apl/v4`): the sandbox has no such route and answers 404. (A
/// mistyped version such as `/v9` is not one: the version segment of a base URL is replaced by
/// the operation's own, see `Environment::operation_url`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_for_a_missing_route_is_not_processed() {
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .unwrap();
    let mistyped = sandbox
        .payneteasy_base_url()
        .replace("/paynet/api/", "/paynet/apl/");
    assert_ne!(mistyped, sandbox.payneteasy_base_url());
    let (err, attempts) = card_ref(
        &client(&mistyped),
        APPROVED_CLIENT_ORDERID,
        APPROVED_ORDERID,
    )
    .await;
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                status: Some(404),
                reason: UnreadableReason::UnexpectedStatus,
                ..
            }
        ),
        "{err:?}"
    );
    // The bytes reached a server; the answer proves nothing was processed.
    assert_eq!(err.dispatch(), Dispatch::Received);
    assert_eq!(err.outcome(), Outcome::NotProcessed, "{err}");
    assert!(!err.is_retryable(), "a 404 would come back the same");
    assert_eq!(attempts, 1, "not retried");
    assert_eq!(sandbox.payneteasy_stats().card_refs_created, 0);
}

/// The sandbox's validation error for an order it does not know: refused before acting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_rejection_is_not_processed() {
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .unwrap();
    let (err, attempts) = card_ref(
        &client(&sandbox.payneteasy_base_url()),
        "no-such-order",
        "1",
    )
    .await;
    assert_eq!(err.class(), "rejected", "{err:?}");
    assert_eq!(err.outcome(), Outcome::NotProcessed, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(attempts, 1);
}

/// A hostile server that reads the request and hangs up without a word: it may have acted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_the_request_is_unknown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream.shutdown().await;
        }
    });
    let base = format!("http://{addr}/paynet/api/v4");
    let (err, attempts) = card_ref(&client(&base), APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).await;
    assert_eq!(err.class(), "maybe_sent", "{err:?}");
    assert_eq!(err.outcome(), Outcome::Unknown);
    assert!(!err.is_retryable(), "unknown: not safe for any operation");
    // create-card-ref is idempotent: the policy retried it anyway, by the same rule.
    assert!(attempts > 1, "{attempts}");
}
