//! Operations: one declaration per API call (path, API version, authentication, idempotency,
//! request and response types, success `type`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::endpoint::{Endpoint, Environment};
use crate::messages::{
    Checked, CreateCardRefRequest, CreateCardRefResponse, StatusRequest, StatusResponse,
    StatusV2Request,
};
use crate::requests::{
    AccountVerificationRequest, CaptureRequest, CreateCardRefV2Request,
    CreateEphemeralTicketRequest, FormRequest, GetCardInfoRequest, MakeRebillRequest,
    ReturnRequest, SaleRequest, SaleV4Request, TransferByRefRequest, VoidRequest,
};
use crate::responses::{
    AsyncResponse, EphemeralTicketResponse, FormResponse, GetCardInfoResponse,
    SyncAccountVerificationResponse,
};
use crate::status::ResponseType;

/// The API version of an operation: the `v2` or `v4` segment of its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `/paynet/api/v2/…`: authenticated by a SHA-1 `control` field.
    V2,
    /// `/paynet/api/v4/…`: authenticated by OAuth 1.0a RSA-SHA256.
    V4,
}

impl ApiVersion {
    /// The URL segment: `v2` or `v4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "v2",
            Self::V4 => "v4",
        }
    }
}

/// How an operation is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// An OAuth 1.0a `Authorization` header signed with the merchant's RSA key (v4).
    OAuthRsaSha256,
    /// A `control` body field: the SHA-1 (lowercase hex) of these parts concatenated, in this
    /// order (v2). The order is data from the specification's table, not code.
    Control(&'static [ControlPart]),
}

/// One part of a v2 `control` concatenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlPart {
    /// The value of this request field, or nothing when the field is not sent.
    Field(&'static str),
    /// The number of the endpoint (`ENDPOINTID` or `ENDPOINTGROUPID`).
    EndpointId,
    /// The decimal `amount` field in minor units of the `currency` field (`10.42` USD is
    /// `1042`), or nothing when no amount is sent.
    AmountMinorUnits {
        /// The wire name of the amount field.
        amount: &'static str,
        /// The wire name of the currency field.
        currency: &'static str,
    },
    /// The value of request field `field`, but only when field `if_sent` is sent too
    /// (capture and return sign `currency` only "if amount sent").
    FieldIfSent {
        /// The wire name of the signed field.
        field: &'static str,
        /// The wire name of the field whose presence decides.
        if_sent: &'static str,
    },
    /// The merchant control key (a secret).
    MerchantControl,
}

/// Whether the encoder puts the merchant `login` in the body of a v4 (OAuth) request, where
/// the login also travels as `oauth_consumer_key` (spec R7: per command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyLogin {
    /// The body carries `login` exactly when the request's own fields do (v2 commands that
    /// list it; v4 `create-card-ref` when opted in).
    AsDeclared,
    /// When the request has no `login` field, the encoder sends the OAuth consumer key as
    /// `login`, first in the body (v4 `status`, as Payneteasy's own examples do).
    ConsumerKey,
}

/// Whether sending an operation twice is safe; the client maps it onto its retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idempotency {
    /// Repeating it gives the same result and no second effect.
    Idempotent,
    /// Repeating it may do the work twice (a payment).
    NotIdempotent,
}

/// A Payneteasy API call, declared once: adding a command is its messages (structs with serde
/// attributes) plus one implementation of this trait. Codecs, clients and the sandbox are
/// generic over it.
pub trait Operation {
    /// The path segment(s) after the version, e.g. `create-card-ref`.
    const PATH: &'static str;
    /// The API version (part of the URL).
    const VERSION: ApiVersion;
    /// How requests are authenticated.
    const AUTH: Auth;
    /// Whether a request may be sent again.
    const IDEMPOTENCY: Idempotency;
    /// The `type` of a successful response, e.g. `create-card-ref-response`.
    const SUCCESS_TYPE: ResponseType;
    /// What the merchant sends.
    type Request: Serialize + Checked;
    /// What the gateway answers when `type` is [`Self::SUCCESS_TYPE`].
    type Response: Serialize + DeserializeOwned;
    /// Whether the v4 encoder adds `login` to the body; [`BodyLogin::AsDeclared`] unless an
    /// operation says otherwise.
    const BODY_LOGIN: BodyLogin = BodyLogin::AsDeclared;

