//! The two messages the gateway sends to the merchant: the server-to-server callback (an HTTP
//! GET whose query carries the parameters) and the payer's return to `redirect_url` (an HTTP
//! POST form). Both decode through the form format into the typed
//! [`ServerCallback`] and [`CustomerReturn`] of `payneteasy-proto`, whose `verify` checks the
//! `control`.

use payneteasy_proto::{CustomerReturn, ServerCallback};

use crate::de::from_fields;
use crate::decode::{DecodeLimits, collect_fields};
use crate::error::DecodeError;
use crate::form::{FORM_CONTENT_TYPE, FormFields};

/// Reads a server callback from the query string of its GET request (with or without the
/// leading `?`; `+` is a space, `%XX` a UTF-8 byte), within the default [`DecodeLimits`].
///
/// Unknown parameters are kept in [`ServerCallback::extra`]. The callback is not verified
/// here: call [`ServerCallback::verify`] with the merchant control key.
///
/// # Errors
/// [`DecodeError::TooLarge`], [`DecodeError::InvalidPercentEncoding`],
/// [`DecodeError::InvalidUtf8`], [`DecodeError::NotAForm`], [`DecodeError::TooManyFields`],
/// [`DecodeError::DuplicateField`] (a parameter given twice is refused: which one would be
/// signed?), and [`DecodeError::Invalid`] with
/// [`ProtoError::MissingField`](payneteasy_proto::ProtoError::MissingField) for a missing
/// `status`, `orderid` or `control`.
pub fn parse_server_callback(query: &str) -> Result<ServerCallback, DecodeError> {
    parse_server_callback_with(query, &DecodeLimits::default())
}

/// [`parse_server_callback`] within the given limits.
///
/// # Errors
/// As for [`parse_server_callback`].
pub fn parse_server_callback_with(
    query: &str,
    limits: &DecodeLimits,
) -> Result<ServerCallback, DecodeError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    check_size(query.len(), limits)?;
    from_fields(collect_fields(FormFields::request(query), limits)?)
}

/// Reads the payer's return to `redirect_url` from its POST body (form-encoded), within the
/// default [`DecodeLimits`]. Not verified here: call [`CustomerReturn::verify`].
///
/// # Errors
/// As for [`parse_server_callback`], and [`DecodeError::InvalidUtf8`] for a body that is not
/// UTF-8.
pub fn parse_customer_return(body: &[u8]) -> Result<CustomerReturn, DecodeError> {
    parse_customer_return_with(None, body, &DecodeLimits::default())
}

/// [`parse_customer_return`] with the request's `Content-Type` (when given, it must be
/// `application/x-www-form-urlencoded`) and the given limits.
///
/// # Errors
/// As for [`parse_customer_return`], and [`DecodeError::UnsupportedContentType`] for another
/// content type.
pub fn parse_customer_return_with(
    content_type: Option<&str>,
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<CustomerReturn, DecodeError> {
    if let Some(ct) = content_type {
        let media = ct.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case(FORM_CONTENT_TYPE) {
            return Err(DecodeError::UnsupportedContentType {
                content_type: ct.chars().take(100).collect(),
            });
        }
    }
    check_size(body.len(), limits)?;
    let text = std::str::from_utf8(body).map_err(|e| DecodeError::InvalidUtf8 {
        position: e.valid_up_to(),
    })?;
    from_fields(collect_fields(FormFields::request(text), limits)?)
}

fn check_size(len: usize, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if len > limits.max_body_bytes {
        return Err(DecodeError::TooLarge {
            len,
            limit: limits.max_body_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use payneteasy_proto::{CallbackError, ControlKey, ProtoError, Status, TransactionType};

    #[test]
    fn query_and_form() {
        let key = ControlKey::new("test-merchant-control").unwrap();
        let cb = parse_server_callback(
            "?status=approved&orderid=1234567&client_orderid=hf-abc&merchant_order=hf-abc\
             &amount=10.42&type=sale&control=652ace404c4dfe8bba069ecee594ec23a89340e1&x=a+b",
        )
        .unwrap();
        assert_eq!(cb.status, Status::Approved);
        assert_eq!(cb.transaction_type, Some(TransactionType::Sale));
        assert_eq!(cb.extra, [("x".to_owned(), "a b".to_owned())]);
        assert_eq!(cb.verify(&key), Ok(()));
        let odd = parse_server_callback(
            "status=approved&orderid=1&client_orderid=c&type=refund&control=00",
        )
        .unwrap();
        assert_eq!(
            odd.transaction_type,
            Some(TransactionType::Unknown("refund".into()))
        );
        assert_eq!(odd.verify(&key), Err(CallbackError::BadControl));
        assert_eq!(
            parse_server_callback("status=approved&orderid=1"),
            Err(DecodeError::Invalid(ProtoError::MissingField("control")))
        );
        assert_eq!(
            parse_server_callback("status=a&status=b&orderid=1&control=0"),
            Err(DecodeError::DuplicateField("status".into()))
        );
        assert!(matches!(
            parse_server_callback("status=%zz"),
            Err(DecodeError::InvalidPercentEncoding { .. })
        ));
        let ret = parse_customer_return(
            b"status=approved&orderid=6868305&merchant_order=34T43R77N\
              &control=85d7e38a6e5357dd5b719025a1f08fee74f37a25",
        )
        .unwrap();
        let sandbox = ControlKey::new("paygate-test-control").unwrap();
        assert_eq!(ret.verify(&sandbox), Ok(()));
        assert_eq!(
            parse_customer_return_with(Some("application/json"), b"{}", &DecodeLimits::default()),
            Err(DecodeError::UnsupportedContentType {
                content_type: "application/json".into()
            })
        );
        assert_eq!(
            parse_customer_return(b"status=\xff"),
            Err(DecodeError::InvalidUtf8 { position: 7 })
        );
        let small = DecodeLimits::default().with_max_body_bytes(4);
        assert!(matches!(
            parse_server_callback_with("status=approved", &small),
            Err(DecodeError::TooLarge { .. })
        ));
    }
}
