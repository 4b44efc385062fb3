//! Typed request values: amounts, currencies and the two secret card fields, the length limits
//! of the request fields (DOC), and the exact conversion of an amount into minor units.
//!
//! A value built by its constructor (`Amount::new`, …) is valid. A value read by serde (from a
//! form, JSON, …) is kept as it came and checked, with every other field, when its request is
//! ([`Checked::check`](crate::Checked::check)): the error is then a typed
//! [`ProtoError`] naming the field, whatever the format. The check recognises these types by
//! their serde names (`payneteasy_proto::Amount`, …), so a request declared elsewhere gets the
//! same rules by using them.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ProtoError;
use crate::iso4217;

/// Why an amount has no exact minor-unit value (see [`amount_minor_units`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Not `digits[.digits]` (no sign, no exponent, no grouping, no leading or trailing `.`).
    #[error("the amount is not a decimal number (digits[.digits])")]
    NotDecimal,
    /// More digits than the documented `Numeric 10`.
    #[error("the amount has {digits} digits, the limit is {max}")]
    TooManyDigits {
        /// Digits in the amount (the decimal point is not counted).
        digits: usize,
        /// The limit ([`MAX_AMOUNT_DIGITS`]).
        max: usize,
    },
    /// More fraction digits than the currency's minor unit (`1.005` USD).
    #[error("the amount has {found} fraction digits, the currency has {exponent}")]
    TooManyFractionDigits {
        /// Fraction digits in the amount.
        found: usize,
        /// The currency's ISO 4217 minor unit.
        exponent: u8,
    },
    /// The currency is not an active ISO 4217 code (three capital letters from the list).
    #[error("the currency is not an active ISO 4217 code")]
    UnknownCurrency,
    /// The currency has no minor unit in ISO 4217 ("N.A.": precious metals, SDR, `XXX`, …).
    #[error("the currency has no minor unit in ISO 4217")]
    NoMinorUnit,
    /// The minor-unit value does not fit in 64 bits.
    #[error("the amount is too large")]
    TooLarge,
}

/// The most digits an amount may have: DOC "amount: Numeric 10" (v2 sale, make-rebill-sale
/// and return pages). The decimal point is not a digit, so `99999999.99` is accepted (the
/// largest amount of the PHP library's own 11-character rule, a vector of `control.json`).
pub const MAX_AMOUNT_DIGITS: usize = 10;

fn amount_syntax(amount: &str) -> Result<(&str, &str), AmountError> {
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(units) || (amount.contains('.') && !digits(fraction)) {
        return Err(AmountError::NotDecimal);
    }
    let count = units.len() + fraction.len();
    if count > MAX_AMOUNT_DIGITS {
        return Err(AmountError::TooManyDigits {
            digits: count,
            max: MAX_AMOUNT_DIGITS,
        });
    }
    Ok((units, fraction))
}

/// The ISO 4217 minor unit of `code`.
///
/// # Errors
/// [`AmountError::UnknownCurrency`] for a code that is not in the table (lowercase included);
/// [`AmountError::NoMinorUnit`] for a listed unit without minor units (`XAU`).
pub fn currency_exponent(code: &str) -> Result<u8, AmountError> {
    match iso4217::lookup(code) {
        Some(Some(exponent)) => Ok(exponent),
        Some(None) => Err(AmountError::NoMinorUnit),
        None => Err(AmountError::UnknownCurrency),
    }
}

/// A decimal amount (`10.42`) in minor units of `currency` (`1042` for USD, `1000` for
/// `1000` JPY, `1234` for `1.234` KWD), computed from the text with the currency's ISO 4217
/// exponent, never through a float.
///
/// # Errors
/// [`ProtoError::InvalidAmount`] with the [`AmountError`]: not `digits[.digits]`, more than
/// [`MAX_AMOUNT_DIGITS`] digits, more fraction digits than the currency allows, an unknown
/// currency or one without minor units.
pub fn amount_minor_units(amount: &str, currency: &str) -> Result<u64, ProtoError> {
    let exponent = currency_exponent(currency).map_err(ProtoError::InvalidAmount)?;
    let (units, fraction) = amount_syntax(amount).map_err(ProtoError::InvalidAmount)?;
    if fraction.len() > usize::from(exponent) {
        return Err(ProtoError::InvalidAmount(
            AmountError::TooManyFractionDigits {
                found: fraction.len(),
                exponent,
            },
        ));
    }
    let padded = format!("{units}{fraction:0<width$}", width = usize::from(exponent));
    padded
        .parse()
        .map_err(|_| ProtoError::InvalidAmount(AmountError::TooLarge))
}

