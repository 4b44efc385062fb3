//! Payneteasy end to end against the embedded sandbox: turn an approved first payment into a
//! card reference, ask again (the same reference comes back), then read the order's status,
//! and see what an unknown order looks like.
//!
//! ```sh
//! cargo run -p paygate --features sandbox --example payneteasy
//! ```

use std::sync::Arc;

use paygate::Error;
use paygate::oauth1::RsaPrivateKey;
use paygate::payneteasy::{self, CreateCardRefRequest, Endpoint, Environment, StatusRequest};
use paygate::sandbox::payneteasy::{
    APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate::sandbox::{PayneteasySandboxConfig, Sandbox};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder()
        .payneteasy(PayneteasySandboxConfig::default())
        .start()
        .await?;
    println!("sandbox at {}", sandbox.payneteasy_base_url());

    // In production: Environment::Production and the merchant's own PEM key.
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM)?;
    let environment = Environment::custom(&sandbox.payneteasy_base_url())?;
    let config =
        payneteasy::Config::builder(environment, TEST_MERCHANT_LOGIN, Arc::new(key)).build()?;
    let client = payneteasy::Client::with_transport_config(config, Default::default())?;
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

    let request = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID)?;
    let first = client.create_card_ref(&endpoint, &request).await?;
    let again = client.create_card_ref(&endpoint, &request).await?;
    println!(
        "create-card-ref: {} card-ref-id {:?} (asked twice: {:?})",
        first.status, first.card_ref_id, again.card_ref_id
    );

    let status = client
        .status(&endpoint, &StatusRequest::new(APPROVED_CLIENT_ORDERID)?)
        .await?;
    println!(
        "status: {} {:?} {:?}",
        status.status, status.amount, status.currency
    );

    let unknown = StatusRequest::new("no-such-order")?;
    match client.status(&endpoint, &unknown).await {
        Ok(answer) => println!("unexpected answer: {}", answer.status),
        Err(e) => {
            // What to do next depends on the outcome: NotProcessed (fix and resend), Processed
            // (the gateway answered no), Unknown (ask `status` before acting again).
            let outcome = e.outcome();
            match e {
                Error::Rejected(no) => println!(
                    "unknown order: rejected, code {:?}, message {:?}, outcome {outcome:?}",
                    no.code, no.message
                ),
                other => println!("unknown order: {other} (outcome {outcome:?})"),
            }
        }
    }

    sandbox.shutdown().await;
    Ok(())
}
