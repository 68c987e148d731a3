//! Trivy JSON reports → a facts document (docs/images.md#facts): the pure part of `bona facts trivy`.
//!
//! Input is what `trivy image --format json` writes (schema version 2, Trivy 0.20 and later).
//! Output is a document that [`bona_runtime::facts::FactsDocument::from_json`] accepts. No I/O here:
//! the command line reads the files and writes the result.
//!
//! Design notes (the user-facing version is `docs/choices.md`, "Facts from Trivy"):
//! - **Lenient reading.** Trivy adds fields with most releases, so unknown fields are ignored,
//!   as for Kubernetes documents. What Bona relies on is checked: `SchemaVersion` must be 2,
//!   `ArtifactName` must be there, digests and tags must be valid, and every vulnerability needs
//!   a `VulnerabilityID` and a `Severity`. Errors carry the JSON path, line and column
//!   ([`bona_runtime::json`]).
//! - **Keys.** The lookup of docs/images.md#facts-lookup tries the reference's digest, then the
//!   full normalised reference, then the reference without its digest. So a report becomes one entry under
//!   each distinct digest of `Metadata.RepoDigests` (found by every pinned reference to the
//!   image, whatever its registry) and one under each `Metadata.RepoTags` reference, normalised
//!   (found by `registry/app:1.2` written without a digest). `ArtifactName` is never a key: for
//!   `trivy image --input app.tar` it is a file name that would parse as
//!   `docker.io/library/app.tar:latest`. A report with neither list (`trivy fs`, `trivy repo`,
//!   an archive without tags) names no image Bona could look up and is refused.
//! - **Counts.** Every `Results[].Vulnerabilities[]` counts once per distinct
//!   `VulnerabilityID` + `PkgName` (the same advisory for the same package found in two lock
//!   files or two layers is one problem to fix), with the highest severity any of its copies
//!   has. `UNKNOWN` (and any severity Trivy may add later) is in none of the four counts; the
//!   number not counted is reported so the command can say so.
//! - **`base` is never written**: a Trivy report does not say which image an image was built
//!   from. Absent means unknown (docs/language.md#three-valued-logic).
//! - **Several reports** of the same key: the one with the later `CreatedAt` wins, whole; a
//!   report without `CreatedAt` loses to one with it; on a tie the later report in the
//!   argument list wins.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use bona_runtime::facts::parse_rfc3339;
use bona_runtime::json::{self, JsonError};
use bona_runtime::reference::Reference;

/// The only Trivy JSON schema version Bona reads.
pub const SCHEMA_VERSION: u64 = 2;

/// A Trivy report, read and checked: everything the facts need and nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// `CreatedAt` as written, and in Unix seconds.
    created_at: Option<(String, i64)>,
    /// Distinct digests of `Metadata.RepoDigests`, with the `registry/repository` each was
    /// listed under (to give a tag entry the digest of its own repository).
    digests: Vec<(String, String)>,
    /// `Metadata.RepoTags`, parsed and normalised.
    tags: Vec<Reference>,
    /// `Metadata.ImageConfig.config.Labels`; `None` when the report has no image config.
    labels: Option<BTreeMap<String, String>>,
    /// The counts over all results.
    counts: SeverityCounts,
    /// `Trivy.Version`, which recent Trivy releases write.
    trivy_version: Option<String>,
}

pub use bona_runtime::severity::{SeverityCounts, count_severities};

