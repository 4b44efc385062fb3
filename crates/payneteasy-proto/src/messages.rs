//! Request and response messages of the modelled commands.

use std::borrow::Cow;

use crate::error::{ProtoError, check_text};
use crate::form::{FormBuilder, FromForm, ToForm, push_opt, put, put_extra, put_parsed};
use crate::status::{ResponseType, Status};

// ---------------------------------------------------------------------------------------------
// create-card-ref

/// The `create-card-ref` request: identifies the first payment of a recurring series.
///
/// Both ids refer to a payment that must already be in a final status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreateCardRefRequest {
    client_orderid: String,
    orderid: String,
    login: Option<String>,
}

impl CreateCardRefRequest {
    /// A request for the payment the merchant knows as `client_orderid` and the gateway as
    /// `orderid`.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`] (over
    /// [`MAX_ID_CHARS`](crate::MAX_ID_CHARS)) or [`ProtoError::ControlCharacter`] for either id.
    pub fn new(
        client_orderid: impl Into<String>,
        orderid: impl Into<String>,
    ) -> Result<Self, ProtoError> {
        let client_orderid = client_orderid.into();
        let orderid = orderid.into();
        check_text("client_orderid", &client_orderid)?;
        check_text("orderid", &orderid)?;
        Ok(Self {
            client_orderid,
            orderid,
            login: None,
        })
    }

    /// Also sends `login` in the body (it is then signed like every body parameter).
    ///
    /// The create-card-ref table lists `login`, while other v4 pages say the login travels only
    /// as `oauth_consumer_key`; by default it is not sent. Use the same value as the OAuth
    /// consumer key.
    ///
    /// # Errors
    /// As for [`CreateCardRefRequest::new`], for `login`.
    pub fn with_login(mut self, login: impl Into<String>) -> Result<Self, ProtoError> {
        let login = login.into();
        check_text("login", &login)?;
        self.login = Some(login);
        Ok(self)
    }

    /// The merchant's order id of the first payment.
    pub fn client_orderid(&self) -> &str {
        &self.client_orderid
    }

    /// The gateway's order id of the first payment.
    pub fn orderid(&self) -> &str {
        &self.orderid
    }

    /// The login sent in the body, when opted in.
    pub fn login(&self) -> Option<&str> {
        self.login.as_deref()
    }
}

impl ToForm for CreateCardRefRequest {
    /// `login` (when opted in), `client_orderid`, `orderid`.
    fn to_form(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::with_capacity(3);
        push_opt(&mut out, "login", &self.login);
        out.push(("client_orderid", self.client_orderid.as_str()));
        out.push(("orderid", self.orderid.as_str()));
        out
    }
}

impl FromForm for CreateCardRefRequest {
    type Builder = CreateCardRefRequestBuilder;
}

/// Reads a [`CreateCardRefRequest`]: `client_orderid`, `orderid` and the optional `login`;
/// other fields are ignored, as the gateway does.
#[derive(Debug, Default)]
pub struct CreateCardRefRequestBuilder {
    client_orderid: Option<String>,
    orderid: Option<String>,
    login: Option<String>,
}

impl FormBuilder for CreateCardRefRequestBuilder {
    type Output = CreateCardRefRequest;

    #[inline]
    fn field(&mut self, name: Cow<'_, str>, value: Cow<'_, str>) -> Result<(), ProtoError> {
        match &*name {
            "client_orderid" => put(&mut self.client_orderid, &name, value),
            "orderid" => put(&mut self.orderid, &name, value),
            "login" => put(&mut self.login, &name, value),
            _ => Ok(()),
        }
    }

    #[inline]
    fn finish(self) -> Result<CreateCardRefRequest, ProtoError> {
        let request = CreateCardRefRequest::new(
            self.client_orderid
                .ok_or(ProtoError::MissingField("client_orderid"))?,
            self.orderid.ok_or(ProtoError::MissingField("orderid"))?,
        )?;
        match self.login {
            Some(login) => request.with_login(login),
            None => Ok(request),
        }
    }
}

