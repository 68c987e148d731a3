//! `bona facts registry` against a real registry: Debian's `docker-registry` (distribution
//! 2.8) on 127.0.0.1 with a throwaway CA and certificate and htpasswd (Basic) auth, an image
//! built with umoci and pushed with skopeo, and a cosign `.sig` and `.att` for it written as
//! OCI layouts and pushed by skopeo too, signed by a testkit key. Bona must read what skopeo
//! reports, and `bona eval` must find the image signed and attested.
//! `scripts/install-test-tools.sh` installs the tools; the registry is killed when the test
//! ends, whatever happens.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bona_testkit::keys::Key;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::facts_registry::{eval_signed, eval_with, provenance_envelope, signed_payload};
use crate::serve::Certs;
use crate::xcheck::tool_missing;

const BONA: &str = env!("CARGO_BIN_EXE_bona");
const USER: &str = "bona";
const PASSWORD: &str = "s3cret-registry-password";

struct Registry {
    child: Child,
    address: String,
    dir: tempfile::TempDir,
    certs: Certs,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn start() -> Registry {
        // A CA and a certificate for 127.0.0.1 signed by it, as for the webhook's tests.
        let certs = Certs::new();
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        let htpasswd = run(Command::new("htpasswd").args(["-Bbn", USER, PASSWORD]));
        std::fs::write(p("htpasswd"), htpasswd.stdout).unwrap();
        std::fs::create_dir(p("certs.d")).unwrap();
        std::fs::copy(certs.path("ca.crt"), p("certs.d/ca.crt")).unwrap();
        // A free port: bound, released, then given to the registry.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\n\
             http: {{addr: {address}, tls: {{certificate: {}, key: {}}}}}\n\
             auth: {{htpasswd: {{realm: bona-test, path: {}}}}}\n",
            p("data").display(),
            certs.path("tls.crt").display(),
            certs.path("tls.key").display(),
            p("htpasswd").display()
        );
        std::fs::write(p("registry.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(p("registry.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let registry = Registry {
            child,
            address,
            dir,
            certs,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&registry.address).is_err() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// `skopeo copy` from an OCI layout to `repo:tag` here, as the test user.
    fn push(&self, layout: &str, repo_tag: &str) {
        run(Command::new("skopeo")
            .args(["copy", "-q", "--preserve-digests", "--dest-cert-dir"])
            .arg(self.path("certs.d"))
            .args(["--dest-creds", &format!("{USER}:{PASSWORD}")])
            .arg(format!("oci:{layout}"))
            .arg(format!("docker://{}/{repo_tag}", self.address)));
    }

    /// The digest skopeo reports for `repo:tag`.
    fn digest(&self, repo_tag: &str) -> String {
        let out = run(Command::new("skopeo")
            .args(["inspect", "--format", "{{.Digest}}", "--cert-dir"])
            .arg(self.path("certs.d"))
            .args(["--creds", &format!("{USER}:{PASSWORD}")])
            .arg(format!("docker://{}/{repo_tag}", self.address)));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

fn run(command: &mut Command) -> Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sha256(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// An OCI layout at `dir` holding one cosign manifest tagged `tag`: `layer` (of `media_type`,
/// with `annotations`) as its only layer, as cosign writes `.sig` and `.att` tags.
fn cosign_layout(dir: &Path, media_type: &str, layer: &[u8], annotations: Value) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let blob = |bytes: &[u8]| {
        let d = sha256(bytes);
        std::fs::write(blobs.join(&d["sha256:".len()..]), bytes).unwrap();
        d
    };
    let layer_digest = blob(layer);
    let config = json!({
        "architecture": "", "os": "", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    })
    .to_string()
    .into_bytes();
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": blob(&config), "size": config.len()},
        "layers": [{"mediaType": media_type, "digest": layer_digest, "size": layer.len(),
                    "annotations": annotations}],
    })
    .to_string()
    .into_bytes();
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": blob(&manifest), "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": "cosign"}}],
    });
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

/// The cosign signature of `digest` by `key`, as a layout at `dir`.
fn signature_layout(dir: &Path, digest: &str, key: &Key) {
    let (payload, signature) = signed_payload(digest, key);
    cosign_layout(
        dir,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        &payload,
        json!({"dev.cosignproject.cosign/signature": signature}),
    );
}

/// An SLSA provenance attestation of `digest` by `key`, as a layout at `dir`.
fn attestation_layout(dir: &Path, digest: &str, key: &Key) {
    let envelope = provenance_envelope(digest, key);
    cosign_layout(
        dir,
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        json!({"predicateType": "https://slsa.dev/provenance/v1"}),
    );
}

/// An image built with umoci at `dir/image`, tagged `v1`, with the label `team=payments`.
fn image_layout(dir: &Path) {
    let layout = dir.join("image");
    let bundle = dir.join("bundle");
    let image = format!("{}:v1", layout.display());
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    std::fs::write(bundle.join("rootfs/hello"), "hello\n").unwrap();
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--os",
        "linux",
        "--architecture",
        "amd64",
        "--config.label",
        "team=payments",
    ]));
}

