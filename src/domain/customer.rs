//! Customers and how they are found: normalised emails and phones, external ids per source,
//! and the search terms that one prefix index serves.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub display_name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// The customer's id in each source system, e.g. `{"shop": "C-1042"}` (the first one known
    /// for a source; `identities` lists them all).
    pub external_ids: BTreeMap<String, String>,
    pub identities: Vec<Identity>,
    pub tier: Option<String>,
    pub tags: Vec<String>,
    /// The customer's language (BCP 47, e.g. `it`, `pt-BR`), when an event named it
    /// (extension `customerlanguage`): surveys and replies go out in it.
    #[serde(default)]
    pub language: Option<String>,
    /// Set when a person merged this customer into another: everything it had is there now
    /// (`POST /api/v1/customers/{id}/merge`; undone with `POST /api/v1/merges/{id}/undo`).
    #[serde(default)]
    pub merged_into: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// A customer known only by id and name (before the rest arrives, and in tests).
    pub fn named(id: Uuid, name: &str, at: DateTime<Utc>) -> Customer {
        Customer {
            id,
            display_name: name.to_string(),
            emails: vec![],
            phones: vec![],
            external_ids: BTreeMap::new(),
            identities: vec![],
            tier: None,
            tags: vec![],
            language: None,
            merged_into: None,
            created_at: at,
            updated_at: at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    Email,
    Phone,
    External,
}
super::named_enum!(IdentityKind, "identity kind", { Email => "email", Phone => "phone", External => "external" });

/// One way to recognise a customer: an email, a phone, or an id in a source system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct Identity {
    pub kind: IdentityKind,
    /// The source system for `external`; empty for emails and phones.
    pub source: String,
    pub value: String,
}

impl Identity {
    pub fn email(value: String) -> Self {
        Identity { kind: IdentityKind::Email, source: String::new(), value }
    }
    pub fn phone(value: String) -> Self {
        Identity { kind: IdentityKind::Phone, source: String::new(), value }
    }
    pub fn external(source: &str, value: &str) -> Self {
        Identity { kind: IdentityKind::External, source: source.to_string(), value: value.to_string() }
    }
}

/// Lower-cases and checks an email address; `None` when it is not one.
///
/// ```
/// use casebook::domain::customer::normalize_email;
/// assert_eq!(normalize_email(" Anna@Example.COM ").as_deref(), Some("anna@example.com"));
/// assert_eq!(normalize_email("anna"), None);
/// ```
pub fn normalize_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.chars().count() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

/// Reduces a phone number to `+` and digits (E.164 style when it had a country code);
/// `None` when it has fewer than 5 digits or letters in it.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.chars().any(|c| !(c.is_ascii_digit() || " +-().\u{a0}/".contains(c))) {
        return None;
    }
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 5 || digits.len() > 20 {
        return None;
    }
    Some(if raw.starts_with('+') { format!("+{digits}") } else { digits })
}

/// The name as it sorts and is searched: lower case, single spaces.
pub fn fold_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Every prefix-searchable term for a customer: the whole name and each word of it, emails,
/// phone digits (also without a 1–3 digit country code), and external ids.
pub fn search_terms(display_name: &str, identities: &[Identity]) -> Vec<String> {
    let mut terms = Vec::new();
    let name = fold_name(display_name);
    if !name.is_empty() {
        for word in name.split(' ') {
            terms.push(word.to_string());
        }
        terms.push(name);
    }
    for id in identities {
        match id.kind {
            IdentityKind::Email => {
                terms.push(id.value.clone());
                // The address as one person's (`Anna.Rossi+shop@gmail.com` → `annarossi@gmail.com`),
                // so that its other spellings find it, and duplicates are found by it.
                terms.extend(super::duplicates::email_key(&id.value));
            }
            IdentityKind::Phone => {
                let digits = id.value.trim_start_matches('+');
                terms.push(digits.to_string());
                if id.value.starts_with('+') {
                    for cc in 1..=3 {
                        if digits.len() > cc + 4 {
                            terms.push(digits[cc..].to_string());
                        }
                    }
                }
            }
            IdentityKind::External => terms.push(id.value.to_lowercase()),
        }
    }
    terms.retain(|t| !t.is_empty());
    terms.sort();
    terms.dedup();
    terms
}

