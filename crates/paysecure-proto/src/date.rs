//! WCF / ServiceStack dates: `/Date(ms)/`, `/Date(ms±HHMM)/`.

use core::fmt;
use core::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, bounded};

/// Milliseconds in fourteen hours, the largest UTC offset .NET knows.
const FOURTEEN_HOURS_MS: i64 = 14 * 60 * 60 * 1000;

/// The suffix of a WCF date: `+HHMM` or `-HHMM`.
///
/// ServiceStack uses it only to record the .NET `DateTimeKind`: no suffix means UTC, `-0000`
/// means "unspecified", and any other value is the server's local offset. The instant itself is
/// always UTC milliseconds, so the suffix never shifts it. `-0000` and `+0000` are kept apart so a
/// value re-encodes byte for byte.
///
/// **Decision:** accepted offsets are those .NET itself allows for a `DateTimeOffset`: `HH` in
/// `00..=14`, `MM` in `00..=59`, and at most 14:00 in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WcfOffset {
    negative: bool,
    hours: u8,
    minutes: u8,
}

impl WcfOffset {
    /// `-0000`: ServiceStack's marker for a `DateTimeKind.Unspecified` value.
    pub const UNSPECIFIED: Self = Self {
        negative: true,
        hours: 0,
        minutes: 0,
    };

    /// `+0000`: a local offset that happens to be zero (not the same text as [`Self::UNSPECIFIED`]).
    pub const PLUS_ZERO: Self = Self {
        negative: false,
        hours: 0,
        minutes: 0,
    };

    /// Builds `±HHMM` from its parts.
    ///
    /// # Errors
    /// [`Error::InvalidOffset`] when `minutes > 59` or the total exceeds 14:00.
    pub const fn new(negative: bool, hours: u8, minutes: u8) -> Result<Self, Error> {
        if minutes > 59 {
            return Err(Error::InvalidOffset {
                reason: "minutes above 59",
            });
        }
        if hours > 14 || (hours == 14 && minutes != 0) {
            return Err(Error::InvalidOffset {
                reason: "more than 14:00 from UTC",
            });
        }
        Ok(Self {
            negative,
            hours,
            minutes,
        })
    }

    /// Builds the offset from signed minutes east of UTC; `0` gives `+0000`.
    ///
    /// # Errors
    /// [`Error::InvalidOffset`] when `|minutes| > 840` (14:00).
    pub const fn from_minutes(minutes: i16) -> Result<Self, Error> {
        let abs = minutes.unsigned_abs();
        if abs > 14 * 60 {
            return Err(Error::InvalidOffset {
                reason: "more than 14:00 from UTC",
            });
        }
        // Both parts are below 256 after the range check above.
        Self::new(minutes < 0, (abs / 60) as u8, (abs % 60) as u8)
    }

    /// `true` for a leading `-`.
    #[must_use]
    pub const fn is_negative(self) -> bool {
        self.negative
    }

    /// The `HH` part.
    #[must_use]
    pub const fn hours(self) -> u8 {
        self.hours
    }

    /// The `MM` part.
    #[must_use]
    pub const fn minutes(self) -> u8 {
        self.minutes
    }

    /// Signed minutes east of UTC (`-0000` and `+0000` both give `0`).
    #[must_use]
    pub const fn total_minutes(self) -> i16 {
        let abs = self.hours as i16 * 60 + self.minutes as i16;
        if self.negative { -abs } else { abs }
    }

    /// `true` for `-0000`, ServiceStack's "unspecified kind" marker.
    #[must_use]
    pub const fn is_unspecified(self) -> bool {
        self.negative && self.hours == 0 && self.minutes == 0
    }
}

impl fmt::Display for WcfOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { '-' } else { '+' };
        write!(f, "{sign}{:02}{:02}", self.hours, self.minutes)
    }
}

/// What the suffix of a [`WcfDate`] says about the .NET `DateTimeKind` of the original value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateKind {
    /// No suffix: `DateTimeKind.Utc`.
    Utc,
    /// `-0000`: `DateTimeKind.Unspecified`.
    Unspecified,
    /// Any other suffix: `DateTimeKind.Local`, with the server's offset.
    Local(WcfOffset),
}

