//! `Debug` of a signing result never shows the signature or the header: for PLAINTEXT the
//! signature is the secret itself.

use oauth1_signer::{OAuthParams, PlaintextKey, Request, RequestUrl, sign};

#[test]
fn signed_debug_hides_the_signature_and_the_header() {
    let key = PlaintextKey::new("consumer-secret-value", "token-secret-value");
    let url = RequestUrl::parse("https://api.example.com/r").unwrap();
    let request = Request::new("GET", url);
    let signed = sign(&request, &OAuthParams::new("ck", "nonce-1", 1), &key).unwrap();
    assert!(signed.authorization().contains("consumer-secret-value"));
    for text in [format!("{signed:?}"), format!("{signed:#?}")] {
        assert!(!text.contains("consumer-secret-value"), "{text}");
        assert!(!text.contains("token-secret-value"), "{text}");
        assert!(text.contains("base_string"), "{text}");
    }
}
