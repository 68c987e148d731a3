//! `bona-registry`: what Bona needs to read facts from an OCI registry (docs/registry.md).
//!
//! Each check the client makes is a module of its own, pure and tested on its own, so that the
//! HTTP side only moves bytes:
//!
//! - [`allow`]: which registries may be contacted at all (`--registry-allow`), and which
//!   addresses they may resolve to (no loopback or link-local address unless named literally);
//! - [`credentials`]: Docker `config.json`, `.dockerconfigjson` and Kubernetes pull Secrets,
//!   with the key matching Docker uses, and secrets that never print;
//! - [`challenge`]: the `WWW-Authenticate` challenges of the token flow;
//! - [`manifest`]: the `Accept` list, and manifests, indexes and configs checked against their
//!   digest, size and media type before anything is read from them;
//! - [`client`]: the requests themselves, with those checks applied at every step;
//! - [`fetch`]: a manifest by digest and a blob by descriptor, checked;
//! - [`platform_facts`]: labels, created, layers and the declared base of the platforms asked for;
//! - [`referrers`]: OCI 1.1 referrers, Sigstore bundles classified by content;
//! - [`evidence`]: signatures and attestations from cosign's tags and the referrers, complete,
//!   partial or unknown;
//! - [`facts`]: all of it as an image's facts entry;
//! - [`cache`]: the bounded single-flight cache in front of it all at admission;
//! - [`live`]: static and registry facts merged per image, through the cache, by a deadline.

// It reads what anyone can put in a registry: a panic is never the answer to bad content.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod allow;
pub mod cache;
pub mod challenge;
pub mod client;
pub mod credentials;
pub mod evidence;
pub mod facts;
pub mod fetch;
pub mod live;
pub mod manifest;
pub mod platform_facts;
pub mod referrers;
