//! The services after `TokenizeCard`: `PSBINCheck` with test BINs, and a transaction state
//! machine behind `Initiate`, `PreAuthCapture`, `PreAuthVoid`, `Reverse` and
//! `TransactionStatus`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use bytes::Bytes;
use http::{Response, StatusCode};
use paysecure_proto::card::Pan;
use paysecure_proto::{
    CardInfoType, Initiate, InitiateResponse, JsonValue, OriginalDataType, OriginalTransaction,
    PreAuthCapture, PreAuthVoid, PreAuthVoidResponse, PsBinCheck, PsBinCheckResponse,
    RequestorCredentials, ResponseStatus, Reverse, Service, Timestamps, TransType, Transaction,
    TransactionStatus, TransactionStatusResponse, UnpublishedResponse,
};

use super::{
    AMOUNT_EXCEEDS_AUTHORIZED, BIN_NOT_FOUND, CARD_NOT_ELIGIBLE, CURRENCY_MISMATCH,
    DUPLICATE_REFERENCE_KEY, INVALID_CARD_NUMBER, INVALID_TRANSACTION_STATE, KEY_EXPIRED,
    KEY_NOT_FOUND, PARTIAL_VOID_NOT_SUPPORTED, PaySecureHalf, TOKEN_NOT_FOUND,
    TRANS_TYPE_NOT_SUPPORTED, TRANSACTION_NOT_FOUND, answer, bad_request, date, decrypt,
    field_error, service_error, span, unset_timestamps,
};
use crate::lock;

/// One test BIN and what `PSBINCheck` answers for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestBin {
    /// The six digits.
    pub bin: &'static str,
    /// A Luhn-valid test card number with this BIN.
    pub pan: &'static str,
    /// `PinlessEcommerce`.
    pub pinless_ecommerce: bool,
    /// `PinlessBillPay`.
    pub pinless_bill_pay: bool,
    /// `Recurring`.
    pub recurring: bool,
    /// `DualMessage`.
    pub dual_message: bool,
    /// `InternetPinDebit`.
    pub internet_pin_debit: bool,
    /// `IncrementalAuth`.
    pub incremental_auth: bool,
    /// `CardVerify`.
    pub card_verify: bool,
}

/// Full pinless: e-commerce, bill pay, recurring, dual message, incremental auth, card verify.
pub const BIN_FULL_PINLESS: TestBin = TestBin {
    bin: "411111",
    pan: "4111111111111111",
    pinless_ecommerce: true,
    pinless_bill_pay: true,
    recurring: true,
    dual_message: true,
    internet_pin_debit: true,
    incremental_auth: true,
    card_verify: true,
};

/// Single-message pinless e-commerce only: no recurring, no dual message, no bill pay.
pub const BIN_ECOMMERCE_ONLY: TestBin = TestBin {
    bin: "555555",
    pan: "5555555555554444",
    pinless_ecommerce: true,
    pinless_bill_pay: false,
    recurring: false,
    dual_message: false,
    internet_pin_debit: false,
    incremental_auth: false,
    card_verify: true,
};

/// Pinless bill pay with recurring, but not e-commerce (`Initiate` eCommerce is refused).
pub const BIN_BILL_PAY_ONLY: TestBin = TestBin {
    bin: "601111",
    pan: "6011111111111117",
    pinless_ecommerce: false,
    pinless_bill_pay: true,
    recurring: true,
    dual_message: false,
    internet_pin_debit: false,
    incremental_auth: false,
    card_verify: false,
};

/// PIN debit only (`InternetPinDebit`): nothing pinless.
pub const BIN_PIN_ONLY: TestBin = TestBin {
    bin: "400005",
    pan: "4000056655665556",
    pinless_ecommerce: false,
    pinless_bill_pay: false,
    recurring: false,
    dual_message: false,
    internet_pin_debit: true,
    incremental_auth: false,
    card_verify: false,
};

/// Known to the network but usable for nothing PaySecure offers: every flag `false`.
pub const BIN_NOT_ELIGIBLE: TestBin = TestBin {
    bin: "378282",
    pan: "378282246310005",
    pinless_ecommerce: false,
    pinless_bill_pay: false,
    recurring: false,
    dual_message: false,
    internet_pin_debit: false,
    incremental_auth: false,
    card_verify: false,
};

