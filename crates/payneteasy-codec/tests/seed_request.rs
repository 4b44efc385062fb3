//! The seed's create-card-ref request, encoded and signed end to end, compared with the shared
//! OAuth vectors (normalized parameters, base string, signature) and the seed's wire bytes.

use oauth1_signer::{AuthorizationHeader, RsaPrivateKey};
use payneteasy_codec::{DecodeLimits, EncodedRequest, decode_request, encode_request};
use payneteasy_proto::{CreateCardRef, CreateCardRefRequest, Endpoint, Environment};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/vectors/");

fn vector(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{VECTORS}oauth1/rsa_sha256.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("vector {name}"))
        .clone()
}

fn key(v: &Value) -> RsaPrivateKey {
    let pem = std::fs::read_to_string(format!("{VECTORS}{}", v["key"].as_str().unwrap())).unwrap();
    RsaPrivateKey::from_pem(&pem).unwrap()
}

fn header<'r>(encoded: &'r EncodedRequest, name: &str) -> &'r str {
    encoded.request.headers()[name].to_str().unwrap()
}

fn assert_matches_vector(encoded: &EncodedRequest, v: &Value) {
    let expected = &v["expected"];
    assert_eq!(encoded.request.method(), "POST");
    assert_eq!(encoded.request.uri(), v["url"].as_str().unwrap());
    assert_eq!(encoded.request.body(), v["body"].as_str().unwrap());
    assert_eq!(
        header(encoded, "content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        header(encoded, "content-length"),
        encoded.request.body().len().to_string()
    );
    assert_eq!(
        encoded.signed.normalized_parameters,
        expected["normalized_parameters"].as_str().unwrap()
    );
    assert_eq!(
        encoded.signed.base_string,
        expected["base_string"].as_str().unwrap()
    );
    let signature = expected["signature"].as_str().unwrap();
    assert_eq!(encoded.signed.signature_base64(), signature);

    let authorization = header(encoded, "authorization");
    assert_eq!(authorization, encoded.signed.authorization());
    assert!(authorization.starts_with("OAuth "));
    let parsed = AuthorizationHeader::parse(authorization).unwrap();
    assert_eq!(parsed.get("oauth_signature"), Some(signature));
    assert_eq!(parsed.consumer_key(), v["consumer_key"].as_str());
    assert_eq!(parsed.get("oauth_nonce"), v["nonce"].as_str());
    assert_eq!(parsed.get("oauth_timestamp"), v["timestamp"].as_str());
    assert_eq!(parsed.signature_method(), Some("RSA-SHA256"));
    assert_eq!(parsed.get("oauth_version"), Some("1.0"));
    assert_eq!(parsed.realm(), None);
    assert_eq!(parsed.get("oauth_token"), None);
    assert_eq!(parsed.get("oauth_body_hash"), None);
}

#[test]
fn seed_create_card_ref_request() {
    let v = vector("payneteasy_create_card_ref_seed");
    let request = CreateCardRefRequest::new("34T43R77N", "6868305").unwrap();
    let encoded = encode_request::<CreateCardRef>(
        &Environment::Sandbox,
        &Endpoint::Id(39915),
        &request,
        "TestMerchant",
        &key(&v),
        "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q",
        1_673_335_450,
    )
    .unwrap();
    assert_eq!(
        encoded.request.uri(),
        "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
    );
    assert_eq!(
        encoded.request.body(),
        "client_orderid=34T43R77N&orderid=6868305"
    );
    assert_eq!(header(&encoded, "content-length"), "40");
    assert_matches_vector(&encoded, &v);

    // The emulator side reads the same body back into the same request.
    let back = decode_request::<CreateCardRef>(
        Some(header(&encoded, "content-type")),
        encoded.request.body(),
        &DecodeLimits::default(),
    )
    .unwrap();
    assert_eq!(back, request);
}

#[test]
fn group_endpoint_with_login_in_body() {
    let v = vector("payneteasy_create_card_ref_group_with_login");
    let request = CreateCardRefRequest::new("inv-1", "1234567")
        .unwrap()
        .with_login("merchantlogin")
        .unwrap();
    let encoded = encode_request::<CreateCardRef>(
        &Environment::Production,
        &Endpoint::Group(1144),
        &request,
        "merchantlogin",
        &key(&v),
        v["nonce"].as_str().unwrap(),
        v["timestamp"].as_str().unwrap().parse().unwrap(),
    )
    .unwrap();
    assert_matches_vector(&encoded, &v);
}

#[test]
fn bad_inputs_are_refused_before_signing() {
    let v = vector("payneteasy_create_card_ref_seed");
    let key = key(&v);
    let request = CreateCardRefRequest::new("a", "1").unwrap();
    let encode = |login: &str, nonce: &str, ts: u64| {
        encode_request::<CreateCardRef>(
            &Environment::Sandbox,
            &Endpoint::Id(1),
            &request,
            login,
            &key,
            nonce,
            ts,
        )
    };
    assert!(matches!(
        encode("", "n", 1),
        Err(payneteasy_codec::EncodeError::InvalidLogin { .. })
    ));
    assert!(matches!(
        encode("a\r\nb", "n", 1),
        Err(payneteasy_codec::EncodeError::InvalidLogin { .. })
    ));
    assert!(matches!(
        encode("m", "", 1),
        Err(payneteasy_codec::EncodeError::Signing(_))
    ));
    assert!(matches!(
        encode("m", "n", 0),
        Err(payneteasy_codec::EncodeError::Signing(_))
    ));
    let ok = encode("m", "n", 1).unwrap();
    let shown = format!("{ok:?}");
    assert!(shown.contains("base_string"), "{shown}");
}
