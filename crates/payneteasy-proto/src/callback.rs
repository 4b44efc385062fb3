//! The `control` checksum of callbacks and of the payer's return, and the SHA-1 behind v2
//! request `control` values.
//!
//! `control = sha1_hex(status + orderid + client_orderid + merchant_control)`: a SHA-1 over the
//! plain concatenation, written as 40 hexadecimal digits. It only proves knowledge of the
//! merchant control key; confirm the outcome with a `status` call before acting on it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ProtoError;
use crate::status::{Status, TransactionType};
use crate::wire::extra;

/// The merchant control key: a shared secret.
///
/// Its `Debug` output is redacted and its memory is zeroed on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ControlKey(String);

impl ControlKey {
    /// Wraps a merchant control key.
    ///
    /// # Errors
    /// [`ProtoError::Empty`] for an empty key (it would make every checksum forgeable).
    pub fn new(key: impl Into<String>) -> Result<Self, ProtoError> {
        let key = Self(key.into());
        if key.0.is_empty() {
            return Err(ProtoError::Empty {
                field: "merchant_control",
            });
        }
        Ok(key)
    }
}

impl fmt::Debug for ControlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ControlKey(<redacted>)")
    }
}

/// One piece of a `control` concatenation: text, or the merchant control key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ControlInput<'a> {
    /// Text taken as it is (a field value, an endpoint id, an amount in minor units).
    Text(&'a str),
    /// The merchant control key.
    Key,
}

impl fmt::Debug for ControlInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => f.debug_tuple("Text").field(t).finish(),
            Self::Key => f.write_str("Key"),
        }
    }
}

fn digest(inputs: &[ControlInput<'_>], key: &ControlKey) -> [u8; 20] {
    let mut h = Sha1::new();
    for input in inputs {
        h.update(match input {
            ControlInput::Text(t) => t.as_bytes(),
            ControlInput::Key => key.0.as_bytes(),
        });
    }
    h.finalize().into()
}

/// `sha1_hex` of the concatenation of `inputs`, the key in place of [`ControlInput::Key`]:
/// the v2 request `control` and the callback `control` (lowercase hex).
pub fn sha1_control(inputs: &[ControlInput<'_>], key: &ControlKey) -> String {
    hex::encode(digest(inputs, key))
}

fn callback_inputs<'a>(
    status: &'a str,
    orderid: &'a str,
    client_orderid: &'a str,
) -> [ControlInput<'a>; 4] {
    [
        ControlInput::Text(status),
        ControlInput::Text(orderid),
        ControlInput::Text(client_orderid),
        ControlInput::Key,
    ]
}

/// Computes `control` (lowercase hex) for the given callback values.
pub fn compute_control(
    status: &str,
    orderid: &str,
    client_orderid: &str,
    key: &ControlKey,
) -> String {
    sha1_control(&callback_inputs(status, orderid, client_orderid), key)
}

/// Checks a received `control` value, in constant time with respect to the expected digest.
///
/// `control_hex` may use upper- or lowercase digits; anything that is not exactly 40 hex digits
/// is refused.
pub fn verify_callback_control(
    status: &str,
    orderid: &str,
    client_orderid: &str,
    key: &ControlKey,
    control_hex: &str,
) -> bool {
    let mut received = [0u8; 20];
    if hex::decode_to_slice(control_hex, &mut received).is_err() {
        return false;
    }
    let expected = digest(&callback_inputs(status, orderid, client_orderid), key);
    bool::from(expected.ct_eq(&received))
}

// ---------------------------------------------------------------------------------------------
// Typed callbacks.

/// Why a callback or customer return is not to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// None of `merchant-order-id`, `client_orderid` and `merchant_order` is present: there is
    /// no client order id to check the `control` with.
    #[error("the callback carries no client order id")]
    MissingClientId,
    /// The `control` is not `sha1(status + orderid + client_orderid + merchant control key)`
    /// (or not 40 hex digits).
    #[error("the callback's control does not match")]
    BadControl,
}

