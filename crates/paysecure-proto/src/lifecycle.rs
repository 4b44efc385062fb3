//! The services after `CreateKey` and `TokenizeCard`: the shared types (`Card`,
//! `OriginalTransaction`, `MerchantDescriptor`, `Avs`, `Transaction`, …) and the DTOs of
//! `PSBINCheck`, `TransactionStatus`, `Initiate`, `PreAuthCapture`, `PreAuthVoid` and `Reverse`.
//!
//! Each DTO is declared once, here, from PaySecure's published service metadata (member
//! names exact: `Card` spells **`KeyID`**, `TokenizeCardRequest` `KeyId`). The metadata marks
//! every member but `Credentials` `Required: No`, so every other member is an `Option`; the
//! constructors check only what is structurally needed (a `TranId` or `OriginalData`, an
//! `Amount` above zero).
//!
//! **Amounts** are integers in **minor units** (cents) with their `CurrencyCode`: the
//! metadata types them `int`; minor units are an *inference* from that type and from an older
//! client's `(amt*100).to_i`. Requests take `u64`, answers decode `i64`.
//!
//! **Left out** (members published only in part, or with unknown semantics):
//! `SignatureHash` (its formula is not published) and the request `ExtendedData` (its member
//! list is cut off in every stored metadata page, and the `NetworkName` values are unknown).
//! The common request members (`ReferenceKey`, `Custom1`–`Custom5`, `IntegratorID`) are
//! declared once ([`common_request_members!`]) and written after each request's own members.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::card::{CardExpiration, EncryptedCardData};
use crate::credentials::RequestorCredentials;
use crate::enums::{CardInfoType, OriginalDataType, TelephoneType, TransType};
use crate::error::Error;
use crate::messages::Timestamps;

/// Declares a request DTO with the common request members appended (`ReferenceKey`,
/// `Custom1`–`Custom5`, `IntegratorID`), the one place they are declared, and a
/// `with_reference_key` setter.
macro_rules! common_request_members {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $($body)*
            /// `ReferenceKey`: the merchant's own reference, usable as lookup key
            /// [`OriginalDataType::ReferenceKey`].
            #[serde(skip_serializing_if = "Option::is_none")]
            pub reference_key: Option<String>,
            /// `Custom1`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub custom1: Option<String>,
            /// `Custom2`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub custom2: Option<String>,
            /// `Custom3`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub custom3: Option<String>,
            /// `Custom4`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub custom4: Option<String>,
            /// `Custom5`.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub custom5: Option<String>,
            /// `IntegratorID`.
            #[serde(rename = "IntegratorID", skip_serializing_if = "Option::is_none")]
            pub integrator_id: Option<String>,
        }

        impl $name {
            /// Sets `ReferenceKey`, the merchant's own reference (also the key to find the
            /// transaction with `TransactionStatus` after an unknown outcome).
            #[must_use]
            pub fn with_reference_key(mut self, reference_key: impl Into<String>) -> Self {
                self.reference_key = Some(reference_key.into());
                self
            }
        }
    };
}

/// `Card`: card data for `Initiate`, as a token or as ciphertext with its `KeyID`.
/// `Debug` never shows `CardNumberData`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Card {
    /// `CardDataType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_data_type: Option<CardInfoType>,
    /// `CardNumberData`: the token, or the ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_number_data: Option<String>,
    /// `KeyID` (spelled so in this DTO) of the key the ciphertext was made with.
    #[serde(rename = "KeyID", skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Card {
    /// `CardDataType` `Token` with a `CardToken` from `TokenizeCard`.
    #[must_use]
    pub fn token(card_token: impl Into<String>) -> Self {
        Card {
            card_data_type: Some(CardInfoType::Token),
            card_number_data: Some(card_token.into()),
            key_id: None,
        }
    }

    /// `CardDataType` `Encrypted`: the ciphertext of the PAN and its `KeyID`.
    #[must_use]
    pub fn encrypted(data: EncryptedCardData) -> Self {
        Card {
            card_data_type: Some(CardInfoType::Encrypted),
            card_number_data: Some(data.ciphertext),
            key_id: Some(data.key_id),
        }
    }
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("card_data_type", &self.card_data_type)
            .field(
                "card_number_data",
                &self.card_number_data.as_ref().map(|_| "<redacted>"),
            )
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// `OriginalTransaction`: which transaction a call is about, by one of four identifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OriginalTransaction {
    /// `OriginalIdentifierType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_identifier_type: Option<OriginalDataType>,
    /// `OriginalDataIdentifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_data_identifier: Option<String>,
}

