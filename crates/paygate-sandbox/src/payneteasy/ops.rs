//! The semantics of each served operation ([`Served`]) and the route table, built from
//! [`payneteasy_proto::for_each_operation!`]: an operation without a [`Served`] impl does not
//! compile, so every operation has its route.

use payneteasy_proto::{
    AccountVerification, AccountVerificationRequest, AsyncResponse, Capture, CaptureRequest,
    CardNumber, ControlInput, ControlKey, CreateCardRef, CreateCardRefRequest,
    CreateCardRefResponse, CreateCardRefV2, CreateCardRefV2Request, CreateEphemeralTicket,
    CreateEphemeralTicketRequest, Endpoint, EphemeralTicketResponse, FormRequest, FormResponse,
    GetCardInfo, GetCardInfoRequest, GetCardInfoResponse, MakeRebillPreauth, MakeRebillRequest,
    MakeRebillSale, Operation, Preauth, PreauthForm, Return, ReturnRequest, Sale, SaleForm,
    SaleRequest, SaleV4, SaleV4Request, Status, StatusCommand, StatusRequest, StatusResponse,
    StatusV2, StatusV2Request, SyncAccountVerification, SyncAccountVerificationResponse,
    TransferByRef, TransferByRefRequest, TransferForm, Void, VoidRequest, sha1_control,
};

use super::cards::{CARD_APPROVED, HOSTED_FIELDS_TOKEN_PREFIX};
use super::orders::{Book, Finished, Kind, NewPayment, Order, Phase, Refused, StoredCard};
use super::{
    Ctx, ERR_CARD_REF_NOT_FOUND, ERR_INVALID_CARD, FORM_PREFIX, PayneteasyHalf, Route, Served,
    route,
};

macro_rules! routes {
    ($(($op:ident, $name:literal)),* $(,)?) => {
        /// Every route, one per operation (v2 and v4 alike).
        pub(super) const ROUTES: &[Route] = &[$(route::<payneteasy_proto::$op>()),*];
    };
}
payneteasy_proto::for_each_operation!(list routes);

/// The path PHPLIB's `make-rebill` stands for.
pub(super) const MAKE_REBILL_SALE_PATH: &str = MakeRebillSale::PATH;

/// The card of a direct payment (a validation error when it fails the Luhn check).
fn card(
    number: &CardNumber,
    expire_month: &str,
    expire_year: &str,
    printed_name: &str,
) -> Result<StoredCard, Refused> {
    StoredCard::from_number(
        number.expose_secret(),
        expire_month,
        expire_year,
        printed_name,
    )
    .ok_or_else(|| Refused::validation(ERR_INVALID_CARD, "credit_card_number fails the Luhn check"))
}

/// The `async-response` of an order: always `processing` (poll `status` for the outcome,
/// as the gateway's asynchronous model wants).
fn async_response(half: &PayneteasyHalf, ctx: &Ctx<'_>, order: &Order) -> AsyncResponse {
    let mut response = AsyncResponse::new(Status::Processing);
    response.paynet_order_id = Some(order.orderid.clone());
    response.merchant_order_id = Some(order.client_orderid.clone());
    response.serial_number = Some(half.next_serial());
    response.end_point_id = Some(match ctx.endpoint {
        Endpoint::Id(id) => id.to_string(),
        Endpoint::Group(_) => ctx.merchant.endpoint_id.to_string(),
    });
    response
}

fn sale(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    kind: Kind,
    request: SaleRequest,
) -> Result<AsyncResponse, Refused> {
    let f = request.into_fields();
    let payment = NewPayment {
        card: Some(card(
            &f.credit_card_number,
            &f.expire_month,
            &f.expire_year,
            &f.card_printed_name,
        )?),
        client_orderid: f.client_orderid,
        amount: Some(f.amount.as_str().to_owned()),
        currency: Some(f.currency.as_str().to_owned()),
        card_ref_id: None,
        redirect_url: Some(f.redirect_url),
        server_callback_url: f.server_callback_url,
    };
    let order = half.place(ctx, kind, payment)?;
    Ok(async_response(half, ctx, &order))
}

impl Served for Sale {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: SaleRequest,
    ) -> Result<AsyncResponse, Refused> {
        sale(half, ctx, Kind::Sale, request)
    }
}

impl Served for Preauth {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: SaleRequest,
    ) -> Result<AsyncResponse, Refused> {
        sale(half, ctx, Kind::Preauth, request)
    }
}