/// The fields a callback is deduplicated on: status, type, orderid and client order id
/// (DOC merchants_callbacks: the gateway retries until it gets HTTP 200, up to 30 times over 14
/// days, so the same callback may arrive more than once).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey {
    /// `status`.
    pub status: String,
    /// `type` (empty for a customer return, which has none).
    pub transaction_type: String,
    /// `orderid`.
    pub orderid: String,
    /// The client order id ([`ServerCallback::client_id`]), empty when absent.
    pub client_orderid: String,
}

/// The client order id as the PHP library finds it (`Response::getPaymentClientId`, spec R14):
/// `merchant-order-id`, else `client_orderid`, else `merchant_order`.
fn client_id<'a>(
    merchant_order_id: Option<&'a str>,
    client_orderid: Option<&'a str>,
    merchant_order: Option<&'a str>,
) -> Option<&'a str> {
    merchant_order_id.or(client_orderid).or(merchant_order)
}

fn verify_fields(
    status: &Status,
    orderid: &str,
    client_id: Option<&str>,
    control: &str,
    key: &ControlKey,
) -> Result<(), CallbackError> {
    let client = client_id.ok_or(CallbackError::MissingClientId)?;
    if verify_callback_control(status.as_str(), orderid, client, key, control) {
        Ok(())
    } else {
        Err(CallbackError::BadControl)
    }
}

/// The server-to-server callback: an HTTP GET to `server_callback_url` (or the endpoint's
/// configured URLs) whose query carries these parameters (PHPLIB
/// `Callback/PaynetEasyCallback.php`; DOC merchants_callbacks). Read one with
/// `payneteasy_codec::parse_server_callback`.
///
/// Verify it ([`ServerCallback::verify`]), deduplicate it ([`ServerCallback::dedup_key`]),
/// answer HTTP 200, and confirm the outcome with a `status` request before acting on it.
/// Parameters this type does not model are kept in [`extra`](Self::extra), in order. `Debug`
/// does not show the `control`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerCallback {
    /// `status`: approved, declined, filtered, error (PHPLIB `AbstractCallback.php`), or
    /// another value kept as received.
    pub status: Status,
    /// `orderid`: the gateway's order id.
    pub orderid: String,
    /// `merchant-order-id`, when present (the first choice for the client id).
    #[serde(
        rename = "merchant-order-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub merchant_order_id: Option<String>,
    /// `client_orderid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_orderid: Option<String>,
    /// `merchant_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order: Option<String>,
    /// `amount`, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// `type`: sale, reversal, chargeback, or another value kept as received.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub transaction_type: Option<TransactionType>,
    /// `control`: `sha1(status + orderid + client_orderid + merchant control key)`.
    pub control: String,
    /// Every other parameter, in order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl ServerCallback {
    /// A callback with these values and `control` computed with `key` (for emulators and
    /// tests): `client_orderid` and `merchant_order` both carry `client_orderid`.
    pub fn signed(
        status: Status,
        orderid: impl Into<String>,
        client_orderid: impl Into<String>,
        transaction_type: Option<TransactionType>,
        amount: Option<String>,
        key: &ControlKey,
    ) -> Self {
        let (orderid, client) = (orderid.into(), client_orderid.into());
        let control = compute_control(status.as_str(), &orderid, &client, key);
        Self {
            status,
            orderid,
            merchant_order_id: None,
            client_orderid: Some(client.clone()),
            merchant_order: Some(client),
            amount,
            transaction_type,
            control,
            extra: Vec::new(),
        }
    }

    /// The client order id: `merchant-order-id`, else `client_orderid`, else
    /// `merchant_order` (the PHP library's order, spec R14).
    pub fn client_id(&self) -> Option<&str> {
        client_id(
            self.merchant_order_id.as_deref(),
            self.client_orderid.as_deref(),
            self.merchant_order.as_deref(),
        )
    }

    /// Checks the `control` with the merchant control key, in constant time.
    ///
    /// # Errors
    /// [`CallbackError::MissingClientId`] or [`CallbackError::BadControl`].
    pub fn verify(&self, key: &ControlKey) -> Result<(), CallbackError> {
        verify_fields(
            &self.status,
            &self.orderid,
            self.client_id(),
            &self.control,
            key,
        )
    }

    /// The deduplication key: status, type, orderid, client order id.
    pub fn dedup_key(&self) -> DedupKey {
        DedupKey {
            status: self.status.as_str().to_owned(),
            transaction_type: self
                .transaction_type
                .as_ref()
                .map_or(String::new(), |t| t.as_str().to_owned()),
            orderid: self.orderid.clone(),
            client_orderid: self.client_id().unwrap_or("").to_owned(),
        }
    }
}

