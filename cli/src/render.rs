//! Readable, terminal-oriented renderings of decisions and audits (the JSON shapes are the
//! stable interface; these are for people).

use std::fmt::Write;

use bona_host::diff::{Diff, Issue};
use bona_runtime::input::AdmissionInput;
use bona_runtime::output::{Decision, DecisionKind, PolicyResult};

/// An admission decision as text.
pub fn decision(input: &AdmissionInput, d: &Decision) -> String {
    let mut s = String::new();
    let word = match d.decision {
        DecisionKind::Prevent => "PREVENT",
        DecisionKind::Allow => "ALLOW",
    };
    let _ = writeln!(s, "decision: {word}  ({})", input.asset.describe());
    for image in &d.images {
        let _ = writeln!(s);
        let flag = if image.prevented { ", prevented" } else { "" };
        let _ = writeln!(
            s,
            "image {}: {}{flag}",
            image.reference,
            image.verdict.as_str()
        );
        if image.policies.is_empty() {
            let _ = writeln!(s, "  no policy applies to this asset");
        }
        for p in &image.policies {
            let result = match p.result {
                PolicyResult::Trusted => "trusted",
                PolicyResult::Untrusted => "untrusted",
                PolicyResult::Unknown => "unknown",
            };
            let resolved = if p.result == PolicyResult::Unknown {
                format!(" → {}", p.resolved.as_str())
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  policy \"{}\" ({}): {result}{resolved}",
                p.policy,
                p.action.as_str()
            );
            for r in &p.reasons {
                let _ = writeln!(s, "    - {r}");
            }
        }
    }
    if !d.issues.is_empty() {
        let _ = writeln!(s, "\nissues:");
        for i in &d.issues {
            let _ = writeln!(s, "  [runtime-security] {}", i.title);
            let _ = writeln!(s, "    {}", i.description);
        }
    }
    s
}

/// A policy diff as text: each changed asset with what changes, then the counts.
pub fn diff(d: &Diff) -> String {
    let mut s = String::new();
    for (i, change) in d.changes.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(s);
        }
        let decision = if change.decision.old == change.decision.new {
            format!("{} (unchanged)", change.decision.new.as_str())
        } else {
            format!(
                "{} → {}",
                change.decision.old.as_str(),
                change.decision.new.as_str()
            )
        };
        let cluster = if change.asset.cluster.is_empty() {
            String::new()
        } else {
            format!(" in cluster {}", change.asset.cluster)
        };
        let _ = writeln!(s, "{}{cluster}: {decision}", change.described);
        for image in &change.images {
            let state = |verdict: bona_runtime::output::Verdict, prevented: bool| {
                let flag = if prevented { ", prevented" } else { "" };
                format!("{}{flag}", verdict.as_str())
            };
            let _ = writeln!(
                s,
                "  image {}: {} → {}",
                image.reference,
                state(image.change.old.verdict, image.change.old.prevented),
                state(image.change.new.verdict, image.change.new.prevented)
            );
        }
        for (sign, issues) in [("+", &change.issues.added), ("-", &change.issues.removed)] {
            for issue in issues {
                let _ = match issue {
                    Issue::RuntimeSecurity(i) => writeln!(
                        s,
                        "  {sign} [runtime-security] {} ({})",
                        i.image,
                        i.policies.join(", ")
                    ),
                    Issue::Posture(i) => writeln!(
                        s,
                        "  {sign} [posture] {} — policy \"{}\" ({})",
                        i.image,
                        i.policy,
                        i.reason.as_str()
                    ),
                };
            }
        }
    }
    let t = &d.summary;
    if !d.changes.is_empty() {
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "{} of {} assets change: {} newly prevented, {} newly allowed; {} issues added, {} removed",
        t.changed, t.assets, t.newly_prevented, t.newly_allowed, t.issues_added, t.issues_removed
    );
    s
}
