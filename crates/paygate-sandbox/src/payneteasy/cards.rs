//! The published test cards and amounts of the Payneteasy half.
//!
//! A direct payment (`sale`, `preauth`, `account-verification`, the payment form of
//! `sale-form` / `preauth-form` / `transfer-form`) takes its outcome from the card number; a
//! payment without card data (`make-rebill-*`, `transfer-by-ref`) from the stored card and
//! the amount. A test amount applies to every payment command and wins over an approving
//! card.
//!
//! | card number ([`TestCard`]) | outcome |
//! |---|---|
//! | [`CARD_APPROVED`] `4111111111111111`, [`CARD_APPROVED_MASTERCARD`] `5555555555554444` | `approved` |
//! | [`CARD_DECLINED`] `4000000000000002` | `declined` (`error-code` [`DECLINE_CODE`], "Do not honor") |
//! | [`CARD_FILTERED`] `4000000000000069` | `filtered` (fraud control) |
//! | [`CARD_ERROR`] `4000000000000119` | `error` (processing error) |
//! | [`CARD_3DS`] `4000000000003063` | `processing` with a 3-D Secure challenge: `status` carries `html`, a form to the sandbox's ACS page; the payer's choice there makes it `approved` or `declined` |
//! | [`CARD_LONG_PROCESSING`] `4000000000000077` | `processing` for [`LONG_PROCESSING_POLLS`] `status` calls, then `approved` |
//! | any other number that passes the Luhn check | `approved` |
//! | a number that fails the Luhn check | `validation-error` ([`super::ERR_INVALID_CARD`]) |
//!
//! | amount (any currency with that many fraction digits) | outcome |
//! |---|---|
//! | [`AMOUNT_DECLINED`] `40.05` | `declined` |
//! | [`AMOUNT_FILTERED`] `40.06` | `filtered` |
//! | [`AMOUNT_ERROR`] `40.07` | `error` |
//! | [`AMOUNT_LONG_PROCESSING`] `40.08` | `processing` for [`LONG_PROCESSING_POLLS`] polls, then `approved` |
//!
//! Any expiry date and CVV are accepted.

/// A v4 `sale`'s `hosted_fields_token` of the form `sandbox-card-<number>` stands for that
/// card number (`sandbox-card-4000000000003063`: a 3-D Secure challenge); any other token
/// stands for [`CARD_APPROVED`]. (The real tokens come from Payneteasy's hosted fields,
/// which the sandbox does not serve.)
pub const HOSTED_FIELDS_TOKEN_PREFIX: &str = "sandbox-card-";

/// An approved Visa test card.
pub const CARD_APPROVED: &str = "4111111111111111";
/// An approved Mastercard test card.
pub const CARD_APPROVED_MASTERCARD: &str = "5555555555554444";
/// A declined test card.
pub const CARD_DECLINED: &str = "4000000000000002";
/// A test card filtered by fraud control (`status=filtered`).
pub const CARD_FILTERED: &str = "4000000000000069";
/// A test card whose payment fails with `status=error`.
pub const CARD_ERROR: &str = "4000000000000119";
/// A test card that asks for a 3-D Secure challenge.
pub const CARD_3DS: &str = "4000000000003063";
/// A test card whose payment stays `processing` for [`LONG_PROCESSING_POLLS`] status calls.
pub const CARD_LONG_PROCESSING: &str = "4000000000000077";

/// A test amount that is declined.
pub const AMOUNT_DECLINED: &str = "40.05";
/// A test amount that is filtered by fraud control.
pub const AMOUNT_FILTERED: &str = "40.06";
/// A test amount that fails with `status=error`.
pub const AMOUNT_ERROR: &str = "40.07";
/// A test amount that stays `processing` for [`LONG_PROCESSING_POLLS`] status calls.
pub const AMOUNT_LONG_PROCESSING: &str = "40.08";

/// How many `status` calls a long-processing payment answers `processing` before it is
/// approved.
pub const LONG_PROCESSING_POLLS: u32 = 3;

/// The `error-code` of a declined test payment (the sandbox's own; the gateway's list is not
/// published).
pub const DECLINE_CODE: &str = "05";

/// What a test card or amount does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TestOutcome {
    /// `approved` at once.
    Approved,
    /// `declined`.
    Declined,
    /// `filtered` by fraud control.
    Filtered,
    /// `error`.
    Error,
    /// `processing` with a 3-D Secure challenge (`html` in `status`).
    ThreeDsChallenge,
    /// `processing` for [`LONG_PROCESSING_POLLS`] polls, then `approved`.
    LongProcessing,
}

