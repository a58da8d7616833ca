//! Where deliveries may go: `http(s)` URLs whose host resolves to public addresses, or to
//! networks an operator opened (`casebook admin webhook allow-network 10.1.0.0/16`). Loopback,
//! private, link-local and other special ranges are refused by default, so that a subscription
//! cannot make the server call into the network it runs in. The check is made when a
//! subscription is made and again on every delivery, at connection time, on the addresses the
//! name resolves to then (a name that later resolves elsewhere gains nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

use crate::domain::Invalid;

/// What to say when an address is refused.
pub const ALLOW_ADVICE: &str =
    "deliveries go to public addresses only; an operator can open a network with `casebook admin webhook allow-network CIDR`";

/// The networks opened beyond the public internet.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    pub allowed: Vec<IpNet>,
}

impl NetworkPolicy {
    /// A policy from CIDR texts (as stored); unreadable ones are skipped with a warning.
    pub fn from_texts(texts: &[String]) -> NetworkPolicy {
        let allowed = texts
            .iter()
            .filter_map(|t| match parse_network(t) {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::warn!(network = %t, problem = %e.message, "an allowed network cannot be read; skipped");
                    None
                }
            })
            .collect();
        NetworkPolicy { allowed }
    }

    /// Whether a delivery may connect to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip) || self.allowed.iter().any(|n| n.contains(&ip))
    }
}

/// A network in CIDR form (`10.1.0.0/16`, `fd00::/8`), or one address (`127.0.0.1`).
pub fn parse_network(text: &str) -> Result<IpNet, Invalid> {
    let t = text.trim();
    t.parse::<IpNet>().or_else(|_| t.parse::<IpAddr>().map(IpNet::from)).map(|n| n.trunc()).map_err(|_| {
        Invalid::field("network", format!("`{t}` is not a network: write it as CIDR, e.g. 10.1.0.0/16 or fd00::/8"))
    })
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`, or NAT64's `64:ff9b::/96`) is judged as
/// the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let o = v6.octets();
                return IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// Whether `ip` is an address of the public internet (not loopback, private, link-local,
/// shared, multicast, documentation, benchmarking or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::UNSPECIFIED)
        }
    }
}

/// The longest subscription URL, in characters (as sent, white space included).
pub const MAX_URL_CHARS: usize = 2000;

/// Checks a subscription's URL: `http` or `https`, a host, no credentials, no fragment; and,
/// when the host is an address, one the policy permits.
pub fn check_url(text: &str, policy: &NetworkPolicy) -> Result<Url, Invalid> {
    if text.chars().count() > MAX_URL_CHARS {
        return Err(Invalid::field("url", format!("longer than {MAX_URL_CHARS} characters: shorten it")));
    }
    let url = Url::parse(text.trim()).map_err(|e| {
        Invalid::field("url", format!("`{}` is not a URL ({e}): write it as https://host/path", text.trim()))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::field(
            "url",
            format!("`{}` URLs cannot receive deliveries: use https:// (or http://)", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Invalid::field(
            "url",
            "carries credentials: leave them out; receivers check the signature (webhook-signature) instead",
        ));
    }
    if url.fragment().is_some() {
        return Err(Invalid::field("url", "has a fragment (#…), which is never sent: leave it out"));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(Invalid::field("url", "has no host"));
    };
    if let Some(ip) = host_address(host) {
        check_address(ip, policy)?;
    }
    Ok(url)
}

/// The address a URL's host names literally (`127.0.0.1`, `[::1]`), if it is one.
pub fn host_address(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

fn check_address(ip: IpAddr, policy: &NetworkPolicy) -> Result<(), Invalid> {
    if policy.permits(ip) {
        Ok(())
    } else {
        Err(Invalid::field("url", format!("{ip} is not a public address: {ALLOW_ADVICE}")))
    }
}

/// Resolves names for deliveries, keeping only the addresses the policy permits: the
/// connection is made to one of those or not at all.
pub struct GuardedResolver {
    pub policy: Arc<RwLock<NetworkPolicy>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let policy = policy.read().map(|p| p.clone()).unwrap_or_default();
            let permitted: Vec<SocketAddr> = found.iter().copied().filter(|a| policy.permits(a.ip())).collect();
            if permitted.is_empty() {
                let shown: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!("{host} resolves to {} only: {ALLOW_ADVICE}", shown.join(", ")).into());
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn special_ranges_are_refused_unless_opened() {
        let none = NetworkPolicy::default();
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!none.permits(ip(refused)), "{refused}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"] {
            assert!(none.permits(ip(public)), "{public}");
        }
        let loopback = NetworkPolicy::from_texts(&["127.0.0.0/8".into(), "nonsense".into()]);
        assert_eq!(loopback.allowed.len(), 1);
        assert!(loopback.permits(ip("127.0.0.1")) && loopback.permits(ip("::ffff:127.0.0.2")));
        assert!(!loopback.permits(ip("10.0.0.1")) && !loopback.permits(ip("::1")));
    }

    #[test]
    fn urls_are_checked() {
        let none = NetworkPolicy::default();
        assert!(check_url("https://hooks.example.com/casebook", &none).is_ok());
        assert!(check_url("https://hooks.example.com/", &none).is_ok(), "names are checked when resolved");
        for (bad, says) in [
            ("ftp://example.com/", "cannot receive"),
            ("https://user:pw@example.com/", "credentials"),
            ("https://example.com/#x", "fragment"),
            ("http://127.0.0.1:9000/", "allow-network"),
            ("http://[::1]/", "allow-network"),
            ("not a url", "not a URL"),
        ] {
            let e = check_url(bad, &none).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {}", e.message);
        }
        let local = NetworkPolicy::from_texts(&["127.0.0.1".into()]);
        assert!(check_url("http://127.0.0.1:9000/x", &local).is_ok());
        assert_eq!(parse_network(" 10.1.2.3/16 ").unwrap().to_string(), "10.1.0.0/16");
        assert!(parse_network("10.1/99").is_err());
    }
}