/// The `create-card-ref` response (`type=create-card-ref-response`).
///
/// Every documented field is modelled; fields this crate does not know are kept in
/// [`extra`](Self::extra) in wire order. A decline is a normal response whose
/// [`status`](Self::status) says so.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateCardRefResponse {
    /// `type`.
    pub response_type: ResponseType,
    /// `status` of the operation.
    pub status: Status,
    /// `serial-number`: the gateway's id of this request.
    pub serial_number: Option<String>,
    /// `card-ref-id`: the card reference for subsequent recurring payments.
    pub card_ref_id: Option<String>,
    /// `unq-card-ref-id`: unique per PAN (loyalty, fraud control).
    pub unq_card_ref_id: Option<String>,
    /// `recurring-payment-id`: the payer's tokenized card data id (RPI).
    pub recurring_payment_id: Option<String>,
    /// `dst-card-ref-id`: the receiver's card reference (transfer APIs).
    pub dst_card_ref_id: Option<String>,
    /// `dst-unq-card-ref-id`: the receiver's unique card reference (transfer APIs).
    pub dst_unq_card_ref_id: Option<String>,
    /// `dst-recurring-payment-id`: the receiver's RPI (transfer APIs).
    pub dst_recurring_payment_id: Option<String>,
    /// `error-message`: reason of a decline or error.
    pub error_message: Option<String>,
    /// `error-code`: code of a decline or error.
    pub error_code: Option<String>,
    /// Any other field, in wire order.
    pub extra: Vec<(String, String)>,
}

impl CreateCardRefResponse {
    /// A `create-card-ref-response` with the given status and no other field (for emulators
    /// and tests; set the public fields afterwards).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::CreateCardRefResponse,
            status,
            serial_number: None,
            card_ref_id: None,
            unq_card_ref_id: None,
            recurring_payment_id: None,
            dst_card_ref_id: None,
            dst_unq_card_ref_id: None,
            dst_recurring_payment_id: None,
            error_message: None,
            error_code: None,
            extra: Vec::new(),
        }
    }
}

impl ToForm for CreateCardRefResponse {
    /// `type`, `serial-number`, the ids, `status`, `error-message`, `error-code`, then extras.
    fn to_form(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::with_capacity(11 + self.extra.len());
        out.push(("type", self.response_type.as_str()));
        push_opt(&mut out, "serial-number", &self.serial_number);
        push_opt(&mut out, "card-ref-id", &self.card_ref_id);
        push_opt(&mut out, "unq-card-ref-id", &self.unq_card_ref_id);
        push_opt(&mut out, "recurring-payment-id", &self.recurring_payment_id);
        push_opt(&mut out, "dst-card-ref-id", &self.dst_card_ref_id);
        push_opt(&mut out, "dst-unq-card-ref-id", &self.dst_unq_card_ref_id);
        push_opt(
            &mut out,
            "dst-recurring-payment-id",
            &self.dst_recurring_payment_id,
        );
        out.push(("status", self.status.as_str()));
        push_opt(&mut out, "error-message", &self.error_message);
        push_opt(&mut out, "error-code", &self.error_code);
        out.extend(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        out
    }
}

impl FromForm for CreateCardRefResponse {
    type Builder = CreateCardRefResponseBuilder;
}

/// Reads a [`CreateCardRefResponse`]: requires `type` and `status`, does not check which `type` it is (the
/// codec does), keeps unknown fields in `extra`, refuses duplicates.
#[derive(Debug)]
pub struct CreateCardRefResponseBuilder {
    message: CreateCardRefResponse,
    response_type: Option<ResponseType>,
    status: Option<Status>,
}

impl Default for CreateCardRefResponseBuilder {
    fn default() -> Self {
        Self {
            message: CreateCardRefResponse::new(Status::Processing),
            response_type: None,
            status: None,
        }
    }
}

impl FormBuilder for CreateCardRefResponseBuilder {
    type Output = CreateCardRefResponse;

    #[inline]
    fn field(&mut self, name: Cow<'_, str>, value: Cow<'_, str>) -> Result<(), ProtoError> {
        match &*name {
            "type" => put_parsed(&mut self.response_type, &name, &value, ResponseType::parse),
            "status" => put_parsed(&mut self.status, &name, &value, Status::parse),
            "serial-number" => put(&mut self.message.serial_number, &name, value),
            "card-ref-id" => put(&mut self.message.card_ref_id, &name, value),
            "unq-card-ref-id" => put(&mut self.message.unq_card_ref_id, &name, value),
            "recurring-payment-id" => put(&mut self.message.recurring_payment_id, &name, value),
            "dst-card-ref-id" => put(&mut self.message.dst_card_ref_id, &name, value),
            "dst-unq-card-ref-id" => put(&mut self.message.dst_unq_card_ref_id, &name, value),
            "dst-recurring-payment-id" => {
                put(&mut self.message.dst_recurring_payment_id, &name, value)
            }
            "error-message" => put(&mut self.message.error_message, &name, value),
            "error-code" => put(&mut self.message.error_code, &name, value),
            _ => put_extra(&mut self.message.extra, name, value),
        }
    }

