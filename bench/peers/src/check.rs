//! The agreement check: every engine must reach Bona's decisions on a sample of assets ×
//! images before any of them is timed. A disagreement ends the program with a non-zero exit.
//!
//! The sample, per N: the assets of [`workload::sample_teams`] (in scope, staging, a VM, out of
//! scope) against all of the team's images (candidates, near misses, foreign, another team's),
//! one image at a time (trusted and prevented flags), and the [`workload::ADMISSIONS`] of each
//! asset (the allow / prevent decision).

use std::fmt;

use crate::peer::{Peer, Verdict};
use crate::workload::{self, Asset, Image};

/// One asset with the images it is judged against.
pub struct Case {
    pub team: usize,
    pub asset: Asset,
    pub images: Vec<Image>,
}

/// The sample for a set of `n` policies.
pub fn sample(n: usize) -> Vec<Case> {
    let teams = workload::teams(n);
    workload::sample_teams(n)
        .into_iter()
        .flat_map(|team| {
            let images = workload::images(team, teams);
            workload::assets(team).into_iter().map(move |asset| Case {
                team,
                asset,
                images: images.clone(),
            })
        })
        .collect()
}

/// What one engine decided on the sample, in sample order.
#[derive(PartialEq, Eq)]
pub struct Outcomes {
    pub images: Vec<Verdict>,
    pub admissions: Vec<bool>,
}

/// Runs one engine over the sample, each input converted to its native form first.
pub fn outcomes<P: Peer>(peer: &mut P, cases: &[Case]) -> Outcomes {
    let mut images = Vec::new();
    let mut admissions = Vec::new();
    for case in cases {
        let asset = peer.asset(&case.asset);
        let scope = peer.scope(&asset);
        for image in &case.images {
            let native = peer.image(&case.asset, image);
            images.push(peer.image_verdict(&scope, &native));
        }
        for chosen in workload::ADMISSIONS {
            let picked: Vec<&Image> = chosen.iter().map(|&k| &case.images[k]).collect();
            let native = peer.admission(&case.asset, &picked);
            admissions.push(peer.prevents(&native));
        }
    }
    Outcomes { images, admissions }
}

/// Counts that show the sample exercises every outcome.
pub struct Summary {
    pub trusted: usize,
    pub prevented: usize,
    pub allowed_untrusted: usize,
    pub prevent: usize,
    pub allow: usize,
}

impl Summary {
    pub fn of(o: &Outcomes) -> Summary {
        let count = |f: fn(&Verdict) -> bool| o.images.iter().filter(|v| f(v)).count();
        let prevent = o.admissions.iter().filter(|p| **p).count();
        Summary {
            trusted: count(|v| v.trusted),
            prevented: count(|v| v.prevented),
            allowed_untrusted: count(|v| !v.trusted && !v.prevented),
            prevent,
            allow: o.admissions.len() - prevent,
        }
    }

    /// Whether trusted, prevented and allowed-untrusted images, and both decisions, all occur.
    pub fn covers_everything(&self) -> bool {
        [
            self.trusted,
            self.prevented,
            self.allowed_untrusted,
            self.prevent,
            self.allow,
        ]
        .iter()
        .all(|&c| c > 0)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "images: {} trusted, {} prevented, {} untrusted but allowed; admissions: {} prevent, {} allow",
            self.trusted, self.prevented, self.allowed_untrusted, self.prevent, self.allow
        )
    }
}

/// Every difference between Bona's outcomes and a peer's, described.
pub fn differences(cases: &[Case], bona: &Outcomes, peer: &Outcomes) -> Vec<String> {
    let mut out = Vec::new();
    let mut k = 0;
    let mut a = 0;
    for case in cases {
        let who = format!("team{} {}", case.team, case.asset.kind);
        for image in &case.images {
            if bona.images[k] != peer.images[k] {
                out.push(format!(
                    "{who}, {} image {}: Bona {:?}, peer {:?}",
                    image.kind,
                    image.reference(),
                    bona.images[k],
                    peer.images[k]
                ));
            }
            k += 1;
        }
        for chosen in workload::ADMISSIONS {
            if bona.admissions[a] != peer.admissions[a] {
                out.push(format!(
                    "{who}, admission of images {chosen:?}: Bona prevent={}, peer prevent={}",
                    bona.admissions[a], peer.admissions[a]
                ));
            }
            a += 1;
        }
    }
    out
}
