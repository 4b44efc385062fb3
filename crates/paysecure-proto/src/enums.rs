//! The published PaySecure enums, all **open**: a value this crate does not know decodes to
//! `Other` with its raw text, and encodes back as received.
//!
//! Known names match ignoring ASCII case on input (the server matches names that way) and are
//! written with the C# spelling, which is the wire's (`EMV`, `eCommerce`; Kotlin's metadata
//! rewrites them `Emv`, `ECommerce`).

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Declares an open enum: the known variants with their wire names, `Other(String)`, `as_str`,
/// `parse`, `Display`, and serde as a string.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal $(=> $number:literal)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire name (the raw text for [`Self::Other`]).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(raw) => raw,
                }
            }

            /// The value named `text` (ignoring ASCII case), else [`Self::Other`] keeping `text`.
            #[must_use]
            pub fn parse(text: &str) -> Self {
                $( if text.eq_ignore_ascii_case($wire) { return $name::$variant; } )*
                $( $( if text == stringify!($number) { return $name::$variant; } )? )*
                $name::Other(text.to_owned())
            }

            /// The value with this .NET enum number, when the DTO publishes numbers.
            #[must_use]
            #[allow(unused_variables, reason = "enums without numbers ignore it")]
            pub fn from_number(number: u64) -> Option<Self> {
                $( $( if number == $number { return Some($name::$variant); } )? )*
                None
            }

            /// `true` for a value this crate knows.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = core::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// A name (any case; unknown names kept), or a published .NET enum number.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(OpenVisitor {
                    expecting: stringify!($name),
                    parse: $name::parse,
                    from_number: $name::from_number,
                })
            }
        }
    };
}

/// The visitor of every open enum.
struct OpenVisitor<T> {
    expecting: &'static str,
    parse: fn(&str) -> T,
    from_number: fn(u64) -> Option<T>,
}

impl<T> Visitor<'_> for OpenVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} name", self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.parse)(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.from_number)(v).ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        u64::try_from(v)
            .ok()
            .and_then(self.from_number)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
}

open_enum! {
    /// `CardInfoType`: what `Card.CardNumberData` holds.
    pub enum CardInfoType {
        /// `CardNumber`: the clear card number.
        CardNumber = "CardNumber",
        /// `Token`: a `CardToken` from `TokenizeCard`.
        Token = "Token",
        /// `Track`.
        Track = "Track",
        /// `EMV`.
        Emv = "EMV",
        /// `Encrypted`: ciphertext under a `CreateKey` key (with `Card.KeyID`).
        Encrypted = "Encrypted",
        /// `DPAN`.
        Dpan = "DPAN",
        /// `ApplePay`.
        ApplePay = "ApplePay",
        /// `GooglePay`.
        GooglePay = "GooglePay",
        /// `SamsungPay`.
        SamsungPay = "SamsungPay",
        /// `CPToken`.
        CpToken = "CPToken",
        /// `EncryptedEnhanced`.
        EncryptedEnhanced = "EncryptedEnhanced",
        /// `EncryptedJWE`.
        EncryptedJwe = "EncryptedJWE",
    }
}

open_enum! {
    /// `OriginalDataType`: which identifier `OriginalTransaction.OriginalDataIdentifier` is.
    /// Written by name (as the published JSV sample does); the .NET numbers 1–4 are accepted
    /// on input.
    pub enum OriginalDataType {
        /// `TransactionId` (1): the `TranId` PaySecure answered.
        TransactionId = "TransactionId" => 1,
        /// `ReferenceKey` (2): the merchant's own `ReferenceKey`.
        ReferenceKey = "ReferenceKey" => 2,
        /// `ExternalId` (3).
        ExternalId = "ExternalId" => 3,
        /// `InternalTransactionId` (4).
        InternalTransactionId = "InternalTransactionId" => 4,
    }
}

open_enum! {
    /// `EBTIntiateTransStatus` (sic), the `TransType` of `Initiate`. `WIC` is missing from one
    /// metadata snapshot and present in the others; the enum is open either way.
    pub enum TransType {
        /// `eCommerce`.
        ECommerce = "eCommerce",
        /// `EBT`.
        Ebt = "EBT",
        /// `MoneyTransfer`.
        MoneyTransfer = "MoneyTransfer",
        /// `WIC`.
        Wic = "WIC",
    }
}

open_enum! {
    /// `TelephoneType` of [`crate::Avs`]: the published letters; their meaning is not
    /// published (day, home, night, work is a guess this crate does not rely on).
    pub enum TelephoneType {
        /// `D`.
        D = "D",
        /// `H`.
        H = "H",
        /// `N`.
        N = "N",
        /// `W`.
        W = "W",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_and_case_insensitive() {
        assert_eq!(CardInfoType::parse("emv"), CardInfoType::Emv);
        assert_eq!(CardInfoType::Emv.as_str(), "EMV");
        assert_eq!(TransType::parse("ECommerce"), TransType::ECommerce);
        assert_eq!(TransType::ECommerce.as_str(), "eCommerce");
        let other = CardInfoType::parse("QuantumCard");
        assert_eq!(other, CardInfoType::Other("QuantumCard".into()));
        assert_eq!(other.as_str(), "QuantumCard");
        assert!(!other.is_known());
        assert_eq!(OriginalDataType::parse("2"), OriginalDataType::ReferenceKey);
        assert_eq!(
            OriginalDataType::from_number(4),
            Some(OriginalDataType::InternalTransactionId)
        );
        assert_eq!(OriginalDataType::from_number(5), None);
        assert_eq!(TelephoneType::from_number(1), None);
        assert_eq!(CardInfoType::KNOWN.len(), 12);
    }
}
