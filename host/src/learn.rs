//! `bona learn` (docs/learn.md): a policy set that trusts what runs now, the way Prisma Cloud's
//! trust groups start from the images running in a cluster.
//!
//! Deterministic, whatever the inventory's order:
//! 1. each asset is keyed by (cluster, namespace), a VM by (cluster, `vm`);
//! 2. each key gets the set of (registry, repository) it runs, tags and digests dropped;
//! 3. within a key, repositories of one (registry, parent) — the parent being the repository
//!    without its last component — make the pattern `REGISTRY/PARENT/*` when there are at least
//!    `min_group` of them; the others stay exact. Registries, `**` and tags are never
//!    generalised;
//! 4. keys of one cluster with identical patterns form one group (VMs never join namespaces:
//!    their policies are scoped differently);
//! 5. each group is one `issue` policy, `learned CLUSTER/NS` (NS the least namespace), scoped to
//!    its cluster and namespaces, trusting `image matches` its patterns, with comments saying
//!    what it was learned from;
//! 6. policies come in (cluster, NS) order, in `bona fmt` layout.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use bona_compiler::fmt::format;
use bona_compiler::syntax::lexer::escape;
use bona_runtime::input::{AssetType, Inventory};

/// What `bona learn` may generalise.
#[derive(Clone, Copy, Debug)]
pub struct LearnOptions {
    /// Repositories of one (registry, parent) that make a `*` pattern (at least 1).
    pub min_group: usize,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions { min_group: 2 }
    }
}

/// Where an asset runs: a namespace of a cluster, or the VMs of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Namespace(String),
    Vms,
}

/// What runs in one place.
#[derive(Debug, Default)]
struct Running {
    repositories: BTreeSet<(String, String)>,
    images: BTreeSet<String>,
    assets: usize,
}

/// A pattern and the repositories (`REGISTRY/REPOSITORY`) it was made from.
type Patterns = BTreeMap<String, Vec<String>>;

/// Step 3: the patterns of one place's repositories.
fn patterns(repositories: &BTreeSet<(String, String)>, min_group: usize) -> Patterns {
    let mut by_parent: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (registry, repository) in repositories {
        let parent = repository.rsplit_once('/').map_or("", |(parent, _)| parent);
        by_parent
            .entry((registry.as_str(), parent))
            .or_default()
            .push(repository.as_str());
    }
    let mut out = Patterns::new();
    for ((registry, parent), members) in by_parent {
        let full = |repository: &str| format!("{registry}/{repository}");
        if members.len() >= min_group.max(1) {
            let pattern = if parent.is_empty() {
                format!("{registry}/*")
            } else {
                format!("{registry}/{parent}/*")
            };
            out.insert(pattern, members.iter().map(|m| full(m)).collect());
        } else {
            for member in members {
                out.insert(full(member), vec![full(member)]);
            }
        }
    }
    out
}

/// One learned policy: a group of places of one cluster with the same patterns.
struct Group<'a> {
    cluster: &'a str,
    vms: bool,
    namespaces: Vec<&'a str>,
    /// Each pattern with every repository it matched in the group's places.
    patterns: BTreeMap<&'a str, BTreeSet<&'a str>>,
    images: usize,
    assets: usize,
}