/// A WCF / ServiceStack JSON date: UTC milliseconds since the Unix epoch plus the optional suffix,
/// kept so the value re-encodes byte for byte.
///
/// The text form is `/Date(ms)/` or `/Date(ms±HHMM)/` (in JSON the slashes are written `\/`; that
/// is the codec's business). Parsing follows `^/Date\((-?\d+)([+-]\d{4})?\)/$` exactly.
/// **Decision:** ISO-8601 strings, which ServiceStack servers also accept, are rejected: this host
/// never sends them, and one accepted form keeps round trips exact. Leading zeros in the
/// milliseconds are accepted (the pattern allows them) but are not preserved.
///
/// Valid instants are [`WcfDate::MIN_MS`]`..=`[`WcfDate::MAX_MS`]: every millisecond .NET's
/// `DateTime` can hold, widened by 14 hours on each side because a `Local` value near either end
/// converts to UTC milliseconds just outside it.
///
/// ```
/// use paysecure_proto::{DateKind, WcfDate};
///
/// let d = WcfDate::parse("/Date(1673335450123+0330)/")?;
/// assert_eq!(d.unix_millis(), 1_673_335_450_123);
/// assert!(matches!(d.kind(), DateKind::Local(o) if o.total_minutes() == 210));
/// assert_eq!(d.to_string(), "/Date(1673335450123+0330)/");
///
/// let unset = WcfDate::parse("/Date(-62135596800000-0000)/")?;
/// assert!(unset.is_unset());
/// # Ok::<(), paysecure_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WcfDate {
    millis: i64,
    suffix: Option<WcfOffset>,
}

impl WcfDate {
    /// .NET `DateTime.MinValue` (0001-01-01T00:00:00Z) in Unix milliseconds: "not set".
    pub const DOTNET_MIN_MS: i64 = -62_135_596_800_000;
    /// .NET `DateTime.MaxValue` (9999-12-31T23:59:59.999Z) in Unix milliseconds.
    pub const DOTNET_MAX_MS: i64 = 253_402_300_799_999;
    /// Smallest accepted instant: `DateTime.MinValue` minus 14 hours.
    pub const MIN_MS: i64 = Self::DOTNET_MIN_MS - FOURTEEN_HOURS_MS;
    /// Largest accepted instant: `DateTime.MaxValue` plus 14 hours.
    pub const MAX_MS: i64 = Self::DOTNET_MAX_MS + FOURTEEN_HOURS_MS;

    /// `DateTime.MinValue` written the way ServiceStack writes it, `/Date(-62135596800000-0000)/`.
    pub const NOT_SET: Self = Self {
        millis: Self::DOTNET_MIN_MS,
        suffix: Some(WcfOffset::UNSPECIFIED),
    };

