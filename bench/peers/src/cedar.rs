//! Cedar (`cedar-policy` 4.x): the workload as Cedar policies over `Asset` principals and
//! `Image` resources, evaluated schema-less by the [`Authorizer`].
//!
//! Cedar answers one question per request (allow iff some `permit` holds and no `forbid` does),
//! so Bona's decision takes three kinds of request, each in its own policy set:
//! - `Action::"trust"` (trust set, one `permit` per Bona policy: its scope and the `||` of its
//!   rules): some applicable policy trusts the image;
//! - `Action::"applies"` (scope set, one `permit` per policy: its scope): S(A) is not empty;
//! - `Action::"prevents"` (scope set, one `permit` per `prevent` policy): S(A) holds a
//!   `prevent` policy.
//!
//! "Trusted if no policy applies" (SPEC §4.2 rule 1) is an existential over the whole set, which
//! one Cedar policy cannot say, hence the separate `applies` request. Keeping the scope requests
//! in their own set spares the per-image `trust` request from skipping those policies.
//!
//! Globs: Bona's `repository matches "teamT/**"` is `resource.repository like "teamT/*"`
//! (Cedar's `*` crosses `/`, and a repository never ends in `/`, so both mean "starts with
//! `teamT/`"); `tag matches "v*"` is `like "v*"` (tags hold no `/`); `cluster matches "prod-*"`
//! is `like "prod-*"`, equal on every cluster name of the workload (none holds a `/`).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression,
};

use crate::peer::{Peer, Verdict};
use crate::workload::{self, APPROVED_BASES, Image, KEY_NAME, Policy, ScopeKind, Shape};

/// The two policy sets' source texts.
pub struct Source {
    pub trust: String,
    pub scope: String,
}

/// The Cedar condition of a policy's scope, over `principal` (the asset).
fn scope_condition(p: &Policy) -> String {
    let t = p.team_name();
    match p.scope {
        ScopeKind::ProdCluster => {
            format!("principal.namespace == \"{t}\" && principal.cluster like \"prod-*\"")
        }
        ScopeKind::Workload => {
            format!("principal.namespace == \"{t}\" && principal.assetType == \"workload\"")
        }
        // A missing label compares unequal to everything (SPEC §4.5): `has` first.
        ScopeKind::TeamLabel => {
            format!("principal.labels has \"team\" && principal.labels[\"team\"] == \"{t}\"")
        }
        ScopeKind::Namespaces => {
            format!("[\"{t}\", \"{t}-staging\"].contains(principal.namespace)")
        }
    }
}

/// The Cedar condition of each of a policy's trust rules, over `resource` (the image).
fn rule_conditions(p: &Policy) -> Vec<String> {
    let t = p.team_name();
    let reg = p.registry();
    match p.shape {
        Shape::Registry => vec![format!(
            "resource.registry == \"{reg}\" && resource.repository like \"{t}/*\""
        )],
        Shape::Signed => vec![format!(
            "[\"{reg}\", \"{}\"].contains(resource.registry) && resource.pinned && resource.signedBy.contains(\"{KEY_NAME}\")",
            p.mirror()
        )],
        Shape::Tags => vec![format!(
            "resource.registry == \"{reg}\" && resource.repository like \"{t}/*\" && resource.tag like \"v*\" && resource.tag != \"latest\" && resource.scanned && resource.vulnsCritical == 0"
        )],
        Shape::Base => vec![
            format!(
                "[\"{}\", \"{}\"].contains(resource.base) && resource.signedBy.contains(\"{KEY_NAME}\")",
                APPROVED_BASES[0], APPROVED_BASES[1]
            ),
            format!(
                "resource.registry == \"{reg}\" && [\"{}\"].contains(resource.digest)",
                p.allowed_digest()
            ),
        ],
    }
}

