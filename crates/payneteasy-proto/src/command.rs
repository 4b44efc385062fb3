//! Commands: one declaration per v4 API call.

use crate::endpoint::{Endpoint, Environment};
use crate::form::{FromForm, ToForm};
use crate::messages::{CreateCardRefRequest, CreateCardRefResponse, StatusRequest, StatusResponse};
use crate::status::ResponseType;

/// A Payneteasy v4 command: its URL path, its request and its successful response.
///
/// Adding a command is one implementation of this trait plus its two message types; the codec
/// and the clients are generic over it.
pub trait Command {
    /// The command's path segment, e.g. `create-card-ref`.
    const PATH: &'static str;
    /// The `type` of a successful response, e.g. `create-card-ref-response`.
    const RESPONSE_TYPE: ResponseType;
    /// What the merchant sends.
    type Request: ToForm + FromForm;
    /// What the gateway answers when `type` is [`Self::RESPONSE_TYPE`].
    type Response: ToForm + FromForm;

    /// The full URL of this command: `<base>/<PATH>/<endpoint>`.
    fn url(env: &Environment, endpoint: &Endpoint) -> String {
        env.command_url(Self::PATH, endpoint)
    }
}

/// `create-card-ref`: turn a finished payment into a card reference for recurring payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CreateCardRef;

impl Command for CreateCardRef {
    const PATH: &'static str = "create-card-ref";
    const RESPONSE_TYPE: ResponseType = ResponseType::CreateCardRefResponse;
    type Request = CreateCardRefRequest;
    type Response = CreateCardRefResponse;
}

/// `status`: ask for the current state of an order (resolves an unknown outcome).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StatusCommand;

impl Command for StatusCommand {
    const PATH: &'static str = "status";
    const RESPONSE_TYPE: ResponseType = ResponseType::StatusResponse;
    type Request = StatusRequest;
    type Response = StatusResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            CreateCardRef::url(&Environment::Sandbox, &Endpoint::Id(39915)),
            "https://sandbox.payneteasy.com/paynet/api/v4/create-card-ref/39915"
        );
        assert_eq!(
            StatusCommand::url(&Environment::Production, &Endpoint::Group(1144)),
            "https://gate.payneteasy.com/paynet/api/v4/status/group/1144"
        );
    }
}
