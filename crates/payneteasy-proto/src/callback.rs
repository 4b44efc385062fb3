//! The `control` checksum of callbacks and of the payer's return.
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

fn digest(status: &str, orderid: &str, client_orderid: &str, key: &ControlKey) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(status.as_bytes());
    h.update(orderid.as_bytes());
    h.update(client_orderid.as_bytes());
    h.update(key.0.as_bytes());
    h.finalize().into()
}

/// Computes `control` (lowercase hex) for the given callback values.
pub fn compute_control(
    status: &str,
    orderid: &str,
    client_orderid: &str,
    key: &ControlKey,
) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = digest(status, orderid, client_orderid, key);
    let mut out = String::with_capacity(40);
    for b in d {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
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
    let Some(received) = decode_hex20(control_hex) else {
        return false;
    };
    let expected = digest(status, orderid, client_orderid, key);
    bool::from(expected.ct_eq(&received))
}

fn decode_hex20(text: &str) -> Option<[u8; 20]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
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
