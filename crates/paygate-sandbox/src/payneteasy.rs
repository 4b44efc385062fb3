//! The Payneteasy half of the sandbox: every command of `payneteasy-proto` (v2 and v4), with
//! OAuth 1.0a RSA-SHA256 verification (v4), SHA-1 `control` verification (v2), JSON mode, a
//! real order state machine per merchant, published test cards, a 3-D Secure ACS page and
//! server-to-server callbacks.
//!
//! Mount it with [`crate::SandboxBuilder::payneteasy`]. Routes (every one `POST`):
//!
//! | route | commands |
//! |---|---|
//! | `/paynet/api/v2/{command}/{ENDPOINTID}`, `…/{command}/group/{ENDPOINTGROUPID}` | `sale`, `preauth`, `sale-form`, `preauth-form`, `transfer-form`, `capture`, `return`, `void`, `status`, `create-card-ref`, `get-card-info`, `make-rebill-sale` (also PHPLIB's plain `make-rebill`), `make-rebill-preauth`, `account-verification`, `sync/account-verification`, `transfer-by-ref` |
//! | `/paynet/api/v4/{command}/{ENDPOINTID}`, `…/group/{ENDPOINTGROUPID}` | `sale` (hosted-fields token), `status`, `create-card-ref`, `tokenize/create-ephemeral-ticket` |
//! | `GET`/`POST` [`ACS_PREFIX`] `{token}` | the 3-D Secure ACS page of a challenge |
//! | `GET`/`POST` [`FORM_PREFIX`] `{token}` | the payment page of a form command |
//!
//! The route table is built from [`payneteasy_proto::for_each_operation!`]: each operation is
//! routed on its `VERSION` and `PATH`, decoded with the codec's
//! [`decode_request`] and answered with
//! [`encode_response`] (or `serde_json`).
//!
//! # Authentication
//! **v4.** Every request must carry exactly one `Authorization: OAuth …` header. The sandbox
//! parses it, finds the merchant by `oauth_consumer_key`, verifies the signature with the
//! merchant's public key over the URL it was reached at and the form body, checks the
//! timestamp against its clock (± [`PayneteasySandboxConfig::max_skew_secs`]) and refuses a
//! nonce it has seen (in its own memory store, or in a store shared with other verifiers,
//! [`PayneteasySandboxConfig::nonce_store`]: then the claim is awaited after the signature
//! check, and a store that cannot answer is an HTTP 503 with `Retry-After: 1`, never an
//! acceptance). A merchant is served only on its own endpoint and endpoint group. Every
//! refusal is HTTP 403 with the gateway's HTML "Access is denied" page
//! ([`ACCESS_DENIED_PAGE`]); the reason is logged with `tracing` (never the header: each
//! refusal at DEBUG, and at most one WARN line a second with the number of refusals since the
//! previous one, since any client can cause refusals at will) and counted in
//! [`PayneteasyStats`]. Two `Authorization` headers are such a refusal, even when the first one
//! is valid.
//!
//! **v2.** The merchant is the one of the endpoint (or group) in the URL. Its
//! [`control_key`](PayneteasyMerchant::control_key) checks the request's `control`: the
//! sandbox recomputes it with the codec's
//! [`compute_control`] over the decoded request (the
//! operation's formula) and compares in constant time (hex, either case). A missing or wrong
//! `control` is answered like every other refused request, in band: `type=validation-error`
//! with [`ERR_INVALID_CONTROL`] (the gateway's own answer to a bad `control` is not
//! published; a validation error says the request was not acted on). PHPLIB's capture and
//! return, which sign the order's amount even when they send none (specification R3/R4), are
//! accepted too. An endpoint no merchant has is [`ERR_UNKNOWN_ENDPOINT`].
//!
//! Both versions: a `login` in the body must be the merchant's ([`ERR_LOGIN_MISMATCH`]).
//!
//! The verified URL is the routed one: the connection's scheme, the authority the client
//! addressed (the single `Host` header, or an absolute request target's authority, which must
//! then agree with `Host`), and the very path string the command and endpoint were read from,
//! plus the query. The authority must be a plain `host[:port]` ([`validate_authority`]): one
//! with `/`, `?`, `#`, `@`, whitespace, a bad host or port, two `Host` headers or a
//! disagreeing target are answered HTTP 400 with the [`AuthorityError`] as plain text, before
//! any signature work, and counted in [`PayneteasyStats::refused_bad_request`].
//!
//! # Answers
//! Form mode (the default) uses the gateway's wire format: HTTP 200, `Content-Type:
//! text/html;charset=utf-8`, form fields with a line feed after every value but the last, and
//! a fresh `serial-number` such as `00000000-0000-0000-0000-000002de3113` in every answer;
//! refusals are HTTP 200 with `type=validation-error` (the request was not acted on) or
//! `type=error` (it was refused by the order's state).
//!
//! **JSON mode**: when the request's `Accept` contains `application/vnd.pay+json`
//! ([`JSON_ACCEPT`]), the same response types are written as JSON (`application/json`), and a
//! refusal is HTTP 400 with a JSON body `{"type", "serial-number", "error-message",
//! "error-code"}`, the code a number. `tokenize/create-ephemeral-ticket` always answers JSON
//! (`{"ephemeralTicket": …}`). A declined order is still a 200 `status-response` whose
//! `status` says so.
//!
//! # The order state machine
//! Each merchant has its own book: orders, card references and payer tokens of one merchant
//! are invisible to another (a lookup is [`ERR_ORDER_NOT_FOUND`] or
//! [`ERR_CARD_REF_NOT_FOUND`]).
//!
//! | command | rule |
//! |---|---|
//! | `sale`, `preauth`, v4 `sale`, `account-verification`, `make-rebill-*`, `transfer-by-ref` | creates an order with its amount and currency; `async-response` with `status=processing`; the outcome comes from the card or amount ([`cards`]); poll `status` |
//! | `sale-form`, `preauth-form`, `transfer-form` | creates an order waiting for its payer; `async-form-response` whose `redirect-url` is the sandbox's payment page ([`FORM_PREFIX`]) |
//! | repeated `client_orderid` | the gateway's behaviour is not published; the sandbox takes the conservative one: the same command, amount and currency give **the same order back** (no second charge, no new callback); anything else is [`ERR_DUPLICATE_ORDER`] |
//! | `capture` | only an approved preauth (also `preauth-form`, `make-rebill-preauth`), once, above zero and up to its amount (the whole without `amount`); otherwise [`ERR_CAPTURE_NOT_ALLOWED`] / [`ERR_AMOUNT_ABOVE_REMAINING`] |
//! | `return` | a preauth not captured is **cancelled** as a whole (an amount other than the whole is refused: "Amount only makes sense for reversals, not cancels"); a sale or a captured preauth is **reversed** by the amount sent (or all that remains), never above what remains ([`ERR_AMOUNT_ABOVE_REMAINING`]); transfers and verifications cannot be returned ([`ERR_RETURN_NOT_ALLOWED`]) |
//! | `void` | only a sale or a captured preauth in final approved status, nothing returned yet, once, for the whole amount ([`ERR_VOID_NOT_ALLOWED`]); a preauth not captured is cancelled by `return` |
//! | `status` (v2, v4) | the order now: the status and `transaction-type` of its last transaction (`sale`, `preauth`, `capture`, `reversal`, `cancel`, `void`, `transfer`, `account-verification`), amount, currency, ids, BIN and last four digits, `card-ref-id` once made, `error-code`/`error-message` of a failed payment, and `html` (a form to the ACS page) while a 3-D Secure challenge waits. Each poll of a long-processing order counts down |
//! | `create-card-ref` (v2, v4) | only for a final approved first payment ([`ERR_ORDER_NOT_FINAL`], [`ERR_ORDER_NOT_APPROVED`]); the same order always gets the same `card-ref-id`, made once |
//! | `sync/account-verification` | answered at once (`status-response`) with the card data and, when approved, a `card-ref-id` |
//! | `make-rebill-*` | only with a card reference of this merchant ([`ERR_CARD_REF_NOT_FOUND`]); charges the stored card (never 3-D Secure); `enumerate_amounts` and `recurrent_scenario` are accepted and ignored |
//! | `get-card-info` | from the stored card: `card-printed-name`, `bin`, `last-four-digits`, `expire-month`, `expire-year` (no CVV or full number is ever kept) |
//! | `transfer-by-ref` | to the card behind `destination-card-ref-id` (and `source-card-ref-id` when sent), both of this merchant |
//!
//! Follow-up transactions (capture, return, void) are approved at once. A v4 `sale`'s
//! `hosted_fields_token` stands for a card ([`HOSTED_FIELDS_TOKEN_PREFIX`]).
//!
//! **Bounded memory.** At most [`MAX_ORDERS_PER_MERCHANT`] orders per merchant (the oldest
//! non-seeded order is forgotten first), [`MAX_CARD_REFS_PER_MERCHANT`] card references per
//! merchant, and 10,000 waiting payer tokens in all; an order keeps a few KiB at most (its
//! URLs are at most 2,048 characters, and no description or address is kept).
//!
//! # 3-D Secure and payment forms
//! A payment with [`CARD_3DS`] stays `processing`; `status` carries `html`, an auto-submitting
//! form (a small inline script, and a visible button) to the sandbox's ACS page
//! `/paynet/acs/{token}` (the token is 128 random bits). There the payer authenticates or fails
//! (a form POST of `result=success` or `result=failure` to the same URL, which a test or a demo
//! can send directly); the order becomes `approved` or `declined`, and the answer is a page
//! that POSTs the
//! customer return `status, orderid, merchant_order, client_orderid, control` to the order's
//! `redirect_url`, with `control = sha1(status + orderid + client_orderid + control key)`. The
//! payment page of a form command takes a card number the same way (a POST of
//! `credit_card_number`, optionally `expire_month`, `expire_year`, `card_printed_name`; a 3-D
//! Secure card goes on to the ACS page with a `303`). No page loads an external asset; every value is HTML-escaped,
//! and `redirect_url` / `server_callback_url` must be absolute `http(s)` URLs
//! ([`ERR_INVALID_URL`], [`check_url`]).
//!
//! # Server callbacks
//! When an order reaches a final status (a payment, a capture, return or void) and it has a
//! `server_callback_url`, the sandbox GETs it with `orderid`, `merchant_order`,
//! `client_orderid`, `amount`, `status`, `type` (the transaction type) and `control` appended,
//! retrying with a doubling backoff, all bounded ([`CallbackPolicy`]; counted in
//! [`PayneteasyStats`]). A merchant without a control key gets no callbacks. Note that a
//! sandbox reachable by others will GET the URLs they give it: keep it on loopback or
//! behind a firewall.
//!
//! # Error codes
//! The codes are the sandbox's own: the real gateway's list is not published.
//!
//! | code | type | meaning |
//! |---|---|---|
//! | [`ERR_ORDER_NOT_FOUND`] `4001` | validation-error | no such order for this merchant (or its `orderid` differs) |
//! | [`ERR_INVALID_REQUEST`] `4002` | validation-error | the body is not a valid request |
//! | [`ERR_INVALID_CONTROL`] `4003` | validation-error | v2 `control` missing or wrong |
//! | [`ERR_UNKNOWN_ENDPOINT`] `4004` | validation-error | no merchant on this v2 endpoint |
//! | [`ERR_LOGIN_MISMATCH`] `4005` | validation-error | `login` is another merchant's |
//! | [`ERR_INVALID_AMOUNT`] `4006` | validation-error | an amount not valid in its currency, or another currency than the order's |
//! | [`ERR_AMOUNT_ABOVE_REMAINING`] `4007` | validation-error | above what remains (or a partial cancel or void) |
//! | [`ERR_CARD_REF_NOT_FOUND`] `4008` | validation-error | unknown card reference |
//! | [`ERR_INVALID_CARD`] `4009` | validation-error | the card number fails the Luhn check |
//! | [`ERR_DUPLICATE_ORDER`] `4010` | validation-error | `client_orderid` used by a different order |
//! | [`ERR_INVALID_URL`] `4011` | validation-error | a URL that is not absolute `http(s)` |
//! | [`ERR_ORDER_NOT_FINAL`] `5001` | error | the order is still processing |
//! | [`ERR_ORDER_NOT_APPROVED`] `5002` | error | the payment was not approved |
//! | [`ERR_CAPTURE_NOT_ALLOWED`] `5003` | error | not a preauth, captured already, or cancelled |
//! | [`ERR_RETURN_NOT_ALLOWED`] `5004` | error | cannot be returned |
//! | [`ERR_VOID_NOT_ALLOWED`] `5005` | error | cannot be voided |
//!
//! Other answers: another HTTP method is a 405, another command or a malformed endpoint a 404.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use oauth1_signer::{
    AsyncNonceStore, AuthorizationHeader, MemoryNonceStore, RequestUrl, RsaPublicKey, Verified,
    VerifyError, VerifyPolicy, claim_nonce, verify, verify_without_replay,
};
use payneteasy_codec::{
    DecodeError, DecodeLimits, EncodeError, GatewayError, GatewayErrorKind, compute_control,
    decode_request, decode_request_form, encode_gateway_error, encode_response,
};
use payneteasy_proto::{
    ApiVersion, Auth, ControlKey, CreateCardRefResponse, Endpoint, Operation, Status,
    StatusResponse, TransactionType, amount_minor_units,
};
use subtle::ConstantTimeEq;

