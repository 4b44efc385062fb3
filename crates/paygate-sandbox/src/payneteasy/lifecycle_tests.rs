//! Every command's happy path and refusals, through the half's request handling (no socket).

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use oauth1_signer::RsaPrivateKey;
use payneteasy_codec::{
    DecodeLimits, GatewayError, GatewayErrorKind, decode_response_parts, encode_control_request,
};
use payneteasy_proto::{
    AccountVerification, AccountVerificationFields, AccountVerificationRequest, Amount, Capture,
    CaptureFields, CaptureRequest, CardNumber, ControlKey, CreateCardRefV2, CreateEphemeralTicket,
    CreateEphemeralTicketRequest, Currency, Cvv2, Endpoint, Environment, FormRequest,
    FormRequestFields, GetCardInfo, GetCardInfoFields, GetCardInfoRequest, MakeRebillFields,
    MakeRebillPreauth, MakeRebillRequest, MakeRebillSale, Operation, Preauth, Return, ReturnFields,
    ReturnRequest, Sale, SaleFields, SaleForm, SaleRequest, SaleV4, SaleV4Fields, SaleV4Request,
    Status, StatusV2, StatusV2Request, SyncAccountVerification, TransactionType, TransferByRef,
    TransferByRefFields, TransferByRefRequest, Void, VoidFields, VoidRequest,
    verify_callback_control,
};

use super::*;
use crate::server::GatewayHalf;

const BASE: &str = "http://127.0.0.1:9/paynet/api/v4";
const LOGIN: &str = TEST_MERCHANT_LOGIN;
const EP: Endpoint = Endpoint::Id(TEST_ENDPOINT_ID);

fn half_with(config: PayneteasySandboxConfig) -> PayneteasyHalf {
    let half = PayneteasyHalf::new(config, Arc::new(Counters::default())).unwrap();
    half.set_tls(false);
    half
}

fn half() -> PayneteasyHalf {
    half_with(PayneteasySandboxConfig::default())
}

fn as_server_sees(request: Request<Bytes>) -> Request<Bytes> {
    let (mut parts, body) = request.into_parts();
    parts
        .headers
        .insert(header::HOST, HeaderValue::from_static("127.0.0.1:9"));
    parts.uri = parts
        .uri
        .path_and_query()
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    Request::from_parts(parts, body)
}

/// A v2 request of `O` for the test merchant (its control key), on endpoint `ep`.
fn v2_on<O: Operation>(ep: Endpoint, request: &O::Request, key: &str) -> Request<Bytes> {
    let env = Environment::custom(BASE).unwrap();
    let key = ControlKey::new(key).unwrap();
    as_server_sees(encode_control_request::<O>(&env, &ep, request, &key).unwrap())
}

fn call<O: Operation>(h: &PayneteasyHalf, request: &O::Request) -> Response<Bytes> {
    h.handle(v2_on::<O>(EP, request, TEST_CONTROL_KEY))
}

fn v4<O: Operation>(h: &PayneteasyHalf, request: &O::Request, nonce: &str) -> Response<Bytes> {
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let env = Environment::custom(BASE).unwrap();
    let encoded = payneteasy_codec::encode_request::<O>(
        &env,
        &EP,
        request,
        LOGIN,
        &key,
        nonce,
        oauth1_signer::unix_timestamp_now(),
    )
    .unwrap();
    h.handle(as_server_sees(encoded.request))
}

