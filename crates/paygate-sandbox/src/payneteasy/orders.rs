//! The order book of the Payneteasy half: one per merchant, with the state machine of the
//! lifecycle (payment, capture, return, void, card references, rebills). Pure logic: no
//! HTTP, no clock; the handlers turn its results into gateway answers.

use std::collections::{HashMap, VecDeque};

use payneteasy_proto::{Status, amount_minor_units};

use super::cards::{
    DECLINE_CODE, LONG_PROCESSING_POLLS, TestOutcome, amount_outcome, card_outcome,
};

/// The most orders a merchant's book keeps; the oldest non-seeded order (and its 3-D Secure
/// token) is forgotten to make room. Card references are kept apart, up to
/// [`MAX_CARD_REFS_PER_MERCHANT`].
pub const MAX_ORDERS_PER_MERCHANT: usize = 10_000;
/// The most card references a merchant keeps; the oldest is forgotten to make room.
pub const MAX_CARD_REFS_PER_MERCHANT: usize = 10_000;

/// What kind of first transaction made an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Sale,
    Preauth,
    SaleForm,
    PreauthForm,
    TransferForm,
    RebillSale,
    RebillPreauth,
    AccountVerification,
    TransferByRef,
}

impl Kind {
    /// The `transaction-type` of the first transaction.
    pub(crate) fn transaction_type(self) -> &'static str {
        match self {
            Kind::Sale | Kind::SaleForm | Kind::RebillSale => "sale",
            Kind::Preauth | Kind::PreauthForm | Kind::RebillPreauth => "preauth",
            Kind::TransferForm | Kind::TransferByRef => "transfer",
            Kind::AccountVerification => "account-verification",
        }
    }

    fn is_preauth(self) -> bool {
        matches!(
            self,
            Kind::Preauth | Kind::PreauthForm | Kind::RebillPreauth
        )
    }

    fn is_sale(self) -> bool {
        matches!(self, Kind::Sale | Kind::SaleForm | Kind::RebillSale)
    }
}

/// The card an order was paid with (no CVV is ever kept; the number only as BIN and last
/// four digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredCard {
    pub(crate) bin: String,
    pub(crate) last_four: String,
    pub(crate) expire_month: String,
    pub(crate) expire_year: String,
    pub(crate) printed_name: String,
    /// What payments with this card do (kept so that a rebill on a card reference behaves as
    /// the card).
    pub(crate) outcome: TestOutcome,
}

impl StoredCard {
    /// A card from its number (`None` when it fails the Luhn check).
    pub(crate) fn from_number(
        number: &str,
        expire_month: &str,
        expire_year: &str,
        printed_name: &str,
    ) -> Option<StoredCard> {
        let outcome = card_outcome(number)?;
        Some(StoredCard {
            bin: number[..6].to_owned(),
            last_four: number[number.len() - 4..].to_owned(),
            expire_month: expire_month.to_owned(),
            expire_year: expire_year.to_owned(),
            printed_name: printed_name.to_owned(),
            outcome,
        })
    }
}

/// Where an order is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Final (its `status` says how).
    Final,
    /// Seeded in a status that is not final: stays so.
    Held,
    /// `processing` for this many more status polls, then approved.
    Polls(u32),
    /// `processing` until the payer answers the 3-D Secure challenge behind this token.
    Challenge(String),
    /// A form order: `processing` until the payer submits the payment form behind this
    /// token.
    AwaitingForm(String),
}

/// One order.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub(crate) client_orderid: String,
    pub(crate) orderid: String,
    pub(crate) kind: Kind,
    /// The amount as sent (decimal text) and in minor units.
    pub(crate) amount: String,
    pub(crate) minor: u64,
    pub(crate) currency: String,
    /// The status of the last transaction (the payment, then a capture, return or void).
    pub(crate) status: Status,
    /// The `transaction-type` of the last transaction.
    pub(crate) transaction_type: &'static str,
    /// The payment itself was approved (what `create-card-ref` needs).
    pub(crate) paid: bool,
    pub(crate) phase: Phase,
    pub(crate) error: Option<(String, String)>,
    pub(crate) card: Option<StoredCard>,
    /// Minor units captured (a preauth), returned, and whether it was voided or cancelled.
    pub(crate) captured: Option<u64>,
    pub(crate) returned: u64,
    pub(crate) voided: bool,
    pub(crate) cancelled: bool,
    pub(crate) redirect_url: Option<String>,
    pub(crate) server_callback_url: Option<String>,
    pub(crate) card_ref_id: Option<String>,
    /// Whether it was seeded in the configuration (never forgotten).
    pub(crate) seeded: bool,
}

