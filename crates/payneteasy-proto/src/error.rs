//! The crate's error type.

/// Why a Payneteasy value could not be built or read.
///
/// Errors name the offending field but never echo its value: order ids are not secret, but a
/// value in the wrong field might be, and error text ends up in logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// A mandatory text field is empty.
    #[error("field `{field}` is empty")]
    Empty {
        /// Wire name of the field.
        field: &'static str,
    },
    /// A text field is longer than this crate accepts.
    #[error("field `{field}` has {len} characters, the limit is {max}")]
    TooLong {
        /// Wire name of the field.
        field: &'static str,
        /// Length of the rejected value, in characters.
        len: usize,
        /// The limit, in characters.
        max: usize,
    },
    /// A text field contains a control character (line feed, NUL, DEL, ...).
    #[error("field `{field}` contains a control character")]
    ControlCharacter {
        /// Wire name of the field.
        field: &'static str,
    },
    /// A custom base URL was rejected.
    #[error("invalid base URL: {reason}")]
    InvalidBaseUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An endpoint string is neither `<digits>` nor `group/<digits>`.
    #[error("invalid endpoint: {reason}")]
    InvalidEndpoint {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An amount or a currency is not valid, or the amount has no exact value in minor units
    /// of its currency.
    #[error("invalid amount: {0}")]
    InvalidAmount(#[source] crate::values::AmountError),
    /// A field's value does not have its documented format (a card number that is not
    /// digits, a `cvv2` of 5 digits, an amount sent without its currency, …).
    #[error("field `{field}` is invalid: {reason}")]
    InvalidValue {
        /// Wire name of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A form lacks a field the type requires.
    #[error("required field `{0}` is missing")]
    MissingField(&'static str),
    /// A message's declaration has a shape this crate's checks do not handle (a programming
    /// error in a message declared outside this crate).
    #[error("unsupported message shape: {0}")]
    Unsupported(&'static str),
    /// A form carries the same field twice.
    #[error("field `{0}` appears more than once")]
    DuplicateField(String),
}

/// Upper bound, in characters, for identifiers and other short text fields of requests.
///
/// Payneteasy documents 128 characters for `client_orderid`; the same bound is applied to every
/// identifier this crate validates.
pub const MAX_ID_CHARS: usize = 128;

/// Checks a request text field: non-empty, at most [`field_limit`](crate::field_limit)
/// characters for its name ([`MAX_ID_CHARS`] unless documented otherwise), no control
/// characters.
pub(crate) fn check_text(field: &'static str, value: &str) -> Result<(), ProtoError> {
    if value.is_empty() {
        return Err(ProtoError::Empty { field });
    }
    let max = crate::values::field_limit(field);
    let len = value.chars().count();
    if len > max {
        return Err(ProtoError::TooLong { field, len, max });
    }
    if value.chars().any(char::is_control) {
        return Err(ProtoError::ControlCharacter { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(check_text("f", "abc"), Ok(()));
        assert_eq!(check_text("f", "Заказ-1"), Ok(()));
        assert_eq!(check_text("f", ""), Err(ProtoError::Empty { field: "f" }));
        assert_eq!(
            check_text("f", "a\nb"),
            Err(ProtoError::ControlCharacter { field: "f" })
        );
        assert_eq!(
            check_text("f", "a\u{7f}"),
            Err(ProtoError::ControlCharacter { field: "f" })
        );
        let long = "é".repeat(MAX_ID_CHARS + 1);
        assert_eq!(
            check_text("f", &long),
            Err(ProtoError::TooLong {
                field: "f",
                len: MAX_ID_CHARS + 1,
                max: MAX_ID_CHARS
            })
        );
        assert_eq!(check_text("f", &"é".repeat(MAX_ID_CHARS)), Ok(()));
    }
}