impl Served for SaleV4 {
    /// The hosted-fields token stands for a card: `sandbox-card-<number>` for that number,
    /// any other token for [`CARD_APPROVED`].
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: SaleV4Request,
    ) -> Result<AsyncResponse, Refused> {
        let f = request.into_fields();
        let number = f
            .hosted_fields_token
            .strip_prefix(HOSTED_FIELDS_TOKEN_PREFIX)
            .unwrap_or(CARD_APPROVED);
        let card = StoredCard::from_number(
            number,
            "12",
            "2030",
            f.card_printed_name.as_deref().unwrap_or(""),
        )
        .ok_or_else(|| {
            Refused::validation(
                ERR_INVALID_CARD,
                "the card behind hosted_fields_token fails the Luhn check",
            )
        })?;
        let payment = NewPayment {
            client_orderid: f.client_orderid,
            amount: Some(f.amount.as_str().to_owned()),
            currency: Some(f.currency.as_str().to_owned()),
            card: Some(card),
            card_ref_id: None,
            redirect_url: Some(f.redirect_url),
            server_callback_url: None,
        };
        let order = half.place(ctx, Kind::Sale, payment)?;
        Ok(async_response(half, ctx, &order))
    }
}

fn form(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    kind: Kind,
    request: FormRequest,
) -> Result<FormResponse, Refused> {
    let f = request.into_fields();
    let payment = NewPayment {
        client_orderid: f.client_orderid,
        amount: Some(f.amount.as_str().to_owned()),
        currency: Some(f.currency.as_str().to_owned()),
        card: None,
        card_ref_id: None,
        redirect_url: Some(f.redirect_url),
        server_callback_url: f.server_callback_url,
    };
    let order = half.place(ctx, kind, payment)?;
    let page = match &order.phase {
        Phase::AwaitingForm(token) => Some(format!("{}{FORM_PREFIX}{token}", ctx.base)),
        _ => None,
    };
    let mut response = FormResponse::new(Status::Processing, page);
    response.paynet_order_id = Some(order.orderid.clone());
    response.merchant_order_id = Some(order.client_orderid.clone());
    response.serial_number = Some(half.next_serial());
    Ok(response)
}

impl Served for SaleForm {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: FormRequest,
    ) -> Result<FormResponse, Refused> {
        form(half, ctx, Kind::SaleForm, request)
    }
}

impl Served for PreauthForm {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: FormRequest,
    ) -> Result<FormResponse, Refused> {
        form(half, ctx, Kind::PreauthForm, request)
    }
}

impl Served for TransferForm {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: FormRequest,
    ) -> Result<FormResponse, Refused> {
        form(half, ctx, Kind::TransferForm, request)
    }
}

/// PHPLIB's capture and return `control` without an amount sent:
/// `sha1(login + client_orderid + orderid + order amount in minor units + currency + key)`.
fn phplib_control(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    (login, client_orderid, orderid): (&str, &str, &str),
    amount_sent: bool,
    key: &ControlKey,
) -> Option<String> {
    if amount_sent {
        return None;
    }
    let (minor, currency) = half
        .with_book(ctx.merchant, |book, _| {
            Ok(book
                .find(client_orderid, Some(orderid))
                .map(|o| (o.minor.to_string(), o.currency.clone())))
        })
        .ok()
        .flatten()?;
    Some(sha1_control(
        &[
            ControlInput::Text(login),
            ControlInput::Text(client_orderid),
            ControlInput::Text(orderid),
            ControlInput::Text(&minor),
            ControlInput::Text(&currency),
            ControlInput::Key,
        ],
        key,
    ))
}

/// What capture and return share: a book method over the order's ids and the amount and
/// currency sent (if any), answered with an `async-response`.
type AmountMove = fn(
    &mut Book,
    &str,
    &str,
    Option<&str>,
    Option<&str>,
) -> Result<(Order, Option<Finished>), Refused>;

fn amount_follow_up(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    (client_orderid, orderid): (&str, &str),
    (amount, currency): (Option<&str>, Option<&str>),
    step: AmountMove,
) -> Result<AsyncResponse, Refused> {
    let order = half.follow_up(ctx, |book| {
        step(book, client_orderid, orderid, amount, currency)
    })?;
    Ok(async_response(half, ctx, &order))
}

