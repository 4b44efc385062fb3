//! The HTML the Payneteasy half serves to payers: the `html` of a 3-D Secure challenge, the
//! sandbox's ACS page, the payment form of the form commands, and the page that posts the
//! customer return to the merchant's `redirect_url`. No external assets; each auto-submitting
//! page has a small inline script and a visible button for browsers without scripts.

use super::cards::{CARD_3DS, CARD_APPROVED, TEST_CARDS};

/// Escapes text for HTML content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    )
}

fn hidden(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>\n",
                escape(n),
                escape(v)
            )
        })
        .collect()
}

/// A form that posts `fields` to `action` by itself (an inline script), with a button for
/// browsers without scripts.
fn auto_post(id: &str, action: &str, fields: &[(&str, &str)], button: &str) -> String {
    format!(
        "<form id=\"{id}\" method=\"POST\" action=\"{}\">\n{}<button type=\"submit\">{}</button>\n</form>\n<script>document.getElementById(\"{id}\").submit();</script>",
        escape(action),
        hidden(fields),
        escape(button)
    )
}

/// The `html` of `status` while a 3-D Secure challenge waits: a form to the ACS page.
pub(crate) fn challenge_html(acs_url: &str, orderid: &str) -> String {
    auto_post(
        "paygate-3ds",
        acs_url,
        &[("PaReq", orderid), ("TermUrl", acs_url)],
        "Continue to 3-D Secure",
    )
}

/// The sandbox's ACS page: the payer authenticates or fails the challenge.
pub(crate) fn acs_page(action: &str, amount: &str, currency: &str) -> String {
    page(
        "Sandbox 3-D Secure",
        &format!(
            "<h1>Sandbox 3-D Secure challenge</h1>\n<p>Payment of {} {}. This is the paygate sandbox: no real bank is asked.</p>\n\
             <form method=\"POST\" action=\"{a}\">\n<input type=\"hidden\" name=\"result\" value=\"success\"/>\n<button type=\"submit\" id=\"authenticate\">Authenticate</button>\n</form>\n\
             <form method=\"POST\" action=\"{a}\">\n<input type=\"hidden\" name=\"result\" value=\"failure\"/>\n<button type=\"submit\" id=\"fail\">Fail authentication</button>\n</form>",
            escape(amount),
            escape(currency),
            a = escape(action),
        ),
    )
}

/// The payment form of a form command: the payer types a card number (the published test
/// cards are listed).
pub(crate) fn payment_form(action: &str, amount: &str, currency: &str) -> String {
    let cards: String = TEST_CARDS
        .iter()
        .map(|c| {
            format!(
                "<li><code>{}</code>: {}</li>\n",
                c.number,
                c.outcome.as_str()
            )
        })
        .collect();
    page(
        "Sandbox payment form",
        &format!(
            "<h1>Sandbox payment form</h1>\n<p>Payment of {} {}.</p>\n\
             <form method=\"POST\" action=\"{}\">\n\
             <label>Card number <input name=\"credit_card_number\" value=\"{CARD_APPROVED}\" autocomplete=\"off\"/></label><br/>\n\
             <label>Expiry month <input name=\"expire_month\" value=\"12\"/></label>\n\
             <label>year <input name=\"expire_year\" value=\"2030\"/></label><br/>\n\
             <label>Name on card <input name=\"card_printed_name\" value=\"TEST CARDHOLDER\"/></label><br/>\n\
             <label>CVV <input name=\"cvv2\" value=\"123\" autocomplete=\"off\"/></label><br/>\n\
             <button type=\"submit\" id=\"pay\">Pay</button>\n</form>\n\
             <p>Test cards (a 3-D Secure challenge follows for <code>{CARD_3DS}</code>):</p>\n<ul>\n{cards}</ul>",
            escape(amount),
            escape(currency),
            escape(action),
        ),
    )
}

/// The page that posts the customer return to the merchant's `redirect_url`.
pub(crate) fn customer_return(redirect_url: &str, fields: &[(&str, &str)]) -> String {
    page(
        "Returning to the merchant",
        &format!(
            "<p>Payment finished: returning to the merchant.</p>\n{}",
            auto_post(
                "paygate-return",
                redirect_url,
                fields,
                "Return to the merchant"
            )
        ),
    )
}

/// A page for the payer when there is nowhere to return to, or the link is stale.
pub(crate) fn message(title: &str, text: &str) -> String {
    page(title, &format!("<p>{}</p>", escape(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_it_embeds() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let page = customer_return(
            "http://h/r?a=1&b=\"2\"",
            &[("client_orderid", "\"><script>alert(1)</script>")],
        );
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("action=\"http://h/r?a=1&amp;b=&quot;2&quot;\""));
        assert!(page.contains("<button type=\"submit\">"));
        assert!(!page.contains("src="), "no external assets");
    }
}
