//! An admission decided image by image ([`Engine::evaluation`]), and written out that way.
//!
//! [`Engine::evaluate`] holds the whole [`Decision`](crate::output::Decision): with 20 images and 10,000 applicable
//! policies that is 200,000 outcomes with their reasons, hundreds of megabytes. An
//! [`Evaluation`] knows the decision up front (from the fast verdicts, which the tests hold
//! equal to the full ones) and computes each image's entry, and each runtime-security issue,
//! when asked; [`StreamedDecision`] serialises it exactly as the [`Decision`](crate::output::Decision) would be, holding
//! one image's entry at a time.

use std::cell::RefCell;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::decide::{self, Judged};
use crate::engine::Engine;
use crate::eval::Evaluator;
use crate::facts::FactsDocument;
use crate::image::ImageView;
use crate::input::AdmissionInput;
use crate::output::{DecisionKind, ImageDecision, RuntimeIssue};
use crate::signature::VerificationCache;
use crate::table::AssetScope;

/// An admission being decided image by image ([`Engine::evaluation`]). Its parts are those of
/// [`Engine::evaluate`]'s [`Decision`](crate::output::Decision), which the tests hold them to.
pub struct Evaluation<'e> {
    pub(crate) engine: &'e Engine,
    pub(crate) input: &'e AdmissionInput,
    pub(crate) facts: Option<&'e FactsDocument>,
    pub(crate) time: i64,
    pub(crate) scope: AssetScope,
    pub(crate) applicable: Vec<u32>,
    pub(crate) decision: DecisionKind,
}

impl Evaluation<'_> {
    /// The workload's decision.
    pub fn decision(&self) -> DecisionKind {
        self.decision
    }

    /// The admission input being decided.
    pub fn input(&self) -> &AdmissionInput {
        self.input
    }

    /// How many images there are.
    pub fn image_count(&self) -> usize {
        self.input.images.len()
    }

    /// The `index`th image's entry, with every applicable policy's result and reasons.
    pub fn image(&self, index: usize, cache: &mut VerificationCache) -> Option<ImageDecision> {
        self.judge(index, cache, |reference, judged, evaluator| {
            decide::image_decision(reference, judged, self.scope.any_prevent(), |p, v| {
                evaluator.explain_policy(p, v)
            })
        })
    }

    /// [`Evaluation::image`] and [`Evaluation::issue`] of one image, judged once.
    pub fn image_and_issue(
        &self,
        index: usize,
        cache: &mut VerificationCache,
    ) -> Option<(ImageDecision, Option<RuntimeIssue>)> {
        self.judge(index, cache, |reference, judged, evaluator| {
            let any_prevent = self.scope.any_prevent();
            let issue = decide::image_issue(&self.input.asset, &reference, judged, any_prevent);
            let image = decide::image_decision(reference, judged, any_prevent, |p, v| {
                evaluator.explain_policy(p, v)
            });
            (image, issue)
        })
    }

    /// The `index`th image's runtime-security issue, if it is not trusted (no reasons are
    /// computed for it).
    pub fn issue(&self, index: usize, cache: &mut VerificationCache) -> Option<RuntimeIssue> {
        self.judge(index, cache, |reference, judged, _| {
            decide::image_issue(
                &self.input.asset,
                &reference,
                judged,
                self.scope.any_prevent(),
            )
        })
        .flatten()
    }

    /// Judges the `index`th image by every applicable policy and hands `f` its printed
    /// reference, the verdicts and the evaluator (for reasons).
    fn judge<R>(
        &self,
        index: usize,
        cache: &mut VerificationCache,
        f: impl FnOnce(String, &[Judged<'_>], &mut Evaluator<'_, '_>) -> R,
    ) -> Option<R> {
        let image = self.input.images.get(index)?;
        let view = ImageView::of_input(image, self.facts, self.time);
        let mut evaluator = Evaluator::new(view, &self.engine.keys, cache);
        let judged = self
            .engine
            .table
            .judge(&self.scope, &self.applicable, &mut evaluator);
        Some(f(image.reference.to_string(), &judged, &mut evaluator))
    }
}

/// What [`StreamedDecision`] calls with each image's index and entry before writing it.
pub type Inspect<'a> = &'a mut dyn FnMut(usize, &mut ImageDecision);

/// Up to this many (image, applicable policy) pairs, [`StreamedDecision`] keeps each image's
/// issue from judging it for its entry, rather than judging it again when the issues are
/// written: a small admission's issues are a few hundred bytes, and judging twice was a tenth
/// of its time.
const KEEP_ISSUES: usize = 1024;

/// Serialises an [`Evaluation`] exactly as its [`Decision`](crate::output::Decision) would be (field order, pretty or
/// compact), computing each image's entry as it is written. `inspect` sees (and may amend)
/// each entry before it is written: the webhook counts and summarises images there.
pub struct StreamedDecision<'a, 'e> {
    evaluation: &'a Evaluation<'e>,
    cache: RefCell<&'a mut VerificationCache>,
    inspect: RefCell<Inspect<'a>>,
    /// The images' issues, kept while writing the entries when the evaluation is small.
    issues: RefCell<Option<Vec<RuntimeIssue>>>,
    keep_issues: usize,
}

impl<'a, 'e> StreamedDecision<'a, 'e> {
    /// Writes `evaluation`, calling `inspect` with each image's index and entry.
    pub fn new(
        evaluation: &'a Evaluation<'e>,
        cache: &'a mut VerificationCache,
        inspect: Inspect<'a>,
    ) -> StreamedDecision<'a, 'e> {
        StreamedDecision {
            evaluation,
            cache: RefCell::new(cache),
            inspect: RefCell::new(inspect),
            issues: RefCell::new(None),
            keep_issues: KEEP_ISSUES,
        }
    }

    /// Keeps the issues found while writing the images' entries when the evaluation has at
    /// most `pairs` (image, applicable policy) pairs (1,024 unless set); beyond, each image is
    /// judged again for its issue, in memory bounded by one image. Either way the same bytes
    /// are written.
    pub fn keeping_issues_up_to(mut self, pairs: usize) -> Self {
        self.keep_issues = pairs;
        self
    }
}

impl Serialize for StreamedDecision<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut decision = serializer.serialize_struct("Decision", 3)?;
        decision.serialize_field("decision", &self.evaluation.decision())?;
        decision.serialize_field("images", &Images(self))?;
        decision.serialize_field("issues", &Issues(self))?;
        decision.end()
    }
}