impl OriginalTransaction {
    /// The transaction with this identifier of this type.
    ///
    /// # Errors
    /// [`Error::MissingField`] (`OriginalDataIdentifier`) for an empty identifier.
    pub fn new(kind: OriginalDataType, identifier: impl Into<String>) -> Result<Self, Error> {
        let identifier = identifier.into();
        if identifier.is_empty() {
            return Err(Error::MissingField {
                field: "OriginalDataIdentifier",
            });
        }
        Ok(OriginalTransaction {
            original_identifier_type: Some(kind),
            original_data_identifier: Some(identifier),
        })
    }

    /// By the `TranId` PaySecure answered.
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn by_tran_id(tran_id: impl Into<String>) -> Result<Self, Error> {
        Self::new(OriginalDataType::TransactionId, tran_id)
    }

    /// By the merchant's `ReferenceKey`.
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn by_reference_key(reference_key: impl Into<String>) -> Result<Self, Error> {
        Self::new(OriginalDataType::ReferenceKey, reference_key)
    }

    /// `true` when both members are set and the identifier is not empty.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.original_identifier_type.is_some()
            && self
                .original_data_identifier
                .as_deref()
                .is_some_and(|id| !id.is_empty())
    }
}

/// `MerchantDataElements`, the `DataElements` of a [`MerchantDescriptor`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MerchantDataElements {
    /// `RefundSettlementTypeDetails`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_settlement_type_details: Option<i32>,
    /// `SendRecurringPOSEntryModeFeature`.
    #[serde(
        rename = "SendRecurringPOSEntryModeFeature",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_recurring_pos_entry_mode_feature: Option<bool>,
    /// `UseOrgPOSCode`.
    #[serde(rename = "UseOrgPOSCode", skip_serializing_if = "Option::is_none")]
    pub use_org_pos_code: Option<bool>,
}

/// `MerchantDescriptor` (the `MerchantDetails` of a request), with the `DataElements` of its
/// base `MerchantDescriptorBase` last.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MerchantDescriptor {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Address`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `City`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `State`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `Zip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// `Country`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `CustomerServiceNumber`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_service_number: Option<String>,
    /// `MCC`.
    #[serde(rename = "MCC", skip_serializing_if = "Option::is_none")]
    pub mcc: Option<String>,
    /// `FNSnum`.
    #[serde(rename = "FNSnum", skip_serializing_if = "Option::is_none")]
    pub fns_num: Option<String>,
    /// `Email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `DataElements` (from `MerchantDescriptorBase`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_elements: Option<MerchantDataElements>,
}

/// `Avs`: the address-verification data of the payer. Declared for the types that carry it;
/// none of the services here takes it as a request member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Avs {
    /// `Address`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `City`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `State`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `Zip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// `Country`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `Email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `IPAddress`.
    #[serde(rename = "IPAddress", skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// `TelephoneNumber`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone_number: Option<String>,
    /// `TelephoneType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone_type: Option<TelephoneType>,
    /// `DeliveryMethod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_method: Option<i32>,
    /// `FirstName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// `MiddleName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// `LastName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// `Transaction`: one transaction as `TransactionStatus` reports it. The values of `Status`
