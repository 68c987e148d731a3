//! The per-image view: one image as the trust rules see it (docs/language.md#attributes, 4.5).
//!
//! An [`ImageView`] joins three things — the normalised reference, the *effective* facts (the
//! image's inline facts, else the facts document's entry, docs/images.md#facts-lookup) and the
//! evaluation time — and answers, once, what each image attribute is or why it is unknown. Both
//! evaluators (the interpreter in [`crate::eval`] and the decision table in [`crate::table`]) read
//! attributes only through this view, so the knowledge rules live in one place:
//!
//! | attribute | known when |
//! |---|---|
//! | `registry`, `repository`, `pinned` | always |
//! | `tag` | the reference's tag (implied `latest` with neither tag nor digest); for a digest-only reference the facts' `tags` (possibly `[]`, which is known); else unknown |
//! | `digest` | the reference's digest, else the facts' |
//! | `base` | the facts' `base`, and the document's images the facts' `layers` are built on |
//! | `declared_base`, `scanned`, `scan.*`, `vulns.*`, `labels[…]`, signatures | from the facts |
//! | `scan.age` | time − `scan.finished_at`, 0 when the scan finished after the time |
//!
//! Building a view borrows everything and allocates nothing: it is on the decision hot path.

use std::collections::BTreeMap;

use crate::facts::{FactsDocument, ImageFacts, Incomplete, Signature, TagClaim};
use crate::input::ImageInput;
use crate::ir::VulnSeverity;
use crate::reference::Reference;
use crate::refpattern::Tags;

/// What is known of an image's tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKnowledge<'a> {
    /// The reference's tag, written or the implied `latest`.
    One(&'a str),
    /// The facts' `tags` of a digest-only reference; a comparison holds if it holds for one of
    /// them, so `[]` makes every comparison false.
    Many(&'a [String]),
    /// A digest-only reference with no `tags` in its facts.
    Unknown,
}

impl<'a> TagKnowledge<'a> {
    /// The form [`crate::refpattern::ReferencePattern::matches`] takes.
    pub fn as_tags(self) -> Tags<'a> {
        match self {
            TagKnowledge::One(tag) => Tags::One(tag),
            TagKnowledge::Many(tags) => Tags::Many(tags),
            TagKnowledge::Unknown => Tags::Unknown,
        }
    }

    /// Whether some known tag satisfies `pred`: `None` when the tag is unknown.
    pub fn any(self, mut pred: impl FnMut(&str) -> bool) -> Option<bool> {
        match self {
            TagKnowledge::One(tag) => Some(pred(tag)),
            TagKnowledge::Many(tags) => Some(tags.iter().any(|t| pred(t))),
            TagKnowledge::Unknown => None,
        }
    }
}

/// Where the image's digest comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestSource {
    /// The reference carries it (the image is pinned).
    Reference,
    /// The facts' `digest`.
    Facts,
    /// Neither: the digest is unknown.
    Unknown,
}

/// What is known of an image's base (docs/images.md#base-by-layers): the facts' `base`, and
/// the images its `layers` show it is built on. A comparison holds if it holds for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseKnowledge<'a> {
    /// The facts' `base`.
    pub stated: Option<&'a Reference>,
    /// The facts document's images whose layers are the longest prefix of the image's; `None`
    /// when the image's layers are unknown, `[]` when no image of the document is its base.
    pub by_layers: Option<&'a [Reference]>,
}

impl<'a> BaseKnowledge<'a> {
    /// Whether nothing is known: no `base` and no `layers`.
    pub fn is_unknown(&self) -> bool {
        self.stated.is_none() && self.by_layers.is_none()
    }

    /// Every known base, the stated one first.
    pub fn iter(&self) -> impl Iterator<Item = &'a Reference> + use<'a> {
        self.stated
            .into_iter()
            .chain(self.by_layers.unwrap_or_default())
    }

    /// Whether some known base satisfies `pred`: `None` when nothing is known.
    pub fn any(&self, pred: impl FnMut(&Reference) -> bool) -> Option<bool> {
        (!self.is_unknown()).then(|| self.iter().any(pred))
    }
}

/// One image with its effective facts and the evaluation time.
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'a> {
    reference: &'a Reference,
    facts: Option<&'a ImageFacts>,
    /// Where base images are found by their layers.
    document: Option<&'a FactsDocument>,
    time: i64,
    tags: TagKnowledge<'a>,
    digest: Option<&'a str>,
    digest_source: DigestSource,
}