impl TestOutcome {
    /// A short name: `approved`, `declined`, `filtered`, `error`, `3ds-challenge`,
    /// `long-processing`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Approved => "approved",
            TestOutcome::Declined => "declined",
            TestOutcome::Filtered => "filtered",
            TestOutcome::Error => "error",
            TestOutcome::ThreeDsChallenge => "3ds-challenge",
            TestOutcome::LongProcessing => "long-processing",
        }
    }
}

/// A published test card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TestCard {
    /// The card number.
    pub number: &'static str,
    /// What a payment with it does.
    pub outcome: TestOutcome,
}

/// A published test amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TestAmount {
    /// The amount, decimal text.
    pub amount: &'static str,
    /// What a payment of that amount does.
    pub outcome: TestOutcome,
}

/// Every published test card, in the order of the table above.
pub const TEST_CARDS: &[TestCard] = &[
    TestCard {
        number: CARD_APPROVED,
        outcome: TestOutcome::Approved,
    },
    TestCard {
        number: CARD_APPROVED_MASTERCARD,
        outcome: TestOutcome::Approved,
    },
    TestCard {
        number: CARD_DECLINED,
        outcome: TestOutcome::Declined,
    },
    TestCard {
        number: CARD_FILTERED,
        outcome: TestOutcome::Filtered,
    },
    TestCard {
        number: CARD_ERROR,
        outcome: TestOutcome::Error,
    },
    TestCard {
        number: CARD_3DS,
        outcome: TestOutcome::ThreeDsChallenge,
    },
    TestCard {
        number: CARD_LONG_PROCESSING,
        outcome: TestOutcome::LongProcessing,
    },
];

/// Every published test amount.
pub const TEST_AMOUNTS: &[TestAmount] = &[
    TestAmount {
        amount: AMOUNT_DECLINED,
        outcome: TestOutcome::Declined,
    },
    TestAmount {
        amount: AMOUNT_FILTERED,
        outcome: TestOutcome::Filtered,
    },
    TestAmount {
        amount: AMOUNT_ERROR,
        outcome: TestOutcome::Error,
    },
    TestAmount {
        amount: AMOUNT_LONG_PROCESSING,
        outcome: TestOutcome::LongProcessing,
    },
];

/// Whether `number` is 12 to 19 digits passing the Luhn check.
#[must_use]
pub fn luhn_valid(number: &str) -> bool {
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The outcome of a card number (`None`: it fails the Luhn check).
#[must_use]
pub fn card_outcome(number: &str) -> Option<TestOutcome> {
    if !luhn_valid(number) {
        return None;
    }
    Some(
        TEST_CARDS
            .iter()
            .find(|c| c.number == number)
            .map_or(TestOutcome::Approved, |c| c.outcome),
    )
}

/// The outcome a test amount forces, if `minor` (minor units of `currency`) is one.
#[must_use]
pub fn amount_outcome(minor: u64, currency: &str) -> Option<TestOutcome> {
    TEST_AMOUNTS
        .iter()
        .find(|a| payneteasy_proto::amount_minor_units(a.amount, currency) == Ok(minor))
        .map(|a| a.outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_passes_luhn_and_is_unique() {
        for (i, card) in TEST_CARDS.iter().enumerate() {
            assert!(luhn_valid(card.number), "{}", card.number);
            assert_eq!(card_outcome(card.number), Some(card.outcome));
            assert!(TEST_CARDS[i + 1..].iter().all(|c| c.number != card.number));
        }
        assert_eq!(
            card_outcome("4242424242424242"),
            Some(TestOutcome::Approved)
        );
        for bad in ["4111111111111112", "", "41111111111111x1", "4111"] {
            assert_eq!(card_outcome(bad), None, "{bad}");
        }
    }

    #[test]
    fn test_amounts() {
        assert_eq!(amount_outcome(4005, "USD"), Some(TestOutcome::Declined));
        assert_eq!(
            amount_outcome(4008, "EUR"),
            Some(TestOutcome::LongProcessing)
        );
        assert_eq!(
            amount_outcome(4005, "JPY"),
            None,
            "40.05 JPY does not exist"
        );
        assert_eq!(amount_outcome(1000, "USD"), None);
    }
}