/// and `ResponseCode` are not published: they are kept as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Transaction {
    /// `TranId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tran_id: Option<String>,
    /// `Status` (no public list of values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `ApprovalCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_code: Option<String>,
    /// `ResponseCode` (no public list of values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    /// `TransactionDT`, as sent.
    #[serde(rename = "TransactionDT", skip_serializing_if = "Option::is_none")]
    pub transaction_dt: Option<String>,
    /// `TransactionAmount`, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_amount: Option<i64>,
    /// `Network`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// `ApprovedAmount`, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_amount: Option<i64>,
    /// `OpenAmount`, minor units: what is still authorised and not captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_amount: Option<i64>,
    /// `ParentTranId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_tran_id: Option<String>,
    /// `ExternalIds` (empty when absent, left out when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_ids: Vec<String>,
    /// `LocalDateTime`, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_date_time: Option<String>,
    /// `CurrencyCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    /// `AVS`: the address-verification result (typed text: the metadata names no type).
    #[serde(rename = "AVS", skip_serializing_if = "Option::is_none")]
    pub avs: Option<String>,
    /// `CVN`: the CVN-check result (text, as `AVS`).
    #[serde(rename = "CVN", skip_serializing_if = "Option::is_none")]
    pub cvn: Option<String>,
}

/// `CardAccountUpdaterDescriptor`, in [`ExtendedResponse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CardAccountUpdaterDescriptor {
    /// `CardDataType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_data_type: Option<CardInfoType>,
    /// `CardNumberInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_number_info: Option<String>,
    /// `ExpiryDate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// `Status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `CardToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_token: Option<String>,
}

/// `ExtendedResponse`, the `ExtendedData` of a `PaysecureVersion` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExtendedResponse {
    /// `CardAccountUpdater`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_account_updater: Option<CardAccountUpdaterDescriptor>,
    /// `ProductId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// `NetworkResponseCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_response_code: Option<String>,
    /// `NetworkTransactionId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_transaction_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// PSBINCheck
// ---------------------------------------------------------------------------------------------

/// `PSBINCheckRequest`: what PaySecure can do with cards of this BIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsBinCheckRequest {
    /// `Credentials`.
    pub credentials: RequestorCredentials,
    /// `BIN`: the first digits of the card number.
    #[serde(rename = "BIN", skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

impl PsBinCheckRequest {
    /// The fewest digits of a BIN.
    pub const MIN_BIN_LEN: usize = 6;
    /// The most digits of a BIN (a PAN's shortest length minus one).
    pub const MAX_BIN_LEN: usize = 11;

    /// A check of `bin` (6 to 11 ASCII digits).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] (`BIN`) otherwise.
    pub fn new(credentials: RequestorCredentials, bin: impl Into<String>) -> Result<Self, Error> {
        let bin = bin.into();
        if !(Self::MIN_BIN_LEN..=Self::MAX_BIN_LEN).contains(&bin.len())
            || !bin.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::InvalidValue {
                field: "BIN",
                reason: "expected 6 to 11 digits",
            });
        }
        Ok(PsBinCheckRequest {
            credentials,
            bin: Some(bin),
        })
    }
}

/// `PSBINCheck`, the answer of `PSBINCheck`: the capability flags of the BIN (derived from
/// `PaysecureVersion`). A flag left out is unknown; the helpers count it as `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsBinCheckResponse {
    /// `BIN`.
    #[serde(rename = "BIN", skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// `InternetPinDebit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internet_pin_debit: Option<bool>,
    /// `EcomEBTSNAP`.
    #[serde(rename = "EcomEBTSNAP", skip_serializing_if = "Option::is_none")]
    pub ecom_ebt_snap: Option<bool>,
    /// `EcomEBTCash`.
    #[serde(rename = "EcomEBTCash", skip_serializing_if = "Option::is_none")]
    pub ecom_ebt_cash: Option<bool>,
    /// `POSFlag`.
    #[serde(rename = "POSFlag", skip_serializing_if = "Option::is_none")]
    pub pos_flag: Option<bool>,
    /// `PinlessEcommerce`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinless_ecommerce: Option<bool>,
    /// `PinlessBillPay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinless_bill_pay: Option<bool>,
    /// `OnDemandPaymentCredit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_payment_credit: Option<bool>,
    /// `OnDemandPaymentDebit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_payment_debit: Option<bool>,
    /// `PinlessA2ACredit`.
    #[serde(rename = "PinlessA2ACredit", skip_serializing_if = "Option::is_none")]
    pub pinless_a2a_credit: Option<bool>,
    /// `PinlessA2ADebit`.
    #[serde(rename = "PinlessA2ADebit", skip_serializing_if = "Option::is_none")]
    pub pinless_a2a_debit: Option<bool>,
    /// `PinlessPrePaidLoad`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinless_pre_paid_load: Option<bool>,
    /// `DualMessage` (its semantics are not published; see [`Self::is_dual_message`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_message: Option<bool>,
    /// `Recurring`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
    /// `CardVerify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_verify: Option<bool>,
    /// `POSPinlessDualMessageFlag`.
    #[serde(
        rename = "POSPinlessDualMessageFlag",
        skip_serializing_if = "Option::is_none"
    )]
    pub pos_pinless_dual_message_flag: Option<bool>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `OTP`.
    #[serde(rename = "OTP", skip_serializing_if = "Option::is_none")]
    pub otp: Option<bool>,
    /// `FastFunds` (text in the metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_funds: Option<String>,
    /// `IncrementalAuth`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental_auth: Option<bool>,
    /// `CardDesignation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_designation: Option<String>,
    /// `LocalDateTime` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_date_time: Option<String>,
    /// `Token` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `ExtendedData` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_data: Option<ExtendedResponse>,
    /// `Timestamps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

