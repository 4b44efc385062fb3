//! Key loading: formats, one-line PEM, clear errors, redaction, both back ends.
#![cfg(any(feature = "aws-lc-rs", feature = "rsa"))]

mod common;

use base64::Engine as _;
use common::read_vector;
use oauth1_signer::{
    Backend, Error, KeyError, RsaPrivateKey, RsaPublicKey, SignatureMethod, SigningKey,
    VerifyingKey,
};

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
}

const MESSAGE: &[u8] = b"POST&https%3A%2F%2Fexample.com%2F&a%3Db";

#[test]
fn pkcs1_pkcs8_pem_der_and_one_line_sign_the_same() {
    for backend in common::backends_for(2048) {
        let pkcs1 = read_vector("keys/rsa2048-pkcs1.pem");
        let pkcs8 = read_vector("keys/rsa2048-pkcs8.pem");
        let one_line = pkcs8.trim_end().replace('\n', "\\n");
        assert!(!one_line.contains('\n'));
        let keys = [
            RsaPrivateKey::from_pem_with(backend, &pkcs1).unwrap(),
            RsaPrivateKey::from_pem_with(backend, &pkcs8).unwrap(),
            RsaPrivateKey::from_pem_with(backend, &one_line).unwrap(),
            RsaPrivateKey::from_der_with(backend, &pem_body(&pkcs1)).unwrap(),
            RsaPrivateKey::from_der_with(backend, &pem_body(&pkcs8)).unwrap(),
        ];
        let reference = keys[0].sign(MESSAGE).unwrap();
        assert_eq!(reference.len(), 256);
        for key in &keys {
            assert_eq!(key.bits(), 2048);
            assert_eq!(key.backend(), backend);
            assert_eq!(key.sign(MESSAGE).unwrap(), reference);
        }
        let public_pem = read_vector("keys/rsa2048-public.pem");
        let public = RsaPublicKey::from_pem_with(backend, &public_pem).unwrap();
        public.verify(MESSAGE, &reference).unwrap();
        assert_eq!(public.to_pkcs1_der(), keys[0].public_key().to_pkcs1_der());
        assert_eq!(public.to_spki_der(), pem_body(&public_pem));
        assert_eq!(public.to_pem(), public_pem);
        // PKCS#1 public key ("RSA PUBLIC KEY") and DER forms.
        let pkcs1_public = pem("RSA PUBLIC KEY", &public.to_pkcs1_der());
        RsaPublicKey::from_pem_with(backend, &pkcs1_public)
            .unwrap()
            .verify(MESSAGE, &reference)
            .unwrap();
        RsaPublicKey::from_der_with(backend, &public.to_spki_der())
            .unwrap()
            .verify(MESSAGE, &reference)
            .unwrap();
        // Another key does not verify.
        let other = RsaPublicKey::from_pem_with(backend, &read_vector("keys/other2048-public.pem"))
            .unwrap();
        assert!(matches!(
            other.verify(MESSAGE, &reference),
            Err(Error::BadSignature)
        ));
    }
}

#[test]
fn rsa_methods_on_every_back_end() {
    let pem = read_vector("keys/rsa4096-pkcs8.pem");
    for backend in common::backends_for(4096) {
        let key = RsaPrivateKey::from_pem_with(backend, &pem).unwrap();
        assert_eq!(key.bits(), 4096);
        for method in [
            SignatureMethod::RsaSha256,
            SignatureMethod::RsaSha512,
            SignatureMethod::RsaSha1,
        ] {
            let signer = key.with_method(method);
            assert_eq!(signer.method(), method);
            let supported = signer.check().is_ok();
            match signer.sign(MESSAGE) {
                Ok(signature) => {
                    assert!(supported);
                    // Every back end verifies what every other back end signed.
                    for verifier_backend in common::backends_for(4096) {
                        let public = RsaPublicKey::from_pem_with(
                            verifier_backend,
                            &read_vector("keys/rsa4096-public.pem"),
                        )
                        .unwrap()
                        .with_method(method);
                        public.verify(MESSAGE, &signature).unwrap();
                        assert!(public.verify(b"other", &signature).is_err());
                    }
                }
                Err(Error::Key(KeyError::MethodNotSupported { method: m, .. })) => {
                    assert!(!supported);
                    assert_eq!(m, SignatureMethod::RsaSha1);
                    #[cfg(feature = "aws-lc-rs")]
                    assert_eq!(backend, Backend::AwsLcRs);
                }
                Err(e) => panic!("{backend} {method}: {e:?}"),
            }
        }
        let hmac = key.with_method(SignatureMethod::HmacSha1);
        assert!(hmac.check().is_err());
        assert!(matches!(
            hmac.sign(MESSAGE),
            Err(Error::Key(KeyError::MethodNotSupported { .. }))
        ));
    }
}

