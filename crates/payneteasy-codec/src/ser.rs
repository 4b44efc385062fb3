//! The serde serializer of the form format: a message becomes its `(name, value)` pairs in
//! declaration order (then [`encode_form`](crate::encode_form) or
//! [`encode_response_body`](crate::encode_response_body) writes the bytes).
//!
//! A message is a struct (or a map, which serde uses for a struct with a `flatten` field) whose
//! values are text, numbers, booleans, unit enum variants or options of those; `None` is
//! omitted.

use std::borrow::Cow;

use payneteasy_proto::wire::{FieldSink, serialize_fields};
use serde::ser::{self, Serialize};

use crate::error::EncodeError;

/// The fields of a message, in declaration order (absent options left out).
///
/// The walk is [`payneteasy_proto::wire::serialize_fields`], the same one the protocol
/// crate validates requests with; this crate only collects the pairs.
///
/// # Errors
/// [`EncodeError::Unsupported`] when the message is not a struct or map of scalar values.
pub fn to_fields<T: Serialize + ?Sized>(message: &T) -> Result<Vec<(String, String)>, EncodeError> {
    let mut pairs = Collect(Vec::new());
    serialize_fields(message, &mut pairs)?;
    Ok(pairs.0)
}

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::Unsupported(msg.to_string())
    }
}

/// Collects the pairs of [`to_fields`].
struct Collect(Vec<(String, String)>);

impl FieldSink for Collect {
    type Error = EncodeError;
    fn field(&mut self, name: Cow<'static, str>, value: String) -> Result<(), EncodeError> {
        self.0.push((name.into_owned(), value));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Mixed {
        text: &'static str,
        number: u32,
        flag: bool,
        absent: Option<String>,
        present: Option<&'static str>,
    }

    #[test]
    fn scalars_in_order_and_absent_options_left_out() {
        let m = Mixed {
            text: "a b",
            number: 7,
            flag: true,
            absent: None,
            present: Some("x"),
        };
        let fields = to_fields(&m).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["text", "number", "flag", "present"]);
        assert_eq!(fields[1].1, "7");
        let map: BTreeMap<&str, &str> = [("b", "2"), ("a", "1")].into_iter().collect();
        assert_eq!(to_fields(&map).unwrap()[0], ("a".into(), "1".into()));
    }

    #[test]
    fn other_shapes_are_typed_errors() {
        #[derive(Serialize)]
        struct Nested {
            list: Vec<u8>,
        }
        assert!(matches!(
            to_fields(&Nested { list: vec![1] }),
            Err(EncodeError::Unsupported(_))
        ));
        assert!(matches!(
            to_fields("text"),
            Err(EncodeError::Unsupported(_))
        ));
        assert!(matches!(
            to_fields(&[1, 2]),
            Err(EncodeError::Unsupported(_))
        ));
    }
}
