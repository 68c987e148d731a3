//! The asset a decision is about: a Kubernetes workload or a virtual machine.
//!
//! Every input format ends in an [`Asset`]; the rules read its fields through scopes, and the
//! issue texts name it through [`Asset::describe`] (docs/output.md#bona-eval). Absent fields take the
//! defaults of docs/decisions.md#assets: `type` is `workload`, strings are `""`, labels are empty, and
//! `null` counts as absent.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::{ObjectFields, null_as_default};

/// What kind of thing an asset is.
///
/// Serialised as `workload` / `vm`, and read from exactly those strings (a derived enum would also
/// take serde's `{"vm": null}` form, which no one writes on purpose).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetType {
    /// A Kubernetes workload (the default when `type` is absent).
    #[default]
    Workload,
    /// A virtual machine.
    Vm,
}

impl AssetType {
    /// The name used in documents and in the language: `workload` or `vm`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Workload => "workload",
            AssetType::Vm => "vm",
        }
    }
}

impl<'de> Deserialize<'de> for AssetType {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(de)?;
        match &*text {
            "workload" => Ok(AssetType::Workload),
            "vm" => Ok(AssetType::Vm),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["workload", "vm"],
            )),
        }
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The asset of an admission decision or of an audited inventory entry.
///
/// In Bona's own documents this is read strictly: any field other than `type`, `cloud`,
/// `cluster`, `namespace`, `kind`, `name` and `labels` is an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// `type`: workload (default) or vm.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub asset_type: AssetType,
    /// `cloud`, `""` when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cloud: String,
    /// `cluster`, `""` when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cluster: String,
    /// `namespace`, `""` when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
    /// `kind` (`Deployment`, `Pod`, …), `""` when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: String,
    /// `name`, `""` when absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `labels`, empty when absent; keys are unique and kept in code-point order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
}

impl ObjectFields for Asset {
    const EXPECTING: &'static str = "an asset object";
}

impl Asset {
    /// How issue texts name the asset (docs/output.md#bona-eval): `Kubernetes workload NAMESPACE/NAME`
    /// or `Virtual machine NAME`.
    ///
    /// The template is applied literally: absent fields are `""` (docs/output.md), so a workload
    /// without a namespace is `Kubernetes workload /NAME`.
    pub fn describe(&self) -> String {
        self.described().to_string()
    }

    /// [`Asset::describe`], written where it is used.
    pub fn described(&self) -> impl std::fmt::Display + '_ {
        std::fmt::from_fn(move |f| match self.asset_type {
            AssetType::Workload => {
                write!(f, "Kubernetes workload {}/{}", self.namespace, self.name)
            }
            AssetType::Vm => write!(f, "Virtual machine {}", self.name),
        })
    }
}