/// Whether the tools the real registry needs are installed (else says so, as tests do).
fn tools_installed() -> bool {
    for tool in ["docker-registry", "skopeo", "umoci", "htpasswd", "openssl"] {
        if Command::new("which")
            .arg(tool)
            .stdout(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
        {
            tool_missing(&format!("{tool} is not installed"));
            return false;
        }
    }
    true
}

/// A Docker config.json at `dir` with the test user's credentials for `registry`.
fn credentials_file(dir: &Path, registry: &Registry) -> PathBuf {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        json!({"auths": {registry.address.clone(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    config
}

fn facts(registry: &Registry, config: Option<&Path>) -> Output {
    let mut command = Command::new(BONA);
    command
        .args(["facts", "registry"])
        .arg(format!("{}/demo/app:v1", registry.address))
        .args(["--registry-allow", &registry.address, "--registry-ca"])
        .arg(registry.certs.path("ca.crt"))
        .env("DOCKER_CONFIG", registry.path("no-docker-config"));
    if let Some(config) = config {
        command.arg("--registry-config").arg(config);
    }
    command.output().unwrap()
}

#[test]
fn a_real_registry_with_tls_and_basic_auth() {
    if !tools_installed() {
        return;
    }
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    image_layout(work.path());
    registry.push(
        &format!("{}:v1", work.path().join("image").display()),
        "demo/app:v1",
    );
    let digest = registry.digest("demo/app:v1");
    let key = Key::derive(11, "real-registry");
    signature_layout(&work.path().join("sig"), &digest, &key);
    attestation_layout(&work.path().join("att"), &digest, &key);
    for kind in ["sig", "att"] {
        let tag = format!("demo/app:{}.{kind}", digest.replacen(':', "-", 1));
        registry.push(
            &format!("{}:cosign", work.path().join(kind).display()),
            &tag,
        );
    }

    let config = credentials_file(work.path(), &registry);
    let out = facts(&registry, Some(&config));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password was printed"
    );
    let document: Value = serde_json::from_slice(&out.stdout).unwrap();
    let image = format!("{}/demo/app:v1", registry.address);
    let entry = &document["images"][&image];
    assert_eq!(entry["digest"], digest.as_str(), "{document:#}");
    assert_eq!(entry["labels"], json!({"team": "payments"}), "{document:#}");
    assert_eq!(entry["signatures"].as_array().map(Vec::len), Some(1));

    // `bona eval` finds it signed by the key, and not by another.
    let decision = eval_signed(work.path(), &key, &document, &image);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    let decision = eval_signed(work.path(), &Key::derive(12, "other"), &document, &image);
    assert_eq!(decision["decision"], "prevent", "{decision:#}");
    assert_eq!(entry["attestations"].as_array().map(Vec::len), Some(1));
    let attested = "attested(release, \"https://slsa.dev/provenance/v1\")";
    let decision = eval_with(work.path(), &key, &document, &image, attested);
    assert_eq!(decision["decision"], "allow", "{decision:#}");

    // Without credentials, with wrong ones, and with a helper Bona does not run.
    let wrong = work.path().join("wrong.json");
    let bad = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:not-it"));
    std::fs::write(
        &wrong,
        json!({"auths": {registry.address.clone(): {"auth": bad}}}).to_string(),
    )
    .unwrap();
    let helper = work.path().join("helper.json");
    std::fs::write(
        &helper,
        json!({"credHelpers": {registry.address.clone(): "ecr-login"}}).to_string(),
    )
    .unwrap();
    for (config, expected) in [
        (None, "requires credentials, and none are configured for it"),
        (Some(wrong.as_path()), "refused the credentials given (401)"),
        (
            Some(helper.as_path()),
            "requires credentials (delegated to helper ecr-login, which Bona does not run)",
        ),
    ] {
        let out = facts(&registry, config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains(expected), "{config:?}: {stderr}");
        let document: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(document["images"], json!({}));
    }
}

/// Two images in the layout at `dir/multi` (linux/amd64 and linux/arm64, each labelled with
/// its architecture) and an OCI index of both tagged `multi`; the index's digest.
fn multi_platform_layout(dir: &Path) -> String {
    let layout = dir.join("multi");
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let image = format!("{}:{arch}", layout.display());
        run(Command::new("umoci").args(["new", "--image", &image]));
        run(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--os",
            "linux",
            "--architecture",
            arch,
            "--config.label",
            &format!("arch={arch}"),
        ]));
    }
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    for entry in index["manifests"].as_array().unwrap() {
        let arch = entry["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .unwrap();
        if arch == "amd64" || arch == "arm64" {
            entries.push(
                json!({"mediaType": entry["mediaType"], "digest": entry["digest"],
                                "size": entry["size"],
                                "platform": {"os": "linux", "architecture": arch}}),
            );
        }
    }
    let multi = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": entries})
    .to_string()
    .into_bytes();
    let digest = sha256(&multi);
    std::fs::write(
        layout.join("blobs/sha256").join(&digest["sha256:".len()..]),
        &multi,
    )
    .unwrap();
    let mut index = index;
    index["manifests"].as_array_mut().unwrap().push(json!({
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest,
        "size": multi.len(), "annotations": {"org.opencontainers.image.ref.name": "multi"}}));
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    digest
}

#[test]
fn a_multi_platform_image_pushed_with_skopeo() {
    if !tools_installed() {
        return;
    }
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let index = multi_platform_layout(work.path());
    run(Command::new("skopeo")
        .args([
            "copy",
            "-q",
            "--all",
            "--preserve-digests",
            "--dest-cert-dir",
        ])
        .arg(registry.path("certs.d"))
        .args(["--dest-creds", &format!("{USER}:{PASSWORD}")])
        .arg(format!("oci:{}:multi", work.path().join("multi").display()))
        .arg(format!("docker://{}/demo/multi:v1", registry.address)));
    let config = credentials_file(work.path(), &registry);
    let image = format!("{}/demo/multi:v1", registry.address);
    let read = |platforms: &[&str]| -> Value {
        let mut command = Command::new(BONA);
        command
            .args([
                "facts",
                "registry",
                &image,
                "--registry-allow",
                &registry.address,
            ])
            .arg("--registry-ca")
            .arg(registry.certs.path("ca.crt"))
            .arg("--registry-config")
            .arg(&config);
        for p in platforms {
            command.args(["--platform", p]);
        }
        let out = run(&mut command);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["images"][&image].clone()
    };
    // The digest is the index's, whatever the platform; the facts are the platform's.
    let arm = read(&["linux/arm64"]);
    assert_eq!(arm["digest"], index.as_str(), "{arm:#}");
    assert_eq!(arm["labels"], json!({"arch": "arm64"}), "{arm:#}");
    let amd = read(&[]);
    assert_eq!(amd["digest"], index.as_str());
    assert_eq!(amd["labels"], json!({"arch": "amd64"}), "{amd:#}");
    let both = read(&["linux/amd64", "linux/arm64"]);
    assert!(both.get("labels").is_none(), "{both:#}");
}