impl Order {
    /// What can still be returned: the captured amount of a preauth, the amount of a sale,
    /// less what was returned already.
    pub(crate) fn remaining(&self) -> u64 {
        let base = if self.kind.is_preauth() {
            self.captured.unwrap_or(0)
        } else {
            self.minor
        };
        base.saturating_sub(self.returned)
    }

    fn is_final(&self) -> bool {
        self.phase == Phase::Final
    }
}

/// A card reference.
#[derive(Clone, Debug)]
pub(crate) struct CardRef {
    pub(crate) card_ref_id: String,
    pub(crate) recurring_payment_id: String,
    pub(crate) card: StoredCard,
}

/// A refusal: the gateway's `validation-error` (the request was not acted on) or `error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    /// `true`: `validation-error`; `false`: `error`.
    pub(crate) validation: bool,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Refused {
    pub(crate) fn validation(code: &'static str, message: impl Into<String>) -> Self {
        Refused {
            validation: true,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn error(code: &'static str, message: impl Into<String>) -> Self {
        Refused {
            validation: false,
            code,
            message: message.into(),
        }
    }
}

/// An order reached a final status: the server callback to send (when it has a
/// `server_callback_url`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finished {
    pub(crate) url: String,
    pub(crate) orderid: String,
    pub(crate) client_orderid: String,
    pub(crate) amount: String,
    pub(crate) status: String,
    pub(crate) transaction_type: &'static str,
}

/// A new payment, as the handlers read it from a request.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewPayment {
    pub(crate) client_orderid: String,
    pub(crate) amount: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) card: Option<StoredCard>,
    /// For a rebill or transfer-by-ref: the card reference to charge.
    pub(crate) card_ref_id: Option<String>,
    pub(crate) redirect_url: Option<String>,
    pub(crate) server_callback_url: Option<String>,
}

/// What the payment commands answer: the order (new, or the existing one for a repeated
/// `client_orderid`).
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub(crate) order: Order,
    pub(crate) repeated: bool,
}

use super::{
    ERR_AMOUNT_ABOVE_REMAINING, ERR_CAPTURE_NOT_ALLOWED, ERR_CARD_REF_NOT_FOUND,
    ERR_DUPLICATE_ORDER, ERR_INVALID_AMOUNT, ERR_ORDER_NOT_APPROVED, ERR_ORDER_NOT_FINAL,
    ERR_ORDER_NOT_FOUND, ERR_RETURN_NOT_ALLOWED, ERR_VOID_NOT_ALLOWED,
};

/// A merchant's orders and card references.
#[derive(Debug, Default)]
pub(crate) struct Book {
    /// orderid → order.
    orders: HashMap<String, Order>,
    /// client_orderid → orderid.
    by_client: HashMap<String, String>,
    /// Non-seeded orderids, oldest first (for the cap).
    fifo: VecDeque<String>,
    card_refs: HashMap<String, CardRef>,
    card_ref_fifo: VecDeque<String>,
    /// orderid → card-ref-id made for it.
    ref_of_order: HashMap<String, String>,
}

/// Ids handed out by every book (shared so that ids are unique across merchants).
#[derive(Debug)]
pub(crate) struct Ids {
    pub(crate) next_orderid: u64,
    pub(crate) next_card_ref: u64,
    pub(crate) next_recurring: u64,
}

/// Minor units of `amount` in `currency`, or a validation error.
pub(crate) fn minor_units(amount: &str, currency: &str) -> Result<u64, Refused> {
    amount_minor_units(amount, currency).map_err(|e| {
        Refused::validation(
            ERR_INVALID_AMOUNT,
            format!("invalid amount {amount:?} in {currency:?}: {e}"),
        )
    })
}

/// The minor units of an amount to return or capture, or `None` when not sent. A currency
/// that differs from the order's is refused.
fn requested_minor(
    order: &Order,
    amount: Option<&str>,
    currency: Option<&str>,
) -> Result<Option<u64>, Refused> {
    let Some(amount) = amount else {
        return Ok(None);
    };
    let currency = currency.unwrap_or(&order.currency);
    if currency != order.currency {
        return Err(Refused::validation(
            ERR_INVALID_AMOUNT,
            format!(
                "currency {currency} differs from the order's {}",
                order.currency
            ),
        ));
    }
    minor_units(amount, currency).map(Some)
}

/// `minor` written as a decimal in `currency` (`1042` USD is `10.42`).
pub(crate) fn decimal(minor: u64, currency: &str) -> String {
    let exponent = (0..=4)
        .rev()
        .find(|e| {
            amount_minor_units(&format!("1{}", fraction_zeros(*e)), currency) == Ok(10u64.pow(*e))
        })
        .unwrap_or(2);
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(exponent);
    format!(
        "{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exponent as usize
    )
}

fn fraction_zeros(e: u32) -> String {
    if e == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(e as usize))
    }
}

