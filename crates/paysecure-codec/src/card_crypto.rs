//! Encryption of card data with the RSA key from `CreateKey`.
//!
//! PaySecure does not document how card data is encrypted. The choices below are the spec's
//! **Decisions**:
//! - the key arrives as `Modulus`/`Exponent` text, upper-case big-endian hex (Acculynk's earlier
//!   API, exponent `"010001"`) or standard base64 (a .NET server, exponent `"AQAB"`);
//!   [`KeyEncoding::Auto`] tells them apart;
//! - the exponent must be odd and greater than 1, the modulus odd and 1024–4096 bits long
//!   (the `aws-lc-rs` back end additionally refuses keys under 2048 bits:
//!   [`CardCryptoError::UnsupportedKeySize`]);
//! - the plaintext is the ASCII digits of the PAN or CVN, padded with PKCS#1 v1.5 by default
//!   (OAEP with SHA-1 or SHA-256 on request); the ciphertext is written as standard base64 by
//!   default, upper-case hex on request.
//!
//! The key is built from key material ([`CardEncryptionKey::from_parts`]);
//! [`CardEncryptionKey::from_session`] reads it from a decoded `CreateKeySession`. Randomness
//! for the padding comes from `aws-lc-rs`'s own generator.

use core::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey,
    PublicEncryptingKey,
};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use paysecure_proto::CreateKeySession;
use paysecure_proto::card::{Cvn, EncryptedCardData, Pan};

