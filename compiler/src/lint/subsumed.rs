//! L0002: a rule that another rule of the same policy makes redundant.
//!
//! A policy's verdict is the `or` of its rules (docs/language.md#three-valued-logic), so rule A adds nothing when some
//! other rule B is at least as true for every image: `A ≤ B` pointwise in false < unknown <
//! true ([`logic::le`]). Classical implication is not enough: `A` unknown where `B` is false
//! would still make the verdict unknown rather than untrusted. Of two equivalent rules only the
//! later one is reported. Rules that never hold are L0001's and left out here.

use crate::codes::Code;
use crate::diagnostics::Diagnostic;
use crate::lint::Model;
use crate::lint::logic;

/// Reports each subsumed rule once, naming the first rule that subsumes it.
pub fn check(m: &Model, out: &mut Vec<Diagnostic>) {
    for p in &m.policies {
        let file = p.origin.file;
        let live: Vec<usize> = (0..p.rules.len()).filter(|&i| !p.never[i]).collect();
        for &a in &live {
            let by = live.iter().copied().find(|&b| {
                b != a
                    && logic::le(&m.image, &p.rules[a].nnf, &p.rules[b].nnf)
                    // Of two equivalent rules, keep the first.
                    && !(b > a && logic::le(&m.image, &p.rules[b].nnf, &p.rules[a].nnf))
            });
            let Some(b) = by else { continue };
            let equivalent = logic::le(&m.image, &p.rules[b].nnf, &p.rules[a].nnf);
            let (message, label) = if equivalent {
                (
                    format!(
                        "this rule of policy \"{}\" adds nothing: another rule trusts exactly the same images",
                        p.name()
                    ),
                    "the same as an earlier rule",
                )
            } else {
                (
                    format!(
                        "this rule of policy \"{}\" adds nothing: another rule trusts every image it trusts",
                        p.name()
                    ),
                    "every image this rule trusts, the other rule trusts too",
                )
            };
            out.push(
                Diagnostic::new(Code::L0002, file, p.rules[a].span, message, label)
                    .related(file, p.rules[b].span, "this rule already trusts them")
                    .help(
                        "a policy trusts an image when any of its rules holds: remove this rule, \
                         or, if it was meant to add a requirement, add that requirement to the \
                         other rule",
                    ),
            );
        }
    }
}
