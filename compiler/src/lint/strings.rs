//! Exact answers to "is there a string that …" for the lint's string constraints.
//!
//! Every string comparison the language has is membership in a set of patterns: `== "v"` and
//! `in [..]` are sets of literal strings, `matches [..]` a set of globs (docs/images.md#patterns: `*` any run
//! without `/`, `**` any run, `?` one character other than `/`, every other character itself).
//! A conjunction of such memberships and non-memberships is satisfiable iff the intersection of
//! the positive languages minus the negative ones is non-empty. Globs are tiny automata, so this
//! is decided exactly by a breadth-first search over the product of their subset constructions,
//! on an alphabet of the characters the patterns name plus `/` plus one character none of them
//! names (all such characters behave alike). The search is bounded: past [`MAX_STATES`] it gives
//! up (`None`), and the lint then reports nothing.

use std::collections::{HashMap, VecDeque};

use bona_runtime::glob::Glob;

/// Product states explored before giving up.
pub const MAX_STATES: usize = 4096;

/// One element of a pattern, as [`Glob`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    One,
    Star,
    StarStar,
}

/// A pattern: a literal string (`==`, `in`) or a glob (`matches`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pat {
    Lit(String),
    Glob(String),
}

impl Pat {
    /// A glob that matches exactly its text is a literal.
    pub fn of_glob(g: &Glob) -> Pat {
        if g.is_literal() {
            Pat::Lit(g.as_str().to_owned())
        } else {
            Pat::Glob(g.as_str().to_owned())
        }
    }

    fn tokens(&self) -> Vec<Token> {
        match self {
            Pat::Lit(s) => s.chars().map(Token::Char).collect(),
            Pat::Glob(s) => {
                // The same reading as `Glob::parse`: a run of one `*` is `*`, of two `**`
                // (three or more is a compile error, so never seen here).
                let mut out = Vec::new();
                let mut stars = 0usize;
                let flush = |out: &mut Vec<Token>, stars: usize| match stars {
                    0 => {}
                    1 => out.push(Token::Star),
                    _ => out.push(Token::StarStar),
                };
                for c in s.chars() {
                    if c == '*' {
                        stars += 1;
                        continue;
                    }
                    flush(&mut out, stars);
                    stars = 0;
                    out.push(if c == '?' { Token::One } else { Token::Char(c) });
                }
                flush(&mut out, stars);
                out
            }
        }
    }

    /// Whether the pattern matches `s` (the runtime's meaning).
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Pat::Lit(l) => l == s,
            Pat::Glob(g) => Glob::parse(g).is_ok_and(|g| g.matches(s)),
        }
    }

    /// The finite set of strings it matches, when it is a literal.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Pat::Lit(s) => Some(s),
            Pat::Glob(_) => None,
        }
    }
}

/// A union of patterns as one automaton: states are (pattern, position) pairs.
struct Union {
    pats: Vec<Vec<Token>>,
    /// Offset of each pattern's first state.
    base: Vec<usize>,
    states: usize,
}

impl Union {
    fn new(pats: &[Pat]) -> Union {
        let pats: Vec<Vec<Token>> = pats.iter().map(Pat::tokens).collect();
        let mut base = Vec::with_capacity(pats.len());
        let mut states = 0;
        for p in &pats {
            base.push(states);
            states += p.len() + 1;
        }
        Union { pats, base, states }
    }

    fn closure(&self, set: &mut [bool]) {
        for (p, toks) in self.pats.iter().enumerate() {
            for (i, t) in toks.iter().enumerate() {
                if set[self.base[p] + i] && matches!(t, Token::Star | Token::StarStar) {
                    set[self.base[p] + i + 1] = true;
                }
            }
        }
    }

    fn start(&self) -> Vec<bool> {
        let mut set = vec![false; self.states];
        for &b in &self.base {
            set[b] = true;
        }
        self.closure(&mut set);
        set
    }

    fn step(&self, set: &[bool], c: char) -> Vec<bool> {
        let mut next = vec![false; self.states];
        for (p, toks) in self.pats.iter().enumerate() {
            for (i, t) in toks.iter().enumerate() {
                let here = self.base[p] + i;
                if !set[here] {
                    continue;
                }
                match *t {
                    Token::Char(d) if d == c => next[here + 1] = true,
                    Token::One if c != '/' => next[here + 1] = true,
                    Token::Star if c != '/' => next[here] = true,
                    Token::StarStar => next[here] = true,
                    _ => {}
                }
            }
        }
        self.closure(&mut next);
        next
    }

    fn accepts(&self, set: &[bool]) -> bool {
        self.pats
            .iter()
            .enumerate()
            .any(|(p, toks)| set[self.base[p] + toks.len()])
    }

    fn is_empty(set: &[bool]) -> bool {
        !set.iter().any(|&b| b)
    }
}