    /// A date from UTC milliseconds and an optional suffix.
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] outside [`Self::MIN_MS`]`..=`[`Self::MAX_MS`].
    pub const fn new(unix_millis: i64, suffix: Option<WcfOffset>) -> Result<Self, Error> {
        if unix_millis < Self::MIN_MS || unix_millis > Self::MAX_MS {
            return Err(Error::DateOutOfRange {
                reason: "outside .NET DateTime range",
            });
        }
        Ok(Self {
            millis: unix_millis,
            suffix,
        })
    }

    /// A UTC date (no suffix).
    ///
    /// # Errors
    /// As [`Self::new`].
    pub const fn utc(unix_millis: i64) -> Result<Self, Error> {
        Self::new(unix_millis, None)
    }

    /// Parses `/Date(ms)/` or `/Date(ms±HHMM)/` (the JSON string after unescaping).
    ///
    /// # Errors
    /// [`Error::InvalidDate`] quoting the value (cut to 64 characters) for anything else, for
    /// milliseconds outside the accepted range and for offsets outside ±14:00 or with `MM > 59`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let inner = text
            .strip_prefix("/Date(")
            .and_then(|rest| rest.strip_suffix(")/"))
            .ok_or_else(|| invalid(text, "expected /Date(milliseconds[±HHMM])/"))?;
        Self::parse_inner(inner).map_err(|e| match e {
            Error::InvalidDate { reason, .. } => invalid(text, reason),
            other => other,
        })
    }

    /// Parses what lies between `/Date(` and `)/`: `ms` or `ms±HHMM`. For codecs that have
    /// already matched the delimiters (in JSON they may be written `\/Date(` and `)\/`).
    ///
    /// # Errors
    /// As [`Self::parse`]; the error quotes `inner` only.
    pub fn parse_inner(inner: &str) -> Result<Self, Error> {
        let bytes = inner.as_bytes();
        let negative = bytes.first() == Some(&b'-');
        let digits_start = usize::from(negative);
        let digits_end = bytes[digits_start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |p| p + digits_start);
        let digits = &bytes[digits_start..digits_end];
        if digits.is_empty() {
            return Err(invalid(inner, "expected milliseconds (digits)"));
        }
        // Leading zeros are allowed by the pattern; past them, 16 digits already exceed the range.
        let significant = &digits[digits
            .iter()
            .position(|&b| b != b'0')
            .unwrap_or(digits.len())..];
        if significant.len() > 16 {
            return Err(invalid(inner, "milliseconds outside .NET DateTime range"));
        }
        let magnitude = significant
            .iter()
            .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'));
        let millis = if negative { -magnitude } else { magnitude };
        let suffix = match &bytes[digits_end..] {
            [] => None,
            [sign @ (b'+' | b'-'), h1, h2, m1, m2]
                if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
            {
                let hours = (h1 - b'0') * 10 + (h2 - b'0');
                let minutes = (m1 - b'0') * 10 + (m2 - b'0');
                match WcfOffset::new(*sign == b'-', hours, minutes) {
                    Ok(offset) => Some(offset),
                    Err(Error::InvalidOffset { reason }) => return Err(invalid(inner, reason)),
                    Err(other) => return Err(other),
                }
            }
            _ => return Err(invalid(inner, "offset must be +HHMM or -HHMM")),
        };
        if !(Self::MIN_MS..=Self::MAX_MS).contains(&millis) {
            return Err(invalid(inner, "milliseconds outside .NET DateTime range"));
        }
        Ok(Self { millis, suffix })
    }

    /// UTC milliseconds since the Unix epoch.
    #[must_use]
    pub const fn unix_millis(self) -> i64 {
        self.millis
    }

    /// The suffix as received (`None` when there was none).
    #[must_use]
    pub const fn suffix(self) -> Option<WcfOffset> {
        self.suffix
    }

    /// The .NET kind recorded by the suffix.
    #[must_use]
    pub const fn kind(self) -> DateKind {
        match self.suffix {
            None => DateKind::Utc,
            Some(o) if o.is_unspecified() => DateKind::Unspecified,
            Some(o) => DateKind::Local(o),
        }
    }

    /// `true` for .NET `DateTime.MinValue` (whatever the suffix): the server's "not set".
    #[must_use]
    pub const fn is_unset(self) -> bool {
        self.millis == Self::DOTNET_MIN_MS
    }

    /// The instant as a [`SystemTime`], or `None` if the platform cannot represent it.
    #[must_use]
    pub fn to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_millis(self.millis.unsigned_abs());
        if self.millis < 0 {
            UNIX_EPOCH.checked_sub(magnitude)
        } else {
            UNIX_EPOCH.checked_add(magnitude)
        }
    }

    /// A UTC date (no suffix) from a [`SystemTime`]; sub-millisecond parts are truncated toward
    /// the past.
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] outside [`Self::MIN_MS`]`..=`[`Self::MAX_MS`].
    pub fn from_system_time(t: SystemTime) -> Result<Self, Error> {
        let out = || Error::DateOutOfRange {
            reason: "outside .NET DateTime range",
        };
        let millis = match t.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).map_err(|_| out())?,
            Err(before) => {
                let d = before.duration();
                let whole = i64::try_from(d.as_millis()).map_err(|_| out())?;
                // Round toward the past: a remainder below one millisecond takes one more off.
                if d.subsec_nanos() % 1_000_000 == 0 {
                    -whole
                } else {
                    -whole - 1
                }
            }
        };
        Self::utc(millis)
    }
}

