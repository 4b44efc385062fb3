//! The asynchronous model: polling `status` until the order is final ([`StatusWaiter`]).

use std::time::{Duration, Instant};

use payneteasy_proto::{Endpoint, StatusRequest, StatusResponse, StatusV2Request};

use super::PayneteasyClient;
use crate::error::Error;
use crate::retry::Idempotency;
use crate::transport::{ConfigError, MAX_TIMEOUT, check_at_most, check_duration};

/// Which `status` command to poll: v4 (OAuth) or v2 (`control`, with the configured control
/// key).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusQuery {
    /// v4 `status`.
    V4(StatusRequest),
    /// v2 `status`.
    V2(StatusV2Request),
}

impl StatusQuery {
    /// The merchant's order id the query asks about.
    #[must_use]
    pub fn client_orderid(&self) -> &str {
        match self {
            StatusQuery::V4(r) => r.client_orderid(),
            StatusQuery::V2(r) => r.client_orderid(),
        }
    }
}

impl From<StatusRequest> for StatusQuery {
    fn from(request: StatusRequest) -> Self {
        StatusQuery::V4(request)
    }
}

impl From<StatusV2Request> for StatusQuery {
    fn from(request: StatusV2Request) -> Self {
        StatusQuery::V2(request)
    }
}

/// When to poll `status`: a fast interval during a first phase, then a slow one, up to a
/// deadline. Made by [`PollSchedule::builder`] (validated) or [`Default`]: the first poll at
/// once, then every 4 s for 5 minutes, then every 5 minutes, for at most an hour (the
/// documentation: "every 3–5 s for 5 minutes, then every 5–10 minutes up to an hour").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollSchedule {
    first_delay: Duration,
    interval: Duration,
    fast_phase: Duration,
    slow_interval: Duration,
    deadline: Duration,
}

/// The longest deadline a [`PollSchedule`] accepts: a day.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            first_delay: Duration::ZERO,
            interval: Duration::from_secs(4),
            fast_phase: Duration::from_secs(5 * 60),
            slow_interval: Duration::from_secs(5 * 60),
            deadline: Duration::from_secs(3600),
        }
    }
}

impl PollSchedule {
    /// A builder starting from the [defaults](PollSchedule::default).
    pub fn builder() -> PollScheduleBuilder {
        PollScheduleBuilder(PollSchedule::default())
    }

    /// The wait before the first poll.
    #[must_use]
    pub fn first_delay(&self) -> Duration {
        self.first_delay
    }

    /// The wait between polls during the fast phase.
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long the fast phase lasts, from the start of the wait.
    #[must_use]
    pub fn fast_phase(&self) -> Duration {
        self.fast_phase
    }

    /// The wait between polls after the fast phase.
    #[must_use]
    pub fn slow_interval(&self) -> Duration {
        self.slow_interval
    }

    /// The whole wait's budget, from its start: no poll starts later.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The wait before the next poll, `elapsed` after the start of the wait, `polls` polls
    /// made so far: [`first_delay`](Self::first_delay) before the first one, then
    /// [`interval`](Self::interval) while within [`fast_phase`](Self::fast_phase), then
    /// [`slow_interval`](Self::slow_interval). `None` when that poll would start after the
    /// deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use paygate_client::payneteasy::PollSchedule;
    ///
    /// let s = PollSchedule::default();
    /// let secs = Duration::from_secs;
    /// assert_eq!(s.next_delay(secs(0), 0), Some(secs(0)));
    /// assert_eq!(s.next_delay(secs(8), 2), Some(secs(4)));
    /// assert_eq!(s.next_delay(secs(301), 75), Some(secs(300)));
    /// assert_eq!(s.next_delay(secs(3500), 80), None); // past the hour
    /// ```
    #[must_use]
    pub fn next_delay(&self, elapsed: Duration, polls: u32) -> Option<Duration> {
        let delay = if polls == 0 {
            self.first_delay
        } else if elapsed < self.fast_phase {
            self.interval
        } else {
            self.slow_interval
        };
        (elapsed.saturating_add(delay) <= self.deadline).then_some(delay)
    }
}

/// Builds a [`PollSchedule`]; every setting starts at its default. [`build`](Self::build)
/// validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct PollScheduleBuilder(PollSchedule);

impl PollScheduleBuilder {
    /// The wait before the first poll (default 0).
    pub fn first_delay(mut self, delay: Duration) -> Self {
        self.0.first_delay = delay;
        self
    }