use crate::log_limit::WarnLimiter;
use crate::server::{GatewayHalf, HandlerFuture};

mod callbacks;
pub mod cards;
mod console_hook;
#[cfg(test)]
mod lifecycle_tests;
mod ops;
mod orders;
mod pages;

pub(crate) use pages::escape as html_escape;

pub use callbacks::{CallbackPolicy, CallbackUrlError, check_url};
pub use cards::{
    AMOUNT_DECLINED, AMOUNT_ERROR, AMOUNT_FILTERED, AMOUNT_LONG_PROCESSING, CARD_3DS,
    CARD_APPROVED, CARD_APPROVED_MASTERCARD, CARD_DECLINED, CARD_ERROR, CARD_FILTERED,
    CARD_LONG_PROCESSING, HOSTED_FIELDS_TOKEN_PREFIX, LONG_PROCESSING_POLLS, TEST_AMOUNTS,
    TEST_CARDS, TestAmount, TestCard, TestOutcome,
};
pub use orders::{MAX_CARD_REFS_PER_MERCHANT, MAX_ORDERS_PER_MERCHANT};

use callbacks::Callbacks;
use orders::{Book, Finished, Ids, Kind, NewPayment, Order, Phase, Refused, StoredCard};

/// Login (`oauth_consumer_key`) of the default test merchant.
pub const TEST_MERCHANT_LOGIN: &str = "paygate-test-merchant";
/// `ENDPOINTID` of the default test merchant (the seed's endpoint).
pub const TEST_ENDPOINT_ID: u64 = 39915;
/// `ENDPOINTGROUPID` of the default test merchant.
pub const TEST_ENDPOINT_GROUP_ID: u64 = 1144;
/// Merchant control key of the default test merchant. Public: it protects nothing.
pub const TEST_CONTROL_KEY: &str = "paygate-test-control";
/// The default test merchant's public key (SPKI PEM), shipped in `keys/`.
pub const TEST_MERCHANT_PUBLIC_KEY_PEM: &str = include_str!("../keys/test-merchant-public.pem");
/// The matching private key (PKCS#1 PEM), for demos and tests. Public: never register it with
/// a real gateway.
pub const TEST_MERCHANT_PRIVATE_KEY_PEM: &str = include_str!("../keys/test-merchant-private.pem");
/// Where the private key file lives in the source tree this sandbox was built from.
pub const TEST_MERCHANT_PRIVATE_KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/keys/test-merchant-private.pem"
);

/// `client_orderid` of the seeded approved order (the seed document's example).
pub const APPROVED_CLIENT_ORDERID: &str = "34T43R77N";
/// `orderid` of the seeded approved order.
pub const APPROVED_ORDERID: &str = "6868305";
/// `client_orderid` of the seeded declined order.
pub const DECLINED_CLIENT_ORDERID: &str = "PG-DECLINED-1";
/// `orderid` of the seeded declined order.
pub const DECLINED_ORDERID: &str = "6868306";
/// `client_orderid` of the seeded order still in `processing`.
pub const PROCESSING_CLIENT_ORDERID: &str = "PG-PROCESSING-1";
/// `orderid` of the seeded order still in `processing`.
pub const PROCESSING_ORDERID: &str = "6868307";
/// `client_orderid` of the seeded order in a status the protocol does not model (`pending`).
pub const PENDING_CLIENT_ORDERID: &str = "PG-PENDING-1";
/// `orderid` of the seeded `pending` order.
pub const PENDING_ORDERID: &str = "6868308";

/// `error-code` (validation-error): no such order for this merchant.
pub const ERR_ORDER_NOT_FOUND: &str = "4001";
/// `error-code` (validation-error): the body is not a valid request.
pub const ERR_INVALID_REQUEST: &str = "4002";
/// `error-code` (error): the first payment is not in a final status yet.
pub const ERR_ORDER_NOT_FINAL: &str = "5001";
/// `error-code` (error): the first payment is final but was not approved.
pub const ERR_ORDER_NOT_APPROVED: &str = "5002";
/// `error-code` (validation-error): the v2 `control` is missing or does not match (or the
/// merchant has no control key).
pub const ERR_INVALID_CONTROL: &str = "4003";
/// `error-code` (validation-error): no merchant is served on the v2 endpoint.
pub const ERR_UNKNOWN_ENDPOINT: &str = "4004";
/// `error-code` (validation-error): `login` is not the merchant of the endpoint (v2) or of
/// `oauth_consumer_key` (v4).
pub const ERR_LOGIN_MISMATCH: &str = "4005";
/// `error-code` (validation-error): the amount is not valid in its currency, or the currency
/// differs from the order's.
pub const ERR_INVALID_AMOUNT: &str = "4006";
/// `error-code` (validation-error): the amount is above what remains (capture above the
/// preauthorized amount, return above what is left, a partial cancel or void).
pub const ERR_AMOUNT_ABOVE_REMAINING: &str = "4007";
/// `error-code` (validation-error): the card reference is not known to this merchant.
pub const ERR_CARD_REF_NOT_FOUND: &str = "4008";
/// `error-code` (validation-error): the card number fails the Luhn check.
pub const ERR_INVALID_CARD: &str = "4009";
/// `error-code` (validation-error): `client_orderid` is used already by a different order
/// of this merchant (another command, amount or currency).
pub const ERR_DUPLICATE_ORDER: &str = "4010";
/// `error-code` (validation-error): `redirect_url` or `server_callback_url` is not an
/// absolute `http(s)` URL.
pub const ERR_INVALID_URL: &str = "4011";
/// `error-code` (error): only a preauth can be captured, once, while not cancelled.
pub const ERR_CAPTURE_NOT_ALLOWED: &str = "5003";
/// `error-code` (error): this order cannot be returned (a transfer, an account
/// verification, or voided/cancelled already).
pub const ERR_RETURN_NOT_ALLOWED: &str = "5004";
/// `error-code` (error): this order cannot be voided (not a sale or a captured preauth, or
/// voided/returned already).
pub const ERR_VOID_NOT_ALLOWED: &str = "5005";

/// The body of every HTTP 403, as in the seed document.
pub const ACCESS_DENIED_PAGE: &str = r#"<!DOCTYPE html>
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>
    <title>403</title>

    <style type="text/css">
        body {
            font-family: Arial, sans-serif;
            font-size: 130%;
            background-color: #eee;
        }

        p {
            margin: 10em auto 0;
            width: 500px;
            border: 1px solid gray;
            text-align: center;
            vertical-align: middle;
            padding: 40px 20px;
            background-color: #fff;
            -webkit-border-radius: 20px;
            -moz-border-radius: 20px;
            border-radius: 20px;
        }
    </style>
</head>

<body>
    <p>Access is denied</p>
</body>
</html>
"#;

/// The first `card-ref-id` handed out (the seed's), then counting up.
const FIRST_CARD_REF_ID: u64 = 1_461_608;
/// The first `recurring-payment-id` handed out (the seed's), then counting up.
const FIRST_RECURRING_PAYMENT_ID: u64 = 1_491_863;
/// The first serial number (the seed's `…-000002de3113`), then counting up.
const FIRST_SERIAL: u64 = 0x2de_3113;
/// The first `orderid` of a new order, then counting up (the seeded ones are below).
const FIRST_ORDERID: u64 = 7_000_001;

pub use crate::Clock;

/// A merchant the Payneteasy half accepts.
#[derive(Clone, Debug)]
pub struct PayneteasyMerchant {
    /// The login, sent by clients as `oauth_consumer_key`.
    pub login: String,
    /// The merchant's RSA public key, PEM (SPKI or PKCS#1).
    pub public_key_pem: String,
    /// The merchant control key (redacted in `Debug`): checks the `control` of v2 requests
    /// and makes the `control` of server callbacks and customer returns. A merchant without
    /// one has its v2 requests refused ([`ERR_INVALID_CONTROL`]) and gets no callbacks.
    pub control_key: Option<ControlKey>,
    /// The merchant's `ENDPOINTID`.
    pub endpoint_id: u64,
    /// The merchant's `ENDPOINTGROUPID`.
    pub endpoint_group_id: u64,
}

impl PayneteasyMerchant {
    /// The default test merchant: [`TEST_MERCHANT_LOGIN`], [`TEST_MERCHANT_PUBLIC_KEY_PEM`],
    /// [`TEST_CONTROL_KEY`], [`TEST_ENDPOINT_ID`], [`TEST_ENDPOINT_GROUP_ID`].
    #[must_use]
    pub fn test() -> Self {
        PayneteasyMerchant {
            login: TEST_MERCHANT_LOGIN.to_owned(),
            public_key_pem: TEST_MERCHANT_PUBLIC_KEY_PEM.to_owned(),
            control_key: ControlKey::new(TEST_CONTROL_KEY).ok(),
            endpoint_id: TEST_ENDPOINT_ID,
            endpoint_group_id: TEST_ENDPOINT_GROUP_ID,
        }
    }
}

/// A first payment known to the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededOrder {
    /// The merchant owning the order; `None`: every merchant sees it.
    pub merchant_login: Option<String>,
    /// The merchant's order id.
    pub client_orderid: String,
    /// The gateway's order id.
    pub orderid: String,
    /// The order's status.
    pub status: Status,
    /// Amount, decimal text.
    pub amount: String,
    /// Currency code.
    pub currency: String,
    /// Last four digits of the card.
    pub last_four_digits: String,
    /// BIN (first six digits) of the card.
    pub bin: String,
    /// `error-code` / `error-message` reported by `status` for a failed order.
    pub error: Option<(String, String)>,
}

