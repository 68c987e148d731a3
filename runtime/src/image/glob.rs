//! Glob patterns for `matches` (docs/images.md#patterns and 4.5).
//!
//! The language is deliberately tiny: `*` is any run of characters without `/`, `**` any run
//! including `/` (possibly empty, and nothing more), `?` one character other than `/`; every other
//! character, `[` and `\` included, stands for itself. There are no character classes and no
//! escapes, so a pattern is easy to read in a policy and `literal_prefix` is a plain slice of the
//! source, which the runtime's index uses to skip patterns without running them. `***` is an error
//! rather than a synonym because a reader cannot tell which of `*` and `**` it was meant to be.
//!
//! `**` is not a path-segment operator as in gitignore: it is just a wildcard that may cross `/`.
//! So `team/**` needs the `/` after `team` and does not match `team`, and `team/**/app` needs two
//! slashes and does not match `team/app`.
//!
//! Matching runs on the hot path of every decision, so it must not allocate and must not
//! backtrack exponentially on patterns like `*a*a*a*a*b`. It is the classic two-pointer wildcard
//! matcher extended to two kinds of star: it remembers the most recent `*` and the most recent
//! `**`, and on a mismatch first lets the `*` absorb one more character. When that `*` would have
//! to absorb a `/` it cannot, and no choice for an earlier `*` after the same `**` can help either
//! (those stars cannot cross that `/` any more than this one), so the matcher falls back to letting
//! the `**` absorb one more character and matches the rest again. A later `**` makes every earlier
//! star irrelevant, since it can absorb whatever they would have. The work is bounded by
//! O(|subject|² · |pattern|) in the worst case and is linear for the usual prefix-and-star
//! patterns; a property test checks it against a naive backtracking matcher.

use std::fmt;

/// One element of a compiled glob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Token {
    /// A character that matches itself.
    Char(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run of characters without `/`.
    Star,
    /// `**`: any run of characters.
    StarStar,
}

impl Token {
    fn is_star(self) -> bool {
        matches!(self, Token::Star | Token::StarStar)
    }
}

/// A parsed glob pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Glob {
    source: String,
    tokens: Vec<Token>,
    literal: bool,
}

/// Why a string is not a glob.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GlobError {
    /// The 1-based character position of the offending character.
    pub position: usize,
    /// One lower-case sentence saying what is wrong.
    pub message: String,
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid pattern at character {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for GlobError {}

impl Glob {
    /// Parses a glob.
    ///
    /// # Errors
    /// A run of three or more `*` is a [`GlobError`] at the third one.
    pub fn parse(s: &str) -> Result<Glob, GlobError> {
        let mut tokens = Vec::with_capacity(s.len());
        let mut stars = 0usize;
        for (position, c) in s.chars().enumerate() {
            if c == '*' {
                stars += 1;
                if stars == 3 {
                    return Err(GlobError {
                        position: position + 1,
                        message: "`***` is not a pattern: use `*` for a run without `/` or `**` \
                                  for any run"
                            .to_owned(),
                    });
                }
                continue;
            }
            push_stars(&mut tokens, stars);
            stars = 0;
            tokens.push(if c == '?' { Token::One } else { Token::Char(c) });
        }
        push_stars(&mut tokens, stars);
        let literal = tokens.iter().all(|t| matches!(t, Token::Char(_)));
        Ok(Glob {
            source: s.to_owned(),
            tokens,
            literal,
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern has no wildcard, so that it matches exactly its own text.
    #[must_use]
    pub fn is_literal(&self) -> bool {
        self.literal
    }

    /// The characters before the first wildcard: every string the glob matches starts with them.
    #[must_use]
    pub fn literal_prefix(&self) -> &str {
        let end = self.source.find(['*', '?']).unwrap_or(self.source.len());
        self.source.get(..end).unwrap_or_default()
    }

    /// Whether the glob matches the whole of `s`.
    #[must_use]
    pub fn matches(&self, s: &str) -> bool {
        if self.literal {
            return self.source == s;
        }
        matches_tokens(&self.tokens, s, false)
    }

    /// Like [`Glob::matches`], but ASCII letters match regardless of case (for host names).
    #[must_use]
    pub fn matches_ignore_ascii_case(&self, s: &str) -> bool {
        if self.literal {
            return self.source.eq_ignore_ascii_case(s);
        }
        matches_tokens(&self.tokens, s, true)
    }
}

/// Appends the token for a run of `stars` stars (at most two: `parse` rejects three).
fn push_stars(tokens: &mut Vec<Token>, stars: usize) {
    match stars {
        0 => {}
        1 => tokens.push(Token::Star),
        _ => tokens.push(Token::StarStar),
    }
}

/// The character of `s` starting at byte `i`, if any.
fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|rest| rest.chars().next())
}

/// The two-pointer matcher described in the module documentation.
fn matches_tokens(tokens: &[Token], s: &str, ignore_case: bool) -> bool {
    let same = |a: char, b: char| a == b || (ignore_case && a.eq_ignore_ascii_case(&b));
    // `p` indexes tokens, `i` is a byte offset into `s` (always at a character boundary).
    let mut p = 0;
    let mut i = 0;
    // The most recent `*` and `**`: the token after it, and where its next extension starts.
    let mut star: Option<(usize, usize)> = None;
    let mut star_star: Option<(usize, usize)> = None;
    while let Some(c) = char_at(s, i) {
        match tokens.get(p) {
            Some(Token::Char(t)) if same(*t, c) => {
                p += 1;
                i += c.len_utf8();
                continue;
            }
            Some(Token::One) if c != '/' => {
                p += 1;
                i += c.len_utf8();
                continue;
            }
            Some(Token::Star) => {
                star = Some((p + 1, i));
                p += 1;
                continue;
            }
            Some(Token::StarStar) => {
                star_star = Some((p + 1, i));
                star = None;
                p += 1;
                continue;
            }
            _ => {}
        }
        // Mismatch: let the most recent `*` absorb one more character, if it may.
        if let Some((after, from)) = star
            && let Some(absorbed) = char_at(s, from).filter(|c| *c != '/')
        {
            let next = from + absorbed.len_utf8();
            star = Some((after, next));
            p = after;
            i = next;
            continue;
        }
        // Otherwise the most recent `**` absorbs one more character and the rest starts again.
        if let Some((after, from)) = star_star
            && let Some(absorbed) = char_at(s, from)
        {
            let next = from + absorbed.len_utf8();
            star_star = Some((after, next));
            star = None;
            p = after;
            i = next;
            continue;
        }
        return false;
    }
    // The subject is used up: what is left of the pattern must be able to match nothing.
    tokens
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|t| t.is_star()))
}