    /// The wait between polls during the fast phase (default 4 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.0.interval = interval;
        self
    }

    /// How long the fast phase lasts (default 5 minutes).
    pub fn fast_phase(mut self, phase: Duration) -> Self {
        self.0.fast_phase = phase;
        self
    }

    /// The wait between polls after the fast phase (default 5 minutes).
    pub fn slow_interval(mut self, interval: Duration) -> Self {
        self.0.slow_interval = interval;
        self
    }

    /// The whole wait's budget (default 1 hour, at most [`MAX_WAIT`]).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.0.deadline = deadline;
        self
    }

    /// The schedule.
    ///
    /// # Errors
    /// [`ConfigError::Zero`] for a zero interval or deadline (a zero interval would poll in a
    /// busy loop), [`ConfigError::TooLarge`] for a deadline over [`MAX_WAIT`] or a delay over
    /// [`MAX_TIMEOUT`], [`ConfigError::Inconsistent`] when the slow interval is shorter than
    /// the fast one.
    pub fn build(self) -> Result<PollSchedule, ConfigError> {
        let s = self.0;
        check_duration("interval", s.interval)?;
        check_duration("slow_interval", s.slow_interval)?;
        check_at_most("first_delay", s.first_delay, MAX_TIMEOUT)?;
        if s.deadline.is_zero() {
            return Err(ConfigError::Zero {
                setting: "deadline",
            });
        }
        check_at_most("deadline", s.deadline, MAX_WAIT)?;
        if s.slow_interval < s.interval {
            return Err(ConfigError::Inconsistent(
                "slow_interval must not be shorter than interval",
            ));
        }
        Ok(s)
    }
}

/// What the payer must do next while the order is not final.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextAction {
    /// Show this HTML page to the payer (a `status` answer's `html`: typically a 3-D Secure
    /// form that posts itself to the issuer's ACS).
    ShowHtml(String),
    /// Send the payer to this URL, once (a `status` answer's `redirect-to`).
    RedirectTo(String),
    /// Form commands: send the payer to the payment form at this URL (the `redirect-url` of
    /// an `async-form-response`).
    Redirect(String),
}

impl NextAction {
    /// The next action a `status` answer asks for: its `html`, else its `redirect-to`
    /// (empty values ignored); `None` for a final status.
    #[must_use]
    pub fn from_status(response: &StatusResponse) -> Option<NextAction> {
        if response.status.is_final() {
            return None;
        }
        fn present(value: &Option<String>) -> Option<&str> {
            value.as_deref().filter(|v| !v.trim().is_empty())
        }
        if let Some(html) = present(&response.html) {
            return Some(NextAction::ShowHtml(html.to_owned()));
        }
        present(&response.redirect_to).map(|url| NextAction::RedirectTo(url.to_owned()))
    }

    /// The action of a form command's answer: send the payer to its `redirect-url`
    /// (`None` when it is absent or empty).
    #[must_use]
    pub fn from_form_redirect(redirect_url: Option<&str>) -> Option<NextAction> {
        redirect_url
            .filter(|url| !url.trim().is_empty())
            .map(|url| NextAction::Redirect(url.to_owned()))
    }

    /// A stable, machine-readable name: `show_html`, `redirect_to`, `redirect`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            NextAction::ShowHtml(_) => "show_html",
            NextAction::RedirectTo(_) => "redirect_to",
            NextAction::Redirect(_) => "redirect",
        }
    }

    /// The HTML or the URL.
    #[must_use]
    pub fn value(&self) -> &str {
        match self {
            NextAction::ShowHtml(v) | NextAction::RedirectTo(v) | NextAction::Redirect(v) => v,
        }
    }
}

/// How a wait ended. See [`StatusWaiter::next`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitOutcome {
    /// The order reached a final status (approved, declined, error, filtered): act on it.
    Final(StatusResponse),
    /// The order is not final and the payer must act: show the page or follow the URL, then
    /// ask [`StatusWaiter::next`] again.
    Action {
        /// What to do.
        action: NextAction,
        /// The answer that asked for it.
        response: StatusResponse,
    },
    /// The schedule's deadline passed and the last answer is still not final.
    NotFinal(StatusResponse),
}

impl WaitOutcome {
    /// The last `status` answer.
    #[must_use]
    pub fn response(&self) -> &StatusResponse {
        match self {
            WaitOutcome::Final(r) | WaitOutcome::NotFinal(r) => r,
            WaitOutcome::Action { response, .. } => response,
        }
    }
}