impl SeededOrder {
    /// An order visible to every merchant, with a 10.00 EUR amount and a Visa test card.
    #[must_use]
    pub fn new(client_orderid: &str, orderid: &str, status: Status) -> Self {
        SeededOrder {
            merchant_login: None,
            client_orderid: client_orderid.to_owned(),
            orderid: orderid.to_owned(),
            status,
            amount: "10.00".to_owned(),
            currency: "EUR".to_owned(),
            last_four_digits: "1111".to_owned(),
            bin: "411111".to_owned(),
            error: None,
        }
    }

    /// The four default orders: approved ([`APPROVED_CLIENT_ORDERID`], the seed's example),
    /// declined, processing, and `pending` (a status the protocol does not model).
    #[must_use]
    pub fn defaults() -> Vec<SeededOrder> {
        let mut declined =
            SeededOrder::new(DECLINED_CLIENT_ORDERID, DECLINED_ORDERID, Status::Declined);
        declined.amount = "25.50".to_owned();
        declined.last_four_digits = "0002".to_owned();
        declined.bin = "400000".to_owned();
        declined.error = Some(("05".to_owned(), "Do not honor".to_owned()));
        let mut processing = SeededOrder::new(
            PROCESSING_CLIENT_ORDERID,
            PROCESSING_ORDERID,
            Status::Processing,
        );
        processing.currency = "USD".to_owned();
        processing.last_four_digits = "4444".to_owned();
        processing.bin = "555555".to_owned();
        vec![
            SeededOrder::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID, Status::Approved),
            declined,
            processing,
            SeededOrder::new(
                PENDING_CLIENT_ORDERID,
                PENDING_ORDERID,
                Status::Unknown("pending".to_owned()),
            ),
        ]
    }
}

/// Settings of the Payneteasy half, mounted with [`crate::SandboxBuilder::payneteasy`].
#[derive(Clone)]
pub struct PayneteasySandboxConfig {
    /// The merchants accepted. Default: [`PayneteasyMerchant::test`].
    pub merchants: Vec<PayneteasyMerchant>,
    /// The first payments known. Default: [`SeededOrder::defaults`].
    pub orders: Vec<SeededOrder>,
    /// How far `oauth_timestamp` may be from the sandbox's clock, either way. Default 300 s.
    /// The real gateway's tolerance is not published.
    pub max_skew_secs: u64,
    /// Where the sandbox reads the time. Default [`SystemTime::now`].
    pub clock: Clock,
    /// A replay cache shared with other verifiers (such as a Redis store of the
    /// `oauth1-nonce-redis` crate, so that several sandboxes refuse each other's nonces).
    /// Default `None`: the sandbox's own in-memory store, checked inline. With a shared store
    /// the claim is awaited after the signature is verified; when the store cannot answer, the
    /// request is refused with HTTP 503 (never accepted) and counted in
    /// [`PayneteasyStats::refused_replay_check_unavailable`].
    pub nonce_store: Option<Arc<dyn AsyncNonceStore>>,
    /// How server callbacks are sent (retries, backoff, queue bound). Default
    /// [`CallbackPolicy::default`].
    pub callbacks: CallbackPolicy,
}

impl Default for PayneteasySandboxConfig {
    fn default() -> Self {
        PayneteasySandboxConfig {
            merchants: vec![PayneteasyMerchant::test()],
            orders: SeededOrder::defaults(),
            max_skew_secs: 300,
            clock: Arc::new(SystemTime::now),
            nonce_store: None,
            callbacks: CallbackPolicy::default(),
        }
    }
}

impl fmt::Debug for PayneteasySandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayneteasySandboxConfig")
            .field("merchants", &self.merchants)
            .field("orders", &self.orders)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("shared_nonce_store", &self.nonce_store.is_some())
            .field("callbacks", &self.callbacks)
            .finish_non_exhaustive()
    }
}

/// What the Payneteasy half has done so far ([`crate::Sandbox::payneteasy_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayneteasyStats {
    /// Card references created (a repeat for the same order creates none).
    pub card_refs_created: u64,
    /// Authenticated requests answered (responses and in-band errors alike).
    pub answered: u64,
    /// Refused: the `oauth_consumer_key` is no known merchant.
    pub refused_unknown_merchant: u64,
    /// Refused: the signature does not match.
    pub refused_bad_signature: u64,
    /// Refused: a valid merchant on another merchant's endpoint or group.
    pub refused_wrong_endpoint: u64,
    /// Refused: the timestamp is outside the allowed skew.
    pub refused_stale_timestamp: u64,
    /// Refused: the nonce was already used.
    pub refused_replayed_nonce: u64,
    /// Refused with HTTP 503: the shared nonce store
    /// ([`PayneteasySandboxConfig::nonce_store`]) could not answer, so the replay check was
    /// unavailable (fail closed).
    pub refused_replay_check_unavailable: u64,
    /// Refused: no or unreadable `Authorization` header, missing OAuth parameters, another
    /// signature method.
    pub refused_malformed: u64,
    /// Refused with HTTP 400 before authentication: a `Host` (or request-target authority)
    /// that is not a plain `host[:port]`, two `Host` headers, or a `Host` that disagrees with
    /// an absolute request target ([`AuthorityError`]).
    pub refused_bad_request: u64,
    /// v2 requests refused in band (`validation-error`, [`ERR_INVALID_CONTROL`]) for a
    /// missing or wrong `control`.
    pub refused_bad_control: u64,
    /// v2 requests refused in band ([`ERR_UNKNOWN_ENDPOINT`]) for an endpoint no merchant has.
    pub refused_unknown_endpoint: u64,
    /// Orders created (a repeated `client_orderid` creates none).
    pub orders_created: u64,
    /// Server callbacks answered HTTP 200.
    pub callbacks_sent: u64,
    /// Server callbacks given up after [`CallbackPolicy::max_attempts`].
    pub callbacks_failed: u64,
    /// Server callbacks dropped because the queue was full (or the sandbox not running).
    pub callbacks_dropped: u64,
    /// Callback attempts made (first tries and retries).
    pub callback_attempts: u64,
}

impl PayneteasyStats {
    /// All refusals (HTTP 403, the HTTP 400 of [`Self::refused_bad_request`], and the v2
    /// control and endpoint refusals) together.
    #[must_use]
    pub fn refused(&self) -> u64 {
        self.refused_bad_request
            + self.refused_bad_control
            + self.refused_unknown_endpoint
            + self.refused_unknown_merchant
            + self.refused_bad_signature
            + self.refused_wrong_endpoint
            + self.refused_stale_timestamp
            + self.refused_replayed_nonce
            + self.refused_replay_check_unavailable
            + self.refused_malformed
    }
}

/// Why a request was refused with HTTP 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    UnknownMerchant,
    BadSignature,
    WrongEndpoint,
    StaleTimestamp,
    ReplayedNonce,
    /// HTTP 503, not 403: the shared nonce store could not answer.
    ReplayCheckUnavailable,
    Malformed(&'static str),
    /// HTTP 400, not 403: the request's authority is unusable.
    BadRequest(AuthorityError),
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    card_refs_created: AtomicU64,
    answered: AtomicU64,
    unknown_merchant: AtomicU64,
    bad_signature: AtomicU64,
    wrong_endpoint: AtomicU64,
    stale_timestamp: AtomicU64,
    replayed_nonce: AtomicU64,
    replay_check_unavailable: AtomicU64,
    malformed: AtomicU64,
    bad_request: AtomicU64,
    bad_control: AtomicU64,
    unknown_endpoint: AtomicU64,
    orders_created: AtomicU64,
    callbacks_sent: AtomicU64,
    callbacks_failed: AtomicU64,
    callbacks_dropped: AtomicU64,
    callback_attempts: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> PayneteasyStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PayneteasyStats {
            card_refs_created: get(&self.card_refs_created),
            answered: get(&self.answered),
            refused_unknown_merchant: get(&self.unknown_merchant),
            refused_bad_signature: get(&self.bad_signature),
            refused_wrong_endpoint: get(&self.wrong_endpoint),
            refused_stale_timestamp: get(&self.stale_timestamp),
            refused_replayed_nonce: get(&self.replayed_nonce),
            refused_replay_check_unavailable: get(&self.replay_check_unavailable),
            refused_malformed: get(&self.malformed),
            refused_bad_request: get(&self.bad_request),
            refused_bad_control: get(&self.bad_control),
            refused_unknown_endpoint: get(&self.unknown_endpoint),
            orders_created: get(&self.orders_created),
            callbacks_sent: get(&self.callbacks_sent),
            callbacks_failed: get(&self.callbacks_failed),
            callbacks_dropped: get(&self.callbacks_dropped),
            callback_attempts: get(&self.callback_attempts),
        }
    }

    fn refused(&self, refusal: Refusal) {
        let counter = match refusal {
            Refusal::UnknownMerchant => &self.unknown_merchant,
            Refusal::BadSignature => &self.bad_signature,
            Refusal::WrongEndpoint => &self.wrong_endpoint,
            Refusal::StaleTimestamp => &self.stale_timestamp,
            Refusal::ReplayedNonce => &self.replayed_nonce,
            Refusal::ReplayCheckUnavailable => &self.replay_check_unavailable,
            Refusal::Malformed(_) => &self.malformed,
            Refusal::BadRequest(_) => &self.bad_request,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why the authority a request was sent to (its `Host`, or the authority of an absolute
/// request target) was refused with HTTP 400. The sandbox verifies the signature over
/// `scheme://AUTHORITY` and the very path it routes on, so the authority must be a plain
/// `host[:port]` and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// No `Host` header and no absolute request target.
    #[error("no Host header")]
    Missing,
    /// More than one `Host` header.
    #[error("more than one Host header")]
    Duplicate,
    /// The authority is empty.
    #[error("the Host header is empty")]
    Empty,
    /// Whitespace, control or non-ASCII characters.
    #[error("the Host header contains whitespace, control or non-ASCII characters")]
    NotVisibleAscii,
    /// A `/`, `?` or `#`: a path, query or fragment smuggled into the authority.
    #[error("the Host header contains a path, query or fragment delimiter")]
    Delimiter,
    /// A `@`: user information.
    #[error("the Host header contains user information (@)")]
    UserInfo,
    /// The host is not a registered name (letters, digits, `-`, `.`, `_`) nor a bracketed
    /// IPv6 address.
    #[error("the host is not a plain name, IPv4 or bracketed IPv6 address")]
    InvalidHost,
    /// The port is empty, not decimal digits, or above 65535.
    #[error("the port is not a number from 0 to 65535")]
    InvalidPort,
    /// An absolute request target names another scheme or authority than the connection
    /// and the `Host` header.
    #[error("the request target and the Host header disagree")]
    Mismatch,
}

/// Checks that `text` is a plain `host[:port]` authority (as in a `Host` header) and returns
/// it parsed.
///
/// Accepted: a registered name or IPv4 address of letters, digits, `-`, `.` and `_`, or a
/// bracketed IPv6 address, optionally followed by `:` and 1–5 digits up to 65535.
///
/// # Errors
/// The [`AuthorityError`] naming the first problem found.
pub fn validate_authority(text: &str) -> Result<http::uri::Authority, AuthorityError> {
    if text.is_empty() {
        return Err(AuthorityError::Empty);
    }
    if text.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(AuthorityError::NotVisibleAscii);
    }
    if text.contains(['/', '?', '#']) {
        return Err(AuthorityError::Delimiter);
    }
    if text.contains('@') {
        return Err(AuthorityError::UserInfo);
    }
    let authority: http::uri::Authority = text.parse().map_err(|_| AuthorityError::InvalidHost)?;
    let host = authority.host();
    let valid_host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .is_some_and(|v6| v6.parse::<std::net::Ipv6Addr>().is_ok()),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        }
    };
    if !valid_host {
        return Err(AuthorityError::InvalidHost);
    }
    match text.strip_prefix(host).ok_or(AuthorityError::InvalidHost)? {
        "" => {}
        rest => {
            let digits = rest.strip_prefix(':').ok_or(AuthorityError::InvalidHost)?;
            let valid = !digits.is_empty()
                && digits.len() <= 5
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok();
            if !valid {
                return Err(AuthorityError::InvalidPort);
            }
        }
    }
    Ok(authority)
}

