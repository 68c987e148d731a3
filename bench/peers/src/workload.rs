//! The generated workload, in engine-neutral form: policies, assets and images.
//!
//! Each engine module (`bona`, `cedar`, `rego`) turns these values into its own policy text and
//! inputs, so the three encodings come from one description and cannot drift apart. Everything
//! is a pure function of N: no randomness beyond a fixed-seed mixer.
//!
//! # Policies
//!
//! Policy `i` belongs to team `t = i / 2` (two policies per team). Its scope kind is `i % 4` and
//! its trust shape `(i + t) % 4`, so every scope meets every shape as N grows; `i % 3 == 2` makes
//! it an `issue` policy, the others `prevent`.
//!
//! # Why every image has complete facts
//!
//! Bona's trust rules are three-valued (SPEC §2.5): an attribute the facts do not give is
//! *unknown*, and an unknown verdict resolves by `on unknown` (SPEC §4.2). Cedar and Rego are
//! two-valued. To compare like with like, every generated image carries every fact the rules
//! read (digest, base, scanned, critical count, signatures), and every reference carries a tag,
//! so no Bona verdict is ever unknown and the two-valued encodings are exactly equivalent.

use std::fmt;

/// The bases that `base` shapes approve (written normalised, as Bona compares them).
pub const APPROVED_BASES: [&str; 2] = [
    "registry.company.com/base/debian:12",
    "registry.company.com/base/alpine:3.20",
];

/// The key name that `signed by` uses in every encoding.
pub const KEY_NAME: &str = "release";

/// Which assets a policy covers (its `scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// `namespace == "teamT" and cluster matches "prod-*"`
    ProdCluster,
    /// `namespace == "teamT" and asset == workload`
    Workload,
    /// `labels["team"] == "teamT"`
    TeamLabel,
    /// `namespace in ["teamT", "teamT-staging"]`
    Namespaces,
}

/// Which images a policy trusts (its `trust` rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The team's registry and repository glob.
    Registry,
    /// Registry or mirror, pinned, signed by the release key.
    Signed,
    /// Registry, repository glob, a `v*` tag that is not `latest`, scanned, no critical vulns.
    Tags,
    /// Two rules: an approved base and signed; or the team's registry and an allow-listed digest.
    Base,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shape::Registry => "registry",
            Shape::Signed => "signed",
            Shape::Tags => "tags",
            Shape::Base => "base",
        })
    }
}

/// One policy of the generated set.
#[derive(Clone, Debug)]
pub struct Policy {
    pub index: usize,
    pub team: usize,
    pub scope: ScopeKind,
    pub shape: Shape,
    /// `action prevent` (else `action issue`).
    pub prevent: bool,
}

impl Policy {
    /// The policy's name, unique in the set.
    pub fn name(&self) -> String {
        format!("p{:05} team{} {}", self.index, self.team, self.shape)
    }

    pub fn team_name(&self) -> String {
        team_name(self.team)
    }

    pub fn registry(&self) -> String {
        registry(self.team)
    }

    pub fn mirror(&self) -> String {
        mirror(self.team)
    }

    /// The digest the `base` shape's second rule allow-lists.
    pub fn allowed_digest(&self) -> String {
        allowed_digest(self.team)
    }
}

pub fn team_name(team: usize) -> String {
    format!("team{team}")
}

pub fn registry(team: usize) -> String {
    format!("registry{team}.company.com")
}

pub fn mirror(team: usize) -> String {
    format!("mirror{team}.company.com")
}

pub fn allowed_digest(team: usize) -> String {
    digest(team as u64, 0xa110)
}

/// The `n` policies of the set.
pub fn policies(n: usize) -> Vec<Policy> {
    (0..n)
        .map(|index| {
            let team = index / 2;
            let scope = match index % 4 {
                0 => ScopeKind::ProdCluster,
                1 => ScopeKind::Workload,
                2 => ScopeKind::TeamLabel,
                _ => ScopeKind::Namespaces,
            };
            let shape = match (index + team) % 4 {
                0 => Shape::Registry,
                1 => Shape::Signed,
                2 => Shape::Tags,
                _ => Shape::Base,
            };
            Policy {
                index,
                team,
                scope,
                shape,
                prevent: index % 3 != 2,
            }
        })
        .collect()
}