#[test]
fn clear_errors() {
    let backend = Backend::default();
    let load = |text: &str| RsaPrivateKey::from_pem_with(backend, text).unwrap_err();
    let pkcs1 = read_vector("keys/rsa2048-pkcs1.pem");

    assert!(matches!(load("just some text"), KeyError::NotPem));
    assert!(matches!(load(""), KeyError::NotPem));
    // Truncated in the middle: no END line.
    assert!(matches!(
        load(&pkcs1[..pkcs1.len() / 2]),
        KeyError::Pem { .. }
    ));
    // Truncated DER inside an intact frame.
    let der = pem_body(&pkcs1);
    assert!(matches!(
        load(&pem("RSA PRIVATE KEY", &der[..der.len() - 40])),
        KeyError::Der { .. }
    ));
    // Garbage bytes inside an intact frame.
    assert!(matches!(
        load(&pem("RSA PRIVATE KEY", b"\x01\x02\x03garbage")),
        KeyError::Der { .. }
    ));
    // Corrupted base64.
    let corrupted = pkcs1.replacen("MII", "M*I", 1);
    assert!(matches!(load(&corrupted), KeyError::Pem { .. }));
    // Encrypted keys, both styles.
    assert!(matches!(
        load(&pem("ENCRYPTED PRIVATE KEY", &der)),
        KeyError::Encrypted { .. }
    ));
    let legacy = pkcs1.replacen(
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0011\n\n",
        1,
    );
    assert!(matches!(load(&legacy), KeyError::Encrypted { .. }));
    // An encrypted PKCS#8 structure under a plain label is still recognised.
    let encrypted_der = [
        0x30, 0x0d, 0x30, 0x07, 0x06, 0x05, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x04, 0x02, 0x00, 0x00,
    ];
    assert!(matches!(
        load(&pem("PRIVATE KEY", &encrypted_der)),
        KeyError::Encrypted { .. }
    ));
    // Non-RSA keys: a PKCS#8 EC key and the SEC1 label.
    let ec_pkcs8 = [
        0x30, 0x1a, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
        0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x00,
    ];
    assert!(matches!(
        load(&pem("PRIVATE KEY", &ec_pkcs8)),
        KeyError::NotRsa { algorithm: "EC" }
    ));
    assert!(matches!(
        load(&pem("EC PRIVATE KEY", b"\x30\x00")),
        KeyError::NotRsa { .. }
    ));
    assert!(matches!(
        load(&pem("OPENSSH PRIVATE KEY", b"x")),
        KeyError::UnsupportedFormat { .. }
    ));
    // A public key where a private key is needed, and the other way round.
    let public_pem = read_vector("keys/rsa2048-public.pem");
    assert!(matches!(load(&public_pem), KeyError::WrongKind { .. }));
    assert!(matches!(
        RsaPrivateKey::from_der_with(backend, &pem_body(&public_pem)).unwrap_err(),
        KeyError::WrongKind { .. }
    ));
    assert!(matches!(
        RsaPublicKey::from_pem_with(backend, &pkcs1).unwrap_err(),
        KeyError::WrongKind { .. }
    ));
    assert!(matches!(
        RsaPublicKey::from_der_with(backend, &der).unwrap_err(),
        KeyError::WrongKind { .. }
    ));

    // Messages name the problem.
    assert!(load(&legacy).to_string().contains("encrypted"));
    assert!(load("x").to_string().contains("PEM"));
}

#[cfg(feature = "aws-lc-rs")]
#[test]
fn small_keys_are_refused_by_aws_lc_rs() {
    for file in [
        "keys/oauthlib-test-1024-pkcs1.pem",
        "keys/oauthnet-wiki-1024-pkcs8.pem",
    ] {
        let err = RsaPrivateKey::from_pem_with(Backend::AwsLcRs, &read_vector(file)).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::TooSmall {
                    bits: 1024,
                    min_bits: 2048,
                    backend: "aws-lc-rs"
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("1024-bit"), "{err}");
    }
}

#[cfg(feature = "rsa")]
#[test]
fn small_keys_work_with_the_rsa_back_end() {
    for file in [
        "keys/oauthlib-test-1024-pkcs1.pem",
        "keys/oauthnet-wiki-1024-pkcs8.pem",
    ] {
        let key = RsaPrivateKey::from_pem_with(Backend::RustCrypto, &read_vector(file)).unwrap();
        assert_eq!(key.bits(), 1024);
        let signature = key.sign(MESSAGE).unwrap();
        key.public_key().verify(MESSAGE, &signature).unwrap();
    }
}

#[test]
fn debug_is_redacted() {
    for file in ["keys/rsa2048-pkcs1.pem", "keys/rsa4096-pkcs8.pem"] {
        let text = read_vector(file);
        for backend in common::backends_for(2048) {
            let key = RsaPrivateKey::from_pem_with(backend, &text).unwrap();
            let debug = format!(
                "{key:?} {:?} {:?}",
                key.with_method(SignatureMethod::RsaSha512),
                key.public_key()
            );
            assert!(debug.contains("redacted"), "{debug}");
            let der = pem_body(&text);
            let der_hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            // No 12-character window of the key's base64 or hex appears in the output.
            for window in body.as_bytes().windows(12).step_by(7) {
                assert!(
                    !debug.contains(std::str::from_utf8(window).unwrap()),
                    "{debug}"
                );
            }
            for window in der_hex.as_bytes().windows(12).step_by(7) {
                assert!(
                    !debug
                        .to_lowercase()
                        .contains(std::str::from_utf8(window).unwrap())
                );
            }
        }
    }
}

#[test]
fn keys_are_send_sync_and_cheap_to_share() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<RsaPrivateKey>();
    assert_send_sync::<RsaPublicKey>();
    let key = RsaPrivateKey::from_pem(&read_vector("keys/rsa2048-pkcs1.pem")).unwrap();
    let shared: std::sync::Arc<dyn SigningKey> = std::sync::Arc::new(key.clone());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let k = shared.clone();
            std::thread::spawn(move || k.sign(MESSAGE).unwrap())
        })
        .collect();
    let signatures: Vec<Vec<u8>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(signatures[0], signatures[1]);
    assert_eq!(signatures[0], key.sign(MESSAGE).unwrap());
}
