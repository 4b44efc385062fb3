//! The transport against raw loopback sockets that misbehave in exactly one way each.

use std::time::{Duration, Instant};

use bytes::Bytes;
use paygate_client::{
    CallBudget, Error, MaybeSentReason, NotSentReason, Outcome, Transport, TransportConfig,
    UnreadableReason,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn config() -> TransportConfig {
    TransportConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .max_response_bytes(1024)
        .build()
        .unwrap()
}

/// The one deadline of a call, here for a single `send`.
fn budget() -> Option<CallBudget> {
    Some(CallBudget::from_now(Duration::from_millis(500)))
}

fn post(url: &str) -> http::Request<Bytes> {
    http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"a=b"))
        .unwrap()
}

/// A server that reads the request, then answers with `response` (or never, when `None`).
async fn server(response: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = stream.read(&mut buf).await;
                match response {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes).await;
                        let _ = stream.flush().await;
                        // Keep the socket open a little so the client reads what it needs.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    format!("http://{addr}/x")
}

#[tokio::test]
async fn success_reads_status_and_body() {
    let url = server(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello".to_vec(),
    ))
    .await;
    let t = Transport::new(config()).unwrap();
    let response = t.send(post(&url), None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().as_ref(), b"hello");
}

#[tokio::test]
async fn a_server_that_never_answers_is_maybe_sent_after_the_timeout() {
    let url = server(None).await;
    let t = Transport::new(config()).unwrap();
    let started = Instant::now();
    let err = t.send(post(&url), budget()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MaybeSent {
                reason: MaybeSentReason::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.may_have_reached_gateway());
    assert_eq!(err.outcome(), Outcome::Unknown);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no hang past the timeout"
    );
}

/// A server that accepts TCP but never finishes the TLS handshake: the deadline passes while
/// connecting, so nothing was written. The old code said "may have reached the gateway"
/// (`MaybeSent(Timeout)`) for it.
#[tokio::test]
async fn a_deadline_that_passes_while_connecting_is_not_sent() {
    let url = server(None).await.replace("http://", "https://");
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), budget()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::ConnectTimeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.outcome(), Outcome::NotProcessed);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn connection_refused_is_not_sent() {
    // Bind then drop: the port is (almost certainly) closed now.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = Transport::new(config()).unwrap();
    let err = t
        .send(post(&format!("http://{addr}/x")), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.may_have_reached_gateway());
}

#[tokio::test]
async fn declared_oversized_body_is_refused_from_the_headers() {
    let url = server(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 999999\r\n\r\nxxxx".to_vec(),
    ))
    .await;
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                reason: UnreadableReason::TooLarge,
                status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn chunked_oversized_body_stops_at_the_limit() {
    let mut response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..10 {
        response.extend_from_slice(b"200\r\n");
        response.extend_from_slice(&[b'x'; 0x200]);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let url = server(Some(response)).await;
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                reason: UnreadableReason::TooLarge,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn body_cut_short_is_truncated() {
    let url = server(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly a part".to_vec(),
    ))
    .await;
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseUnreadable {
                reason: UnreadableReason::Truncated,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn closed_without_answer_is_maybe_sent() {
    let url = server(Some(Vec::new())).await;
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MaybeSent {
                reason: MaybeSentReason::ConnectionLost,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn https_with_an_untrusted_certificate_is_not_sent() {
    // A plain-text server spoken to over TLS: the handshake fails before any request bytes.
    let url = server(Some(b"HTTP/1.1 200 OK\r\n\r\n".to_vec())).await;
    let url = url.replace("http://", "https://");
    let t = Transport::new(config()).unwrap();
    let err = t.send(post(&url), None).await.unwrap_err();
    assert!(!err.may_have_reached_gateway(), "{err:?}");
}