/// How many teams a set of `n` policies has.
pub fn teams(n: usize) -> usize {
    n.div_ceil(2)
}

/// The asset a decision is about (SPEC §4.1); every field is given, labels may be empty.
#[derive(Clone, Debug)]
pub struct Asset {
    /// A short label for reports.
    pub kind: &'static str,
    /// `workload` or `vm`.
    pub asset_type: &'static str,
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    /// The `team` label, when the asset has one (the only label the workload uses).
    pub team_label: Option<String>,
}

/// The assets of team `t`: two in scope of some of its policies, two (or fewer) in none.
pub fn assets(team: usize) -> Vec<Asset> {
    let t = team_name(team);
    vec![
        Asset {
            kind: "prod workload",
            asset_type: "workload",
            cluster: "prod-eu-1".into(),
            namespace: t.clone(),
            name: "api".into(),
            team_label: Some(t.clone()),
        },
        Asset {
            kind: "staging workload",
            asset_type: "workload",
            cluster: "stage-1".into(),
            namespace: format!("{t}-staging"),
            name: "api".into(),
            team_label: Some(t.clone()),
        },
        Asset {
            kind: "vm",
            asset_type: "vm",
            cluster: "prod-eu-1".into(),
            namespace: t,
            name: "batch-host".into(),
            team_label: None,
        },
        Asset {
            kind: "out of scope",
            asset_type: "workload",
            cluster: "dev-1".into(),
            namespace: "sandbox".into(),
            name: "scratch".into(),
            team_label: Some("nobody".into()),
        },
    ]
}

/// What signatures an image's facts carry. Peers see the outcome of verification, the set of
/// keys that signed this image's digest; Bona gets the signatures and verifies them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// `signatures: []`: known unsigned.
    Unsigned,
    /// One release-key signature over the image's digest.
    Release,
    /// One release-key signature over another digest (verifies, names the wrong image).
    ReleaseOtherDigest,
}

/// One image with its facts. The peers read these fields directly; Bona parses
/// [`Image::reference`] and reads the facts it is given, and `bona::image` checks that its
/// parse agrees with these fields.
#[derive(Clone, Debug)]
pub struct Image {
    /// trusted candidate / near miss / foreign / cross-team, for reports.
    pub kind: &'static str,
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// The image's digest: the reference's when pinned, else given by the facts.
    pub digest: String,
    pub pinned: bool,
    /// The base image, a normalised reference.
    pub base: String,
    pub scanned: bool,
    pub critical: u64,
    pub signing: Signing,
}

impl Image {
    /// The reference as written: `registry/repository:tag[@digest]` (already normalised).
    pub fn reference(&self) -> String {
        let mut r = format!("{}/{}:{}", self.registry, self.repository, self.tag);
        if self.pinned {
            r.push('@');
            r.push_str(&self.digest);
        }
        r
    }

    /// The keys whose signature verified for this image's digest: what the peers are given.
    pub fn signed_by(&self) -> Vec<&'static str> {
        match self.signing {
            Signing::Release => vec![KEY_NAME],
            Signing::Unsigned | Signing::ReleaseOtherDigest => Vec::new(),
        }
    }
}

/// A digest (`sha256:` + 64 hex digits) derived from two numbers.
pub fn digest(a: u64, b: u64) -> String {
    let mut state = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b;
    let mut words = [0u64; 4];
    for w in &mut words {
        *w = splitmix(&mut state);
    }
    format!(
        "sha256:{:016x}{:016x}{:016x}{:016x}",
        words[0], words[1], words[2], words[3]
    )
}

/// SplitMix64: a fixed, well-mixed sequence (no `rand` dependency).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one line per image reads like a table"
)]
fn image(
    kind: &'static str,
    registry: &str,
    repository: &str,
    tag: &str,
    digest: String,
    pinned: bool,
    base: &str,
    scanned: bool,
    critical: u64,
    signing: Signing,
) -> Image {
    Image {
        kind,
        registry: registry.into(),
        repository: repository.into(),
        tag: tag.into(),
        digest,
        pinned,
        base: base.into(),
        scanned,
        critical,
        signing,
    }
}

