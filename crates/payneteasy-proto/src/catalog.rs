//! The list of every operation, written once ([`for_each_operation!`](crate::for_each_operation)),
//! and the wire names of a request read from its serde declaration
//! ([`request_field_names`]).

use std::fmt;

use serde::de::{self, Deserialize, Visitor};

use crate::messages::Checked;
use crate::operation::Operation;

/// Calls a macro for every operation of this crate: the one list that CLIs, emulators and
/// tests iterate instead of keeping their own.
///
/// Two forms:
///
/// * `for_each_operation!(your_macro)` expands `your_macro!(Type, "command");` once per
///   operation, in the order of the command table. `Type` is the identifier of the operation
///   type at this crate's root (write `payneteasy_proto::$op` in your macro, or import them);
///   `"command"` is its command name: the URL path with `/` written as `-` (`sale`,
///   `sync-account-verification`, `tokenize-create-ephemeral-ticket`). A command that exists
///   in two API versions appears twice with the same name (`status` is [`StatusCommand`](crate::StatusCommand) (v4)
///   and [`StatusV2`](crate::StatusV2)); `(name, Operation::VERSION)` is unique.
/// * `for_each_operation!(list your_macro)` expands `your_macro! { (Type, "command"), … }`
///   once, with every operation: for an `enum` or a `match` that needs them all in one place.
///
/// ```
/// use payneteasy_proto::{ApiVersion, Operation};
///
/// let mut v2 = Vec::new();
/// macro_rules! collect {
///     ($op:ident, $name:literal) => {
///         if <payneteasy_proto::$op as Operation>::VERSION == ApiVersion::V2 {
///             v2.push($name);
///         }
///     };
/// }
/// payneteasy_proto::for_each_operation!(collect);
/// assert!(v2.contains(&"make-rebill-sale") && v2.contains(&"status"));
///
/// macro_rules! count {
///     ($(($op:ident, $name:literal)),* $(,)?) => { [$($name),*].len() };
/// }
/// assert_eq!(payneteasy_proto::for_each_operation!(list count), 20);
/// ```
#[macro_export]
macro_rules! for_each_operation {
    (@apply [each $m:ident] $(($op:ident, $name:literal)),* $(,)?) => {
        $( $m!($op, $name); )*
    };
    (@apply [list $m:ident] $($ops:tt)*) => {
        $m! { $($ops)* }
    };
    (@operations [$($how:tt)*]) => {
        $crate::for_each_operation! { @apply [$($how)*]
            (Sale, "sale"),
            (SaleV4, "sale"),
            (Preauth, "preauth"),
            (SaleForm, "sale-form"),
            (PreauthForm, "preauth-form"),
            (TransferForm, "transfer-form"),
            (Capture, "capture"),
            (Return, "return"),
            (Void, "void"),
            (StatusCommand, "status"),
            (StatusV2, "status"),
            (CreateCardRef, "create-card-ref"),
            (CreateCardRefV2, "create-card-ref"),
            (GetCardInfo, "get-card-info"),
            (MakeRebillSale, "make-rebill-sale"),
            (MakeRebillPreauth, "make-rebill-preauth"),
            (AccountVerification, "account-verification"),
            (SyncAccountVerification, "sync-account-verification"),
            (TransferByRef, "transfer-by-ref"),
            (CreateEphemeralTicket, "tokenize-create-ephemeral-ticket"),
        }
    };
    (list $m:ident) => {
        $crate::for_each_operation! { @operations [list $m] }
    };
    ($m:ident) => {
        $crate::for_each_operation! { @operations [each $m] }
    };
}

/// The wire names of the fields of `O`'s request, in declaration order (`login`,
/// `client_orderid`, `source-card-ref-id`, …).
///
/// Read from the request's serde `Deserialize` implementation by a recording deserializer:
/// the serde attributes stay the only place a wire name is written. An empty slice for a
/// request that is not a struct.
pub fn request_field_names<O: Operation>() -> &'static [&'static str] {
    struct_field_names::<<O::Request as Checked>::Fields>()
}

/// The field names a type's `Deserialize` asks a struct for (see [`request_field_names`]).
pub fn struct_field_names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(Recorder) {
        Err(Recorded(Some(fields))) => fields,
        _ => &[],
    }
}

/// A deserializer that records the field list of the struct asked for, then stops.
struct Recorder;

/// The "error" that carries the recorded list out of `deserialize`.
#[derive(Debug)]
struct Recorded(Option<&'static [&'static str]>);

impl fmt::Display for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Recorded {}

impl de::Error for Recorded {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self(None)
    }
}

impl<'de> de::Deserializer<'de> for Recorder {
    type Error = Recorded;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Recorded> {
        Err(Recorded(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Recorded> {
        Err(Recorded(Some(fields)))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Recorded> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    #[test]
    fn names_come_from_the_declarations() {
        assert_eq!(
            request_field_names::<StatusV2>(),
            ["login", "client_orderid", "orderid"]
        );
        assert_eq!(
            request_field_names::<StatusCommand>(),
            ["login", "client_orderid", "orderid", "by-request-sn"]
        );
        assert_eq!(
            request_field_names::<CreateCardRef>(),
            ["login", "client_orderid", "orderid"]
        );
        assert_eq!(
            request_field_names::<TransferByRef>(),
            [
                "login",
                "client_orderid",
                "order_desc",
                "amount",
                "currency",
                "ipaddress",
                "source-card-ref-id",
                "destination-card-ref-id",
                "cvv2",
                "redirect_url",
                "server_callback_url"
            ]
        );
        assert!(request_field_names::<CreateEphemeralTicket>().is_empty());
        let sale = request_field_names::<Sale>();
        for secret in SECRET_FIELDS {
            assert!(sale.contains(secret), "{secret}");
        }
        assert_eq!(struct_field_names::<String>(), [] as [&str; 0]);
    }

    #[test]
    fn every_operation_once() {
        let mut seen = Vec::new();
        macro_rules! collect {
            ($op:ident, $name:literal) => {
                seen.push((
                    $name,
                    <$op as Operation>::VERSION,
                    <$op as Operation>::PATH,
                    request_field_names::<$op>(),
                ));
            };
        }
        for_each_operation!(collect);
        assert_eq!(seen.len(), 20);
        for (i, (name, version, path, fields)) in seen.iter().enumerate() {
            assert_eq!(*name, path.replace('/', "-"));
            assert!(
                !seen[..i].iter().any(|(n, v, ..)| n == name && v == version),
                "{name} {version:?} twice"
            );
            // Every v2 control part names a field of the request.
            let _ = fields;
        }
        macro_rules! v2_parts_are_fields {
            ($op:ident, $name:literal) => {
                if let Auth::Control(parts) = <$op as Operation>::AUTH {
                    let fields = request_field_names::<$op>();
                    assert!(matches!(parts.last(), Some(ControlPart::MerchantControl)));
                    for part in parts {
                        match part {
                            ControlPart::Field(f) => assert!(fields.contains(f), "{} {f}", $name),
                            ControlPart::FieldIfSent { field, if_sent } => {
                                assert!(fields.contains(field) && fields.contains(if_sent))
                            }
                            ControlPart::AmountMinorUnits { amount, currency } => {
                                assert!(fields.contains(amount) && fields.contains(currency))
                            }
                            _ => {}
                        }
                    }
                    assert!(!fields.is_empty());
                } else {
                    assert_eq!(<$op as Operation>::VERSION, ApiVersion::V4, "{}", $name);
                }
            };
        }
        for_each_operation!(v2_parts_are_fields);
    }
}
