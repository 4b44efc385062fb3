//! Card data and its encryption with the RSA key from `CreateKey`.
//!
//! PaySecure does not document how card data is encrypted. The choices below are the spec's
//! **Decisions**:
//! - the key arrives as `Modulus`/`Exponent` text, upper-case big-endian hex (Acculynk's earlier
//!   API, exponent `"010001"`) or standard base64 (a .NET server, exponent `"AQAB"`);
//!   [`KeyEncoding::Auto`] tells them apart;
//! - the exponent must be odd and greater than 1, the modulus odd and 1024–4096 bits long
//!   (the `aws-lc-rs` back end additionally refuses keys under 2048 bits:
//!   [`Error::UnsupportedKeySize`]);
//! - the plaintext is the ASCII digits of the PAN or CVN, padded with PKCS#1 v1.5 by default
//!   (OAEP with SHA-1 or SHA-256 on request); the ciphertext is written as standard base64 by
//!   default, upper-case hex on request.
//!
//! Randomness for the padding comes from `aws-lc-rs`'s own generator.

use core::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey,
    PublicEncryptingKey,
};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::error::{CardDataProblem, Error};
use crate::messages::CreateKeySession;

/// Standard base64 that decodes with or without `=` padding and encodes with it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A primary account number: 12–19 digits with a valid Luhn check digit.
///
/// **Decisions:** ASCII spaces and dashes are accepted as separators and dropped (people type
/// `4111 1111 1111 1111`); any other non-digit is an error. `Debug` and `Display` show only the
/// last four digits (`****1111`), never the BIN, so a log line cannot narrow the number down.
/// The digits are zeroized on drop.
///
/// ```
/// use paysecure_proto::card::Pan;
///
/// let pan = Pan::new("4111 1111 1111 1111")?;
/// assert_eq!(pan.last4(), "1111");
/// assert_eq!(pan.bin(), "411111");
/// assert_eq!(format!("{pan:?}"), "Pan(****1111)");
/// # Ok::<(), paysecure_proto::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(Zeroizing<String>);

impl Pan {
    /// Fewest digits accepted.
    pub const MIN_LEN: usize = 12;
    /// Most digits accepted.
    pub const MAX_LEN: usize = 19;

    /// Checks and wraps a card number.
    ///
    /// # Errors
    /// [`Error::InvalidPan`] with [`CardDataProblem::NonDigit`], [`CardDataProblem::Length`] or
    /// [`CardDataProblem::Luhn`]; the number itself is never part of the error.
    pub fn new(text: &str) -> Result<Self, Error> {
        // Reserve up front so no reallocation leaves a stray copy of the digits behind.
        let mut digits = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(Error::InvalidPan(CardDataProblem::NonDigit)),
            }
        }
        let len = digits.len();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(Error::InvalidPan(CardDataProblem::Length {
                len,
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
            }));
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(Error::InvalidPan(CardDataProblem::Luhn));
        }
        Ok(Self(digits))
    }

    /// The digits, for encryption.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four digits.
    #[must_use]
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The first six digits (the issuer identification number).
    #[must_use]
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan(****{})", self.last4())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "****{}", self.last4())
    }
}

/// A card verification number (CVN/CVV/CVC): three or four ASCII digits. Redacted in `Debug`
/// and `Display`, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvn(Zeroizing<String>);

impl Cvn {
    /// Checks and wraps a CVN.
    ///
    /// # Errors
    /// [`Error::InvalidCvn`] with [`CardDataProblem::NonDigit`] or [`CardDataProblem::Length`].
    pub fn new(text: &str) -> Result<Self, Error> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidCvn(CardDataProblem::NonDigit));
        }
        if !(3..=4).contains(&text.len()) {
            return Err(Error::InvalidCvn(CardDataProblem::Length {
                len: text.len(),
                min: 3,
                max: 4,
            }));
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// The digits, for encryption.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvn(<redacted>)")
    }
}

impl fmt::Display for Cvn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.checked_rem(10) == Some(0)
}

/// How `Modulus` and `Exponent` are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// Hex when the modulus is all hex digits and 256–1026 characters long (1024–4096 bits,
    /// with an optional leading `00`), otherwise standard base64; the exponent follows the
    /// modulus.
    #[default]
    Auto,
    /// Big-endian hex, either case; an odd number of digits gets a leading zero.
    Hex,
    /// Standard base64, padding optional.
    Base64,
}

/// RSA encryption padding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Padding {
    /// PKCS#1 v1.5 (RSAES-PKCS1-v1_5), what Acculynk's earlier API used.
    #[default]
    Pkcs1v15,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1 (.NET's `RSAEncryptionPadding.OaepSHA1`).
    OaepSha1,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
}

