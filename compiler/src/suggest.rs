//! "Did you mean" suggestions: the closest known name by edit distance, when it is close
//! enough to be a plausible typo.

/// The candidate closest to `name`, if within a third of its length (at least 1, at most 3 edits).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_only() {
        let names = ["registry", "repository", "tag"];
        assert_eq!(closest("regsitry", names), Some("registry"));
        assert_eq!(closest("tga", names), Some("tag"));
        assert_eq!(closest("cluster", names), None);
    }
}