    #[inline]
    fn finish(self) -> Result<CreateCardRefResponse, ProtoError> {
        // Built field by field in the return slot: no copy of the whole message.
        let Self {
            message,
            response_type,
            status,
        } = self;
        Ok(CreateCardRefResponse {
            response_type: response_type.ok_or(ProtoError::MissingField("type"))?,
            status: status.ok_or(ProtoError::MissingField("status"))?,
            ..message
        })
    }
}

// ---------------------------------------------------------------------------------------------
// status

/// The `status` request: asks for the current state of an order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusRequest {
    client_orderid: String,
    orderid: Option<String>,
    by_request_sn: Option<String>,
}

impl StatusRequest {
    /// A request for the order the merchant knows as `client_orderid`.
    ///
    /// # Errors
    /// [`ProtoError::Empty`], [`ProtoError::TooLong`] or [`ProtoError::ControlCharacter`].
    pub fn new(client_orderid: impl Into<String>) -> Result<Self, ProtoError> {
        let client_orderid = client_orderid.into();
        check_text("client_orderid", &client_orderid)?;
        Ok(Self {
            client_orderid,
            orderid: None,
            by_request_sn: None,
        })
    }

    /// Adds the gateway's `orderid` (needed when known).
    ///
    /// # Errors
    /// As for [`StatusRequest::new`], for `orderid`.
    pub fn with_orderid(mut self, orderid: impl Into<String>) -> Result<Self, ProtoError> {
        let orderid = orderid.into();
        check_text("orderid", &orderid)?;
        self.orderid = Some(orderid);
        Ok(self)
    }

    /// Adds `by-request-sn`: the status of the request with this serial number.
    ///
    /// # Errors
    /// As for [`StatusRequest::new`], for `by-request-sn`.
    pub fn with_by_request_sn(mut self, serial: impl Into<String>) -> Result<Self, ProtoError> {
        let serial = serial.into();
        check_text("by-request-sn", &serial)?;
        self.by_request_sn = Some(serial);
        Ok(self)
    }

    /// The merchant's order id.
    pub fn client_orderid(&self) -> &str {
        &self.client_orderid
    }

    /// The gateway's order id, when given.
    pub fn orderid(&self) -> Option<&str> {
        self.orderid.as_deref()
    }

    /// The request serial number, when given.
    pub fn by_request_sn(&self) -> Option<&str> {
        self.by_request_sn.as_deref()
    }
}

impl ToForm for StatusRequest {
    /// `client_orderid`, then `orderid` and `by-request-sn` when given.
    fn to_form(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::with_capacity(3);
        out.push(("client_orderid", self.client_orderid.as_str()));
        push_opt(&mut out, "orderid", &self.orderid);
        push_opt(&mut out, "by-request-sn", &self.by_request_sn);
        out
    }
}

impl FromForm for StatusRequest {
    type Builder = StatusRequestBuilder;
}

/// Reads a [`StatusRequest`]: `client_orderid` and the optional `orderid` and
/// `by-request-sn`; other fields are ignored.
#[derive(Debug, Default)]
pub struct StatusRequestBuilder {
    client_orderid: Option<String>,
    orderid: Option<String>,
    by_request_sn: Option<String>,
}

impl FormBuilder for StatusRequestBuilder {
    type Output = StatusRequest;

    #[inline]
    fn field(&mut self, name: Cow<'_, str>, value: Cow<'_, str>) -> Result<(), ProtoError> {
        match &*name {
            "client_orderid" => put(&mut self.client_orderid, &name, value),
            "orderid" => put(&mut self.orderid, &name, value),
            "by-request-sn" => put(&mut self.by_request_sn, &name, value),
            _ => Ok(()),
        }
    }

    #[inline]
    fn finish(self) -> Result<StatusRequest, ProtoError> {
        let mut request = StatusRequest::new(
            self.client_orderid
                .ok_or(ProtoError::MissingField("client_orderid"))?,
        )?;
        if let Some(orderid) = self.orderid {
            request = request.with_orderid(orderid)?;
        }
        if let Some(sn) = self.by_request_sn {
            request = request.with_by_request_sn(sn)?;
        }
        Ok(request)
    }
}

