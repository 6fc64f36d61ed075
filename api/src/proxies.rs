//! The client's address behind trusted reverse proxies (`proxies.trusted`).
//!
//! Behind a load balancer every connection comes from the balancer, so the
//! per-address rate limits (verify, login, registration, tokens) would
//! throttle everyone together. The balancer names the client in
//! `X-Forwarded-For`; the header is believed only when the connection
//! comes from a trusted proxy, and then read from the right: each trusted
//! hop is skipped, and the first address not trusted is the client (what
//! a client writes into the header itself sits left of it and is never
//! taken). Without trusted proxies the header is ignored.

use std::net::IpAddr;

/// One trusted address or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    addr: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|e| format!("{s:?} is not an address or CIDR block: {e}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0..={max}"))?,
        };
        Ok(Self { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Block>);

impl TrustedProxies {
    /// From the settings' list; an entry that is no address or block is an
    /// error at start, not a proxy silently untrusted.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|s| Block::parse(s))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted
    /// proxy, then the right-most address of `forwarded_for` (every
    /// `X-Forwarded-For` header in order, joined) that is not a trusted
    /// proxy — or the left-most when all are. An unreadable entry stops
    /// the walk at the hop that wrote it.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let t = TrustedProxies::default();
        assert_eq!(t.client(ip("10.0.0.5"), &["203.0.113.7"]), ip("10.0.0.5"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_what_the_client_wrote_is_not_taken() {
        let t = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            t.client(ip("10.0.0.5"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // The client wrote 1.2.3.4 itself; the balancer appended the peer.
        assert_eq!(
            t.client(ip("10.0.0.5"), &["1.2.3.4, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two trusted hops, two headers.
        assert_eq!(
            t.client(ip("10.0.0.5"), &["198.51.100.9", "10.1.2.3"]),
            ip("198.51.100.9")
        );
        // All trusted: the left-most.
        assert_eq!(t.client(ip("10.0.0.5"), &["10.9.9.9"]), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
        // Garbage stops the walk at the last readable trusted hop.
        assert_eq!(t.client(ip("10.0.0.5"), &["nonsense"]), ip("10.0.0.5"));
    }

    #[test]
    fn an_untrusted_peer_cannot_pick_its_address() {
        let t = trusted(&["10.0.0.0/8"]);
        assert_eq!(t.client(ip("192.0.2.1"), &["203.0.113.7"]), ip("192.0.2.1"));
    }

    #[test]
    fn blocks_of_both_families_and_mapped_peers() {
        let t = trusted(&["127.0.0.1", "fd00::/8"]);
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        assert_eq!(t.client(ip("fd12::1"), &["2001:db8::1"]), ip("2001:db8::1"));
        assert_eq!(t.client(ip("127.0.0.2"), &["203.0.113.7"]), ip("127.0.0.2"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        assert_eq!(
            trusted(&["0.0.0.0/0"]).client(ip("8.8.8.8"), &["1.1.1.1"]),
            ip("1.1.1.1")
        );
    }
}