    /// The full URL: `<base with this version>/<PATH>/<endpoint>` (see
    /// [`Environment::operation_url`]).
    fn url(env: &Environment, endpoint: &Endpoint) -> String {
        env.operation_url(Self::VERSION, Self::PATH, endpoint)
    }

    /// Whether a response `type` is this operation's success (a response without `type` is
    /// asked about as `""`).
    fn accepts_type(response_type: &str) -> bool {
        response_type == Self::SUCCESS_TYPE.as_str()
    }
}

/// Declares one operation: a unit struct and its [`Operation`] impl, from data.
macro_rules! operation {
    (
        $(#[$meta:meta])*
        $name:ident {
            path: $path:literal,
            version: $version:ident,
            auth: $auth:expr,
            idempotency: $idempotency:ident,
            success: $success:ident,
            request: $request:ty,
            response: $response:ty
            $(, body_login: $body_login:ident)?
            $(, accepts: [$($accepted:literal),* $(,)?])?
            $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl Operation for $name {
            const PATH: &'static str = $path;
            const VERSION: ApiVersion = ApiVersion::$version;
            const AUTH: Auth = $auth;
            const IDEMPOTENCY: Idempotency = Idempotency::$idempotency;
            const SUCCESS_TYPE: ResponseType = ResponseType::$success;
            type Request = $request;
            type Response = $response;
            $(const BODY_LOGIN: BodyLogin = BodyLogin::$body_login;)?
            $(
                fn accepts_type(response_type: &str) -> bool {
                    [$($accepted),*].contains(&response_type)
                }
            )?
        }
    };
}

// The control formulas: table A.2 of the specification, as in the `formulas` of
// `testdata/vectors/payneteasy/control.json`.

const AMOUNT_MINOR: ControlPart = ControlPart::AmountMinorUnits {
    amount: "amount",
    currency: "currency",
};

/// `(ENDPOINTID or ENDPOINTGROUPID) + client_orderid + amount in minor units + email + key`.
const PAYMENT_CONTROL: &[ControlPart] = &[
    ControlPart::EndpointId,
    ControlPart::Field("client_orderid"),
    AMOUNT_MINOR,
    ControlPart::Field("email"),
    ControlPart::MerchantControl,
];

/// `login + client_orderid + orderid + key`.
const ORDER_CONTROL: &[ControlPart] = &[
    ControlPart::Field("login"),
    ControlPart::Field("client_orderid"),
    ControlPart::Field("orderid"),
    ControlPart::MerchantControl,
];

/// `login + client_orderid + orderid [+ amount in minor units + currency, when the amount is
/// sent] + key` (DOC, spec R3 and R4).
const REFUND_CONTROL: &[ControlPart] = &[
    ControlPart::Field("login"),
    ControlPart::Field("client_orderid"),
    ControlPart::Field("orderid"),
    AMOUNT_MINOR,
    ControlPart::FieldIfSent {
        field: "currency",
        if_sent: "amount",
    },
    ControlPart::MerchantControl,
];

/// `login + client_orderid + cardrefid + amount in minor units + currency + key` (PHPLIB after
/// commit `484bbc7`, NODE; spec R1).
const REBILL_CONTROL: &[ControlPart] = &[
    ControlPart::Field("login"),
    ControlPart::Field("client_orderid"),
    ControlPart::Field("cardrefid"),
    AMOUNT_MINOR,
    ControlPart::Field("currency"),
    ControlPart::MerchantControl,
];

/// `ENDPOINTID + client_orderid + email + key` (PHPLIB `AccountVerificationQuery`).
const VERIFICATION_CONTROL: &[ControlPart] = &[
    ControlPart::EndpointId,
    ControlPart::Field("client_orderid"),
    ControlPart::Field("email"),
    ControlPart::MerchantControl,
];

operation! {
    /// v2 `sale`: a payment with card data (async). Spec A.2 row 1: DOC
    /// `.com/…/api_v2_sale.html` (3.21), PHPLIB `SaleQuery`. `control = sha1(ENDPOINTID or
    /// ENDPOINTGROUPID + client_orderid + amount in minor units + email + key)`. Not
    /// idempotent.
    Sale {
        path: "sale", version: V2, auth: Auth::Control(PAYMENT_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: SaleRequest, response: AsyncResponse,
    }
}

operation! {
    /// v4 `sale` with a hosted-fields token and the 3-D Secure 2 browser fields (OAuth). Spec
    /// A.2 row 2: HF `rust-axum-js/src/paynet.rs create_sale` (the DOC page is NOT FOUND). The
    /// answer's `type` is not read by HF and its emulator leaves it out: `async-response`,
    /// `async-form-response` (HF's own test sample) and a missing `type` are all accepted. Not
    /// idempotent.
    SaleV4 {
        path: "sale", version: V4, auth: Auth::OAuthRsaSha256,
        idempotency: NotIdempotent, success: AsyncResponse,
        request: SaleV4Request, response: AsyncResponse,
        accepts: ["async-response", "async-form-response", ""],
    }
}

operation! {
    /// v2 `preauth`: holds the amount on the card (async); complete with [`Capture`], cancel
    /// with [`Return`]. Spec A.2 row 3: PHPLIB `PreauthQuery` (extends `SaleQuery`). Control as
    /// [`Sale`]. Not idempotent.
    Preauth {
        path: "preauth", version: V2, auth: Auth::Control(PAYMENT_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: SaleRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `sale-form`: the gateway's payment page (`async-form-response` with `redirect-url`).
    /// Spec A.2 row 4: PHPLIB `PaymentFormQuery`, WOO. Control as [`Sale`]. Not idempotent.
    SaleForm {
        path: "sale-form", version: V2, auth: Auth::Control(PAYMENT_CONTROL),
        idempotency: NotIdempotent, success: AsyncFormResponse,
        request: FormRequest, response: FormResponse,
    }
}

operation! {
    /// v2 `preauth-form`: as [`SaleForm`], holding the amount. Spec A.2 row 4: PHPLIB
    /// `PaymentFormQuery`, NODE `preauthReq`. Control as [`Sale`]. Not idempotent.
    PreauthForm {
        path: "preauth-form", version: V2, auth: Auth::Control(PAYMENT_CONTROL),
        idempotency: NotIdempotent, success: AsyncFormResponse,
        request: FormRequest, response: FormResponse,
    }
}

operation! {
    /// v2 `transfer-form`: as [`SaleForm`], for a transfer. Spec A.2 row 4: PHPLIB
    /// `PaymentFormQuery`. Control as [`Sale`]. Not idempotent.
    TransferForm {
        path: "transfer-form", version: V2, auth: Auth::Control(PAYMENT_CONTROL),
        idempotency: NotIdempotent, success: AsyncFormResponse,
        request: FormRequest, response: FormResponse,
    }
}

operation! {
    /// v2 `capture`: completes a preauth, fully or partly (async). Spec A.2 row 5: DOC
    /// `.eu/…/api_v2_capture.html` (3.6), NODE `captureReq`. `control = sha1(login +
    /// client_orderid + orderid [+ amount in minor units + currency, if the amount is sent] +
    /// key)` (DOC; PHPLIB always signs an amount it never sends, spec R3). Not idempotent.
    Capture {
        path: "capture", version: V2, auth: Auth::Control(REFUND_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: CaptureRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `return`: refunds a sale or capture (reversal), fully or partly, or cancels a
    /// preauth (async). Spec A.2 row 6: DOC `.eu/…/api_v2_return.html` (3.19), PHPLIB
    /// `ReturnQuery`, NODE `returnReq`. Control as [`Capture`] (DOC, spec R4). Not
    /// idempotent.
    Return {
        path: "return", version: V2, auth: Auth::Control(REFUND_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: ReturnRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `void`: excludes a final successful sale or capture from clearing (async; "might not
    /// be supported by your acquirer"). Spec A.2 row 7: DOC `.com/…/api_v2_void.html` (3.25).
    /// `control = sha1(login + client_orderid + orderid + key)`, without the amount (spec R5).
    /// Not idempotent.
    Void {
        path: "void", version: V2, auth: Auth::Control(ORDER_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: VoidRequest, response: AsyncResponse,
    }
}

operation! {
    /// v4 `status`: the current state of an order (resolves an unknown outcome). Spec A.2 row
    /// 8 and the v4 specification (PN) §2: `login` is sent in the body (the OAuth consumer key, unless the request
    /// sets one), as Payneteasy's own examples do (HF `paynet.rs order_status`, spec R7).
    /// Idempotent.
    StatusCommand {
        path: "status", version: V4, auth: Auth::OAuthRsaSha256,
        idempotency: Idempotent, success: StatusResponse,
        request: StatusRequest, response: StatusResponse,
        body_login: ConsumerKey,
    }
}

operation! {
    /// v2 `status`: `control = sha1(login + client_orderid + orderid + key)`. Spec A.2 row 8:
    /// PHPLIB `StatusQuery`, NODE `*StatusReq`. Idempotent.
    StatusV2 {
        path: "status", version: V2, auth: Auth::Control(ORDER_CONTROL),
        idempotency: Idempotent, success: StatusResponse,
        request: StatusV2Request, response: StatusResponse,
    }
}

operation! {
    /// v4 `create-card-ref`: turns a finished payment into a card reference for recurring
    /// payments. Spec A.2 row 9 and the v4 specification (PN): `login` stays out of the body unless opted in
    /// ([`CreateCardRefRequest::with_login`]). Idempotent.
    CreateCardRef {
        path: "create-card-ref", version: V4, auth: Auth::OAuthRsaSha256,
        idempotency: Idempotent, success: CreateCardRefResponse,
        request: CreateCardRefRequest, response: CreateCardRefResponse,
    }
}

operation! {
    /// v2 `create-card-ref`: `control = sha1(login + client_orderid + orderid + key)`. Spec
    /// A.2 row 9: DOC `.com/…/api_v2_create-card-ref.html` (3.7), PHPLIB
    /// `CreateCardRefQuery`, NODE `regCardReq`. The v2 doc page names `async-response` as the
    /// answer where everything else says `create-card-ref-response`: both are accepted (spec
    /// R6). Idempotent.
    CreateCardRefV2 {
        path: "create-card-ref", version: V2, auth: Auth::Control(ORDER_CONTROL),
        idempotency: Idempotent, success: CreateCardRefResponse,
        request: CreateCardRefV2Request, response: CreateCardRefResponse,
        accepts: ["create-card-ref-response", "async-response"],
    }
}

operation! {
    /// v2 `get-card-info`: the stored card behind a card reference. Spec A.2 row 10: DOC
    /// `.eu/…/api_v2_get-card-info.html` (3.12), PHPLIB `GetCardInfoQuery`. `control =
    /// sha1(login + cardrefid + key)`. Idempotent.
    GetCardInfo {
        path: "get-card-info", version: V2,
        auth: Auth::Control(&[
            ControlPart::Field("login"),
            ControlPart::Field("cardrefid"),
            ControlPart::MerchantControl,
        ]),
        idempotency: Idempotent, success: GetCardInfoResponse,
        request: GetCardInfoRequest, response: GetCardInfoResponse,
    }
}

operation! {
    /// v2 `make-rebill-sale`: charges a card reference (the recurring payment; async). Spec A.2
    /// row 11: DOC `.com/…/api_v2_make-rebill-sale.html` (3.15) for the path (PHPLIB's
    /// `make-rebill` is not used, spec R2), PHPLIB `MakeRebillQuery` after commit `484bbc7` and
    /// NODE for `control = sha1(login + client_orderid + cardrefid + amount in minor units +
    /// currency + key)` (spec R1; the DOC text is cut off). Not idempotent.
    MakeRebillSale {
        path: "make-rebill-sale", version: V2, auth: Auth::Control(REBILL_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: MakeRebillRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `make-rebill-preauth`: as [`MakeRebillSale`], holding the amount (complete with
    /// [`Capture`]). Spec A.2 row 11: billblend `…/api-v2-make-rebill-preauth`, NODE
    /// `makeRebillPreauthReq`. Control as [`MakeRebillSale`]. Not idempotent.
    MakeRebillPreauth {
        path: "make-rebill-preauth", version: V2, auth: Auth::Control(REBILL_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: MakeRebillRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `account-verification`: checks a card without charging it (async). Spec A.2 row 12:
    /// PHPLIB `AccountVerificationQuery`, DOC `.eu/card_payment_API/account-verification.html`.
    /// `control = sha1(ENDPOINTID + client_orderid + email + key)`. Not idempotent (it creates
    /// an order).
    AccountVerification {
        path: "account-verification", version: V2, auth: Auth::Control(VERIFICATION_CONTROL),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: AccountVerificationRequest, response: AsyncResponse,
    }
}

operation! {
    /// v2 `sync/account-verification`: as [`AccountVerification`], answered at once with a
    /// `status-response` carrying the card reference. Spec A.2 row 12: PHPLIB
    /// `SyncAccountVerificationQuery` (its method `sync-account-verification` maps to this
    /// path, `GatewayClient.php getUrl`). Control as [`AccountVerification`]. Not idempotent.
    SyncAccountVerification {
        path: "sync/account-verification", version: V2,
        auth: Auth::Control(VERIFICATION_CONTROL),
        idempotency: NotIdempotent, success: StatusResponse,
        request: AccountVerificationRequest, response: SyncAccountVerificationResponse,
    }
}

operation! {
    /// v2 `transfer-by-ref`: moves money between card references (async). Spec A.2 row 13:
    /// PHPLIB `TransferByRefQuery`, RUBY. `control = sha1(login + client_orderid +
    /// source-card-ref-id (empty when not sent) + destination-card-ref-id + amount in minor
    /// units + currency + key)`. Not idempotent.
    TransferByRef {
        path: "transfer-by-ref", version: V2,
        auth: Auth::Control(&[
            ControlPart::Field("login"),
            ControlPart::Field("client_orderid"),
            ControlPart::Field("source-card-ref-id"),
            ControlPart::Field("destination-card-ref-id"),
            AMOUNT_MINOR,
            ControlPart::Field("currency"),
            ControlPart::MerchantControl,
        ]),
        idempotency: NotIdempotent, success: AsyncResponse,
        request: TransferByRefRequest, response: AsyncResponse,
    }
}

operation! {
    /// v4 `tokenize/create-ephemeral-ticket`: a single-use ticket (15 minutes) for the hosted
    /// card fields; an empty OAuth-signed body, a JSON answer `{"ephemeralTicket": …}` without
    /// `type` (so [`Operation::SUCCESS_TYPE`] is the empty type, and only a missing `type` is
    /// accepted). Spec A.2 row 18: HF `paynet.rs ephemeral_ticket`. Idempotent: a repeat only
    /// makes another ticket, which expires unused.
    CreateEphemeralTicket {
        path: "tokenize/create-ephemeral-ticket", version: V4, auth: Auth::OAuthRsaSha256,
        idempotency: Idempotent, success: UNTYPED,
        request: CreateEphemeralTicketRequest, response: EphemeralTicketResponse,
        accepts: [""],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            CreateCardRef::url(&Environment::Sandbox, &Endpoint::Id(39915)),
            "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
        );
        assert_eq!(
            StatusCommand::url(&Environment::Production, &Endpoint::Group(1144)),
            "https://gate.payneteasy.com/paynet/api/v4/status/group/1144"
        );
        assert_eq!(
            StatusV2::url(&Environment::Sandbox, &Endpoint::Id(1)),
            "https://sandbox.payneteasy.com/paynet/api/v2/status/1"
        );
        assert!(CreateCardRef::accepts_type("create-card-ref-response"));
        assert!(!CreateCardRef::accepts_type("status-response"));
    }
}