impl Book {
    /// Adds a seeded order (kept for ever).
    pub(crate) fn seed(&mut self, order: Order) {
        self.by_client
            .insert(order.client_orderid.clone(), order.orderid.clone());
        self.orders.insert(order.orderid.clone(), order);
    }

    /// The order `client_orderid`, when `orderid` (if given) is its gateway id.
    pub(crate) fn find(&self, client_orderid: &str, orderid: Option<&str>) -> Option<&Order> {
        let id = self.by_client.get(client_orderid)?;
        let order = self.orders.get(id)?;
        orderid.is_none_or(|o| o == order.orderid).then_some(order)
    }

    fn find_mut(&mut self, client_orderid: &str, orderid: &str) -> Result<&mut Order, Refused> {
        let order = self
            .by_client
            .get(client_orderid)
            .filter(|id| id.as_str() == orderid)
            .and_then(|id| self.orders.get_mut(id));
        order.ok_or_else(|| not_found(client_orderid))
    }

    /// The order behind a 3-D Secure or payment-form token.
    pub(crate) fn by_orderid_mut(&mut self, orderid: &str) -> Option<&mut Order> {
        self.orders.get_mut(orderid)
    }

    /// A card reference of this merchant.
    pub(crate) fn card_ref(&self, card_ref_id: &str) -> Option<&CardRef> {
        self.card_refs.get(card_ref_id)
    }

    /// Places a payment of `kind`. A repeated `client_orderid` gives the existing order back
    /// (no second charge) when the command, amount and currency are the same, and a
    /// validation error otherwise. Returns the order and, if it is already final, its
    /// callback. `token` is used when the order waits for the payer (3-D Secure, a form).
    pub(crate) fn place(
        &mut self,
        ids: &mut Ids,
        kind: Kind,
        payment: NewPayment,
        token: impl FnOnce() -> String,
    ) -> Result<(Placed, Option<Finished>, Option<String>), Refused> {
        let currency = payment.currency.clone().unwrap_or_default();
        let amount = payment.amount.clone().unwrap_or_else(|| "0".to_owned());
        let minor = if payment.amount.is_some() {
            minor_units(&amount, &currency)?
        } else {
            0
        };
        if let Some(existing) = self
            .by_client
            .get(&payment.client_orderid)
            .and_then(|id| self.orders.get(id))
        {
            let same = existing.kind == kind
                && existing.minor == minor
                && existing.currency == currency
                && !existing.seeded;
            return if same {
                Ok((
                    Placed {
                        order: existing.clone(),
                        repeated: true,
                    },
                    None,
                    None,
                ))
            } else {
                Err(Refused::validation(
                    ERR_DUPLICATE_ORDER,
                    format!(
                        "client_orderid {} is already used by another order of this merchant",
                        payment.client_orderid
                    ),
                ))
            };
        }
        // The card: sent, or the one behind the card reference.
        let card = match (&payment.card, &payment.card_ref_id) {
            (Some(card), _) => Some(card.clone()),
            (None, Some(id)) => Some(self.card_refs.get(id).map(|r| r.card.clone()).ok_or_else(
                || {
                    Refused::validation(
                        ERR_CARD_REF_NOT_FOUND,
                        format!("card reference {id} is not known to this merchant"),
                    )
                },
            )?),
            (None, None) => None,
        };
        let form = matches!(
            kind,
            Kind::SaleForm | Kind::PreauthForm | Kind::TransferForm
        );
        let outcome = if form {
            None
        } else {
            let by_card = card.as_ref().map_or(TestOutcome::Approved, |c| c.outcome);
            let by_amount = amount_outcome(minor, &currency);
            // A test amount wins over an approving card; a rebill never asks for 3-D Secure.
            let outcome = match (by_card, by_amount) {
                (TestOutcome::Approved, Some(a)) => a,
                (TestOutcome::ThreeDsChallenge, _)
                    if matches!(
                        kind,
                        Kind::RebillSale | Kind::RebillPreauth | Kind::TransferByRef
                    ) =>
                {
                    by_amount.unwrap_or(TestOutcome::Approved)
                }
                (card, _) => card,
            };
            Some(outcome)
        };
        let orderid = ids.next_orderid.to_string();
        ids.next_orderid += 1;
        let mut order = Order {
            client_orderid: payment.client_orderid.clone(),
            orderid: orderid.clone(),
            kind,
            amount,
            minor,
            currency,
            status: Status::Processing,
            transaction_type: kind.transaction_type(),
            paid: false,
            phase: Phase::Final,
            error: None,
            card,
            captured: None,
            returned: 0,
            voided: false,
            cancelled: false,
            redirect_url: payment.redirect_url,
            server_callback_url: payment.server_callback_url,
            card_ref_id: None,
            seeded: false,
        };
        let mut new_token = None;
        let mut finished = None;
        match outcome {
            None => {
                let t = token();
                order.phase = Phase::AwaitingForm(t.clone());
                new_token = Some(t);
            }
            Some(TestOutcome::ThreeDsChallenge) => {
                let t = token();
                order.phase = Phase::Challenge(t.clone());
                new_token = Some(t);
            }
            Some(TestOutcome::LongProcessing) => order.phase = Phase::Polls(LONG_PROCESSING_POLLS),
            Some(outcome) => finished = finish(&mut order, outcome),
        }
        self.insert(order.clone());
        Ok((
            Placed {
                order,
                repeated: false,
            },
            finished,
            new_token,
        ))
    }