/// The learned policy set for `inventory`, formatted as `bona fmt` would.
pub fn learn(inventory: &Inventory, options: LearnOptions) -> String {
    // Steps 1 and 2.
    let mut places: BTreeMap<(String, Place), Running> = BTreeMap::new();
    for entry in &inventory.assets {
        let asset = &entry.asset;
        let place = match asset.asset_type {
            AssetType::Vm => Place::Vms,
            AssetType::Workload => Place::Namespace(asset.namespace.clone()),
        };
        let running = places.entry((asset.cluster.clone(), place)).or_default();
        running.assets += 1;
        for image in &entry.images {
            let reference = &image.reference;
            running.repositories.insert((
                reference.registry().to_owned(),
                reference.repository().to_owned(),
            ));
            running.images.insert(reference.to_string());
        }
    }
    // Step 3.
    let learned: Vec<((&str, &Place), Patterns, &Running)> = places
        .iter()
        .map(|((cluster, place), running)| {
            let found = patterns(&running.repositories, options.min_group);
            ((cluster.as_str(), place), found, running)
        })
        .collect();
    // Step 4: places in (cluster, place) order, so each group's namespaces come sorted.
    let mut groups: BTreeMap<(&str, bool, Vec<&str>), Group<'_>> = BTreeMap::new();
    for ((cluster, place), found, running) in &learned {
        let vms = **place == Place::Vms;
        let names: Vec<&str> = found.keys().map(String::as_str).collect();
        let group = groups
            .entry((cluster, vms, names))
            .or_insert_with(|| Group {
                cluster,
                vms,
                namespaces: Vec::new(),
                patterns: BTreeMap::new(),
                images: 0,
                assets: 0,
            });
        if let Place::Namespace(namespace) = place {
            group.namespaces.push(namespace);
        }
        for (pattern, matched) in found {
            group
                .patterns
                .entry(pattern)
                .or_default()
                .extend(matched.iter().map(String::as_str));
        }
        group.images += running.images.len();
        group.assets += running.assets;
    }
    // Steps 5 and 6: ordered by (cluster, NS); VMs are named `vm`.
    let mut ordered: Vec<Group<'_>> = groups
        .into_values()
        .filter(|g| !g.patterns.is_empty())
        .collect();
    ordered.sort_by(|a, b| (a.cluster, a.least()).cmp(&(b.cluster, b.least())));
    let mut text = String::from(
        "# Learned by `bona learn` from what runs: one `issue` policy per group of namespaces\n\
         # that run the same images. Review it, then tighten: add signatures, pin digests, or\n\
         # make the policies `prevent`.\n",
    );
    for group in &ordered {
        text.push('\n');
        group.write(&mut text);
    }
    // The formatter's layout; what it cannot read (it always can) is printed as written.
    format(&text).unwrap_or(text)
}

impl Group<'_> {
    /// NS of the policy's name: the least namespace, or `vm`.
    fn least(&self) -> &str {
        if self.vms {
            "vm"
        } else {
            self.namespaces.first().copied().unwrap_or_default()
        }
    }

    fn write(&self, out: &mut String) {
        let cluster = if self.cluster.is_empty() {
            "\"\""
        } else {
            self.cluster
        };
        // `escape` writes a string literal, quotes included.
        let quoted = |s: &str| escape(s);
        let where_ = if self.vms {
            format!("the VMs of cluster {cluster}")
        } else {
            let noun = if self.namespaces.len() == 1 {
                "namespace"
            } else {
                "namespaces"
            };
            format!("{noun} {} of cluster {cluster}", self.namespaces.join(", "))
        };
        let _ = writeln!(
            out,
            "# {} image(s) in {} asset(s) of {where_}.",
            self.images, self.assets
        );
        for (pattern, matched) in &self.patterns {
            if matched.len() > 1 || matched.first() != Some(pattern) {
                let matched: Vec<&str> = matched.iter().copied().collect();
                let _ = writeln!(out, "# {pattern} matched {}.", matched.join(", "));
            }
        }
        let name = format!("learned {}/{}", self.cluster, self.least());
        let _ = writeln!(out, "policy {} {{", quoted(&name));
        let _ = writeln!(out, "  action issue");
        if self.vms {
            let _ = writeln!(
                out,
                "  scope asset == vm and cluster == {}",
                quoted(self.cluster)
            );
        } else {
            let namespaces: Vec<String> = self.namespaces.iter().map(|n| quoted(n)).collect();
            let _ = writeln!(
                out,
                "  scope asset == workload and cluster == {} and namespace in [{}]",
                quoted(self.cluster),
                namespaces.join(", ")
            );
        }
        let patterns: Vec<String> = self.patterns.keys().map(|p| quoted(p)).collect();

        let _ = writeln!(out, "  trust image matches [{}]", patterns.join(", "));
        let _ = writeln!(out, "}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        list.iter()
            .map(|(r, p)| ((*r).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn repositories_of_one_parent_make_a_glob() {
        let found = patterns(
            &repos(&[
                ("registry.company.com", "payments/api"),
                ("registry.company.com", "payments/worker"),
                ("registry.company.com", "tools"),
                ("docker.io", "library/redis"),
                ("ghcr.io", "a"),
                ("ghcr.io", "b"),
            ]),
            2,
        );
        let keys: Vec<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "docker.io/library/redis",
                "ghcr.io/*",
                "registry.company.com/payments/*",
                "registry.company.com/tools"
            ]
        );
        assert_eq!(
            found["registry.company.com/payments/*"],
            [
                "registry.company.com/payments/api",
                "registry.company.com/payments/worker"
            ]
        );
        // A larger --min-group keeps them exact.
        assert_eq!(
            patterns(&repos(&[("ghcr.io", "a"), ("ghcr.io", "b")]), 3).len(),
            2
        );
    }
}
