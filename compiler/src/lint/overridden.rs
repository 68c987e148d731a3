pub fn check(
    _m: &super::Model,
    _set: &bona_runtime::ir::PolicySet,
    _out: &mut Vec<crate::diagnostics::Diagnostic>,
) {
}