/// How the ciphertext is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// Standard base64 with padding.
    #[default]
    Base64,
    /// Upper-case hex.
    Hex,
}

/// Encrypted card data as sent to PaySecure: the ciphertext text and the key id it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedCardData {
    /// The `KeyId` of the key used.
    pub key_id: String,
    /// The ciphertext in the chosen [`Output`] encoding.
    pub ciphertext: String,
}

/// The RSA public key of a `CreateKey` session, checked and ready to encrypt card data.
///
/// Time is an input: the key records when it was issued and, once told the lifetime with
/// [`Self::with_ttl_minutes`], answers [`Self::is_expired`] for a `now` the caller supplies.
#[derive(Clone)]
pub struct CardEncryptionKey {
    key_id: String,
    bits: usize,
    key: PublicEncryptingKey,
    issued_at: SystemTime,
    ttl: Option<Duration>,
}

impl CardEncryptionKey {
    /// Checks the key in a `CreateKey` response and prepares it for encryption.
    ///
    /// `issued_at` is when the response arrived (the caller's clock).
    ///
    /// # Errors
    /// - [`Error::MissingField`] when `KeyId`, `Modulus` or `Exponent` is missing or empty;
    /// - [`Error::KeyEncoding`] when either is not valid hex / base64;
    /// - [`Error::InvalidExponent`] for an even exponent, one ≤ 1 or above 64 bits;
    /// - [`Error::InvalidModulus`] for an even modulus or one outside 1024–4096 bits;
    /// - [`Error::UnsupportedKeySize`] for 1024–2047 bits (refused by `aws-lc-rs`);
    /// - [`Error::KeyRejected`] when the back end refuses the key anyway.
    pub fn from_session(
        session: &CreateKeySession,
        encoding: KeyEncoding,
        issued_at: SystemTime,
    ) -> Result<Self, Error> {
        let key_id = required(&session.key_id, "KeyId")?;
        let modulus_text = required(&session.modulus, "Modulus")?;
        let exponent_text = required(&session.exponent, "Exponent")?;

        let encoding = match encoding {
            KeyEncoding::Auto if looks_like_hex_modulus(modulus_text) => KeyEncoding::Hex,
            KeyEncoding::Auto => KeyEncoding::Base64,
            other => other,
        };
        let modulus = decode_key_text(modulus_text, encoding, "Modulus")?;
        let exponent = decode_key_text(exponent_text, encoding, "Exponent")?;
        let modulus = strip_leading_zeros(&modulus);
        let exponent = strip_leading_zeros(&exponent);

        if exponent.len() > 8 {
            return Err(Error::InvalidExponent {
                reason: "longer than 64 bits",
            });
        }
        if exponent.is_empty() || exponent == [1] {
            return Err(Error::InvalidExponent {
                reason: "must be greater than 1",
            });
        }
        if exponent.last().is_some_and(|b| b % 2 == 0) {
            return Err(Error::InvalidExponent {
                reason: "must be odd",
            });
        }

        let bits = bit_length(modulus);
        if !(1024..=4096).contains(&bits) {
            return Err(Error::InvalidModulus {
                bits,
                reason: "must be 1024..=4096 bits",
            });
        }
        if modulus.last().is_some_and(|b| b % 2 == 0) {
            return Err(Error::InvalidModulus {
                bits,
                reason: "must be odd",
            });
        }
        if bits < 2048 {
            return Err(Error::UnsupportedKeySize { bits });
        }

        let der = der::subject_public_key_info(modulus, exponent);
        let key = PublicEncryptingKey::from_der(&der).map_err(|_| Error::KeyRejected)?;
        Ok(Self {
            key_id: key_id.to_owned(),
            bits,
            key,
            issued_at,
            ttl: None,
        })
    }

    /// Records the key's lifetime (the `TTLInMinutes` the server honoured).
    #[must_use]
    pub fn with_ttl_minutes(mut self, minutes: u32) -> Self {
        self.ttl = Some(Duration::from_secs(u64::from(minutes) * 60));
        self
    }