    fn insert(&mut self, order: Order) {
        while self.fifo.len() >= MAX_ORDERS_PER_MERCHANT {
            let Some(old) = self.fifo.pop_front() else {
                break;
            };
            if let Some(gone) = self.orders.remove(&old) {
                self.by_client.remove(&gone.client_orderid);
                self.ref_of_order.remove(&gone.orderid);
            }
        }
        self.fifo.push_back(order.orderid.clone());
        self.by_client
            .insert(order.client_orderid.clone(), order.orderid.clone());
        self.orders.insert(order.orderid.clone(), order);
    }

    /// A status poll: advances a long `processing` order; returns the order as it is now
    /// and, when the poll made it final, its callback.
    pub(crate) fn poll(
        &mut self,
        client_orderid: &str,
        orderid: Option<&str>,
    ) -> Result<(Order, Option<Finished>), Refused> {
        let id = self
            .find(client_orderid, orderid)
            .map(|o| o.orderid.clone())
            .ok_or_else(|| not_found(client_orderid))?;
        let order = self
            .orders
            .get_mut(&id)
            .ok_or_else(|| not_found(client_orderid))?;
        let mut finished = None;
        if let Phase::Polls(left) = order.phase {
            if left <= 1 {
                finished = finish(order, TestOutcome::Approved);
            } else {
                order.phase = Phase::Polls(left - 1);
            }
        }
        Ok((order.clone(), finished))
    }

    /// The payer submitted the payment form of a form order with `card`: the payment is
    /// made as a direct one with that card (a 3-D Secure card then waits for the challenge,
    /// under the same token).
    pub(crate) fn submit_form(
        &mut self,
        orderid: &str,
        card: StoredCard,
    ) -> Option<(Order, Option<Finished>)> {
        let order = self.orders.get_mut(orderid)?;
        let Phase::AwaitingForm(token) = order.phase.clone() else {
            return None;
        };
        let outcome = match (card.outcome, amount_outcome(order.minor, &order.currency)) {
            (TestOutcome::Approved, Some(a)) => a,
            (c, _) => c,
        };
        order.card = Some(card);
        let finished = match outcome {
            TestOutcome::ThreeDsChallenge => {
                order.phase = Phase::Challenge(token);
                None
            }
            TestOutcome::LongProcessing => {
                order.phase = Phase::Polls(LONG_PROCESSING_POLLS);
                None
            }
            outcome => finish(order, outcome),
        };
        Some((order.clone(), finished))
    }

    /// The payer answered the 3-D Secure challenge of `orderid`.
    pub(crate) fn complete_challenge(
        &mut self,
        orderid: &str,
        authenticated: bool,
    ) -> Option<(Order, Option<Finished>)> {
        let order = self.orders.get_mut(orderid)?;
        if !matches!(order.phase, Phase::Challenge(_)) {
            return None;
        }
        let outcome = if authenticated {
            amount_outcome(order.minor, &order.currency).unwrap_or(TestOutcome::Approved)
        } else {
            TestOutcome::Declined
        };
        let outcome = match outcome {
            // The challenge is over: a long-processing amount is simply approved.
            TestOutcome::LongProcessing | TestOutcome::ThreeDsChallenge => TestOutcome::Approved,
            o => o,
        };
        let finished = finish(order, outcome);
        Some((order.clone(), finished))
    }

    /// `capture`: only a preauth, approved, once, up to its amount (the whole amount when
    /// none is sent).
    pub(crate) fn capture(
        &mut self,
        client_orderid: &str,
        orderid: &str,
        amount: Option<&str>,
        currency: Option<&str>,
    ) -> Result<(Order, Option<Finished>), Refused> {
        let order = self.find_mut(client_orderid, orderid)?;
        if !order.kind.is_preauth() {
            return Err(Refused::error(
                ERR_CAPTURE_NOT_ALLOWED,
                format!(
                    "only a preauth can be captured; order {orderid} is a {}",
                    order.kind.transaction_type()
                ),
            ));
        }
        ensure_paid(order)?;
        if order.captured.is_some() {
            return Err(Refused::error(
                ERR_CAPTURE_NOT_ALLOWED,
                format!("order {orderid} was captured already"),
            ));
        }
        if order.cancelled || order.voided {
            return Err(Refused::error(
                ERR_CAPTURE_NOT_ALLOWED,
                format!("order {orderid} was cancelled"),
            ));
        }
        let minor = requested_minor(order, amount, currency)?.unwrap_or(order.minor);
        if minor == 0 || minor > order.minor {
            return Err(Refused::validation(
                ERR_AMOUNT_ABOVE_REMAINING,
                format!(
                    "the capture amount must be above zero and at most the preauthorized {} {}",
                    order.amount, order.currency
                ),
            ));
        }
        order.captured = Some(minor);
        let amount = decimal(minor, &order.currency);
        Ok(transaction(order, "capture", amount))
    }

