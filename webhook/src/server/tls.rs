//! TLS for the webhook: rustls with the *ring* provider (no OpenSSL), a certificate that can be
//! replaced while the server runs.
//!
//! The API server only talks to webhooks over HTTPS, checking the certificate against the
//! `caBundle` of the webhook configuration. Certificates are short-lived where cert-manager
//! issues them, so the certificate and key are re-read on reload (SIGHUP, or when the files
//! change) and swapped in for new connections; a pair that does not load keeps the old one.
//! ALPN offers HTTP/2 (what the API server prefers) and HTTP/1.1.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;

/// The files of `--tls-cert` and `--tls-key`.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain, server certificate first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the certificate or key cannot be used; names the file at fault.
#[derive(Debug)]
pub struct TlsError(String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's current certificate, replaceable while connections come in.
#[derive(Debug)]
pub struct Certificate {
    current: ArcSwap<CertifiedKey>,
}

impl Certificate {
    /// Reads the pair of files into a certificate.
    ///
    /// # Errors
    /// A file that cannot be read, holds no PEM certificate or key, or a key that does not
    /// belong to the certificate.
    pub fn load(files: &TlsFiles) -> Result<Certificate, TlsError> {
        Ok(Certificate {
            current: ArcSwap::from_pointee(certified_key(files)?),
        })
    }

    /// Reads the files again and uses them for new connections.
    ///
    /// # Errors
    /// As [`Certificate::load`]; the certificate in use stays.
    pub fn reload(&self, files: &TlsFiles) -> Result<(), TlsError> {
        self.current.store(Arc::new(certified_key(files)?));
        Ok(())
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The rustls configuration serving `certificate`. With `client_roots` (`--client-ca`), a
/// client may present a certificate, which must then be signed by one of those CAs; whether a
/// route requires one is decided per request ([`super::ClientCert`]), so the kubelet's probes
/// need none.
///
/// # Errors
/// A CA store that rustls cannot use.
pub fn server_config(
    certificate: Arc<Certificate>,
    client_roots: Option<Arc<RootCertStore>>,
) -> Result<rustls::ServerConfig, TlsError> {
    // The ring provider supports the default protocol versions, so this never fails; an error
    // rather than a panic keeps the crate free of them.
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("cannot use TLS 1.2 and 1.3: {e}")))?;
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError(format!("cannot use the client CAs: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(certificate);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Reads `--client-ca`: the PEM certificates of the CAs that sign the API server's client
/// certificate.
///
/// # Errors
/// A file that cannot be read, holds no PEM certificate, or a certificate that is not a CA
/// rustls can use.
pub fn client_roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let pem = read(path, "client CA")?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            TlsError(format!(
                "{}: not a PEM certificate file: {}",
                path.display(),
                pem_reason(&e)
            ))
        })?;
    if certs.is_empty() {
        return Err(TlsError(format!(
            "{}: no certificate found (expected a PEM `BEGIN CERTIFICATE` block)",
            path.display()
        )));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            TlsError(format!(
                "{}: not a usable CA certificate: {e}",
                path.display()
            ))
        })?;
    }
    Ok(Arc::new(roots))
}

/// Certificate, key and CA files larger than this are refused: a PEM chain is a few KiB.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// Reads a PEM file: a regular file (a symlink to one, as in a mounted Secret, is fine), at most
/// [`MAX_PEM_BYTES`]. A FIFO would block the read, and a device such as `/dev/zero` never ends.
fn read(path: &Path, what: &str) -> Result<Vec<u8>, TlsError> {
    use std::io::Read as _;
    let fail = |reason: String| {
        TlsError(format!(
            "{}: cannot read the TLS {what}: {reason}",
            path.display()
        ))
    };
    let io = |e: std::io::Error| fail(bona_compiler::disk::io_reason(&e));
    let not_regular = || fail("not a regular file".into());
    // Checked before opening (opening a FIFO waits for a writer) and on the open file.
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(fail(format!(
            "larger than {} MiB, not a PEM file",
            MAX_PEM_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// A PEM error in words: the library's own text shows the markers as arrays of byte values
/// (`missing section end marker: [45, 45, …]`).
fn pem_reason(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    let text = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .trim()
            .escape_debug()
            .to_string()
    };
    match e {
        Error::MissingSectionEnd { end_marker } => format!(
            "a PEM block is not finished: `-----END {}-----` is missing (a truncated file?)",
            text(end_marker)
        ),
        Error::IllegalSectionStart { line } => {
            format!("a PEM block starts with a malformed line `{}`", text(line))
        }
        Error::Base64Decode(e) => format!("a PEM block is not valid base64: {e}"),
        Error::Io(e) => bona_compiler::disk::io_reason(e),
        Error::NoItemsFound => "no PEM block found".into(),
        Error::SectionTooLarge => "a PEM block is larger than 256 MB".into(),
        other => other.to_string(),
    }
}

fn certified_key(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(&files.cert, "certificate")?;
    let key_pem = read(&files.key, "key")?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            TlsError(format!(
                "{}: not a PEM certificate file: {}",
                files.cert.display(),
                pem_reason(&e)
            ))
        })?;
    if chain.is_empty() {
        return Err(TlsError(format!(
            "{}: no certificate found (expected a PEM `BEGIN CERTIFICATE` block)",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        TlsError(format!(
            "{}: no private key found (expected a PEM `BEGIN PRIVATE KEY`, `BEGIN EC PRIVATE KEY` or `BEGIN RSA PRIVATE KEY` block): {}",
            files.key.display(),
            pem_reason(&e)
        ))
    })?;
    let signing_key = provider().key_provider.load_private_key(key).map_err(|e| {
        TlsError(format!(
            "{}: unusable private key: {e}",
            files.key.display()
        ))
    })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError(format!(
            "{}: the key does not belong to the certificate in {}",
            files.key.display(),
            files.cert.display()
        ))),
        Err(e) => Err(TlsError(format!(
            "{}: not a valid certificate: {e}",
            files.cert.display()
        ))),
    }
}