/// The text of a minor-unit value in major units: `1042` with exponent 2 is `10.42`, `7` is
/// `0.07`, `1000` with exponent 0 is `1000` (the inverse of [`amount_minor_units`]).
pub fn format_minor_units(minor: u64, exponent: u8) -> String {
    let digits = minor.to_string();
    let exponent = usize::from(exponent);
    if exponent == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = exponent + 1);
    let (units, fraction) = padded.split_at(padded.len() - exponent);
    format!("{units}.{fraction}")
}

// ---------------------------------------------------------------------------------------------
// The value types. Their serde names are how the request check recognises them.

pub(crate) const AMOUNT_KIND: &str = "payneteasy_proto::Amount";
pub(crate) const CURRENCY_KIND: &str = "payneteasy_proto::Currency";
pub(crate) const CARD_NUMBER_KIND: &str = "payneteasy_proto::CardNumber";
pub(crate) const CVV2_KIND: &str = "payneteasy_proto::Cvv2";

/// An amount as the gateway wants it in the body: exact decimal text in major units
/// (`10.42`), `^[0-9]+(\.[0-9]+)?$`, at most [`MAX_AMOUNT_DIGITS`] digits.
///
/// Whether its fraction fits the currency is checked with the request (where the currency is
/// known). The text is kept as given (`10.5` stays `10.5`); the `control` uses its minor units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename = "payneteasy_proto::Amount")]
pub struct Amount(String);

impl Amount {
    /// Checks and wraps an amount.
    ///
    /// # Errors
    /// [`ProtoError::InvalidAmount`] ([`AmountError::NotDecimal`] or
    /// [`AmountError::TooManyDigits`]).
    pub fn new(amount: impl Into<String>) -> Result<Self, ProtoError> {
        let amount = amount.into();
        amount_syntax(&amount).map_err(ProtoError::InvalidAmount)?;
        Ok(Self(amount))
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The amount in minor units of `currency` ([`amount_minor_units`]).
    ///
    /// # Errors
    /// As for [`amount_minor_units`].
    pub fn minor_units(&self, currency: &Currency) -> Result<u64, ProtoError> {
        amount_minor_units(&self.0, &currency.0)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Amount {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self, ProtoError> {
        Self::new(s)
    }
}

/// A currency: an active ISO 4217 alphabetic code, uppercase (`USD`), from the full table
/// ([`ISO_4217`](crate::ISO_4217)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename = "payneteasy_proto::Currency")]
pub struct Currency(String);

impl Currency {
    /// Checks and wraps a currency code.
    ///
    /// # Errors
    /// [`ProtoError::InvalidAmount`] with [`AmountError::UnknownCurrency`] for a code that is
    /// not in the table (lowercase codes included).
    pub fn new(code: impl Into<String>) -> Result<Self, ProtoError> {
        let code = code.into();
        if iso4217::lookup(&code).is_none() {
            return Err(ProtoError::InvalidAmount(AmountError::UnknownCurrency));
        }
        Ok(Self(code))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its ISO 4217 minor unit ([`currency_exponent`]).
    ///
    /// # Errors
    /// As for [`currency_exponent`].
    pub fn exponent(&self) -> Result<u8, AmountError> {
        currency_exponent(&self.0)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Currency {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self, ProtoError> {
        Self::new(s)
    }
}

/// The wire names of the request fields that carry card secrets ([`CardNumber`],
/// [`Cvv2`]): masked in dry runs and logs, never shown in errors. Declared once, here.
pub const SECRET_FIELDS: &[&str] = &["credit_card_number", "cvv2"];

/// Whether a request field carries a card secret ([`SECRET_FIELDS`]).
pub fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

/// A card number (`credit_card_number`): digits only, at most 19 (ISO/IEC 7812). A secret:
/// `Debug` shows at most its last four digits, the memory is zeroed on drop; serialized as the
/// plain digits (the wire needs them).
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename = "payneteasy_proto::CardNumber")]
pub struct CardNumber(String);

/// The longest card number accepted (ISO/IEC 7812).
pub const MAX_CARD_NUMBER_DIGITS: usize = 19;

impl CardNumber {
    /// Checks and wraps a card number.
    ///
    /// # Errors
    /// [`ProtoError::InvalidValue`] (naming `credit_card_number`, never the value) unless it is
    /// 1 to [`MAX_CARD_NUMBER_DIGITS`] ASCII digits.
    pub fn new(number: impl Into<String>) -> Result<Self, ProtoError> {
        let number = Self(number.into());
        check_card_number("credit_card_number", &number.0)?;
        Ok(number)
    }

    /// The digits, for the wire.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The last four digits, when the number has at least twelve (shorter numbers show none).
    pub fn last_four(&self) -> Option<&str> {
        (self.0.len() >= 12 && self.0.is_ascii()).then(|| &self.0[self.0.len() - 4..])
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.last_four() {
            Some(last) => write!(f, "CardNumber(…{last})"),
            None => f.write_str("CardNumber(<redacted>)"),
        }
    }
}

/// A card verification value (`cvv2`): 3 or 4 digits. A secret: redacted in `Debug`, zeroed on
/// drop; serialized as the plain digits.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename = "payneteasy_proto::Cvv2")]
pub struct Cvv2(String);

impl Cvv2 {
    /// Checks and wraps a CVV2/CVC2.
    ///
    /// # Errors
    /// [`ProtoError::InvalidValue`] (naming `cvv2`) unless it is 3 or 4 ASCII digits.
    pub fn new(cvv2: impl Into<String>) -> Result<Self, ProtoError> {
        let cvv2 = Self(cvv2.into());
        check_cvv2("cvv2", &cvv2.0)?;
        Ok(cvv2)
    }

    /// The digits, for the wire.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvv2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv2(<redacted>)")
    }
}

fn check_card_number(field: &'static str, v: &str) -> Result<(), ProtoError> {
    if v.is_empty() || v.len() > MAX_CARD_NUMBER_DIGITS || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProtoError::InvalidValue {
            field,
            reason: "expected 1 to 19 digits",
        });
    }
    Ok(())
}

fn check_cvv2(field: &'static str, v: &str) -> Result<(), ProtoError> {
    if !(3..=4).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProtoError::InvalidValue {
            field,
            reason: "expected 3 or 4 digits",
        });
    }
    Ok(())
}