impl<'a> ImageView<'a> {
    /// A view of `reference` with `facts` (already looked up) at `time` (Unix seconds).
    pub fn new(reference: &'a Reference, facts: Option<&'a ImageFacts>, time: i64) -> Self {
        let claim = facts.map(|f| f.tag_claim).unwrap_or_default();
        let tags = match reference.tag() {
            // A tag beside a digest is a claim, when a registry was asked.
            Some(_) if reference.digest().is_some() && claim == TagClaim::Denied => {
                TagKnowledge::Many(&[])
            }
            Some(_) if reference.digest().is_some() && claim == TagClaim::Unknown => {
                TagKnowledge::Unknown
            }
            Some(tag) => TagKnowledge::One(tag),
            None => match facts.and_then(|f| f.tags.as_deref()) {
                Some(tags) => TagKnowledge::Many(tags),
                None => TagKnowledge::Unknown,
            },
        };
        let (digest, digest_source) = match reference.digest() {
            Some(d) => (Some(d), DigestSource::Reference),
            None => match facts.and_then(|f| f.digest.as_deref()) {
                Some(d) => (Some(d), DigestSource::Facts),
                None => (None, DigestSource::Unknown),
            },
        };
        ImageView {
            reference,
            facts,
            document: None,
            time,
            tags,
            digest,
            digest_source,
        }
    }

    /// A view of an input image: its inline facts win, else the document's entry (docs/images.md).
    pub fn of_input(image: &'a ImageInput, document: Option<&'a FactsDocument>, time: i64) -> Self {
        let facts = image
            .facts
            .as_ref()
            .or_else(|| document.and_then(|d| d.lookup(&image.reference)));
        ImageView {
            document,
            ..ImageView::new(&image.reference, facts, time)
        }
    }