impl Served for Capture {
    fn legacy_control(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: &CaptureRequest,
        key: &ControlKey,
    ) -> Option<String> {
        let f = request.fields();
        phplib_control(
            half,
            ctx,
            (&f.login, &f.client_orderid, &f.orderid),
            f.amount.is_some(),
            key,
        )
    }

    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: CaptureRequest,
    ) -> Result<AsyncResponse, Refused> {
        let f = request.into_fields();
        let amount = f.amount.as_ref().map(|a| a.as_str());
        let currency = f.currency.as_ref().map(|c| c.as_str());
        amount_follow_up(
            half,
            ctx,
            (&f.client_orderid, &f.orderid),
            (amount, currency),
            Book::capture,
        )
    }
}

impl Served for Return {
    fn legacy_control(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: &ReturnRequest,
        key: &ControlKey,
    ) -> Option<String> {
        let f = request.fields();
        phplib_control(
            half,
            ctx,
            (&f.login, &f.client_orderid, &f.orderid),
            f.amount.is_some(),
            key,
        )
    }

    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: ReturnRequest,
    ) -> Result<AsyncResponse, Refused> {
        let f = request.into_fields();
        let amount = f.amount.as_ref().map(|a| a.as_str());
        let currency = f.currency.as_ref().map(|c| c.as_str());
        amount_follow_up(
            half,
            ctx,
            (&f.client_orderid, &f.orderid),
            (amount, currency),
            Book::refund,
        )
    }
}

impl Served for Void {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: VoidRequest,
    ) -> Result<AsyncResponse, Refused> {
        let f = request.into_fields();
        let order = half.follow_up(ctx, |book| {
            book.void(
                &f.client_orderid,
                &f.orderid,
                f.amount.as_ref().map(|a| a.as_str()),
                f.currency.as_ref().map(|c| c.as_str()),
            )
        })?;
        Ok(async_response(half, ctx, &order))
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

impl Served for CreateCardRef {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: CreateCardRefRequest,
    ) -> Result<CreateCardRefResponse, Refused> {
        half.card_ref(ctx, request.client_orderid(), request.orderid())
    }
}

impl Served for CreateCardRefV2 {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: CreateCardRefV2Request,
    ) -> Result<CreateCardRefResponse, Refused> {
        half.card_ref(ctx, request.client_orderid(), request.orderid())
    }
}

impl Served for GetCardInfo {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: GetCardInfoRequest,
    ) -> Result<GetCardInfoResponse, Refused> {
        let f = request.into_fields();
        let card = half.with_book(ctx.merchant, |book, _| {
            book.card_ref(&f.cardrefid)
                .map(|r| r.card.clone())
                .ok_or_else(|| {
                    Refused::validation(
                        ERR_CARD_REF_NOT_FOUND,
                        format!(
                            "card reference {} is not known to this merchant",
                            f.cardrefid
                        ),
                    )
                })
        })?;
        let mut response = GetCardInfoResponse::new();
        response.serial_number = Some(half.next_serial());
        response.card_printed_name = Some(card.printed_name).filter(|n| !n.is_empty());
        response.bin = Some(card.bin);
        response.last_four_digits = Some(card.last_four);
        response.expire_year = Some(card.expire_year);
        response.expire_month = Some(card.expire_month);
        Ok(response)
    }
}

fn rebill(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    kind: Kind,
    request: MakeRebillRequest,
) -> Result<AsyncResponse, Refused> {
    let f = request.into_fields();
    let payment = NewPayment {
        client_orderid: f.client_orderid,
        amount: Some(f.amount.as_str().to_owned()),
        currency: Some(f.currency.as_str().to_owned()),
        card: None,
        card_ref_id: Some(f.cardrefid),
        redirect_url: f.redirect_url,
        server_callback_url: f.server_callback_url,
    };
    let order = half.place(ctx, kind, payment)?;
    Ok(async_response(half, ctx, &order))
}

impl Served for MakeRebillSale {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: MakeRebillRequest,
    ) -> Result<AsyncResponse, Refused> {
        rebill(half, ctx, Kind::RebillSale, request)
    }
}

impl Served for MakeRebillPreauth {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: MakeRebillRequest,
    ) -> Result<AsyncResponse, Refused> {
        rebill(half, ctx, Kind::RebillPreauth, request)
    }
}

