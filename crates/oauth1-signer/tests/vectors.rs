//! Conformance vectors from `testdata/vectors/oauth1/`: every case, every step asserted
//! (normalized parameters → base string → signature → header → parse → verify).

mod common;

use common::json_vector;
use oauth1_signer::{
    AuthorizationHeader, HmacKey, OAuthParams, Request, RequestUrl, SigningKey, VerifyPolicy,
    VerifyingKey, normalize_parameters, percent_decode, percent_encode, sign, verify,
};
use serde_json::Value;

fn s<'v>(case: &'v Value, field: &str) -> &'v str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing in {case}"))
}

fn opt<'v>(case: &'v Value, field: &str) -> Option<&'v str> {
    case[field].as_str()
}

#[test]
fn percent_encoding_table() {
    let vectors = json_vector("oauth1/rfc5849_and_wiki.json");
    let table = vectors["percent_encoding"]
        .as_array()
        .expect("percent_encoding");
    assert!(!table.is_empty());
    for case in table {
        let (input, encoded) = (s(case, "input"), s(case, "encoded"));
        assert_eq!(percent_encode(input), encoded, "encode {input:?}");
        assert_eq!(
            percent_decode(encoded.as_bytes()).unwrap().as_ref(),
            input.as_bytes(),
            "decode {encoded:?}"
        );
    }
}

#[test]
fn normalization_cases() {
    let vectors = json_vector("oauth1/rfc5849_and_wiki.json");
    for case in vectors["normalization"].as_array().expect("normalization") {
        let pairs: Vec<(String, String)> = case["pairs"]
            .as_array()
            .expect("pairs")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            normalize_parameters(&pairs),
            s(case, "normalized"),
            "{pairs:?}"
        );
    }
}

#[test]
fn base_string_uri_cases() {
    let vectors = json_vector("oauth1/rfc5849_and_wiki.json");
    for case in vectors["base_string_uri"]
        .as_array()
        .expect("base_string_uri")
    {
        let url = RequestUrl::parse(s(case, "url")).unwrap();
        assert_eq!(
            url.base_string_uri(None).unwrap(),
            s(case, "base_string_uri"),
            "{case}"
        );
    }
}

#[test]
fn hmac_sha1_vectors() {
    let vectors = json_vector("oauth1/rfc5849_and_wiki.json");
    let cases = vectors["hmac_sha1"].as_array().expect("hmac_sha1");
    assert_eq!(cases.len(), 4);
    for case in cases {
        let key = HmacKey::new(s(case, "consumer_secret"), s(case, "token_secret"));
        let base_string = s(case, "base_string");
        let expected = s(case, "signature");
        let raw = key.sign(base_string.as_bytes()).unwrap();
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(&raw),
            expected,
            "{}",
            s(case, "name")
        );
        key.verify(base_string.as_bytes(), &raw).unwrap();

        let Some(req) = case.get("request") else {
            continue;
        };
        // The full request of RFC 5849 §3.4.1.1: sign it from scratch.
        let url = format!(
            "{}://{}{}",
            s(req, "scheme"),
            s(req, "host"),
            s(req, "target")
        );
        let request = Request::new(s(req, "method"), RequestUrl::parse(&url).unwrap())
            .with_body(opt(req, "content_type"), s(req, "body").as_bytes());
        let given = AuthorizationHeader::parse(s(req, "authorization")).unwrap();
        let params = OAuthParams {
            token: given.get("oauth_token"),
            realm: given.realm(),
            include_version: false,
            ..OAuthParams::new(
                given.consumer_key().unwrap(),
                given.get("oauth_nonce").unwrap(),
                given.get("oauth_timestamp").unwrap().parse().unwrap(),
            )
        };
        let signed = sign(&request, &params, &key).unwrap();
        assert_eq!(signed.base_string, base_string);
        assert_eq!(signed.signature_base64(), expected);
        let ours = AuthorizationHeader::parse(signed.authorization()).unwrap();
        assert_eq!(ours.realm(), Some("Example"));
        for (name, value) in given.iter() {
            assert_eq!(ours.get_bytes(name), Some(value), "{name}");
        }
        // The RFC's own header plus the signature verifies.
        let theirs = format!(
            "{}, oauth_signature=\"{}\"",
            s(req, "authorization"),
            percent_encode(expected)
        );
        let theirs = AuthorizationHeader::parse(&theirs).unwrap();
        let verified = verify(&request, &theirs, &key, &VerifyPolicy::new(137131201, 0)).unwrap();
        assert_eq!(verified.base_string, base_string);
    }
}