impl PsBinCheckResponse {
    /// Usable for pinless e-commerce purchases (`PinlessEcommerce`).
    #[must_use]
    pub fn can_pinless_ecommerce(&self) -> bool {
        self.pinless_ecommerce == Some(true)
    }

    /// Usable for pinless bill payment (`PinlessBillPay`).
    #[must_use]
    pub fn can_pinless_bill_pay(&self) -> bool {
        self.pinless_bill_pay == Some(true)
    }

    /// Usable for recurring pinless payments: `Recurring`, and `PinlessEcommerce` or
    /// `PinlessBillPay`.
    #[must_use]
    pub fn can_recurring(&self) -> bool {
        self.recurring == Some(true)
            && (self.can_pinless_ecommerce() || self.can_pinless_bill_pay())
    }

    /// `DualMessage`: **inference** (not published) that the card needs an authorisation
    /// completed by `PreAuthCapture`.
    #[must_use]
    pub fn is_dual_message(&self) -> bool {
        self.dual_message == Some(true)
    }

    /// `IncrementalAuth`.
    #[must_use]
    pub fn supports_incremental_auth(&self) -> bool {
        self.incremental_auth == Some(true)
    }

    /// `InternetPinDebit`: usable with a PIN typed in the browser (the PIN-debit path).
    #[must_use]
    pub fn can_internet_pin_debit(&self) -> bool {
        self.internet_pin_debit == Some(true)
    }
}

// ---------------------------------------------------------------------------------------------
// TransactionStatus
// ---------------------------------------------------------------------------------------------

/// `TransactionStatusRequest`: what became of a transaction (after a lost answer, too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionStatusRequest {
    /// `Credentials`.
    pub credentials: RequestorCredentials,
    /// `OriginalData`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_data: Option<OriginalTransaction>,
}

impl TransactionStatusRequest {
    /// The status of `original`.
    #[must_use]
    pub fn new(credentials: RequestorCredentials, original: OriginalTransaction) -> Self {
        TransactionStatusRequest {
            credentials,
            original_data: Some(original),
        }
    }
}

/// `TransactionStatus`, the answer of `TransactionStatus`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransactionStatusResponse {
    /// `History`: published as one `Transaction` despite its name; an array is tolerated
    /// (its first entry is kept).
    #[serde(
        default,
        deserialize_with = "crate::serde_support::one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub history: Option<Transaction>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `Timestamps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

// ---------------------------------------------------------------------------------------------
// Initiate
// ---------------------------------------------------------------------------------------------

common_request_members! {
    /// `InitiateRequest`: starts a transaction with card data (a token, or ciphertext with
    /// its `KeyID`) and an amount.
    pub struct InitiateRequest {
        /// `Credentials`.
        pub credentials: RequestorCredentials,
        /// `CardNumberInfo`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub card_number_info: Option<Card>,
        /// `ExpirationDate` (written `MMYY` by [`InitiateRequest::new`]; the format is not
        /// published).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub expiration_date: Option<String>,
        /// `Amount`, minor units.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub amount: Option<u64>,
        /// `CurrencyCode` (numeric or alphabetic ISO 4217: not published).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub currency_code: Option<String>,
        /// `TransType`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub trans_type: Option<TransType>,
    }
}