    /// `return`: for a preauth not yet captured, a cancel of the whole amount (an amount, if
    /// sent, must be the whole); otherwise a reversal of the amount sent (or of all that
    /// remains), never above what remains.
    pub(crate) fn refund(
        &mut self,
        client_orderid: &str,
        orderid: &str,
        amount: Option<&str>,
        currency: Option<&str>,
    ) -> Result<(Order, Option<Finished>), Refused> {
        let order = self.find_mut(client_orderid, orderid)?;
        if !(order.kind.is_preauth() || order.kind.is_sale()) {
            return Err(Refused::error(
                ERR_RETURN_NOT_ALLOWED,
                format!("a {} cannot be returned", order.kind.transaction_type()),
            ));
        }
        ensure_paid(order)?;
        if order.voided || order.cancelled {
            return Err(Refused::error(
                ERR_RETURN_NOT_ALLOWED,
                format!("order {orderid} was voided or cancelled already"),
            ));
        }
        let requested = requested_minor(order, amount, currency)?;
        if order.kind.is_preauth() && order.captured.is_none() {
            // A cancel: "Amount only makes sense for reversals, not cancels".
            if requested.is_some_and(|m| m != order.minor) {
                return Err(Refused::validation(
                    ERR_AMOUNT_ABOVE_REMAINING,
                    "a preauth not captured is cancelled as a whole: send no amount or the whole amount",
                ));
            }
            order.cancelled = true;
            let amount = order.amount.clone();
            return Ok(transaction(order, "cancel", amount));
        }
        let remaining = order.remaining();
        let minor = requested.unwrap_or(remaining);
        if minor == 0 || minor > remaining {
            return Err(Refused::validation(
                ERR_AMOUNT_ABOVE_REMAINING,
                format!(
                    "the return amount must be above zero and at most what remains ({} {})",
                    decimal(remaining, &order.currency),
                    order.currency
                ),
            ));
        }
        order.returned += minor;
        let amount = decimal(minor, &order.currency);
        Ok(transaction(order, "reversal", amount))
    }

    /// `void`: only a sale or a captured preauth in final approved status, nothing returned
    /// yet, once; the whole amount (an amount, if sent, must be the whole).
    pub(crate) fn void(
        &mut self,
        client_orderid: &str,
        orderid: &str,
        amount: Option<&str>,
        currency: Option<&str>,
    ) -> Result<(Order, Option<Finished>), Refused> {
        let order = self.find_mut(client_orderid, orderid)?;
        let voidable =
            order.kind.is_sale() || (order.kind.is_preauth() && order.captured.is_some());
        if !voidable {
            return Err(Refused::error(
                ERR_VOID_NOT_ALLOWED,
                "void can only be processed for sale and capture transactions",
            ));
        }
        ensure_paid(order)?;
        if order.voided || order.cancelled || order.returned > 0 {
            return Err(Refused::error(
                ERR_VOID_NOT_ALLOWED,
                format!("order {orderid} was voided or returned already"),
            ));
        }
        let whole = order.remaining();
        if requested_minor(order, amount, currency)?.is_some_and(|m| m != whole) {
            return Err(Refused::validation(
                ERR_AMOUNT_ABOVE_REMAINING,
                "void reverses the whole amount: send no amount or the whole amount",
            ));
        }
        order.voided = true;
        let amount = decimal(whole, &order.currency);
        Ok(transaction(order, "void", amount))
    }