impl Report {
    /// Reads one Trivy JSON report.
    ///
    /// # Errors
    /// A [`JsonError`] with the path, line and column of the first problem: malformed JSON, not
    /// a Trivy report, an unsupported `SchemaVersion`, a bad digest or tag, or a report that
    /// names no image.
    pub fn from_json(bytes: &[u8]) -> Result<Report, JsonError> {
        let ReportObject(raw) = json::from_slice(bytes)?;
        let top = |message: String| JsonError {
            path: ".".to_owned(),
            line: 0,
            column: 0,
            message,
        };
        if raw.schema_version.is_none() {
            return Err(top(
                "not a Trivy JSON report: no `SchemaVersion` (expected the output of \
                 `trivy image --format json`)"
                    .to_owned(),
            ));
        }
        let Some(artifact) = raw.artifact_name else {
            return Err(top(
                "not a Trivy JSON report: no `ArtifactName` (expected the output of \
                 `trivy image --format json`)"
                    .to_owned(),
            ));
        };
        let metadata = raw.metadata.unwrap_or_default();
        let mut digests: Vec<(String, String)> = Vec::new();
        for RepoDigest(reference) in metadata.repo_digests.into_iter().flatten() {
            // INVARIANT: `RepoDigest` only holds references with a digest.
            let digest = reference.digest().unwrap_or_default().to_owned();
            let entry = (digest, reference.name());
            if !digests.contains(&entry) {
                digests.push(entry);
            }
        }
        let mut tags: Vec<Reference> = Vec::new();
        for RepoTag(reference) in metadata.repo_tags.into_iter().flatten() {
            if !tags.contains(&reference) {
                tags.push(reference);
            }
        }
        if digests.is_empty() && tags.is_empty() {
            let kind = raw
                .artifact_type
                .map_or_else(String::new, |t| format!("a `{t}` report of "));
            return Err(JsonError {
                path: "Metadata".to_owned(),
                line: 0,
                column: 0,
                message: format!(
                    "{kind}`{artifact}` names no image: it has no `RepoDigests` or `RepoTags`; \
                     scan an image by its name (`trivy image REGISTRY/REPOSITORY:TAG`), not a \
                     directory or an archive"
                ),
            });
        }
        let labels = metadata
            .image_config
            .map(|c| c.config.and_then(|c| c.labels).unwrap_or_default());
        let results = raw.results.unwrap_or_default();
        let counts = count_severities(results.iter().flat_map(|r| {
            r.vulnerabilities.iter().flatten().map(|v| {
                (
                    v.id.as_str(),
                    v.package.as_deref().unwrap_or(""),
                    v.severity.as_str(),
                )
            })
        }));
        Ok(Report {
            created_at: raw.created_at.map(|CreatedAt(text, secs)| (text, secs)),
            digests,
            tags,
            labels,
            counts,
            trivy_version: raw.trivy.and_then(|t| t.version),
        })
    }

    /// The vulnerability counts.
    pub fn counts(&self) -> SeverityCounts {
        self.counts
    }

    /// `CreatedAt` as Trivy wrote it.
    pub fn created_at(&self) -> Option<&str> {
        self.created_at.as_ref().map(|(text, _)| text.as_str())
    }

    /// The distinct `(repository, digest)` pairs of `Metadata.RepoDigests`.
    pub fn repo_digests(&self) -> impl Iterator<Item = (&str, &str)> {
        self.digests.iter().map(|(d, n)| (n.as_str(), d.as_str()))
    }

    /// The version of Trivy that wrote the report, when it says.
    pub fn trivy_version(&self) -> Option<&str> {
        self.trivy_version.as_deref()
    }

    /// The keys this report's entry is stored under, normalised.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.digests.iter().map(|(d, _)| d.clone()).collect();
        keys.extend(self.tags.iter().map(ToString::to_string));
        keys.dedup();
        keys
    }

    /// The digest to record for an entry found under `tag`: the one digest listed for the
    /// tag's repository, else the one digest of the image; none when that is ambiguous.
    fn digest_for_tag(&self, tag: &Reference) -> Option<String> {
        let name = tag.name();
        let own: BTreeSet<&str> = self
            .digests
            .iter()
            .filter(|(_, n)| *n == name)
            .map(|(d, _)| d.as_str())
            .collect();
        let all: BTreeSet<&str> = self.digests.iter().map(|(d, _)| d.as_str()).collect();
        let one = |set: BTreeSet<&str>| {
            (set.len() == 1)
                .then(|| set.into_iter().next().map(str::to_owned))
                .flatten()
        };
        one(own).or_else(|| one(all))
    }

    fn entry(&self, digest: Option<String>) -> Entry {
        let tags: BTreeSet<String> = self
            .tags
            .iter()
            .filter_map(|t| t.tag().map(str::to_owned))
            .collect();
        Entry {
            digest,
            labels: self.labels.clone(),
            scan: ScanOut {
                finished_at: self.created_at.as_ref().map(|(text, _)| text.clone()),
                scanner: "trivy",
                vulnerabilities: VulnerabilitiesOut {
                    critical: self.counts.critical,
                    high: self.counts.high,
                    low: self.counts.low,
                    medium: self.counts.medium,
                },
            },
            scanned: true,
            tags: (!tags.is_empty()).then(|| tags.into_iter().collect()),
        }
    }

    /// `(key, entry)` for every key of this report.
    fn entries(&self) -> Vec<(String, Entry)> {
        let mut out: Vec<(String, Entry)> = self
            .digests
            .iter()
            .map(|(digest, _)| (digest.clone(), self.entry(Some(digest.clone()))))
            .collect();
        for tag in &self.tags {
            out.push((tag.to_string(), self.entry(self.digest_for_tag(tag))));
        }
        out
    }
}

