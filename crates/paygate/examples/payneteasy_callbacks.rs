//! A Payneteasy callback endpoint: it serves the server-to-server callback (`GET
//! /callback?…`) and the payer's return (`POST /return`), verifies each `control` with the
//! merchant control key, deduplicates callbacks, and confirms the outcome with `status`
//! before acting on it.
//!
//! To see it work, the example starts the embedded sandbox and makes a v2 `sale` with the
//! sandbox's 3-D Secure test card, `redirect_url` and `server_callback_url` pointing at the
//! endpoint; it then plays the payer's browser (the challenge page, the ACS, the return).
//!
//! ```sh
//! cargo run -p paygate --features sandbox --example payneteasy_callbacks
//! ```
//!
//! The endpoint reads HTTP/1.1 by hand to keep the example free of a web framework; in an
//! application, [`handle`] is what your framework's route handlers call.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paygate::oauth1::RsaPrivateKey;
use paygate::payneteasy::codec::{parse_customer_return, parse_server_callback};
use paygate::payneteasy::{
    self, Amount, ApiVersion, CardNumber, ConfirmError, ControlKey, Currency, Cvv2, DedupKey,
    Endpoint, Environment, NextAction, PollSchedule, Sale, SaleFields, SaleRequest,
    StatusV2Request, WaitOutcome,
};
use paygate::sandbox::payneteasy::{
    CARD_3DS, TEST_CONTROL_KEY, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate::sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the endpoint needs: a client with the control key, the endpoint id, and the callbacks
/// already handled.
struct Merchant {
    client: payneteasy::Client,
    endpoint: Endpoint,
    seen: Mutex<HashSet<DedupKey>>,
    events: tokio::sync::mpsc::Sender<String>,
}

/// An HTTP answer: status, content type, body.
type Answer = (u16, &'static str, String);

/// The endpoint: one request in, one answer out.
async fn handle(merchant: &Merchant, method: &str, target: &str, body: &[u8]) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match (method, path) {
        ("GET", "/callback") => {
            let Ok(callback) = parse_server_callback(query) else {
                return (400, "text/plain", "unreadable callback\n".into());
            };
            // The gateway repeats a callback until it gets 200: act once per key.
            if !merchant.seen.lock().unwrap().insert(callback.dedup_key()) {
                return (200, "text/plain", "OK\n".into());
            }
            match merchant
                .client
                .confirm_callback(&merchant.endpoint, &callback, ApiVersion::V2)
                .await
            {
                Ok(confirmed) => {
                    let _ = merchant
                        .events
                        .send(format!(
                            "server callback: {} {} for order {}; status says {} (agrees: {})",
                            callback
                                .transaction_type
                                .as_ref()
                                .map_or("-", |t| t.as_str()),
                            callback.status,
                            callback.orderid,
                            confirmed.status.status,
                            confirmed.agrees
                        ))
                        .await;
                    // Fulfil the order here when confirmed.is_approved().
                    (200, "text/plain", "OK\n".into())
                }
                Err(ConfirmError::Unverified(e)) => {
                    merchant.seen.lock().unwrap().remove(&callback.dedup_key());
                    (403, "text/plain", format!("{e}\n"))
                }
                // Not confirmed yet: no 200, so the gateway calls again later.
                Err(e) => {
                    merchant.seen.lock().unwrap().remove(&callback.dedup_key());
                    (503, "text/plain", format!("{e}\n"))
                }
            }
        }
        ("POST", "/return") => {
            let Ok(customer_return) = parse_customer_return(body) else {
                return (400, "text/plain", "unreadable return\n".into());
            };
            match merchant
                .client
                .confirm_customer_return(&merchant.endpoint, &customer_return, ApiVersion::V2)
                .await
            {
                Ok(confirmed) => {
                    let _ = merchant
                        .events
                        .send(format!(
                            "customer return: {} for order {}; status says {}",
                            customer_return.status,
                            customer_return.orderid,
                            confirmed.status.status
                        ))
                        .await;
                    let text = if confirmed.is_approved() {
                        "Thank you: your payment is approved."
                    } else {
                        "Your payment is not approved."
                    };
                    (200, "text/html", format!("<p>{text}</p>\n"))
                }
                Err(ConfirmError::Unverified(e)) => (403, "text/plain", format!("{e}\n")),
                Err(e) => (503, "text/plain", format!("{e}\n")),
            }
        }
        _ => (404, "text/plain", "not found\n".into()),
    }
}

/// Serves `merchant` on `listener`: HTTP/1.1, one request per connection, bodies up to 64 KiB.
async fn serve(listener: tokio::net::TcpListener, merchant: Arc<Merchant>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let merchant = merchant.clone();
        tokio::spawn(async move {
            let Some((method, target, body)) = read_request(&mut stream).await else {
                return;
            };
            let (status, content_type, text) = handle(&merchant, &method, &target, &body).await;
            let head = format!(
                "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                if status == 200 { "OK" } else { "Refused" },
                text.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(text.as_bytes()).await;
        });
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || data.len() + n > 64 * 1024 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let length: usize = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        if data.len() >= end + 4 + length {
            let mut line = head.lines().next()?.split(' ');
            let (method, target) = (line.next()?.to_owned(), line.next()?.to_owned());
            return Some((method, target, data[end + 4..end + 4 + length].to_vec()));
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await?;
    // In production: Environment::Production, the merchant's PEM key and control key.
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)?;
    let config = payneteasy::Config::builder(
        Environment::custom(&sandbox.payneteasy_base_url())?,
        TEST_MERCHANT_LOGIN,
        Arc::new(key),
    )
    .control_key(ControlKey::new(TEST_CONTROL_KEY)?)
    .build()?;
    let client = payneteasy::Client::with_transport_config(config, Default::default())?;
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (events, mut received) = tokio::sync::mpsc::channel(16);
    let merchant = Arc::new(Merchant {
        client: client.clone(),
        endpoint,
        seen: Mutex::new(HashSet::new()),
        events,
    });
    tokio::spawn(serve(listener, merchant));
    println!("callback endpoint at {base}/callback and {base}/return");

    let sale = SaleRequest::try_from(SaleFields {
        client_orderid: "example-callbacks-1".into(),
        order_desc: "callback example".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount: Amount::new("19.99")?,
        currency: Currency::new("EUR")?,
        ipaddress: "127.0.0.1".into(),
        card_printed_name: "JOHN DOE".into(),
        credit_card_number: CardNumber::new(CARD_3DS)?,
        expire_month: "12".into(),
        expire_year: "2030".into(),
        cvv2: Cvv2::new("123")?,
        redirect_url: format!("{base}/return"),
        server_callback_url: Some(format!("{base}/callback")),
        ..SaleFields::default()
    })?;
    let accepted = client.execute::<Sale>(&endpoint, &sale).await?;
    let orderid = accepted.paynet_order_id.ok_or("no paynet-order-id")?;
    println!("sale accepted: order {orderid}, {:?}", accepted.status);

    let query = StatusV2Request::new(TEST_MERCHANT_LOGIN, "example-callbacks-1", &orderid)?;
    let schedule = PollSchedule::builder()
        .interval(Duration::from_millis(200))
        .deadline(Duration::from_secs(30))
        .build()?;
    let mut waiter = client.waiter(&endpoint, query, schedule);
    loop {
        match waiter.next().await? {
            WaitOutcome::Action {
                action: NextAction::ShowHtml(html),
                ..
            } => {
                println!(
                    "the payer is shown the 3-D Secure page ({} bytes)",
                    html.len()
                );
                play_the_payer(&html).await?;
            }
            WaitOutcome::Final(status) => {
                println!("final status: {}", status.status);
                break;
            }
            other => println!("still waiting: {other:?}"),
        }
    }
    for _ in 0..2 {
        match tokio::time::timeout(Duration::from_secs(10), received.recv()).await {
            Ok(Some(event)) => println!("{event}"),
            _ => break,
        }
    }
    sandbox.shutdown().await;
    Ok(())
}

/// The payer's browser, reduced to what the sandbox's pages need: post the challenge form to
/// the ACS, press "Authenticate", post the return form to the merchant.
async fn play_the_payer(html: &str) -> Result<(), Box<dyn std::error::Error>> {
    let transport = paygate::Transport::new(Default::default())?;
    let (acs, fields) = form(html).ok_or("no challenge form")?;
    let page = post(&transport, &acs, &fields).await?;
    let (answer, _) = form(&page).ok_or("no ACS form")?;
    let answer = match answer.strip_prefix('/') {
        Some(path) => {
            let uri: http::Uri = acs.parse()?;
            format!(
                "{}://{}/{path}",
                uri.scheme_str().unwrap_or("http"),
                uri.authority().map_or("", |a| a.as_str())
            )
        }
        None => answer,
    };
    let page = post(&transport, &answer, &[("result".into(), "success".into())]).await?;
    let (merchant, fields) = form(&page).ok_or("no return form")?;
    let thanks = post(&transport, &merchant, &fields).await?;
    println!("the payer sees: {}", thanks.trim());
    Ok(())
}

/// The action and hidden fields of the first form of a page.
fn form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&amp;", "&"),
        )
    }
    let form = &html[html.find("<form")?..];
    let form = &form[..form.find("</form>")?];
    let action = attr(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|tag| Some((attr(tag, "name")?, attr(tag, "value")?)))
        .collect();
    Some((action, fields))
}

async fn post(
    transport: &paygate::Transport,
    url: &str,
    fields: &[(String, String)],
) -> Result<String, Box<dyn std::error::Error>> {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (&**n, &**v)).collect();
    let request = http::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(payneteasy::codec::encode_form(&pairs).into())?;
    let response = transport.send(request, None).await?;
    Ok(String::from_utf8_lossy(response.body()).into_owned())
}
