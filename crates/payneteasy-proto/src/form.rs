//! The bridge between typed messages and form fields.
//!
//! This crate does not choose the byte format: a codec turns [`ToForm`] output into a body and
//! feeds decoded fields to [`FromForm`]. Both directions are implemented by requests *and*
//! responses, so a client and a gateway emulator share one definition of every message.

use std::borrow::Cow;

use crate::error::ProtoError;

/// A message that can be written as an ordered list of form fields.
pub trait ToForm {
    /// The `(name, value)` pairs in wire order. Optional fields that are absent are omitted.
    fn to_form(&self) -> Vec<(&str, &str)>;
}

/// A message that can be read from decoded form fields.
pub trait FromForm: Sized {
    /// Receives the fields one at a time (a streaming decoder feeds it directly).
    type Builder: FormBuilder<Output = Self> + Default;

    /// Builds the message from `(name, value)` pairs, already percent-decoded and stripped of
    /// the gateway's line terminators.
    ///
    /// Owned values are moved into the message, borrowed ones are copied.
    ///
    /// # Errors
    /// [`ProtoError::MissingField`] when a required field is absent,
    /// [`ProtoError::DuplicateField`] when a field appears twice, and the validation errors of
    /// the message's constructor for requests.
    fn from_form<'f, I>(fields: I) -> Result<Self, ProtoError>
    where
        I: IntoIterator<Item = (Cow<'f, str>, Cow<'f, str>)>,
    {
        let mut builder = Self::Builder::default();
        for (name, value) in fields {
            builder.field(name, value)?;
        }
        builder.finish()
    }
}

/// Builds a message from fields given one at a time, in wire order.
pub trait FormBuilder {
    /// The message built.
    type Output;

    /// Takes one decoded field.
    ///
    /// # Errors
    /// [`ProtoError::DuplicateField`] when the field was already given (for fields the message
    /// keeps; requests ignore fields they do not know).
    fn field(&mut self, name: Cow<'_, str>, value: Cow<'_, str>) -> Result<(), ProtoError>;

    /// Checks that the required fields were given and returns the message.
    ///
    /// # Errors
    /// [`ProtoError::MissingField`], and for requests the validation errors of the message's
    /// constructor.
    fn finish(self) -> Result<Self::Output, ProtoError>;
}

/// Stores `value` in an empty slot, or reports the duplicate.
#[inline]
pub(crate) fn put(
    slot: &mut Option<String>,
    name: &str,
    value: Cow<'_, str>,
) -> Result<(), ProtoError> {
    if slot.is_some() {
        return Err(ProtoError::DuplicateField(name.to_owned()));
    }
    *slot = Some(value.into_owned());
    Ok(())
}

/// Parses `value` into an empty slot (no copy of the text for known values), or reports the
/// duplicate.
#[inline]
pub(crate) fn put_parsed<T>(
    slot: &mut Option<T>,
    name: &str,
    value: &str,
    parse: fn(&str) -> T,
) -> Result<(), ProtoError> {
    if slot.is_some() {
        return Err(ProtoError::DuplicateField(name.to_owned()));
    }
    *slot = Some(parse(value));
    Ok(())
}

/// Keeps a field the message does not model, refusing a second occurrence of the same name.
pub(crate) fn put_extra(
    extra: &mut Vec<(String, String)>,
    name: Cow<'_, str>,
    value: Cow<'_, str>,
) -> Result<(), ProtoError> {
    if extra.iter().any(|(n, _)| *n == name) {
        return Err(ProtoError::DuplicateField(name.into_owned()));
    }
    extra.push((name.into_owned(), value.into_owned()));
    Ok(())
}

/// Pushes `(name, value)` when the value is present.
pub(crate) fn push_opt<'a>(
    out: &mut Vec<(&'a str, &'a str)>,
    name: &'a str,
    v: &'a Option<String>,
) {
    if let Some(v) = v {
        out.push((name, v));
    }
}
