//! What customers contact the team about, and why it happened: the keys a report ranks cases
//! by. A root cause is the first of a resolution's whys, normalised so that "Carrier lost the
//! parcel." and "carrier lost the parcel" count as one; a contact reason is the case's subject
//! with what differs from case to case taken out (order numbers, amounts), so that "Charged
//! twice for order #1234" and "Charged twice for order #981" count as one.

/// Lower-case, single spaces, no punctuation at the ends, no leading "because".
pub fn normalise_cause(why: &str) -> String {
    let words: Vec<String> = why.split_whitespace().map(str::to_lowercase).collect();
    let mut text = words.join(" ");
    for lead in ["because of ", "because ", "- ", "* "] {
        if let Some(rest) = text.strip_prefix(lead) {
            text = rest.to_string();
        }
    }
    text.trim_matches(|c: char| !c.is_alphanumeric()).chars().take(200).collect()
}

/// The root cause of a resolution: its first why that says something, normalised.
pub fn root_cause(whys: &[String]) -> Option<String> {
    whys.iter().map(|w| normalise_cause(w)).find(|w| !w.is_empty())
}

/// A subject as a contact reason: lower-case, each word holding a digit as `#`, single spaces,
/// no punctuation at the ends.
pub fn contact_reason(subject: &str) -> String {
    let words: Vec<String> = subject
        .split_whitespace()
        .map(|w| if w.chars().any(|c| c.is_ascii_digit()) { "#".to_string() } else { w.to_lowercase() })
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for w in words {
        // "#1234 #5678" is one number's place.
        if !(w == "#" && out.last().is_some_and(|l| l == "#")) {
            out.push(w);
        }
    }
    out.join(" ").trim_matches(|c: char| !c.is_alphanumeric() && c != '#').chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_and_reasons_count_as_one_when_they_say_the_same() {
        assert_eq!(normalise_cause("  Carrier   lost the parcel. "), "carrier lost the parcel");
        assert_eq!(normalise_cause("Because the carrier lost the parcel!"), "the carrier lost the parcel");
        assert_eq!(root_cause(&["  ".into(), "...".into(), "Expired card".into()]).as_deref(), Some("expired card"));
        assert_eq!(root_cause(&[]), None);
        assert_eq!(contact_reason("Charged twice for order #1234"), "charged twice for order #");
        assert_eq!(contact_reason("charged TWICE for order 981!"), "charged twice for order #");
        assert_eq!(contact_reason("Refund of €42.50 not received"), "refund of # not received");
        assert_eq!(contact_reason("Order #12 #13 missing"), "order # missing");
    }
}