/// The authority the client addressed: the `Host` header, or the authority of an absolute
/// request target (which must then agree with `Host` when both are present).
fn request_authority(
    request: &Request<Bytes>,
    scheme: &str,
) -> Result<http::uri::Authority, AuthorityError> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Err(AuthorityError::Duplicate);
    }
    let host = host
        .map(|h| h.to_str().map_err(|_| AuthorityError::NotVisibleAscii))
        .transpose()?
        .map(validate_authority)
        .transpose()?;
    match (request.uri().authority(), host) {
        (None, None) => Err(AuthorityError::Missing),
        (None, Some(host)) => Ok(host),
        (Some(target), host) => {
            let target = validate_authority(target.as_str())?;
            let same_scheme = request
                .uri()
                .scheme_str()
                .is_none_or(|s| s.eq_ignore_ascii_case(scheme));
            let same_host = host
                .as_ref()
                .is_none_or(|h| h.as_str().eq_ignore_ascii_case(target.as_str()));
            if same_scheme && same_host {
                Ok(target)
            } else {
                Err(AuthorityError::Mismatch)
            }
        }
    }
}

struct Merchant {
    login: String,
    key: RsaPublicKey,
    control_key: Option<ControlKey>,
    endpoint_id: u64,
    endpoint_group_id: u64,
}

impl Merchant {
    fn owns(&self, endpoint: Endpoint) -> bool {
        match endpoint {
            Endpoint::Id(id) => id == self.endpoint_id,
            Endpoint::Group(id) => id == self.endpoint_group_id,
        }
    }
}

/// The most 3-D Secure and payment-form tokens kept at once (the oldest is forgotten).
const MAX_TOKENS: usize = 10_000;

/// The mutable state: every merchant's order book, the id counters and the payer tokens.
struct State {
    /// login → book.
    books: HashMap<String, Book>,
    ids: Ids,
    /// token → (login, orderid) of an order waiting for its payer.
    tokens: HashMap<String, (String, String)>,
    token_fifo: VecDeque<String>,
}

impl State {
    fn add_token(&mut self, token: String, login: &str, orderid: &str) {
        while self.token_fifo.len() >= MAX_TOKENS {
            let Some(old) = self.token_fifo.pop_front() else {
                break;
            };
            self.tokens.remove(&old);
        }
        self.token_fifo.push_back(token.clone());
        self.tokens
            .insert(token, (login.to_owned(), orderid.to_owned()));
    }
}

/// The API path prefix; the payer pages are under [`ACS_PREFIX`] and [`FORM_PREFIX`].
const PREFIX: &str = "/paynet/";
const API_PREFIX: &str = "/paynet/api/";
/// The sandbox's 3-D Secure ACS pages: `/paynet/acs/{token}`.
pub const ACS_PREFIX: &str = "/paynet/acs/";
/// The sandbox's payment-form pages of the form commands: `/paynet/form/{token}`.
pub const FORM_PREFIX: &str = "/paynet/form/";

/// `v2|v4/{command…}/{id}` or `…/{command…}/group/{id}` after [`API_PREFIX`]: the version,
/// the command path (which may hold a `/`, as `sync/account-verification`) and the endpoint.
fn parse_path(path: &str) -> Option<(ApiVersion, &str, Endpoint)> {
    let rest = path.strip_prefix(API_PREFIX)?;
    let (version, rest) = rest.split_once('/')?;
    let version = match version {
        "v2" => ApiVersion::V2,
        "v4" => ApiVersion::V4,
        _ => return None,
    };
    let (head, id) = rest.rsplit_once('/')?;
    let (command, endpoint) = match head.strip_suffix("/group") {
        Some(command) => (command, format!("group/{id}")),
        None => (head, id.to_owned()),
    };
    if command.is_empty() || command == "group" {
        return None;
    }
    Some((version, command, endpoint.parse().ok()?))
}

pub(crate) struct PayneteasyHalf {
    merchants: HashMap<String, Merchant>,
    max_skew_secs: u64,
    clock: Clock,
    nonces: MemoryNonceStore,
    /// Replaces `nonces` when set: claimed asynchronously after verification.
    shared_nonces: Option<Arc<dyn AsyncNonceStore>>,
    state: Mutex<State>,
    serial: AtomicU64,
    counters: Arc<Counters>,
    callbacks: Callbacks,
    /// `https` once the sandbox starts with TLS; the scheme of the URL the client signed.
    scheme: OnceLock<&'static str>,
    limits: DecodeLimits,
    refusal_warnings: WarnLimiter,
    /// The console's request log, set at start ([`Self::set_request_log`]).
    request_log: OnceLock<Arc<crate::console::RequestLog>>,
}

/// A seeded order as an order of the book.
fn seeded_order(seed: &SeededOrder) -> Order {
    let final_status = seed.status.is_final();
    Order {
        client_orderid: seed.client_orderid.clone(),
        orderid: seed.orderid.clone(),
        kind: Kind::Sale,
        amount: seed.amount.clone(),
        minor: amount_minor_units(&seed.amount, &seed.currency).unwrap_or(0),
        currency: seed.currency.clone(),
        status: seed.status.clone(),
        transaction_type: Kind::Sale.transaction_type(),
        paid: seed.status.is_approved(),
        phase: if final_status {
            Phase::Final
        } else {
            Phase::Held
        },
        error: seed.error.clone(),
        card: Some(StoredCard {
            bin: seed.bin.clone(),
            last_four: seed.last_four_digits.clone(),
            expire_month: "12".to_owned(),
            expire_year: "2030".to_owned(),
            printed_name: "TEST CARDHOLDER".to_owned(),
            outcome: TestOutcome::Approved,
        }),
        captured: None,
        returned: 0,
        voided: false,
        cancelled: false,
        redirect_url: None,
        server_callback_url: None,
        card_ref_id: None,
        seeded: true,
    }
}

