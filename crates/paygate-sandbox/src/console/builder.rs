//! The request builder: any Payneteasy command of the workspace, signed with a pasted key
//! (v4 OAuth) or a control key (v2), through the very codec the client uses.
//!
//! The commands and their fields come from [`payneteasy_proto::for_each_operation!`] and
//! [`payneteasy_proto::request_field_names`]: this module keeps no list of its own.

use std::sync::OnceLock;

use oauth1_signer::RsaPrivateKey;
use payneteasy_codec::{
    DecodeLimits, FORM_CONTENT_TYPE, compute_control, decode_request, encode_control_request,
    encode_form, encode_request,
};
use payneteasy_proto::{ApiVersion, Auth, ControlKey, Endpoint, Environment, Operation};
use zeroize::Zeroizing;

/// One command of the builder (and of the log's route parser).
pub(crate) struct Command {
    /// The command name of [`payneteasy_proto::for_each_operation!`] (`create-card-ref`).
    pub(crate) name: &'static str,
    pub(crate) version: ApiVersion,
    /// The URL path after the version (`sync/account-verification`).
    pub(crate) path: &'static str,
    pub(crate) auth: Auth,
    /// The wire names of the request's fields, in order.
    pub(crate) fields: &'static [&'static str],
    build: fn(&Input<'_>) -> Result<Built, BuildError>,
}

impl Command {
    /// `v4/create-card-ref`: the builder's key for the command.
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.version.as_str(), self.path)
    }

    pub(crate) fn is_oauth(&self) -> bool {
        matches!(self.auth, Auth::OAuthRsaSha256)
    }

    pub(crate) fn build(&self, input: &Input<'_>) -> Result<Built, BuildError> {
        (self.build)(input)
    }
}

/// Every operation of the workspace, in the order of the command table.
pub(crate) fn commands() -> &'static [Command] {
    static COMMANDS: OnceLock<Vec<Command>> = OnceLock::new();
    COMMANDS.get_or_init(|| {
        let mut all = Vec::new();
        macro_rules! push {
            ($op:ident, $name:literal) => {
                all.push(Command {
                    name: $name,
                    version: <payneteasy_proto::$op as Operation>::VERSION,
                    path: <payneteasy_proto::$op as Operation>::PATH,
                    auth: <payneteasy_proto::$op as Operation>::AUTH,
                    fields: payneteasy_proto::request_field_names::<payneteasy_proto::$op>(),
                    build: build::<payneteasy_proto::$op>,
                });
            };
        }
        payneteasy_proto::for_each_operation!(push);
        all
    })
}

/// The command of a key such as `v4/create-card-ref`.
pub(crate) fn find(key: &str) -> Option<&'static Command> {
    commands().iter().find(|c| c.key() == key)
}

/// What the form gives.
pub(crate) struct Input<'a> {
    /// The full command URL, such as
    /// `https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915`.
    pub(crate) url: &'a str,
    /// The merchant login: `oauth_consumer_key` (v4).
    pub(crate) login: &'a str,
    /// Empty: a fresh one.
    pub(crate) nonce: &'a str,
    /// Empty: now.
    pub(crate) timestamp: &'a str,
    /// The PEM private key (v4), PKCS#1 or PKCS#8.
    pub(crate) key_pem: &'a Zeroizing<String>,
    /// The merchant control key (v2).
    pub(crate) control_key: &'a Zeroizing<String>,
    /// The request's fields by wire name; empty ones are not sent.
    pub(crate) fields: &'a [(String, String)],
}

impl Input<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// The OAuth intermediates of a v4 request.
pub(crate) struct OAuthOutput {
    pub(crate) normalized_parameters: String,
    pub(crate) base_string: String,
    pub(crate) signature_hex: String,
    pub(crate) signature_base64: String,
    pub(crate) authorization: String,
    pub(crate) nonce: String,
    pub(crate) timestamp: u64,
}

/// What the builder shows.
pub(crate) struct Built {
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) oauth: Option<OAuthOutput>,
    /// The v2 `control` (sent in the body too).
    pub(crate) control: Option<String>,
    pub(crate) curl: String,
}

impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signature and the header are secrets: left out.
        f.debug_struct("Built")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why the builder could not make the request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum BuildError {
    /// The URL does not fit the command.
    #[error("URL: {0}")]
    Url(String),
    /// The fields are not a valid request of the command.
    #[error("the fields are not a valid request: {0}")]
    Request(String),
    /// The private key or the control key cannot be used.
    #[error("key: {0}")]
    Key(String),
    /// The nonce or the timestamp cannot be used.
    #[error("{0}")]
    Params(String),
    /// The codec refused to encode or sign the request.
    #[error("the request cannot be encoded: {0}")]
    Encode(String),
}

/// Reads `BASE/vN/PATH/ENDPOINTID` (or `…/group/ENDPOINTGROUPID`) for operation `O`: the
/// environment and the endpoint whose [`Operation::url`] is exactly `url`.
fn split_url<O: Operation>(url: &str) -> Result<(Environment, Endpoint), BuildError> {
    let shape = || {
        BuildError::Url(format!(
            "expected BASE/{}/{}/ENDPOINTID or BASE/{}/{}/group/ENDPOINTGROUPID",
            O::VERSION.as_str(),
            O::PATH,
            O::VERSION.as_str(),
            O::PATH
        ))
    };
    let (head, id) = url.rsplit_once('/').ok_or_else(shape)?;
    let (head, endpoint) = match head.strip_suffix("/group") {
        Some(head) => (head, format!("group/{id}")),
        None => (head, id.to_owned()),
    };
    let endpoint: Endpoint = endpoint.parse().map_err(|_| shape())?;
    let base = head
        .strip_suffix(O::PATH)
        .and_then(|b| b.strip_suffix('/'))
        .ok_or_else(shape)?;
    let env = Environment::custom(base).map_err(|e| BuildError::Url(e.to_string()))?;
    if O::url(&env, &endpoint) != url {
        return Err(shape());
    }
    Ok((env, endpoint))
}

fn error_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn curl(url: &str, authorization: Option<&str>, body: &str) -> String {
    let mut command = format!(
        "curl -sS -X POST {} \\\n  -H {}",
        shell_quote(url),
        shell_quote(&format!("Content-Type: {FORM_CONTENT_TYPE}"))
    );
    if let Some(authorization) = authorization {
        command.push_str(" \\\n  -H ");
        command.push_str(&shell_quote(&format!("Authorization: {authorization}")));
    }
    command.push_str(" \\\n  --data-binary ");
    command.push_str(&shell_quote(body));
    command
}