/// A facts document built from Trivy reports. Serializes with sorted keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrivyFacts {
    images: BTreeMap<String, Entry>,
}

impl TrivyFacts {
    /// Merges reports given in argument order: for each key, the report with the later
    /// `CreatedAt` wins (undated loses to dated; a tie goes to the later report).
    pub fn from_reports(reports: &[Report]) -> TrivyFacts {
        let mut winners: BTreeMap<String, (Option<i64>, usize, Entry)> = BTreeMap::new();
        for (index, report) in reports.iter().enumerate() {
            let created = report.created_at.as_ref().map(|(_, secs)| *secs);
            for (key, entry) in report.entries() {
                let newer = winners
                    .get(&key)
                    .is_none_or(|(c, i, _)| (created, index) >= (*c, *i));
                if newer {
                    winners.insert(key, (created, index, entry));
                }
            }
        }
        TrivyFacts {
            images: winners
                .into_iter()
                .map(|(key, (_, _, entry))| (key, entry))
                .collect(),
        }
    }

    /// How many keys the document has.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the document is empty.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The document as pretty JSON with sorted keys and a final newline.
    pub fn to_json(&self) -> String {
        // INVARIANT: maps with string keys, strings and integers always serialize.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// One image's facts as written. Fields are declared in alphabetical order, so the output has
/// sorted keys throughout (the maps are `BTreeMap`s).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct Entry {
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<BTreeMap<String, String>>,
    scan: ScanOut,
    scanned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct ScanOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    scanner: &'static str,
    vulnerabilities: VulnerabilitiesOut,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct VulnerabilitiesOut {
    critical: u64,
    high: u64,
    low: u64,
    medium: u64,
}

/// The report must be a JSON object: a derived `Deserialize` would also take an array
/// positionally, and an array is what Trivy wrote before schema version 2.
struct ReportObject(RawReport);

impl<'de> Deserialize<'de> for ReportObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ReportObject, D::Error> {
        struct ObjectVisitor;
        impl<'de> de::Visitor<'de> for ObjectVisitor {
            type Value = ReportObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a Trivy JSON report (an object with `SchemaVersion` and `ArtifactName`; \
                     Trivy before 0.20 wrote an array, schema version 1, which Bona does not read)",
                )
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ReportObject, A::Error> {
                RawReport::deserialize(de::value::MapAccessDeserializer::new(map)).map(ReportObject)
            }
        }
        d.deserialize_map(ObjectVisitor)
    }
}

/// The report as read: only the fields Bona uses; everything else is ignored.
#[derive(Deserialize)]
struct RawReport {
    #[serde(rename = "SchemaVersion", default, deserialize_with = "de_schema")]
    schema_version: Option<u64>,
    #[serde(rename = "CreatedAt", default)]
    created_at: Option<CreatedAt>,
    #[serde(rename = "ArtifactName", default)]
    artifact_name: Option<String>,
    #[serde(rename = "ArtifactType", default)]
    artifact_type: Option<String>,
    #[serde(rename = "Metadata", default)]
    metadata: Option<Metadata>,
    #[serde(rename = "Trivy", default)]
    trivy: Option<TrivyVersion>,
    #[serde(rename = "Results", default)]
    results: Option<Vec<ResultOut>>,
}

#[derive(Default, Deserialize)]
struct Metadata {
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<RepoTag>>,
    #[serde(rename = "RepoDigests", default)]
    repo_digests: Option<Vec<RepoDigest>>,
    #[serde(rename = "ImageConfig", default)]
    image_config: Option<ImageConfig>,
}

#[derive(Deserialize)]
struct TrivyVersion {
    #[serde(rename = "Version", default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    config: Option<Config>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ResultOut {
    #[serde(rename = "Vulnerabilities", default)]
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    id: String,
    #[serde(rename = "PkgName", default)]
    package: Option<String>,
    #[serde(rename = "Severity")]
    severity: String,
}

fn de_schema<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<u64>::deserialize(d)? {
        Some(v) if v != SCHEMA_VERSION => Err(de::Error::custom(format!(
            "unsupported `SchemaVersion` {v}: Bona reads Trivy JSON schema version \
             {SCHEMA_VERSION} (Trivy 0.20 and later)"
        ))),
        other => Ok(other),
    }
}

