//! Card data and credentials: typed, secret-free errors and redacted `Debug`.

use paysecure_proto::card::{Cvn, Pan};
use paysecure_proto::{Error, Password, RequestorCredentials};

#[test]
fn card_data_errors_are_typed_and_secret_free() {
    use paysecure_proto::CardDataProblem::*;
    let secret = "4111111111111112";
    for (input, expected) in [
        (secret, Luhn),
        ("4111-1111-1111-111a", NonDigit),
        ("4111.1111.1111.1111", NonDigit),
        (
            "41111111111",
            Length {
                len: 11,
                min: 12,
                max: 19,
            },
        ),
        (
            "41111111111111111111",
            Length {
                len: 20,
                min: 12,
                max: 19,
            },
        ),
    ] {
        let err = Pan::new(input).unwrap_err();
        assert_eq!(err, Error::InvalidPan(expected), "{input}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("41111111"), "{shown}");
    }
    assert_eq!(
        Cvn::new("12").unwrap_err(),
        Error::InvalidCvn(Length {
            len: 2,
            min: 3,
            max: 4
        })
    );
    assert_eq!(Cvn::new("1 3").unwrap_err(), Error::InvalidCvn(NonDigit));
}

#[test]
fn debug_never_shows_secrets() {
    let pan = Pan::new("4012888888881881").unwrap();
    let cvn = Cvn::new("4321").unwrap();
    let creds = RequestorCredentials::new("m", "u", Password::new("pw-topsecret"), "v").unwrap();
    let all = format!(
        "{pan:?} {pan} {pan:#?} {cvn:?} {cvn} {cvn:#?} {creds:?} {creds:#?} {}",
        creds.password()
    );
    assert!(!all.contains("401288888888"), "{all}");
    assert!(!all.contains("401288"), "{all}");
    assert!(!all.contains("4321"), "{all}");
    assert!(!all.contains("pw-topsecret"), "{all}");
    assert!(all.contains("****1881"));
    assert_eq!(pan.last4(), "1881");
    assert_eq!(pan.bin(), "401288");
}
