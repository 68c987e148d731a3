//! Differential property tests: the indexed decision table against the direct interpreter.
//!
//! Generated policy sets (random scopes, rules over every atom kind, both actions, both
//! on-unknown values) and generated images (references with and without tag and digest, facts
//! with every field known or unknown) must give identical outputs — decision, verdicts, reasons,
//! runtime and posture issues — from [`Engine::evaluate`] / [`Engine::audit`] (the table) and
//! [`Engine::interpret`] / [`Engine::interpret_audit`] (the oracle); the fast paths must agree
//! with both; and shuffling the policies must never change any output.
//!
//! The Kleene-law properties at the end check the evaluator on generated expressions: de
//! Morgan's laws hold, and `x or not x` is unknown whenever `x` is.

use bona_runtime::engine::Engine;
use bona_runtime::eval::Evaluator;
use bona_runtime::evaluation::StreamedDecision;
use bona_runtime::image::ImageView;
use bona_runtime::input::{AdmissionInput, Inventory, InventoryAsset};
use bona_runtime::ir::{Expr, ImageAtom};
use bona_runtime::output::{ImageDecision, PostureReason, Verdict};
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;
use proptest::prelude::*;

use crate::strategies;
use strategies::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn table_agrees_with_interpreter((policies, shuffled, asset, images) in case()) {
        let engine = Engine::new(policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reordered = Engine::new(policy_set(shuffled)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = AdmissionInput { time: Some(NOW), asset: asset.clone(), images: images.clone() };
        let mut cache = VerificationCache::new();
        // Candidate bases, so that `base` is also found by layers.
        let document = base_document();
        let facts = Some(&document);

        let table = engine.evaluate(&input, facts, 0, &mut cache);
        let oracle = engine.interpret(&input, facts, 0, &mut VerificationCache::new());
        prop_assert_eq!(&table, &oracle);
        prop_assert_eq!(&reordered.evaluate(&input, facts, 0, &mut cache), &table);
        prop_assert_eq!(&reordered.interpret(&input, facts, 0, &mut cache), &table);

        // Image by image, as `bona eval` and the webhook stream it.
        let streamed = engine.evaluation(&input, facts, 0, &mut cache);
        prop_assert_eq!(streamed.decision(), table.decision);
        let count = streamed.image_count();
        let decided: Vec<_> = (0..count).filter_map(|i| streamed.image(i, &mut cache)).collect();
        let issues: Vec<_> = (0..count).filter_map(|i| streamed.issue(i, &mut cache)).collect();
        prop_assert_eq!(&decided, &table.images);
        prop_assert_eq!(&issues, &table.issues);
        let both: Vec<_> = (0..count).filter_map(|i| streamed.image_and_issue(i, &mut cache)).collect();
        prop_assert_eq!(both.iter().map(|(image, _)| image).collect::<Vec<_>>(), table.images.iter().collect::<Vec<_>>());
        prop_assert_eq!(both.iter().filter_map(|(_, issue)| issue.as_ref()).collect::<Vec<_>>(), table.issues.iter().collect::<Vec<_>>());
        // Issues kept from the images' pass (the default for small evaluations), and judged
        // again (what large ones do).
        for keep in [usize::MAX, 0] {
            let mut untouched = |_: usize, _: &mut ImageDecision| {};
            let written = StreamedDecision::new(&streamed, &mut cache, &mut untouched).keeping_issues_up_to(keep);
            prop_assert_eq!(serde_json::to_string_pretty(&written).ok(), serde_json::to_string_pretty(&table).ok());
            prop_assert_eq!(serde_json::to_string(&written).ok(), serde_json::to_string(&table).ok());
        }

        // The fast paths.
        prop_assert_eq!(engine.verdict(&input, facts, 0, &mut cache), table.decision);
        let scope = engine.scope(&asset);
        for (img, out) in images.iter().zip(&table.images) {
            let v = engine.image_verdict(&scope, img, facts, NOW, &mut cache);
            prop_assert_eq!(v.trusted, out.verdict == Verdict::Trusted);
            prop_assert_eq!(v.prevented, out.prevented);
        }

        // Audits of the same asset as running.
        let inventory = Inventory {
            time: Some(NOW),
            assets: vec![InventoryAsset { asset, images }],
        };
        let audit = engine.audit(&inventory, facts, 0, &mut cache);
        prop_assert_eq!(&audit, &engine.interpret_audit(&inventory, facts, 0, &mut cache));
        prop_assert_eq!(&audit, &reordered.audit(&inventory, facts, 0, &mut cache));

        // Every policy's result of every running image: the table's and the interpreter's
        // agree, and the posture issues among them are exactly the audit's.
        let entry = &inventory.assets[0];
        let results = engine.audit_asset_results(&entry.asset, &entry.images, facts, NOW, &mut cache);
        prop_assert_eq!(
            &results,
            &engine.interpret_audit_asset_results(&entry.asset, &entry.images, facts, NOW, &mut cache)
        );
        let filed: Vec<(String, String, PostureReason)> = results
            .iter()
            .flat_map(|image| {
                image.policies.iter().filter_map(move |p| {
                    p.posture.map(|reason| (image.reference.clone(), p.policy.clone(), reason))
                })
            })
            .collect();
        let issued: Vec<(String, String, PostureReason)> = audit
            .issues
            .iter()
            .map(|i| (i.image.clone(), i.policy.clone(), i.reason))
            .collect();
        prop_assert_eq!(filed, issued);
        for (image, out) in results.iter().zip(&table.images) {
            prop_assert_eq!(image.trusted, out.verdict == Verdict::Trusted);
        }
    }

    #[test]
    fn indexed_scopes_agree_with_interpreter(
        (policies, shuffled, assets, images) in team_policies().prop_flat_map(|ps| (
            Just(ps.clone()),
            Just(ps).prop_shuffle(),
            proptest::collection::vec(team_asset(), 1..4),
            proptest::collection::vec(image(), 1..3),
        ))
    ) {
        let engine = Engine::new(policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reordered = Engine::new(policy_set(shuffled)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(engine.table().scope_count() > 64);
        let mut cache = VerificationCache::new();
        for asset in &assets {
            let input = AdmissionInput { time: Some(NOW), asset: asset.clone(), images: images.clone() };
            let table = engine.evaluate(&input, None, 0, &mut cache);
            prop_assert_eq!(&table, &engine.interpret(&input, None, 0, &mut cache));
            prop_assert_eq!(&reordered.evaluate(&input, None, 0, &mut cache), &table);
            prop_assert_eq!(engine.verdict(&input, None, 0, &mut cache), table.decision);
            let scope = engine.scope(asset);
            // Asked again (the memo's answer, when the set has unindexed scopes).
            prop_assert_eq!(&engine.scope(asset), &scope);
            for (img, out) in images.iter().zip(&table.images) {
                let v = engine.image_verdict(&scope, img, None, NOW, &mut cache);
                prop_assert_eq!(v.trusted, out.verdict == Verdict::Trusted);
                prop_assert_eq!(v.prevented, out.prevented);
            }
        }
        let inventory = Inventory {
            time: Some(NOW),
            assets: assets.into_iter().map(|asset| InventoryAsset { asset, images: images.clone() }).collect(),
        };
        let audit = engine.audit(&inventory, None, 0, &mut cache);
        prop_assert_eq!(&audit, &engine.interpret_audit(&inventory, None, 0, &mut cache));
        prop_assert_eq!(&audit, &reordered.audit(&inventory, None, 0, &mut cache));
    }

    #[test]
    fn de_morgan_holds(a in expr(image_atom()), b in expr(image_atom()), img in image()) {
        let mut cache = VerificationCache::new();
        let view = ImageView::new(&img.reference, img.facts.as_ref(), NOW);
        let mut ev = Evaluator::new(view, &keys().ring, &mut cache);
        let not = |e: &Expr<ImageAtom>| Expr::Not(Box::new(e.clone()));
        let lhs = ev.expr(&not(&Expr::And(vec![a.clone(), b.clone()])));
        let rhs = ev.expr(&Expr::Or(vec![not(&a), not(&b)]));
        prop_assert_eq!(lhs, rhs);
        let lhs = ev.expr(&not(&Expr::Or(vec![a.clone(), b.clone()])));
        let rhs = ev.expr(&Expr::And(vec![not(&a), not(&b)]));
        prop_assert_eq!(lhs, rhs);
        // The connectives agree with Tri's.
        let (va, vb) = (ev.expr(&a), ev.expr(&b));
        prop_assert_eq!(ev.expr(&Expr::And(vec![a.clone(), b.clone()])), va.and(vb));
        prop_assert_eq!(ev.expr(&Expr::Or(vec![a, b])), va.or(vb));
    }

    #[test]
    fn excluded_middle_is_not_assumed(x in expr(image_atom()), img in image()) {
        let mut cache = VerificationCache::new();
        let view = ImageView::new(&img.reference, img.facts.as_ref(), NOW);
        let mut ev = Evaluator::new(view, &keys().ring, &mut cache);
        let v = ev.expr(&x);
        let middle = ev.expr(&Expr::Or(vec![x.clone(), Expr::Not(Box::new(x.clone()))]));
        prop_assert_eq!(middle == Tri::Unknown, v == Tri::Unknown);
        let contradiction = ev.expr(&Expr::And(vec![x.clone(), Expr::Not(Box::new(x))]));
        prop_assert_eq!(contradiction == Tri::Unknown, v == Tri::Unknown);
    }

    /// Reasons exist exactly for the results that are not trusted, and never repeat.
    #[test]
    fn reasons_explain_every_non_trusted_result((policies, _s, asset, images) in case()) {
        let engine = Engine::new(policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = AdmissionInput { time: Some(NOW), asset, images };
        let document = base_document();
        let d = engine.evaluate(&input, Some(&document), 0, &mut VerificationCache::new());
        for image in &d.images {
            for p in &image.policies {
                let trusted = p.result == bona_runtime::output::PolicyResult::Trusted;
                prop_assert_eq!(p.reasons.is_empty(), trusted, "{:?}", p);
                let mut unique = p.reasons.clone();
                unique.sort();
                unique.dedup();
                prop_assert_eq!(unique.len(), p.reasons.len());
            }
        }
    }
}
