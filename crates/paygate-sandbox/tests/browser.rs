//! The console in a real browser: headless Chromium driven over WebDriver (`chromedriver`).
//!
//! It opens the request builder, fills Payneteasy's example (the seed's URL, login,
//! `client_orderid`, `orderid`, nonce and timestamp, with the repository's 4096-bit PKCS#1
//! key), submits, and checks that the page shows exactly what `oauth1-signer` computes; then it
//! sends a request signed for `https` over `http` and checks that the log page shows the
//! refusal and the hint that found the mistake.
//!
//! Needs `chromedriver` and Chromium (`apt-get install -y chromium chromium-driver`; or set
//! `PAYGATE_CHROMEDRIVER` / `PAYGATE_CHROMIUM` to their paths). Without them the test is
//! skipped with a message, and FAILS when `CI=true`. With `PAYGATE_SCREENSHOTS=DIR` it saves
//! `console-builder.png` and `console-log.png` there (the README's pictures come from
//! `PAYGATE_SCREENSHOTS=docs`, run from the repository root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use oauth1_signer::{OAuthParams, Request, RequestUrl, RsaPrivateKey, sign, unix_timestamp_now};
use paygate_sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate_sandbox::{PayneteasySandboxConfig, Sandbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SEED_KEY: &str = include_str!("../../../testdata/vectors/keys/rsa4096-pkcs1.pem");
const SEED_URL: &str = "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915";
const SEED_NONCE: &str = "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q";
const SEED_TIMESTAMP: u64 = 1_673_335_450;
const FORM: &str = "application/x-www-form-urlencoded";

/// A program on `PATH` (or the one an environment variable names).
fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Kills the driver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver(chromedriver: &Path) -> (Driver, String) {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

/// A request signed for `https` sent over plain `http` (raw HTTP/1.1).
async fn send_signed_for_https(sandbox: &Sandbox) -> u16 {
    let path = format!("/paynet/api/v4/create-card-ref/{TEST_ENDPOINT_ID}");
    let body = format!("client_orderid={APPROVED_CLIENT_ORDERID}&orderid={APPROVED_ORDERID}");
    let signed_url = format!("https://{}{path}", sandbox.local_addr());
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let request = Request::new("POST", RequestUrl::parse(&signed_url).unwrap())
        .with_body(Some(FORM), body.as_bytes());
    let params = OAuthParams::new(TEST_MERCHANT_LOGIN, "browser-test", unix_timestamp_now());
    let signed = sign(&request, &params, &key).unwrap();
    let mut stream = tokio::net::TcpStream::connect(sandbox.local_addr())
        .await
        .unwrap();
    let text = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nContent-Type: {FORM}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sandbox.local_addr(),
        signed.authorization(),
        body.len()
    );
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer)[9..12].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_and_the_log_in_headless_chromium() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let chromedriver = program("PAYGATE_CHROMEDRIVER", &["chromedriver"]);
    let chromium = program(
        "PAYGATE_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
        assert!(
            !ci,
            "CI=true but chromedriver or chromium is missing: apt-get install -y chromium chromium-driver"
        );
        eprintln!(
            "skipped: no chromedriver/chromium (apt-get install -y chromium chromium-driver)"
        );
        return;
    };
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await
        .unwrap();
    let console = sandbox.console_url().unwrap();
    let (_driver, webdriver) = start_driver(&chromedriver).await;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,1700"],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&webdriver)
        .await
        .expect("a Chromium session");
    let shots = std::env::var_os("PAYGATE_SCREENSHOTS").map(PathBuf::from);

    // The builder: Payneteasy's example.
    client.goto(&format!("{console}builder")).await.unwrap();
    let fill = |id: &'static str, text: &'static str| {
        let client = client.clone();
        async move {
            let field = client.find(Locator::Id(id)).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys(text).await.unwrap();
        }
    };
    fill("url", SEED_URL).await;
    fill("login", "TestMerchant").await;
    fill("key", SEED_KEY).await;
    fill("nonce", SEED_NONCE).await;
    fill("timestamp", "1673335450").await;
    fill("f-client_orderid", "34T43R77N").await;
    fill("f-orderid", "6868305").await;
    client
        .find(Locator::Id("build"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("signature-base64"))
        .await
        .unwrap();

    // Exactly what the signer computes.
    let key = RsaPrivateKey::from_pem(SEED_KEY).unwrap();
    let body = "client_orderid=34T43R77N&orderid=6868305";
    let request = Request::new("POST", RequestUrl::parse(SEED_URL).unwrap())
        .with_body(Some(FORM), body.as_bytes());
    let signed = sign(
        &request,
        &OAuthParams::new("TestMerchant", SEED_NONCE, SEED_TIMESTAMP),
        &key,
    )
    .unwrap();
    let text = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Id(id))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        text("normalized-parameters").await,
        signed.normalized_parameters
    );
    assert_eq!(text("base-string").await, signed.base_string);
    assert_eq!(text("signature-hex").await, signed.signature_hex());
    assert_eq!(text("signature-base64").await, signed.signature_base64());
    assert_eq!(text("authorization").await, signed.authorization());
    assert_eq!(text("body").await, body);
    assert!(text("curl").await.contains(signed.authorization()));
    // The key is not shown again.
    let textarea = client.find(Locator::Id("key")).await.unwrap();
    assert_eq!(textarea.prop("value").await.unwrap().as_deref(), Some(""));
    if let Some(dir) = &shots {
        std::fs::write(
            dir.join("console-builder.png"),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
    }

    // A badly signed request, then the log page.
    assert_eq!(send_signed_for_https(&sandbox).await, 403);
    client.goto(&format!("{console}log")).await.unwrap();
    let verdict = client
        .find(Locator::Css("section.entry td.verdict"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(verdict, "refused (signature)");
    let hint = client
        .find(Locator::Css(
            "section.entry li.hint.confirmed[data-cause=scheme]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        hint.starts_with("Found: you signed https:// but sent the request over http://, so"),
        "{hint}"
    );
    if let Some(dir) = &shots {
        std::fs::write(
            dir.join("console-log.png"),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
    }
    client.close().await.unwrap();
}