impl InitiateRequest {
    /// A transaction of `amount` minor units in `currency_code`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for a zero amount or an empty currency code.
    pub fn new(
        credentials: RequestorCredentials,
        card: Card,
        expiration: Option<CardExpiration>,
        amount: u64,
        currency_code: impl Into<String>,
        trans_type: TransType,
    ) -> Result<Self, Error> {
        Ok(InitiateRequest {
            credentials,
            card_number_info: Some(card),
            expiration_date: expiration.map(|e| e.to_string()),
            amount: Some(positive(amount)?),
            currency_code: Some(non_empty_currency(currency_code.into())?),
            trans_type: Some(trans_type),
            reference_key: None,
            custom1: None,
            custom2: None,
            custom3: None,
            custom4: None,
            custom5: None,
            integrator_id: None,
        })
    }
}

/// `Initiate`, the answer of `Initiate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateResponse {
    /// `TranId`: the transaction's identifier for the later calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tran_id: Option<String>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `AccuId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accu_id: Option<String>,
    /// `Timestamps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

// ---------------------------------------------------------------------------------------------
// PreAuthCapture, PreAuthVoid, Reverse
// ---------------------------------------------------------------------------------------------

common_request_members! {
    /// `PreAuthCaptureRequest`: completes an authorised transaction for up to its amount.
    pub struct PreAuthCaptureRequest {
        /// `Credentials`.
        pub credentials: RequestorCredentials,
        /// `TranId` of the transaction.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub tran_id: Option<String>,
        /// `Amount`, minor units.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub amount: Option<u64>,
        /// `CurrencyCode`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub currency_code: Option<String>,
        /// `MerchantDetails`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub merchant_details: Option<MerchantDescriptor>,
    }
}

impl PreAuthCaptureRequest {
    /// Captures `amount` minor units of transaction `tran_id`.
    ///
    /// # Errors
    /// [`Error::MissingField`] (`TranId`) for an empty id, [`Error::InvalidValue`] for a zero
    /// amount or an empty currency code.
    pub fn new(
        credentials: RequestorCredentials,
        tran_id: impl Into<String>,
        amount: u64,
        currency_code: impl Into<String>,
    ) -> Result<Self, Error> {
        let tran_id = tran_id.into();
        if tran_id.is_empty() {
            return Err(Error::MissingField { field: "TranId" });
        }
        Ok(PreAuthCaptureRequest {
            credentials,
            tran_id: Some(tran_id),
            amount: Some(positive(amount)?),
            currency_code: Some(non_empty_currency(currency_code.into())?),
            merchant_details: None,
            reference_key: None,
            custom1: None,
            custom2: None,
            custom3: None,
            custom4: None,
            custom5: None,
            integrator_id: None,
        })
    }
}

common_request_members! {
    /// `PreAuthVoidRequest`: cancels an authorisation that was not captured. `Amount` is
    /// optional; whether a partial void exists is not published.
    pub struct PreAuthVoidRequest {
        /// `Credentials`.
        pub credentials: RequestorCredentials,
        /// `OriginalData`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub original_data: Option<OriginalTransaction>,
        /// `Amount`, minor units.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub amount: Option<u64>,
        /// `MerchantDetails`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub merchant_details: Option<MerchantDescriptor>,
    }
}

impl PreAuthVoidRequest {
    /// Voids `original`, for `amount` when given.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for a zero amount.
    pub fn new(
        credentials: RequestorCredentials,
        original: OriginalTransaction,
        amount: Option<u64>,
    ) -> Result<Self, Error> {
        Ok(PreAuthVoidRequest {
            credentials,
            original_data: Some(original),
            amount: amount.map(positive).transpose()?,
            merchant_details: None,
            reference_key: None,
            custom1: None,
            custom2: None,
            custom3: None,
            custom4: None,
            custom5: None,
            integrator_id: None,
        })
    }
}

