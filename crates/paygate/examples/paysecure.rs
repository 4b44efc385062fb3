//! PaySecure end to end against the embedded sandbox: get a card-encryption key, encrypt a test
//! card under it and tokenize it, then see what a wrong password looks like.
//!
//! ```sh
//! cargo run -p paygate --features sandbox --example paysecure
//! ```

use paygate::paysecure::card::{Cvn, Pan};
use paygate::paysecure::{self, CardExpiration, Password, PlainCard};
use paygate::sandbox::paysecure::{TEST_MERCHANT_ID, TEST_PASSWORD, TEST_USER_NAME, TEST_VERSION};
use paygate::sandbox::{PaySecureSandboxConfig, Sandbox};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder()
        .paysecure(PaySecureSandboxConfig::default())
        .start()
        .await?;
    println!("sandbox at {}", sandbox.paysecure_base_url());

    // In production: the default base URL and your own credentials (the password from a
    // secret store, never from source code).
    let config = paysecure::Config::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new(TEST_PASSWORD),
        TEST_VERSION,
    )?
    .base_url(sandbox.paysecure_base_url())
    .build()?;
    let client = paysecure::Client::with_transport_config(config, Default::default())?;

    let issued = client.create_key(Some(15)).await?;
    println!(
        "CreateKey: KeyId {}, RSA-{} public key",
        issued.key.key_id(),
        issued.key.bits()
    );

    // The client encrypts the PAN and CVN under its cached key; they never leave in clear.
    let card = PlainCard::new(
        Pan::new("4111 1111 1111 1111")?,
        CardExpiration::parse("1230")?,
    )
    .cvn(Cvn::new("123")?);
    let token = client.tokenize_card(&card).await?;
    println!(
        "TokenizeCard: token {:?}, BIN {:?}, last four {:?}",
        token.card_token, token.card_bin, token.card_last4
    );

    let wrong = paysecure::Config::from_parts(
        TEST_MERCHANT_ID,
        TEST_USER_NAME,
        Password::new("not-the-password"),
        TEST_VERSION,
    )?
    .base_url(sandbox.paysecure_base_url())
    .build()?;
    let wrong = paysecure::Client::with_transport_config(wrong, Default::default())?;
    match wrong.create_key(Some(15)).await {
        Ok(_) => println!("unexpected: a wrong password was accepted"),
        Err(e) => println!("wrong password: {e} (outcome {:?})", e.outcome()),
    }

    sandbox.shutdown().await;
    Ok(())
}