/// The term a search query looks for: phone-like queries become digits, the rest is folded.
///
/// ```
/// use casebook::domain::customer::query_term;
/// assert_eq!(query_term("+39 333-12").as_deref(), Some("3933312"));
/// assert_eq!(query_term("  Anna   ROSSI ").as_deref(), Some("anna rossi"));
/// ```
/// The longest search casebook takes: a name, an email, a phone number or an id fits many
/// times over; a paste of a whole document does not become a query.
pub const MAX_QUERY_CHARS: usize = 200;

pub fn query_term(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
    if phone_like && digits.len() >= 3 {
        return Some(digits);
    }
    Some(fold_name(q))
}

/// The exclusive upper bound of a prefix range: every string that starts with `prefix` sorts
/// (byte-wise) at or after `prefix` and before this.
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10ffff}")
}

/// A language tag (BCP 47: `it`, `pt-BR`, `zh-Hant-TW`) in its usual case, or `None` when
/// `s` is not one. `_` is read as `-` (`pt_BR` as POSIX locales write it).
pub fn normalize_language(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 35 {
        return None;
    }
    let mut out = Vec::new();
    for (i, part) in s.split(['-', '_']).enumerate() {
        let ok = !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric());
        let language_part = (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphabetic());
        if !ok || (i == 0 && !language_part) {
            return None;
        }
        out.push(match (i, part.len()) {
            (0, _) => part.to_ascii_lowercase(),
            (_, 2) if part.chars().all(|c| c.is_ascii_alphabetic()) => part.to_ascii_uppercase(),
            (_, 4) if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                let lower = part.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            _ => part.to_ascii_lowercase(),
        });
    }
    Some(out.join("-"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn language_tags() {
        assert_eq!(normalize_language("IT").as_deref(), Some("it"));
        assert_eq!(normalize_language("pt_br").as_deref(), Some("pt-BR"));
        assert_eq!(normalize_language("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalize_language("es-419").as_deref(), Some("es-419"));
        for bad in ["", "e", "english!", "1t", "en--GB", "verylongtag-x", "it-"] {
            assert_eq!(normalize_language(bad), None, "{bad}");
        }
    }
    use super::*;

    #[test]
    fn normalises_contacts() {
        assert_eq!(normalize_email(" Anna.Rossi@Example.COM ").as_deref(), Some("anna.rossi@example.com"));
        assert_eq!(normalize_email("no-at-sign"), None);
        assert_eq!(normalize_email("a@b"), None);
        assert_eq!(normalize_email("a b@c.d"), None);
        assert_eq!(normalize_phone("+39 (333) 123-4567").as_deref(), Some("+393331234567"));
        assert_eq!(normalize_phone("0612 3456").as_deref(), Some("06123456"));
        assert_eq!(normalize_phone("call me"), None);
        assert_eq!(normalize_phone("12"), None);
    }

    #[test]
    fn terms_cover_names_contacts_and_ids() {
        let ids = vec![
            Identity::email("anna@example.com".into()),
            Identity::phone("+393331234567".into()),
            Identity::external("shop", "C-1042"),
        ];
        let terms = search_terms("Anna  Rossi", &ids);
        for t in ["anna", "rossi", "anna rossi", "anna@example.com", "393331234567", "3331234567", "c-1042"] {
            assert!(terms.contains(&t.to_string()), "{t} missing from {terms:?}");
        }
        assert_eq!(query_term("+39 333").as_deref(), Some("39333"));
        assert_eq!(query_term("  ANNA   R ").as_deref(), Some("anna r"));
        assert_eq!(query_term("   "), None);
        assert!("anna rossi" < prefix_end("anna r").as_str());
        assert!("anna rossi" > "anna r");
        assert!("annb" > prefix_end("anna").as_str());
    }

    #[test]
    fn unicode_names_fold() {
        let terms = search_terms("Łukasz Żółć 山田", &[]);
        assert!(terms.contains(&"łukasz".to_string()));
        assert!(terms.contains(&"山田".to_string()));
    }
}
