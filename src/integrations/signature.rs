//! Checking that a webhook delivery comes from whom it says: the schemes providers use, each an
//! HMAC-SHA256 over the raw body (and, for some, a timestamp) with the hook's secret, compared in
//! constant time. Pure: the caller gives the headers, the body and the time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How a hook's deliveries are signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Scheme {
    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>` over `"<t>.<body>"`; deliveries older or
    /// newer than `tolerance_secs` (default 300) are refused, so a captured one cannot be
    /// replayed later.
    Stripe {
        #[serde(default = "default_tolerance")]
        tolerance_secs: i64,
    },
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body.
    Shopify,
    /// Zendesk: `X-Zendesk-Webhook-Signature: <base64>` over `<timestamp><body>`, the timestamp
    /// in `X-Zendesk-Webhook-Signature-Timestamp`.
    Zendesk,
    /// Any other system: `header` holds the HMAC-SHA256 of the body, `hex` or `base64`, after an
    /// optional `prefix` (GitHub-style `X-Hub-Signature-256: sha256=<hex>`).
    HmacSha256 {
        header: String,
        #[serde(default = "default_encoding")]
        encoding: Encoding,
        #[serde(default)]
        prefix: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Hex,
    Base64,
}

fn default_tolerance() -> i64 {
    300
}
fn default_encoding() -> Encoding {
    Encoding::Hex
}

/// Why a delivery's signature was not accepted (said to the sender; the secret never is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the `{0}` header is missing: the delivery is not signed as this hook expects")]
    Missing(String),
    #[error("the `{0}` header cannot be read: {1}")]
    Malformed(String, String),
    #[error("the signature does not match: check the hook's secret")]
    Mismatch,
    #[error("the delivery was signed at {signed} (unix), {} s {}: more than the {tolerance} s allowed; a replay of an old delivery is refused (check the sender's clock if it is new)", off.abs(), if *off >= 0 { "ago" } else { "ahead of this server's clock" })]
    OutsideTolerance { signed: i64, off: i64, tolerance: i64 },
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    for p in parts {
        m.update(p);
    }
    m
}

/// Checks a delivery. `header` finds a header by its lower-case name.
pub fn verify<'a>(
    scheme: &Scheme,
    secret: &[u8],
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), SignatureError> {
    let need = |name: &str| header(name).ok_or_else(|| SignatureError::Missing(name.to_string()));
    match scheme {
        Scheme::Stripe { tolerance_secs } => {
            let name = "stripe-signature";
            let value = need(name)?;
            let mut t = None;
            let mut v1 = Vec::new();
            for part in value.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", x)) => t = x.parse::<i64>().ok(),
                    Some(("v1", x)) => v1.push(x.to_string()),
                    _ => {}
                }
            }
            let t = t.ok_or_else(|| SignatureError::Malformed(name.into(), "no `t=` timestamp".into()))?;
            if v1.is_empty() {
                return Err(SignatureError::Malformed(name.into(), "no `v1=` signature".into()));
            }
            let expected = mac(secret, &[t.to_string().as_bytes(), b".", body]);
            let ok = v1.iter().any(|sig| hex::decode(sig).is_ok_and(|s| expected.clone().verify_slice(&s).is_ok()));
            if !ok {
                return Err(SignatureError::Mismatch);
            }
            let off = now_unix - t;
            if off.abs() > *tolerance_secs {
                return Err(SignatureError::OutsideTolerance { signed: t, off, tolerance: *tolerance_secs });
            }
            Ok(())
        }
        Scheme::Shopify => check_base64(need("x-shopify-hmac-sha256")?, "x-shopify-hmac-sha256", mac(secret, &[body])),
        Scheme::Zendesk => {
            let ts = need("x-zendesk-webhook-signature-timestamp")?;
            let name = "x-zendesk-webhook-signature";
            check_base64(need(name)?, name, mac(secret, &[ts.as_bytes(), body]))
        }
        Scheme::HmacSha256 { header: name, encoding, prefix } => {
            let lower = name.to_ascii_lowercase();
            let value = need(&lower)?;
            let sig = value.trim().strip_prefix(prefix.as_str()).ok_or_else(|| {
                SignatureError::Malformed(lower.clone(), format!("it does not start with `{prefix}`"))
            })?;
            match encoding {
                Encoding::Base64 => check_base64(sig, &lower, mac(secret, &[body])),
                Encoding::Hex => {
                    let bytes =
                        hex::decode(sig).map_err(|_| SignatureError::Malformed(lower.clone(), "not hex".into()))?;
                    mac(secret, &[body]).verify_slice(&bytes).map_err(|_| SignatureError::Mismatch)
                }
            }
        }
    }
}

fn check_base64(value: &str, name: &str, expected: HmacSha256) -> Result<(), SignatureError> {
    let bytes =
        STANDARD.decode(value.trim()).map_err(|_| SignatureError::Malformed(name.to_string(), "not base64".into()))?;
    expected.verify_slice(&bytes).map_err(|_| SignatureError::Mismatch)
}

/// Signs as a sender of `scheme` would (for tests and for `casebook admin hook test`).
pub fn sign(scheme: &Scheme, secret: &[u8], body: &[u8], now_unix: i64) -> Vec<(String, String)> {
    let b64 = |m: HmacSha256| STANDARD.encode(m.finalize().into_bytes());
    match scheme {
        Scheme::Stripe { .. } => {
            let sig = hex::encode(mac(secret, &[now_unix.to_string().as_bytes(), b".", body]).finalize().into_bytes());
            vec![("Stripe-Signature".into(), format!("t={now_unix},v1={sig}"))]
        }
        Scheme::Shopify => vec![("X-Shopify-Hmac-Sha256".into(), b64(mac(secret, &[body])))],
        Scheme::Zendesk => {
            let ts = now_unix.to_string();
            vec![
                ("X-Zendesk-Webhook-Signature-Timestamp".into(), ts.clone()),
                ("X-Zendesk-Webhook-Signature".into(), b64(mac(secret, &[ts.as_bytes(), body]))),
            ]
        }
        Scheme::HmacSha256 { header, encoding, prefix } => {
            let m = mac(secret, &[body]);
            let sig = match encoding {
                Encoding::Hex => hex::encode(m.finalize().into_bytes()),
                Encoding::Base64 => b64(m),
            };
            vec![(header.clone(), format!("{prefix}{sig}"))]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(scheme: &Scheme, headers: &[(String, String)], body: &[u8], now: i64) -> Result<(), SignatureError> {
        let lower: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
        verify(scheme, b"whsec_test", |n| lower.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()), body, now)
    }

    #[test]
    fn each_scheme_accepts_its_own_signature_and_refuses_a_changed_body_or_secret() {
        let body = br#"{"id":"evt_1","type":"invoice.payment_failed"}"#;
        let schemes = [
            Scheme::Stripe { tolerance_secs: 300 },
            Scheme::Shopify,
            Scheme::Zendesk,
            Scheme::HmacSha256 {
                header: "X-Hub-Signature-256".into(),
                encoding: Encoding::Hex,
                prefix: "sha256=".into(),
            },
            Scheme::HmacSha256 { header: "X-Signature".into(), encoding: Encoding::Base64, prefix: String::new() },
        ];
        for s in &schemes {
            let headers = sign(s, b"whsec_test", body, 1_700_000_000);
            assert_eq!(check(s, &headers, body, 1_700_000_010), Ok(()), "{s:?}");
            assert_eq!(check(s, &headers, b"{}", 1_700_000_010), Err(SignatureError::Mismatch), "{s:?}");
            let other = sign(s, b"another secret", body, 1_700_000_000);
            assert_eq!(check(s, &other, body, 1_700_000_010), Err(SignatureError::Mismatch), "{s:?}");
            assert!(matches!(check(s, &[], body, 0), Err(SignatureError::Missing(_))), "{s:?}");
        }
    }

    #[test]
    fn stripe_refuses_old_deliveries_and_reads_its_header_as_stripe_writes_it() {
        let s = Scheme::Stripe { tolerance_secs: 300 };
        let body = b"{}";
        let headers = sign(&s, b"whsec_test", body, 1_000);
        let late = check(&s, &headers, body, 1_000 + 301).unwrap_err();
        assert!(matches!(late, SignatureError::OutsideTolerance { off: 301, .. }), "{late}");
        // Several signatures (a secret being rolled) and a v0 scheme: any v1 may match.
        let good = headers[0].1.split(",v1=").nth(1).unwrap().to_string();
        let rolled = vec![("Stripe-Signature".to_string(), format!("t=1000,v1={},v1={good},v0=abc", "0".repeat(64)))];
        assert_eq!(check(&s, &rolled, body, 1_000), Ok(()));
        let bad = vec![("Stripe-Signature".to_string(), "v1=abc".to_string())];
        assert!(matches!(check(&s, &bad, body, 1_000), Err(SignatureError::Malformed(..))));
    }
}