/// Every test BIN (the table is in the [`paysecure`](super) module docs); any other BIN
/// answers the in-band [`BIN_NOT_FOUND`].
pub const TEST_BINS: &[TestBin] = &[
    BIN_FULL_PINLESS,
    BIN_ECOMMERCE_ONLY,
    BIN_BILL_PAY_ONLY,
    BIN_PIN_ONLY,
    BIN_NOT_ELIGIBLE,
];

/// The test BIN a BIN or card number starts with.
#[must_use]
pub fn test_bin(digits: &str) -> Option<&'static TestBin> {
    TEST_BINS.iter().find(|b| digits.starts_with(b.bin))
}

impl TestBin {
    /// The `PSBINCheck` answer for this BIN (flags not modelled are `false`).
    fn answer(&self, bin: &str) -> PsBinCheckResponse {
        PsBinCheckResponse {
            bin: Some(bin.to_owned()),
            internet_pin_debit: Some(self.internet_pin_debit),
            ecom_ebt_snap: Some(false),
            ecom_ebt_cash: Some(false),
            pos_flag: Some(false),
            pinless_ecommerce: Some(self.pinless_ecommerce),
            pinless_bill_pay: Some(self.pinless_bill_pay),
            on_demand_payment_credit: Some(false),
            on_demand_payment_debit: Some(false),
            pinless_a2a_credit: Some(false),
            pinless_a2a_debit: Some(false),
            pinless_pre_paid_load: Some(false),
            dual_message: Some(self.dual_message),
            recurring: Some(self.recurring),
            card_verify: Some(self.card_verify),
            pos_pinless_dual_message_flag: Some(false),
            otp: Some(false),
            incremental_auth: Some(self.incremental_auth),
            card_designation: Some("Debit".to_owned()),
            ..PsBinCheckResponse::default()
        }
    }
}

/// The sandbox's transaction states (PaySecure publishes no `Status` values; these are the
/// sandbox's own, written in `Transaction.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Authorized,
    Captured,
    Voided,
    Reversed,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Authorized => "Authorized",
            State::Captured => "Captured",
            State::Voided => "Voided",
            State::Reversed => "Reversed",
        }
    }
}

pub(crate) struct Txn {
    tran_id: String,
    /// `InternalTransactionId`, also answered as `AccuId`.
    internal_id: String,
    /// `ExternalId`, listed in `ExternalIds`.
    external_id: String,
    reference_key: Option<String>,
    amount: u64,
    currency: String,
    state: State,
    captured: u64,
    approval_code: String,
    created: SystemTime,
}

/// The transactions, bounded ([`super::PaySecureSandboxConfig::max_transactions`]): the
/// oldest is forgotten first. Also the tokens issued, with their BIN.
#[derive(Default)]
pub(crate) struct TxnStore {
    by_tran_id: HashMap<String, Txn>,
    by_reference_key: HashMap<String, String>,
    by_external_id: HashMap<String, String>,
    by_internal_id: HashMap<String, String>,
    order: VecDeque<String>,
    next: u64,
    tokens: HashMap<String, String>,
    token_order: VecDeque<String>,
}

impl TxnStore {
    fn find(&self, original: &OriginalTransaction) -> Option<&Txn> {
        let id = original.original_data_identifier.as_deref()?;
        let tran_id = match original.original_identifier_type.as_ref()? {
            OriginalDataType::TransactionId => id,
            OriginalDataType::ReferenceKey => self.by_reference_key.get(id)?,
            OriginalDataType::ExternalId => self.by_external_id.get(id)?,
            OriginalDataType::InternalTransactionId => self.by_internal_id.get(id)?,
            _ => return None,
        };
        self.by_tran_id.get(tran_id)
    }

    fn find_mut(&mut self, original: &OriginalTransaction) -> Option<&mut Txn> {
        let tran_id = self.find(original)?.tran_id.clone();
        self.by_tran_id.get_mut(&tran_id)
    }

