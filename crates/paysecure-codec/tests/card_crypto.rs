//! Card encryption against real RSA keys: encrypt with the key from a `CreateKey` session (or
//! its parts), decrypt with the private key, get the digits back.

use std::time::{Duration, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    Pkcs1PrivateDecryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use paysecure_codec::card_crypto::{
    CardCryptoError as Error, CardEncryptionKey, KeyEncoding, Output, Padding,
};
use paysecure_proto::CreateKeySession;
use paysecure_proto::card::{Cvn, Pan};

struct TestKey {
    private: PrivateDecryptingKey,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl TestKey {
    fn from_pair(pair: &KeyPair) -> Self {
        let public = pair.public_key();
        let pkcs8 = pair.as_der().unwrap();
        Self {
            private: PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).unwrap(),
            modulus: public.modulus().big_endian_without_leading_zero().to_vec(),
            exponent: public.exponent().big_endian_without_leading_zero().to_vec(),
        }
    }

    fn generated() -> Self {
        Self::from_pair(&KeyPair::generate(KeySize::Rsa2048).unwrap())
    }

    fn shared_4096() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/vectors/keys/rsa4096-pkcs8.pem"
        );
        let pem = std::fs::read_to_string(path).unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        Self::from_pair(&KeyPair::from_pkcs8(&STANDARD.decode(b64).unwrap()).unwrap())
    }

    fn session(&self, modulus: String, exponent: String) -> CreateKeySession {
        CreateKeySession {
            key_id: Some("key-42".into()),
            modulus: Some(modulus),
            exponent: Some(exponent),
            ..CreateKeySession::default()
        }
    }

    fn hex_session(&self) -> CreateKeySession {
        self.session(upper_hex(&self.modulus), upper_hex(&self.exponent))
    }

    fn base64_session(&self) -> CreateKeySession {
        self.session(
            STANDARD.encode(&self.modulus),
            STANDARD.encode(&self.exponent),
        )
    }

    fn decrypt(&self, padding: Padding, ciphertext: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; 1024];
        let plain = match padding {
            Padding::Pkcs1v15 => Pkcs1PrivateDecryptingKey::new(self.private.clone())
                .unwrap()
                .decrypt(ciphertext, &mut out)
                .unwrap(),
            Padding::OaepSha1 => OaepPrivateDecryptingKey::new(self.private.clone())
                .unwrap()
                .decrypt(&OAEP_SHA1_MGF1SHA1, ciphertext, &mut out, None)
                .unwrap(),
            Padding::OaepSha256 => OaepPrivateDecryptingKey::new(self.private.clone())
                .unwrap()
                .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
                .unwrap(),
            _ => unreachable!("all paddings covered"),
        };
        plain.to_vec()
    }
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

const ISSUED: Duration = Duration::from_secs(1_700_000_000);

#[test]
fn encrypt_decrypt_every_padding_and_encoding() {
    let key = TestKey::generated();
    let pan = Pan::new("4111 1111 1111 1111").unwrap();
    let cvn = Cvn::new("123").unwrap();
    assert_eq!(upper_hex(&key.exponent), "010001");
    for (session, encoding) in [
        (key.hex_session(), KeyEncoding::Auto),
        (key.hex_session(), KeyEncoding::Hex),
        (key.base64_session(), KeyEncoding::Auto),
        (key.base64_session(), KeyEncoding::Base64),
        // Lower-case hex with a leading 00 byte, as some servers write it.
        (
            key.session(
                format!("00{}", upper_hex(&key.modulus).to_lowercase()),
                "10001".into(),
            ),
            KeyEncoding::Auto,
        ),
    ] {
        let enc = CardEncryptionKey::from_session(&session, encoding, UNIX_EPOCH + ISSUED).unwrap();
        assert_eq!(enc.key_id(), "key-42");
        assert_eq!(enc.bits(), 2048);
        for padding in [Padding::Pkcs1v15, Padding::OaepSha1, Padding::OaepSha256] {
            let b64 = enc.encrypt_pan(&pan, padding, Output::Base64).unwrap();
            assert_eq!(b64.key_id, "key-42");
            assert_eq!(b64.ciphertext.len(), 344);
            assert_eq!(
                key.decrypt(padding, &STANDARD.decode(&b64.ciphertext).unwrap()),
                b"4111111111111111"
            );

            let hex = enc.encrypt_cvn(&cvn, padding, Output::Hex).unwrap();
            assert_eq!(hex.ciphertext.len(), 512);
            assert_eq!(hex.ciphertext, hex.ciphertext.to_uppercase());
            assert_eq!(key.decrypt(padding, &from_hex(&hex.ciphertext)), b"123");
        }
        // Randomized padding: two encryptions differ.
        let a = enc
            .encrypt_pan(&pan, Padding::default(), Output::default())
            .unwrap();
        let b = enc
            .encrypt_pan(&pan, Padding::default(), Output::default())
            .unwrap();
        assert_ne!(a.ciphertext, b.ciphertext);
    }
}

#[test]
fn shared_4096_bit_key() {
    let key = TestKey::shared_4096();
    let enc = CardEncryptionKey::from_session(&key.base64_session(), KeyEncoding::Auto, UNIX_EPOCH)
        .unwrap();
    assert_eq!(enc.bits(), 4096);
    let pan = Pan::new("5555555555554444").unwrap();
    let out = enc
        .encrypt_pan(&pan, Padding::OaepSha256, Output::Base64)
        .unwrap();
    assert_eq!(
        key.decrypt(
            Padding::OaepSha256,
            &STANDARD.decode(&out.ciphertext).unwrap()
        ),
        b"5555555555554444"
    );
    let enc =
        CardEncryptionKey::from_session(&key.hex_session(), KeyEncoding::Auto, UNIX_EPOCH).unwrap();
    let out = enc
        .encrypt_pan(&pan, Padding::Pkcs1v15, Output::Hex)
        .unwrap();
    assert_eq!(
        key.decrypt(Padding::Pkcs1v15, &from_hex(&out.ciphertext)),
        b"5555555555554444"
    );
}