    /// `create-card-ref`: only for a final, approved first payment of this merchant; the same
    /// order always gets the same reference, made once. Returns the reference and whether it
    /// was made now.
    pub(crate) fn create_card_ref(
        &mut self,
        ids: &mut Ids,
        client_orderid: &str,
        orderid: &str,
    ) -> Result<(CardRef, bool), Refused> {
        let order = self
            .find(client_orderid, Some(orderid))
            .ok_or_else(|| not_found(client_orderid))?;
        if !order.is_final() {
            return Err(Refused::error(
                ERR_ORDER_NOT_FINAL,
                format!(
                    "The initial payment is not in a final status ({}): try again once it is",
                    order.status
                ),
            ));
        }
        if !order.paid {
            return Err(Refused::error(
                ERR_ORDER_NOT_APPROVED,
                format!(
                    "The initial payment was not approved ({}): a card reference needs an approved payment",
                    order.status
                ),
            ));
        }
        if let Some(existing) = self
            .ref_of_order
            .get(orderid)
            .and_then(|id| self.card_refs.get(id))
        {
            return Ok((existing.clone(), false));
        }
        let card = order.card.clone().unwrap_or_else(|| StoredCard {
            bin: "411111".to_owned(),
            last_four: "1111".to_owned(),
            expire_month: "12".to_owned(),
            expire_year: "2030".to_owned(),
            printed_name: String::new(),
            outcome: TestOutcome::Approved,
        });
        let made = CardRef {
            card_ref_id: ids.next_card_ref.to_string(),
            recurring_payment_id: ids.next_recurring.to_string(),
            card,
        };
        ids.next_card_ref += 1;
        ids.next_recurring += 1;
        self.find_mut(client_orderid, orderid)?.card_ref_id = Some(made.card_ref_id.clone());
        while self.card_ref_fifo.len() >= MAX_CARD_REFS_PER_MERCHANT {
            let Some(old) = self.card_ref_fifo.pop_front() else {
                break;
            };
            self.card_refs.remove(&old);
            self.ref_of_order.retain(|_, id| *id != old);
        }
        self.card_ref_fifo.push_back(made.card_ref_id.clone());
        self.ref_of_order
            .insert(orderid.to_owned(), made.card_ref_id.clone());
        self.card_refs
            .insert(made.card_ref_id.clone(), made.clone());
        Ok((made, true))
    }

    /// How many orders the book holds (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.orders.len()
    }
}

fn not_found(client_orderid: &str) -> Refused {
    Refused::validation(
        ERR_ORDER_NOT_FOUND,
        format!("No order found with client_orderid {client_orderid} and this orderid"),
    )
}

fn ensure_paid(order: &Order) -> Result<(), Refused> {
    if !order.is_final() {
        return Err(Refused::error(
            ERR_ORDER_NOT_FINAL,
            format!("order {} is still processing", order.orderid),
        ));
    }
    if !order.paid {
        return Err(Refused::error(
            ERR_ORDER_NOT_APPROVED,
            format!(
                "order {} was not approved ({})",
                order.orderid, order.status
            ),
        ));
    }
    Ok(())
}

/// A follow-up transaction (capture, return, void): approved at once.
fn transaction(
    order: &mut Order,
    transaction_type: &'static str,
    amount: String,
) -> (Order, Option<Finished>) {
    order.status = Status::Approved;
    order.transaction_type = transaction_type;
    order.error = None;
    let finished = order.server_callback_url.clone().map(|url| Finished {
        url,
        orderid: order.orderid.clone(),
        client_orderid: order.client_orderid.clone(),
        amount,
        status: "approved".to_owned(),
        transaction_type,
    });
    (order.clone(), finished)
}