    fn insert(&mut self, txn: Txn, max: usize) {
        while self.order.len() >= max.max(1) {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(t) = self.by_tran_id.remove(&old) {
                if let Some(r) = &t.reference_key {
                    self.by_reference_key.remove(r);
                }
                self.by_external_id.remove(&t.external_id);
                self.by_internal_id.remove(&t.internal_id);
            }
        }
        if let Some(r) = &txn.reference_key {
            self.by_reference_key.insert(r.clone(), txn.tran_id.clone());
        }
        self.by_external_id
            .insert(txn.external_id.clone(), txn.tran_id.clone());
        self.by_internal_id
            .insert(txn.internal_id.clone(), txn.tran_id.clone());
        self.order.push_back(txn.tran_id.clone());
        self.by_tran_id.insert(txn.tran_id.clone(), txn);
    }

    pub(crate) fn remember_token(&mut self, token: &str, bin: &str, max: usize) {
        if self.tokens.contains_key(token) {
            return;
        }
        while self.token_order.len() >= max.max(1) {
            let Some(old) = self.token_order.pop_front() else {
                break;
            };
            self.tokens.remove(&old);
        }
        self.tokens.insert(token.to_owned(), bin.to_owned());
        self.token_order.push_back(token.to_owned());
    }
}

impl Txn {
    fn open_amount(&self) -> u64 {
        match self.state {
            State::Authorized => self.amount,
            _ => 0,
        }
    }

