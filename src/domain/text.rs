//! The one rule for text that casebook stores, on either database: any Unicode text but the
//! NUL character (U+0000). PostgreSQL's `text` cannot hold it at all and C strings end at it,
//! so rather than storing it on one backend and failing on the other, it is refused everywhere,
//! naming the field, before anything is written. Emoji, right-to-left scripts and every other
//! character are kept exactly as sent.

use super::Invalid;

/// Why text with NUL is refused, and what to do.
pub const NUL_ADVICE: &str =
    "contains the NUL character (U+0000), which casebook does not store: remove it (it is never part of readable text)";

/// Refuses text containing NUL.
pub fn check_no_nul(field: &'static str, value: &str) -> Result<(), Invalid> {
    if value.contains('\0') {
        return Err(Invalid::field(field, NUL_ADVICE));
    }
    Ok(())
}

/// Where in a JSON value a string (or a key) holds NUL, as a path (`data.items[2].note`), with
/// `root` as its first part.
pub fn json_nul_path(root: &str, v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(root.to_string()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| json_nul_path(&format!("{root}[{i}]"), x)),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let path = if root.is_empty() {
                k.replace('\0', "\\u0000")
            } else {
                format!("{root}.{}", k.replace('\0', "\\u0000"))
            };
            if k.contains('\0') {
                return Some(path);
            }
            json_nul_path(&path, x)
        }),
        _ => None,
    }
}

/// Whether JSON text may hold NUL in a string: JSON can carry it only escaped as `\u0000`, so
/// a body without that escape (not itself escaped) holds none. A quick scan; [`json_nul_path`]
/// then says where.
pub fn raw_json_may_hold_nul(text: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = text[i..].windows(6).position(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        let start = i + at;
        // `\\u0000` is a backslash followed by the letters u0000: count the backslashes.
        let slashes = text[..=start].iter().rev().take_while(|b| **b == b'\\').count();
        if slashes % 2 == 1 {
            return true;
        }
        i = start + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_refused_and_everything_else_kept() {
        assert!(check_no_nul("body", "Grazie 🙏 — שלום — مرحبا\t\n").is_ok());
        let e = check_no_nul("body", "a\0b").unwrap_err();
        assert_eq!(e.field, Some("body"));
        assert!(e.message.contains("U+0000"));
    }

    #[test]
    fn the_path_of_a_nul_in_json_is_named() {
        let v = json!({"title": "ok", "items": [{"sku": "a"}, {"note": "x\u{0}y"}]});
        assert_eq!(json_nul_path("data", &v).as_deref(), Some("data.items[1].note"));
        assert_eq!(json_nul_path("", &json!({"q\u{0}": 1})).as_deref(), Some("q\\u0000"));
        assert_eq!(json_nul_path("data", &json!({"a": [1, "b", null]})), None);
    }

    #[test]
    fn the_raw_scan_sees_escaped_nul_only() {
        assert!(raw_json_may_hold_nul(br#"{"body":"a\u0000b"}"#));
        assert!(raw_json_may_hold_nul(br#"{"body":"a\\\u0000b"}"#));
        assert!(!raw_json_may_hold_nul(br#"{"body":"a\\u0000b"}"#), "an escaped backslash, then text");
        assert!(!raw_json_may_hold_nul(br#"{"body":"plain"}"#));
        assert!(raw_json_may_hold_nul(br#"["\U0000"]"#));
    }
}
