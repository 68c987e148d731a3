//! The identity attributes a `keyless` block may constrain (docs/language.md#keys-and-signers),
//! with their docs: the one table the type checker, hover, completion and `docs/language.md` read.
//!
//! The extension names come from `bona_sigstore::cert::FULCIO_EXTENSIONS`, the list the
//! verifier reads certificates with, so a name accepted here is always one the runtime can
//! find. `issuer_v1` is left out: `issuer` already falls back to it.

use bona_runtime::ir::IdentityAttr;
use bona_sigstore::cert::FULCIO_EXTENSIONS;

/// The arc under which Fulcio registers its extensions.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";

/// One attribute of a keyless signer's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAttrInfo {
    pub name: &'static str,
    /// One line for hover and completion.
    pub doc: String,
}

/// Every identity attribute, `issuer` and `subject` first, then the extensions in OID order.
pub fn identity_attrs() -> Vec<IdentityAttrInfo> {
    let mut out = vec![
        IdentityAttrInfo {
            name: "issuer",
            doc: format!(
                "the OIDC issuer that vouched for the signer: Fulcio extension {FULCIO_ARC}.8, else the legacy {FULCIO_ARC}.1"
            ),
        },
        IdentityAttrInfo {
            name: "subject",
            doc: format!(
                "the certificate's subject alternative name: a URI, an e-mail address or Fulcio's otherName {FULCIO_ARC}.7"
            ),
        },
    ];
    for &(arc, name, _) in FULCIO_EXTENSIONS {
        if name == "issuer" || name == "issuer_v1" {
            continue;
        }
        let legacy = if arc < 7 { " (legacy)" } else { "" };
        out.push(IdentityAttrInfo {
            name,
            doc: format!("Fulcio certificate extension {FULCIO_ARC}.{arc}{legacy}"),
        });
    }
    out
}

/// The attribute named `name` in a `keyless` block.
pub fn identity_attr(name: &str) -> Option<IdentityAttr> {
    match name {
        "issuer" => Some(IdentityAttr::Issuer),
        "subject" => Some(IdentityAttr::Subject),
        "issuer_v1" => None,
        _ => FULCIO_EXTENSIONS
            .iter()
            .any(|&(_, n, _)| n == name)
            .then(|| IdentityAttr::Extension(name.to_owned())),
    }
}

/// The doc line of an attribute, for hover.
pub fn identity_doc(name: &str) -> Option<String> {
    identity_attrs()
        .into_iter()
        .find(|a| a.name == name)
        .map(|a| a.doc)
}

/// The identity attribute table as Markdown, for `docs/language.md` (a test keeps the two
/// equal).
pub fn markdown_table() -> String {
    let mut s = String::from("| attribute | what it reads |\n|---|---|\n");
    for a in identity_attrs() {
        s.push_str(&format!("| `{}` | {} |\n", a.name, a.doc));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_extension_is_an_attribute() {
        for name in [
            "build_signer_uri",
            "runner_environment",
            "source_repository_visibility_at_signing",
            "github_workflow_ref",
        ] {
            assert_eq!(
                identity_attr(name),
                Some(IdentityAttr::Extension(name.into()))
            );
        }
        assert_eq!(identity_attr("issuer"), Some(IdentityAttr::Issuer));
        assert_eq!(identity_attr("subject"), Some(IdentityAttr::Subject));
        assert_eq!(identity_attr("issuer_v1"), None);
        assert_eq!(identity_attr("repository"), None);
        assert!(identity_doc("issuer").unwrap().contains("57264.1.8"));
        assert!(
            identity_doc("source_repository_uri")
                .unwrap()
                .ends_with("57264.1.12")
        );
    }
}