impl PayneteasyHalf {
    /// Checks the configuration: every public key must load, logins must be unique and
    /// non-empty, endpoints unique, order ids unique.
    pub(crate) fn new(
        config: PayneteasySandboxConfig,
        counters: Arc<Counters>,
    ) -> Result<Self, String> {
        let mut merchants: HashMap<String, Merchant> = HashMap::new();
        for m in config.merchants {
            if m.login.is_empty() || m.login.chars().any(char::is_control) {
                return Err(
                    "a Payneteasy merchant login is empty or has control characters".into(),
                );
            }
            let key = RsaPublicKey::from_pem(&m.public_key_pem).map_err(|e| {
                format!(
                    "the public key of Payneteasy merchant {:?} cannot be read: {e}",
                    m.login
                )
            })?;
            if merchants.contains_key(&m.login) {
                return Err(format!("Payneteasy merchant {:?} is listed twice", m.login));
            }
            let shared_endpoint = merchants.values().any(|o| {
                o.owns(Endpoint::Id(m.endpoint_id)) || o.owns(Endpoint::Group(m.endpoint_group_id))
            });
            if shared_endpoint {
                return Err(format!(
                    "Payneteasy merchant {:?} has the endpoint or endpoint group of another merchant",
                    m.login
                ));
            }
            merchants.insert(
                m.login.clone(),
                Merchant {
                    login: m.login,
                    key,
                    control_key: m.control_key,
                    endpoint_id: m.endpoint_id,
                    endpoint_group_id: m.endpoint_group_id,
                },
            );
        }
        let mut books: HashMap<String, Book> = merchants
            .keys()
            .map(|login| (login.clone(), Book::default()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for order in &config.orders {
            if !seen.insert(order.client_orderid.clone()) {
                return Err(format!("order {:?} is seeded twice", order.client_orderid));
            }
            for (login, book) in &mut books {
                if order.merchant_login.as_deref().is_none_or(|l| l == login) {
                    book.seed(seeded_order(order));
                }
            }
        }
        // Any timestamp that passes the skew check must still be inside the store's window.
        let window = config.max_skew_secs.saturating_mul(2).saturating_add(60);
        Ok(PayneteasyHalf {
            merchants,
            max_skew_secs: config.max_skew_secs,
            clock: config.clock,
            nonces: MemoryNonceStore::new(window, 1_000_000),
            shared_nonces: config.nonce_store,
            state: Mutex::new(State {
                books,
                ids: Ids {
                    next_orderid: FIRST_ORDERID,
                    next_card_ref: FIRST_CARD_REF_ID,
                    next_recurring: FIRST_RECURRING_PAYMENT_ID,
                },
                tokens: HashMap::new(),
                token_fifo: VecDeque::new(),
            }),
            serial: AtomicU64::new(FIRST_SERIAL),
            callbacks: Callbacks::new(config.callbacks, counters.clone()),
            counters,
            scheme: OnceLock::new(),
            limits: DecodeLimits::default(),
            refusal_warnings: WarnLimiter::default(),
            request_log: OnceLock::new(),
        })
    }

    /// Called once at start: the scheme clients use to reach (and sign for) the sandbox.
    pub(crate) fn set_tls(&self, tls: bool) {
        let _ = self.scheme.set(if tls { "https" } else { "http" });
    }

    /// Called once at start: where every request and its answer is recorded.
    pub(crate) fn set_request_log(&self, log: Arc<crate::console::RequestLog>) {
        let _ = self.request_log.set(log);
    }

    /// Called once at start, on the runtime: starts the callback worker.
    pub(crate) fn start_callbacks(&self) {
        self.callbacks.start();
    }

    fn now_secs(&self) -> u64 {
        (self.clock)()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn next_serial(&self) -> String {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        format!("00000000-0000-0000-0000-{n:012x}")
    }

    /// Authenticates `request`, routed on `path` (the very string the signature is verified
    /// over, with the validated authority and the connection's scheme in front). With the
    /// own memory store the nonce is claimed here too; with a shared store the verified
    /// request is handed back so that its nonce can be claimed asynchronously
    /// ([`Self::claim_shared`]) before the endpoint check ([`Self::check_endpoint`]).
    fn authenticate(
        &self,
        request: &Request<Bytes>,
        path: &str,
    ) -> Result<(&Merchant, Option<Verified>), Refusal> {
        let scheme = self.scheme.get().copied().unwrap_or("http");
        let authority = request_authority(request, scheme).map_err(Refusal::BadRequest)?;
        let mut values = request.headers().get_all(header::AUTHORIZATION).iter();
        let value = values
            .next()
            .ok_or(Refusal::Malformed("no Authorization header"))?;
        if values.next().is_some() {
            return Err(Refusal::Malformed("more than one Authorization header"));
        }
        let value = value
            .to_str()
            .map_err(|_| Refusal::Malformed("the Authorization header is not text"))?;
        let parsed = AuthorizationHeader::parse(value)
            .map_err(|_| Refusal::Malformed("the Authorization header is not OAuth"))?;
        let login = parsed
            .consumer_key()
            .ok_or(Refusal::Malformed("no oauth_consumer_key"))?;
        let merchant = self.merchants.get(login).ok_or(Refusal::UnknownMerchant)?;
        let url = match request.uri().query() {
            Some(query) => format!("{scheme}://{authority}{path}?{query}"),
            None => format!("{scheme}://{authority}{path}"),
        };
        let url =
            RequestUrl::parse(&url).map_err(|_| Refusal::Malformed("unusable Host or path"))?;
        // Built from validated parts this always holds; checked so that it stays so.
        if url.path() != path {
            return Err(Refusal::Malformed(
                "the verified path is not the routed path",
            ));
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let to_verify = oauth1_signer::Request::new(request.method().as_str(), url)
            .with_body(content_type, request.body());
        let policy = VerifyPolicy::new(self.now_secs(), self.max_skew_secs);
        if self.shared_nonces.is_some() {
            let verified = verify_without_replay(&to_verify, &parsed, &merchant.key, &policy)
                .map_err(refusal_of)?;
            Ok((merchant, Some(verified)))
        } else {
            let policy = policy.with_nonce_store(&self.nonces);
            verify(&to_verify, &parsed, &merchant.key, &policy).map_err(refusal_of)?;
            Ok((merchant, None))
        }
    }

    /// Claims the nonce of `verified` in the shared store (fail closed: a store that cannot
    /// answer refuses the request).
    async fn claim_shared(&self, verified: &Verified) -> Result<(), Refusal> {
        let Some(store) = self.shared_nonces.as_deref() else {
            return Ok(());
        };
        claim_nonce(store, verified.nonce_claim())
            .await
            .map_err(|e| {
                if let VerifyError::ReplayCheckUnavailable(unavailable) = &e {
                    tracing::debug!(error = %e, reason = %unavailable.reason(), "shared nonce store unavailable");
                }
                refusal_of(e)
            })
    }

    /// A merchant is served only on its own endpoint and endpoint group.
    fn check_endpoint(merchant: &Merchant, endpoint: Endpoint) -> Result<(), Refusal> {
        if merchant.owns(endpoint) {
            Ok(())
        } else {
            Err(Refusal::WrongEndpoint)
        }
    }

    /// The v2 `control` check: the SHA-1 the codec computes for `request` with the
    /// merchant's control key ([`payneteasy_codec::compute_control`]), compared in constant
    /// time with the one sent (hex, either case).
    fn check_control<O: Served>(
        &self,
        ctx: &Ctx<'_>,
        request: &O::Request,
        sent: Option<&str>,
    ) -> Result<(), Refused> {
        let bad = |message: &str| {
            self.counters.bad_control.fetch_add(1, Ordering::Relaxed);
            Refused::validation(ERR_INVALID_CONTROL, message)
        };
        let Some(key) = &ctx.merchant.control_key else {
            return Err(bad(
                "this merchant has no control key: its v2 commands are refused",
            ));
        };
        let Some(sent) = sent else {
            return Err(bad("control is missing"));
        };
        let expected = compute_control::<O>(&ctx.endpoint, request, key).map_err(|e| {
            Refused::validation(ERR_INVALID_REQUEST, format!("invalid request: {e}"))
        })?;
        let (mut got, mut want) = ([0u8; 20], [0u8; 20]);
        let readable = hex::decode_to_slice(sent, &mut got).is_ok()
            && hex::decode_to_slice(&expected, &mut want).is_ok();
        let legacy_matches = || {
            O::legacy_control(self, ctx, request, key).is_some_and(|legacy| {
                let mut want = [0u8; 20];
                hex::decode_to_slice(&legacy, &mut want).is_ok() && bool::from(got.ct_eq(&want))
            })
        };
        if readable && (bool::from(got.ct_eq(&want)) || legacy_matches()) {
            Ok(())
        } else {
            Err(bad(
                "control does not match the request and the merchant control key",
            ))
        }
    }

    /// HTTP 200 with the operation's response, form-encoded, or JSON when asked.
    fn answer<O: Operation>(&self, ctx: &Ctx<'_>, response: &O::Response) -> Response<Bytes> {
        console_hook::accepted(if ctx.json {
            json_answer(StatusCode::OK, serde_json::to_vec(response))
        } else {
            form_answer(encode_response::<O>(response))
        })
    }

    /// A `validation-error` / `error` answer: HTTP 200 and a form (the gateway's form mode),
    /// or HTTP 400 and a JSON body with `type`, `serial-number`, `error-message` and a numeric
    /// `error-code` (JSON mode).
    fn reject(&self, json: bool, refused: Refused) -> Response<Bytes> {
        let decided = refused.clone();
        console_hook::rejected(self.reject_unmarked(json, refused), &decided)
    }

    fn reject_unmarked(&self, json: bool, refused: Refused) -> Response<Bytes> {
        let kind = if refused.validation {
            GatewayErrorKind::ValidationError
        } else {
            GatewayErrorKind::Error
        };
        let serial = self.next_serial();
        tracing::debug!(code = refused.code, message = %refused.message, "Payneteasy request rejected");
        if json {
            let code = refused.code.parse::<u64>().map_or_else(
                |_| serde_json::Value::from(refused.code),
                serde_json::Value::from,
            );
            let body = serde_json::json!({
                "type": kind.as_str(),
                "serial-number": serial,
                "error-message": refused.message,
                "error-code": code,
            });
            json_answer(StatusCode::BAD_REQUEST, serde_json::to_vec(&body))
        } else {
            let mut error = GatewayError::new(kind);
            error.serial_number = Some(serial);
            error.message = Some(refused.message);
            error.code = Some(refused.code.to_owned());
            form_answer(encode_gateway_error(&error))
        }
    }

    /// Queues the server callback of an order that became final, with the merchant's
    /// control key (a merchant without one gets none).
    fn send_callback(&self, merchant: &Merchant, finished: Option<Finished>) {
        let Some(finished) = finished else {
            return;
        };
        match &merchant.control_key {
            Some(key) => self.callbacks.enqueue(&finished, key),
            None => tracing::debug!(login = %merchant.login, "no control key: no server callback"),
        }
    }

    /// Runs `f` on the merchant's book (and the shared ids) under the lock.
    fn with_book<T>(
        &self,
        merchant: &Merchant,
        f: impl FnOnce(&mut Book, &mut Ids) -> Result<T, Refused>,
    ) -> Result<T, Refused> {
        let mut state = crate::lock(&self.state);
        let State { books, ids, .. } = &mut *state;
        let book = books.entry(merchant.login.clone()).or_default();
        f(book, ids)
    }

    /// Places a payment of `kind` (a new order, or the existing one for a repeated
    /// `client_orderid`); URLs must be http(s).
    fn place(&self, ctx: &Ctx<'_>, kind: Kind, payment: NewPayment) -> Result<Order, Refused> {
        for (name, url) in [
            ("redirect_url", &payment.redirect_url),
            ("server_callback_url", &payment.server_callback_url),
        ] {
            if let Some(url) = url {
                check_url(url)
                    .map_err(|e| Refused::validation(ERR_INVALID_URL, format!("{name}: {e}")))?;
            }
        }
        let (placed, finished) = {
            let mut state = crate::lock(&self.state);
            let State { books, ids, .. } = &mut *state;
            let book = books.entry(ctx.merchant.login.clone()).or_default();
            let (placed, finished, token) = book.place(ids, kind, payment, new_token)?;
            if let Some(token) = token {
                state.add_token(token, &ctx.merchant.login, &placed.order.orderid);
            }
            (placed, finished)
        };
        if !placed.repeated {
            self.counters.orders_created.fetch_add(1, Ordering::Relaxed);
            tracing::info!(orderid = %placed.order.orderid, client_orderid = %placed.order.client_orderid, kind = placed.order.kind.transaction_type(), status = %placed.order.status, "order created");
        }
        self.send_callback(ctx.merchant, finished);
        Ok(placed.order)
    }

    /// A follow-up transaction on an order (capture, return, void), with its callback.
    fn follow_up(
        &self,
        ctx: &Ctx<'_>,
        f: impl FnOnce(&mut Book) -> Result<(Order, Option<Finished>), Refused>,
    ) -> Result<Order, Refused> {
        let (order, finished) = self.with_book(ctx.merchant, |book, _| f(book))?;
        self.send_callback(ctx.merchant, finished);
        Ok(order)
    }

    /// `status`: the order as it is now (a poll advances a long `processing` one).
    fn poll(
        &self,
        ctx: &Ctx<'_>,
        client_orderid: &str,
        orderid: Option<&str>,
    ) -> Result<StatusResponse, Refused> {
        let (order, finished) =
            self.with_book(ctx.merchant, |book, _| book.poll(client_orderid, orderid))?;
        self.send_callback(ctx.merchant, finished);
        Ok(self.status_response(ctx, &order))
    }

    /// The `status-response` of an order.
    fn status_response(&self, ctx: &Ctx<'_>, order: &Order) -> StatusResponse {
        let mut response = StatusResponse::new(order.status.clone());
        response.amount = Some(order.amount.clone());
        response.currency = Some(order.currency.clone()).filter(|c| !c.is_empty());
        response.paynet_order_id = Some(order.orderid.clone());
        response.merchant_order_id = Some(order.client_orderid.clone());
        response.serial_number = Some(self.next_serial());
        response.card_ref_id = order.card_ref_id.clone();
        if let Some(card) = &order.card {
            response.last_four_digits = Some(card.last_four.clone());
            response.bin = Some(card.bin.clone());
        }
        if let Some((code, message)) = &order.error {
            response.error_code = Some(code.clone());
            response.error_message = Some(message.clone());
        }
        if let Phase::Challenge(token) = &order.phase {
            response.html = Some(pages::challenge_html(
                &format!("{}{ACS_PREFIX}{token}", ctx.base),
                &order.orderid,
            ));
        }
        response.transaction_type = Some(TransactionType::parse(order.transaction_type));
        response
    }

    /// `create-card-ref` (v2 and v4): a card reference for a final, approved first payment.
    fn card_ref(
        &self,
        ctx: &Ctx<'_>,
        client_orderid: &str,
        orderid: &str,
    ) -> Result<CreateCardRefResponse, Refused> {
        let (card_ref, made) = self.with_book(ctx.merchant, |book, ids| {
            book.create_card_ref(ids, client_orderid, orderid)
        })?;
        if made {
            self.counters
                .card_refs_created
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(%client_orderid, card_ref_id = %card_ref.card_ref_id, "card reference created");
        }
        let mut response = CreateCardRefResponse::new(Status::Approved);
        response.serial_number = Some(self.next_serial());
        response.card_ref_id = Some(card_ref.card_ref_id.clone());
        response.recurring_payment_id = Some(card_ref.recurring_payment_id);
        response.dst_card_ref_id = Some(card_ref.card_ref_id);
        Ok(response)
    }
}

/// A fresh unguessable token for a payer page (128 random bits, hex).
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Never seen; a counter-based token still works for a sandbox.
        static FALLBACK: AtomicU64 = AtomicU64::new(1);
        bytes[..8].copy_from_slice(&FALLBACK.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    hex::encode(bytes)
}

/// What a command handler gets: the authenticated merchant, the endpoint, the request and
/// how to answer.
pub(crate) struct Ctx<'a> {
    merchant: &'a Merchant,
    endpoint: Endpoint,
    request: &'a Request<Bytes>,
    /// The client asked for JSON (`Accept: application/vnd.pay+json`).
    json: bool,
    /// `scheme://authority` the client reached the sandbox at (for the payer links).
    base: String,
}

/// An operation the sandbox serves: its semantics, over the typed request.
pub(crate) trait Served: Operation {
    /// Whether the answer is JSON whatever the `Accept` header says.
    const JSON_ONLY: bool = false;

    /// Another `control` that a published client computes for this request (PHPLIB's
    /// capture and return sign the order's amount even when they send none, specification
    /// R3/R4), accepted besides the documented one.
    fn legacy_control(
        _half: &PayneteasyHalf,
        _ctx: &Ctx<'_>,
        _request: &Self::Request,
        _key: &ControlKey,
    ) -> Option<String> {
        None
    }

    /// Answers a decoded, authenticated request.
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: Self::Request,
    ) -> Result<Self::Response, Refused>;
}

/// One route: an operation's version and path, and its handler.
pub(crate) struct Route {
    version: ApiVersion,
    path: &'static str,
    serve: fn(&PayneteasyHalf, &Ctx<'_>) -> Response<Bytes>,
}

const fn route<O: Served>() -> Route {
    Route {
        version: O::VERSION,
        path: O::PATH,
        serve: serve::<O>,
    }
}

/// PHPLIB's path of `make-rebill-sale` (`make-rebill`, specification R2).
const MAKE_REBILL_ALIAS: &str = "make-rebill";

fn find_route(version: ApiVersion, command: &str) -> Option<&'static Route> {
    let command = match (version, command) {
        (ApiVersion::V2, MAKE_REBILL_ALIAS) => ops::MAKE_REBILL_SALE_PATH,
        _ => command,
    };
    ops::ROUTES
        .iter()
        .find(|r| r.version == version && r.path == command)
}

/// Whether the request asks for JSON answers (`Accept` contains
/// `application/vnd.pay+json`, in any `Accept` header, any case).
fn wants_json(request: &Request<Bytes>) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains(JSON_ACCEPT))
}

