//! The console's request log against a real sandbox on loopback: each refusal names its
//! check, the mistake behind a bad signature is found, secrets never appear, the ring is
//! bounded, and `GET /console/log.json` gives what `Sandbox::request_log` gives.

use std::time::Duration;

use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, sign, unix_timestamp_now};
use paygate_sandbox::console::{Check, LoggedRequest, Verdict};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: &str = "application/x-www-form-urlencoded";

async fn sandbox(capacity: usize) -> Sandbox {
    Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .request_log_capacity(capacity)
        .start()
        .await
        .expect("sandbox starts")
}

fn body() -> String {
    format!("client_orderid={APPROVED_CLIENT_ORDERID}&orderid={APPROVED_ORDERID}")
}

/// An `Authorization` header for `POST url` with `body` (signed as a form), at `timestamp`.
fn authorization(url: &str, body: &str, nonce: &str, timestamp: u64) -> String {
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let url = RequestUrl::parse(url).unwrap();
    let request = Request::new("POST", url).with_body(Some(FORM), body.as_bytes());
    let params = OAuthParams::new(TEST_MERCHANT_LOGIN, nonce, timestamp);
    sign(&request, &params, &key)
        .unwrap()
        .authorization()
        .to_owned()
}

/// One raw HTTP/1.1 request; the status and the body of the answer.
async fn send(
    sandbox: &Sandbox,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
    let mut text = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n",
        sandbox.local_addr()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn path() -> String {
    format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}")
}

fn last(sandbox: &Sandbox) -> LoggedRequest {
    sandbox.request_log().pop().expect("a logged request")
}

#[tokio::test]
async fn the_log_names_the_check_and_finds_the_mistake() {
    let sandbox = sandbox(100).await;
    let url = format!("{}{}", sandbox.base_url(), path());
    let form = ("Content-Type", FORM.to_owned());

    // Accepted: the base string is the one the client signed.
    let auth = authorization(&url, &body(), "n-ok", unix_timestamp_now());
    let (status, _) = send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth.clone())],
        &body(),
    )
    .await;
    assert_eq!(status, 200);
    let entry = last(&sandbox);
    assert_eq!(entry.verdict, Verdict::Accepted);
    assert_eq!(entry.merchant.as_deref(), Some(TEST_MERCHANT_LOGIN));
    assert_eq!(entry.command.as_deref(), Some("create-card-ref"));
    assert_eq!(entry.endpoint.as_deref(), Some("39915"));
    assert!(
        entry
            .base_string
            .as_deref()
            .unwrap()
            .starts_with("POST&http%3A%2F%2F127.0.0.1")
    );
    assert!(
        entry
            .authorization
            .as_deref()
            .unwrap()
            .contains("oauth_signature=\"<elided>\"")
    );
    assert!(
        !format!("{entry:?}").contains(
            auth.split("oauth_signature=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        )
    );

    // The same request again: a replayed nonce.
    send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &body(),
    )
    .await;
    assert_eq!(last(&sandbox).check, Some(Check::ReplayedNonce));

    // Signed for https, sent over http: found.
    let https = url.replacen("http://", "https://", 1);
    let auth = authorization(&https, &body(), "n-https", unix_timestamp_now());
    let (status, _) = send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &body(),
    )
    .await;
    assert_eq!(status, 403);
    let entry = last(&sandbox);
    assert_eq!(
        (entry.verdict, entry.check),
        (Verdict::Refused, Some(Check::Signature))
    );
    assert_eq!(entry.hints[0].cause, "scheme");
    assert!(entry.hints[0].confirmed);

    // Signed without the port: found.
    let no_port = format!("http://127.0.0.1{}", path());
    let auth = authorization(&no_port, &body(), "n-port", unix_timestamp_now());
    send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &body(),
    )
    .await;
    assert_eq!(last(&sandbox).hints[0].cause, "port");

    // A literal + signed as a plus sign, sent unencoded (a space on the wire): found.
    let plus_body = format!("client_orderid=A+B&orderid={APPROVED_ORDERID}");
    let signed_as = format!("client_orderid=A%2BB&orderid={APPROVED_ORDERID}");
    let auth = authorization(&url, &signed_as, "n-plus", unix_timestamp_now());
    send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &plus_body,
    )
    .await;
    assert_eq!(last(&sandbox).hints[0].cause, "plus_encoding");

    // The body sent as text/plain: not signed; found.
    let auth = authorization(&url, &body(), "n-type", unix_timestamp_now());
    send(
        &sandbox,
        "POST",
        &path(),
        &[
            ("Content-Type", "text/plain".to_owned()),
            ("Authorization", auth),
        ],
        &body(),
    )
    .await;
    let entry = last(&sandbox);
    assert_eq!(entry.check, Some(Check::Signature));
    assert_eq!(entry.hints[0].cause, "content_type");

    // login in the body, not signed: found.
    let with_login = format!("login={TEST_MERCHANT_LOGIN}&{}", body());
    let auth = authorization(&url, &body(), "n-login", unix_timestamp_now());
    send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &with_login,
    )
    .await;
    assert_eq!(last(&sandbox).hints[0].cause, "login_in_body");

    // An hour ahead: the clock difference.
    let auth = authorization(&url, &body(), "n-late", unix_timestamp_now() + 3600);
    send(
        &sandbox,
        "POST",
        &path(),
        &[form.clone(), ("Authorization", auth)],
        &body(),
    )
    .await;
    let entry = last(&sandbox);
    assert_eq!(entry.check, Some(Check::Timestamp));
    let diff = entry.clock_difference_secs.unwrap();
    assert!((3590..=3610).contains(&diff), "{diff}");
    assert_eq!(entry.hints[0].cause, "clock");

    // No Authorization, a GET, an unknown command.
    send(
        &sandbox,
        "POST",
        &path(),
        std::slice::from_ref(&form),
        &body(),
    )
    .await;
    assert_eq!(last(&sandbox).check, Some(Check::Authorization));
    send(&sandbox, "GET", &path(), &[], "").await;
    assert_eq!(last(&sandbox).check, Some(Check::HttpMethod));
    send(&sandbox, "POST", "/paynet/api/v4/nope/1", &[], "").await;
    assert_eq!(last(&sandbox).check, Some(Check::Route));
}

