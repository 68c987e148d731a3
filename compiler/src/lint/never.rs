//! L0001: a rule that can never hold.
//!
//! "Never holds" means never *true*: no image, facts and time make the rule true. Such a rule
//! may still be unknown (`vulns.high < 1 and vulns.high > 3` is unknown without a scan), and an
//! unknown verdict can resolve to trusted under `on unknown issue`; the message says "never
//! hold", the docs say the rest. The rule is put in disjunctive normal form and every term must
//! be contradictory on some attribute ([`logic::satisfiable`]); when the rule is one term, the
//! smallest set of comparisons that contradict each other is shown.

use crate::codes::Code;
use crate::db::Db;
use crate::diagnostics::Diagnostic;
use crate::lint::logic::{self, DNF_CAP};
use crate::lint::{Model, and_list, text};
use crate::syntax::span::Span;

/// Reports every rule that never holds and marks it in [`crate::lint::PolicyModel::never`].
pub fn check(db: &dyn Db, m: &mut Model, out: &mut Vec<Diagnostic>) {
    for p in &mut m.policies {
        let file = p.origin.file;
        for (i, rule) in p.rules.iter().enumerate() {
            if !logic::never_true(&m.image, &rule.nnf) {
                continue;
            }
            p.never[i] = true;
            let help = "a rule holds only when all its `and`-ed conditions hold at once: join \
                        alternatives with `or` (or list them with `in`), fix the values, or \
                        remove the rule";
            let core = match logic::dnf(&rule.nnf, DNF_CAP) {
                Some(terms) if terms.len() == 1 => logic::conflict(&m.image, &terms[0]),
                _ => None,
            };
            let d = match core.as_deref() {
                Some([.., last]) => {
                    let last_span = m.image[*last].span;
                    let mut others: Vec<Span> = core
                        .iter()
                        .flatten()
                        .map(|&l| m.image[l].span)
                        .filter(|s| *s != last_span)
                        .collect();
                    others.sort();
                    others.dedup();
                    let quoted = |s: &Span| format!("`{}`", text(db, file, *s));
                    let (message, label) = if others.is_empty() {
                        (
                            format!(
                                "this rule can never hold: {} is never true",
                                quoted(&last_span)
                            ),
                            "no image satisfies this comparison".to_owned(),
                        )
                    } else {
                        let list: Vec<String> = others.iter().map(quoted).collect();
                        let verb = if list.len() == 1 { "both" } else { "all" };
                        (
                            format!(
                                "this rule can never hold: {} and {} cannot {verb} be true",
                                list.join(", "),
                                quoted(&last_span)
                            ),
                            format!("contradicts {}", and_list(&list)),
                        )
                    };
                    let mut d = Diagnostic::new(Code::L0001, file, last_span, message, label);
                    for s in others {
                        d = d.related(file, s, "this condition");
                    }
                    d
                }
                _ => Diagnostic::new(
                    Code::L0001,
                    file,
                    rule.span,
                    "this rule can never hold",
                    "no alternative of this rule can be true",
                ),
            };
            out.push(d.help(help));
        }
    }
}
