//! The generic v2 `control` computation, against the computed control vectors of the
//! specification (payneteasy-lifecycle, section A.2 "Computed control vectors": not official,
//! computed with `sha1sum` over the plain concatenation). Key `B17F59B4-A7DC-41B4-8FF9-37D986B43D20`,
//! login `merchantlogin`, client_orderid `902B4FF5`, orderid `1234567`, cardrefid `7654321`,
//! amount 10.42 USD.
//!
//! The operations below are test-only declarations (the part lists of table A.2, rows 5, 10
//! and 11); `StatusV2` is the library's own (row 8).

use payneteasy_codec::{
    DecodeLimits, EncodeError, compute_control, decode_request_form, encode_control_request,
    encode_request,
};
use payneteasy_proto::{
    ApiVersion, Auth, Checked, ControlKey, ControlPart, Endpoint, Environment, Idempotency,
    Operation, ProtoError, ResponseType, StatusResponse, StatusV2, StatusV2Request,
    compute_control as callback_control,
};
use serde::{Deserialize, Serialize};

const KEY: &str = "B17F59B4-A7DC-41B4-8FF9-37D986B43D20";

/// A request of text fields, declared once; no checks (test only).
#[derive(Debug, Serialize, Deserialize)]
struct Fields {
    #[serde(skip_serializing_if = "Option::is_none")]
    login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_orderid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    orderid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cardrefid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
}

impl Checked for Fields {
    type Fields = Fields;
    fn check(fields: Fields) -> Result<Self, ProtoError> {
        Ok(fields)
    }
}

macro_rules! v2_operation {
    ($name:ident, $path:literal, $parts:expr) => {
        struct $name;
        impl Operation for $name {
            const PATH: &'static str = $path;
            const VERSION: ApiVersion = ApiVersion::V2;
            const AUTH: Auth = Auth::Control($parts);
            const IDEMPOTENCY: Idempotency = Idempotency::NotIdempotent;
            const SUCCESS_TYPE: ResponseType = ResponseType::StatusResponse;
            type Request = Fields;
            type Response = StatusResponse;
        }
    };
}

const AMOUNT: ControlPart = ControlPart::AmountMinorUnits {
    amount: "amount",
    currency: "currency",
};

v2_operation!(
    MakeRebill,
    "make-rebill-sale",
    &[
        ControlPart::Field("login"),
        ControlPart::Field("client_orderid"),
        ControlPart::Field("cardrefid"),
        AMOUNT,
        ControlPart::Field("currency"),
        ControlPart::MerchantControl,
    ]
);
v2_operation!(
    Capture,
    "capture",
    &[
        ControlPart::Field("login"),
        ControlPart::Field("client_orderid"),
        ControlPart::Field("orderid"),
        AMOUNT,
        ControlPart::Field("currency"),
        ControlPart::MerchantControl,
    ]
);
v2_operation!(
    GetCardInfo,
    "get-card-info",
    &[
        ControlPart::Field("login"),
        ControlPart::Field("cardrefid"),
        ControlPart::MerchantControl,
    ]
);

fn fields(pairs: &[(&str, &str)]) -> Fields {
    let get = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| (*v).to_owned())
    };
    Fields {
        login: get("login"),
        client_orderid: get("client_orderid"),
        orderid: get("orderid"),
        cardrefid: get("cardrefid"),
        amount: get("amount"),
        currency: get("currency"),
    }
}

#[test]
fn computed_control_vectors() {
    let key = ControlKey::new(KEY).unwrap();
    let endpoint = Endpoint::Id(1);
    let rebill = fields(&[
        ("login", "merchantlogin"),
        ("client_orderid", "902B4FF5"),
        ("cardrefid", "7654321"),
        ("amount", "10.42"),
        ("currency", "USD"),
    ]);
    assert_eq!(
        compute_control::<MakeRebill>(&endpoint, &rebill, &key).unwrap(),
        "e9bca7572dbcd808e7c387a9f9c10038c1e4b2a7"
    );
    let capture = fields(&[
        ("login", "merchantlogin"),
        ("client_orderid", "902B4FF5"),
        ("orderid", "1234567"),
    ]);
    assert_eq!(
        compute_control::<Capture>(&endpoint, &capture, &key).unwrap(),
        "4cee3ac1e24134e70ab6e9f3f36e9fe4d6a25de0"
    );
    let capture_amount = fields(&[
        ("login", "merchantlogin"),
        ("client_orderid", "902B4FF5"),
        ("orderid", "1234567"),
        ("amount", "10.42"),
        ("currency", "USD"),
    ]);
    assert_eq!(
        compute_control::<Capture>(&endpoint, &capture_amount, &key).unwrap(),
        "448d53ce88258364046f6c3d27a93cc3cbdf6239"
    );
    let card_info = fields(&[("login", "merchantlogin"), ("cardrefid", "7654321")]);
    assert_eq!(
        compute_control::<GetCardInfo>(&endpoint, &card_info, &key).unwrap(),
        "08c4e61b90e07fd89f3ecc4eff0af971dc69ac1c"
    );
    assert_eq!(
        callback_control("approved", "1234567", "902B4FF5", &key),
        "110a54976ed03c4c540c1237f0bb7302e8691ac9"
    );
    // Too many fraction digits for the currency: a typed error, nothing computed.
    let bad = fields(&[("amount", "10.421"), ("currency", "USD")]);
    assert!(matches!(
        compute_control::<MakeRebill>(&endpoint, &bad, &key),
        Err(EncodeError::InvalidRequest(ProtoError::InvalidAmount(_)))
    ));
}

#[test]
fn status_v2_request_end_to_end() {
    let key = ControlKey::new(KEY).unwrap();
    let request = StatusV2Request::new("merchantlogin", "902B4FF5", "1234567").unwrap();
    let http = encode_control_request::<StatusV2>(
        &Environment::Sandbox,
        &Endpoint::Id(39915),
        &request,
        &key,
    )
    .unwrap();
    assert_eq!(
        http.uri(),
        "https://sandbox.payneteasy.com/paynet/api/v2/status/39915"
    );
    assert!(http.headers().get("authorization").is_none());
    // login + client_orderid + orderid: the same parts as capture without an amount.
    assert_eq!(
        http.body(),
        "login=merchantlogin&client_orderid=902B4FF5&orderid=1234567\
         &control=4cee3ac1e24134e70ab6e9f3f36e9fe4d6a25de0"
    );
    let fields = decode_request_form(
        Some("application/x-www-form-urlencoded"),
        http.body(),
        &DecodeLimits::default(),
    )
    .unwrap();
    assert_eq!(fields.len(), 4);
    // The two encoders refuse the other authentication.
    let signing = oauth1_signer::HmacKey::new("s", "");
    assert!(matches!(
        encode_request::<StatusV2>(
            &Environment::Sandbox,
            &Endpoint::Id(1),
            &request,
            "m",
            &signing,
            "n",
            1
        ),
        Err(EncodeError::WrongAuthentication { .. })
    ));
    let v4 = payneteasy_proto::StatusRequest::new("c").unwrap();
    assert!(matches!(
        encode_control_request::<payneteasy_proto::StatusCommand>(
            &Environment::Sandbox,
            &Endpoint::Id(1),
            &v4,
            &key
        ),
        Err(EncodeError::WrongAuthentication { .. })
    ));
}