struct Images<'s, 'a, 'e>(&'s StreamedDecision<'a, 'e>);

impl Serialize for Images<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let streamed = self.0;
        let evaluation = streamed.evaluation;
        let count = evaluation.image_count();
        let pairs = count.saturating_mul(evaluation.applicable.len());
        let mut kept = (pairs <= streamed.keep_issues).then(Vec::new);
        let mut seq = serializer.serialize_seq(Some(count))?;
        for i in 0..count {
            let entry = {
                let mut cache = streamed.cache.borrow_mut();
                match &mut kept {
                    Some(kept) => {
                        evaluation
                            .image_and_issue(i, &mut cache)
                            .map(|(entry, issue)| {
                                kept.extend(issue);
                                entry
                            })
                    }
                    None => evaluation.image(i, &mut cache),
                }
            };
            if let Some(mut entry) = entry {
                (streamed.inspect.borrow_mut())(i, &mut entry);
                seq.serialize_element(&entry)?;
            }
        }
        *streamed.issues.borrow_mut() = kept;
        seq.end()
    }
}

struct Issues<'s, 'a, 'e>(&'s StreamedDecision<'a, 'e>);

impl Serialize for Issues<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let streamed = self.0;
        let mut seq = serializer.serialize_seq(None)?;
        if let Some(kept) = streamed.issues.borrow_mut().take() {
            for issue in &kept {
                seq.serialize_element(issue)?;
            }
            return seq.end();
        }
        for i in 0..streamed.evaluation.image_count() {
            let issue = {
                let mut cache = streamed.cache.borrow_mut();
                streamed.evaluation.issue(i, &mut cache)
            };
            if let Some(issue) = issue {
                seq.serialize_element(&issue)?;
            }
        }
        seq.end()
    }
}
