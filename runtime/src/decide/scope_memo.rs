//! S(A) memoised by what the scopes read of an asset.
//!
//! Scopes read a handful of asset attributes (say `namespace` and `cluster`), and a fleet has
//! far fewer distinct combinations of those than assets: every replica set of a namespace
//! shares one S(A). The memo keys S(A) by the asset's *projection* onto the attributes some
//! scope reads, so two assets with one projection get one S(A) by construction. The table uses
//! it only when some scope escapes the index (a negation, a glob with no literal prefix), where
//! an S(A) still costs a walk over those scopes.
//!
//! Bounded: when full, it starts again empty (a fleet's projections are few; a stream of
//! distinct ones, such as scopes on `name`, gains nothing from a memo whatever its policy). It
//! is shared by the threads that hold the engine and never waits: when another thread holds
//! it, S(A) is computed without it.

use std::fmt::Write as _;
use std::sync::Mutex;

use crate::decide::fxhash::FxMap;
use crate::eval::asset_attr;
use crate::input::{Asset, AssetType};
use crate::ir::{AssetAtom, AssetAttr, Expr};
use crate::table::AssetScope;

/// See the module docs.
#[derive(Debug)]
pub(crate) struct ScopeMemo {
    /// Whether some scope reads the asset type.
    reads_type: bool,
    /// The attributes some scope reads, in first-read order.
    reads: Vec<AssetAttr>,
    capacity: usize,
    entries: Mutex<FxMap<String, AssetScope>>,
}

impl ScopeMemo {
    /// A memo for `scopes` keeping at most `capacity` projections.
    pub(crate) fn new(scopes: &[Option<Expr<AssetAtom>>], capacity: usize) -> ScopeMemo {
        let mut memo = ScopeMemo {
            reads_type: false,
            reads: Vec::new(),
            capacity,
            entries: Mutex::new(FxMap::default()),
        };
        scopes.iter().flatten().for_each(|e| memo.note_reads(e));
        memo
    }

    fn note_reads(&mut self, expr: &Expr<AssetAtom>) {
        match expr {
            Expr::Const(_) => {}
            Expr::Not(e) => self.note_reads(e),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| self.note_reads(e)),
            Expr::Atom(AssetAtom::Type { .. }) => self.reads_type = true,
            Expr::Atom(
                AssetAtom::Str { attr, .. }
                | AssetAtom::In { attr, .. }
                | AssetAtom::Matches { attr, .. },
            ) => {
                if !self.reads.contains(attr) {
                    self.reads.push(attr.clone());
                }
            }
        }
    }

    /// The asset's projection onto what the scopes read, unambiguously encoded (each value
    /// length-prefixed; a missing label is its own mark).
    fn key(&self, asset: &Asset) -> String {
        let mut key = String::new();
        if self.reads_type {
            key.push(match asset.asset_type {
                AssetType::Workload => 'w',
                AssetType::Vm => 'v',
            });
        }
        for attr in &self.reads {
            match asset_attr(asset, attr) {
                Some(v) => {
                    let _ = write!(key, "{}:{v}", v.len());
                }
                None => key.push('-'),
            }
        }
        key
    }

    /// The memoised S(A) of `asset`'s projection, else `compute()` (remembered).
    pub(crate) fn get_or(&self, asset: &Asset, compute: impl FnOnce() -> AssetScope) -> AssetScope {
        let key = self.key(asset);
        if let Ok(entries) = self.entries.try_lock()
            && let Some(found) = entries.get(&key)
        {
            return found.clone();
        }
        let scope = compute();
        if let Ok(mut entries) = self.entries.try_lock() {
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(key, scope.clone());
        }
        scope
    }
}
