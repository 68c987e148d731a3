//! The flags of every command that reads registries (`bona facts registry`, `bona serve
//! --registry`): who may be contacted, how, with which credentials, and what is read
//! (docs/registry.md).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use bona_registry::allow::RegistryAllow;
use bona_registry::client::{Client, ClientOptions};
use bona_registry::credentials::Credentials;
use bona_registry::facts::{ReadOptions, SignatureRepository};
use bona_registry::manifest::Platform;

use crate::{Exit, bad_input, policies};

/// Who may be contacted, how, and what is read.
#[derive(Clone, Debug, clap::Args)]
pub struct RegistryOptions {
    /// A registry (`host[:port]`) that may be contacted; globs allowed. Repeatable, required.
    #[arg(long = "registry-allow", value_name = "GLOB")]
    pub allow: Vec<String>,
    /// A registry spoken to over plain HTTP. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure: Vec<String>,
    /// Certificate authorities (PEM) trusted beside the system's. Repeatable.
    #[arg(long = "registry-ca", value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// Docker config.json, .dockerconfigjson, or a Kubernetes pull Secret (JSON or YAML).
    #[arg(long = "registry-config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The platform whose facts are read from a multi-platform index; repeatable (a fact the
    /// platforms disagree on is unknown).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: Vec<String>,
    /// SRC=DST: the signatures and attestations of SRC's images are in the repository DST
    /// (cosign's COSIGN_REPOSITORY). Repeatable.
    #[arg(long = "signature-repository", value_name = "SRC=DST")]
    pub signature_repository: Vec<String>,
}

impl RegistryOptions {
    /// The client, each request bounded by `timeout`; `command` names what needs
    /// `--registry-allow` in the message when it is missing.
    pub fn client(
        &self,
        timeout: Duration,
        command: &str,
        err: &mut dyn Write,
    ) -> Result<Client, Exit> {
        let options = self.client_options(timeout, command, err)?;
        Client::new(options).map_err(|e| bad_input(err, e))
    }

    /// What [`RegistryOptions::client`] makes its client with.
    pub fn client_options(
        &self,
        timeout: Duration,
        command: &str,
        err: &mut dyn Write,
    ) -> Result<ClientOptions, Exit> {
        if self.allow.is_empty() {
            return Err(bad_input(
                err,
                format!(
                    "{command} contacts only the registries named by --registry-allow GLOB; give at least one"
                ),
            ));
        }
        let allow = RegistryAllow::new(self.allow.iter().map(String::as_str))
            .map_err(|e| bad_input(&mut *err, format!("--registry-allow: {e}")))?;
        let credentials = match self.credentials_path() {
            Some(path) => {
                let bytes = policies::read(&path, err)?;
                Credentials::from_bytes(&bytes)
                    .map_err(|e| bad_input(&mut *err, format!("{}: {e}", path.display())))?
            }
            None => Credentials::default(),
        };
        let mut extra_roots = Vec::new();
        for path in &self.ca {
            let bytes = policies::read(path, err)?;
            let certs = bona_registry::client::pem_certificates(&bytes)
                .map_err(|e| bad_input(&mut *err, format!("{}: {e}", path.display())))?;
            extra_roots.extend(certs);
        }
        Ok(ClientOptions {
            allow,
            insecure: self.insecure.clone(),
            extra_roots,
            credentials,
            timeout,
        })
    }

    /// The credentials file: --registry-config, else Docker's usual places when there is one.
    pub fn credentials_path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.config {
            return Some(path.clone());
        }
        std::env::var_os("DOCKER_CONFIG")
            .map(|d| PathBuf::from(d).join("config.json"))
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
            })
            .filter(|p| p.is_file())
    }

    /// The platforms and signature repositories.
    pub fn read_options(&self, err: &mut dyn Write) -> Result<ReadOptions, Exit> {
        let mut options = ReadOptions {
            platforms: Vec::new(),
            signature_repositories: Vec::new(),
        };
        for platform in &self.platform {
            let p = Platform::parse(platform)
                .map_err(|e| bad_input(&mut *err, format!("--platform: {e}")))?;
            options.platforms.push(p);
        }
        for mapping in &self.signature_repository {
            let m = SignatureRepository::parse(mapping)
                .map_err(|e| bad_input(&mut *err, format!("--signature-repository: {e}")))?;
            options.signature_repositories.push(m);
        }
        Ok(options)
    }

    /// Whether any of these flags was given (they need `--registry` on `serve`).
    pub fn any(&self) -> bool {
        !self.allow.is_empty()
            || !self.insecure.is_empty()
            || !self.ca.is_empty()
            || self.config.is_some()
            || !self.signature_repository.is_empty()
    }
}