/// The `Accept` value that asks for JSON answers.
pub const JSON_ACCEPT: &str = "application/vnd.pay+json";

/// Decodes, checks and answers one request of operation `O`: `login` (when sent) must be the
/// merchant's, the body must be a valid request, a v2 `control` must match.
fn serve<O: Served>(half: &PayneteasyHalf, ctx: &Ctx<'_>) -> Response<Bytes> {
    let json_ctx;
    let ctx = if O::JSON_ONLY && !ctx.json {
        json_ctx = Ctx {
            json: true,
            base: ctx.base.clone(),
            ..*ctx
        };
        &json_ctx
    } else {
        ctx
    };
    let body = ctx.request.body();
    // An empty body without a content type (HF's ephemeral-ticket call) is an empty form.
    let content_type = match content_type(ctx.request) {
        None if body.is_empty() => Some(payneteasy_codec::FORM_CONTENT_TYPE),
        content_type => content_type,
    };
    let fields = match decode_request_form(content_type, body, &half.limits) {
        Ok(fields) => fields,
        Err(e) => return half.reject(ctx.json, invalid_request(&e)),
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if field("login").is_some_and(|l| l != ctx.merchant.login) {
        return half.reject(
            ctx.json,
            Refused::validation(
                ERR_LOGIN_MISMATCH,
                "login is not the merchant of this endpoint (or of oauth_consumer_key)",
            ),
        );
    }
    let request = match decode_request::<O>(content_type, body, &half.limits) {
        Ok(request) => request,
        Err(e) => return half.reject(ctx.json, invalid_request(&e)),
    };
    if matches!(O::AUTH, Auth::Control(_))
        && let Err(refused) = half.check_control::<O>(ctx, &request, field("control"))
    {
        return half.reject(ctx.json, refused);
    }
    match O::serve(half, ctx, request) {
        Ok(response) => half.answer::<O>(ctx, &response),
        Err(refused) => half.reject(ctx.json, refused),
    }
}

fn invalid_request(error: &DecodeError) -> Refused {
    let mut message = error.to_string();
    if let Some(source) = std::error::Error::source(error) {
        message.push_str(": ");
        message.push_str(&source.to_string());
    }
    Refused::validation(ERR_INVALID_REQUEST, message)
}

impl GatewayHalf for PayneteasyHalf {
    fn prefix(&self) -> &str {
        PREFIX
    }

    fn route<'a>(&self, path: &'a str) -> Option<&'a str> {
        let (version, command, _) = parse_path(path)?;
        find_route(version, command).map(|r| r.path)
    }

    fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let seen = self.seen(&request);
        let response = match self.begin(request) {
            Step::Answer(answer) => answer,
            Step::Verified(begun) => match begun.verified {
                None => self.finish(begun, Ok(())),
                // The server always calls `handle_async`, which claims in the shared store;
                // a synchronous caller cannot, so the replay check is unavailable: refused.
                Some(_) => self.finish(begun, Err(Refusal::ReplayCheckUnavailable)),
            },
        };
        self.record(seen, &response);
        response
    }

    fn handle_async<'a>(&'a self, request: Request<Bytes>) -> HandlerFuture<'a> {
        Box::pin(async move {
            let seen = self.seen(&request);
            let response = match self.begin(request) {
                Step::Answer(answer) => answer,
                Step::Verified(begun) => {
                    let claimed = match &begun.verified {
                        None => Ok(()),
                        Some(verified) => self.claim_shared(verified).await,
                    };
                    self.finish(begun, claimed)
                }
            };
            self.record(seen, &response);
            response
        })
    }
}

/// What [`PayneteasyHalf::begin`] gives: the answer already (not routed, refused), or a verified
/// request to finish.
#[allow(
    clippy::large_enum_variant,
    reason = "made once per request and consumed at once: a move, cheaper than boxing"
)]
enum Step<'a> {
    Answer(Response<Bytes>),
    Verified(Begun<'a>),
}

/// A request whose merchant is known (a v4 signature verified, or the v2 endpoint's
/// merchant, whose `control` is checked with the body), waiting for its nonce claim (when
/// the store is shared) and the endpoint check.
struct Begun<'a> {
    request: Request<Bytes>,
    route: &'static Route,
    endpoint: Endpoint,
    merchant: &'a Merchant,
    /// `Some` when the nonce is still to be claimed in the shared store.
    verified: Option<Verified>,
}

impl PayneteasyHalf {
    /// Routing and authentication, synchronous: the answer when the request is refused or
    /// not routed.
    fn begin(&self, request: Request<Bytes>) -> Step<'_> {
        let path = request.uri().path();
        if path.starts_with(ACS_PREFIX) || path.starts_with(FORM_PREFIX) {
            return Step::Answer(self.payer_page(&request));
        }
        let Some((version, command, endpoint)) = parse_path(path) else {
            return Step::Answer(plain(
                StatusCode::NOT_FOUND,
                "no such Payneteasy command or endpoint\n",
            ));
        };
        let Some(route) = find_route(version, command) else {
            return Step::Answer(plain(
                StatusCode::NOT_FOUND,
                "no such Payneteasy command or endpoint\n",
            ));
        };
        if request.method() != Method::POST {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "POST only\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return Step::Answer(response);
        }
        if version == ApiVersion::V4 {
            return match self.authenticate(&request, path) {
                Ok((merchant, verified)) => Step::Verified(Begun {
                    request,
                    route,
                    endpoint,
                    merchant,
                    verified,
                }),
                Err(refusal) => Step::Answer(self.refuse(route.path, endpoint, refusal)),
            };
        }
        // v2: the merchant is the endpoint's; `control` is checked with its key.
        let scheme = self.scheme.get().copied().unwrap_or("http");
        if let Err(e) = request_authority(&request, scheme) {
            return Step::Answer(self.refuse(route.path, endpoint, Refusal::BadRequest(e)));
        }
        match self.merchants.values().find(|m| m.owns(endpoint)) {
            Some(merchant) => Step::Verified(Begun {
                request,
                route,
                endpoint,
                merchant,
                verified: None,
            }),
            None => {
                self.counters
                    .unknown_endpoint
                    .fetch_add(1, Ordering::Relaxed);
                Step::Answer(self.reject(
                    wants_json(&request),
                    Refused::validation(
                        ERR_UNKNOWN_ENDPOINT,
                        format!("no merchant is served on endpoint {endpoint}"),
                    ),
                ))
            }
        }
    }

    /// After the nonce claim: the endpoint check (v4), then the command.
    fn finish(&self, begun: Begun<'_>, claimed: Result<(), Refusal>) -> Response<Bytes> {
        let Begun {
            request,
            route,
            endpoint,
            merchant,
            verified: _,
        } = begun;
        if let Err(refusal) = claimed.and_then(|()| Self::check_endpoint(merchant, endpoint)) {
            return self.refuse(route.path, endpoint, refusal);
        }
        self.counters.answered.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(command = route.path, version = route.version.as_str(), %endpoint, login = %merchant.login, "Payneteasy request");
        let scheme = self.scheme.get().copied().unwrap_or("http");
        let base = request_authority(&request, scheme).map_or_else(
            |_| format!("{scheme}://127.0.0.1"),
            |authority| format!("{scheme}://{authority}"),
        );
        let ctx = Ctx {
            merchant,
            endpoint,
            request: &request,
            json: wants_json(&request),
            base,
        };
        (route.serve)(self, &ctx)
    }

    /// Counts and logs a refusal, and answers it.
    fn refuse(&self, command: &str, endpoint: Endpoint, refusal: Refusal) -> Response<Bytes> {
        self.counters.refused(refusal);
        tracing::debug!(command, %endpoint, ?refusal, "Payneteasy request refused");
        // Any client can cause refusals at will: at most one WARN line a second.
        if let Some(suppressed) = self.refusal_warnings.admit(Instant::now()) {
            tracing::warn!(
                command,
                %endpoint,
                ?refusal,
                suppressed,
                "Payneteasy request refused (one line a second at most; `suppressed` refusals since the last line are at DEBUG)"
            );
        }
        let response = match refusal {
            Refusal::BadRequest(reason) => bad_request(reason),
            Refusal::ReplayCheckUnavailable => replay_check_unavailable(),
            _ => access_denied(),
        };
        console_hook::refused(response, refusal)
    }

    /// The payer pages: the ACS page of a 3-D Secure challenge (`/paynet/acs/{token}`) and
    /// the payment form of a form order (`/paynet/form/{token}`). `GET` (or a `POST` without
    /// an answer) shows the page; a `POST` with the payer's answer completes the order and
    /// answers the page that posts the customer return to `redirect_url`.
    fn payer_page(&self, request: &Request<Bytes>) -> Response<Bytes> {
        let path = request.uri().path();
        let (acs, token) = match (
            path.strip_prefix(ACS_PREFIX),
            path.strip_prefix(FORM_PREFIX),
        ) {
            (Some(token), _) => (true, token),
            (_, Some(token)) => (false, token),
            _ => return plain(StatusCode::NOT_FOUND, "no such page\n"),
        };
        if request.method() != Method::GET && request.method() != Method::POST {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "GET or POST only\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            return response;
        }
        let fields = if request.method() == Method::POST {
            decode_request_form(content_type(request), request.body(), &self.limits)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let field = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.trim())
        };
        let stale = || {
            html(
                StatusCode::NOT_FOUND,
                pages::message(
                    "Unknown payment",
                    "This payment page is unknown or its payment is finished.",
                ),
            )
        };
        let mut state = crate::lock(&self.state);
        let Some((login, orderid)) = state.tokens.get(token).cloned() else {
            return stale();
        };
        let Some(merchant) = self.merchants.get(&login) else {
            return stale();
        };
        let State { books, .. } = &mut *state;
        let Some(book) = books.get_mut(&login) else {
            return stale();
        };
        let Some(order) = book.by_orderid_mut(&orderid) else {
            return stale();
        };
        let waiting = match &order.phase {
            Phase::Challenge(t) => acs && t == token,
            Phase::AwaitingForm(t) => !acs && t == token,
            _ => false,
        };
        if !waiting {
            return stale();
        }
        let (amount, currency) = (order.amount.clone(), order.currency.clone());
        let done = if acs {
            let Some(result) = field("result") else {
                return html(StatusCode::OK, pages::acs_page(path, &amount, &currency));
            };
            book.complete_challenge(&orderid, result == "success")
        } else {
            let Some(number) = field("credit_card_number") else {
                return html(
                    StatusCode::OK,
                    pages::payment_form(path, &amount, &currency),
                );
            };
            let card = StoredCard::from_number(
                number,
                field("expire_month").unwrap_or("12"),
                field("expire_year").unwrap_or("2030"),
                field("card_printed_name").unwrap_or(""),
            );
            let Some(card) = card else {
                return html(
                    StatusCode::BAD_REQUEST,
                    pages::message(
                        "Invalid card number",
                        "The card number fails the Luhn check: go back and try a test card.",
                    ),
                );
            };
            book.submit_form(&orderid, card)
        };
        let Some((order, finished)) = done else {
            return stale();
        };
        if let Phase::Challenge(_) = order.phase {
            // A 3-D Secure card on the payment form: on to the ACS page, same token.
            drop(state);
            let mut response = html(StatusCode::SEE_OTHER, String::new());
            if let Ok(location) = HeaderValue::from_str(&format!("{ACS_PREFIX}{token}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
        if order.phase == Phase::Final {
            state.tokens.remove(token);
        }
        drop(state);
        self.send_callback(merchant, finished);
        self.customer_return(merchant, &order)
    }

    /// The page that posts the customer return (`status`, `orderid`, `merchant_order`,
    /// `client_orderid`, `control`) to the order's `redirect_url`.
    fn customer_return(&self, merchant: &Merchant, order: &Order) -> Response<Bytes> {
        let Some(url) = &order.redirect_url else {
            return html(
                StatusCode::OK,
                pages::message(
                    "Payment finished",
                    &format!("Payment {} is {}.", order.orderid, order.status),
                ),
            );
        };
        let status = order.status.as_str();
        let control = merchant.control_key.as_ref().map(|key| {
            payneteasy_proto::compute_control(status, &order.orderid, &order.client_orderid, key)
        });
        let mut fields = vec![
            ("status", status),
            ("orderid", order.orderid.as_str()),
            ("merchant_order", order.client_orderid.as_str()),
            ("client_orderid", order.client_orderid.as_str()),
        ];
        if let Some(control) = &control {
            fields.push(("control", control));
        }
        html(StatusCode::OK, pages::customer_return(url, &fields))
    }
}

/// How a verification failure is answered.
fn refusal_of(error: VerifyError) -> Refusal {
    match error {
        // Too old for the replay cache, or the cache is full of newer nonces: resending
        // with a current timestamp succeeds, as for a stale one (not a replay).
        VerifyError::StaleTimestamp { .. }
        | VerifyError::NonceTooOld { .. }
        | VerifyError::NonceStoreFull => Refusal::StaleTimestamp,
        VerifyError::ReplayedNonce => Refusal::ReplayedNonce,
        VerifyError::ReplayCheckUnavailable(_) => Refusal::ReplayCheckUnavailable,
        VerifyError::SignatureMismatch { .. } => Refusal::BadSignature,
        VerifyError::MethodMismatch { .. } => Refusal::Malformed("not RSA-SHA256"),
        VerifyError::MissingParameter { .. } => {
            Refusal::Malformed("a protocol parameter is missing")
        }
        _ => Refusal::Malformed("the OAuth parameters are unusable"),
    }
}

fn content_type(request: &Request<Bytes>) -> Option<&str> {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn with_type(
    mut response: Response<Bytes>,
    status: StatusCode,
    content_type: &'static str,
) -> Response<Bytes> {
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// HTTP 200 with a gateway form body (HTTP 500 if the message cannot be written, which the
/// messages this half sends never trigger).
fn form_answer(body: Result<String, EncodeError>) -> Response<Bytes> {
    match body {
        Ok(body) => with_type(
            Response::new(Bytes::from(body)),
            StatusCode::OK,
            "text/html;charset=utf-8",
        ),
        Err(e) => with_type(
            Response::new(Bytes::from(e.to_string())),
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
        ),
    }
}

/// HTTP 403 with the gateway's HTML page.
fn access_denied() -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from_static(ACCESS_DENIED_PAGE.as_bytes())),
        StatusCode::FORBIDDEN,
        "text/html",
    )
}