/// The asynchronous model: after an `async-response`, poll `status` until the order is final,
/// telling the caller what the payer must do meanwhile.
///
/// A Payneteasy payment command (`sale`, `preauth`, `capture`, `return`, `void`,
/// `make-rebill-*`, `transfer-by-ref`) answers `async-response` at once: the order exists and
/// is `processing`. Its outcome comes from polling `status` (PHPLIB's payment scenarios; the
/// `return` page: "Merchant starts polling for status with given orderid"). While it is
/// `processing`, the answer may carry a next step for the payer: an `html` page to show (a 3-D
/// Secure form) or a `redirect-to` URL to send the payer to once. A form command
/// (`sale-form`, `preauth-form`, `transfer-form`) answers `redirect-url`: send the payer
/// there ([`NextAction::from_form_redirect`]).
///
/// This waiter does the polling: made by [`PayneteasyClient::waiter`], each
/// [`StatusWaiter::next`] polls with the [`PollSchedule`] (by default the documentation's
/// cadence: every 3–5 s for 5 minutes, then every 5–10 minutes, up to an hour; here 4 s, as
/// Payneteasy's own status page does, then 5 minutes) and returns a [`WaitOutcome`]: the final
/// status, a **new** next action (each `html` or `redirect-to` is reported once; call `next`
/// again after showing it), or, at the schedule's deadline, the last non-final answer.
///
/// - **Bounded**: no poll starts after [`PollSchedule::deadline`], and a poll in flight at the
///   deadline is cut (each poll is also bounded by the client's
///   [`RetryPolicy::deadline`](crate::RetryPolicy::deadline), and retried by its policy:
///   `status` is idempotent).
/// - **Cancellable**: `next` is a future; drop it (or wrap it in `tokio::time::timeout` or a
///   `select!`) to stop. Nothing is left running, and the waiter can be asked again.
/// - **Errors**: a poll that fails with a cause that may pass (a timeout, a refused
///   connection, a 502/503/504: [`Error::is_retryable_for`] an idempotent call) is followed by
///   the next scheduled poll; any other error (authentication refused, a rejection) ends the
///   wait with that error. At the deadline with no answer at all, the last error is returned.
///
/// Final statuses are `approved`, `declined`, `error` and `filtered`; anything else
/// (`processing`, `unknown`, values the gateway adds) is not final.
#[derive(Debug)]
pub struct StatusWaiter {
    client: PayneteasyClient,
    endpoint: Endpoint,
    query: StatusQuery,
    schedule: PollSchedule,
    started: Option<Instant>,
    polls: u32,
    reported: Vec<NextAction>,
}

impl StatusWaiter {
    /// Polls until the order is final, a next action not reported before appears, or the
    /// deadline passes (counted from the first call of `next`).
    ///
    /// Cancel by dropping the future; a later call goes on with the same schedule.
    ///
    /// # Errors
    /// The error of a poll that will not pass by waiting (authentication refused, a
    /// rejection, a v2 query without a control key); at the deadline without any answer, the
    /// last poll's error (or [`Error::NotSent`] with
    /// [`NotSentReason::DeadlineExceeded`](crate::NotSentReason::DeadlineExceeded) when the
    /// deadline left no time for a poll).
    pub async fn next(&mut self) -> Result<WaitOutcome, Error> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let deadline = started + self.schedule.deadline;
        let mut last_error = None;
        let mut last_answer: Option<StatusResponse> = None;
        loop {
            let elapsed = started.elapsed();
            let Some(delay) = self.schedule.next_delay(elapsed, self.polls) else {
                return match (last_answer, last_error) {
                    (Some(answer), _) => Ok(WaitOutcome::NotFinal(answer)),
                    (None, Some(error)) => Err(error),
                    (None, None) => Err(Error::NotSent {
                        reason: crate::NotSentReason::DeadlineExceeded,
                        source: Some("the wait's deadline passed before the next poll".into()),
                    }),
                };
            };
            tokio::time::sleep(delay).await;
            self.polls += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let poll = self.client.status_of(&self.endpoint, &self.query);
            let answer = match tokio::time::timeout(left, poll).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(error)) if error.is_retryable_for(Idempotency::Idempotent) => {
                    tracing::debug!(class = error.class(), "status poll failed; polling on");
                    last_error = Some(error);
                    continue;
                }
                Ok(Err(error)) => return Err(error),
                Err(_) => {
                    last_error = Some(Error::maybe_sent(
                        crate::MaybeSentReason::Timeout,
                        Some("the wait's deadline passed during a status poll".into()),
                    ));
                    continue;
                }
            };
            if answer.status.is_final() {
                return Ok(WaitOutcome::Final(answer));
            }
            if let Some(action) = NextAction::from_status(&answer)
                && !self.reported.contains(&action)
            {
                self.reported.push(action.clone());
                return Ok(WaitOutcome::Action {
                    action,
                    response: answer,
                });
            }
            last_answer = Some(answer);
        }
    }

    /// How many polls were started so far.
    #[must_use]
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// The query being polled.
    #[must_use]
    pub fn query(&self) -> &StatusQuery {
        &self.query
    }
}