fn build<O: Operation>(input: &Input<'_>) -> Result<Built, BuildError> {
    let (env, endpoint) = split_url::<O>(input.url.trim())?;
    let pairs: Vec<(&str, &str)> = payneteasy_proto::request_field_names::<O>()
        .iter()
        .filter_map(|name| input.field(name).map(|v| (*name, v)))
        .collect();
    let form = Zeroizing::new(encode_form(&pairs));
    let request = decode_request::<O>(
        Some(FORM_CONTENT_TYPE),
        form.as_bytes(),
        &DecodeLimits::default(),
    )
    .map_err(|e| BuildError::Request(error_text(&e)))?;
    match O::AUTH {
        Auth::Control(_) => {
            let key = ControlKey::new(input.control_key.as_str())
                .map_err(|e| BuildError::Key(format!("control key: {e}")))?;
            let encoded = encode_control_request::<O>(&env, &endpoint, &request, &key)
                .map_err(|e| BuildError::Encode(error_text(&e)))?;
            let control = compute_control::<O>(&endpoint, &request, &key)
                .map_err(|e| BuildError::Encode(error_text(&e)))?;
            let url = encoded.uri().to_string();
            let body = String::from_utf8_lossy(encoded.body()).into_owned();
            Ok(Built {
                curl: curl(&url, None, &body),
                url,
                body,
                oauth: None,
                control: Some(control),
            })
        }
        _ => {
            let key = RsaPrivateKey::from_pem(input.key_pem.trim())
                .map_err(|e| BuildError::Key(error_text(&e)))?;
            let nonce = match input.nonce.trim() {
                "" => oauth1_signer::generate_nonce()
                    .map_err(|e| BuildError::Params(format!("no nonce: {e}")))?,
                nonce => nonce.to_owned(),
            };
            let timestamp = match input.timestamp.trim() {
                "" => oauth1_signer::unix_timestamp_now(),
                text => text.parse::<u64>().map_err(|_| {
                    BuildError::Params("the timestamp must be Unix seconds (digits)".into())
                })?,
            };
            let encoded = encode_request::<O>(
                &env,
                &endpoint,
                &request,
                input.login.trim(),
                &key,
                &nonce,
                timestamp,
            )
            .map_err(|e| BuildError::Encode(error_text(&e)))?;
            let url = encoded.request.uri().to_string();
            let body = String::from_utf8_lossy(encoded.request.body()).into_owned();
            let signed = &encoded.signed;
            Ok(Built {
                curl: curl(&url, Some(signed.authorization()), &body),
                url,
                body,
                oauth: Some(OAuthOutput {
                    normalized_parameters: signed.normalized_parameters.clone(),
                    base_string: signed.base_string.clone(),
                    signature_hex: signed.signature_hex(),
                    signature_base64: signed.signature_base64(),
                    authorization: signed.authorization().to_owned(),
                    nonce,
                    timestamp,
                }),
                control: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_KEY: &str = include_str!("../../../../testdata/vectors/keys/rsa4096-pkcs1.pem");
    const PKCS8_KEY: &str = include_str!("../../../../testdata/vectors/keys/rsa2048-pkcs8.pem");

    fn seed_input<'a>(
        key: &'a Zeroizing<String>,
        none: &'a Zeroizing<String>,
        fields: &'a [(String, String)],
    ) -> Input<'a> {
        Input {
            url: "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915",
            login: "TestMerchant",
            nonce: "KT6cZmuVGqg0V6Jm2RE3q4o79KXC1v2q",
            timestamp: "1673335450",
            key_pem: key,
            control_key: none,
            fields,
        }
    }

    #[test]
    fn every_operation_is_a_command_with_its_fields() {
        let mut count = 0;
        macro_rules! check {
            ($op:ident, $name:literal) => {
                count += 1;
                let key = format!(
                    "{}/{}",
                    <payneteasy_proto::$op as Operation>::VERSION.as_str(),
                    <payneteasy_proto::$op as Operation>::PATH
                );
                let command = find(&key).unwrap();
                assert_eq!(command.name, $name);
                assert_eq!(
                    command.fields,
                    payneteasy_proto::request_field_names::<payneteasy_proto::$op>()
                );
            };
        }
        payneteasy_proto::for_each_operation!(check);
        assert_eq!(commands().len(), count);
    }

    #[test]
    fn pkcs8_keys_sign_too_and_urls_must_fit_the_command() {
        let key = Zeroizing::new(PKCS8_KEY.to_owned());
        let none = Zeroizing::new(String::new());
        let fields = vec![
            ("client_orderid".to_owned(), "A".to_owned()),
            ("orderid".to_owned(), "1".to_owned()),
        ];
        let mut input = seed_input(&key, &none, &fields);
        input.url = "http://127.0.0.1:8080/paynet/api/v4/create-card-ref/group/1144";
        let built = find("v4/create-card-ref").unwrap().build(&input).unwrap();
        assert_eq!(built.url, input.url);
        input.url = "http://127.0.0.1:8080/paynet/api/v4/status/1";
        let err = find("v4/create-card-ref")
            .unwrap()
            .build(&input)
            .unwrap_err();
        assert!(matches!(err, BuildError::Url(_)), "{err}");
        input.url = "http://127.0.0.1:8080/paynet/api/v2/create-card-ref/1";
        assert!(find("v4/create-card-ref").unwrap().build(&input).is_err());
    }

    #[test]
    fn bad_keys_and_invalid_requests_are_errors() {
        let key = Zeroizing::new(
            "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----".to_owned(),
        );
        let none = Zeroizing::new(String::new());
        let fields = vec![("client_orderid".to_owned(), "A".to_owned())];
        let input = seed_input(&key, &none, &fields);
        let err = find("v4/create-card-ref")
            .unwrap()
            .build(&input)
            .unwrap_err();
        assert!(matches!(err, BuildError::Request(_)), "{err}");
        let fields = vec![
            ("client_orderid".to_owned(), "A".to_owned()),
            ("orderid".to_owned(), "1".to_owned()),
        ];
        let input = seed_input(&key, &none, &fields);
        let err = find("v4/create-card-ref")
            .unwrap()
            .build(&input)
            .unwrap_err();
        assert!(matches!(err, BuildError::Key(_)), "{err}");
        assert!(!err.to_string().contains("nope"));
    }

    #[test]
    fn v2_commands_sign_with_the_control_key() {
        let none = Zeroizing::new(String::new());
        let control = Zeroizing::new("B17F59B4-A7DC-41B4-84C2-3E6D8F29F9E2".to_owned());
        let fields = vec![
            ("login".to_owned(), "merchant".to_owned()),
            ("client_orderid".to_owned(), "902B4FF5".to_owned()),
            ("orderid".to_owned(), "1234567".to_owned()),
        ];
        let input = Input {
            url: "https://sandbox.payneteasy.com/paynet/api/v2/status/1",
            login: "",
            nonce: "",
            timestamp: "",
            key_pem: &none,
            control_key: &control,
            fields: &fields,
        };
        let built = find("v2/status").unwrap().build(&input).unwrap();
        let control = built.control.unwrap();
        assert_eq!(control.len(), 40);
        assert!(built.body.ends_with(&format!("&control={control}")));
        assert!(built.oauth.is_none());
        let empty = Input {
            control_key: &none,
            ..input
        };
        assert!(matches!(
            find("v2/status").unwrap().build(&empty),
            Err(BuildError::Key(_))
        ));
    }

    /// The seed's request builder example gives the seed's published values: the request
    /// line, `Host`, the body and its length, the content type and every `Authorization`
    /// parameter but the signature, read from the seed text kept in `tests/fixtures/`; the
    /// signature (made with the repository's 4096-bit key: the seed's own key is not
    /// published) equals the oauthlib vector of the same request.
    #[test]
    fn the_seed_example_gives_the_seed_values() {
        let seed = include_str!("../../tests/fixtures/payneteasy-create-card-ref.txt");
        let example = seed
            .split("Request Example")
            .nth(1)
            .and_then(|rest| rest.split("Success Response Example").next())
            .unwrap();
        let line = |prefix: &str| {
            example
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("seed line {prefix}"))
                .trim()
        };
        let key = Zeroizing::new(SEED_KEY.to_owned());
        let none = Zeroizing::new(String::new());
        let fields = vec![
            ("client_orderid".to_owned(), "34T43R77N".to_owned()),
            ("orderid".to_owned(), "6868305".to_owned()),
        ];
        let built = find("v4/create-card-ref")
            .unwrap()
            .build(&seed_input(&key, &none, &fields))
            .unwrap();
        let oauth = built.oauth.as_ref().unwrap();

        // The request line and Host of the seed make the URL.
        let target = line("POST ").trim_end_matches(" HTTP/1.1");
        assert_eq!(built.url, format!("https://{}{target}", line("Host:")));
        // The body: the seed prints it with a line break after each value.
        let seed_body: String = example
            .split("Connection: close")
            .nth(1)
            .unwrap()
            .lines()
            .map(str::trim)
            .collect();
        assert_eq!(built.body, seed_body);
        assert_eq!(built.body.len().to_string(), line("Content-Length:"));
        assert_eq!(line("Content-Type:"), FORM_CONTENT_TYPE);
        // Every Authorization parameter of the seed but the signature.
        let seed_auth = oauth1_signer::AuthorizationHeader::parse(line("Authorization:")).unwrap();
        let ours = oauth1_signer::AuthorizationHeader::parse(&oauth.authorization).unwrap();
        for (name, value) in seed_auth.iter() {
            if name != "oauth_signature" {
                assert_eq!(ours.get_bytes(name), Some(value), "{name}");
            }
        }
        assert_eq!(ours.len(), seed_auth.len());

        // The signer's intermediates equal the independent (oauthlib) vector of this request.
        let vectors: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../testdata/vectors/oauth1/rsa_sha256.json"
        ))
        .unwrap();
        let vector = vectors
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "payneteasy_create_card_ref_seed")
            .unwrap();
        let expected = &vector["expected"];
        assert_eq!(
            oauth.normalized_parameters,
            expected["normalized_parameters"]
        );
        assert_eq!(oauth.base_string, expected["base_string"]);
        assert_eq!(oauth.signature_base64, expected["signature"]);
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(expected["signature"].as_str().unwrap())
            .unwrap();
        assert_eq!(oauth.signature_hex, hex::encode(raw));
        assert_eq!(ours.get("oauth_signature"), expected["signature"].as_str());
        assert!(built.curl.contains(&oauth.authorization));
    }
}