#[test]
fn expiry_uses_the_given_clock() {
    let key = TestKey::generated();
    let issued = UNIX_EPOCH + ISSUED;
    let enc =
        CardEncryptionKey::from_session(&key.hex_session(), KeyEncoding::Auto, issued).unwrap();
    assert_eq!(enc.expires_at(), None);
    assert!(!enc.is_expired(issued + Duration::from_secs(86_400 * 365)));
    let enc = enc.with_ttl_minutes(15);
    assert_eq!(enc.issued_at(), issued);
    assert_eq!(enc.expires_at(), Some(issued + Duration::from_secs(900)));
    assert!(!enc.is_expired(issued + Duration::from_secs(899)));
    assert!(enc.is_expired(issued + Duration::from_secs(900)));
    assert!(!format!("{enc:?}").is_empty());
}

#[test]
fn key_sanity_checks() {
    let key = TestKey::generated();
    let at = UNIX_EPOCH;
    let check = |modulus: &str, exponent: &str, encoding| {
        CardEncryptionKey::from_session(&key.session(modulus.into(), exponent.into()), encoding, at)
            .map(|_| ())
    };
    let good_modulus = upper_hex(&key.modulus);

    assert!(check(&good_modulus, "010001", KeyEncoding::Auto).is_ok());
    assert!(check(&good_modulus, "03", KeyEncoding::Hex).is_ok());
    for (exponent, reason) in [
        ("01", "greater than 1"),
        ("00", "greater than 1"),
        ("010000", "odd"),
        ("010203040506070809", "64 bits"),
    ] {
        match check(&good_modulus, exponent, KeyEncoding::Hex) {
            Err(Error::InvalidExponent { reason: r }) => {
                assert!(r.contains(reason), "{exponent}: {r}")
            }
            other => panic!("{exponent}: {other:?}"),
        }
    }

    let odd = |bits: usize| format!("8{}1", "0".repeat(bits / 4 - 2));
    assert!(matches!(
        check(&odd(1016), "010001", KeyEncoding::Hex),
        Err(Error::InvalidModulus { bits: 1016, .. })
    ));
    assert!(matches!(
        check(&odd(4104), "010001", KeyEncoding::Hex),
        Err(Error::InvalidModulus { bits: 4104, .. })
    ));
    assert!(matches!(
        check(&odd(1024), "010001", KeyEncoding::Hex),
        Err(Error::UnsupportedKeySize { bits: 1024 })
    ));
    assert!(matches!(
        check(&odd(2040), "010001", KeyEncoding::Hex),
        Err(Error::UnsupportedKeySize { bits: 2040 })
    ));
    let even = format!("{}0", &good_modulus[..good_modulus.len() - 1]);
    assert!(matches!(
        check(&even, "010001", KeyEncoding::Hex),
        Err(Error::InvalidModulus {
            bits: 2048,
            reason: "must be odd"
        })
    ));

    assert!(matches!(
        check("zz", "010001", KeyEncoding::Hex),
        Err(Error::KeyEncoding {
            field: "Modulus",
            encoding: "hex"
        })
    ));
    assert!(matches!(
        check("!!!", "AQAB", KeyEncoding::Auto),
        Err(Error::KeyEncoding {
            field: "Modulus",
            encoding: "base64"
        })
    ));
    assert!(matches!(
        check(&good_modulus, "AQAB", KeyEncoding::Auto),
        Err(Error::KeyEncoding {
            field: "Exponent",
            encoding: "hex"
        })
    ));

    let mut s = key.hex_session();
    s.key_id = Some("  ".into());
    assert_eq!(
        CardEncryptionKey::from_session(&s, KeyEncoding::Auto, at).unwrap_err(),
        Error::MissingField { field: "KeyId" }
    );
    let mut s = key.hex_session();
    s.modulus = None;
    assert_eq!(
        CardEncryptionKey::from_session(&s, KeyEncoding::Auto, at).unwrap_err(),
        Error::MissingField { field: "Modulus" }
    );
    let mut s = key.hex_session();
    s.exponent = Some(String::new());
    assert_eq!(
        CardEncryptionKey::from_session(&s, KeyEncoding::Auto, at).unwrap_err(),
        Error::MissingField { field: "Exponent" }
    );
}

#[test]
fn key_from_parts_matches_key_from_session() {
    let key = TestKey::generated();
    let session = key.hex_session();
    let from_parts = CardEncryptionKey::from_parts(
        "key-42",
        session.modulus.as_deref().unwrap(),
        session.exponent.as_deref().unwrap(),
        KeyEncoding::Hex,
        UNIX_EPOCH,
    )
    .unwrap();
    assert_eq!((from_parts.key_id(), from_parts.bits()), ("key-42", 2048));
    let pan = Pan::new("4111111111111111").unwrap();
    let out = from_parts
        .encrypt_pan(&pan, Padding::Pkcs1v15, Output::Base64)
        .unwrap();
    assert_eq!(
        key.decrypt(
            Padding::Pkcs1v15,
            &STANDARD.decode(&out.ciphertext).unwrap()
        ),
        b"4111111111111111"
    );
    assert_eq!(
        CardEncryptionKey::from_parts("", "00", "03", KeyEncoding::Hex, UNIX_EPOCH).unwrap_err(),
        Error::MissingField { field: "KeyId" }
    );
}