/// Standard base64 that decodes with or without `=` padding and encodes with it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a key could not be used, or card data not encrypted. Never carries card data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardCryptoError {
    /// The key id, modulus or exponent is missing or empty.
    #[error("required field `{field}` is missing or empty")]
    MissingField {
        /// The wire name of the member (`KeyId`, `Modulus`, `Exponent`).
        field: &'static str,
    },

    /// The key's modulus or exponent could not be decoded from hex / base64.
    #[error("`{field}` is not valid {encoding}")]
    KeyEncoding {
        /// `Modulus` or `Exponent`.
        field: &'static str,
        /// The encoding that was tried (`hex` or `base64`).
        encoding: &'static str,
    },

    /// The public exponent is even, ≤ 1, or longer than 64 bits.
    #[error("unacceptable RSA public exponent: {reason}")]
    InvalidExponent {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The modulus is even or not between 1024 and 4096 bits.
    #[error("unacceptable RSA modulus ({bits} bits): {reason}")]
    InvalidModulus {
        /// The modulus size in bits.
        bits: usize,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The modulus is inside PaySecure's accepted 1024–4096-bit range, but the `aws-lc-rs`
    /// back end encrypts only with keys of 2048 bits or more.
    #[error("{bits}-bit RSA keys are not supported by the aws-lc-rs back end (2048 bits or more)")]
    UnsupportedKeySize {
        /// The modulus size in bits.
        bits: usize,
    },

    /// The cryptographic back end refused the public key.
    #[error("the RSA public key was rejected by the back end")]
    KeyRejected,

    /// The cryptographic back end failed to encrypt (for example, plaintext too long for OAEP).
    #[error("RSA encryption failed")]
    Encryption,
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
    /// Checks an RSA public key given as `Modulus`/`Exponent` text and prepares it for
    /// encryption under `key_id`.
    ///
    /// `issued_at` is when the key arrived (the caller's clock).
    ///
    /// # Errors
    /// - [`CardCryptoError::MissingField`] when the key id, modulus or exponent is empty;
    /// - [`CardCryptoError::KeyEncoding`] when either is not valid hex / base64;
    /// - [`CardCryptoError::InvalidExponent`] for an even exponent, one ≤ 1 or above 64 bits;
    /// - [`CardCryptoError::InvalidModulus`] for an even modulus or one outside 1024–4096 bits;
    /// - [`CardCryptoError::UnsupportedKeySize`] for 1024–2047 bits (refused by `aws-lc-rs`);
    /// - [`CardCryptoError::KeyRejected`] when the back end refuses the key anyway.
    pub fn from_parts(
        key_id: &str,
        modulus: &str,
        exponent: &str,
        encoding: KeyEncoding,
        issued_at: SystemTime,
    ) -> Result<Self, CardCryptoError> {
        let key_id = required(Some(key_id), "KeyId")?;
        let modulus_text = required(Some(modulus), "Modulus")?;
        let exponent_text = required(Some(exponent), "Exponent")?;
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
            return Err(CardCryptoError::InvalidExponent {
                reason: "longer than 64 bits",
            });
        }
        if exponent.is_empty() || exponent == [1] {
            return Err(CardCryptoError::InvalidExponent {
                reason: "must be greater than 1",
            });
        }
        if exponent.last().is_some_and(|b| b % 2 == 0) {
            return Err(CardCryptoError::InvalidExponent {
                reason: "must be odd",
            });
        }

        let bits = bit_length(modulus);
        if !(1024..=4096).contains(&bits) {
            return Err(CardCryptoError::InvalidModulus {
                bits,
                reason: "must be 1024..=4096 bits",
            });
        }
        if modulus.last().is_some_and(|b| b % 2 == 0) {
            return Err(CardCryptoError::InvalidModulus {
                bits,
                reason: "must be odd",
            });
        }
        if bits < 2048 {
            return Err(CardCryptoError::UnsupportedKeySize { bits });
        }

        let der = der::subject_public_key_info(modulus, exponent);
        let key = PublicEncryptingKey::from_der(&der).map_err(|_| CardCryptoError::KeyRejected)?;
        Ok(Self {
            key_id: key_id.to_owned(),
            bits,
            key,
            issued_at,
            ttl: None,
        })
    }

    /// [`Self::from_parts`] with the `KeyId`, `Modulus` and `Exponent` of a `CreateKey` answer.
    ///
    /// # Errors
    /// As [`Self::from_parts`]; a member that is absent is [`CardCryptoError::MissingField`].
    pub fn from_session(
        session: &CreateKeySession,
        encoding: KeyEncoding,
        issued_at: SystemTime,
    ) -> Result<Self, CardCryptoError> {
        Self::from_parts(
            required(session.key_id.as_deref(), "KeyId")?,
            required(session.modulus.as_deref(), "Modulus")?,
            required(session.exponent.as_deref(), "Exponent")?,
            encoding,
            issued_at,
        )
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

    /// When the key was issued (as given to [`Self::from_parts`]).
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
    /// [`CardCryptoError::Encryption`] when the back end fails.
    pub fn encrypt_pan(
        &self,
        pan: &Pan,
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, CardCryptoError> {
        self.encrypt(pan.expose().as_bytes(), padding, output)
    }

    /// Encrypts the CVN's ASCII digits.
    ///
    /// # Errors
    /// [`CardCryptoError::Encryption`] when the back end fails.
    pub fn encrypt_cvn(
        &self,
        cvn: &Cvn,
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, CardCryptoError> {
        self.encrypt(cvn.expose().as_bytes(), padding, output)
    }

    fn encrypt(
        &self,
        plaintext: &[u8],
        padding: Padding,
        output: Output,
    ) -> Result<EncryptedCardData, CardCryptoError> {
        let mut buffer = vec![0u8; self.key.key_size_bytes()];
        let ciphertext: &[u8] = match padding {
            Padding::Pkcs1v15 => Pkcs1PublicEncryptingKey::new(self.key.clone())
                .map_err(|_| CardCryptoError::KeyRejected)?
                .encrypt(plaintext, &mut buffer)
                .map_err(|_| CardCryptoError::Encryption)?,
            Padding::OaepSha1 | Padding::OaepSha256 => {
                let algorithm = if padding == Padding::OaepSha1 {
                    &OAEP_SHA1_MGF1SHA1
                } else {
                    &OAEP_SHA256_MGF1SHA256
                };
                OaepPublicEncryptingKey::new(self.key.clone())
                    .map_err(|_| CardCryptoError::KeyRejected)?
                    .encrypt(algorithm, plaintext, &mut buffer, None)
                    .map_err(|_| CardCryptoError::Encryption)?
            }
        };
        let ciphertext = match output {
            Output::Base64 => BASE64.encode(ciphertext),
            Output::Hex => hex::encode_upper(ciphertext),
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

fn required<'a>(value: Option<&'a str>, field: &'static str) -> Result<&'a str, CardCryptoError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(CardCryptoError::MissingField { field })
}

fn looks_like_hex_modulus(text: &str) -> bool {
    (256..=1026).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn decode_key_text(
    text: &str,
    encoding: KeyEncoding,
    field: &'static str,
) -> Result<Vec<u8>, CardCryptoError> {
    match encoding {
        KeyEncoding::Hex => hex_decode(text).ok_or(CardCryptoError::KeyEncoding {
            field,
            encoding: "hex",
        }),
        KeyEncoding::Base64 | KeyEncoding::Auto => {
            BASE64
                .decode(text)
                .map_err(|_| CardCryptoError::KeyEncoding {
                    field,
                    encoding: "base64",
                })
        }
    }
}

/// Big-endian hex of either case; an odd number of digits gets a leading zero.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 == 1 {
        hex::decode(format!("0{text}")).ok()
    } else {
        hex::decode(text).ok()
    }
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
    fn hex_helpers() {
        assert_eq!(hex_decode("010001"), Some(vec![1, 0, 1]));
        assert_eq!(hex_decode("10001"), Some(vec![1, 0, 1]));
        assert_eq!(hex_decode("aBcD"), Some(vec![0xab, 0xcd]));
        assert_eq!(hex_decode("0g"), None);
        assert_eq!(hex::encode_upper([0xab, 0x01]), "AB01");
        assert_eq!(bit_length(&[0x01, 0x00]), 9);
        assert_eq!(bit_length(&[0x80]), 8);
    }
}