/// Both policy sets as Cedar source.
pub fn source(policies: &[Policy]) -> Source {
    let mut trust = String::new();
    let mut scope = String::new();
    for p in policies {
        let name = p.name();
        let cond = scope_condition(p);
        let rules: Vec<String> = rule_conditions(p)
            .into_iter()
            .map(|r| format!("({r})"))
            .collect();
        // INVARIANT: writing to a String cannot fail.
        let _ = write!(
            trust,
            "@id(\"{name}\")\npermit (principal, action == Action::\"trust\", resource)\nwhen {{ {cond} }}\nwhen {{ {} }};\n\n",
            rules.join(" || ")
        );
        let _ = write!(
            scope,
            "@id(\"{name}\")\npermit (principal, action == Action::\"applies\", resource)\nwhen {{ {cond} }};\n\n"
        );
        if p.prevent {
            let _ = write!(
                scope,
                "@id(\"{name} (prevent)\")\npermit (principal, action == Action::\"prevents\", resource)\nwhen {{ {cond} }};\n\n"
            );
        }
    }
    Source { trust, scope }
}

/// The two loaded policy sets.
pub struct Sets {
    pub trust: PolicySet,
    pub scope: PolicySet,
}

/// Parses both sets (schema-less: there is no validation step to time).
pub fn load(source: &Source) -> Sets {
    let parse = |text: &str| PolicySet::from_str(text).unwrap_or_else(|e| panic!("cedar: {e}"));
    Sets {
        trust: parse(&source.trust),
        scope: parse(&source.scope),
    }
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    let type_name = EntityTypeName::from_str(type_name).unwrap_or_else(|e| panic!("{e}"));
    EntityUid::from_type_name_and_id(type_name, EntityId::new(id))
}

fn string(s: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(s.to_owned())
}

fn asset_uid(a: &workload::Asset) -> EntityUid {
    uid(
        "Asset",
        &format!("{}/{}/{}", a.asset_type, a.namespace, a.name),
    )
}

