//! Server-to-server callbacks against a local receiver: sent when an order becomes final,
//! with a valid `control`, retried with backoff on a failure, given up after the bound.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use paygate_sandbox::payneteasy::{
    CARD_APPROVED, CARD_DECLINED, CallbackPolicy, TEST_CONTROL_KEY, TEST_ENDPOINT_ID,
};
use paygate_sandbox::{PayneteasySandboxConfig, PayneteasyStats, Sandbox};
use payneteasy_codec::encode_control_request;
use payneteasy_proto::{
    Amount, CardNumber, ControlKey, Currency, Cvv2, Endpoint, Environment, Sale, SaleFields,
    SaleRequest, verify_callback_control,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A receiver on loopback answering the first `failures` requests with HTTP 500, then 200;
/// it records every request target.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback?shop=1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut served = 0usize;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head).into_owned();
            let target = text.split(' ').nth(1).unwrap_or("").to_owned();
            log.lock().unwrap().push(target);
            let status = if served < failures {
                "500 Oops"
            } else {
                "200 OK"
            };
            served += 1;
            let answer =
                format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

async fn sandbox(max_attempts: u32) -> Sandbox {
    let mut policy = CallbackPolicy::default();
    policy.max_attempts = max_attempts;
    policy.initial_backoff = Duration::from_millis(20);
    policy.max_backoff = Duration::from_millis(50);
    policy.timeout = Duration::from_secs(5);
    let config = PayneteasySandboxConfig {
        callbacks: policy,
        ..PayneteasySandboxConfig::default()
    };
    Sandbox::builder().payneteasy(config).start().await.unwrap()
}

fn sale(client: &str, card: &str, callback: &str) -> SaleRequest {
    SaleRequest::try_from(SaleFields {
        client_orderid: client.into(),
        order_desc: "callback test".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount: Amount::new("10.42").unwrap(),
        currency: Currency::new("USD").unwrap(),
        ipaddress: "127.0.0.1".into(),
        card_printed_name: "JOHN DOE".into(),
        credit_card_number: CardNumber::new(card).unwrap(),
        expire_month: "12".into(),
        expire_year: "2030".into(),
        cvv2: Cvv2::new("123").unwrap(),
        redirect_url: "http://127.0.0.1:1/return".into(),
        server_callback_url: Some(callback.into()),
        ..SaleFields::default()
    })
    .unwrap()
}

/// POSTs a v2 sale to the sandbox over a real socket; the HTTP status.
async fn post_sale(sandbox: &Sandbox, request: &SaleRequest) -> u16 {
    let env = Environment::custom(&sandbox.payneteasy_v2_base_url()).unwrap();
    let key = ControlKey::new(TEST_CONTROL_KEY).unwrap();
    let http = encode_control_request::<Sale>(&env, &Endpoint::Id(TEST_ENDPOINT_ID), request, &key)
        .unwrap();
    let body = std::str::from_utf8(http.body()).unwrap().to_owned();
    let path = http.uri().path().to_owned();
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let text = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sandbox.local_addr(),
        body.len()
    );
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Waits (bounded) until `done` holds for the stats.
async fn wait_for(sandbox: &Sandbox, done: impl Fn(&PayneteasyStats) -> bool) -> PayneteasyStats {
    for _ in 0..500 {
        let stats = sandbox.payneteasy_stats();
        if done(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("callbacks did not finish: {:?}", sandbox.payneteasy_stats());
}

fn query_value(target: &str, name: &str) -> String {
    let query = target.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {target}"))
        .to_owned()
}

#[tokio::test]
async fn a_final_order_is_called_back_with_a_valid_control_after_a_retry() {
    let (url, seen) = receiver(1).await;
    let sandbox = sandbox(5).await;
    assert_eq!(
        post_sale(&sandbox, &sale("cb-1", CARD_APPROVED, &url)).await,
        200
    );
    let stats = wait_for(&sandbox, |s| s.callbacks_sent == 1).await;
    assert_eq!((stats.callback_attempts, stats.callbacks_failed), (2, 0));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], seen[1], "the retry is the same callback");
    let target = &seen[1];
    assert!(target.starts_with("/callback?shop=1&orderid="), "{target}");
    let key = ControlKey::new(TEST_CONTROL_KEY).unwrap();
    let (status, orderid, client) = (
        query_value(target, "status"),
        query_value(target, "orderid"),
        query_value(target, "client_orderid"),
    );
    assert_eq!(
        (
            status.as_str(),
            client.as_str(),
            query_value(target, "merchant_order").as_str()
        ),
        ("approved", "cb-1", "cb-1")
    );
    assert_eq!(
        (
            query_value(target, "amount").as_str(),
            query_value(target, "type").as_str()
        ),
        ("10.42", "sale")
    );
    assert!(verify_callback_control(
        &status,
        &orderid,
        &client,
        &key,
        &query_value(target, "control")
    ));
}

#[tokio::test]
async fn retries_are_bounded() {
    let (url, seen) = receiver(usize::MAX).await;
    let sandbox = sandbox(3).await;
    assert_eq!(
        post_sale(&sandbox, &sale("cb-2", CARD_DECLINED, &url)).await,
        200
    );
    let stats = wait_for(&sandbox, |s| s.callbacks_failed == 1).await;
    assert_eq!((stats.callback_attempts, stats.callbacks_sent), (3, 0));
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert!(seen.lock().unwrap()[0].contains("status=declined"));
}