impl fmt::Debug for ServerCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerCallback")
            .field("status", &self.status)
            .field("orderid", &self.orderid)
            .field("merchant_order_id", &self.merchant_order_id)
            .field("client_orderid", &self.client_orderid)
            .field("merchant_order", &self.merchant_order)
            .field("amount", &self.amount)
            .field("transaction_type", &self.transaction_type)
            .field("control", &"<redacted>")
            .field("extra", &self.extra)
            .finish()
    }
}

/// The payer's return to `redirect_url` after 3-D Secure or the payment form: an HTTP POST
/// form with these fields (PHPLIB `CustomerReturnCallback.php`; HF `go-react/README.md` "The
/// 3DS return", whose return carries `merchant_order` without `client_orderid`). Read one
/// with `payneteasy_codec::parse_customer_return`.
///
/// Not a status: verify it, then ask `status` ("the documentation says not to treat it as the
/// status", HF README). `Debug` does not show the `control`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerReturn {
    /// `status`.
    pub status: Status,
    /// `orderid`.
    pub orderid: String,
    /// `merchant-order-id`, when present.
    #[serde(
        rename = "merchant-order-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub merchant_order_id: Option<String>,
    /// `client_orderid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_orderid: Option<String>,
    /// `merchant_order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_order: Option<String>,
    /// `control`: `sha1(status + orderid + client_orderid + merchant control key)`.
    pub control: String,
    /// Every other field, in order.
    #[serde(flatten, with = "extra")]
    pub extra: Vec<(String, String)>,
}

impl CustomerReturn {
    /// A return with these values and `control` computed with `key` (for emulators and
    /// tests): `client_orderid` and `merchant_order` both carry `client_orderid`.
    pub fn signed(
        status: Status,
        orderid: impl Into<String>,
        client_orderid: impl Into<String>,
        key: &ControlKey,
    ) -> Self {
        let (orderid, client) = (orderid.into(), client_orderid.into());
        let control = compute_control(status.as_str(), &orderid, &client, key);
        Self {
            status,
            orderid,
            merchant_order_id: None,
            client_orderid: Some(client.clone()),
            merchant_order: Some(client),
            control,
            extra: Vec::new(),
        }
    }

    /// The client order id, found as for [`ServerCallback::client_id`].
    pub fn client_id(&self) -> Option<&str> {
        client_id(
            self.merchant_order_id.as_deref(),
            self.client_orderid.as_deref(),
            self.merchant_order.as_deref(),
        )
    }

    /// Checks the `control` with the merchant control key, in constant time.
    ///
    /// # Errors
    /// [`CallbackError::MissingClientId`] or [`CallbackError::BadControl`].
    pub fn verify(&self, key: &ControlKey) -> Result<(), CallbackError> {
        verify_fields(
            &self.status,
            &self.orderid,
            self.client_id(),
            &self.control,
            key,
        )
    }

    /// The deduplication key (an empty type).
    pub fn dedup_key(&self) -> DedupKey {
        DedupKey {
            status: self.status.as_str().to_owned(),
            transaction_type: String::new(),
            orderid: self.orderid.clone(),
            client_orderid: self.client_id().unwrap_or("").to_owned(),
        }
    }
}

