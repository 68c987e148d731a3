//! Running `test` blocks (docs/language.md#tests) against a compiled policy set, and measuring which
//! rules and scopes they exercise. `bona test` and the language server's code lens both call
//! this, so they always agree.
//!
//! Expectations are checked on the runtime's decision table (the path production uses);
//! posture counts come from the audit rules applied to the test's asset as if it were running.
//!
//! Coverage: a trust rule is *exercised* when some test evaluates it to true for some image
//! while its policy applies (a rule that never grants trust in any test is untested), and a
//! scope is exercised when some test's asset falls inside it.

use bona_runtime::Engine;
use bona_runtime::eval::{Evaluator, KeyRing, policy_applies};
use bona_runtime::image::ImageView;
use bona_runtime::input::{AdmissionInput, parse_admission_input};
use bona_runtime::output::DecisionKind;
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;

use crate::compile::Compiled;
use crate::testblock::{Expectation, TestCase};

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub name: String,
    /// Every expectation that did not hold, as a sentence (`expected prevent, got allow`).
    pub failures: Vec<String>,
}

impl TestOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test of the compiled set. `now` is used for inputs without `time`.
pub fn run_tests(engine: &Engine, tests: &[TestCase], now: i64) -> Vec<TestOutcome> {
    let mut cache = VerificationCache::new();
    tests
        .iter()
        .map(|t| run_test(engine, t, now, &mut cache))
        .collect()
}

/// Runs one test: for callers that show progress between tests.
pub fn run_test(
    engine: &Engine,
    t: &TestCase,
    now: i64,
    cache: &mut VerificationCache,
) -> TestOutcome {
    let input = match parse_admission_input(t.input.as_bytes()) {
        Ok(i) => i,
        Err(e) => {
            return TestOutcome {
                name: t.name.clone(),
                failures: vec![format!("invalid input: {e}")],
            };
        }
    };
    let decision = engine.evaluate(&input, None, now, cache);
    let time = input.time.unwrap_or(now);
    let mut failures = Vec::new();
    for (e, _) in &t.expectations {
        match e {
            Expectation::Decision { prevent } => {
                let got = decision.decision == DecisionKind::Prevent;
                if got != *prevent {
                    failures.push(format!("expected {}, got {}", word(*prevent), word(got)));
                }
            }
            Expectation::Verdict { reference, trusted } => {
                let image = decision.images.iter().find(|i| &i.reference == reference);
                match image {
                    Some(i) if i.verdict.is_trusted() != *trusted => {
                        let why: Vec<String> = i
                            .policies
                            .iter()
                            .flat_map(|p| {
                                p.reasons.iter().map(move |r| format!("{}: {r}", p.policy))
                            })
                            .take(3)
                            .collect();
                        let mut msg = format!(
                            "expected {reference} to be {}, it is {}",
                            trust_word(*trusted),
                            i.verdict.as_str()
                        );
                        if !why.is_empty() {
                            msg.push_str(&format!(" ({})", why.join("; ")));
                        }
                        failures.push(msg);
                    }
                    Some(_) => {}
                    None => failures.push(format!("no image {reference} in the input")),
                }
            }
            Expectation::RuntimeIssues(n) => {
                let got = decision.issues.len() as u64;
                if got != *n {
                    failures.push(format!("expected {n} runtime issue(s), got {got}"));
                }
            }
            Expectation::PostureIssues(n) => {
                let got = engine
                    .audit_asset(&input.asset, &input.images, None, time, cache)
                    .len() as u64;
                if got != *n {
                    failures.push(format!("expected {n} posture issue(s), got {got}"));
                }
            }
        }
    }
    TestOutcome {
        name: t.name.clone(),
        failures,
    }
}

fn word(prevent: bool) -> &'static str {
    if prevent { "prevent" } else { "allow" }
}

fn trust_word(trusted: bool) -> &'static str {
    if trusted { "trusted" } else { "untrusted" }
}

/// Which rules and scopes the tests exercised, per policy in `compiled.origins` order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// Per policy: whether its scope held for some test asset (policies without a scope: true).
    pub scopes: Vec<bool>,
    /// Per policy, per rule: whether some test made the rule true.
    pub rules: Vec<Vec<bool>>,
}

/// Measures coverage of the compiled set by its tests.
pub fn coverage(compiled: &Compiled, now: i64) -> Coverage {
    let policies = &compiled.set.policies;
    let mut cov = Coverage {
        scopes: policies.iter().map(|p| p.scope.is_none()).collect(),
        rules: policies
            .iter()
            .map(|p| vec![false; p.rules.len()])
            .collect(),
    };
    let Ok(keys) = KeyRing::from_set(&compiled.set.keys, &compiled.set.trust_roots) else {
        return cov;
    };
    let mut cache = VerificationCache::new();
    let inputs: Vec<AdmissionInput> = compiled
        .tests
        .iter()
        .filter_map(|t| parse_admission_input(t.input.as_bytes()).ok())
        .collect();
    for input in &inputs {
        let time = input.time.unwrap_or(now);
        for (pi, policy) in policies.iter().enumerate() {
            if !policy_applies(policy, &input.asset) {
                continue;
            }
            cov.scopes[pi] = true;
            for image in &input.images {
                let view = ImageView::of_input(image, None, time);
                let mut ev = Evaluator::new(view, &keys, &mut cache);
                for (ri, rule) in policy.rules.iter().enumerate() {
                    if ev.expr(rule) == Tri::True {
                        cov.rules[pi][ri] = true;
                    }
                }
            }
        }
    }
    cov
}
