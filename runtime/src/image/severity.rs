//! Counting vulnerabilities by severity, as `bona facts trivy` counts a Trivy report and
//! `vuln(K).critical` counts the report inside a cosign vulnerability attestation
//! (docs/choices.md, "Facts from Trivy"): once per distinct vulnerability ID and package, with
//! the highest severity among the copies; `UNKNOWN` and severities Bona does not know are in
//! none of the four counts.

use std::collections::BTreeMap;
use std::fmt;

/// Vulnerabilities counted by severity, duplicates removed (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// `CRITICAL`.
    pub critical: u64,
    /// `HIGH`.
    pub high: u64,
    /// `MEDIUM`.
    pub medium: u64,
    /// `LOW`.
    pub low: u64,
    /// `UNKNOWN` or a severity Bona does not know: in none of the four counts.
    pub uncounted: u64,
}

/// A severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Trivy writes upper case; other spellings are accepted since nothing is lost by it.
    fn parse(text: &str) -> Severity {
        match text.to_ascii_uppercase().as_str() {
            "CRITICAL" => Severity::Critical,
            "HIGH" => Severity::High,
            "MEDIUM" => Severity::Medium,
            "LOW" => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

/// Counts vulnerabilities given as `(VulnerabilityID, PkgName, Severity)`: once per distinct
/// ID and package, with the highest severity among the copies.
pub fn count_severities<'a>(
    vulnerabilities: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> SeverityCounts {
    let mut worst: BTreeMap<(&str, &str), Severity> = BTreeMap::new();
    for (id, package, severity) in vulnerabilities {
        let severity = Severity::parse(severity);
        worst
            .entry((id, package))
            .and_modify(|s| *s = (*s).max(severity))
            .or_insert(severity);
    }
    let mut counts = SeverityCounts::default();
    for severity in worst.into_values() {
        let slot = match severity {
            Severity::Critical => &mut counts.critical,
            Severity::High => &mut counts.high,
            Severity::Medium => &mut counts.medium,
            Severity::Low => &mut counts.low,
            Severity::Unknown => &mut counts.uncounted,
        };
        *slot += 1;
    }
    counts
}

impl fmt::Display for SeverityCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "critical {}, high {}, medium {}, low {}",
            self.critical, self.high, self.medium, self.low
        )
    }
}
