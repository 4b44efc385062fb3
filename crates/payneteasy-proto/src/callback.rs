//! The `control` checksum of callbacks and of the payer's return, and the SHA-1 behind v2
//! request `control` values.
//!
//! `control = sha1_hex(status + orderid + client_orderid + merchant_control)`: a SHA-1 over the
//! plain concatenation, written as 40 hexadecimal digits. It only proves knowledge of the
//! merchant control key; confirm the outcome with a `status` call before acting on it.

use std::fmt;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ProtoError;

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
    fn key_is_secret() {
        let key = ControlKey::new("test-merchant-control").unwrap();
        let shown = format!("{key:?} {:?}", key.clone());
        assert!(!shown.contains("test-merchant"), "{shown}");
        assert!(ControlKey::new("").is_err());
    }
}
