//! Which registries the client may contact (docs/registry.md#allowed-registries).
//!
//! An image name comes from whoever writes a pod, so the operator lists the registries Bona
//! may contact with `--registry-allow GLOB` (globs of docs/images.md#globs on `host[:port]`,
//! compared without regard to case). An image elsewhere causes no request at all. A name can
//! also resolve to an address the operator never meant to expose (a cloud metadata service at
//! 169.254.169.254, a sidecar on 127.0.0.1): such addresses are refused unless a glob names the
//! registry literally, which no wildcard can do by accident.

use std::fmt;
use std::net::IpAddr;

use bona_runtime::glob::{Glob, GlobError};

/// The registries that may be contacted.
#[derive(Clone, Debug, Default)]
pub struct RegistryAllow {
    globs: Vec<Glob>,
}

/// Why a registry or an address of it is not contacted; the text is the user-facing reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No glob matches the registry.
    NotAllowed { registry: String },
    /// The registry resolved to a loopback or link-local address and no glob names it
    /// literally.
    Address { registry: String, address: IpAddr },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::NotAllowed { registry } => {
                write!(f, "registry {registry} is not in --registry-allow")
            }
            Refused::Address { registry, address } => write!(
                f,
                "registry {registry} resolves to {} address {address}, which only a literal \
                 --registry-allow {registry} permits",
                if is_loopback(*address) {
                    "the loopback"
                } else {
                    "the link-local"
                }
            ),
        }
    }
}

impl std::error::Error for Refused {}

impl RegistryAllow {
    /// The globs of `--registry-allow`, each checked.
    ///
    /// # Errors
    /// A glob that does not parse, with the glob's own message.
    pub fn new<'a>(globs: impl IntoIterator<Item = &'a str>) -> Result<Self, GlobError> {
        let globs = globs
            .into_iter()
            .map(|g| Glob::parse(&g.to_ascii_lowercase()))
            .collect::<Result<_, _>>()?;
        Ok(RegistryAllow { globs })
    }

    /// Whether no registry at all may be contacted (a registry command then refuses to run).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// Whether `registry` (`host[:port]`, as in a normalised reference) may be contacted.
    ///
    /// # Errors
    /// [`Refused::NotAllowed`] when no glob matches it.
    pub fn registry(&self, registry: &str) -> Result<(), Refused> {
        if self
            .globs
            .iter()
            .any(|g| g.matches_ignore_ascii_case(registry))
        {
            Ok(())
        } else {
            Err(Refused::NotAllowed {
                registry: registry.to_owned(),
            })
        }
    }

    /// Whether `registry` may be contacted at `address`, one of the addresses its host resolved
    /// to: a loopback or link-local address only when a glob is `registry` itself.
    ///
    /// # Errors
    /// [`Refused::NotAllowed`] as [`RegistryAllow::registry`], or [`Refused::Address`].
    pub fn address(&self, registry: &str, address: IpAddr) -> Result<(), Refused> {
        self.registry(registry)?;
        if !is_loopback(address) && !is_link_local(address) {
            return Ok(());
        }
        let literal = self
            .globs
            .iter()
            .any(|g| g.is_literal() && g.as_str().eq_ignore_ascii_case(registry));
        if literal {
            Ok(())
        } else {
            Err(Refused::Address {
                registry: registry.to_owned(),
                address,
            })
        }
    }
}

/// The address as IPv4 when it is one written as IPv6 (`::ffff:a.b.c.d`), so that the checks
/// below cannot be dodged by the mapped form.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

fn is_loopback(address: IpAddr) -> bool {
    // 0.0.0.0 and :: reach the local host too when connected to.
    let address = canonical(address);
    address.is_loopback() || address.is_unspecified()
}

fn is_link_local(address: IpAddr) -> bool {
    match canonical(address) {
        IpAddr::V4(v4) => v4.is_link_local(),
        // fe80::/10.
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(globs: &[&str]) -> RegistryAllow {
        RegistryAllow::new(globs.iter().copied()).unwrap()
    }

    #[test]
    fn only_matching_registries_are_contacted() {
        let a = allow(&["registry.company.com", "*.pkg.dev", "localhost:5000"]);
        assert!(a.registry("registry.company.com").is_ok());
        assert!(a.registry("Registry.Company.COM").is_ok());
        assert!(a.registry("europe-docker.pkg.dev").is_ok());
        assert!(a.registry("localhost:5000").is_ok());
        assert_eq!(
            a.registry("evil.example").unwrap_err().to_string(),
            "registry evil.example is not in --registry-allow"
        );
        // A port is part of the name: another port is another registry.
        assert!(a.registry("registry.company.com:444").is_err());
        assert!(a.registry("localhost:5001").is_err());
        assert!(allow(&[]).is_empty());
    }

    #[test]
    fn loopback_and_link_local_need_a_literal_glob() {
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        let a = allow(&["*.company.com", "127.0.0.1:5000"]);
        let refused = a.address("evil.company.com", metadata).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "registry evil.company.com resolves to the link-local address 169.254.169.254, \
             which only a literal --registry-allow evil.company.com permits"
        );
        for address in ["127.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "fe80::1"] {
            assert!(
                a.address("r.company.com", address.parse().unwrap())
                    .is_err(),
                "{address}"
            );
        }
        assert!(
            a.address("r.company.com", "10.0.0.8".parse().unwrap())
                .is_ok()
        );
        assert!(
            a.address("127.0.0.1:5000", "127.0.0.1".parse().unwrap())
                .is_ok()
        );
        // The registry itself must still be allowed.
        assert!(matches!(
            a.address("127.0.0.1:5001", "127.0.0.1".parse().unwrap()),
            Err(Refused::NotAllowed { .. })
        ));
    }

    #[test]
    fn a_bad_glob_is_an_error() {
        assert!(RegistryAllow::new(["reg***.com"]).is_err());
    }
}