impl PayneteasyClient {
    /// `status` of either version: [`Self::status`] for [`StatusQuery::V4`],
    /// [`Self::status_v2`] for [`StatusQuery::V2`].
    ///
    /// # Errors
    /// As [`Self::execute`].
    pub async fn status_of(
        &self,
        endpoint: &Endpoint,
        query: &StatusQuery,
    ) -> Result<StatusResponse, Error> {
        match query {
            StatusQuery::V4(request) => self.status(endpoint, request).await,
            StatusQuery::V2(request) => self.status_v2(endpoint, request).await,
        }
    }

    /// A [`StatusWaiter`] polling `query` at `endpoint` with `schedule` (the clock starts at
    /// its first [`StatusWaiter::next`]).
    #[must_use]
    pub fn waiter(
        &self,
        endpoint: &Endpoint,
        query: impl Into<StatusQuery>,
        schedule: PollSchedule,
    ) -> StatusWaiter {
        StatusWaiter {
            client: self.clone(),
            endpoint: *endpoint,
            query: query.into(),
            schedule,
            started: None,
            polls: 0,
            reported: Vec::new(),
        }
    }

    /// Polls `status` until the order is final, a next action appears, or the schedule's
    /// deadline passes: one [`StatusWaiter::next`] of a new [`Self::waiter`].
    ///
    /// # Errors
    /// As [`StatusWaiter::next`].
    pub async fn wait_for_status(
        &self,
        endpoint: &Endpoint,
        query: impl Into<StatusQuery>,
        schedule: PollSchedule,
    ) -> Result<WaitOutcome, Error> {
        self.waiter(endpoint, query, schedule).next().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use payneteasy_proto::Status;

    #[test]
    fn the_default_cadence_is_the_documentation_s() {
        let s = PollSchedule::default();
        let secs = Duration::from_secs;
        assert_eq!(s.next_delay(secs(0), 0), Some(Duration::ZERO));
        assert_eq!(s.next_delay(secs(0), 1), Some(secs(4)));
        assert_eq!(s.next_delay(secs(299), 70), Some(secs(4)));
        assert_eq!(s.next_delay(secs(300), 75), Some(secs(300)));
        assert_eq!(s.next_delay(secs(3300), 80), Some(secs(300)));
        assert_eq!(s.next_delay(secs(3301), 81), None);
        // Polls in an hour: 75 in the fast phase, then 11 slow ones.
        let mut elapsed = Duration::ZERO;
        let mut polls = 0;
        while let Some(delay) = s.next_delay(elapsed, polls) {
            elapsed += delay;
            polls += 1;
        }
        assert_eq!(polls, 87);
        assert!(elapsed <= secs(3600));
    }

    #[test]
    fn schedules_are_validated() {
        let ms = Duration::from_millis;
        assert!(PollSchedule::builder().interval(ms(10)).build().is_ok());
        assert!(matches!(
            PollSchedule::builder().interval(Duration::ZERO).build(),
            Err(ConfigError::Zero {
                setting: "interval"
            })
        ));
        assert!(matches!(
            PollSchedule::builder().deadline(MAX_WAIT + ms(1)).build(),
            Err(ConfigError::TooLarge {
                setting: "deadline",
                ..
            })
        ));
        assert!(matches!(
            PollSchedule::builder()
                .interval(ms(20))
                .slow_interval(ms(10))
                .build(),
            Err(ConfigError::Inconsistent(_))
        ));
    }

    #[test]
    fn next_actions() {
        let mut r = StatusResponse::new(Status::Processing);
        assert_eq!(NextAction::from_status(&r), None);
        r.redirect_to = Some("https://acs.example/3ds".into());
        assert_eq!(
            NextAction::from_status(&r),
            Some(NextAction::RedirectTo("https://acs.example/3ds".into()))
        );
        r.html = Some("<form></form>".into());
        assert_eq!(
            NextAction::from_status(&r),
            Some(NextAction::ShowHtml("<form></form>".into()))
        );
        r.status = Status::Approved;
        assert_eq!(NextAction::from_status(&r), None, "final: nothing to do");
        assert_eq!(
            NextAction::from_form_redirect(Some("https://pay.example/form")),
            Some(NextAction::Redirect("https://pay.example/form".into()))
        );
        assert_eq!(NextAction::from_form_redirect(Some(" ")), None);
        assert_eq!(NextAction::Redirect("u".into()).name(), "redirect");
    }
}