/// The `status` response (`type=status-response`).
///
/// The documented fields are modelled; every other field (the gateway sends many more,
/// depending on the transaction type) is kept in [`extra`](Self::extra) in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusResponse {
    /// `type`.
    pub response_type: ResponseType,
    /// `status` of the order.
    pub status: Status,
    /// `amount`, as sent (decimal text).
    pub amount: Option<String>,
    /// `currency`.
    pub currency: Option<String>,
    /// `paynet-order-id`: the gateway's order id.
    pub paynet_order_id: Option<String>,
    /// `merchant-order-id`: the merchant's order id.
    pub merchant_order_id: Option<String>,
    /// `serial-number`.
    pub serial_number: Option<String>,
    /// `card-ref-id`.
    pub card_ref_id: Option<String>,
    /// `last-four-digits` of the card.
    pub last_four_digits: Option<String>,
    /// `bin` of the card.
    pub bin: Option<String>,
    /// `error-message`.
    pub error_message: Option<String>,
    /// `error-code`.
    pub error_code: Option<String>,
    /// `html`: a 3-D Secure page to show to the payer.
    pub html: Option<String>,
    /// `redirect-to`: where to send the payer.
    pub redirect_to: Option<String>,
    /// Any other field, in wire order.
    pub extra: Vec<(String, String)>,
}

impl StatusResponse {
    /// A `status-response` with the given status and no other field (for emulators and tests;
    /// set the public fields afterwards).
    pub fn new(status: Status) -> Self {
        Self {
            response_type: ResponseType::StatusResponse,
            status,
            amount: None,
            currency: None,
            paynet_order_id: None,
            merchant_order_id: None,
            serial_number: None,
            card_ref_id: None,
            last_four_digits: None,
            bin: None,
            error_message: None,
            error_code: None,
            html: None,
            redirect_to: None,
            extra: Vec::new(),
        }
    }
}

impl ToForm for StatusResponse {
    /// `type`, `status`, the modelled fields in documentation order, then extras.
    fn to_form(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::with_capacity(14 + self.extra.len());
        out.push(("type", self.response_type.as_str()));
        out.push(("status", self.status.as_str()));
        push_opt(&mut out, "amount", &self.amount);
        push_opt(&mut out, "currency", &self.currency);
        push_opt(&mut out, "paynet-order-id", &self.paynet_order_id);
        push_opt(&mut out, "merchant-order-id", &self.merchant_order_id);
        push_opt(&mut out, "serial-number", &self.serial_number);
        push_opt(&mut out, "card-ref-id", &self.card_ref_id);
        push_opt(&mut out, "last-four-digits", &self.last_four_digits);
        push_opt(&mut out, "bin", &self.bin);
        push_opt(&mut out, "error-message", &self.error_message);
        push_opt(&mut out, "error-code", &self.error_code);
        push_opt(&mut out, "html", &self.html);
        push_opt(&mut out, "redirect-to", &self.redirect_to);
        out.extend(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        out
    }
}

impl FromForm for StatusResponse {
    type Builder = StatusResponseBuilder;
}

/// Reads a [`StatusResponse`]: requires `type` and `status`, does not check which `type` it is (the
/// codec does), keeps unknown fields in `extra`, refuses duplicates.
#[derive(Debug)]
pub struct StatusResponseBuilder {
    message: StatusResponse,
    response_type: Option<ResponseType>,
    status: Option<Status>,
}

impl Default for StatusResponseBuilder {
    fn default() -> Self {
        Self {
            message: StatusResponse::new(Status::Processing),
            response_type: None,
            status: None,
        }
    }
}

impl FormBuilder for StatusResponseBuilder {
    type Output = StatusResponse;

    #[inline]
    fn field(&mut self, name: Cow<'_, str>, value: Cow<'_, str>) -> Result<(), ProtoError> {
        match &*name {
            "type" => put_parsed(&mut self.response_type, &name, &value, ResponseType::parse),
            "status" => put_parsed(&mut self.status, &name, &value, Status::parse),
            "amount" => put(&mut self.message.amount, &name, value),
            "currency" => put(&mut self.message.currency, &name, value),
            "paynet-order-id" => put(&mut self.message.paynet_order_id, &name, value),
            "merchant-order-id" => put(&mut self.message.merchant_order_id, &name, value),
            "serial-number" => put(&mut self.message.serial_number, &name, value),
            "card-ref-id" => put(&mut self.message.card_ref_id, &name, value),
            "last-four-digits" => put(&mut self.message.last_four_digits, &name, value),
            "bin" => put(&mut self.message.bin, &name, value),
            "error-message" => put(&mut self.message.error_message, &name, value),
            "error-code" => put(&mut self.message.error_code, &name, value),
            "html" => put(&mut self.message.html, &name, value),
            "redirect-to" => put(&mut self.message.redirect_to, &name, value),
            _ => put_extra(&mut self.message.extra, name, value),
        }
    }