/// `CreatedAt`, checked: an RFC 3339 timestamp (Trivy writes nanoseconds and an offset).
struct CreatedAt(String, i64);

impl<'de> Deserialize<'de> for CreatedAt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CreatedAt, D::Error> {
        let text = String::deserialize(d)?;
        match parse_rfc3339(&text) {
            Some(secs) => Ok(CreatedAt(text, secs)),
            None => Err(de::Error::custom(format!(
                "`{text}` is not an RFC 3339 timestamp like `2026-11-20T10:00:00Z`"
            ))),
        }
    }
}

/// One `RepoDigests` entry: `registry/repository@sha256:…`.
struct RepoDigest(Reference);

impl<'de> Deserialize<'de> for RepoDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RepoDigest, D::Error> {
        let text = String::deserialize(d)?;
        let reference = Reference::parse(&text).map_err(de::Error::custom)?;
        if reference.digest().is_none() {
            return Err(de::Error::custom(format!(
                "`{text}` has no digest: `RepoDigests` entries are `REPOSITORY@sha256:…`"
            )));
        }
        Ok(RepoDigest(reference))
    }
}

/// One `RepoTags` entry: `registry/repository:tag`.
struct RepoTag(Reference);

impl<'de> Deserialize<'de> for RepoTag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RepoTag, D::Error> {
        let text = String::deserialize(d)?;
        let reference = Reference::parse(&text).map_err(de::Error::custom)?;
        if reference.digest().is_some() {
            return Err(de::Error::custom(format!(
                "`{text}` has a digest: `RepoTags` entries are `REPOSITORY:TAG`"
            )));
        }
        Ok(RepoTag(reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bona_runtime::facts::FactsDocument;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn counts(v: &[(&str, &str, &str)]) -> SeverityCounts {
        count_severities(v.iter().copied())
    }

    #[test]
    fn each_severity_is_counted() {
        let c = counts(&[
            ("CVE-1", "a", "CRITICAL"),
            ("CVE-2", "a", "HIGH"),
            ("CVE-3", "a", "HIGH"),
            ("CVE-4", "a", "MEDIUM"),
            ("CVE-5", "a", "LOW"),
            ("CVE-6", "a", "low"),
        ]);
        assert_eq!(
            c,
            SeverityCounts {
                critical: 1,
                high: 2,
                medium: 1,
                low: 2,
                uncounted: 0
            }
        );
        assert_eq!(counts(&[]), SeverityCounts::default());
    }

    #[test]
    fn unknown_and_unrecognised_severities_are_not_counted() {
        let c = counts(&[
            ("CVE-1", "a", "UNKNOWN"),
            ("CVE-2", "a", "NEGLIGIBLE"),
            ("CVE-3", "a", ""),
        ]);
        assert_eq!(
            c,
            SeverityCounts {
                uncounted: 3,
                ..SeverityCounts::default()
            }
        );
    }

    #[test]
    fn duplicates_count_once_with_the_highest_severity() {
        // The same advisory for the same package in two results (two lock files, two layers).
        let c = counts(&[
            ("CVE-1", "lodash", "HIGH"),
            ("CVE-1", "lodash", "HIGH"),
            ("CVE-2", "lodash", "LOW"),
            ("CVE-2", "lodash", "CRITICAL"),
            ("CVE-3", "zlib", "UNKNOWN"),
            ("CVE-3", "zlib", "MEDIUM"),
        ]);
        assert_eq!(
            c,
            SeverityCounts {
                critical: 1,
                high: 1,
                medium: 1,
                low: 0,
                uncounted: 0
            }
        );
        // The same advisory for two packages (libssl3 and libcrypto3 from one openssl) is two.
        let c = counts(&[
            ("CVE-1", "libssl3", "HIGH"),
            ("CVE-1", "libcrypto3", "HIGH"),
        ]);
        assert_eq!(c.high, 2);
    }

    fn report(json: &str) -> Report {
        match Report::from_json(json.as_bytes()) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn error(json: &str) -> JsonError {
        match Report::from_json(json.as_bytes()) {
            Ok(r) => panic!("expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    fn image(created: &str, digest: &str, tag: &str, critical: usize) -> String {
        let vulns: Vec<String> = (0..critical)
            .map(|i| {
                format!(
                    r#"{{"VulnerabilityID": "CVE-{i}", "PkgName": "p", "Severity": "CRITICAL"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"SchemaVersion": 2, "CreatedAt": "{created}", "ArtifactName": "x",
                "Metadata": {{"RepoTags": ["{tag}"], "RepoDigests": ["registry.example.com/app@{digest}"]}},
                "Results": [{{"Target": "t", "Vulnerabilities": [{}]}}]}}"#,
            vulns.join(",")
        )
    }

    fn parse_facts(facts: &TrivyFacts) -> FactsDocument {
        match FactsDocument::from_json(facts.to_json().as_bytes()) {
            Ok(doc) => doc,
            Err(e) => panic!("{e}\n{}", facts.to_json()),
        }
    }

    #[test]
    fn keys_are_digests_and_tags_and_the_facts_reader_finds_them() {
        let r = report(&image(
            "2026-11-20T10:00:00Z",
            D1,
            "registry.example.com/app:1.0",
            2,
        ));
        assert_eq!(r.keys(), vec![D1, "registry.example.com/app:1.0"]);
        let facts = TrivyFacts::from_reports(&[r]);
        let doc = parse_facts(&facts);
        for image in [
            format!("registry.example.com/app@{D1}"),
            format!("other.example.com/copy@{D1}"),
            "registry.example.com/app:1.0".to_owned(),
            format!("registry.example.com/app:1.0@{D1}"),
        ] {
            let found = doc.lookup(&Reference::parse(&image).unwrap_or_else(|e| panic!("{e}")));
            let found = found.unwrap_or_else(|| panic!("{image} not found"));
            assert_eq!(found.digest.as_deref(), Some(D1), "{image}");
            assert_eq!(found.tags, Some(vec!["1.0".to_owned()]));
            assert_eq!(found.scanned, Some(true));
            let scan = found.scan.clone().unwrap_or_default();
            assert_eq!(scan.finished_at, Some(1_795_168_800));
            assert_eq!(scan.vulnerabilities.and_then(|v| v.critical), Some(2));
        }
        assert!(
            doc.lookup(
                &Reference::parse("registry.example.com/app:2.0").unwrap_or_else(|e| panic!("{e}"))
            )
            .is_none()
        );
    }

    #[test]
    fn the_later_report_wins() {
        let old = report(&image(
            "2026-11-01T00:00:00Z",
            D1,
            "registry.example.com/app:1",
            5,
        ));
        let new = report(&image(
            "2026-11-20T00:00:00+02:00",
            D1,
            "registry.example.com/app:1",
            1,
        ));
        let moved = report(&image(
            "2026-11-10T00:00:00Z",
            D2,
            "registry.example.com/app:1",
            3,
        ));
        for order in [
            vec![old.clone(), new.clone(), moved.clone()],
            vec![new.clone(), moved.clone(), old.clone()],
            vec![moved.clone(), old.clone(), new.clone()],
        ] {
            let doc = parse_facts(&TrivyFacts::from_reports(&order));
            let critical = |key: &str| {
                doc.get(key)
                    .and_then(|f| f.scan.clone())
                    .and_then(|s| s.vulnerabilities)
                    .and_then(|v| v.critical)
            };
            assert_eq!(critical(D1), Some(1));
            assert_eq!(critical(D2), Some(3));
            // The tag moved to D2 on 11-10 but D1 was rescanned under it on 11-20.
            assert_eq!(critical("registry.example.com/app:1"), Some(1));
            assert_eq!(doc.len(), 3);
        }
    }

    #[test]
    fn no_created_at_loses_and_ties_go_to_the_later_argument() {
        let undated = report(&format!(
            r#"{{"SchemaVersion": 2, "ArtifactName": "x",
                "Metadata": {{"RepoDigests": ["app@{D1}"]}}}}"#
        ));
        let dated = report(&image("2026-11-01T00:00:00Z", D1, "app:1", 1));
        let doc = TrivyFacts::from_reports(&[dated.clone(), undated.clone()]);
        assert!(doc.to_json().contains("finished_at"));
        let doc = TrivyFacts::from_reports(&[undated.clone(), dated]);
        assert!(doc.to_json().contains("finished_at"));
        let a = report(&image("2026-11-01T00:00:00Z", D1, "app:1", 1));
        let b = report(&image("2026-11-01T00:00:00Z", D1, "app:1", 2));
        let doc = parse_facts(&TrivyFacts::from_reports(&[a, b]));
        assert_eq!(
            doc.get(D1)
                .and_then(|f| f.scan.clone())
                .and_then(|s| s.vulnerabilities)
                .and_then(|v| v.critical),
            Some(2)
        );
        let doc = parse_facts(&TrivyFacts::from_reports(&[undated]));
        let facts = doc.get(D1).cloned().unwrap_or_default();
        assert_eq!(facts.tags, None);
        assert_eq!(facts.labels, None);
        assert_eq!(facts.scan.and_then(|s| s.finished_at), None);
    }

    #[test]
    fn labels_come_from_the_image_config() {
        let with = |config: &str| {
            report(&format!(
                r#"{{"SchemaVersion": 2, "ArtifactName": "x",
                    "Metadata": {{"RepoDigests": ["app@{D1}"], "ImageConfig": {config}}}}}"#
            ))
            .labels
        };
        assert_eq!(
            with(r#"{"config": {"Labels": {"a": "1"}, "Env": ["X=1"]}}"#),
            Some(BTreeMap::from([("a".to_owned(), "1".to_owned())]))
        );
        // An image config without labels: the image has none (known).
        assert_eq!(with(r#"{"config": {}}"#), Some(BTreeMap::new()));
        assert_eq!(with("null"), None);
    }

    #[test]
    fn tags_take_the_digest_of_their_repository() {
        let r = report(&format!(
            r#"{{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {{
                "RepoTags": ["a.io/app:1", "b.io/app:1", "c.io/app:1"],
                "RepoDigests": ["a.io/app@{D1}", "b.io/app@{D2}"]}}}}"#
        ));
        let doc = parse_facts(&TrivyFacts::from_reports(&[r]));
        let digest = |key: &str| doc.get(key).and_then(|f| f.digest.clone());
        assert_eq!(digest("a.io/app:1").as_deref(), Some(D1));
        assert_eq!(digest("b.io/app:1").as_deref(), Some(D2));
        assert_eq!(digest("c.io/app:1"), None);
        assert_eq!(doc.len(), 5);
    }