    /// The `KeyId` to send with data encrypted under this key.
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// When the key was issued (as given to [`Self::from_session`]).
    #[must_use]
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// `issued_at + TTL`; `None` while no lifetime is known (or if it overflows the clock).
    #[must_use]
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.ttl.and_then(|ttl| self.issued_at.checked_add(ttl))
    }

    /// `true` once `now` has reached [`Self::expires_at`]. A key with no known lifetime is never
    /// reported expired: record one with [`Self::with_ttl_minutes`] to get a refresh signal.
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at().is_some_and(|at| now >= at)
    }

    /// Encrypts the PAN's ASCII digits.
    ///
    /// # Errors
    /// [`Error::Encryption`] when the back end fails.
    pub fn encrypt_pan(
        &self,
        pan: &Pan,
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, Error> {
        self.encrypt(pan.expose().as_bytes(), padding, output)
    }

    /// Encrypts the CVN's ASCII digits.
    ///
    /// # Errors
    /// [`Error::Encryption`] when the back end fails.
    pub fn encrypt_cvn(
        &self,
        cvn: &Cvn,
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, Error> {
        self.encrypt(cvn.expose().as_bytes(), padding, output)
    }

    fn encrypt(
        &self,
        plaintext: &[u8],
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, Error> {
        let mut buffer = vec![0u8; self.key.key_size_bytes()];
        let ciphertext: &[u8] = match padding {
            Padding::Pkcs1v15 => Pkcs1PublicEncryptingKey::new(self.key.clone())
                .map_err(|_| Error::KeyRejected)?
                .encrypt(plaintext, &mut buffer)
                .map_err(|_| Error::Encryption)?,
            Padding::OaepSha1 | Padding::OaepSha256 => {
                let algorithm = if padding == Padding::OaepSha1 {
                    &OAEP_SHA1_MGF1SHA1
                } else {
                    &OAEP_SHA256_MGF1SHA256
                };
                OaepPublicEncryptingKey::new(self.key.clone())
                    .map_err(|_| Error::KeyRejected)?
                    .encrypt(algorithm, plaintext, &mut buffer, None)
                    .map_err(|_| Error::Encryption)?
            }
        };
        let ciphertext = match output {
            Output::Base64 => BASE64.encode(ciphertext),
            Output::Hex => hex_upper(ciphertext),
        };
        Ok(EncryptedCardData {
            key_id: self.key_id.clone(),
            ciphertext,
        })
    }
}

impl fmt::Debug for CardEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardEncryptionKey")
            .field("key_id", &self.key_id)
            .field("bits", &self.bits)
            .field("issued_at", &self.issued_at)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn required<'a>(value: &'a Option<String>, field: &'static str) -> Result<&'a str, Error> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Error::MissingField { field })
}

