//! The client's address: the connection's peer, or, when that peer is a trusted proxy, the
//! nearest address in `X-Forwarded-For` that is not a trusted proxy itself. An untrusted
//! client cannot choose its address by sending the header.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::HttpRequest;

/// IP addresses and CIDR ranges of the proxies in front of livedesk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), self.prefix, 32) == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    if prefix == 0 { 0 } else { bits >> (width - prefix) }
}

/// IPv4 peers may arrive as IPv4-mapped IPv6 addresses on dual-stack sockets.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((addr, prefix)) => (addr, Some(prefix)),
                None => (item, None),
            };
            let network =
                canonical(IpAddr::from_str(addr).map_err(|_| format!("'{item}' is not an IP address or CIDR range"))?);
            let width = if network.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= width)
                    .ok_or_else(|| format!("'{item}' has an invalid prefix length"))?,
                None => width,
            };
            ranges.push(IpRange { network, prefix });
        }
        Ok(TrustedProxies(ranges))
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client address of a request whose peer is `peer` and whose `X-Forwarded-For`
    /// values (in header order) are `forwarded`.
    pub fn client_of(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        // Each proxy appends the address it saw: walk from the nearest hop outwards.
        let hops: Vec<IpAddr> = forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|h| IpAddr::from_str(h.trim()).ok().map(canonical))
            .collect();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// The client address of `req` (unspecified when the peer is unknown, as in unit tests).
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> IpAddr {
    let peer = req.peer_addr().map(|a| a.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if trusted.is_empty() {
        return canonical(peer);
    }
    let forwarded: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    trusted.client_of(peer, &forwarded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap();
        assert_eq!(trusted.client_of(ip("203.0.113.9"), &["1.2.3.4"]), ip("203.0.113.9"));
        assert_eq!(trusted.client_of(ip("10.1.2.3"), &["1.2.3.4"]), ip("1.2.3.4"));
        // A client's own forged entry sits left of what the trusted proxy appended.
        assert_eq!(trusted.client_of(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.7, 10.9.9.9"]), ip("198.51.100.7"));
        assert_eq!(trusted.client_of(ip("::1"), &[]), ip("::1"));
        assert_eq!(trusted.client_of(ip("::ffff:10.0.0.1"), &["garbage", "192.0.2.1"]), ip("192.0.2.1"));
    }

    #[test]
    fn parses_addresses_and_ranges() {
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("nope".parse::<TrustedProxies>().is_err());
        let t: TrustedProxies = "192.168.0.0/16,2001:db8::/32".parse().unwrap();
        assert!(t.trusts(ip("192.168.4.4")) && t.trusts(ip("2001:db8::1")) && !t.trusts(ip("192.169.0.1")));
    }
}
