//! The whole Payneteasy lifecycle through the library against the embedded sandbox, over real
//! loopback sockets: v2 commands signed by `control`, the status waiter (3-D Secure `html`, long
//! processing, the deadline), the payer's return and the server callback verified and
//! confirmed with `status`, and JSON mode.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use oauth1_signer::RsaPrivateKey;
use paygate_client::payneteasy::{
    ConfirmError, NextAction, PollSchedule, StatusQuery, WaitOutcome,
};
use paygate_client::{
    Error, NotSentReason, Outcome, PayneteasyClient, PayneteasyConfig, RejectionKind, RetryPolicy,
    Transport, TransportConfig,
};
use paygate_sandbox::payneteasy::{
    AMOUNT_LONG_PROCESSING, CARD_3DS, CARD_APPROVED, CARD_DECLINED, LONG_PROCESSING_POLLS,
    TEST_CONTROL_KEY, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN, TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use payneteasy_proto::{
    Amount, ApiVersion, CallbackError, CardNumber, ControlKey, CreateCardRefV2,
    CreateCardRefV2Request, Currency, Cvv2, Endpoint, Environment, MakeRebillRequest,
    MakeRebillSale, Return, ReturnRequest, Sale, SaleFields, SaleRequest, Status, StatusV2,
    StatusV2Request, TransactionType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const ENDPOINT: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .expect("sandbox starts")
}

fn client_of(sandbox: &Sandbox, control: Option<&str>, json: bool) -> PayneteasyClient {
    let env = Environment::custom(&sandbox.payneteasy_base_url()).unwrap();
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let mut config = PayneteasyConfig::builder(env, TEST_MERCHANT_LOGIN, Arc::new(key))
        .json_mode(json)
        .retry(RetryPolicy::never(Duration::from_secs(10)));
    if let Some(control) = control {
        config = config.control_key(ControlKey::new(control).unwrap());
    }
    PayneteasyClient::new(
        config.build().unwrap(),
        Transport::new(TransportConfig::default()).unwrap(),
    )
}

fn client(sandbox: &Sandbox) -> PayneteasyClient {
    client_of(sandbox, Some(TEST_CONTROL_KEY), false)
}

/// Polls quickly (the sandbox answers at once).
fn fast() -> PollSchedule {
    PollSchedule::builder()
        .interval(Duration::from_millis(10))
        .slow_interval(Duration::from_millis(10))
        .deadline(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn sale(client_orderid: &str, amount: &str, card: &str, return_url: &str) -> SaleRequest {
    SaleRequest::try_from(SaleFields {
        client_orderid: client_orderid.into(),
        order_desc: "lifecycle test".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount: Amount::new(amount).unwrap(),
        currency: Currency::new("USD").unwrap(),
        ipaddress: "127.0.0.1".into(),
        card_printed_name: "JOHN DOE".into(),
        credit_card_number: CardNumber::new(card).unwrap(),
        expire_month: "12".into(),
        expire_year: "2030".into(),
        cvv2: Cvv2::new("123").unwrap(),
        redirect_url: return_url.into(),
        server_callback_url: Some(format!("{return_url}/callback")),
        ..SaleFields::default()
    })
    .unwrap()
}

fn v2_status(client_orderid: &str, orderid: &str) -> StatusQuery {
    StatusQuery::V2(StatusV2Request::new(TEST_MERCHANT_LOGIN, client_orderid, orderid).unwrap())
}

/// One request received by [`receiver`]: method, target (path and query), body.
type Received = (String, String, Vec<u8>);

/// A loopback HTTP server that answers 200 to everything and reports what it received.
async fn receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/merchant", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let (head, body) = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).into_owned();
                    let length = head
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if data.len() >= end + 4 + length {
                        break (head, data[end + 4..end + 4 + length].to_vec());
                    }
                };
                let mut line = head.lines().next().unwrap_or("").split(' ');
                let method = line.next().unwrap_or("").to_owned();
                let target = line.next().unwrap_or("").to_owned();
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK",
                    )
                    .await;
                let _ = tx.send((method, target, body)).await;
            });
        }
    });
    (url, rx)
}

/// The action and the fields of the first form of a page (what a browser would post).
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        )
    }
    let form = &html[html.find("<form").expect("a form")..];
    let form = &form[..form.find("</form>").expect("a form end")];
    let action = attr(&form[..form.find('>').unwrap()], "action").expect("an action");
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
        .collect();
    (action, fields)
}

