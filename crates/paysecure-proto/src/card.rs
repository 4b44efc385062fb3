//! Card data: the PAN, the CVN, the expiration, and what encrypting them produced.
//!
//! Only data and validation live here; encrypting card data with the key of a `CreateKey`
//! session is `paysecure-codec`'s `card_crypto` module.

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{CardDataProblem, Error};

/// A primary account number: 12–19 digits with a valid Luhn check digit.
///
/// **Decisions:** ASCII spaces and dashes are accepted as separators and dropped (people type
/// `4111 1111 1111 1111`); any other non-digit is an error. `Debug` and `Display` show only the
/// last four digits (`****1111`), never the BIN, so a log line cannot narrow the number down.
/// The digits are zeroized on drop.
///
/// ```
/// use paysecure_proto::card::Pan;
///
/// let pan = Pan::new("4111 1111 1111 1111")?;
/// assert_eq!(pan.last4(), "1111");
/// assert_eq!(pan.bin(), "411111");
/// assert_eq!(format!("{pan:?}"), "Pan(****1111)");
/// # Ok::<(), paysecure_proto::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(Zeroizing<String>);

impl Pan {
    /// Fewest digits accepted.
    pub const MIN_LEN: usize = 12;
    /// Most digits accepted.
    pub const MAX_LEN: usize = 19;

    /// Checks and wraps a card number.
    ///
    /// # Errors
    /// [`Error::InvalidPan`] with [`CardDataProblem::NonDigit`], [`CardDataProblem::Length`] or
    /// [`CardDataProblem::Luhn`]; the number itself is never part of the error.
    pub fn new(text: &str) -> Result<Self, Error> {
        // Reserve up front so no reallocation leaves a stray copy of the digits behind.
        let mut digits = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(Error::InvalidPan(CardDataProblem::NonDigit)),
            }
        }
        let len = digits.len();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(Error::InvalidPan(CardDataProblem::Length {
                len,
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
            }));
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(Error::InvalidPan(CardDataProblem::Luhn));
        }
        Ok(Self(digits))
    }

    /// The digits, for encryption.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four digits.
    #[must_use]
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The first six digits (the issuer identification number).
    #[must_use]
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan(****{})", self.last4())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "****{}", self.last4())
    }
}

/// A card verification number (CVN/CVV/CVC): three or four ASCII digits. Redacted in `Debug`
/// and `Display`, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvn(Zeroizing<String>);

impl Cvn {
    /// Checks and wraps a CVN.
    ///
    /// # Errors
    /// [`Error::InvalidCvn`] with [`CardDataProblem::NonDigit`] or [`CardDataProblem::Length`].
    pub fn new(text: &str) -> Result<Self, Error> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidCvn(CardDataProblem::NonDigit));
        }
        if !(3..=4).contains(&text.len()) {
            return Err(Error::InvalidCvn(CardDataProblem::Length {
                len: text.len(),
                min: 3,
                max: 4,
            }));
        }
        Ok(Self(Zeroizing::new(text.to_owned())))
    }

    /// The digits, for encryption.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvn(<redacted>)")
    }
}

impl fmt::Display for Cvn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.checked_rem(10) == Some(0)
}

/// A card expiration date, `MMYY` on the wire.
///
/// **Decision:** PaySecure's metadata types `Expiration` as a string without a format; `MMYY`
/// (four digits, month first) is what card-present and e-commerce APIs of the era used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CardExpiration {
    month: u8,
    year: u8,
}

impl CardExpiration {
    /// From a month (`1..=12`) and a two-digit year (`0..=99`).
    ///
    /// # Errors
    /// [`Error::InvalidExpiration`] for a month outside `1..=12` or a year above 99.
    pub const fn new(month: u8, year_two_digits: u8) -> Result<Self, Error> {
        if month == 0 || month > 12 {
            return Err(Error::InvalidExpiration {
                reason: "month must be 01..=12",
            });
        }
        if year_two_digits > 99 {
            return Err(Error::InvalidExpiration {
                reason: "year must be two digits",
            });
        }
        Ok(Self {
            month,
            year: year_two_digits,
        })
    }

