//! The semantics of each served operation ([`Served`]) and the route table built from them.

use payneteasy_proto::{
    CreateCardRef, CreateCardRefRequest, CreateCardRefResponse, StatusCommand, StatusRequest,
    StatusResponse, StatusV2, StatusV2Request,
};

use super::orders::Refused;
use super::{Ctx, PayneteasyHalf, Route, Served, route};

/// Every route, one per served operation (v2 and v4 alike).
pub(super) const ROUTES: &[Route] = &[
    route::<CreateCardRef>(),
    route::<StatusCommand>(),
    route::<StatusV2>(),
];

/// The path PHPLIB's `make-rebill` stands for.
pub(super) const MAKE_REBILL_SALE_PATH: &str = "make-rebill-sale";

impl Served for CreateCardRef {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: CreateCardRefRequest,
    ) -> Result<CreateCardRefResponse, Refused> {
        half.card_ref(ctx, request.client_orderid(), request.orderid())
    }
}

impl Served for StatusCommand {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: StatusRequest,
    ) -> Result<StatusResponse, Refused> {
        half.poll(ctx, request.client_orderid(), request.orderid())
    }
}

impl Served for StatusV2 {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: StatusV2Request,
    ) -> Result<StatusResponse, Refused> {
        half.poll(ctx, request.client_orderid(), Some(request.orderid()))
    }
}
