//! The crate's one error type.

/// Everything that can go wrong while building or checking PaySecure values.
///
/// No variant ever carries a password, a PAN or a CVN: card-number problems are reported as a
/// [`CardDataProblem`] kind, and only the (public) length or key size is included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required field was missing or empty (a credentials member, …).
    #[error("required field `{field}` is missing or empty")]
    MissingField {
        /// The wire name of the field (`MerchantId`, …).
        field: &'static str,
    },

    /// A string is not a WCF date `/Date(ms[±HHMM])/` within .NET's `DateTime` range.
    #[error("invalid WCF date {value:?}: {reason}")]
    InvalidDate {
        /// The rejected text, cut to at most 64 characters.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A date cannot be converted because it lies outside the target type's range.
    #[error("date out of range: {reason}")]
    DateOutOfRange {
        /// Which range was exceeded.
        reason: &'static str,
    },

    /// A UTC offset is not `±HHMM` with `HH` in `00..=14`, `MM` in `00..=59`, at most 14:00.
    #[error("invalid UTC offset: {reason}")]
    InvalidOffset {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A card number (PAN) was rejected. The number itself is never included.
    #[error("invalid card number: {0}")]
    InvalidPan(CardDataProblem),

    /// A card verification number (CVN/CVV) was rejected. The value itself is never included.
    #[error("invalid card verification number: {0}")]
    InvalidCvn(CardDataProblem),

    /// A card expiration was not `MMYY` with a month `01..=12`.
    #[error("invalid card expiration (expected MMYY): {reason}")]
    InvalidExpiration {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A member's value breaks a structural rule (a zero `Amount`, a `BIN` that is not digits).
    #[error("invalid `{field}`: {reason}")]
    InvalidValue {
        /// The wire name of the member.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// Encrypted card number and encrypted CVN were made with different keys.
    #[error("the encrypted card number and CVN were made with different key ids")]
    KeyIdMismatch,
}

/// Why a PAN or CVN was rejected; deliberately free of the digits themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardDataProblem {
    /// Something other than ASCII digits (and, for a PAN, spaces or dashes).
    #[error("contains a character that is not a digit")]
    NonDigit,
    /// The number of digits is outside the accepted range.
    #[error("{len} digits, expected {min}..={max}")]
    Length {
        /// Digits found.
        len: usize,
        /// Minimum accepted.
        min: usize,
        /// Maximum accepted.
        max: usize,
    },
    /// The Luhn (mod 10) check digit does not match.
    #[error("Luhn check digit does not match")]
    Luhn,
}

/// Cuts a rejected value to at most `max` characters for an error message.
pub(crate) fn bounded(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}