    fn history(&self) -> Transaction {
        let approved = match self.state {
            State::Captured => self.captured,
            State::Authorized => self.amount,
            State::Voided | State::Reversed => 0,
        };
        let at = date(self.created).to_string();
        Transaction {
            tran_id: Some(self.tran_id.clone()),
            status: Some(self.state.name().to_owned()),
            approval_code: Some(self.approval_code.clone()),
            response_code: Some("00".to_owned()),
            transaction_dt: Some(at.clone()),
            transaction_amount: Some(to_i64(self.amount)),
            network: Some("PAYGATE-SANDBOX".to_owned()),
            approved_amount: Some(to_i64(approved)),
            open_amount: Some(to_i64(self.open_amount())),
            parent_tran_id: None,
            external_ids: vec![self.external_id.clone()],
            local_date_time: Some(at),
            currency_code: Some(self.currency.clone()),
            avs: None,
            cvn: None,
        }
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// An in-band error: HTTP 200 with `ErrorCode` and `ErrorMessage` and the handler's timings.
trait InBand: Default {
    /// `ErrorCode` and `ErrorMessage`.
    fn set_error(&mut self, code: &str, message: &str);
    /// `Timestamps`.
    fn set_timestamps(&mut self, timestamps: Timestamps);
}

macro_rules! in_band {
    ($($t:ty),*) => {$(
        impl InBand for $t {
            fn set_error(&mut self, code: &str, message: &str) {
                self.error_code = Some(code.to_owned());
                self.error_message = Some(message.to_owned());
            }
            fn set_timestamps(&mut self, timestamps: Timestamps) {
                self.timestamps = Some(timestamps);
            }
        }
    )*};
}

in_band!(
    PsBinCheckResponse,
    InitiateResponse,
    PreAuthVoidResponse,
    TransactionStatusResponse
);

impl InBand for UnpublishedResponse {
    fn set_error(&mut self, code: &str, message: &str) {
        self.members.insert("ErrorCode", code);
        self.members.insert("ErrorMessage", message);
    }
    fn set_timestamps(&mut self, timestamps: Timestamps) {
        self.timestamps = Some(timestamps);
    }
}

/// Why a handler did not succeed: an in-band `ErrorCode` and `ErrorMessage`, or an HTTP
/// error answer.
enum Refused {
    InBand(&'static str, String),
    Http(Box<Response<Bytes>>),
}

fn refusal(code: &'static str, message: impl Into<String>) -> Refused {
    Refused::InBand(code, message.into())
}

fn http(response: Response<Bytes>) -> Refused {
    Refused::Http(Box::new(response))
}

impl PaySecureHalf {
    /// `Credentials` against the configured merchants; HTTP 401 otherwise.
    pub(super) fn authenticate(
        &self,
        c: &RequestorCredentials,
    ) -> Result<(), Box<Response<Bytes>>> {
        let known = self.config.merchants.iter().any(|m| {
            m.merchant_id == c.merchant_id()
                && m.user_name == c.user_name()
                && m.version == c.version()
                && aws_lc_rs::constant_time::verify_slices_are_equal(
                    m.password.expose().as_bytes(),
                    c.password().expose().as_bytes(),
                )
                .is_ok()
        });
        if known {
            return Ok(());
        }
        self.counters
            .authentication_failures
            .fetch_add(1, Ordering::Relaxed);
        Err(Box::new(service_error(
            StatusCode::UNAUTHORIZED,
            ResponseStatus {
                error_code: Some("Unauthorized".into()),
                message: Some("Invalid MerchantId, UserName, Password or Version".into()),
                ..ResponseStatus::default()
            },
        )))
    }

    /// Decodes, authenticates, runs `work` and writes its answer (or its in-band refusal).
    fn serve<S, F>(
        &self,
        body: &[u8],
        credentials: fn(&S::Request) -> &RequestorCredentials,
        work: F,
    ) -> Response<Bytes>
    where
        S: Service,
        S::Response: InBand + Default,
        F: FnOnce(&S::Request, &mut Timestamps) -> Result<S::Response, Refused>,
    {
        let app_in = self.now();
        let request = match paysecure_codec::decode_request::<S>(body) {
            Ok(request) => request,
            Err(e) => return bad_request(&e),
        };
        if let Err(refused) = self.authenticate(credentials(&request)) {
            return *refused;
        }
        let mut timestamps = unset_timestamps();
        let backend_in = self.now();
        let outcome = work(&request, &mut timestamps);
        timestamps.backend_process = Some(span(backend_in, self.now()));
        let mut response = match outcome {
            Ok(response) => response,
            Err(Refused::Http(http_error)) => return *http_error,
            Err(Refused::InBand(code, message)) => {
                self.counters.in_band_errors.fetch_add(1, Ordering::Relaxed);
                let mut response = S::Response::default();
                response.set_error(code, &message);
                response
            }
        };
        timestamps.app_layer = Some(span(app_in, self.now()));
        response.set_timestamps(timestamps);
        answer(paysecure_codec::encode(&response))
    }

    pub(super) fn bin_check(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<PsBinCheck, _>(
            body,
            |r| &r.credentials,
            |request, _| {
                let Some(bin) = request.bin.as_deref().filter(|b| !b.is_empty()) else {
                    return Err(http(field_error(
                        "BIN",
                        "NotEmpty",
                        "'BIN' must not be empty.",
                    )));
                };
                self.counters.bin_checks.fetch_add(1, Ordering::Relaxed);
                let digits = bin.len() >= 6 && bin.bytes().all(|b| b.is_ascii_digit());
                match test_bin(bin).filter(|_| digits) {
                    Some(profile) => Ok(profile.answer(bin)),
                    None => Err(refusal(
                        BIN_NOT_FOUND,
                        "the BIN is not in the sandbox's table",
                    )),
                }
            },
        )
    }

    pub(super) fn initiate(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<Initiate, _>(
            body,
            |r| &r.credentials,
            |request, timestamps| {
                let Some(card) = &request.card_number_info else {
                    return Err(http(field_error(
                        "CardNumberInfo",
                        "NotEmpty",
                        "'CardNumberInfo' must not be empty.",
                    )));
                };
                let Some(amount) = request.amount.filter(|a| *a > 0) else {
                    return Err(http(field_error(
                        "Amount",
                        "GreaterThan",
                        "'Amount' must be greater than 0.",
                    )));
                };
                let Some(currency) = request.currency_code.clone().filter(|c| !c.is_empty()) else {
                    return Err(http(field_error(
                        "CurrencyCode",
                        "NotEmpty",
                        "'CurrencyCode' must not be empty.",
                    )));
                };
                let data = card.card_number_data.as_deref().unwrap_or("");
                let card_in = self.now();
                let bin = match card.card_data_type {
                    Some(CardInfoType::Token) => lock(&self.txns)
                        .tokens
                        .get(data)
                        .cloned()
                        .ok_or_else(|| refusal(TOKEN_NOT_FOUND, "the card token is unknown"))?,
                    Some(CardInfoType::Encrypted) => {
                        let key_id = card.key_id.as_deref().unwrap_or("");
                        let store = lock(&self.keys);
                        let stored = store
                            .keys
                            .get(key_id)
                            .ok_or_else(|| refusal(KEY_NOT_FOUND, "KeyID is unknown"))?;
                        if card_in >= stored.expires_at {
                            return Err(refusal(
                                KEY_EXPIRED,
                                "the key has expired: call CreateKey again",
                            ));
                        }
                        let digits = decrypt(&stored.key, data).map_err(|(c, m)| refusal(c, m))?;
                        let pan = Pan::new(&digits).map_err(|_| {
                            refusal(
                                INVALID_CARD_NUMBER,
                                "the card number is not 12-19 digits with a valid check digit",
                            )
                        })?;
                        pan.bin().to_owned()
                    }
                    _ => {
                        return Err(refusal(
                            super::CARD_DATA_TYPE_NOT_SUPPORTED,
                            "the sandbox takes CardDataType Token or Encrypted",
                        ));
                    }
                };
                timestamps.get_card_data = Some(span(card_in, self.now()));
                match &request.trans_type {
                    None | Some(TransType::ECommerce) => {}
                    Some(other) => {
                        return Err(refusal(
                            TRANS_TYPE_NOT_SUPPORTED,
                            format!("the sandbox runs eCommerce transactions only, not {other}"),
                        ));
                    }
                }
                if !test_bin(&bin).is_some_and(|p| p.pinless_ecommerce) {
                    return Err(refusal(
                        CARD_NOT_ELIGIBLE,
                        "the card cannot be used for pinless e-commerce (see PSBINCheck)",
                    ));
                }
                let mut store = lock(&self.txns);
                if let Some(key) = &request.reference_key
                    && let Some(existing) = store.by_reference_key.get(key)
                {
                    return Err(refusal(
                        DUPLICATE_REFERENCE_KEY,
                        format!("ReferenceKey already used by TranId {existing}"),
                    ));
                }
                store.next += 1;
                let n = store.next;
                let insert_in = self.now();
                let txn = Txn {
                    tran_id: format!("PS{}", super::random_key_id()),
                    internal_id: (1_000_000_000 + n).to_string(),
                    external_id: format!("NET{n:010}"),
                    reference_key: request.reference_key.clone(),
                    amount,
                    currency,
                    state: State::Authorized,
                    captured: 0,
                    approval_code: format!("{:06}", (n * 7919) % 1_000_000),
                    created: insert_in,
                };
                let response = InitiateResponse {
                    tran_id: Some(txn.tran_id.clone()),
                    accu_id: Some(txn.internal_id.clone()),
                    ..InitiateResponse::default()
                };
                store.insert(txn, self.config.max_transactions);
                timestamps.db_insert = Some(span(insert_in, self.now()));
                self.counters.transactions.fetch_add(1, Ordering::Relaxed);
                Ok(response)
            },
        )
    }

    pub(super) fn capture(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<PreAuthCapture, _>(
            body,
            |r| &r.credentials,
            |request, _| {
                let Some(tran_id) = request.tran_id.clone().filter(|t| !t.is_empty()) else {
                    return Err(http(field_error(
                        "TranId",
                        "NotEmpty",
                        "'TranId' must not be empty.",
                    )));
                };
                let Some(amount) = request.amount.filter(|a| *a > 0) else {
                    return Err(http(field_error(
                        "Amount",
                        "GreaterThan",
                        "'Amount' must be greater than 0.",
                    )));
                };
                let mut store = lock(&self.txns);
                let original = OriginalTransaction {
                    original_identifier_type: Some(OriginalDataType::TransactionId),
                    original_data_identifier: Some(tran_id),
                };
                let txn = store.find_mut(&original).ok_or_else(|| {
                    refusal(TRANSACTION_NOT_FOUND, "no transaction with this TranId")
                })?;
                if txn.state != State::Authorized {
                    return Err(refusal(
                        INVALID_TRANSACTION_STATE,
                        format!(
                            "the transaction is {}: only an authorised one can be captured, once",
                            txn.state.name()
                        ),
                    ));
                }
                if amount > txn.amount {
                    return Err(refusal(
                        AMOUNT_EXCEEDS_AUTHORIZED,
                        format!("Amount {amount} is above the authorised {}", txn.amount),
                    ));
                }
                if request
                    .currency_code
                    .as_ref()
                    .is_some_and(|c| !c.is_empty() && *c != txn.currency)
                {
                    return Err(refusal(
                        CURRENCY_MISMATCH,
                        format!("the transaction is in {}", txn.currency),
                    ));
                }
                txn.state = State::Captured;
                txn.captured = amount;
                self.counters.captures.fetch_add(1, Ordering::Relaxed);
                let mut response = UnpublishedResponse::default();
                response.members.insert("TranId", txn.tran_id.as_str());
                response
                    .members
                    .insert("ApprovalCode", txn.approval_code.as_str());
                response.members.insert("ResponseCode", "00");
                response
                    .members
                    .insert("ApprovedAmount", JsonValue::from(amount));
                Ok(response)
            },
        )
    }

    pub(super) fn void(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<PreAuthVoid, _>(body, |r| &r.credentials, |request, _| {
            let original = original_data(request.original_data.as_ref())?;
            let mut store = lock(&self.txns);
            let txn = store.find_mut(original).ok_or_else(not_found)?;
            if txn.state != State::Authorized {
                return Err(refusal(
                    INVALID_TRANSACTION_STATE,
                    format!("the transaction is {}: only an uncaptured authorisation can be voided (use Reverse)", txn.state.name()),
                ));
            }
            if request.amount.is_some_and(|a| a != txn.amount) {
                return Err(refusal(PARTIAL_VOID_NOT_SUPPORTED, "Amount, when given, must be the authorised amount"));
            }
            txn.state = State::Voided;
            self.counters.voids.fetch_add(1, Ordering::Relaxed);
            Ok(PreAuthVoidResponse {
                tran_id: Some(txn.tran_id.clone()),
                response_code: Some("00".to_owned()),
                ..PreAuthVoidResponse::default()
            })
        })
    }

    pub(super) fn reverse(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<Reverse, _>(
            body,
            |r| &r.credentials,
            |request, _| {
                let original = original_data(request.original_data.as_ref())?;
                let mut store = lock(&self.txns);
                let txn = store.find_mut(original).ok_or_else(not_found)?;
                if !matches!(txn.state, State::Authorized | State::Captured) {
                    return Err(refusal(
                        INVALID_TRANSACTION_STATE,
                        format!("the transaction is already {}", txn.state.name()),
                    ));
                }
                txn.state = State::Reversed;
                self.counters.reversals.fetch_add(1, Ordering::Relaxed);
                let mut response = UnpublishedResponse::default();
                response.members.insert("TranId", txn.tran_id.as_str());
                response.members.insert("ResponseCode", "00");
                Ok(response)
            },
        )
    }

    pub(super) fn transaction_status(&self, body: &[u8]) -> Response<Bytes> {
        self.serve::<TransactionStatus, _>(
            body,
            |r| &r.credentials,
            |request, _| {
                let original = original_data(request.original_data.as_ref())?;
                self.counters.status_queries.fetch_add(1, Ordering::Relaxed);
                let store = lock(&self.txns);
                let txn = store.find(original).ok_or_else(not_found)?;
                Ok(TransactionStatusResponse {
                    history: Some(txn.history()),
                    ..TransactionStatusResponse::default()
                })
            },
        )
    }
}

fn not_found() -> Refused {
    refusal(TRANSACTION_NOT_FOUND, "no transaction with this identifier")
}

/// `OriginalData` with both members, else HTTP 400 naming the missing one.
fn original_data(original: Option<&OriginalTransaction>) -> Result<&OriginalTransaction, Refused> {
    let missing = |field: &str| {
        Err(http(field_error(
            field,
            "NotEmpty",
            &format!("'{field}' must not be empty."),
        )))
    };
    let Some(original) = original else {
        return missing("OriginalData");
    };
    match &original.original_identifier_type {
        None => return missing("OriginalIdentifierType"),
        Some(kind) if !kind.is_known() => {
            return Err(http(field_error(
                "OriginalIdentifierType",
                "Enum",
                &format!("'{kind}' is not an OriginalDataType."),
            )));
        }
        Some(_) => {}
    }
    if original
        .original_data_identifier
        .as_deref()
        .is_none_or(str::is_empty)
    {
        return missing("OriginalDataIdentifier");
    }
    Ok(original)
}