/// Checks a value of one of this module's types, recognised by its serde name (`kind`).
pub(crate) fn check_kind(field: &'static str, kind: &str, value: &str) -> Result<(), ProtoError> {
    match kind {
        AMOUNT_KIND => amount_syntax(value)
            .map(|_| ())
            .map_err(ProtoError::InvalidAmount),
        CURRENCY_KIND => match iso4217::lookup(value) {
            Some(_) => Ok(()),
            None => Err(ProtoError::InvalidAmount(AmountError::UnknownCurrency)),
        },
        CARD_NUMBER_KIND => check_card_number(field, value),
        CVV2_KIND => check_cvv2(field, value),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Field length limits.

/// The documented length limit of a request field, in characters, by wire name (DOC tables,
/// spec R11: the documentation's limits, not the PHP library's tighter ones). Fields without a
/// published limit get [`MAX_ID_CHARS`](crate::MAX_ID_CHARS), except URLs, the hosted-fields
/// token and the browser fields, which get [`MAX_LONG_TEXT_CHARS`].
///
/// `login` is documented as 20 characters, but longer logins are in use (the sandbox's
/// `paygate-test-merchant` has 21, and `control.json` signs it): it keeps the identifier bound.
pub fn field_limit(name: &str) -> usize {
    match name {
        "order_desc" => 65_535,
        "currency" => 3,
        "address1" | "city" | "email" | "comment" | "recurrent_scenario" => 50,
        "zip_code" => 10,
        "country" => 2,
        "phone" | "cell_phone" => 15,
        "ipaddress" => 45,
        "orderid" | "cardrefid" | "destination-card-ref-id" | "source-card-ref-id" => 20,
        "expire_month" => 2,
        "expire_year" => 4,
        "redirect_url"
        | "server_callback_url"
        | "site_url"
        | "redirect_success_url"
        | "redirect_fail_url"
        | "notify_url"
        | "hosted_fields_token" => MAX_LONG_TEXT_CHARS,
        other if other.starts_with("customer_browser_") => MAX_LONG_TEXT_CHARS,
        _ => crate::MAX_ID_CHARS,
    }
}

/// The bound for long text without a published limit (URLs, browser user agent and `Accept`
/// header, the hosted-fields token).
pub const MAX_LONG_TEXT_CHARS: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units() {
        for (amount, currency, minor) in [
            ("10.42", "USD", 1042),
            ("10.4", "USD", 1040),
            ("10", "USD", 1000),
            ("0.01", "EUR", 1),
            ("0.07", "EUR", 7),
            ("1000", "JPY", 1000),
            ("1.234", "KWD", 1234),
            ("1.2345", "CLF", 12345),
            ("99999999.99", "EUR", 9_999_999_999),
        ] {
            assert_eq!(amount_minor_units(amount, currency), Ok(minor), "{amount}");
        }
        let err = |e| Err(ProtoError::InvalidAmount(e));
        assert_eq!(
            amount_minor_units("10.421", "USD"),
            err(AmountError::TooManyFractionDigits {
                found: 3,
                exponent: 2
            })
        );
        assert_eq!(
            amount_minor_units("1.5", "JPY"),
            err(AmountError::TooManyFractionDigits {
                found: 1,
                exponent: 0
            })
        );
        for bad in ["", "1.", ".5", "-1", "1e3", "+1", " 1", "1,5", "١"] {
            assert_eq!(
                amount_minor_units(bad, "USD"),
                err(AmountError::NotDecimal),
                "{bad}"
            );
        }
        assert_eq!(
            amount_minor_units("12345678901", "USD"),
            err(AmountError::TooManyDigits {
                digits: 11,
                max: 10
            })
        );
        assert_eq!(
            amount_minor_units("1", "usd"),
            err(AmountError::UnknownCurrency)
        );
        assert_eq!(
            amount_minor_units("1", "ZZZ"),
            err(AmountError::UnknownCurrency)
        );
        assert_eq!(
            amount_minor_units("1", "XAU"),
            err(AmountError::NoMinorUnit)
        );
    }

    #[test]
    fn exponents_and_formatting() {
        assert_eq!(currency_exponent("USD"), Ok(2));
        assert_eq!(currency_exponent("JPY"), Ok(0));
        assert_eq!(currency_exponent("KWD"), Ok(3));
        assert_eq!(currency_exponent("CLF"), Ok(4));
        assert_eq!(currency_exponent("QQQ"), Err(AmountError::UnknownCurrency));
        assert_eq!(format_minor_units(1042, 2), "10.42");
        assert_eq!(format_minor_units(7, 2), "0.07");
        assert_eq!(format_minor_units(0, 3), "0.000");
        assert_eq!(format_minor_units(1000, 0), "1000");
        assert_eq!(format_minor_units(12345, 4), "1.2345");
    }

    #[test]
    fn values() {
        assert_eq!(Amount::new("10.42").unwrap().as_str(), "10.42");
        assert!(Amount::new("10,42").is_err());
        assert_eq!(Currency::new("EUR").unwrap().exponent(), Ok(2));
        assert!(Currency::new("eur").is_err());
        assert!("XYZ".parse::<Currency>().is_err());
        let pan = CardNumber::new("4111111111111111").unwrap();
        assert_eq!(format!("{pan:?}"), "CardNumber(…1111)");
        assert_eq!(pan.expose_secret(), "4111111111111111");
        assert_eq!(
            format!("{:?}", CardNumber::new("41111").unwrap()),
            "CardNumber(<redacted>)"
        );
        assert!(CardNumber::new("4111 1111").is_err());
        assert!(CardNumber::new("41111111111111111111").is_err());
        let cvv = Cvv2::new("123").unwrap();
        assert_eq!(format!("{cvv:?}"), "Cvv2(<redacted>)");
        assert!(Cvv2::new("12").is_err());
        assert!(Cvv2::new("12345").is_err());
        assert!(is_secret_field("cvv2") && !is_secret_field("amount"));
        // The plain value on the wire.
        assert_eq!(serde_json::to_string(&cvv).unwrap(), "\"123\"");
        let err = CardNumber::new("4111x").unwrap_err().to_string();
        assert!(!err.contains("4111"), "{err}");
    }
}
