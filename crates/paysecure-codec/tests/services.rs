//! The `Service` declarations agree with the DTOs' own: the member success requires is one of
//! the response's declared wire names, and routes are `/` plus the operation name.

use paysecure_proto::{
    CreateKey, Initiate, PreAuthCapture, PreAuthVoid, PsBinCheck, Reverse, Service, TokenizeCard,
    TransactionStatus,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// The member names a DTO's derive declares (serde passes them to `deserialize_struct`).
fn declared_names<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Names(&'static [&'static str]);
    impl std::fmt::Display for Names {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("names")
        }
    }
    impl std::error::Error for Names {}
    impl de::Error for Names {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Names(&[])
        }
    }
    struct Probe;
    impl<'de> Deserializer<'de> for Probe {
        type Error = Names;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
            Err(Names(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(fields))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Names(names)) => names,
        Ok(_) => panic!("not a struct"),
    }
}

fn check<S: Service>(name: &str, idempotent: bool) {
    assert_eq!(S::name(), name);
    assert_eq!(S::ROUTE, format!("/{name}"));
    assert_eq!(S::IDEMPOTENT, idempotent);
    if let Some(required) = S::REQUIRED {
        assert!(
            declared_names::<S::Response>().contains(&required),
            "{required} is not a member of the {name} response: {:?}",
            declared_names::<S::Response>()
        );
    }
}

#[test]
fn services_agree_with_their_dtos() {
    check::<CreateKey>("CreateKey", true);
    check::<TokenizeCard>("TokenizeCard", false);
    check::<PsBinCheck>("PSBINCheck", true);
    check::<TransactionStatus>("TransactionStatus", true);
    check::<Initiate>("Initiate", false);
    check::<PreAuthCapture>("PreAuthCapture", false);
    check::<PreAuthVoid>("PreAuthVoid", false);
    check::<Reverse>("Reverse", false);
}

#[test]
fn wire_names_come_from_the_declarations() {
    assert_eq!(
        declared_names::<paysecure_proto::Timestamps>(),
        [
            "AppLayer",
            "ParentLookup",
            "RetryLookup",
            "GetCardData",
            "CardTokenize",
            "CardEncrypt",
            "DBInsert",
            "BackendProcess",
            "DBUpdate",
            "ParentUpdate",
            "Network"
        ]
    );
    assert_eq!(
        declared_names::<paysecure_proto::TokenizeCardRequest>(),
        [
            "KeyId",
            "EncryptedCardNumber",
            "Expiration",
            "EncryptedCVN",
            "VerifyCard"
        ]
    );
}