fn verification(
    half: &PayneteasyHalf,
    ctx: &Ctx<'_>,
    request: &AccountVerificationRequest,
) -> Result<Order, Refused> {
    let f = request.fields();
    let payment = NewPayment {
        client_orderid: f.client_orderid.clone(),
        amount: None,
        currency: None,
        card: Some(card(
            &f.credit_card_number,
            &f.expire_month,
            &f.expire_year,
            &f.card_printed_name,
        )?),
        card_ref_id: None,
        redirect_url: None,
        server_callback_url: f.server_callback_url.clone(),
    };
    half.place(ctx, Kind::AccountVerification, payment)
}

impl Served for AccountVerification {
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: AccountVerificationRequest,
    ) -> Result<AsyncResponse, Refused> {
        let order = verification(half, ctx, &request)?;
        Ok(async_response(half, ctx, &order))
    }
}

impl Served for SyncAccountVerification {
    /// Answered at once with the verification's status and, when approved, a card
    /// reference (`card-ref-id`) made for it.
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: AccountVerificationRequest,
    ) -> Result<SyncAccountVerificationResponse, Refused> {
        let order = verification(half, ctx, &request)?;
        let card_ref = if order.paid {
            Some(half.card_ref(ctx, &order.client_orderid, &order.orderid)?)
        } else {
            None
        };
        let f = request.fields();
        let mut response = SyncAccountVerificationResponse::new(order.status.clone());
        response.paynet_order_id = Some(order.orderid.clone());
        response.merchant_order_id = Some(order.client_orderid.clone());
        response.serial_number = Some(half.next_serial());
        response.phone = f.phone.clone();
        response.email = Some(f.email.clone());
        if let Some(card) = &order.card {
            response.last_four_digits = Some(card.last_four.clone());
            response.bin = Some(card.bin.clone());
            response.cardholder_name = Some(card.printed_name.clone());
            response.card_exp_month = Some(card.expire_month.clone());
            response.card_exp_year = Some(card.expire_year.clone());
            response.card_type = Some(card_type(&card.bin).to_owned());
            response.card_hash_id = Some(card_hash(f.credit_card_number.expose_secret()));
        }
        response.card_ref_id = card_ref.and_then(|r| r.card_ref_id);
        if let Some((code, message)) = &order.error {
            response.error_code = Some(code.clone());
            response.error_message = Some(message.clone());
        }
        Ok(response)
    }
}

/// `VISA`, `MASTERCARD` or `OTHER` from the BIN.
fn card_type(bin: &str) -> &'static str {
    match bin.as_bytes().first() {
        Some(b'4') => "VISA",
        Some(b'2' | b'5') => "MASTERCARD",
        _ => "OTHER",
    }
}

/// A stable id of a card number that does not reveal it (SHA-256, first 16 bytes, hex).
fn card_hash(number: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, number.as_bytes());
    hex::encode(&digest.as_ref()[..16])
}

impl Served for TransferByRef {
    /// A transfer to the card behind `destination-card-ref-id` (which must be this
    /// merchant's; so must `source-card-ref-id` when sent).
    fn serve(
        half: &PayneteasyHalf,
        ctx: &Ctx<'_>,
        request: TransferByRefRequest,
    ) -> Result<AsyncResponse, Refused> {
        let f = request.into_fields();
        if let Some(source) = &f.source_card_ref_id {
            half.with_book(ctx.merchant, |book, _| {
                book.card_ref(source).map(|_| ()).ok_or_else(|| {
                    Refused::validation(
                        ERR_CARD_REF_NOT_FOUND,
                        format!("source card reference {source} is not known to this merchant"),
                    )
                })
            })?;
        }
        let payment = NewPayment {
            client_orderid: f.client_orderid,
            amount: Some(f.amount.as_str().to_owned()),
            currency: Some(f.currency.as_str().to_owned()),
            card: None,
            card_ref_id: Some(f.destination_card_ref_id),
            redirect_url: f.redirect_url,
            server_callback_url: f.server_callback_url,
        };
        let order = half.place(ctx, Kind::TransferByRef, payment)?;
        Ok(async_response(half, ctx, &order))
    }
}

impl Served for CreateEphemeralTicket {
    const JSON_ONLY: bool = true;

    /// A fresh single-use ticket (the sandbox does not check it later: its hosted-fields
    /// tokens stand for test cards, see [`SaleV4`]).
    fn serve(
        _half: &PayneteasyHalf,
        _ctx: &Ctx<'_>,
        _request: CreateEphemeralTicketRequest,
    ) -> Result<EphemeralTicketResponse, Refused> {
        Ok(EphemeralTicketResponse::new(format!(
            "sandbox-ticket-{}",
            super::new_token()
        )))
    }
}