#[test]
fn rsa_sha1_wiki_vector() {
    let vectors = json_vector("oauth1/rfc5849_and_wiki.json");
    let cases = vectors["rsa_sha1"].as_array().expect("rsa_sha1");
    assert_eq!(cases.len(), 1);
    for case in cases {
        let pem = common::read_vector(s(case, "key"));
        #[cfg(feature = "aws-lc-rs")]
        {
            let err =
                oauth1_signer::RsaPrivateKey::from_pem_with(oauth1_signer::Backend::AwsLcRs, &pem)
                    .unwrap_err();
            assert!(
                matches!(
                    err,
                    oauth1_signer::KeyError::TooSmall {
                        bits: 1024,
                        min_bits: 2048,
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        #[cfg(feature = "rsa")]
        {
            use base64::Engine as _;
            use oauth1_signer::{Backend, RsaPrivateKey, SignatureMethod};
            let key = RsaPrivateKey::from_pem_with(Backend::RustCrypto, &pem).unwrap();
            assert_eq!(key.bits(), 1024);
            let signer = key.with_method(SignatureMethod::RsaSha1);
            signer.check().unwrap();
            let signature = signer.sign(s(case, "base_string").as_bytes()).unwrap();
            assert_eq!(
                base64::engine::general_purpose::STANDARD.encode(&signature),
                s(case, "signature")
            );
            key.public_key()
                .with_method(SignatureMethod::RsaSha1)
                .verify(s(case, "base_string").as_bytes(), &signature)
                .unwrap();
        }
        #[cfg(not(feature = "rsa"))]
        let _ = pem;
    }
}

/// The public key file that belongs to a private key file of the vectors.
#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
fn public_key_file(private: &str) -> Option<String> {
    let public = private
        .replace("-pkcs1.pem", "-public.pem")
        .replace("-pkcs8.pem", "-public.pem");
    common::vector_path(&public)
        .exists()
        .then(|| common::read_vector(&public))
}

#[cfg(any(feature = "aws-lc-rs", feature = "rsa"))]
#[test]
fn rsa_sha256_vectors() {
    use oauth1_signer::{
        BodyHash, MemoryNonceStore, RsaPrivateKey, RsaPublicKey, VerifyError, is_form_content_type,
    };

    let vectors = json_vector("oauth1/rsa_sha256.json");
    let cases = vectors.as_array().expect("an array of cases");
    assert_eq!(cases.len(), 18);
    let mut checked = 0;
    for case in cases {
        let name = s(case, "name");
        let expected = &case["expected"];
        let url = RequestUrl::parse(s(case, "url")).unwrap();
        let mut request = Request::new(s(case, "method"), url);
        let body = opt(case, "body");
        if let Some(body) = body {
            request = request.with_body(opt(case, "content_type"), body.as_bytes());
        }
        let timestamp: u64 = s(case, "timestamp").parse().unwrap();
        let non_form_body =
            body.is_some() && !opt(case, "content_type").is_some_and(is_form_content_type);
        let params = OAuthParams {
            token: opt(case, "token"),
            realm: opt(case, "realm"),
            include_version: case["oauth_version"].as_bool().unwrap(),
            // oauthlib sends a SHA-1 body hash for every non-form body (see the vector's note).
            body_hash: non_form_body.then_some(BodyHash::Sha1),
            ..OAuthParams::new(s(case, "consumer_key"), s(case, "nonce"), timestamp)
        };
        let pem = common::read_vector(s(case, "key"));
        let public_pem = public_key_file(s(case, "key"));
        let bits = RsaPrivateKey::from_pem_with(*common::backends_for(4096).last().unwrap(), &pem)
            .unwrap()
            .bits();
        let backends = common::backends_for(bits);
        assert!(!backends.is_empty(), "{name}: no back end for {bits} bits");
        for backend in backends {
            let key = RsaPrivateKey::from_pem_with(backend, &pem).unwrap();
            let signed = sign(&request, &params, &key).unwrap();
            assert_eq!(
                signed.normalized_parameters,
                s(expected, "normalized_parameters"),
                "{name} ({backend})"
            );
            assert_eq!(
                signed.base_string,
                s(expected, "base_string"),
                "{name} ({backend})"
            );
            assert_eq!(
                signed.signature_base64(),
                s(expected, "signature"),
                "{name} ({backend})"
            );

            // Header: parses back, carries every protocol parameter, realm only when asked.
            let header = AuthorizationHeader::parse(signed.authorization()).unwrap();
            assert_eq!(header.realm(), params.realm, "{name}");
            assert_eq!(
                header.get("oauth_signature").unwrap(),
                s(expected, "signature")
            );
            assert_eq!(header.get("oauth_token"), params.token);
            assert_eq!(
                header.get("oauth_version").is_some(),
                params.include_version
            );
            assert_eq!(
                AuthorizationHeader::parse(&header.to_string()).unwrap(),
                header
            );

            // Verify with the derived public key and with the public key file, on every back end.
            let store = MemoryNonceStore::default();
            let policy = VerifyPolicy::new(timestamp + 30, 300).with_nonce_store(&store);
            let verified = verify(&request, &header, &key.public_key(), &policy).unwrap();
            assert_eq!(verified.base_string, s(expected, "base_string"));
            assert!(matches!(
                verify(&request, &header, &key.public_key(), &policy),
                Err(VerifyError::ReplayedNonce)
            ));
            if let Some(public_pem) = &public_pem {
                for verifier_backend in common::backends_for(bits) {
                    let public = RsaPublicKey::from_pem_with(verifier_backend, public_pem).unwrap();
                    verify(&request, &header, &public, &VerifyPolicy::new(timestamp, 0)).unwrap();
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} case/back-end runs");
}

#[cfg(feature = "http")]
#[test]
fn http_adapter_reproduces_the_seed() {
    use oauth1_signer::{RsaPrivateKey, sign_http_request};
    let vectors = json_vector("oauth1/rsa_sha256.json");
    let case = &vectors[0];
    assert_eq!(s(case, "name"), "payneteasy_create_card_ref_seed");
    let key = RsaPrivateKey::from_pem(&common::read_vector(s(case, "key"))).unwrap();
    let mut request = http::Request::post(s(case, "url"))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(s(case, "body").as_bytes().to_vec())
        .unwrap();
    let params = OAuthParams::new(
        s(case, "consumer_key"),
        s(case, "nonce"),
        s(case, "timestamp").parse().unwrap(),
    );
    let signed = sign_http_request(&mut request, &params, &key).unwrap();
    assert_eq!(signed.signature_base64(), s(&case["expected"], "signature"));
    assert_eq!(
        request.headers()[http::header::AUTHORIZATION],
        signed.authorization()
    );
}
