//! Where a webhook may be sent: an `https` URL whose host resolves only to public addresses.
//! Loopback, private, link-local (the cloud metadata service at 169.254.169.254 among them),
//! shared, reserved, documentation and multicast addresses are refused, in IPv4, IPv6 and IPv4
//! written inside IPv6. The check runs when an endpoint is registered and again on every
//! delivery, through the resolver the delivery client connects with, so a name that resolved to
//! a public address at registration and to a private one later (DNS rebinding) is refused.
//!
//! An operator running receivers on a private network (or tests on loopback) passes
//! `--allow-private-webhooks`: then any address and plain `http` are allowed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Longest URL an endpoint may have.
pub const MAX_URL_LEN: usize = 2048;
/// How long a name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an endpoint URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not a URL.
    #[error("the URL cannot be read: {0}")]
    Malformed(String),
    /// Not `https` (or `http` where private networks are allowed).
    #[error("the URL must use https")]
    NotHttps,
    /// A user name or password in the URL.
    #[error("the URL must not hold a user name or password")]
    Credentials,
    /// The host is, or resolves to, an address that is not public.
    #[error("{host} is not a public address ({ip}); webhooks go to the public internet only")]
    NotPublic {
        /// The host as written.
        host: String,
        /// The refused address.
        ip: IpAddr,
    },
    /// The name does not resolve.
    #[error("{host} does not resolve: {reason}")]
    Unresolvable {
        /// The host as written.
        host: String,
        /// Why.
        reason: String,
    },
}

/// Checks the shape of an endpoint URL (scheme, no credentials, a host, a sane length).
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, AddressError> {
    if raw.len() > MAX_URL_LEN {
        return Err(AddressError::Malformed(format!(
            "longer than {MAX_URL_LEN} characters"
        )));
    }
    let url = Url::parse(raw).map_err(|e| AddressError::Malformed(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(AddressError::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AddressError::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AddressError::Malformed("no host".to_owned()));
    }
    Ok(url)
}

/// Checks that the URL's host is, or resolves only to, public addresses (unless
/// `allow_private`); the URL must have passed [`check_url`].
pub async fn check_destination(url: &Url, allow_private: bool) -> Result<(), AddressError> {
    match literal_ip(url) {
        Some(_) => check_literal(url, allow_private),
        None if allow_private => Ok(()),
        None => resolve_public(url.host_str().unwrap_or_default())
            .await
            .map(|_| ()),
    }
}

/// Checks a host written as an address (names are checked by [`PublicOnly`] when the delivery
/// client resolves them).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), AddressError> {
    match literal_ip(url) {
        Some(ip) if !allow_private => public_or_refused(url.host_str().unwrap_or_default(), ip),
        _ => Ok(()),
    }
}

fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

fn public_or_refused(host: &str, ip: IpAddr) -> Result<(), AddressError> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(AddressError::NotPublic {
            host: host.to_owned(),
            ip,
        })
    }
}

/// The addresses of `host`, when every one of them is public.
async fn resolve_public(host: &str) -> Result<Vec<SocketAddr>, AddressError> {
    let unresolvable = |reason: String| AddressError::Unresolvable {
        host: host.to_owned(),
        reason,
    };
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, 0)))
        .await
        .map_err(|_| unresolvable("timed out".to_owned()))?
        .map_err(|e| unresolvable(e.to_string()))?;
    let addrs: Vec<SocketAddr> = found.collect();
    if addrs.is_empty() {
        return Err(unresolvable("no address".to_owned()));
    }
    for addr in &addrs {
        public_or_refused(host, addr.ip())?;
    }
    Ok(addrs)
}

/// The resolver of the delivery client: a name resolves only when all its addresses are public.
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly;

impl PublicOnly {
    /// This resolver, as the client builder takes it.
    pub fn shared() -> Arc<Self> {
        Arc::new(Self)
    }
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_public(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is an address of the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254, a metadata service, is one)
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x2001 && ip.segments()[1] < 0x0200) // IETF protocol assignments
        || first == 0x0100) // discard-only
}

/// The IPv4 address written inside an IPv6 one: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low()),
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(low()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(low()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }

    #[test]
    fn only_addresses_of_the_public_internet_are_public() {
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
        ] {
            assert!(!public(refused), "{refused} is not public");
        }
        for allowed in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::",
        ] {
            assert!(public(allowed), "{allowed} is public");
        }
    }

    #[test]
    fn endpoint_urls_are_https_without_credentials() {
        assert!(check_url("https://hooks.example.com/fitview", false).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/", false),
            Err(AddressError::NotHttps)
        );
        assert!(check_url("http://127.0.0.1:9/", true).is_ok());
        assert_eq!(
            check_url("ftp://hooks.example.com/", true),
            Err(AddressError::NotHttps)
        );
        assert_eq!(
            check_url("https://user:pw@hooks.example.com/", false),
            Err(AddressError::Credentials)
        );
        assert!(matches!(
            check_url("not a url", false),
            Err(AddressError::Malformed(_))
        ));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(matches!(
            check_url(&long, false),
            Err(AddressError::Malformed(_))
        ));
    }

    #[tokio::test]
    async fn literal_and_resolved_private_hosts_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://10.0.0.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
        ] {
            let parsed = check_url(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(
                matches!(
                    check_destination(&parsed, false).await,
                    Err(AddressError::NotPublic { .. })
                ),
                "{url}"
            );
            assert_eq!(check_destination(&parsed, true).await, Ok(()), "{url}");
        }
    }
}