/// The images an asset of team `team` may ask to run, among `teams` teams: candidates each
/// shape trusts, near misses (the team's registry, one condition wrong), foreign images and
/// another team's image. Which are trusted depends on the team's two policies; the engines
/// decide, and `check` makes them agree.
#[rustfmt::skip]
pub fn images(team: usize, teams: usize) -> Vec<Image> {
    use Signing::*;
    let t = team_name(team);
    let reg = registry(team);
    let mir = mirror(team);
    let d = |k: u64| digest(team as u64, k);
    let debian = "docker.io/library/debian:12";
    let approved = APPROVED_BASES[0];
    let other = (team + 1) % teams.max(1);
    vec![
        //    kind          registry  repository                  tag                            digest             pinned  base                                      scanned crit signing
        // Candidates: each is what one shape trusts.
        image("candidate",  &reg, &format!("{t}/api"),        &format!("1.{}", team % 10),  d(1),                false, debian,                                  false, 3, Unsigned),
        image("candidate",  &mir, &format!("{t}/worker"),     "v2",                         d(2),                true,  debian,                                  false, 0, Release),
        image("candidate",  &reg, &format!("{t}/web"),        &format!("v3.{}", team % 10), d(3),                false, "docker.io/library/alpine:3.20",         true,  0, Unsigned),
        image("candidate",  &reg, "tools/job",                "1.4",                        d(4),                false, approved,                                false, 1, Release),
        image("candidate",  &reg, "tools/cli",                "2.0",                        allowed_digest(team), true, "docker.io/library/busybox:1.36",        false, 0, Unsigned),
        // Near misses: the team's registry, one condition wrong.
        image("near miss",  &reg, &format!("{t}-legacy/web"), "v3.1",                       d(6),                false, debian,                                  true,  0, Unsigned),
        image("near miss",  &mir, &format!("{t}/worker"),     "v2",                         d(7),                true,  debian,                                  false, 0, ReleaseOtherDigest),
        image("near miss",  &reg, "tools/job",                "1.4",                        d(8),                false, "registry.company.com/base/alpine:3.19", false, 0, Release),
        image("near miss",  &reg, &format!("{t}/web"),        "latest",                     d(9),                false, debian,                                  true,  0, Unsigned),
        image("near miss",  &reg, &format!("{t}/web"),        "v3.1",                       d(10),               false, debian,                                  true,  2, Unsigned),
        image("near miss",  &reg, "tools/cli",                "2.0",                        d(11),               true,  debian,                                  false, 0, Unsigned),
        image("near miss",  &reg, &t,                         "v1",                         d(12),               false, debian,                                  true,  0, Unsigned),
        // Foreign registries; the second is signed on an approved base, which `base` trusts.
        image("foreign",    "docker.io", "library/nginx",     "1.27",                       d(13),               false, debian,                                  true,  0, Unsigned),
        image("foreign",    "quay.io", "org/app",             "v1.0",                       d(14),               true,  approved,                                true,  0, Release),
        image("foreign",    "ghcr.io", "o/r",                 "v2",                         d(15),               false, debian,                                  false, 4, Unsigned),
        // Another team's candidate.
        image("cross-team", &registry(other), &format!("{}/api", team_name(other)), "1.0", digest(other as u64, 1), false, debian,                     false, 0, Unsigned),
    ]
}

/// The teams whose assets the agreement check visits for a set of `n` policies: the first
/// four (every scope × shape combination), the last, and a few spread in between.
pub fn sample_teams(n: usize) -> Vec<usize> {
    let teams = teams(n);
    let mut picked: Vec<usize> = (0..teams.min(4)).collect();
    picked.extend([
        teams / 3,
        teams / 2,
        (2 * teams) / 3,
        teams.saturating_sub(1),
    ]);
    picked.sort_unstable();
    picked.dedup();
    picked
}

/// Admissions (three images each) drawn from one team's images: indexes into [`images`].
pub const ADMISSIONS: [[usize; 3]; 6] = [
    [0, 5, 12],  // candidate, near miss, foreign
    [1, 3, 4],   // three candidates
    [2, 8, 13],  // candidate, `latest` near miss, signed foreign
    [6, 7, 14],  // near misses and a foreign image
    [1, 2, 15],  // two candidates and another team's image
    [13, 13, 4], // a repeated image
];