/// `PreAuthVoid`, the answer of `PreAuthVoid` (derived from `PaysecureVersion`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PreAuthVoidResponse {
    /// `TranId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tran_id: Option<String>,
    /// `ResponseCode` (no public list of values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    /// `ErrorMessage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `ErrorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `LocalDateTime` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_date_time: Option<String>,
    /// `Token` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `ExtendedData` (from `PaysecureVersion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_data: Option<ExtendedResponse>,
    /// `Timestamps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<Timestamps>,
}

common_request_members! {
    /// `ReverseRequest`: undoes a transaction in full (the DTO has **no** `Amount`: there is
    /// no partial reversal).
    pub struct ReverseRequest {
        /// `Credentials`.
        pub credentials: RequestorCredentials,
        /// `OriginalData`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub original_data: Option<OriginalTransaction>,
        /// `MerchantDetails`.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub merchant_details: Option<MerchantDescriptor>,
    }
}

impl ReverseRequest {
    /// Reverses `original`.
    #[must_use]
    pub fn new(credentials: RequestorCredentials, original: OriginalTransaction) -> Self {
        ReverseRequest {
            credentials,
            original_data: Some(original),
            merchant_details: None,
            reference_key: None,
            custom1: None,
            custom2: None,
            custom3: None,
            custom4: None,
            custom5: None,
            integrator_id: None,
        }
    }
}

/// The answer of `PreAuthCapture`: its DTO is **not published** (an ACH analogue suggests
/// `TranId`, `ApprovalCode`, `ResponseCode`, …), so only `ResponseStatus` and `Timestamps`
/// are decoded and the rest is kept raw ([`crate::UnpublishedResponse`]).
pub type PreAuthCaptureResponse = crate::raw::UnpublishedResponse;

/// The answer of `Reverse`: its DTO is **not published**; see
/// [`crate::UnpublishedResponse`].
pub type ReverseResponse = crate::raw::UnpublishedResponse;

fn positive(amount: u64) -> Result<u64, Error> {
    if amount == 0 {
        return Err(Error::InvalidValue {
            field: "Amount",
            reason: "must be above zero",
        });
    }
    Ok(amount)
}

fn non_empty_currency(code: String) -> Result<String, Error> {
    if code.is_empty() {
        return Err(Error::InvalidValue {
            field: "CurrencyCode",
            reason: "must not be empty",
        });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Password;

    fn credentials() -> RequestorCredentials {
        RequestorCredentials::new("m", "u", Password::new("p"), "1").unwrap()
    }

    #[test]
    fn constructors_check_what_is_structural() {
        assert!(PsBinCheckRequest::new(credentials(), "41111").is_err());
        assert!(PsBinCheckRequest::new(credentials(), "41111a").is_err());
        assert!(PsBinCheckRequest::new(credentials(), "411111").is_ok());
        assert!(OriginalTransaction::by_tran_id("").is_err());
        assert!(PreAuthCaptureRequest::new(credentials(), "T1", 0, "840").is_err());
        assert!(PreAuthCaptureRequest::new(credentials(), "", 1, "840").is_err());
        assert!(PreAuthCaptureRequest::new(credentials(), "T1", 1, "").is_err());
        let original = OriginalTransaction::by_tran_id("T1").unwrap();
        assert!(original.is_complete());
        assert!(PreAuthVoidRequest::new(credentials(), original.clone(), Some(0)).is_err());
        assert!(PreAuthVoidRequest::new(credentials(), original, None).is_ok());
    }

    #[test]
    fn card_debug_hides_the_card_data() {
        let card = Card::token("tok-secret-123");
        assert!(!format!("{card:?}").contains("tok-secret"));
    }

    #[test]
    fn bin_helpers() {
        let r = PsBinCheckResponse {
            pinless_ecommerce: Some(true),
            recurring: Some(true),
            ..PsBinCheckResponse::default()
        };
        assert!(r.can_pinless_ecommerce() && r.can_recurring());
        assert!(!r.can_pinless_bill_pay() && !r.is_dual_message());
        let r = PsBinCheckResponse {
            recurring: Some(true),
            ..PsBinCheckResponse::default()
        };
        assert!(!r.can_recurring());
    }
}
