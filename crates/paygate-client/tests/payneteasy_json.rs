//! JSON mode (`PayneteasyConfig::builder(..).json_mode(true)`) against a loopback server that
//! answers canned JSON: the `Accept` header sent, numbers read as text, a 4xx JSON rejection
//! as a gateway answer (not a transport error), and the form mode staying the default.

use std::sync::{Arc, Mutex};

use oauth1_signer::RsaPrivateKey;
use paygate_client::{
    Error, Outcome, PayneteasyClient, PayneteasyConfig, RejectionKind, RetryPolicy, Transport,
    TransportConfig, UnreadableReason,
};
use paygate_sandbox::payneteasy::{TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM};
use payneteasy_proto::{Endpoint, Environment, Status, StatusRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that answers every request with `status`, `content_type` and `body`, and keeps
/// the `Accept` header of the last request.
async fn canned(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> (String, Arc<Mutex<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = Arc::new(Mutex::new(String::new()));
    let seen = accept.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            // Headers, then the body by Content-Length.
            loop {
                let n = stream.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        let accept = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (name, value) = l.split_once(':')?;
                                name.eq_ignore_ascii_case("accept")
                                    .then(|| value.trim().to_owned())
                            })
                            .unwrap_or_default();
                        *seen.lock().unwrap() = accept;
                        break;
                    }
                }
            }
            let reason = if status == 200 { "OK" } else { "Client Error" };
            let answer = format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (format!("http://{addr}/paynet/api/v4"), accept)
}

fn client(base_url: &str, json: bool) -> PayneteasyClient {
    let env = Environment::custom(base_url).unwrap();
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    PayneteasyClient::new(
        PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, Arc::new(key))
            .json_mode(json)
            .retry(RetryPolicy::never(std::time::Duration::from_secs(10)))
            .build()
            .unwrap(),
        Transport::new(TransportConfig::default()).unwrap(),
    )
}

fn request() -> StatusRequest {
    StatusRequest::new("34T43R77N")
        .unwrap()
        .with_orderid("6868305")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_mode_asks_for_json_and_reads_numbers_as_text() {
    let (url, accept) = canned(
        200,
        "application/vnd.pay+json;charset=utf-8",
        r#"{"type":"status-response","status":"approved","paynet-order-id":6868305,"amount":10.42,"error-code":0}"#,
    )
    .await;
    let client = client(&url, true);
    assert!(client.config().json_mode());
    let answer = client.status(&Endpoint::Id(1), &request()).await.unwrap();
    assert_eq!(accept.lock().unwrap().as_str(), "application/vnd.pay+json");
    assert_eq!(answer.status, Status::Approved);
    assert_eq!(answer.paynet_order_id.as_deref(), Some("6868305"));
    assert_eq!(answer.amount.as_deref(), Some("10.42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_json_rejection_is_a_gateway_answer() {
    let (url, _) = canned(
        400,
        "application/vnd.pay+json",
        r#"{"error-message":"amount is invalid","error-code":2,"serial-number":"sn-9"}"#,
    )
    .await;
    let err = client(&url, true)
        .status(&Endpoint::Id(1), &request())
        .await
        .unwrap_err();
    match &err {
        Error::Rejected(r) => {
            assert_eq!(r.kind, RejectionKind::Validation);
            assert_eq!(r.code.as_deref(), Some("2"));
            assert_eq!(r.message.as_deref(), Some("amount is invalid"));
            assert_eq!(r.http_status, 400);
            assert_eq!(r.reference.as_deref(), Some("sn-9"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.outcome(), Outcome::NotProcessed);
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_json_answer_is_unreadable() {
    let (url, _) = canned(200, "application/json", r#"{"type":"status-response","sta"#).await;
    let err = client(&url, true)
        .status(&Endpoint::Id(1), &request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                reason: UnreadableReason::Malformed,
                status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::Unknown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_mode_stays_the_default() {
    let (url, accept) = canned(
        200,
        "application/vnd.pay+json",
        r#"{"type":"status-response","status":"approved"}"#,
    )
    .await;
    let client = client(&url, false);
    assert!(!client.config().json_mode());
    let answer = client.status(&Endpoint::Id(1), &request()).await.unwrap();
    assert_eq!(accept.lock().unwrap().as_str(), "*/*");
    // A JSON answer is read by its content type even in form mode (the ephemeral ticket is
    // JSON only).
    assert_eq!(answer.status, Status::Approved);
    // In JSON mode a form answer still reads.
    let (url, _) = canned(
        200,
        "text/html;charset=utf-8",
        "type=status-response\n&status=approved\n",
    )
    .await;
    let answer = self::client(&url, true)
        .status(&Endpoint::Id(1), &request())
        .await
        .unwrap();
    assert_eq!(answer.status, Status::Approved);
}
