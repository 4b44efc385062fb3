//! Callbacks and the payer's return: verify the `control`, then confirm with `status` before
//! the merchant acts.
//!
//! The gateway tells the merchant about an order twice over: a server-to-server callback (an
//! HTTP GET to `server_callback_url`, [`ServerCallback`]) and the payer's return to
//! `redirect_url` (an HTTP POST form, [`CustomerReturn`]). Both carry
//! `control = sha1(status + orderid + client_orderid + merchant control key)`, which only
//! proves that someone knew the key when they were made; "the documentation says not to treat
//! it as the status" (Payneteasy's own example integration). So the merchant should:
//!
//! 1. parse it (`payneteasy_codec::parse_server_callback` for the query,
//!    `payneteasy_codec::parse_customer_return` for the form body);
//! 2. verify its `control` with the merchant control key (refuse with HTTP 403 otherwise);
//! 3. deduplicate it ([`ServerCallback::dedup_key`]: the gateway retries until it gets 200);
//! 4. answer HTTP 200 at once, and act on the **`status`** answer, not on the callback.
//!
//! [`PayneteasyClient::confirm_callback`] and [`PayneteasyClient::confirm_customer_return`] do
//! steps 2 and 4: verify with [`PayneteasyConfig::control_key`](super::PayneteasyConfig::control_key),
//! then ask `status` (v4, or v2 with [`ApiVersion::V2`]) for the same order, and return the
//! answer with whether it agrees with what the callback said.

use payneteasy_proto::{
    ApiVersion, CallbackError, CustomerReturn, Endpoint, ServerCallback, Status, StatusRequest,
    StatusResponse, StatusV2Request,
};

use super::{PayneteasyClient, StatusQuery};
use crate::error::Error;

/// A verified callback (or customer return), with the gateway's own word on the order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Confirmation {
    /// The `status` answer for the order: what to act on.
    pub status: StatusResponse,
    /// Whether the callback's `status` is the one `status` answered. A callback that says
    /// `approved` while `status` says otherwise is not acted on (it may be stale, or forged by
    /// someone who knows the control key).
    pub agrees: bool,
}

impl Confirmation {
    /// Whether the merchant may act on an approval: the gateway says `approved` **and** the
    /// callback said so too.
    #[must_use]
    pub fn is_approved(&self) -> bool {
        self.agrees && self.status.status == Status::Approved
    }
}

/// Why a callback was not confirmed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfirmError {
    /// No merchant control key is configured
    /// ([`PayneteasyConfigBuilder::control_key`](super::PayneteasyConfigBuilder::control_key)):
    /// nothing can be verified.
    #[error("no merchant control key is configured: a callback cannot be verified")]
    NoControlKey,
    /// The callback's `control` is wrong, or it names no client order id: answer HTTP 403 and
    /// ignore it.
    #[error("the callback is not authentic")]
    Unverified(#[source] CallbackError),
    /// The `status` request failed (see [`Error::outcome`]): answer the gateway HTTP 200 or
    /// not as your integration prefers, and ask `status` again later.
    #[error("the status request failed")]
    Status(#[source] Error),
}

impl PayneteasyClient {
    /// Verifies a server callback with the configured control key, then asks `status`
    /// (`version` v4 or v2) for its order (`orderid` and the client id found as the PHP
    /// library does: `merchant-order-id`, else `client_orderid`, else `merchant_order`).
    ///
    /// # Errors
    /// [`ConfirmError::NoControlKey`], [`ConfirmError::Unverified`] (nothing is sent), or
    /// [`ConfirmError::Status`].
    pub async fn confirm_callback(
        &self,
        endpoint: &Endpoint,
        callback: &ServerCallback,
        version: ApiVersion,
    ) -> Result<Confirmation, ConfirmError> {
        let key = self
            .config
            .control_key()
            .ok_or(ConfirmError::NoControlKey)?;
        callback.verify(key).map_err(ConfirmError::Unverified)?;
        let client_id = callback
            .client_id()
            .ok_or(ConfirmError::Unverified(CallbackError::MissingClientId))?;
        self.confirm(
            endpoint,
            version,
            client_id,
            &callback.orderid,
            &callback.status,
        )
        .await
    }

    /// Verifies the payer's return with the configured control key, then asks `status`
    /// (`version` v4 or v2) for its order. See [`Self::confirm_callback`].
    ///
    /// # Errors
    /// As [`Self::confirm_callback`].
    pub async fn confirm_customer_return(
        &self,
        endpoint: &Endpoint,
        customer_return: &CustomerReturn,
        version: ApiVersion,
    ) -> Result<Confirmation, ConfirmError> {
        let key = self
            .config
            .control_key()
            .ok_or(ConfirmError::NoControlKey)?;
        customer_return
            .verify(key)
            .map_err(ConfirmError::Unverified)?;
        let client_id = customer_return
            .client_id()
            .ok_or(ConfirmError::Unverified(CallbackError::MissingClientId))?;
        self.confirm(
            endpoint,
            version,
            client_id,
            &customer_return.orderid,
            &customer_return.status,
        )
        .await
    }

    async fn confirm(
        &self,
        endpoint: &Endpoint,
        version: ApiVersion,
        client_orderid: &str,
        orderid: &str,
        said: &Status,
    ) -> Result<Confirmation, ConfirmError> {
        let invalid = |e| {
            ConfirmError::Status(Error::not_sent(
                crate::NotSentReason::InvalidRequest,
                Box::new(e) as crate::error::BoxError,
            ))
        };
        let query = match version {
            ApiVersion::V2 => StatusQuery::V2(
                StatusV2Request::new(self.config.login(), client_orderid, orderid)
                    .map_err(invalid)?,
            ),
            _ => StatusQuery::V4(
                StatusRequest::new(client_orderid)
                    .and_then(|r| r.with_orderid(orderid))
                    .map_err(invalid)?,
            ),
        };
        let status = self
            .status_of(endpoint, &query)
            .await
            .map_err(ConfirmError::Status)?;
        let agrees = status.status == *said;
        Ok(Confirmation { status, agrees })
    }
}
