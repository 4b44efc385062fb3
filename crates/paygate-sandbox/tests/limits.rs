//! The server's timeouts and connection limits, over 127.0.0.1 with short configured
//! timeouts: every slow client is cut, an oversized request head is refused, and a full
//! connection table sheds its slowest connection so that a normal request is still answered.
//!
//! No test asserts a duration: each waits for the connection to be closed with a generous
//! bound (many times the configured timeout), so a closed connection passes and a connection
//! held open (the behaviour before these limits existed) fails.

use std::time::Duration;

use paygate_sandbox::{
    Fault, FaultController, PayneteasySandboxConfig, Sandbox, ServerLimits, StartError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};

/// How long a test waits for the server to close a connection before calling it held.
const BOUND: Duration = Duration::from_secs(5);
/// A short timeout configured for the phase under test.
const SHORT: Duration = Duration::from_millis(300);
/// A timeout long enough not to interfere with the phase under test.
const LONG: Duration = Duration::from_secs(30);

/// A status request path the Payneteasy half routes (so the body is read).
const STATUS_PATH: &str = "/paynet/api/v4/status/39915";

fn long_limits() -> ServerLimits {
    ServerLimits::default()
        .with_tls_handshake_timeout(LONG)
        .with_header_read_timeout(LONG)
        .with_idle_timeout(LONG)
        .with_body_timeout(LONG)
        .with_send_timeout(LONG)
}

async fn start(limits: ServerLimits, tls: bool) -> Sandbox {
    Sandbox::builder()
        .tls(tls)
        .limits(limits)
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts")
}

async fn connect(sandbox: &Sandbox) -> TcpStream {
    TcpStream::connect(sandbox.local_addr())
        .await
        .expect("connect to the sandbox")
}

