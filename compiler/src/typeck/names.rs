//! Item names: reserved words, duplicates (pointing at the first definition), cycles among
//! constants and scopes, and names that nothing uses.

use crate::attributes::is_reserved;
use crate::codes::Code;
use crate::db::{Db, SourceFile};
use crate::diagnostics::Sink;
use crate::lower::DefKind;
use crate::resolve::SymbolTable;
use crate::syntax::ast::Item;
use crate::syntax::parse;
use crate::syntax::span::Span;

/// Whether some use of an undefined name looks like a misspelling of `name`: then `name` is
/// unused only because of that typo, which E0203 reports with the fix already.
pub(super) fn misspelt_use(table: &SymbolTable, name: &str) -> bool {
    table
        .used
        .iter()
        .any(|u| table.def(u).is_none() && crate::suggest::closest(u, [name]) == Some(name))
}

pub(super) fn cycle(sink: &mut Sink, what: &str, path: &[String], span: Span) {
    let name = path.first().map_or("", String::as_str);
    sink.push(
        sink.diag(
            Code::E0206,
            span,
            format!(
                "{what} `{name}` is defined in terms of itself: {}",
                path.join(" → ")
            ),
            "part of a cycle",
        )
        .help("break the cycle by writing one of the values out"),
    );
}

/// Reserved names and duplicates of a `let`/`key`/`trustroot`/`scope`. Returns whether to
/// check further.
pub(super) fn check_name(
    db: &dyn Db,
    sink: &mut Sink,
    table: &SymbolTable,
    file: SourceFile,
    index: usize,
    name: &str,
    span: Span,
) -> bool {
    if is_reserved(name) {
        sink.push(
            sink.diag(
                Code::E0205,
                span,
                format!("`{name}` is reserved: it names an attribute or an asset type"),
                "reserved name",
            )
            .help(format!("choose another name, e.g. `my_{name}`")),
        );
        return false;
    }
    let Some(defs) = table.defs.get(name) else {
        return true;
    };
    let sites: Vec<(SourceFile, usize)> = defs.iter().map(|d| (d.file, d.item)).collect();
    duplicate(
        db,
        sink,
        Some(&sites),
        file,
        index,
        span,
        Code::E0201,
        &format!("`{name}`"),
    );
    // Only the first definition is checked further; the others are errors already.
    let first = sites.first() == Some(&(file, index));
    let kind = table.def(name).map(|d| d.kind);
    // A `keyless` block without `root` uses the set's only trust root; with several, it is an
    // error already (E0409), and calling each root unused would only echo it.
    let implicitly_used = kind == Some(DefKind::TrustRoot) && table.implicit_root;
    if first
        && !table.used.contains(name)
        && !implicitly_used
        && !sink.has_syntax_errors
        && !misspelt_use(table, name)
    {
        let kind = match kind {
            Some(DefKind::Let) => "constant",
            Some(DefKind::Key) => "key",
            Some(DefKind::TrustRoot) => "trust root",
            _ => "scope",
        };
        sink.push(
            sink.diag(
                Code::W0004,
                span,
                format!("`{name}` is never used"),
                if kind == "trust root" {
                    "this trust root is not named by any key".to_owned()
                } else {
                    format!("this {kind} is not referred to by any policy, scope or constant")
                },
            )
            .help(if kind == "trust root" {
                "remove it, or name it in a key's `root` or `tlog`"
            } else {
                "remove it, or use it in a `scope` or `trust` expression"
            }),
        );
    }
    first
}

/// Reports a duplicate definition at every site after the first, pointing at the first.
#[allow(clippy::too_many_arguments)]
pub(super) fn duplicate(
    db: &dyn Db,
    sink: &mut Sink,
    sites: Option<&Vec<(SourceFile, usize)>>,
    file: SourceFile,
    index: usize,
    span: Span,
    code: Code,
    what: &str,
) {
    let Some(sites) = sites else { return };
    let Some(&(first_file, first_item)) = sites.first() else {
        return;
    };
    if sites.len() < 2 || (first_file, first_item) == (file, index) {
        return;
    }
    let first_span = parse(db, first_file)
        .file
        .items
        .get(first_item)
        .map(Item::name_span)
        .unwrap_or_default();
    sink.push(
        sink.diag(
            code,
            span,
            format!("{what} is defined twice"),
            "defined again here",
        )
        .related(first_file, first_span, "first defined here")
        .help("rename one of them or remove the duplicate"),
    );
}