impl fmt::Display for Glob {
    /// Prints the pattern as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl serde::Serialize for Glob {
    /// Serialises as the pattern's source text.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Glob {
    /// Deserialises from a string, parsing it again.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Glob, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Glob::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn glob(s: &str) -> Glob {
        Glob::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// The obvious exponential matcher, as the reference for the fast one.
    fn naive(tokens: &[Token], s: &[char]) -> bool {
        let Some((first, rest)) = tokens.split_first() else {
            return s.is_empty();
        };
        match first {
            Token::Char(c) => s.first() == Some(c) && naive(rest, &s[1..]),
            Token::One => s.first().is_some_and(|c| *c != '/') && naive(rest, &s[1..]),
            Token::Star => (0..=s.len())
                .take_while(|k| *k == 0 || s[k - 1] != '/')
                .any(|k| naive(rest, &s[k..])),
            Token::StarStar => (0..=s.len()).any(|k| naive(rest, &s[k..])),
        }
    }

    #[test]
    fn star_stays_within_a_component() {
        let g = glob("team/*");
        assert!(g.matches("team/app"));
        assert!(g.matches("team/"));
        assert!(!g.matches("team/a/b"));
        assert!(!g.matches("team"));
        assert!(glob("*").matches(""));
        assert!(!glob("*").matches("a/b"));
        assert!(glob("a*b*c").matches("aXbYc"));
        assert!(!glob("a*b*c").matches("aXb/Yc"));
    }

    #[test]
    fn star_star_crosses_slashes_but_adds_nothing() {
        let g = glob("team/**");
        assert!(g.matches("team/app"));
        assert!(g.matches("team/a/b/c"));
        assert!(g.matches("team/"));
        assert!(!g.matches("team"));
        assert!(!g.matches("teams/app"));
        let g = glob("team/**/app");
        assert!(g.matches("team/x/app"));
        assert!(g.matches("team/x/y/app"));
        assert!(g.matches("team//app"));
        assert!(!g.matches("team/app"));
        assert!(glob("**").matches(""));
        assert!(glob("**").matches("a/b/c"));
        assert!(glob("**/*.com").matches("a/b/x.com"));
        assert!(!glob("**/*.com").matches("a/b/x/y"));
        assert!(glob("a**b").matches("a/x/b"));
    }

    #[test]
    fn question_mark_is_one_character_but_not_a_slash() {
        let g = glob("v?.?");
        assert!(g.matches("v1.2"));
        assert!(g.matches("vé.2"));
        assert!(!g.matches("v1.23"));
        assert!(!g.matches("v/.2"));
        assert!(!glob("?").matches(""));
    }