/// Reads until the server closes the connection (EOF or a reset), within `bound`.
/// `Some(bytes read)` when it was closed, `None` when it was still open at the bound.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = Instant::now() + bound;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `bytes` one at a time, one every `interval`, until the server closes the connection
/// (a read sees EOF or a reset, or a write fails). `true` when it was closed within `bound`.
async fn drip_until_closed(
    stream: &mut TcpStream,
    bytes: &[u8],
    interval: Duration,
    bound: Duration,
) -> bool {
    let deadline = Instant::now() + bound;
    let mut buf = [0u8; 4096];
    for byte in bytes.iter().cycle() {
        if Instant::now() >= deadline {
            return false;
        }
        if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
            return true;
        }
        // Wait one interval for the server to close; any answer (a 408) is read and ignored.
        let wait_until = Instant::now() + interval;
        loop {
            match tokio::time::timeout_at(wait_until, stream.read(&mut buf)).await {
                Err(_) => break,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }
    false
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_slowloris_request_head_is_closed_after_the_header_timeout() {
    let sandbox = start(
        long_limits()
            .with_header_read_timeout(SHORT)
            .with_idle_timeout(SHORT),
        false,
    )
    .await;
    let mut stream = connect(&sandbox).await;
    let mut head = format!("GET {STATUS_PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: ").into_bytes();
    head.extend(std::iter::repeat_n(b'a', 1000));
    assert!(
        drip_until_closed(&mut stream, &head, Duration::from_millis(200), BOUND).await,
        "a request head sent at 1 byte / 200 ms must be cut"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() {
    let sandbox = start(long_limits().with_idle_timeout(SHORT), false).await;
    let mut stream = connect(&sandbox).await;
    assert!(read_until_closed(&mut stream, BOUND).await.is_some());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let sandbox = start(long_limits().with_idle_timeout(SHORT), false).await;
    let mut stream = connect(&sandbox).await;
    stream
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = timeout(BOUND, stream.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    assert!(
        text(&buf[..n]).starts_with("HTTP/1.1 404"),
        "{}",
        text(&buf[..n])
    );
    // Keep-alive: nothing more is sent; the server must close the connection.
    assert!(read_until_closed(&mut stream, BOUND).await.is_some());
}

#[tokio::test]
async fn a_keep_alive_connection_in_use_is_not_cut_by_the_idle_timeout() {
    let sandbox = start(
        long_limits().with_idle_timeout(Duration::from_millis(500)),
        false,
    )
    .await;
    let mut stream = connect(&sandbox).await;
    // Five requests 200 ms apart: each gap is under the idle timeout, the total is over it.
    for _ in 0..5 {
        stream
            .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = timeout(BOUND, stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(
            text(&buf[..n]).starts_with("HTTP/1.1 404"),
            "{}",
            text(&buf[..n])
        );
        sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_tls_client_hello_dripped_slowly_is_dropped() {
    let sandbox = start(long_limits().with_tls_handshake_timeout(SHORT), true).await;
    let mut stream = connect(&sandbox).await;
    // A handshake record announcing a 512-byte ClientHello, then its bytes one at a time.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ];
    hello.extend(std::iter::repeat_n(0u8, 500));
    assert!(
        drip_until_closed(&mut stream, &hello, Duration::from_millis(200), BOUND).await,
        "a ClientHello sent at 1 byte / 200 ms must be dropped"
    );
}

#[tokio::test]
async fn a_body_that_never_arrives_is_cut() {
    let sandbox = start(long_limits().with_body_timeout(SHORT), false).await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST {STATUS_PATH} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, BOUND)
        .await
        .expect("the connection is closed");
    assert!(
        text(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        text(&answer)
    );
}

#[tokio::test]
async fn a_content_length_of_ten_gigabytes_is_refused_at_once() {
    let sandbox = start(long_limits(), false).await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST {STATUS_PATH} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, BOUND)
        .await
        .expect("the connection is closed");
    assert!(
        text(&answer).starts_with("HTTP/1.1 413"),
        "{}",
        text(&answer)
    );
}

#[tokio::test]
async fn an_endless_chunked_body_dripped_slowly_is_cut() {
    let sandbox = start(long_limits().with_body_timeout(SHORT), false).await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST {STATUS_PATH} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    assert!(
        drip_until_closed(
            &mut stream,
            b"1\r\na\r\n",
            Duration::from_millis(100),
            BOUND
        )
        .await,
        "a chunked body that never ends must be cut"
    );
}

#[tokio::test]
async fn expect_100_continue_without_a_body_is_cut() {
    let sandbox = start(long_limits().with_body_timeout(SHORT), false).await;
    let mut stream = connect(&sandbox).await;
    let head = format!(
        "POST {STATUS_PATH} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, BOUND)
        .await
        .expect("the connection is closed");
    assert!(text(&answer).contains("HTTP/1.1 408"), "{}", text(&answer));
}

#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let sandbox = start(long_limits().with_max_header_bytes(8 * 1024), false).await;
    let mut stream = connect(&sandbox).await;
    let big = "b".repeat(20 * 1024);
    let head = format!("GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    // The server may close before it has read everything: a failed write is fine.
    let _ = stream.write_all(head.as_bytes()).await;
    let answer = read_until_closed(&mut stream, BOUND)
        .await
        .expect("the connection is closed");
    assert!(
        text(&answer).starts_with("HTTP/1.1 431"),
        "{}",
        text(&answer)
    );
}

#[tokio::test]
async fn a_full_connection_table_sheds_the_slowest_connection_for_a_normal_request() {
    let sandbox = start(long_limits().with_max_connections(20), false).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = connect(&sandbox).await;
        stream
            .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
        sleep(Duration::from_millis(10)).await;
    }
    // Let the server take every slow connection into its table.
    sleep(Duration::from_millis(200)).await;
    let mut normal = connect(&sandbox).await;
    normal
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut normal, BOUND)
        .await
        .expect("the normal request is answered");
    assert!(
        text(&answer).starts_with("HTTP/1.1 404"),
        "{}",
        text(&answer)
    );
    // The oldest slow connection made room for it.
    assert!(
        read_until_closed(&mut slow[0], BOUND).await.is_some(),
        "the slow connection waiting longest must be shed"
    );
}

#[tokio::test]
async fn a_full_table_of_requests_being_answered_refuses_a_new_connection() {
    let faults = FaultController::default();
    faults.set_always("*", Some(Fault::Delay(Duration::from_secs(2))));
    let sandbox = Sandbox::builder()
        .limits(long_limits().with_max_connections(2))
        .faults(faults)
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts");
    let request = format!("GET {STATUS_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&sandbox).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        busy.push(stream);
    }
    sleep(Duration::from_millis(300)).await;
    // Both requests are being answered (delayed): nothing can be shed, the newcomer is refused.
    let mut third = connect(&sandbox).await;
    let _ = third.write_all(request.as_bytes()).await;
    let refused = read_until_closed(&mut third, BOUND)
        .await
        .expect("the new connection is closed");
    assert!(
        refused.is_empty(),
        "refused without an answer: {}",
        text(&refused)
    );
    // The two requests being answered were not shed.
    for stream in &mut busy {
        let answer = read_until_closed(stream, BOUND)
            .await
            .expect("answered, then closed");
        assert!(text(&answer).starts_with("HTTP/1.1 "), "{}", text(&answer));
    }
}

#[tokio::test]
async fn invalid_limits_are_refused_at_start() {
    for limits in [
        ServerLimits::default().with_header_read_timeout(Duration::ZERO),
        ServerLimits::default().with_max_connections(0),
        ServerLimits::default().with_max_header_bytes(10),
    ] {
        let started = Sandbox::builder().limits(limits).start().await;
        assert!(
            matches!(started, Err(StartError::Config(_))),
            "{limits:?}: {started:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_the_client_does_not_read_is_cut_after_the_send_timeout() {
    const ANSWER_BYTES: usize = 16 * 1024 * 1024;
    let faults = FaultController::default();
    faults.push("status", Fault::Oversized(ANSWER_BYTES));
    let sandbox = Sandbox::builder()
        .limits(long_limits().with_send_timeout(SHORT))
        .faults(faults)
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts");
    // A small receive buffer, so that the socket buffers cannot take the whole answer.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    let mut stream = socket.connect(sandbox.local_addr()).await.unwrap();
    let request = format!("GET {STATUS_PATH} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    // Do not read: the socket buffers fill up and the answer stops making progress.
    sleep(Duration::from_secs(2)).await;
    let got = read_until_closed(&mut stream, BOUND)
        .await
        .expect("the connection is closed");
    assert!(
        got.len() < ANSWER_BYTES,
        "the answer was cut: {} bytes read",
        got.len()
    );
}
