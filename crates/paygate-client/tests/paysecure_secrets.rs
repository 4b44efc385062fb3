//! No password, PAN or CVN in `tracing` output, `Debug` or error text of the PaySecure client.

use std::io::Write;
use std::sync::{Arc, Mutex};

use paygate_client::{PaySecureClient, PaySecureConfig, TransportConfig};
use paygate_sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate_sandbox::{PaySecureSandboxConfig, Sandbox};
use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{CardExpiration, Password};

const PAN: &str = "4111111111111111";

fn config(sandbox: &Sandbox, password: &str) -> PaySecureConfig {
    PaySecureConfig::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(password),
        TEST_VERSION,
    )
    .unwrap()
    .with_base_url(sandbox.paysecure_base_url())
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_traces_or_debug() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // Global, and in its own test binary: `tracing` caches per-callsite interest across
    // threads, so a thread-local subscriber could miss events that another test hit first.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let sandbox = Sandbox::builder()
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await
        .unwrap();
    let client = PaySecureClient::with_transport_config(
        config(&sandbox, TEST_PASSWORD),
        TransportConfig::default(),
    )
    .unwrap();
    let pan = Pan::new(PAN).unwrap();
    let cvn = Cvn::new("987").unwrap();
    let response = client
        .tokenize_card(
            &pan,
            Some(&cvn),
            CardExpiration::parse("1230").unwrap(),
            None,
        )
        .await
        .unwrap();
    let wrong = PaySecureClient::with_transport_config(
        config(&sandbox, "wrong-secret-pw"),
        TransportConfig::default(),
    )
    .unwrap();
    let err = wrong.create_key(None).await.unwrap_err();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("CreateKey") && log.contains("TokenizeCard"),
        "{log}"
    );
    assert!(log.contains("attempt=1"), "{log}");
    let texts = [
        log,
        format!("{client:?}"),
        format!("{wrong:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{response:?}"),
    ];
    for text in &texts {
        for secret in [TEST_PASSWORD, "wrong-secret-pw", PAN] {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
    }
}