/// HTTP 503: the shared nonce store could not answer, so the request cannot be checked for
/// a replay and is refused (fail closed); the client may retry later.
fn replay_check_unavailable() -> Response<Bytes> {
    let mut response = with_type(
        Response::new(Bytes::from_static(
            b"replay check unavailable: the request is refused, try again later\n",
        )),
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain; charset=utf-8",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// HTTP 400 naming what is wrong with the request's authority.
fn bad_request(reason: AuthorityError) -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from(format!("bad request: {reason}\n"))),
        StatusCode::BAD_REQUEST,
        "text/plain; charset=utf-8",
    )
}

/// HTTP `status` with a JSON body (HTTP 500 if it cannot be written, which the messages this
/// half sends never trigger).
fn json_answer(status: StatusCode, body: Result<Vec<u8>, serde_json::Error>) -> Response<Bytes> {
    match body {
        Ok(body) => with_type(
            Response::new(Bytes::from(body)),
            status,
            "application/json;charset=utf-8",
        ),
        Err(e) => with_type(
            Response::new(Bytes::from(e.to_string())),
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
        ),
    }
}

/// A payer page.
fn html(status: StatusCode, body: String) -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from(body)),
        status,
        "text/html; charset=utf-8",
    )
}

fn plain(status: StatusCode, text: &'static str) -> Response<Bytes> {
    with_type(
        Response::new(Bytes::from_static(text.as_bytes())),
        status,
        "text/plain; charset=utf-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth1_signer::RsaPrivateKey;
    use payneteasy_codec::{DecodeLimits, decode_response_parts};
    use payneteasy_proto::{
        CreateCardRef, CreateCardRefRequest, Environment, StatusCommand, StatusRequest, StatusV2,
        StatusV2Request,
    };

    const BASE: &str = "http://127.0.0.1:9/paynet/api/v4";

    fn half(config: PayneteasySandboxConfig) -> PayneteasyHalf {
        let half = PayneteasyHalf::new(config, Arc::new(Counters::default())).unwrap();
        half.set_tls(false);
        half
    }

    fn signed<C: Operation>(
        endpoint: Endpoint,
        request: &C::Request,
        login: &str,
        nonce: &str,
        ts: u64,
    ) -> Request<Bytes> {
        let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
        let env = Environment::custom(BASE).unwrap();
        let encoded =
            payneteasy_codec::encode_request::<C>(&env, &endpoint, request, login, &key, nonce, ts)
                .unwrap();
        let (mut parts, body) = encoded.request.into_parts();
        // A server sees the path and the Host header, not the absolute URI.
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

    fn now() -> u64 {
        oauth1_signer::unix_timestamp_now()
    }

    /// A v2 request of `O` with its `control` (computed with `key`), as a server sees it.
    fn v2<O: Operation>(endpoint: Endpoint, request: &O::Request, key: &str) -> Request<Bytes> {
        let env = Environment::custom(BASE).unwrap();
        let key = ControlKey::new(key).unwrap();
        let encoded =
            payneteasy_codec::encode_control_request::<O>(&env, &endpoint, request, &key).unwrap();
        as_server_sees(encoded)
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

    /// A v4 request signed over a raw form `body` (fields the typed request may not have).
    fn signed_raw(path: &str, body: &str, nonce: &str) -> Request<Bytes> {
        let key = RsaPrivateKey::from_pem(TEST_MERCHANT_PRIVATE_KEY_PEM).unwrap();
        let url = format!("http://127.0.0.1:9{path}");
        let to_sign = oauth1_signer::Request::new("POST", RequestUrl::parse(&url).unwrap())
            .with_body(Some("application/x-www-form-urlencoded"), body.as_bytes());
        let params = oauth1_signer::OAuthParams::new(TEST_MERCHANT_LOGIN, nonce, now());
        let signed = oauth1_signer::sign(&to_sign, &params, &key).unwrap();
        Request::post(path)
            .header(header::HOST, "127.0.0.1:9")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, signed.authorization())
            .body(Bytes::from(body.to_owned()))
            .unwrap()
    }

    fn gateway_error(response: &Response<Bytes>) -> GatewayError {
        decode_response_parts::<StatusV2>(200, None, response.body(), &DecodeLimits::default())
            .unwrap_err()
            .gateway_error()
            .cloned()
            .unwrap()
    }

    #[test]
    fn v2_status_checks_the_control_with_the_merchant_key() {
        let h = half(PayneteasySandboxConfig::default());
        let ep = Endpoint::Id(TEST_ENDPOINT_ID);
        let req = StatusV2Request::new(
            TEST_MERCHANT_LOGIN,
            APPROVED_CLIENT_ORDERID,
            APPROVED_ORDERID,
        )
        .unwrap();
        let r = h.handle(v2::<StatusV2>(ep, &req, TEST_CONTROL_KEY));
        assert_eq!(r.status(), 200);
        let s = decode_response_parts::<StatusV2>(200, None, r.body(), &DecodeLimits::default())
            .unwrap();
        assert_eq!(s.status, Status::Approved);
        assert_eq!(s.transaction_type, Some(TransactionType::Sale));
        // The group endpoint works the same.
        let r = h.handle(v2::<StatusV2>(
            Endpoint::Group(TEST_ENDPOINT_GROUP_ID),
            &req,
            TEST_CONTROL_KEY,
        ));
        assert!(
            std::str::from_utf8(r.body())
                .unwrap()
                .starts_with("type=status-response")
        );

        // A control made with another key: validation-error, nothing served.
        let e = gateway_error(&h.handle(v2::<StatusV2>(ep, &req, "another-key")));
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::ValidationError, Some(ERR_INVALID_CONTROL))
        );
        // No control at all.
        let mut bare = v2::<StatusV2>(ep, &req, TEST_CONTROL_KEY);
        let body = std::str::from_utf8(bare.body()).unwrap().to_owned();
        let without = body.split("&control=").next().unwrap().to_owned();
        *bare.body_mut() = Bytes::from(without);
        assert_eq!(
            gateway_error(&h.handle(bare)).code.as_deref(),
            Some(ERR_INVALID_CONTROL)
        );
        // A tampered body: the control no longer matches.
        let mut tampered = v2::<StatusV2>(ep, &req, TEST_CONTROL_KEY);
        let body = std::str::from_utf8(tampered.body())
            .unwrap()
            .replace(APPROVED_ORDERID, DECLINED_ORDERID);
        *tampered.body_mut() = Bytes::from(body);
        assert_eq!(
            gateway_error(&h.handle(tampered)).code.as_deref(),
            Some(ERR_INVALID_CONTROL)
        );
        // The wrong merchant: another login on this endpoint, or an endpoint nobody has.
        let other = StatusV2Request::new("someone-else", APPROVED_CLIENT_ORDERID, APPROVED_ORDERID)
            .unwrap();
        assert_eq!(
            gateway_error(&h.handle(v2::<StatusV2>(ep, &other, TEST_CONTROL_KEY)))
                .code
                .as_deref(),
            Some(ERR_LOGIN_MISMATCH)
        );
        assert_eq!(
            gateway_error(&h.handle(v2::<StatusV2>(Endpoint::Id(1), &req, TEST_CONTROL_KEY)))
                .code
                .as_deref(),
            Some(ERR_UNKNOWN_ENDPOINT)
        );
        let stats = h.counters.snapshot();
        assert_eq!(
            (stats.refused_bad_control, stats.refused_unknown_endpoint),
            (3, 1)
        );
    }

    #[test]
    fn json_mode_answers_json_and_rejects_with_http_400() {
        let h = half(PayneteasySandboxConfig::default());
        let ep = Endpoint::Id(TEST_ENDPOINT_ID);
        let req = StatusV2Request::new(
            TEST_MERCHANT_LOGIN,
            APPROVED_CLIENT_ORDERID,
            APPROVED_ORDERID,
        )
        .unwrap();
        let mut request = v2::<StatusV2>(ep, &req, TEST_CONTROL_KEY);
        request.headers_mut().insert(
            header::ACCEPT,
            HeaderValue::from_static("application/vnd.pay+json, */*"),
        );
        let r = h.handle(request);
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let s: StatusResponse = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(s.status, Status::Approved);
        assert_eq!(s.paynet_order_id.as_deref(), Some(APPROVED_ORDERID));

        let mut bad = v2::<StatusV2>(ep, &req, "another-key");
        bad.headers_mut().insert(
            header::ACCEPT,
            HeaderValue::from_static("Application/Vnd.Pay+Json"),
        );
        let r = h.handle(bad);
        assert_eq!(r.status(), 400);
        let body: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body["type"], "validation-error");
        assert_eq!(body["error-code"], 4003, "a number: {body}");
        assert!(body["error-message"].as_str().unwrap().contains("control"));
    }

    /// Payneteasy's own example clients send `login` in the v4 status body and ask for JSON.
    #[test]
    fn v4_status_with_login_in_the_body_as_payneteasy_examples_send_it() {
        let h = half(PayneteasySandboxConfig::default());
        let path = "/paynet/api/v4/status/39915";
        let body = format!(
            "login={TEST_MERCHANT_LOGIN}&client_orderid={APPROVED_CLIENT_ORDERID}&orderid={APPROVED_ORDERID}"
        );
        let r = h.handle(signed_raw(path, &body, "l1"));
        let s =
            decode_response_parts::<StatusCommand>(200, None, r.body(), &DecodeLimits::default())
                .unwrap();
        assert_eq!(s.status, Status::Approved);
        let mut json = signed_raw(path, &body, "l2");
        json.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static(JSON_ACCEPT));
        let r = h.handle(json);
        assert_eq!(r.status(), 200);
        let s: StatusResponse = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            s.merchant_order_id.as_deref(),
            Some(APPROVED_CLIENT_ORDERID)
        );
        // Another merchant's login in the body: refused.
        let body = format!("login=someone-else&client_orderid={APPROVED_CLIENT_ORDERID}");
        let e = gateway_error(&h.handle(signed_raw(path, &body, "l3")));
        assert_eq!(e.code.as_deref(), Some(ERR_LOGIN_MISMATCH));
    }

    #[test]
    fn create_card_ref_once_per_order() {
        let h = half(PayneteasySandboxConfig::default());
        let req = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
        let mut ids = Vec::new();
        for nonce in ["n1", "n2"] {
            let response = h.handle(signed::<CreateCardRef>(
                Endpoint::Id(TEST_ENDPOINT_ID),
                &req,
                TEST_MERCHANT_LOGIN,
                nonce,
                now(),
            ));
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/html;charset=utf-8"
            );
            let body = std::str::from_utf8(response.body()).unwrap();
            assert!(
                body.starts_with(
                    "type=create-card-ref-response\n&serial-number=00000000-0000-0000-0000-"
                ),
                "{body}"
            );
            let decoded = decode_response_parts::<CreateCardRef>(
                200,
                None,
                response.body(),
                &DecodeLimits::default(),
            )
            .unwrap();
            ids.push((decoded.card_ref_id, decoded.serial_number));
        }
        assert_eq!(ids[0].0.as_deref(), Some("1461608"));
        assert_eq!(ids[0].0, ids[1].0);
        assert_ne!(ids[0].1, ids[1].1, "serial numbers are unique");
        let stats = h.counters.snapshot();
        assert_eq!((stats.card_refs_created, stats.answered), (1, 2));
    }

    #[test]
    fn refusals_are_403_and_counted() {
        let h = half(PayneteasySandboxConfig::default());
        let req = CreateCardRefRequest::new(APPROVED_CLIENT_ORDERID, APPROVED_ORDERID).unwrap();
        let ep = Endpoint::Id(TEST_ENDPOINT_ID);
        let cases = [
            signed::<CreateCardRef>(ep, &req, "someone-else", "a", now()),
            signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "b", now() - 3600),
            signed::<CreateCardRef>(Endpoint::Id(1), &req, TEST_MERCHANT_LOGIN, "c", now()),
            signed::<CreateCardRef>(
                Endpoint::Group(TEST_ENDPOINT_GROUP_ID + 1),
                &req,
                TEST_MERCHANT_LOGIN,
                "d",
                now(),
            ),
        ];
        for request in cases {
            let response = h.handle(request);
            assert_eq!(response.status(), 403);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html");
            assert_eq!(response.body().as_ref(), ACCESS_DENIED_PAGE.as_bytes());
        }
        // Tampered body: the signature no longer matches.
        let mut tampered = signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "e", now());
        *tampered.body_mut() = Bytes::from_static(b"client_orderid=34T43R77N&orderid=6868306");
        assert_eq!(h.handle(tampered).status(), 403);
        // No header at all.
        let mut bare = signed::<CreateCardRef>(ep, &req, TEST_MERCHANT_LOGIN, "f", now());
        bare.headers_mut().remove(header::AUTHORIZATION);
        assert_eq!(h.handle(bare).status(), 403);
        let s = h.counters.snapshot();
        assert_eq!(
            (
                s.refused_unknown_merchant,
                s.refused_stale_timestamp,
                s.refused_wrong_endpoint,
                s.refused_bad_signature,
                s.refused_malformed
            ),
            (1, 1, 2, 1, 1)
        );
        assert_eq!(s.refused(), 6);
    }

    #[test]
    fn order_semantics_and_status() {
        let h = half(PayneteasySandboxConfig::default());
        let ep = Endpoint::Group(TEST_ENDPOINT_GROUP_ID);
        let mut n = 0;
        let mut ccr = |client: &str, order: &str| {
            n += 1;
            let req = CreateCardRefRequest::new(client, order).unwrap();
            let r = h.handle(signed::<CreateCardRef>(
                ep,
                &req,
                TEST_MERCHANT_LOGIN,
                &format!("c{n}"),
                now(),
            ));
            decode_response_parts::<CreateCardRef>(200, None, r.body(), &DecodeLimits::default())
                .unwrap_err()
                .gateway_error()
                .cloned()
                .unwrap()
        };
        let e = ccr("nope", "1");
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::ValidationError, Some(ERR_ORDER_NOT_FOUND))
        );
        let e = ccr(APPROVED_CLIENT_ORDERID, "1");
        assert_eq!(
            e.code.as_deref(),
            Some(ERR_ORDER_NOT_FOUND),
            "orderid must match"
        );
        let e = ccr(PROCESSING_CLIENT_ORDERID, PROCESSING_ORDERID);
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::Error, Some(ERR_ORDER_NOT_FINAL))
        );
        let e = ccr(PENDING_CLIENT_ORDERID, PENDING_ORDERID);
        assert_eq!(e.code.as_deref(), Some(ERR_ORDER_NOT_FINAL));
        let e = ccr(DECLINED_CLIENT_ORDERID, DECLINED_ORDERID);
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (GatewayErrorKind::Error, Some(ERR_ORDER_NOT_APPROVED))
        );
        assert!(e.message.unwrap().contains("declined"));

        let req = StatusRequest::new(DECLINED_CLIENT_ORDERID).unwrap();
        let r = h.handle(signed::<StatusCommand>(
            ep,
            &req,
            TEST_MERCHANT_LOGIN,
            "s1",
            now(),
        ));
        let s =
            decode_response_parts::<StatusCommand>(200, None, r.body(), &DecodeLimits::default())
                .unwrap();
        assert_eq!(s.status, Status::Declined);
        assert_eq!(s.bin.as_deref(), Some("400000"));
        assert_eq!(s.paynet_order_id.as_deref(), Some(DECLINED_ORDERID));
        assert_eq!(s.card_ref_id, None);
    }

    #[test]
    fn routes_and_methods() {
        let h = half(PayneteasySandboxConfig::default());
        assert_eq!(h.route("/paynet/api/v4/status/group/1"), Some("status"));
        assert_eq!(h.route("/paynet/api/v2/status/1"), Some("status"));
        assert_eq!(h.route("/paynet/api/v4/no-such-command/1"), None);
        assert_eq!(h.route("/paynet/api/v3/status/1"), None);
        let get = Request::get("/paynet/api/v4/status/39915")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(get).status(), 405);
        let unknown = Request::post("/paynet/api/v4/no-such-command/39915")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(unknown).status(), 404);
        let bad_id = Request::post("/paynet/api/v4/status/x1")
            .body(Bytes::new())
            .unwrap();
        assert_eq!(h.handle(bad_id).status(), 404);
        assert_eq!(
            parse_path("/paynet/api/v2/sync/account-verification/group/7"),
            Some((
                ApiVersion::V2,
                "sync/account-verification",
                Endpoint::Group(7)
            ))
        );
        assert_eq!(
            parse_path("/paynet/api/v4/tokenize/create-ephemeral-ticket/39915"),
            Some((
                ApiVersion::V4,
                "tokenize/create-ephemeral-ticket",
                Endpoint::Id(39915)
            ))
        );
        assert_eq!(parse_path("/paynet/api/v2/group/7"), None, "no command");
        assert_eq!(parse_path("/paynet/api/v2/status/"), None);
    }

    #[test]
    fn authorities() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost:0",
            "Example.COM:65535",
            "my_host-1.example",
            "[::1]",
            "[::1]:443",
        ] {
            assert_eq!(validate_authority(ok).unwrap().as_str(), ok);
        }
        for (bad, why) in [
            ("", AuthorityError::Empty),
            ("a b", AuthorityError::NotVisibleAscii),
            ("h\u{e9}", AuthorityError::NotVisibleAscii),
            ("h/p", AuthorityError::Delimiter),
            ("h?q", AuthorityError::Delimiter),
            ("h#", AuthorityError::Delimiter),
            ("u@h", AuthorityError::UserInfo),
            ("h%41", AuthorityError::InvalidHost),
            ("[zz]:1", AuthorityError::InvalidHost),
            ("[::1", AuthorityError::InvalidHost),
            (":80", AuthorityError::InvalidHost),
            ("h:", AuthorityError::InvalidPort),
            ("h:65536", AuthorityError::InvalidPort),
            ("h:+1", AuthorityError::InvalidPort),
            ("h:000080", AuthorityError::InvalidPort),
        ] {
            assert_eq!(validate_authority(bad).unwrap_err(), why, "{bad:?}");
        }
    }

    #[test]
    fn bad_configuration_is_refused() {
        let mut config = PayneteasySandboxConfig::default();
        config.merchants[0].public_key_pem = "not a key".into();
        assert!(PayneteasyHalf::new(config, Arc::default()).is_err());
        let mut config = PayneteasySandboxConfig::default();
        config.merchants.push(PayneteasyMerchant::test());
        assert!(PayneteasyHalf::new(config, Arc::default()).is_err());
    }

    #[test]
    fn every_command_is_a_fault_route() {
        for route in ops::ROUTES {
            assert!(
                crate::faults::ROUTES.contains(&route.path),
                "{}",
                route.path
            );
        }
    }
}
