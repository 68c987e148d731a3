//! Readable, terminal-oriented renderings of decisions and audits (the JSON shapes are the
//! stable interface; these are for people).

use std::fmt::Write;

use bona_runtime::input::AdmissionInput;
use bona_runtime::output::{Audit, Decision, DecisionKind, PolicyResult, PostureIssue};

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

/// One posture issue as text (two lines), as the audit table prints it.
pub fn posture_issue(i: &PostureIssue, s: &mut String) {
    let _ = writeln!(
        s,
        "[posture] {} — policy \"{}\" ({})",
        i.title,
        i.policy,
        i.reason.as_str()
    );
    let _ = writeln!(s, "  {}", i.description);
}

/// An audit as text.
pub fn audit(a: &Audit) -> String {
    let mut s = String::new();
    if a.issues.is_empty() {
        let _ = writeln!(s, "no posture issues");
        return s;
    }
    for i in &a.issues {
        posture_issue(i, &mut s);
    }
    let _ = writeln!(s, "\n{} posture issue(s)", a.issues.len());
    s
}