fn ok<O: Operation>(response: &Response<Bytes>) -> O::Response {
    assert_eq!(response.status(), 200);
    decode_response_parts::<O>(200, None, response.body(), &DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{e}: {:?}", std::str::from_utf8(response.body())))
}

fn refusal(response: &Response<Bytes>) -> GatewayError {
    decode_response_parts::<StatusV2>(200, None, response.body(), &DecodeLimits::default())
        .unwrap_err()
        .gateway_error()
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", std::str::from_utf8(response.body())))
}

fn code(response: &Response<Bytes>) -> (GatewayErrorKind, String) {
    let e = refusal(response);
    (e.kind, e.code.unwrap_or_default())
}

fn validation(code: &str) -> (GatewayErrorKind, String) {
    (GatewayErrorKind::ValidationError, code.to_owned())
}

fn error(code: &str) -> (GatewayErrorKind, String) {
    (GatewayErrorKind::Error, code.to_owned())
}

fn sale_request(client: &str, amount: &str, card: &str) -> SaleRequest {
    SaleRequest::try_from(SaleFields {
        client_orderid: client.into(),
        order_desc: "test order".into(),
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
        redirect_url: "http://127.0.0.1:1/return".into(),
        ..SaleFields::default()
    })
    .unwrap()
}

fn status(h: &PayneteasyHalf, client: &str, orderid: &str) -> StatusResponse {
    ok::<StatusV2>(&call::<StatusV2>(
        h,
        &StatusV2Request::new(LOGIN, client, orderid).unwrap(),
    ))
}

fn order_id(response: &Response<Bytes>) -> String {
    ok::<Sale>(response).paynet_order_id.unwrap()
}

fn ret(client: &str, orderid: &str, amount: Option<&str>) -> ReturnRequest {
    ReturnRequest::try_from(ReturnFields {
        login: LOGIN.into(),
        client_orderid: client.into(),
        orderid: orderid.into(),
        amount: amount.map(|a| Amount::new(a).unwrap()),
        currency: amount.map(|_| Currency::new("USD").unwrap()),
        comment: Some("refund".into()),
    })
    .unwrap()
}

fn capture(client: &str, orderid: &str, amount: Option<&str>) -> CaptureRequest {
    CaptureRequest::try_from(CaptureFields {
        login: LOGIN.into(),
        client_orderid: client.into(),
        orderid: orderid.into(),
        amount: amount.map(|a| Amount::new(a).unwrap()),
        currency: amount.map(|_| Currency::new("USD").unwrap()),
    })
    .unwrap()
}

fn void(client: &str, orderid: &str) -> VoidRequest {
    VoidRequest::try_from(VoidFields {
        login: LOGIN.into(),
        client_orderid: client.into(),
        orderid: orderid.into(),
        comment: "void".into(),
        ..VoidFields::default()
    })
    .unwrap()
}

fn rebill(client: &str, card_ref: &str, amount: &str) -> MakeRebillRequest {
    MakeRebillRequest::try_from(MakeRebillFields {
        login: LOGIN.into(),
        client_orderid: client.into(),
        cardrefid: card_ref.into(),
        amount: Amount::new(amount).unwrap(),
        currency: Currency::new("USD").unwrap(),
        ..MakeRebillFields::default()
    })
    .unwrap()
}

fn card_info(card_ref: &str) -> GetCardInfoRequest {
    GetCardInfoRequest::try_from(GetCardInfoFields {
        login: LOGIN.into(),
        cardrefid: card_ref.into(),
    })
    .unwrap()
}

/// The first value of `name="NAME" value="…"` in a page.
fn input_value(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("{name} in {page}"));
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn post_form(path: &str, body: &str) -> Request<Bytes> {
    Request::post(path)
        .header(header::HOST, "127.0.0.1:9")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn text(response: &Response<Bytes>) -> String {
    String::from_utf8(response.body().to_vec()).unwrap()
}

#[test]
fn sale_card_ref_rebill_partial_return() {
    let h = half();
    let sale = call::<Sale>(&h, &sale_request("life-1", "10.42", CARD_APPROVED));
    let async_response = ok::<Sale>(&sale);
    assert_eq!(async_response.status, Some(Status::Processing));
    let orderid = async_response.paynet_order_id.unwrap();
    let s = status(&h, "life-1", &orderid);
    assert_eq!(
        (s.status, s.amount.as_deref(), s.transaction_type),
        (Status::Approved, Some("10.42"), Some(TransactionType::Sale))
    );
    // create-card-ref (v2), get-card-info from the stored card.
    let r = call::<CreateCardRefV2>(
        &h,
        &StatusV2Request::new(LOGIN, "life-1", &orderid).unwrap(),
    );
    let card_ref = ok::<CreateCardRefV2>(&r).card_ref_id.unwrap();
    let info = ok::<GetCardInfo>(&call::<GetCardInfo>(&h, &card_info(&card_ref)));
    assert_eq!(
        (
            info.bin.as_deref(),
            info.last_four_digits.as_deref(),
            info.expire_month.as_deref(),
            info.expire_year.as_deref(),
            info.card_printed_name.as_deref()
        ),
        (
            Some("411111"),
            Some("1111"),
            Some("12"),
            Some("2030"),
            Some("JOHN DOE")
        )
    );
    // make-rebill-sale, through PHPLIB's plain `make-rebill` path too.
    let r = call::<MakeRebillSale>(&h, &rebill("life-2", &card_ref, "5.00"));
    let rebill_id = order_id(&r);
    assert_eq!(status(&h, "life-2", &rebill_id).status, Status::Approved);
    let mut alias =
        v2_on::<MakeRebillSale>(EP, &rebill("life-3", &card_ref, "6.00"), TEST_CONTROL_KEY);
    *alias.uri_mut() = "/paynet/api/v2/make-rebill/39915".parse().unwrap();
    assert_eq!(
        h.route("/paynet/api/v2/make-rebill/39915"),
        Some("make-rebill-sale")
    );
    let alias_id = order_id(&h.handle(alias));
    assert_eq!(status(&h, "life-3", &alias_id).status, Status::Approved);
    // A rebill declined by its test amount.
    let r = call::<MakeRebillPreauth>(&h, &rebill("life-4", &card_ref, AMOUNT_DECLINED));
    let declined = order_id(&r);
    let s = status(&h, "life-4", &declined);
    assert_eq!(
        (s.status, s.error_code.as_deref()),
        (Status::Declined, Some(cards::DECLINE_CODE))
    );
    // Partial return, then above what remains, then void refused.
    ok::<Return>(&call::<Return>(&h, &ret("life-1", &orderid, Some("4.00"))));
    let s = status(&h, "life-1", &orderid);
    assert_eq!(
        (s.status, s.transaction_type),
        (Status::Approved, Some(TransactionType::Reversal))
    );
    assert_eq!(
        code(&call::<Return>(&h, &ret("life-1", &orderid, Some("6.43")))),
        validation(ERR_AMOUNT_ABOVE_REMAINING)
    );
    assert_eq!(
        code(&call::<Void>(&h, &void("life-1", &orderid))),
        error(ERR_VOID_NOT_ALLOWED)
    );
    ok::<Return>(&call::<Return>(&h, &ret("life-1", &orderid, Some("6.42"))));
    assert_eq!(
        code(&call::<Return>(&h, &ret("life-1", &orderid, None))),
        validation(ERR_AMOUNT_ABOVE_REMAINING)
    );
    // Void of the rebill sale.
    ok::<Void>(&call::<Void>(&h, &void("life-2", &rebill_id)));
    let s = status(&h, "life-2", &rebill_id);
    assert_eq!(s.transaction_type, Some(TransactionType::parse("void")));
    assert_eq!(
        code(&call::<Void>(&h, &void("life-2", &rebill_id))),
        error(ERR_VOID_NOT_ALLOWED)
    );
}

#[test]
fn preauth_capture_once_up_to_its_amount() {
    let h = half();
    let id = order_id(&call::<Preauth>(
        &h,
        &sale_request("pre-1", "20.00", CARD_APPROVED),
    ));
    assert_eq!(
        status(&h, "pre-1", &id).transaction_type,
        Some(TransactionType::parse("preauth"))
    );
    assert_eq!(
        code(&call::<Capture>(&h, &capture("pre-1", &id, Some("20.01")))),
        validation(ERR_AMOUNT_ABOVE_REMAINING)
    );
    ok::<Capture>(&call::<Capture>(&h, &capture("pre-1", &id, Some("15.00"))));
    assert_eq!(
        code(&call::<Capture>(&h, &capture("pre-1", &id, None))),
        error(ERR_CAPTURE_NOT_ALLOWED),
        "capture twice"
    );
    assert_eq!(
        code(&call::<Return>(&h, &ret("pre-1", &id, Some("15.01")))),
        validation(ERR_AMOUNT_ABOVE_REMAINING)
    );
    ok::<Return>(&call::<Return>(&h, &ret("pre-1", &id, Some("15.00"))));
    // A sale cannot be captured; a preauth not captured is cancelled by return.
    let sale = order_id(&call::<Sale>(
        &h,
        &sale_request("pre-2", "1.00", CARD_APPROVED),
    ));
    assert_eq!(
        code(&call::<Capture>(&h, &capture("pre-2", &sale, None))),
        error(ERR_CAPTURE_NOT_ALLOWED)
    );
    let pre = order_id(&call::<Preauth>(
        &h,
        &sale_request("pre-3", "3.00", CARD_APPROVED),
    ));
    ok::<Return>(&call::<Return>(&h, &ret("pre-3", &pre, None)));
    assert_eq!(
        status(&h, "pre-3", &pre).transaction_type,
        Some(TransactionType::parse("cancel"))
    );
    // A declined preauth cannot be captured.
    let declined = order_id(&call::<Preauth>(
        &h,
        &sale_request("pre-4", "3.00", CARD_DECLINED),
    ));
    assert_eq!(
        code(&call::<Capture>(&h, &capture("pre-4", &declined, None))),
        error(ERR_ORDER_NOT_APPROVED)
    );
}

#[test]
fn refusals() {
    let mut config = PayneteasySandboxConfig::default();
    let mut other = PayneteasyMerchant::test();
    other.login = "other-merchant".into();
    other.endpoint_id = TEST_ENDPOINT_ID + 1;
    other.endpoint_group_id = TEST_ENDPOINT_GROUP_ID + 1;
    other.control_key = ControlKey::new("other-control").ok();
    config.merchants.push(other);
    let h = half_with(config);
    // Unknown card references.
    assert_eq!(
        code(&call::<MakeRebillSale>(&h, &rebill("ref-1", "999", "1.00"))),
        validation(ERR_CARD_REF_NOT_FOUND)
    );
    assert_eq!(
        code(&call::<GetCardInfo>(&h, &card_info("999"))),
        validation(ERR_CARD_REF_NOT_FOUND)
    );
    // A card failing the Luhn check; a non-http callback URL.
    assert_eq!(
        code(&call::<Sale>(
            &h,
            &sale_request("ref-2", "1.00", "4111111111111112")
        )),
        validation(ERR_INVALID_CARD)
    );
    let mut fields = sale_request("ref-3", "1.00", CARD_APPROVED).into_fields();
    fields.server_callback_url = Some("file:///etc/passwd".into());
    assert_eq!(
        code(&call::<Sale>(&h, &SaleRequest::try_from(fields).unwrap())),
        validation(ERR_INVALID_URL)
    );
    // A repeated client_orderid: the same order back (no second charge), or refused when it
    // differs.
    let first = order_id(&call::<Sale>(
        &h,
        &sale_request("ref-4", "7.00", CARD_APPROVED),
    ));
    let again = order_id(&call::<Sale>(
        &h,
        &sale_request("ref-4", "7.00", CARD_APPROVED),
    ));
    assert_eq!(first, again);
    assert_eq!(
        code(&call::<Sale>(
            &h,
            &sale_request("ref-4", "8.00", CARD_APPROVED)
        )),
        validation(ERR_DUPLICATE_ORDER)
    );
    assert_eq!(
        code(&call::<Preauth>(
            &h,
            &sale_request("ref-4", "7.00", CARD_APPROVED)
        )),
        validation(ERR_DUPLICATE_ORDER)
    );
    assert_eq!(h.counters.snapshot().orders_created, 1);
    // create-card-ref of a declined payment.
    let declined = order_id(&call::<Sale>(
        &h,
        &sale_request("ref-5", "1.00", CARD_DECLINED),
    ));
    assert_eq!(
        code(&call::<CreateCardRefV2>(
            &h,
            &StatusV2Request::new(LOGIN, "ref-5", &declined).unwrap()
        )),
        error(ERR_ORDER_NOT_APPROVED)
    );
    // The wrong merchant: the other merchant sees neither the order nor the card reference.
    let r = call::<CreateCardRefV2>(&h, &StatusV2Request::new(LOGIN, "ref-4", &first).unwrap());
    let card_ref = ok::<CreateCardRefV2>(&r).card_ref_id.unwrap();
    let other_ep = Endpoint::Id(TEST_ENDPOINT_ID + 1);
    let mut theirs = rebill("ref-6", &card_ref, "1.00").into_fields();
    theirs.login = "other-merchant".into();
    let theirs = MakeRebillRequest::try_from(theirs).unwrap();
    assert_eq!(
        code(&h.handle(v2_on::<MakeRebillSale>(other_ep, &theirs, "other-control"))),
        validation(ERR_CARD_REF_NOT_FOUND)
    );
    let their_status = StatusV2Request::new("other-merchant", "ref-4", &first).unwrap();
    assert_eq!(
        code(&h.handle(v2_on::<StatusV2>(other_ep, &their_status, "other-control"))),
        validation(ERR_ORDER_NOT_FOUND)
    );
    // ... nor may it sign with the test merchant's key, or use its login.
    assert_eq!(
        code(&h.handle(v2_on::<StatusV2>(other_ep, &their_status, TEST_CONTROL_KEY))),
        validation(ERR_INVALID_CONTROL)
    );
    assert_eq!(
        code(&h.handle(v2_on::<MakeRebillSale>(
            other_ep,
            &rebill("ref-7", &card_ref, "1.00"),
            "other-control"
        ))),
        validation(ERR_LOGIN_MISMATCH)
    );
    // A wrong control on a payment command.
    assert_eq!(
        code(&h.handle(v2_on::<Sale>(
            EP,
            &sale_request("ref-8", "1.00", CARD_APPROVED),
            "nope"
        ))),
        validation(ERR_INVALID_CONTROL)
    );
    // Capture / return / void of an unknown order.
    assert_eq!(
        code(&call::<Capture>(&h, &capture("nope", "1", None))),
        validation(ERR_ORDER_NOT_FOUND)
    );
    assert_eq!(
        code(&call::<Return>(&h, &ret("ref-4", "1", None))),
        validation(ERR_ORDER_NOT_FOUND)
    );
    assert_eq!(
        code(&call::<Void>(&h, &void("nope", "1"))),
        validation(ERR_ORDER_NOT_FOUND)
    );
}

#[test]
fn three_d_secure_challenge_posts_a_valid_customer_return() {
    let h = half();
    let mut fields = sale_request("tds-1", "12.00", CARD_3DS).into_fields();
    fields.server_callback_url = Some("http://127.0.0.1:1/cb".into());
    let id = order_id(&call::<Sale>(&h, &SaleRequest::try_from(fields).unwrap()));
    let s = status(&h, "tds-1", &id);
    assert_eq!(s.status, Status::Processing);
    let html = s.html.expect("a 3-D Secure form");
    let at = html.find("action=\"").unwrap() + 8;
    let acs = &html[at..at + html[at..].find('"').unwrap()];
    assert!(acs.starts_with("http://127.0.0.1:9/paynet/acs/"), "{acs}");
    let path = acs.strip_prefix("http://127.0.0.1:9").unwrap();
    // The ACS page (as the form of `html` posts it), then the payer authenticates.
    let page = h.handle(post_form(path, &format!("PaReq={id}&TermUrl=x")));
    assert_eq!(page.status(), 200);
    assert!(text(&page).contains("Authenticate"));
    let get = Request::get(path).body(Bytes::new()).unwrap();
    assert_eq!(h.handle(get).status(), 200);
    let done = h.handle(post_form(path, "result=success"));
    assert_eq!(done.status(), 200);
    let page = text(&done);
    assert!(
        page.contains("action=\"http://127.0.0.1:1/return\""),
        "{page}"
    );
    assert!(page.contains("<button") && page.contains(".submit()"));
    let key = ControlKey::new(TEST_CONTROL_KEY).unwrap();
    let (st, orderid, merchant_order, client, control) = (
        input_value(&page, "status"),
        input_value(&page, "orderid"),
        input_value(&page, "merchant_order"),
        input_value(&page, "client_orderid"),
        input_value(&page, "control"),
    );
    assert_eq!(
        (
            st.as_str(),
            orderid.as_str(),
            merchant_order.as_str(),
            client.as_str()
        ),
        ("approved", id.as_str(), "tds-1", "tds-1")
    );
    assert!(verify_callback_control(
        &st, &orderid, &client, &key, &control
    ));
    assert_eq!(status(&h, "tds-1", &id).status, Status::Approved);
    // The challenge is over: the page is gone.
    assert_eq!(h.handle(post_form(path, "result=success")).status(), 404);
    // A failed challenge declines.
    let id = order_id(&call::<Sale>(&h, &sale_request("tds-2", "12.00", CARD_3DS)));
    let html = status(&h, "tds-2", &id).html.unwrap();
    let at = html.find("/paynet/acs/").unwrap();
    let path = &html[at..at + html[at..].find('"').unwrap()];
    let page = text(&h.handle(post_form(path, "result=failure")));
    assert_eq!(input_value(&page, "status"), "declined");
    assert_eq!(status(&h, "tds-2", &id).status, Status::Declined);
}

#[test]
fn long_processing_answers_processing_for_a_few_polls() {
    let h = half();
    let id = order_id(&call::<Sale>(
        &h,
        &sale_request("long-1", "1.00", CARD_LONG_PROCESSING),
    ));
    for _ in 1..LONG_PROCESSING_POLLS {
        assert_eq!(status(&h, "long-1", &id).status, Status::Processing);
    }
    assert_eq!(status(&h, "long-1", &id).status, Status::Approved);
    let id = order_id(&call::<Sale>(
        &h,
        &sale_request("long-2", AMOUNT_LONG_PROCESSING, CARD_APPROVED),
    ));
    assert_eq!(status(&h, "long-2", &id).status, Status::Processing);
    for (card, want) in [
        (CARD_FILTERED, Status::Filtered),
        (CARD_ERROR, Status::Error),
        (CARD_DECLINED, Status::Declined),
        (CARD_APPROVED_MASTERCARD, Status::Approved),
    ] {
        let client = format!("out-{card}");
        let id = order_id(&call::<Sale>(&h, &sale_request(&client, "1.00", card)));
        assert_eq!(status(&h, &client, &id).status, want, "{card}");
    }
}

fn form_request(client: &str) -> FormRequest {
    FormRequest::try_from(FormRequestFields {
        client_orderid: client.into(),
        order_desc: "form order".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        phone: "+15555550100".into(),
        email: "payer@example.com".into(),
        amount: Amount::new("9.99").unwrap(),
        currency: Currency::new("EUR").unwrap(),
        ipaddress: "127.0.0.1".into(),
        redirect_url: "https://merchant.example/back".into(),
        ..FormRequestFields::default()
    })
    .unwrap()
}

#[test]
fn payment_forms_then_3ds() {
    let h = half();
    let r = ok::<SaleForm>(&call::<SaleForm>(&h, &form_request("form-1")));
    let page = r.redirect_url.expect("redirect-url");
    let id = r.paynet_order_id.unwrap();
    let path = page.strip_prefix("http://127.0.0.1:9").unwrap().to_owned();
    assert!(path.starts_with(FORM_PREFIX));
    assert_eq!(status(&h, "form-1", &id).status, Status::Processing);
    let form = h.handle(Request::get(path.as_str()).body(Bytes::new()).unwrap());
    assert!(text(&form).contains("credit_card_number"));
    let to_acs = h.handle(post_form(&path, &format!("credit_card_number={CARD_3DS}")));
    assert_eq!(to_acs.status(), 303);
    let acs = to_acs.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let done = text(&h.handle(post_form(&acs, "result=success")));
    assert_eq!(input_value(&done, "status"), "approved");
    assert!(done.contains("https://merchant.example/back"));
    let s = status(&h, "form-1", &id);
    assert_eq!(
        (s.status, s.bin.as_deref()),
        (Status::Approved, Some("400000"))
    );
    // preauth-form with an approved card: straight back to the merchant; bad card refused.
    let r = ok::<payneteasy_proto::PreauthForm>(&call::<payneteasy_proto::PreauthForm>(
        &h,
        &form_request("form-2"),
    ));
    let path = r.redirect_url.unwrap().replace("http://127.0.0.1:9", "");
    assert_eq!(
        h.handle(post_form(&path, "credit_card_number=4111111111111112"))
            .status(),
        400
    );
    let done = text(&h.handle(post_form(
        &path,
        &format!("credit_card_number={CARD_APPROVED}"),
    )));
    assert_eq!(input_value(&done, "status"), "approved");
    let id = r.paynet_order_id.unwrap();
    ok::<Capture>(&call::<Capture>(&h, &{
        let mut f = capture("form-2", &id, None).into_fields();
        f.amount = None;
        CaptureRequest::try_from(f).unwrap()
    }));
}

#[test]
fn v4_sale_with_a_hosted_fields_token_and_the_ephemeral_ticket() {
    let h = half();
    let ticket = v4::<CreateEphemeralTicket>(&h, &CreateEphemeralTicketRequest::new(), "t1");
    assert_eq!(ticket.status(), 200);
    let json: serde_json::Value = serde_json::from_slice(ticket.body()).unwrap();
    assert!(
        json["ephemeralTicket"]
            .as_str()
            .unwrap()
            .starts_with("sandbox-ticket-")
    );
    let fields = SaleV4Fields {
        client_orderid: "v4-1".into(),
        order_desc: "hosted".into(),
        amount: Amount::new("2.50").unwrap(),
        currency: Currency::new("USD").unwrap(),
        hosted_fields_token: format!("{HOSTED_FIELDS_TOKEN_PREFIX}{CARD_3DS}"),
        ipaddress: "127.0.0.1".into(),
        redirect_url: "http://127.0.0.1:1/return".into(),
        customer_browser_info: "x".into(),
        customer_browser_javascript_enabled: "true".into(),
        customer_browser_java_enabled: "false".into(),
        customer_browser_accept_language: "en".into(),
        customer_browser_color_depth: "24".into(),
        customer_browser_screen_width: "1280".into(),
        customer_browser_screen_height: "800".into(),
        customer_browser_time_zone: "0".into(),
        customer_browser_accept_header: "text/html".into(),
        customer_browser_user_agent: "test".into(),
        ..SaleV4Fields::default()
    };
    let r = v4::<SaleV4>(&h, &SaleV4Request::try_from(fields).unwrap(), "t2");
    let id = ok::<SaleV4>(&r).paynet_order_id.unwrap();
    let s = status(&h, "v4-1", &id);
    assert_eq!(s.status, Status::Processing);
    assert!(s.html.unwrap().contains("/paynet/acs/"));
}

fn verification_request(client: &str, card: &str) -> AccountVerificationRequest {
    AccountVerificationRequest::try_from(AccountVerificationFields {
        client_orderid: client.into(),
        order_desc: "verify".into(),
        card_printed_name: "JOHN DOE".into(),
        address1: "1 Main St".into(),
        city: "Springfield".into(),
        zip_code: "12345".into(),
        country: "US".into(),
        email: "payer@example.com".into(),
        credit_card_number: CardNumber::new(card).unwrap(),
        expire_month: "01".into(),
        expire_year: "2031".into(),
        cvv2: Cvv2::new("123").unwrap(),
        ipaddress: "127.0.0.1".into(),
        ..AccountVerificationFields::default()
    })
    .unwrap()
}

#[test]
fn account_verification_and_transfer_by_ref() {
    let h = half();
    let r = call::<SyncAccountVerification>(
        &h,
        &verification_request("av-1", CARD_APPROVED_MASTERCARD),
    );
    let sync = ok::<SyncAccountVerification>(&r);
    assert_eq!(sync.status, Status::Approved);
    assert_eq!(sync.card_type.as_deref(), Some("MASTERCARD"));
    let card_ref = sync.card_ref_id.expect("card-ref-id");
    let info = ok::<GetCardInfo>(&call::<GetCardInfo>(&h, &card_info(&card_ref)));
    assert_eq!(info.last_four_digits.as_deref(), Some("4444"));
    let declined = ok::<SyncAccountVerification>(&call::<SyncAccountVerification>(
        &h,
        &verification_request("av-2", CARD_DECLINED),
    ));
    assert_eq!(
        (declined.status, declined.card_ref_id),
        (Status::Declined, None)
    );
    // The asynchronous form, then create-card-ref.
    let id = ok::<AccountVerification>(&call::<AccountVerification>(
        &h,
        &verification_request("av-3", CARD_APPROVED),
    ))
    .paynet_order_id
    .unwrap();
    assert_eq!(status(&h, "av-3", &id).status, Status::Approved);
    ok::<CreateCardRefV2>(&call::<CreateCardRefV2>(
        &h,
        &StatusV2Request::new(LOGIN, "av-3", &id).unwrap(),
    ));
    // An account verification cannot be returned.
    assert_eq!(
        code(&call::<Return>(&h, &ret("av-3", &id, None))),
        error(ERR_RETURN_NOT_ALLOWED)
    );
    // transfer-by-ref to the verified card; an unknown destination is refused.
    let transfer = |client: &str, destination: &str| {
        TransferByRefRequest::try_from(TransferByRefFields {
            login: LOGIN.into(),
            client_orderid: client.into(),
            amount: Amount::new("3.00").unwrap(),
            currency: Currency::new("USD").unwrap(),
            ipaddress: "127.0.0.1".into(),
            destination_card_ref_id: destination.into(),
            ..TransferByRefFields::default()
        })
        .unwrap()
    };
    let id = order_id(&call::<TransferByRef>(&h, &transfer("tr-1", &card_ref)));
    let s = status(&h, "tr-1", &id);
    assert_eq!(
        (s.status, s.transaction_type),
        (Status::Approved, Some(TransactionType::parse("transfer")))
    );
    assert_eq!(
        code(&call::<TransferByRef>(&h, &transfer("tr-2", "999"))),
        validation(ERR_CARD_REF_NOT_FOUND)
    );
}

#[test]
fn json_mode_for_payment_commands() {
    let h = half();
    let mut request = v2_on::<Sale>(
        EP,
        &sale_request("json-1", "1.00", CARD_APPROVED),
        TEST_CONTROL_KEY,
    );
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static(JSON_ACCEPT));
    let r = h.handle(request);
    assert_eq!(r.status(), 200);
    let answer: payneteasy_proto::AsyncResponse = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(answer.merchant_order_id.as_deref(), Some("json-1"));
    let mut request =
        v2_on::<MakeRebillSale>(EP, &rebill("json-2", "999", "1.00"), TEST_CONTROL_KEY);
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static(JSON_ACCEPT));
    let r = h.handle(request);
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["error-code"], 4008);
    assert_eq!(body["type"], "validation-error");
}