    #[test]
    fn no_character_classes_or_escapes() {
        let g = glob("a[0-9]");
        assert!(g.is_literal());
        assert!(g.matches("a[0-9]"));
        assert!(!g.matches("a1"));
        assert!(glob("a\\*").matches("a\\bc"));
    }

    #[test]
    fn triple_star_is_an_error() {
        let e = Glob::parse("ab***").err();
        assert_eq!(e.as_ref().map(|e| e.position), Some(5));
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some(
                "invalid pattern at character 5: `***` is not a pattern: use `*` for a run \
                 without `/` or `**` for any run"
            )
        );
        assert_eq!(Glob::parse("é****").err().map(|e| e.position), Some(4));
        assert!(Glob::parse("**/**").is_ok());
    }

    #[test]
    fn accessors() {
        let g = glob("registry.company.com/team-*/app?");
        assert_eq!(g.as_str(), "registry.company.com/team-*/app?");
        assert_eq!(g.to_string(), g.as_str());
        assert_eq!(g.literal_prefix(), "registry.company.com/team-");
        assert!(!g.is_literal());
        let l = glob("alpine");
        assert!(l.is_literal());
        assert_eq!(l.literal_prefix(), "alpine");
        assert_eq!(glob("?x").literal_prefix(), "");
        assert_eq!(glob("").literal_prefix(), "");
        assert!(glob("").matches(""));
        assert!(!glob("").matches("a"));
    }

    #[test]
    fn case_folding_is_opt_in() {
        assert!(!glob("*.Company.com").matches("x.company.com"));
        assert!(glob("*.Company.com").matches_ignore_ascii_case("x.COMPANY.com"));
        assert!(glob("REG").matches_ignore_ascii_case("reg"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let subject = "a".repeat(5_000);
        assert!(!glob("*a*a*a*a*a*a*a*a*b").matches(&subject));
        assert!(!glob("**a**a**a**a**a**a**b").matches(&subject));
        let slashy = "a/".repeat(300);
        assert!(!glob("**a*a*a*a*b").matches(&slashy));
        assert!(!glob("**a*").matches(&slashy));
        assert!(glob("**a*/").matches(&slashy));
    }

    #[test]
    fn serde_uses_the_source_text() {
        let g = glob("team/**");
        assert_eq!(
            serde_json::to_string(&g).ok().as_deref(),
            Some("\"team/**\"")
        );
        let back: Result<Glob, _> = serde_json::from_str("\"team/**\"");
        assert_eq!(back.ok(), Some(g));
        let bad: Result<Glob, _> = serde_json::from_str("\"a***\"");
        assert!(bad.is_err_and(|e| e.to_string().contains("`***`")));
    }

    fn small_pattern() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a"),
                Just("b"),
                Just("/"),
                Just("é"),
                Just("?"),
                Just("*"),
                Just("**")
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
        .prop_filter("no `***`", |p| !p.contains("***"))
    }

    fn small_subject() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('a'), Just('b'), Just('/'), Just('é')],
            0..10,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn agrees_with_naive_matcher(pattern in small_pattern(), subject in small_subject()) {
            let g = glob(&pattern);
            let chars: Vec<char> = subject.chars().collect();
            prop_assert_eq!(g.matches(&subject), naive(&g.tokens, &chars), "{} vs {}", pattern, subject);
        }
    }

    proptest! {
        #[test]
        fn never_panics(pattern in ".*", subject in ".*") {
            if let Ok(g) = Glob::parse(&pattern) {
                let _ = g.matches(&subject);
                let _ = g.matches_ignore_ascii_case(&subject);
                prop_assert!(subject.starts_with(g.literal_prefix()) || !g.matches(&subject));
            }
        }

        #[test]
        fn literal_globs_match_exactly_themselves(text in "[^*?]*", other in ".*") {
            let g = glob(&text);
            prop_assert!(g.is_literal());
            prop_assert!(g.matches(&text));
            prop_assert_eq!(g.matches(&other), other == text);
            prop_assert_eq!(g.literal_prefix(), text.as_str());
        }

        #[test]
        fn prefix_is_respected(pattern in small_pattern(), subject in small_subject()) {
            let g = glob(&pattern);
            if g.matches(&subject) {
                prop_assert!(subject.starts_with(g.literal_prefix()));
            }
        }

        #[test]
        fn triple_star_is_always_rejected(a in "[a-z/]*", b in "[a-z/*]*") {
            let pattern = format!("{a}***{b}");
            prop_assert!(Glob::parse(&pattern).is_err());
        }
    }
}