    /// Parses `MMYY`.
    ///
    /// # Errors
    /// [`Error::InvalidExpiration`] unless the text is four ASCII digits with a month `01..=12`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text.as_bytes() {
            [m1, m2, y1, y2] if [m1, m2, y1, y2].iter().all(|b| b.is_ascii_digit()) => Self::new(
                (m1 - b'0') * 10 + (m2 - b'0'),
                (y1 - b'0') * 10 + (y2 - b'0'),
            ),
            _ => Err(Error::InvalidExpiration {
                reason: "expected four digits",
            }),
        }
    }

    /// The month, `1..=12`.
    #[must_use]
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The two-digit year.
    #[must_use]
    pub const fn year_two_digits(self) -> u8 {
        self.year
    }
}

impl core::fmt::Display for CardExpiration {
    /// `MMYY`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02}{:02}", self.month, self.year)
    }
}

impl CardExpiration {
    /// The name under which the expiration asks a deserializer for a newtype struct, so that a
    /// codec can report a bad value as [`Error::InvalidExpiration`] rather than as a JSON error.
    #[doc(hidden)]
    pub const NEWTYPE_NAME: &'static str = "CardExpiration";
}

impl Serialize for CardExpiration {
    /// `MMYY`, as a string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CardExpiration {
    /// `MMYY` from a string (see [`CardExpiration::parse`]).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::serde_support::parsed_newtype(
            deserializer,
            Self::NEWTYPE_NAME,
            "an MMYY expiration",
            Self::parse,
        )
    }
}

/// Encrypted card data as sent to PaySecure: the ciphertext text and the key id it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedCardData {
    /// The `KeyId` of the key used.
    pub key_id: String,
    /// The ciphertext, as text (base64 or hex, as the encrypting side chose).
    pub ciphertext: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration() {
        let e = CardExpiration::parse("0927").unwrap();
        assert_eq!((e.month(), e.year_two_digits()), (9, 27));
        assert_eq!(e.to_string(), "0927");
        for bad in ["1327", "0027", "927", "09/27", "092a", ""] {
            assert!(
                matches!(
                    CardExpiration::parse(bad),
                    Err(Error::InvalidExpiration { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn luhn() {
        for good in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "4222222222222",
        ] {
            assert!(luhn_valid(good.as_bytes()), "{good}");
        }
        assert!(!luhn_valid(b"4111111111111112"));
    }

    #[test]
    fn pan_rules() {
        assert_eq!(
            Pan::new("4111-1111-1111-1111").unwrap().expose(),
            "4111111111111111"
        );
        assert_eq!(
            Pan::new("4111x11111111111"),
            Err(Error::InvalidPan(CardDataProblem::NonDigit))
        );
        assert_eq!(
            Pan::new("4111111111111112"),
            Err(Error::InvalidPan(CardDataProblem::Luhn))
        );
        assert!(matches!(
            Pan::new("41111111111"),
            Err(Error::InvalidPan(CardDataProblem::Length {
                len: 11,
                min: 12,
                max: 19
            }))
        ));
        assert!(matches!(
            Pan::new("41111111111111111111"),
            Err(Error::InvalidPan(CardDataProblem::Length { len: 20, .. }))
        ));
        assert!(matches!(
            Pan::new(""),
            Err(Error::InvalidPan(CardDataProblem::Length { len: 0, .. }))
        ));
        assert_eq!(
            Pan::new("４１１１"),
            Err(Error::InvalidPan(CardDataProblem::NonDigit))
        );
    }

    #[test]
    fn cvn_rules() {
        assert_eq!(Cvn::new("123").unwrap().expose(), "123");
        assert_eq!(Cvn::new("1234").unwrap().expose(), "1234");
        assert!(matches!(
            Cvn::new("12"),
            Err(Error::InvalidCvn(CardDataProblem::Length { len: 2, .. }))
        ));
        assert!(matches!(
            Cvn::new("12345"),
            Err(Error::InvalidCvn(CardDataProblem::Length { .. }))
        ));
        assert_eq!(
            Cvn::new("12a"),
            Err(Error::InvalidCvn(CardDataProblem::NonDigit))
        );
    }

    #[test]
    fn redaction() {
        let pan = Pan::new("4111111111111111").unwrap();
        let cvn = Cvn::new("987").unwrap();
        for text in [format!("{pan:?}"), format!("{pan}"), format!("{pan:#?}")] {
            assert!(!text.contains("411111111111"), "{text}");
            assert!(!text.contains("411111"), "{text}");
        }
        for text in [format!("{cvn:?}"), format!("{cvn}")] {
            assert!(!text.contains("987"), "{text}");
        }
        let err = Pan::new("4111111111111112").unwrap_err().to_string();
        assert!(!err.contains("411111"), "{err}");
    }
}