    /// The normalised reference.
    pub fn reference(&self) -> &'a Reference {
        self.reference
    }

    /// The effective facts, if any.
    pub fn facts(&self) -> Option<&'a ImageFacts> {
        self.facts
    }

    /// Whether any facts are known for the image.
    pub fn has_facts(&self) -> bool {
        self.facts.is_some()
    }

    /// The evaluation time, Unix seconds.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// `registry`: always known.
    pub fn registry(&self) -> &'a str {
        self.reference.registry()
    }

    /// `repository`: always known.
    pub fn repository(&self) -> &'a str {
        self.reference.repository()
    }

    /// `pinned`: always known.
    pub fn pinned(&self) -> bool {
        self.reference.is_pinned()
    }

    /// `tag`.
    pub fn tags(&self) -> TagKnowledge<'a> {
        self.tags
    }

    /// `digest`: the reference's, else the facts'.
    pub fn digest(&self) -> Option<&'a str> {
        self.digest
    }

    /// Where [`ImageView::digest`] comes from.
    pub fn digest_source(&self) -> DigestSource {
        self.digest_source
    }

    /// `base`: stated, or found by layers.
    pub fn base(&self) -> BaseKnowledge<'a> {
        let document = self.document;
        BaseKnowledge {
            stated: self.facts.and_then(|f| f.base.as_ref()),
            by_layers: self
                .facts
                .and_then(|f| f.layers.as_deref())
                .map(|layers| document.map_or(&[][..], |d| d.bases_of(layers))),
        }
    }

    /// `declared_base`, normalised.
    pub fn declared_base(&self) -> Option<&'a Reference> {
        self.facts.and_then(|f| f.declared_base.as_ref())
    }

    /// Which evidence lists are partial.
    pub fn incomplete(&self) -> Incomplete {
        self.facts.map(|f| f.incomplete).unwrap_or_default()
    }

    /// `scanned`.
    pub fn scanned(&self) -> Option<bool> {
        self.facts.and_then(|f| f.scanned)
    }

    /// `scan.scanner`.
    pub fn scanner(&self) -> Option<&'a str> {
        self.facts
            .and_then(|f| f.scan.as_ref())
            .and_then(|s| s.scanner.as_deref())
    }

    /// `scan.finished_at`, Unix seconds.
    pub fn scan_finished_at(&self) -> Option<i64> {
        self.facts
            .and_then(|f| f.scan.as_ref())
            .and_then(|s| s.finished_at)
    }

    /// `scan.age` in seconds: time − `finished_at`, 0 for a scan that finished after the time.
    pub fn scan_age(&self) -> Option<u64> {
        let finished = self.scan_finished_at()?;
        let age = i128::from(self.time) - i128::from(finished);
        Some(u64::try_from(age.max(0)).unwrap_or(u64::MAX))
    }

    /// `vulns.<severity>`.
    pub fn vulns(&self, severity: VulnSeverity) -> Option<u64> {
        let v = self
            .facts
            .and_then(|f| f.scan.as_ref())
            .and_then(|s| s.vulnerabilities.as_ref())?;
        match severity {
            VulnSeverity::Critical => v.critical,
            VulnSeverity::High => v.high,
            VulnSeverity::Medium => v.medium,
            VulnSeverity::Low => v.low,
        }
    }

    /// The image labels: `None` when unknown (no facts, or facts without `labels`).
    pub fn labels(&self) -> Option<&'a BTreeMap<String, String>> {
        self.facts.and_then(|f| f.labels.as_ref())
    }

    /// `signatures`: `None` when the facts do not give them.
    pub fn signatures(&self) -> Option<&'a [Signature]> {
        self.facts.and_then(|f| f.signatures.as_deref())
    }

    /// `attestations`: `None` when the facts do not give them.
    pub fn attestations(&self) -> Option<&'a [crate::attestation::Attestation]> {
        self.facts.and_then(|f| f.attestations.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Scan;

    const DIGEST: &str = "sha256:5544433322211100000000000000000000000000000000000000000000000000";

    fn r(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn tags_follow_the_reference_then_the_facts() {
        let tagged = r("alpine:3.19");
        assert_eq!(
            ImageView::new(&tagged, None, 0).tags(),
            TagKnowledge::One("3.19")
        );
        let bare = r("alpine");
        assert_eq!(
            ImageView::new(&bare, None, 0).tags(),
            TagKnowledge::One("latest")
        );
        let pinned = r(&format!("alpine@{DIGEST}"));
        assert_eq!(
            ImageView::new(&pinned, None, 0).tags(),
            TagKnowledge::Unknown
        );
        let facts = ImageFacts {
            tags: Some(vec!["1.0".into()]),
            ..ImageFacts::default()
        };
        let view = ImageView::new(&pinned, Some(&facts), 0);
        assert_eq!(view.tags().any(|t| t == "1.0"), Some(true));
        // Tag and digest: the reference's tag wins over the facts.
        let both = r(&format!("alpine:2@{DIGEST}"));
        assert_eq!(
            ImageView::new(&both, Some(&facts), 0).tags(),
            TagKnowledge::One("2")
        );
        let empty = ImageFacts {
            tags: Some(vec![]),
            ..ImageFacts::default()
        };
        assert_eq!(
            ImageView::new(&pinned, Some(&empty), 0)
                .tags()
                .any(|_| true),
            Some(false)
        );
    }

    #[test]
    fn a_tag_beside_a_digest_is_what_the_registry_says() {
        let both = r(&format!("alpine:2@{DIGEST}"));
        let claim = |tag_claim| ImageFacts {
            tag_claim,
            ..ImageFacts::default()
        };
        for (tag_claim, known) in [
            (TagClaim::Unchecked, TagKnowledge::One("2")),
            (TagClaim::Confirmed, TagKnowledge::One("2")),
            (TagClaim::Denied, TagKnowledge::Many(&[])),
            (TagClaim::Unknown, TagKnowledge::Unknown),
        ] {
            let facts = claim(tag_claim);
            assert_eq!(ImageView::new(&both, Some(&facts), 0).tags(), known);
        }
        // A tag alone is the reference's, whatever is claimed: the kubelet pulls the tag.
        let tagged = r("alpine:2");
        let denied = claim(TagClaim::Denied);
        assert_eq!(
            ImageView::new(&tagged, Some(&denied), 0).tags(),
            TagKnowledge::One("2")
        );
    }

    #[test]
    fn digest_from_reference_else_facts() {
        let tagged = r("alpine:3");
        assert_eq!(ImageView::new(&tagged, None, 0).digest(), None);
        let facts = ImageFacts {
            digest: Some(DIGEST.into()),
            ..ImageFacts::default()
        };
        let view = ImageView::new(&tagged, Some(&facts), 0);
        assert_eq!(view.digest(), Some(DIGEST));
        assert_eq!(view.digest_source(), DigestSource::Facts);
        assert!(!view.pinned());
    }

    #[test]
    fn scan_age_is_clamped() {
        let tagged = r("alpine:3");
        let facts = ImageFacts {
            scan: Some(Scan {
                finished_at: Some(1_000),
                ..Scan::default()
            }),
            ..ImageFacts::default()
        };
        assert_eq!(
            ImageView::new(&tagged, Some(&facts), 4_000).scan_age(),
            Some(3_000)
        );
        assert_eq!(
            ImageView::new(&tagged, Some(&facts), 10).scan_age(),
            Some(0)
        );
        assert_eq!(ImageView::new(&tagged, None, 10).scan_age(), None);
    }
}
