//! Which customers are likely one person, for a person to confirm (never merged on their own):
//! the same email once normalised (case, a `+tag`, Gmail's dots), the same phone number (its
//! last nine digits, with or without the country code), the same name (case, spacing and word
//! order aside). Pure; the store finds the candidates, this says why each is one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::customer::{fold_name, Customer};

/// Why two customers may be one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Likeness {
    SameEmail,
    SamePhone,
    SameName,
}

impl Likeness {
    /// How much it counts: an email or a phone says much more than a name.
    fn weight(self) -> u32 {
        match self {
            Likeness::SameEmail | Likeness::SamePhone => 10,
            Likeness::SameName => 3,
        }
    }
}

/// An email as one person's: lower-case, without a `+tag`, and for Gmail without the dots of
/// the local part (`Anna.Rossi+shop@googlemail.com` → `annarossi@gmail.com`).
pub fn email_key(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    let (local, domain) = e.rsplit_once('@')?;
    let local = local.split('+').next().unwrap_or(local);
    let (local, domain) = match domain {
        "gmail.com" | "googlemail.com" => (local.replace('.', ""), "gmail.com"),
        d => (local.to_string(), d),
    };
    (!local.is_empty() && !domain.is_empty()).then(|| format!("{local}@{domain}"))
}

/// A phone as one line: its last nine digits (so `+39 333 123 4567` and `333 1234567` agree).
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 9).then(|| digits[digits.len() - 9..].to_string())
}

/// A name as one person's: folded, its words in order (`ROSSI  Anna` and `anna rossi` agree).
pub fn name_key(name: &str) -> String {
    let folded = fold_name(name);
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Why `b` may be the same person as `a` (empty: no reason to think so).
pub fn likeness(a: &Customer, b: &Customer) -> Vec<Likeness> {
    let mut why = Vec::new();
    let keys = |list: &[String], f: fn(&str) -> Option<String>| list.iter().filter_map(|x| f(x)).collect::<Vec<_>>();
    let (ea, eb) = (keys(&a.emails, email_key), keys(&b.emails, email_key));
    if ea.iter().any(|k| eb.contains(k)) {
        why.push(Likeness::SameEmail);
    }
    let (pa, pb) = (keys(&a.phones, phone_key), keys(&b.phones, phone_key));
    if pa.iter().any(|k| pb.contains(k)) {
        why.push(Likeness::SamePhone);
    }
    let (na, nb) = (name_key(&a.display_name), name_key(&b.display_name));
    if !na.is_empty() && na == nb && !na.contains('@') {
        why.push(Likeness::SameName);
    }
    why
}

/// How likely, as a score to sort by: the weights of the reasons.
pub fn score(why: &[Likeness]) -> u32 {
    why.iter().map(|l| l.weight()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::now;

    fn customer(name: &str, emails: &[&str], phones: &[&str]) -> Customer {
        let mut c = Customer::named(crate::domain::new_id(), name, now());
        c.emails = emails.iter().map(|s| s.to_string()).collect();
        c.phones = phones.iter().map(|s| s.to_string()).collect();
        c
    }

    #[test]
    fn keys_agree_where_people_would() {
        assert_eq!(email_key("Anna.Rossi+shop@GoogleMail.com").as_deref(), Some("annarossi@gmail.com"));
        assert_eq!(email_key("anna.rossi@example.com").as_deref(), Some("anna.rossi@example.com"));
        assert_eq!(email_key("anna.rossi+x@example.com"), email_key("ANNA.ROSSI@example.com"));
        assert_eq!(phone_key("+39 333 123 4567"), phone_key("333-1234567"));
        assert_eq!(phone_key("12345"), None);
        assert_eq!(name_key("ROSSI  Anna"), name_key("anna rossi"));
    }

    #[test]
    fn reasons_and_their_weight() {
        let a = customer("Anna Rossi", &["anna.rossi@gmail.com"], &["+393331234567"]);
        let b = customer("Rossi Anna", &["annarossi+shop@gmail.com"], &["3331234567"]);
        let why = likeness(&a, &b);
        assert_eq!(why, [Likeness::SameEmail, Likeness::SamePhone, Likeness::SameName]);
        assert_eq!(score(&why), 23);
        let c = customer("Anna Rossi", &["other@example.com"], &[]);
        assert_eq!(likeness(&a, &c), [Likeness::SameName]);
        let d = customer("Bruno", &["b@example.com"], &["+441234"]);
        assert!(likeness(&a, &d).is_empty());
    }
}