    #[test]
    fn bad_reports_are_reported_at_their_place() {
        let cases: &[(&str, &str, &str)] = &[
            ("not json", ".", "expected ident"),
            (
                "[]",
                ".",
                "invalid type: sequence, expected a Trivy JSON report",
            ),
            (
                r#"{"images": {}}"#,
                ".",
                "not a Trivy JSON report: no `SchemaVersion`",
            ),
            (
                r#"{"SchemaVersion": 2}"#,
                ".",
                "not a Trivy JSON report: no `ArtifactName`",
            ),
            (
                r#"{"SchemaVersion": 1, "ArtifactName": "x"}"#,
                "SchemaVersion",
                "unsupported `SchemaVersion` 1",
            ),
            (
                r#"{"SchemaVersion": "2"}"#,
                "SchemaVersion",
                "invalid type: string",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem"}"#,
                "Metadata",
                "a `filesystem` report of `.` names no image",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "CreatedAt": "today"}"#,
                "CreatedAt",
                "`today` is not an RFC 3339 timestamp",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {"RepoDigests": ["app@sha256:12"]}}"#,
                "Metadata.RepoDigests[0]",
                "invalid image reference `app@sha256:12`",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {"RepoDigests": ["app:1"]}}"#,
                "Metadata.RepoDigests[0]",
                "`app:1` has no digest",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {"RepoTags": ["App:1"]}}"#,
                "Metadata.RepoTags[0]",
                "invalid image reference `App:1`",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {"RepoTags": ["a"]},
                    "Results": [{"Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}"#,
                "Results[0].Vulnerabilities[0]",
                "missing field `Severity`",
            ),
            (
                r#"{"SchemaVersion": 2, "ArtifactName": "x", "Metadata": {"RepoTags": ["a"],
                    "ImageConfig": {"config": {"Labels": {"a": 1}}}}}"#,
                "Metadata.ImageConfig.config.Labels.a",
                "invalid type: integer",
            ),
        ];
        for (json, path, message) in cases {
            let e = error(json);
            assert_eq!(e.path, *path, "{json}: {e}");
            assert!(e.message.starts_with(message), "{json}: {e}");
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let r = report(&format!(
            r#"{{"SchemaVersion": 2, "ArtifactName": "x", "Trivy": {{"Version": "9.9"}},
                "Metadata": {{"RepoDigests": ["app@{D1}"], "OS": {{"Family": "alpine"}}}},
                "Results": [{{"Target": "t", "Class": "os-pkgs", "Packages": [],
                  "Vulnerabilities": [{{"VulnerabilityID": "CVE-1", "PkgName": "z",
                    "Severity": "HIGH", "CVSS": {{}}, "Future": [1, 2]}}]}}, {{"Vulnerabilities": null}}]}}"#
        ));
        assert_eq!(r.counts().high, 1);
    }
}
