//! A Payneteasy recurring charge against the embedded sandbox: a first payment (a v2 `sale`,
//! waited for until final), a card reference from it (`create-card-ref`), the stored card
//! (`get-card-info`), then the recurring charge (`make-rebill-sale`) waited for with the
//! documented polling cadence (shortened here).
//!
//! ```sh
//! cargo run -p paygate --features sandbox --example payneteasy_recurring
//! ```

use std::sync::Arc;
use std::time::Duration;

use paygate::oauth1::RsaPrivateKey;
use paygate::payneteasy::{
    self, Amount, CardNumber, ControlKey, CreateCardRefV2, CreateCardRefV2Request, Currency, Cvv2,
    Endpoint, Environment, GetCardInfo, GetCardInfoRequest, MakeRebillRequest, MakeRebillSale,
    PollSchedule, Sale, SaleFields, SaleRequest, StatusV2Request, WaitOutcome,
};
use paygate::sandbox::payneteasy::{
    CARD_APPROVED, TEST_CONTROL_KEY, TEST_ENDPOINT_ID, TEST_MERCHANT_LOGIN,
    TEST_MERCHANT_PRIVATE_KEY_PEM,
};
use paygate::sandbox::{PayneteasySandboxConfig, Sandbox};

#[tokio::main(flavor = "current_thread")]
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
    // The v2 commands (sale, create-card-ref, make-rebill-sale) are checked by `control`.
    .control_key(ControlKey::new(TEST_CONTROL_KEY)?)
    .build()?;
    let client = payneteasy::Client::with_transport_config(config, Default::default())?;
    let endpoint = Endpoint::Id(TEST_ENDPOINT_ID);
    // The documentation's cadence is every 3–5 s, then every 5–10 minutes, up to an hour
    // (`PollSchedule::default()`); the sandbox answers at once.
    let schedule = PollSchedule::builder()
        .interval(Duration::from_millis(100))
        .deadline(Duration::from_secs(30))
        .build()?;

    // 1. The first payment, which the card reference is made from: it must be final.
    let sale = SaleRequest::try_from(SaleFields {
        client_orderid: "subscription-42-first".into(),
        order_desc: "first month".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount: Amount::new("9.99")?,
        currency: Currency::new("USD")?,
        ipaddress: "127.0.0.1".into(),
        card_printed_name: "JOHN DOE".into(),
        credit_card_number: CardNumber::new(CARD_APPROVED)?,
        expire_month: "12".into(),
        expire_year: "2030".into(),
        cvv2: Cvv2::new("123")?,
        redirect_url: "https://merchant.example/return".into(),
        ..SaleFields::default()
    })?;
    let first = client.execute::<Sale>(&endpoint, &sale).await?;
    let first_id = first.paynet_order_id.ok_or("no paynet-order-id")?;
    let query = StatusV2Request::new(TEST_MERCHANT_LOGIN, "subscription-42-first", &first_id)?;
    match client
        .wait_for_status(&endpoint, query, schedule.clone())
        .await?
    {
        WaitOutcome::Final(status) if status.status.is_approved() => {
            println!("first payment {first_id}: approved")
        }
        other => return Err(format!("first payment not approved: {other:?}").into()),
    }

    // 2. The card reference, and the card it stands for.
    let card_ref = client
        .execute::<CreateCardRefV2>(
            &endpoint,
            &CreateCardRefV2Request::new(TEST_MERCHANT_LOGIN, "subscription-42-first", &first_id)?,
        )
        .await?;
    let cardrefid = card_ref.card_ref_id.ok_or("no card-ref-id")?;
    let card = client
        .execute::<GetCardInfo>(
            &endpoint,
            &GetCardInfoRequest::new(TEST_MERCHANT_LOGIN, cardrefid.as_str())?,
        )
        .await?;
    println!(
        "card-ref-id {cardrefid}: card {}…{}, expires {}/{}",
        card.bin.as_deref().unwrap_or("?"),
        card.last_four_digits.as_deref().unwrap_or("?"),
        card.expire_month.as_deref().unwrap_or("?"),
        card.expire_year.as_deref().unwrap_or("?"),
    );

    // 3. The recurring charge: asynchronous, then polled until final. Not idempotent: the
    //    client never resends it after an unknown outcome (ask `status` instead).
    let rebill = MakeRebillRequest::new(
        TEST_MERCHANT_LOGIN,
        "subscription-42-month-2",
        cardrefid.as_str(),
        Amount::new("9.99")?,
        Currency::new("USD")?,
    )?;
    let accepted = client.execute::<MakeRebillSale>(&endpoint, &rebill).await?;
    let rebill_id = accepted.paynet_order_id.ok_or("no paynet-order-id")?;
    let query = StatusV2Request::new(TEST_MERCHANT_LOGIN, "subscription-42-month-2", &rebill_id)?;
    match client.wait_for_status(&endpoint, query, schedule).await? {
        WaitOutcome::Final(status) => println!(
            "recurring charge {rebill_id}: {} {} {}",
            status.status,
            status.amount.as_deref().unwrap_or(""),
            status.currency.as_deref().unwrap_or("")
        ),
        other => println!("recurring charge {rebill_id} not final yet: {other:?}"),
    }
    sandbox.shutdown().await;
    Ok(())
}