    #[inline]
    fn finish(mut self) -> Result<StatusResponse, ProtoError> {
        self.message.response_type = self.response_type.ok_or(ProtoError::MissingField("type"))?;
        self.message.status = self.status.ok_or(ProtoError::MissingField("status"))?;
        Ok(self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
        pairs
            .iter()
            .map(|(n, v)| (Cow::Borrowed(*n), Cow::Borrowed(*v)))
            .collect()
    }

    #[test]
    fn create_card_ref_request_form() {
        let r = CreateCardRefRequest::new("34T43R77N", "6868305").unwrap();
        assert_eq!(
            r.to_form(),
            [("client_orderid", "34T43R77N"), ("orderid", "6868305")]
        );
        assert_eq!(r.login(), None);
        let r = r.with_login("merchantlogin").unwrap();
        assert_eq!(
            r.to_form(),
            [
                ("login", "merchantlogin"),
                ("client_orderid", "34T43R77N"),
                ("orderid", "6868305")
            ]
        );
        let back = CreateCardRefRequest::from_form(fields(&r.to_form())).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            CreateCardRefRequest::new("", "1"),
            Err(ProtoError::Empty {
                field: "client_orderid"
            })
        );
        assert_eq!(
            CreateCardRefRequest::new("a", "1\r"),
            Err(ProtoError::ControlCharacter { field: "orderid" })
        );
        assert_eq!(
            CreateCardRefRequest::from_form(fields(&[("orderid", "1")])),
            Err(ProtoError::MissingField("client_orderid"))
        );
        assert_eq!(
            CreateCardRefRequest::from_form(fields(&[
                ("client_orderid", "a"),
                ("orderid", "1"),
                ("orderid", "2")
            ])),
            Err(ProtoError::DuplicateField("orderid".into()))
        );
    }

    #[test]
    fn status_request_form() {
        let r = StatusRequest::new("inv-1").unwrap();
        assert_eq!(r.to_form(), [("client_orderid", "inv-1")]);
        let r = r
            .with_orderid("77")
            .unwrap()
            .with_by_request_sn("00000000-0000-0000-0000-000002de3113")
            .unwrap();
        assert_eq!(
            r.to_form(),
            [
                ("client_orderid", "inv-1"),
                ("orderid", "77"),
                ("by-request-sn", "00000000-0000-0000-0000-000002de3113")
            ]
        );
        assert_eq!(StatusRequest::from_form(fields(&r.to_form())).unwrap(), r);
        assert!(StatusRequest::new("x").unwrap().with_orderid("").is_err());
    }

    #[test]
    fn create_card_ref_response_form() {
        let pairs = [
            ("type", "create-card-ref-response"),
            ("serial-number", "00000000-0000-0000-0000-000002de3113"),
            ("card-ref-id", "1461608"),
            ("recurring-payment-id", "1491863"),
            ("dst-card-ref-id", "1461608"),
            ("status", "approved"),
            ("future-field", "x"),
        ];
        let r = CreateCardRefResponse::from_form(fields(&pairs)).unwrap();
        assert_eq!(r.response_type, ResponseType::CreateCardRefResponse);
        assert_eq!(r.status, Status::Approved);
        assert_eq!(r.card_ref_id.as_deref(), Some("1461608"));
        assert_eq!(r.unq_card_ref_id, None);
        assert_eq!(r.extra, [("future-field".to_owned(), "x".to_owned())]);
        assert_eq!(r.to_form(), pairs);
        assert_eq!(
            CreateCardRefResponse::from_form(fields(&[("type", "x")])),
            Err(ProtoError::MissingField("status"))
        );
        assert_eq!(
            CreateCardRefResponse::from_form(fields(&[("status", "approved")])),
            Err(ProtoError::MissingField("type"))
        );
        assert_eq!(
            CreateCardRefResponse::from_form(fields(&[("x", "1"), ("x", "2")])),
            Err(ProtoError::DuplicateField("x".into()))
        );
    }

    #[test]
    fn status_response_form() {
        let mut r = StatusResponse::new(Status::Unknown("pending".into()));
        r.amount = Some("10.00".into());
        r.currency = Some("EUR".into());
        r.html = Some("<html>3ds</html>".into());
        r.extra.push(("descriptor".into(), "shop".into()));
        let form = r.to_form();
        assert_eq!(form[0], ("type", "status-response"));
        assert_eq!(form[1], ("status", "pending"));
        let back = StatusResponse::from_form(fields(&form)).unwrap();
        assert_eq!(back, r);
        assert!(!back.status.is_final());
    }
}