impl fmt::Debug for CustomerReturn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerReturn")
            .field("status", &self.status)
            .field("orderid", &self.orderid)
            .field("merchant_order_id", &self.merchant_order_id)
            .field("client_orderid", &self.client_orderid)
            .field("merchant_order", &self.merchant_order)
            .field("control", &"<redacted>")
            .field("extra", &self.extra)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_vectors() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/vectors/payneteasy/callback_control.json"
        ))
        .unwrap();
        let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = cases.as_array().unwrap();
        assert!(!cases.is_empty());
        for case in cases {
            let s = |k: &str| case[k].as_str().unwrap().to_owned();
            let key = ControlKey::new(s("merchant_control")).unwrap();
            let (status, orderid, client) = (s("status"), s("orderid"), s("client_orderid"));
            let control = s("control");
            assert_eq!(compute_control(&status, &orderid, &client, &key), control);
            assert!(verify_callback_control(
                &status, &orderid, &client, &key, &control
            ));
            assert!(verify_callback_control(
                &status,
                &orderid,
                &client,
                &key,
                &control.to_ascii_uppercase()
            ));
            // Any other status, id, key or checksum is refused.
            assert!(!verify_callback_control(
                "declined", &orderid, &client, &key, &control
            ));
            assert!(!verify_callback_control(
                &status, "1", &client, &key, &control
            ));
            assert!(!verify_callback_control(
                &status, &orderid, "x", &key, &control
            ));
            let other = ControlKey::new("other").unwrap();
            assert!(!verify_callback_control(
                &status, &orderid, &client, &other, &control
            ));
            let mut flipped = control.clone().into_bytes();
            flipped[39] = if flipped[39] == b'0' { b'1' } else { b'0' };
            let flipped = String::from_utf8(flipped).unwrap();
            assert!(!verify_callback_control(
                &status, &orderid, &client, &key, &flipped
            ));
            assert!(!verify_callback_control(
                &status,
                &orderid,
                &client,
                &key,
                &control[..38]
            ));
            assert!(!verify_callback_control(
                &status,
                &orderid,
                &client,
                &key,
                &format!("{control}00")
            ));
            assert!(!verify_callback_control(
                &status, &orderid, &client, &key, ""
            ));
        }
    }

    #[test]
    fn published_case_and_non_hex() {
        let key = ControlKey::new("test-merchant-control").unwrap();
        assert_eq!(
            compute_control("approved", "1234567", "hf-abc", &key),
            "652ace404c4dfe8bba069ecee594ec23a89340e1"
        );
        assert!(!verify_callback_control(
            "approved",
            "1234567",
            "hf-abc",
            &key,
            "652ace404c4dfe8bba069ecee594ec23a89340eg"
        ));
    }

    #[test]
    fn typed_callbacks() {
        let key = ControlKey::new("test-merchant-control").unwrap();
        let cb = ServerCallback::signed(
            Status::Approved,
            "1234567",
            "hf-abc",
            Some(TransactionType::Sale),
            Some("10.42".into()),
            &key,
        );
        assert_eq!(cb.control, "652ace404c4dfe8bba069ecee594ec23a89340e1");
        assert_eq!(cb.verify(&key), Ok(()));
        assert_eq!(
            cb.verify(&ControlKey::new("other").unwrap()),
            Err(CallbackError::BadControl)
        );
        let shown = format!("{cb:?}");
        assert!(!shown.contains("652ace40"), "{shown}");
        let key_fields = cb.dedup_key();
        assert_eq!(
            (
                key_fields.status.as_str(),
                key_fields.transaction_type.as_str()
            ),
            ("approved", "sale")
        );
        // The client id: merchant-order-id, else client_orderid, else merchant_order.
        let mut only_merchant_order = cb.clone();
        only_merchant_order.client_orderid = None;
        assert_eq!(only_merchant_order.client_id(), Some("hf-abc"));
        assert_eq!(only_merchant_order.verify(&key), Ok(()));
        let mut preferred = cb.clone();
        preferred.merchant_order_id = Some("other".into());
        assert_eq!(preferred.client_id(), Some("other"));
        assert_eq!(preferred.verify(&key), Err(CallbackError::BadControl));
        let mut none = cb.clone();
        none.client_orderid = None;
        none.merchant_order = None;
        assert_eq!(none.verify(&key), Err(CallbackError::MissingClientId));
        let ret = CustomerReturn::signed(Status::Declined, "1", "c", &key);
        assert_eq!(ret.verify(&key), Ok(()));
        assert!(!format!("{ret:?}").contains(&ret.control));
        assert_eq!(ret.dedup_key().transaction_type, "");
    }

    #[test]
    fn key_is_secret() {
        let key = ControlKey::new("test-merchant-control").unwrap();
        let shown = format!("{key:?} {:?}", key.clone());
        assert!(!shown.contains("test-merchant"), "{shown}");
        assert!(ControlKey::new("").is_err());
    }
}
