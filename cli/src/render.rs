//! Readable, terminal-oriented renderings of decisions and audits (the JSON shapes are the
//! stable interface; these are for people).

use std::fmt::Write;

use bona_host::diff::{Diff, Issue};
use bona_runtime::input::AdmissionInput;
use bona_runtime::output::{Decision, DecisionKind, ImageDecision, PolicyResult, RuntimeIssue};

/// An admission decision as text, written a part at a time: [`decision_head`], then
/// [`decision_image`] for each image, then [`decision_issues`].
pub fn decision(input: &AdmissionInput, d: &Decision) -> String {
    let mut s = decision_head(input, d.decision);
    for image in &d.images {
        s.push_str(&decision_image(image));
    }
    s.push_str(&decision_issues(&d.issues));
    s
}

/// The first line: the decision and the asset.
pub fn decision_head(input: &AdmissionInput, decision: DecisionKind) -> String {
    let word = match decision {
        DecisionKind::Prevent => "PREVENT",
        DecisionKind::Allow => "ALLOW",
    };
    format!("decision: {word}  ({})\n", input.asset.describe())
}

/// One image with each applicable policy's result and reasons.
pub fn decision_image(image: &ImageDecision) -> String {
    let mut s = String::new();
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
    s
}

/// The runtime-security issues, under a heading; nothing when there is none.
pub fn decision_issues<'i>(issues: impl IntoIterator<Item = &'i RuntimeIssue>) -> String {
    issues
        .into_iter()
        .enumerate()
        .map(|(n, issue)| decision_issue(issue, n == 0))
        .collect()
}

/// One runtime-security issue; the `first` comes under the heading.
pub fn decision_issue(issue: &RuntimeIssue, first: bool) -> String {
    let heading = if first { "\nissues:\n" } else { "" };
    format!(
        "{heading}  [runtime-security] {}\n    {}\n",
        issue.title, issue.description
    )
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