#[tokio::test]
async fn secrets_never_appear_and_the_json_is_the_log() {
    let sandbox = sandbox(100).await;
    let pan = "4111111111111111";
    let v2 = format!(
        "login={TEST_MERCHANT_LOGIN}&client_orderid=PAN-1&order_desc=x&first_name=A&last_name=B\
         &address1=a&city=c&zip_code=1&country=US&phone=1&email=a%40b.c&amount=10.00&currency=USD\
         &ipaddress=1.2.3.4&site_url=http%3A%2F%2Fa&redirect_url=http%3A%2F%2Fa%2Fr&credit_card_number={pan}&card_printed_name=A\
         &expire_month=12&expire_year=2030&cvv2=987&control=00112233445566778899aabbccddeeff00112233"
    );
    let (status, _) = send(
        &sandbox,
        "POST",
        &format!("/paynet/api/v2/sale/{TEST_ENDPOINT_ID}"),
        &[("Content-Type", FORM.to_owned())],
        &v2,
    )
    .await;
    assert_eq!(status, 200);
    let entry = last(&sandbox);
    assert_eq!(entry.verdict, Verdict::Rejected);
    assert_eq!(entry.check, Some(Check::Control), "{entry:?}");
    assert!(
        entry
            .hints
            .iter()
            .any(|h| h.cause == "control" && h.text.contains("ENDPOINTID"))
    );
    let field = |name: &str| {
        entry
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("credit_card_number"), Some("************1111"));
    assert_eq!(field("control"), Some("<present>"));
    assert_eq!(field("cvv2"), None);

    let (status, json) = send(&sandbox, "GET", "/console/log.json", &[], "").await;
    assert_eq!(status, 200);
    assert!(!json.contains(pan) && !json.contains("987") && !json.contains("00112233445566778899"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["capacity"], 100);
    let entries: Vec<LoggedRequest> = serde_json::from_value(value["entries"].clone()).unwrap();
    assert_eq!(entries, sandbox.request_log());
    assert_eq!(value["entries"][0]["verdict"], "rejected");
    assert_eq!(value["entries"][0]["check"], "control");

    let (_, page) = send(&sandbox, "GET", "/console/log", &[], "").await;
    assert!(!page.contains(pan) && page.contains("************1111"));
    // The console itself is not logged.
    assert_eq!(sandbox.request_log().len(), 1);
}

#[tokio::test]
async fn the_ring_keeps_the_last_n_and_zero_turns_it_off() {
    let sandbox = sandbox(3).await;
    for _ in 0..5 {
        send(&sandbox, "GET", &path(), &[], "").await;
    }
    let seqs: Vec<u64> = sandbox.request_log().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
    sandbox.clear_request_log();
    assert!(sandbox.request_log().is_empty());

    let off = self::sandbox(0).await;
    send(&off, "GET", &path(), &[], "").await;
    assert!(off.request_log().is_empty());
    assert_eq!(
        off.console_url(),
        Some(format!("{}/console/", off.base_url()))
    );
    let none = Sandbox::builder().console(false).start().await.unwrap();
    assert_eq!(none.console_url(), None);
    let (status, _) = send(&none, "GET", "/console/", &[], "").await;
    assert_eq!(status, 404);
}