#[cfg(feature = "time")]
#[cfg_attr(docsrs, doc(cfg(feature = "time")))]
impl WcfDate {
    /// The instant as a [`time::OffsetDateTime`]: at the suffix's offset for a `Local` date, at
    /// UTC otherwise.
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`] when the result falls outside `time`'s year range (±9999), which
    /// happens only within 14 hours of .NET's `DateTime.MaxValue`.
    pub fn to_offset_date_time(self) -> Result<time::OffsetDateTime, Error> {
        let out = || Error::DateOutOfRange {
            reason: "outside time::OffsetDateTime range",
        };
        let utc =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.millis) * 1_000_000)
                .map_err(|_| out())?;
        match self.kind() {
            DateKind::Local(o) => {
                let offset = time::UtcOffset::from_whole_seconds(i32::from(o.total_minutes()) * 60)
                    .map_err(|_| out())?;
                utc.checked_to_offset(offset).ok_or_else(out)
            }
            DateKind::Utc | DateKind::Unspecified => Ok(utc),
        }
    }
}

#[cfg(feature = "time")]
#[cfg_attr(docsrs, doc(cfg(feature = "time")))]
impl TryFrom<time::OffsetDateTime> for WcfDate {
    type Error = Error;

    /// A zero offset gives a UTC date (no suffix); any other offset becomes a `Local` suffix.
    /// Sub-millisecond parts are truncated toward the past.
    fn try_from(t: time::OffsetDateTime) -> Result<Self, Error> {
        let offset_seconds = t.offset().whole_seconds();
        if offset_seconds % 60 != 0 {
            return Err(Error::InvalidOffset {
                reason: "offset has seconds",
            });
        }
        let suffix = if offset_seconds == 0 {
            None
        } else {
            let minutes = i16::try_from(offset_seconds / 60).map_err(|_| Error::InvalidOffset {
                reason: "more than 14:00 from UTC",
            })?;
            Some(WcfOffset::from_minutes(minutes)?)
        };
        let millis = t.unix_timestamp_nanos().div_euclid(1_000_000);
        let millis = i64::try_from(millis).map_err(|_| Error::DateOutOfRange {
            reason: "outside .NET DateTime range",
        })?;
        Self::new(millis, suffix)
    }
}

#[cold]
fn invalid(text: &str, reason: &'static str) -> Error {
    Error::InvalidDate {
        value: bounded(text, 64),
        reason,
    }
}

impl fmt::Display for WcfDate {
    /// `/Date(ms)/` or `/Date(ms±HHMM)/`, without JSON escapes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.suffix {
            Some(o) => write!(f, "/Date({}{o})/", self.millis),
            None => write!(f, "/Date({})/", self.millis),
        }
    }
}

impl WcfDate {
    /// The name under which a date asks a deserializer for a newtype struct, so that a codec
    /// can report a bad value as [`Error::InvalidDate`] rather than as a JSON error.
    #[doc(hidden)]
    pub const NEWTYPE_NAME: &'static str = "WcfDate";
}

impl Serialize for WcfDate {
    /// The text form, `/Date(ms[±HHMM])/` (a JSON codec writes the `\/` escapes).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WcfDate {
    /// From a string, as [`WcfDate::parse`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::serde_support::parsed_newtype(
            deserializer,
            Self::NEWTYPE_NAME,
            "a WCF date /Date(ms[±HHMM])/",
            Self::parse,
        )
    }
}

impl FromStr for WcfDate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_redisplays() {
        for text in [
            "/Date(-62135596800000-0000)/",
            "/Date(1673335450123)/",
            "/Date(1673335450123+0330)/",
            "/Date(-86400000-0500)/",
            "/Date(0)/",
            "/Date(0+0000)/",
            "/Date(0+1400)/",
            "/Date(0-1400)/",
        ] {
            let d = WcfDate::parse(text).unwrap();
            assert_eq!(d.to_string(), text);
        }
    }

    #[test]
    fn distinguishes_minus_zero() {
        let minus = WcfDate::parse("/Date(0-0000)/").unwrap();
        let plus = WcfDate::parse("/Date(0+0000)/").unwrap();
        assert_ne!(minus, plus);
        assert_eq!(minus.kind(), DateKind::Unspecified);
        assert_eq!(plus.kind(), DateKind::Local(WcfOffset::PLUS_ZERO));
        assert_eq!(WcfDate::parse("/Date(0)/").unwrap().kind(), DateKind::Utc);
    }

    #[test]
    fn rejects_and_quotes() {
        for text in [
            "Date(0)",
            "/Date()/",
            "/Date(12a)/",
            "/Date(1+05)/",
            "/Date(1+0560)/",
            "/Date(1+1401)/",
            "/Date(1+1500)/",
            "/Date(99999999999999999999)/",
            "/Date(-)/",
            "/Date(+5)/",
            "/Date(1 )/",
            "/Date(1)/ ",
            "2023-01-10T07:24:10Z",
            "",
        ] {
            match WcfDate::parse(text) {
                Err(Error::InvalidDate { value, .. }) => assert_eq!(value, text),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(WcfDate::parse("/Date(00000000000000000000001)/").is_ok());
        assert!(WcfDate::parse_inner("1+0100").is_ok());
        assert!(
            matches!(WcfDate::parse_inner("x"), Err(Error::InvalidDate { value, .. }) if value == "x")
        );
        let long = format!("/Date({})/", "1".repeat(200));
        let err = WcfDate::parse(&long).unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn range_edges() {
        assert!(WcfDate::utc(WcfDate::MIN_MS).is_ok());
        assert!(WcfDate::utc(WcfDate::MAX_MS).is_ok());
        assert!(WcfDate::utc(WcfDate::MIN_MS - 1).is_err());
        assert!(WcfDate::utc(WcfDate::MAX_MS + 1).is_err());
        assert!(WcfDate::parse(&format!("/Date({})/", WcfDate::MAX_MS + 1)).is_err());
        assert!(WcfDate::NOT_SET.is_unset());
    }

    #[test]
    fn system_time_round_trip() {
        for ms in [
            0,
            1,
            -1,
            1_673_335_450_123,
            WcfDate::DOTNET_MIN_MS,
            WcfDate::DOTNET_MAX_MS,
        ] {
            let d = WcfDate::utc(ms).unwrap();
            let t = d.to_system_time().unwrap();
            assert_eq!(WcfDate::from_system_time(t).unwrap(), d);
        }
        let just_before = UNIX_EPOCH - Duration::from_nanos(1);
        assert_eq!(
            WcfDate::from_system_time(just_before)
                .unwrap()
                .unix_millis(),
            -1
        );
    }

    #[cfg(feature = "time")]
    #[test]
    fn offset_date_time() {
        let d = WcfDate::parse("/Date(1673335450123+0330)/").unwrap();
        let t = d.to_offset_date_time().unwrap();
        assert_eq!(t.offset().whole_minutes(), 210);
        assert_eq!(t.unix_timestamp_nanos(), 1_673_335_450_123_000_000);
        assert_eq!(WcfDate::try_from(t).unwrap(), d);
        let utc = WcfDate::utc(-86_400_001).unwrap();
        assert_eq!(
            WcfDate::try_from(utc.to_offset_date_time().unwrap()).unwrap(),
            utc
        );
        assert!(
            WcfDate::utc(WcfDate::MAX_MS)
                .unwrap()
                .to_offset_date_time()
                .is_err()
        );
        assert!(
            WcfDate::utc(WcfDate::DOTNET_MIN_MS)
                .unwrap()
                .to_offset_date_time()
                .is_ok()
        );
    }
}