/// `action` (absolute, or a path) as seen from the page at `page`.
fn resolve(page: &str, action: &str) -> String {
    if !action.starts_with('/') {
        return action.to_owned();
    }
    let uri: http::Uri = page.parse().unwrap();
    format!(
        "{}://{}{action}",
        uri.scheme_str().unwrap(),
        uri.authority().unwrap()
    )
}

/// Posts a form as the payer's browser does; the page that comes back.
async fn post_form(transport: &Transport, url: &str, fields: &[(String, String)]) -> String {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    let request = http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from(payneteasy_codec::encode_form(&pairs)))
        .unwrap();
    let response = transport.send(request, None).await.unwrap();
    String::from_utf8(response.body().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_sale_to_refund_with_verified_returns_and_callbacks() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (merchant, mut received) = receiver().await;

    // sale with a 3-D Secure card: accepted, processing.
    let accepted = client
        .execute::<Sale>(&ENDPOINT, &sale("tds-1", "10.42", CARD_3DS, &merchant))
        .await
        .unwrap();
    assert_eq!(accepted.status, Some(Status::Processing));
    let orderid = accepted.paynet_order_id.clone().unwrap();

    // status: the payer must be shown the challenge page, reported once.
    let mut waiter = client.waiter(&ENDPOINT, v2_status("tds-1", &orderid), fast());
    let html = match waiter.next().await.unwrap() {
        WaitOutcome::Action {
            action: NextAction::ShowHtml(html),
            response,
        } => {
            assert_eq!(response.status, Status::Processing);
            html
        }
        other => panic!("{other:?}"),
    };

    // The payer: the challenge page posts to the ACS, which asks; "Authenticate".
    let transport = Transport::new(TransportConfig::default()).unwrap();
    let (acs, fields) = form_of(&html);
    let acs_page = post_form(&transport, &acs, &fields).await;
    let (answer_url, _) = form_of(&acs_page);
    let returning = post_form(
        &transport,
        &resolve(&acs, &answer_url),
        &[("result".to_owned(), "success".to_owned())],
    )
    .await;
    // The page posts the customer return to redirect_url: the merchant receives it.
    let (return_url, return_fields) = form_of(&returning);
    assert_eq!(return_url, merchant);
    post_form(&transport, &return_url, &return_fields).await;
    // The server callback of the approved sale may come first.
    let mut callbacks = Vec::new();
    let body = loop {
        let (method, target, body) = received.recv().await.unwrap();
        match method.as_str() {
            "POST" => break body,
            _ => callbacks.push(target),
        }
    };
    let customer_return = payneteasy_codec::parse_customer_return(&body).unwrap();
    let confirmed = client
        .confirm_customer_return(&ENDPOINT, &customer_return, ApiVersion::V2)
        .await
        .unwrap();
    assert!(confirmed.agrees && confirmed.is_approved(), "{confirmed:?}");

    // The waiter now sees the final status.
    match waiter.next().await.unwrap() {
        WaitOutcome::Final(r) => assert_eq!(r.status, Status::Approved),
        other => panic!("{other:?}"),
    }

    // The server callback of the approved sale: verified, then confirmed.
    let callback = match callbacks.pop() {
        Some(target) => target,
        None => received.recv().await.unwrap().1,
    };
    let query = callback.split_once('?').unwrap().1;
    let callback = payneteasy_codec::parse_server_callback(query).unwrap();
    assert_eq!(callback.orderid, orderid);
    let confirmed = client
        .confirm_callback(&ENDPOINT, &callback, ApiVersion::V2)
        .await
        .unwrap();
    assert!(confirmed.is_approved());
    // A forged control is refused before anything is sent.
    let mut forged = callback.clone();
    forged.control = "0".repeat(40);
    assert!(matches!(
        client
            .confirm_callback(&ENDPOINT, &forged, ApiVersion::V2)
            .await,
        Err(ConfirmError::Unverified(CallbackError::BadControl))
    ));

    // create-card-ref (v2) → make-rebill-sale → wait.
    let card_ref = client
        .execute::<CreateCardRefV2>(
            &ENDPOINT,
            &CreateCardRefV2Request::new(TEST_MERCHANT_LOGIN, "tds-1", &orderid).unwrap(),
        )
        .await
        .unwrap();
    let cardrefid = card_ref.card_ref_id.clone().expect("a card-ref-id");
    let rebill = client
        .execute::<MakeRebillSale>(
            &ENDPOINT,
            &MakeRebillRequest::new(
                TEST_MERCHANT_LOGIN,
                "rebill-1",
                cardrefid.as_str(),
                Amount::new("5.00").unwrap(),
                Currency::new("USD").unwrap(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let rebill_id = rebill.paynet_order_id.clone().unwrap();
    let outcome = client
        .wait_for_status(&ENDPOINT, v2_status("rebill-1", &rebill_id), fast())
        .await
        .unwrap();
    assert!(
        matches!(&outcome, WaitOutcome::Final(r) if r.status == Status::Approved),
        "{outcome:?}"
    );

    // Partial return of the first sale.
    let refund = ReturnRequest::new(TEST_MERCHANT_LOGIN, "tds-1", &orderid)
        .unwrap()
        .with_amount(Amount::new("4.00").unwrap(), Currency::new("USD").unwrap())
        .unwrap();
    client.execute::<Return>(&ENDPOINT, &refund).await.unwrap();
    let refunded = client
        .status_v2(
            &ENDPOINT,
            &StatusV2Request::new(TEST_MERCHANT_LOGIN, "tds-1", &orderid).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(refunded.transaction_type, Some(TransactionType::Reversal));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_processing_is_polled_until_final_and_a_short_deadline_is_not_final() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let long = |id: &str| {
        sale(
            id,
            AMOUNT_LONG_PROCESSING,
            CARD_APPROVED,
            "http://127.0.0.1:1/r",
        )
    };

    let accepted = client
        .execute::<Sale>(&ENDPOINT, &long("long-1"))
        .await
        .unwrap();
    let orderid = accepted.paynet_order_id.unwrap();
    let mut waiter = client.waiter(&ENDPOINT, v2_status("long-1", &orderid), fast());
    match waiter.next().await.unwrap() {
        WaitOutcome::Final(r) => assert_eq!(r.status, Status::Approved),
        other => panic!("{other:?}"),
    }
    assert!(
        waiter.polls() >= LONG_PROCESSING_POLLS,
        "{}",
        waiter.polls()
    );

    // A deadline that allows one poll: still processing.
    let accepted = client
        .execute::<Sale>(&ENDPOINT, &long("long-2"))
        .await
        .unwrap();
    let orderid = accepted.paynet_order_id.unwrap();
    let one_poll = PollSchedule::builder()
        .interval(Duration::from_secs(30))
        .slow_interval(Duration::from_secs(30))
        .deadline(Duration::from_secs(5))
        .build()
        .unwrap();
    match client
        .wait_for_status(&ENDPOINT, v2_status("long-2", &orderid), one_poll)
        .await
        .unwrap()
    {
        WaitOutcome::NotFinal(r) => assert_eq!(r.status, Status::Processing),
        other => panic!("{other:?}"),
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v2_command_without_the_control_key_is_not_sent() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox, None, false);
    let err = client
        .execute::<StatusV2>(
            &ENDPOINT,
            &StatusV2Request::new(TEST_MERCHANT_LOGIN, "a", "1").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotSent {
                reason: NotSentReason::Configuration,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sandbox.requests_served(), 0);
    // A wrong control key: the gateway refuses the control, nothing is processed.
    let wrong = client_of(&sandbox, Some("not-the-key"), false);
    let err = wrong
        .execute::<StatusV2>(
            &ENDPOINT,
            &StatusV2Request::new(TEST_MERCHANT_LOGIN, "a", "1").unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.outcome(), Outcome::NotProcessed, "{err:?}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_mode_against_the_sandbox() {
    let sandbox = sandbox().await;
    let client = client_of(&sandbox, Some(TEST_CONTROL_KEY), true);
    let accepted = client
        .execute::<Sale>(
            &ENDPOINT,
            &sale("json-1", "1.00", CARD_DECLINED, "http://127.0.0.1:1/r"),
        )
        .await
        .unwrap();
    let orderid = accepted.paynet_order_id.unwrap();
    match client
        .wait_for_status(&ENDPOINT, v2_status("json-1", &orderid), fast())
        .await
        .unwrap()
    {
        WaitOutcome::Final(r) => assert_eq!(r.status, Status::Declined),
        other => panic!("{other:?}"),
    }
    // A rejection in JSON mode: HTTP 4xx with a JSON body, still the gateway's answer.
    let err = client
        .execute::<MakeRebillSale>(
            &ENDPOINT,
            &MakeRebillRequest::new(
                TEST_MERCHANT_LOGIN,
                "json-2",
                "999999",
                Amount::new("1.00").unwrap(),
                Currency::new("USD").unwrap(),
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::Rejected(r) => {
            assert_eq!(r.kind, RejectionKind::Validation);
            assert!((400..500).contains(&r.http_status), "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.outcome(), Outcome::NotProcessed);
    sandbox.shutdown().await;
}