/// Makes the first transaction final with `outcome`; the callback to send, if any.
fn finish(order: &mut Order, outcome: TestOutcome) -> Option<Finished> {
    let (status, error) = match outcome {
        TestOutcome::Approved | TestOutcome::ThreeDsChallenge | TestOutcome::LongProcessing => {
            (Status::Approved, None)
        }
        TestOutcome::Declined => (
            Status::Declined,
            Some((DECLINE_CODE.to_owned(), "Do not honor".to_owned())),
        ),
        TestOutcome::Filtered => (
            Status::Filtered,
            Some((
                "F01".to_owned(),
                "Filtered by the sandbox's fraud control (test card or amount)".to_owned(),
            )),
        ),
        TestOutcome::Error => (
            Status::Error,
            Some((
                "E01".to_owned(),
                "Processing error (test card or amount)".to_owned(),
            )),
        ),
    };
    order.paid = status == Status::Approved;
    order.status = status;
    order.error = error;
    order.phase = Phase::Final;
    order.server_callback_url.clone().map(|url| Finished {
        url,
        orderid: order.orderid.clone(),
        client_orderid: order.client_orderid.clone(),
        amount: order.amount.clone(),
        status: order.status.as_str().to_owned(),
        transaction_type: order.kind.transaction_type(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::cards::{
        AMOUNT_DECLINED, CARD_3DS, CARD_APPROVED, CARD_DECLINED, CARD_LONG_PROCESSING,
    };
    use super::*;

    fn ids() -> Ids {
        Ids {
            next_orderid: 100,
            next_card_ref: 500,
            next_recurring: 900,
        }
    }

    fn card(number: &str) -> StoredCard {
        StoredCard::from_number(number, "12", "2030", "JOHN DOE").unwrap()
    }

    fn pay(client: &str, amount: &str, number: &str) -> NewPayment {
        NewPayment {
            client_orderid: client.to_owned(),
            amount: Some(amount.to_owned()),
            currency: Some("USD".to_owned()),
            card: Some(card(number)),
            server_callback_url: Some("http://127.0.0.1:1/cb".to_owned()),
            ..NewPayment::default()
        }
    }

    fn token() -> String {
        "tok".to_owned()
    }

    #[test]
    fn sale_return_void_rules() {
        let (mut book, mut ids) = (Book::default(), ids());
        let (placed, finished, _) = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("c1", "10.42", CARD_APPROVED),
                token,
            )
            .unwrap();
        assert_eq!(placed.order.status, Status::Approved);
        assert_eq!(finished.unwrap().status, "approved");
        // The same client_orderid again: the same order, no second charge.
        let (again, finished, _) = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("c1", "10.42", CARD_APPROVED),
                token,
            )
            .unwrap();
        assert!(again.repeated && finished.is_none());
        assert_eq!(again.order.orderid, placed.order.orderid);
        assert_eq!(book.len(), 1);
        // ... and with another amount: refused.
        let e = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("c1", "1.00", CARD_APPROVED),
                token,
            )
            .unwrap_err();
        assert_eq!(e.code, ERR_DUPLICATE_ORDER);
        let id = placed.order.orderid.clone();
        // Capture of a sale: refused.
        assert_eq!(
            book.capture("c1", &id, None, None).unwrap_err().code,
            ERR_CAPTURE_NOT_ALLOWED
        );
        // Partial return, then above what remains, then the rest.
        let (o, f) = book.refund("c1", &id, Some("4.00"), Some("USD")).unwrap();
        assert_eq!((o.transaction_type, o.remaining()), ("reversal", 642));
        assert_eq!(f.unwrap().amount, "4.00");
        let e = book
            .refund("c1", &id, Some("6.43"), Some("USD"))
            .unwrap_err();
        assert_eq!((e.validation, e.code), (true, ERR_AMOUNT_ABOVE_REMAINING));
        assert_eq!(
            book.refund("c1", &id, Some("1.00"), Some("EUR"))
                .unwrap_err()
                .code,
            ERR_INVALID_AMOUNT
        );
        // Void after a return: refused.
        assert_eq!(
            book.void("c1", &id, None, None).unwrap_err().code,
            ERR_VOID_NOT_ALLOWED
        );
        let (o, _) = book.refund("c1", &id, None, None).unwrap();
        assert_eq!(o.remaining(), 0);
        assert_eq!(
            book.refund("c1", &id, None, None).unwrap_err().code,
            ERR_AMOUNT_ABOVE_REMAINING
        );
        // Wrong orderid.
        assert_eq!(
            book.refund("c1", "1", None, None).unwrap_err().code,
            ERR_ORDER_NOT_FOUND
        );
    }

    #[test]
    fn preauth_capture_once_cancel_and_void() {
        let (mut book, mut ids) = (Book::default(), ids());
        let (p, _, _) = book
            .place(
                &mut ids,
                Kind::Preauth,
                pay("p1", "20.00", CARD_APPROVED),
                token,
            )
            .unwrap();
        let id = p.order.orderid;
        assert_eq!(
            book.void("p1", &id, None, None).unwrap_err().code,
            ERR_VOID_NOT_ALLOWED,
            "a preauth not captured is cancelled, not voided"
        );
        assert_eq!(
            book.capture("p1", &id, Some("20.01"), None)
                .unwrap_err()
                .code,
            ERR_AMOUNT_ABOVE_REMAINING
        );
        let (o, f) = book.capture("p1", &id, Some("15.00"), None).unwrap();
        assert_eq!((o.transaction_type, o.remaining()), ("capture", 1500));
        assert_eq!(f.unwrap().transaction_type, "capture");
        assert_eq!(
            book.capture("p1", &id, None, None).unwrap_err().code,
            ERR_CAPTURE_NOT_ALLOWED,
            "capture twice"
        );
        assert_eq!(
            book.refund("p1", &id, Some("15.01"), None)
                .unwrap_err()
                .code,
            ERR_AMOUNT_ABOVE_REMAINING
        );
        let (o, _) = book.void("p1", &id, None, None).unwrap();
        assert!(o.voided);
        assert_eq!(
            book.void("p1", &id, None, None).unwrap_err().code,
            ERR_VOID_NOT_ALLOWED
        );
        // Cancel of another preauth.
        let (p, _, _) = book
            .place(
                &mut ids,
                Kind::Preauth,
                pay("p2", "5.00", CARD_APPROVED),
                token,
            )
            .unwrap();
        let id = p.order.orderid;
        assert_eq!(
            book.refund("p2", &id, Some("1.00"), None).unwrap_err().code,
            ERR_AMOUNT_ABOVE_REMAINING
        );
        let (o, _) = book.refund("p2", &id, None, None).unwrap();
        assert_eq!(o.transaction_type, "cancel");
        assert_eq!(
            book.capture("p2", &id, None, None).unwrap_err().code,
            ERR_CAPTURE_NOT_ALLOWED
        );
    }

    #[test]
    fn card_refs_and_rebills() {
        let (mut book, mut ids) = (Book::default(), ids());
        let (d, _, _) = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("d1", "1.00", CARD_DECLINED),
                token,
            )
            .unwrap();
        assert_eq!(d.order.status, Status::Declined);
        assert_eq!(
            book.create_card_ref(&mut ids, "d1", &d.order.orderid)
                .unwrap_err()
                .code,
            ERR_ORDER_NOT_APPROVED
        );
        let (a, _, _) = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("a1", "1.00", CARD_APPROVED),
                token,
            )
            .unwrap();
        let (r, made) = book
            .create_card_ref(&mut ids, "a1", &a.order.orderid)
            .unwrap();
        assert!(made);
        let (r2, made) = book
            .create_card_ref(&mut ids, "a1", &a.order.orderid)
            .unwrap();
        assert_eq!(
            (r2.card_ref_id.as_str(), made),
            (r.card_ref_id.as_str(), false)
        );
        assert_eq!(r.card.last_four, "1111");
        let rebill = |client: &str, card_ref: &str, amount: &str| NewPayment {
            client_orderid: client.to_owned(),
            amount: Some(amount.to_owned()),
            currency: Some("USD".to_owned()),
            card_ref_id: Some(card_ref.to_owned()),
            ..NewPayment::default()
        };
        let (o, _, _) = book
            .place(
                &mut ids,
                Kind::RebillSale,
                rebill("r1", &r.card_ref_id, "2.00"),
                token,
            )
            .unwrap();
        assert_eq!(o.order.status, Status::Approved);
        let (o, _, _) = book
            .place(
                &mut ids,
                Kind::RebillSale,
                rebill("r2", &r.card_ref_id, AMOUNT_DECLINED),
                token,
            )
            .unwrap();
        assert_eq!(o.order.status, Status::Declined);
        assert_eq!(
            book.place(
                &mut ids,
                Kind::RebillSale,
                rebill("r3", "999", "2.00"),
                token
            )
            .unwrap_err()
            .code,
            ERR_CARD_REF_NOT_FOUND
        );
    }

    #[test]
    fn processing_three_ds_and_cap() {
        let (mut book, mut ids) = (Book::default(), ids());
        let (p, f, _) = book
            .place(
                &mut ids,
                Kind::Sale,
                pay("l1", "1.00", CARD_LONG_PROCESSING),
                token,
            )
            .unwrap();
        assert!(f.is_none());
        let id = p.order.orderid;
        assert_eq!(
            book.create_card_ref(&mut ids, "l1", &id).unwrap_err().code,
            ERR_ORDER_NOT_FINAL
        );
        for _ in 1..LONG_PROCESSING_POLLS {
            let (o, f) = book.poll("l1", Some(&id)).unwrap();
            assert_eq!((o.status, f), (Status::Processing, None));
        }
        let (o, f) = book.poll("l1", Some(&id)).unwrap();
        assert_eq!(o.status, Status::Approved);
        assert!(f.is_some());
        let (t, _, tok) = book
            .place(&mut ids, Kind::Sale, pay("t1", "1.00", CARD_3DS), || {
                "secret".into()
            })
            .unwrap();
        assert_eq!(tok.as_deref(), Some("secret"));
        assert_eq!(t.order.phase, Phase::Challenge("secret".into()));
        let (o, f) = book.complete_challenge(&t.order.orderid, true).unwrap();
        assert_eq!(
            (o.status, f.unwrap().status.as_str()),
            (Status::Approved, "approved")
        );
        assert!(book.complete_challenge(&t.order.orderid, true).is_none());
        // The cap.
        for n in 0..MAX_ORDERS_PER_MERCHANT + 5 {
            let mut p = pay(&format!("cap{n}"), "1.00", CARD_APPROVED);
            p.server_callback_url = None;
            book.place(&mut ids, Kind::Sale, p, token).unwrap();
        }
        assert_eq!(book.len(), MAX_ORDERS_PER_MERCHANT);
        assert!(book.find("cap0", None).is_none());
        assert!(
            book.find(&format!("cap{}", MAX_ORDERS_PER_MERCHANT + 4), None)
                .is_some()
        );
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(1042, "USD"), "10.42");
        assert_eq!(decimal(5, "EUR"), "0.05");
        assert_eq!(decimal(1000, "JPY"), "1000");
        assert_eq!(decimal(1234, "KWD"), "1.234");
    }
}