fn asset_entity(a: &workload::Asset) -> Entity {
    let labels = RestrictedExpression::new_record(
        a.team_label
            .iter()
            .map(|t| ("team".to_owned(), string(t)))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let attrs = HashMap::from([
        ("assetType".to_owned(), string(a.asset_type)),
        ("cluster".to_owned(), string(&a.cluster)),
        ("namespace".to_owned(), string(&a.namespace)),
        ("name".to_owned(), string(&a.name)),
        ("labels".to_owned(), labels),
    ]);
    Entity::new(asset_uid(a), attrs, HashSet::new()).unwrap_or_else(|e| panic!("{e}"))
}

/// The image entity; `slot` keeps two images of one admission apart even when equal.
fn image_entity(image: &Image, slot: usize) -> Entity {
    let critical = i64::try_from(image.critical).unwrap_or(i64::MAX);
    let attrs = HashMap::from([
        ("registry".to_owned(), string(&image.registry)),
        ("repository".to_owned(), string(&image.repository)),
        ("tag".to_owned(), string(&image.tag)),
        ("digest".to_owned(), string(&image.digest)),
        (
            "pinned".to_owned(),
            RestrictedExpression::new_bool(image.pinned),
        ),
        ("base".to_owned(), string(&image.base)),
        (
            "scanned".to_owned(),
            RestrictedExpression::new_bool(image.scanned),
        ),
        (
            "vulnsCritical".to_owned(),
            RestrictedExpression::new_long(critical),
        ),
        (
            "signedBy".to_owned(),
            RestrictedExpression::new_set(image.signed_by().into_iter().map(string)),
        ),
    ]);
    let id = format!("{slot}:{}", image.reference());
    Entity::new(uid("Image", &id), attrs, HashSet::new()).unwrap_or_else(|e| panic!("{e}"))
}

fn request(principal: &EntityUid, action: &str, resource: &EntityUid) -> Request {
    Request::new(
        principal.clone(),
        uid("Action", action),
        resource.clone(),
        Context::empty(),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn entities(list: Vec<Entity>) -> Entities {
    Entities::from_entities(list, None).unwrap_or_else(|e| panic!("{e}"))
}

/// An asset: the entity store holding it and the two scope requests.
pub struct CedarAsset {
    entities: Entities,
    applies: Request,
    prevents: Request,
}

/// S(A) as two booleans.
pub struct CedarScope {
    any: bool,
    prevent: bool,
}

/// An image to judge: the `trust` request and the entity store holding asset and image.
pub struct CedarImage {
    entities: Entities,
    trust: Request,
}

/// An admission: one entity store, the scope requests and one `trust` request per image.
pub struct CedarAdmission {
    entities: Entities,
    applies: Request,
    prevents: Request,
    trust: Vec<Request>,
}

/// Cedar behind the [`Peer`] interface.
pub struct Cedar {
    sets: Sets,
    authorizer: Authorizer,
}

impl Cedar {
    pub fn new(sets: Sets) -> Cedar {
        Cedar {
            sets,
            authorizer: Authorizer::new(),
        }
    }

    fn allows(&self, set: &PolicySet, request: &Request, entities: &Entities) -> bool {
        self.authorizer
            .is_authorized(request, set, entities)
            .decision()
            == Decision::Allow
    }
}

impl Peer for Cedar {
    type Asset = CedarAsset;
    type Scope = CedarScope;
    type Image = CedarImage;
    type Admission = CedarAdmission;

    fn asset(&self, a: &workload::Asset) -> CedarAsset {
        let principal = asset_uid(a);
        CedarAsset {
            entities: entities(vec![asset_entity(a)]),
            // The scope requests are about the asset alone: it is its own resource.
            applies: request(&principal, "applies", &principal),
            prevents: request(&principal, "prevents", &principal),
        }
    }

    fn image(&self, a: &workload::Asset, image: &Image) -> CedarImage {
        let resource = image_entity(image, 0);
        let trust = request(&asset_uid(a), "trust", &resource.uid());
        CedarImage {
            entities: entities(vec![asset_entity(a), resource]),
            trust,
        }
    }

    fn admission(&self, a: &workload::Asset, images: &[&Image]) -> CedarAdmission {
        let principal = asset_uid(a);
        let resources: Vec<Entity> = images
            .iter()
            .enumerate()
            .map(|(slot, image)| image_entity(image, slot))
            .collect();
        let trust = resources
            .iter()
            .map(|r| request(&principal, "trust", &r.uid()))
            .collect();
        let mut all = vec![asset_entity(a)];
        all.extend(resources);
        CedarAdmission {
            entities: entities(all),
            applies: request(&principal, "applies", &principal),
            prevents: request(&principal, "prevents", &principal),
            trust,
        }
    }

    fn scope(&mut self, asset: &CedarAsset) -> CedarScope {
        CedarScope {
            any: self.allows(&self.sets.scope, &asset.applies, &asset.entities),
            prevent: self.allows(&self.sets.scope, &asset.prevents, &asset.entities),
        }
    }

    fn image_verdict(&mut self, scope: &CedarScope, image: &CedarImage) -> Verdict {
        let trusted = !scope.any || self.allows(&self.sets.trust, &image.trust, &image.entities);
        Verdict {
            trusted,
            prevented: !trusted && scope.prevent,
        }
    }

    fn prevents(&mut self, adm: &CedarAdmission) -> bool {
        if !self.allows(&self.sets.scope, &adm.applies, &adm.entities) {
            return false;
        }
        // Ask whether a prevent policy applies only once an image is untrusted: the cheapest
        // order for Cedar, which has no per-asset state to reuse.
        let untrusted = adm
            .trust
            .iter()
            .any(|r| !self.allows(&self.sets.trust, r, &adm.entities));
        untrusted && self.allows(&self.sets.scope, &adm.prevents, &adm.entities)
    }
}