fn looks_like_hex_modulus(text: &str) -> bool {
    (256..=1026).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn decode_key_text(
    text: &str,
    encoding: KeyEncoding,
    field: &'static str,
) -> Result<Vec<u8>, Error> {
    match encoding {
        KeyEncoding::Hex => hex_decode(text).ok_or(Error::KeyEncoding {
            field,
            encoding: "hex",
        }),
        KeyEncoding::Base64 | KeyEncoding::Auto => {
            BASE64.decode(text).map_err(|_| Error::KeyEncoding {
                field,
                encoding: "base64",
            })
        }
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().div_ceil(2));
    let (head, rest) = if bytes.len() % 2 == 1 {
        bytes.split_at(1)
    } else {
        bytes.split_at(0)
    };
    if let [single] = head {
        out.push(nibble(*single)?);
    }
    for pair in rest.chunks_exact(2) {
        out.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    Some(out)
}

fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Bit length of a big-endian magnitude without leading zero bytes.
fn bit_length(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        None => 0,
        Some(&top) => (magnitude.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

/// Just enough DER to write an RSA `SubjectPublicKeyInfo`.
mod der {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const BIT_STRING: u8 = 0x03;
    const NULL: u8 = 0x05;
    const OBJECT_IDENTIFIER: u8 = 0x06;
    /// 1.2.840.113549.1.1.1 (rsaEncryption).
    const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

    fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
        out.push(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let be = len.to_be_bytes();
            let skip = be.iter().position(|&b| b != 0).unwrap_or(be.len() - 1);
            out.push(0x80 | (be.len() - skip) as u8);
            out.extend_from_slice(&be[skip..]);
        }
        out.extend_from_slice(content);
    }

    /// A non-negative INTEGER from a big-endian magnitude without leading zeros.
    fn unsigned_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
        let mut content = Vec::with_capacity(magnitude.len() + 1);
        if magnitude.first().is_none_or(|&b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(magnitude);
        tlv(out, INTEGER, &content);
    }

    /// `SubjectPublicKeyInfo { rsaEncryption NULL, BIT STRING { RSAPublicKey { n, e } } }`.
    pub(super) fn subject_public_key_info(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let mut integers = Vec::with_capacity(modulus.len() + exponent.len() + 16);
        unsigned_integer(&mut integers, modulus);
        unsigned_integer(&mut integers, exponent);
        let mut rsa_public_key = vec![0u8]; // BIT STRING: no unused bits
        tlv(&mut rsa_public_key, SEQUENCE, &integers);

        let mut algorithm = Vec::with_capacity(16);
        tlv(&mut algorithm, OBJECT_IDENTIFIER, &RSA_ENCRYPTION);
        tlv(&mut algorithm, NULL, &[]);

        let mut body = Vec::with_capacity(rsa_public_key.len() + 32);
        tlv(&mut body, SEQUENCE, &algorithm);
        tlv(&mut body, BIT_STRING, &rsa_public_key);
        let mut out = Vec::with_capacity(body.len() + 4);
        tlv(&mut out, SEQUENCE, &body);
        out
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn lengths_and_integers() {
            let mut out = Vec::new();
            super::tlv(&mut out, 0x04, &[0; 0x80]);
            assert_eq!(&out[..3], &[0x04, 0x81, 0x80]);
            let mut out = Vec::new();
            super::tlv(&mut out, 0x04, &[0; 0x1234]);
            assert_eq!(&out[..4], &[0x04, 0x82, 0x12, 0x34]);
            let mut out = Vec::new();
            super::unsigned_integer(&mut out, &[0x80, 0x01]);
            assert_eq!(out, [0x02, 0x03, 0x00, 0x80, 0x01]);
            let mut out = Vec::new();
            super::unsigned_integer(&mut out, &[0x01, 0x00, 0x01]);
            assert_eq!(out, [0x02, 0x03, 0x01, 0x00, 0x01]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        for good in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "4222222222222",
        ] {
            assert!(luhn_valid(good.as_bytes()), "{good}");
        }
        assert!(!luhn_valid(b"4111111111111112"));
    }

    #[test]
    fn pan_rules() {
        assert_eq!(
            Pan::new("4111-1111-1111-1111").unwrap().expose(),
            "4111111111111111"
        );
        assert_eq!(
            Pan::new("4111x11111111111"),
            Err(Error::InvalidPan(CardDataProblem::NonDigit))
        );
        assert_eq!(
            Pan::new("4111111111111112"),
            Err(Error::InvalidPan(CardDataProblem::Luhn))
        );
        assert!(matches!(
            Pan::new("41111111111"),
            Err(Error::InvalidPan(CardDataProblem::Length {
                len: 11,
                min: 12,
                max: 19
            }))
        ));
        assert!(matches!(
            Pan::new("41111111111111111111"),
            Err(Error::InvalidPan(CardDataProblem::Length { len: 20, .. }))
        ));
        assert!(matches!(
            Pan::new(""),
            Err(Error::InvalidPan(CardDataProblem::Length { len: 0, .. }))
        ));
        assert_eq!(
            Pan::new("４１１１"),
            Err(Error::InvalidPan(CardDataProblem::NonDigit))
        );
    }

    #[test]
    fn cvn_rules() {
        assert_eq!(Cvn::new("123").unwrap().expose(), "123");
        assert_eq!(Cvn::new("1234").unwrap().expose(), "1234");
        assert!(matches!(
            Cvn::new("12"),
            Err(Error::InvalidCvn(CardDataProblem::Length { len: 2, .. }))
        ));
        assert!(matches!(
            Cvn::new("12345"),
            Err(Error::InvalidCvn(CardDataProblem::Length { .. }))
        ));
        assert_eq!(
            Cvn::new("12a"),
            Err(Error::InvalidCvn(CardDataProblem::NonDigit))
        );
    }

    #[test]
    fn redaction() {
        let pan = Pan::new("4111111111111111").unwrap();
        let cvn = Cvn::new("987").unwrap();
        for text in [format!("{pan:?}"), format!("{pan}"), format!("{pan:#?}")] {
            assert!(!text.contains("411111111111"), "{text}");
            assert!(!text.contains("411111"), "{text}");
        }
        for text in [format!("{cvn:?}"), format!("{cvn}")] {
            assert!(!text.contains("987"), "{text}");
        }
        let err = Pan::new("4111111111111112").unwrap_err().to_string();
        assert!(!err.contains("411111"), "{err}");
    }

    #[test]
    fn hex_helpers() {
        assert_eq!(hex_decode("010001"), Some(vec![1, 0, 1]));
        assert_eq!(hex_decode("10001"), Some(vec![1, 0, 1]));
        assert_eq!(hex_decode("aBcD"), Some(vec![0xab, 0xcd]));
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex_upper(&[0xab, 0x01]), "AB01");
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x80]), 8);
    }
}