/// A string in every `pos` language and in no `neg` language: `Some(Some(w))` with a witness,
/// `Some(None)` when there is none, `None` when the search gave up.
pub fn witness(pos: &[&[Pat]], neg: &[&[Pat]]) -> Option<Option<String>> {
    let pos: Vec<Union> = pos.iter().map(|p| Union::new(p)).collect();
    let neg: Vec<Union> = neg.iter().map(|p| Union::new(p)).collect();
    let mut alphabet: Vec<char> = pos
        .iter()
        .chain(&neg)
        .flat_map(|u| u.pats.iter().flatten())
        .filter_map(|t| match t {
            Token::Char(c) => Some(*c),
            _ => None,
        })
        .collect();
    alphabet.push('/');
    // One character no pattern names stands for all of them; prefer a plain letter so that
    // witnesses read well (and make valid references where they can).
    let fresh = "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .chain(('\u{e000}'..='\u{f8ff}').take(64))
        .find(|c| !alphabet.contains(c))?;
    alphabet.push(fresh);
    alphabet.sort_unstable();
    alphabet.dedup();

    type State = Vec<Vec<bool>>;
    let start: State = pos.iter().chain(&neg).map(Union::start).collect();
    let accepting = |s: &State| {
        pos.iter().zip(s).all(|(u, set)| u.accepts(set))
            && neg
                .iter()
                .zip(&s[pos.len()..])
                .all(|(u, set)| !u.accepts(set))
    };
    let dead = |s: &State| s[..pos.len()].iter().any(|set| Union::is_empty(set));
    if dead(&start) {
        return Some(None);
    }
    let mut seen: HashMap<State, Option<(usize, char)>> = HashMap::new();
    let mut order: Vec<State> = Vec::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone(), None);
    order.push(start.clone());
    queue.push_back(0usize);
    while let Some(i) = queue.pop_front() {
        let state = order[i].clone();
        if accepting(&state) {
            let mut w = Vec::new();
            let mut cur = &order[i];
            while let Some(Some((parent, c))) = seen.get(cur) {
                w.push(*c);
                cur = &order[*parent];
            }
            w.reverse();
            return Some(Some(w.into_iter().collect()));
        }
        for &c in &alphabet {
            let next: State = pos
                .iter()
                .chain(&neg)
                .zip(&state)
                .map(|(u, set)| u.step(set, c))
                .collect();
            if dead(&next) || seen.contains_key(&next) {
                continue;
            }
            if order.len() >= MAX_STATES {
                return None;
            }
            seen.insert(next.clone(), Some((i, c)));
            order.push(next);
            queue.push_back(order.len() - 1);
        }
    }
    Some(None)
}

/// Whether some string is in every `pos` language and in no `neg` one (`None`: gave up).
pub fn satisfiable(pos: &[&[Pat]], neg: &[&[Pat]]) -> Option<bool> {
    // The common case is cheap: a literal among the positives bounds the candidates.
    if let Some(lits) = pos.iter().find(|p| p.iter().all(|x| x.literal().is_some())) {
        return Some(lits.iter().filter_map(Pat::literal).any(|s| {
            pos.iter().all(|p| p.iter().any(|x| x.matches(s)))
                && neg.iter().all(|n| !n.iter().any(|x| x.matches(s)))
        }));
    }
    witness(pos, neg).map(|w| w.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Pat {
        Pat::Glob(s.into())
    }
    fn l(s: &str) -> Pat {
        Pat::Lit(s.into())
    }

    #[test]
    fn literals() {
        assert_eq!(satisfiable(&[&[l("a")], &[l("b")]], &[]), Some(false));
        assert_eq!(
            satisfiable(&[&[l("a"), l("b")], &[l("b")]], &[]),
            Some(true)
        );
        assert_eq!(satisfiable(&[&[l("a")]], &[&[l("a")]]), Some(false));
    }

    #[test]
    fn globs() {
        assert_eq!(satisfiable(&[&[g("1.*")], &[g("2.*")]], &[]), Some(false));
        assert_eq!(satisfiable(&[&[g("a*")], &[g("*b")]], &[]), Some(true));
        assert_eq!(satisfiable(&[&[g("a/*")], &[g("*")]], &[]), Some(false));
        assert_eq!(satisfiable(&[&[g("a/**")], &[g("**/b")]], &[]), Some(true));
        assert_eq!(satisfiable(&[&[g("a*")]], &[&[g("a*")]]), Some(false));
        assert_eq!(satisfiable(&[&[g("a*")]], &[&[g("a?*")]]), Some(true));
        assert_eq!(satisfiable(&[&[g("a?")]], &[&[g("a*")]]), Some(false));
        assert_eq!(satisfiable(&[], &[&[g("**")]]), Some(false));
        assert_eq!(satisfiable(&[], &[&[g("*")]]), Some(true));
        assert_eq!(satisfiable(&[&[l("a*")]], &[&[g("a?")]]), Some(false));
    }

    #[test]
    fn witnesses_are_real() {
        let pos: [&[Pat]; 2] = [&[g("v*")], &[g("*.?")]];
        let neg: [&[Pat]; 1] = [&[l("v1.2")]];
        let w = witness(&pos, &neg).flatten().expect("a witness");
        assert!(pos.iter().all(|p| p.iter().any(|x| x.matches(&w))));
        assert!(!neg[0][0].matches(&w));
    }
}