/// PHPLIB signs capture and return with the order's amount even when it sends none (R3/R4):
/// accepted beside the documented formula; a wrong amount is still refused.
#[test]
fn phplib_capture_and_return_controls_are_accepted() {
    let h = half();
    let id = order_id(&call::<Preauth>(
        &h,
        &sale_request("php-1", "10.42", CARD_APPROVED),
    ));
    let key = ControlKey::new(TEST_CONTROL_KEY).unwrap();
    let phplib = |minor: &str| {
        payneteasy_proto::sha1_control(
            &[
                payneteasy_proto::ControlInput::Text(LOGIN),
                payneteasy_proto::ControlInput::Text("php-1"),
                payneteasy_proto::ControlInput::Text(&id),
                payneteasy_proto::ControlInput::Text(minor),
                payneteasy_proto::ControlInput::Text("USD"),
                payneteasy_proto::ControlInput::Key,
            ],
            &key,
        )
    };
    let body = |control: &str| {
        format!("login={LOGIN}&client_orderid=php-1&orderid={id}&control={control}")
    };
    let wrong = post_form("/paynet/api/v2/capture/39915", &body(&phplib("1041")));
    assert_eq!(code(&h.handle(wrong)), validation(ERR_INVALID_CONTROL));
    let right = post_form("/paynet/api/v2/capture/39915", &body(&phplib("1042")));
    ok::<Capture>(&h.handle(right));
    let refund = post_form(
        "/paynet/api/v2/return/39915",
        &format!("{}&comment=refund", body(&phplib("1042"))),
    );
    ok::<Return>(&h.handle(refund));
}

/// HF posts the ephemeral-ticket request with an empty body and no content type.
#[test]
fn an_empty_body_without_content_type_is_an_empty_form() {
    let h = half();
    let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
    let path = "/paynet/api/v4/tokenize/create-ephemeral-ticket/39915";
    let full = format!("http://127.0.0.1:9{path}");
    let url = oauth1_signer::RequestUrl::parse(&full).unwrap();
    let to_sign = oauth1_signer::Request::new("POST", url).with_body(None, b"");
    let params = oauth1_signer::OAuthParams::new(LOGIN, "e1", oauth1_signer::unix_timestamp_now());
    let signed = oauth1_signer::sign(&to_sign, &params, &key).unwrap();
    let request = Request::post(path)
        .header(header::HOST, "127.0.0.1:9")
        .header(header::AUTHORIZATION, signed.authorization())
        .body(Bytes::new())
        .unwrap();
    let r = h.handle(request);
    assert_eq!(r.status(), 200, "{}", text(&r));
    assert!(text(&r).contains("ephemeralTicket"));
}
