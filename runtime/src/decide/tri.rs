//! Three-valued truth for trust expressions (docs/language.md#three-valued-logic).
//!
//! An image's facts are often incomplete: a digest-only reference has no tag until the facts name
//! one, a scan may be missing. Bona never guesses, so a comparison on a missing fact is neither
//! true nor false but *unknown*, and the connectives follow Kleene's strong three-valued logic:
//!
//! - `false and x` is false and `true or x` is true whatever `x` is, because one known operand
//!   already decides the result;
//! - otherwise an unknown operand makes the result unknown;
//! - `not unknown` is unknown.
//!
//! Kleene logic keeps commutativity, associativity, de Morgan's laws and absorption, but *not* the
//! excluded middle: `x or not x` is unknown when `x` is. That is deliberate — an image whose tag is
//! unknown must not be trusted by a rule `tag == "1.0" or tag != "1.0"` — so no simplification in
//! the compiler or runtime may rewrite such an expression to `true`. The property tests in this
//! module pin these laws down.
//!
//! The representation is a plain `Copy` enum rather than `Option<bool>` so that match arms read as
//! docs/language.md#three-valued-logic does and the evaluator's hot path stays branch-only.

/// A truth value of Kleene's strong three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tri {
    /// Known to be false.
    False,
    /// Known to be true.
    True,
    /// Not decidable from the facts at hand.
    Unknown,
}

impl Tri {
    /// Kleene conjunction: false if either side is false, true if both are true, else unknown.
    #[must_use]
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }

    /// Kleene disjunction: true if either side is true, false if both are false, else unknown.
    #[must_use]
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    /// Negation; `not unknown` stays unknown.
    #[must_use]
    #[expect(
        clippy::should_implement_trait,
        reason = "`Tri::not` reads like the language's `not`; `std::ops::Not` is implemented too"
    )]
    pub fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// True only for [`Tri::True`]: unknown is not enough to act on.
    #[must_use]
    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    /// True only for [`Tri::False`].
    #[must_use]
    pub fn is_false(self) -> bool {
        self == Tri::False
    }

    /// True only for [`Tri::Unknown`].
    #[must_use]
    pub fn is_unknown(self) -> bool {
        self == Tri::Unknown
    }

    /// The `or` of every value; [`Tri::False`] for an empty iterator. Stops at the first true.
    pub fn any<I: IntoIterator<Item = Tri>>(values: I) -> Tri {
        let mut acc = Tri::False;
        for value in values {
            acc = acc.or(value);
            if acc == Tri::True {
                break;
            }
        }
        acc
    }

    /// The `and` of every value; [`Tri::True`] for an empty iterator. Stops at the first false.
    pub fn all<I: IntoIterator<Item = Tri>>(values: I) -> Tri {
        let mut acc = Tri::True;
        for value in values {
            acc = acc.and(value);
            if acc == Tri::False {
                break;
            }
        }
        acc
    }
}

impl From<bool> for Tri {
    fn from(value: bool) -> Tri {
        if value { Tri::True } else { Tri::False }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        Tri::not(self)
    }
}

impl std::fmt::Display for Tri {
    /// Prints `true`, `false` or `unknown`, the words the language uses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tri::False => "false",
            Tri::True => "true",
            Tri::Unknown => "unknown",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Tri;
    use proptest::prelude::*;

    const ALL: [Tri; 3] = [Tri::False, Tri::True, Tri::Unknown];

    fn tri() -> impl Strategy<Value = Tri> {
        prop_oneof![Just(Tri::False), Just(Tri::True), Just(Tri::Unknown)]
    }

    #[test]
    fn truth_tables() {
        use Tri::{False as F, True as T, Unknown as U};
        let and = [[F, F, F], [F, T, U], [F, U, U]];
        let or = [[F, T, U], [T, T, T], [U, T, U]];
        for (i, a) in ALL.iter().enumerate() {
            for (j, b) in ALL.iter().enumerate() {
                assert_eq!(a.and(*b), and[i][j], "{a} and {b}");
                assert_eq!(a.or(*b), or[i][j], "{a} or {b}");
            }
        }
        assert_eq!(T.not(), F);
        assert_eq!(F.not(), T);
        assert_eq!(U.not(), U);
        assert_eq!(!U, U);
    }

    #[test]
    fn from_bool_and_predicates() {
        assert_eq!(Tri::from(true), Tri::True);
        assert_eq!(Tri::from(false), Tri::False);
        assert!(Tri::True.is_true());
        assert!(!Tri::Unknown.is_true());
        assert!(Tri::False.is_false());
        assert!(Tri::Unknown.is_unknown());
        assert_eq!(Tri::Unknown.to_string(), "unknown");
    }

    #[test]
    fn folds() {
        assert_eq!(Tri::any([]), Tri::False);
        assert_eq!(Tri::all([]), Tri::True);
        assert_eq!(Tri::any([Tri::False, Tri::Unknown]), Tri::Unknown);
        assert_eq!(Tri::any([Tri::Unknown, Tri::True]), Tri::True);
        assert_eq!(Tri::all([Tri::True, Tri::Unknown]), Tri::Unknown);
        assert_eq!(Tri::all([Tri::Unknown, Tri::False]), Tri::False);
    }

    #[test]
    fn excluded_middle_does_not_hold() {
        let x = Tri::Unknown;
        assert_eq!(x.or(x.not()), Tri::Unknown);
        assert_eq!(x.and(x.not()), Tri::Unknown);
    }

    proptest! {
        #[test]
        fn de_morgan(a in tri(), b in tri()) {
            prop_assert_eq!(a.and(b).not(), a.not().or(b.not()));
            prop_assert_eq!(a.or(b).not(), a.not().and(b.not()));
        }

        #[test]
        fn absorption(a in tri(), b in tri()) {
            prop_assert_eq!(a.or(a.and(b)), a);
            prop_assert_eq!(a.and(a.or(b)), a);
        }

        #[test]
        fn commutative_and_associative(a in tri(), b in tri(), c in tri()) {
            prop_assert_eq!(a.and(b), b.and(a));
            prop_assert_eq!(a.or(b), b.or(a));
            prop_assert_eq!(a.and(b).and(c), a.and(b.and(c)));
            prop_assert_eq!(a.or(b).or(c), a.or(b.or(c)));
        }

        #[test]
        fn distributive_and_involutive(a in tri(), b in tri(), c in tri()) {
            prop_assert_eq!(a.and(b.or(c)), a.and(b).or(a.and(c)));
            prop_assert_eq!(a.or(b.and(c)), a.or(b).and(a.or(c)));
            prop_assert_eq!(a.not().not(), a);
        }

        #[test]
        fn excluded_middle_only_for_known(a in tri()) {
            let middle = a.or(a.not());
            prop_assert_eq!(middle == Tri::Unknown, a == Tri::Unknown);
        }

        #[test]
        fn folds_agree_with_pairwise(values in proptest::collection::vec(tri(), 0..6)) {
            let any = values.iter().fold(Tri::False, |acc, v| acc.or(*v));
            let all = values.iter().fold(Tri::True, |acc, v| acc.and(*v));
            prop_assert_eq!(Tri::any(values.iter().copied()), any);
            prop_assert_eq!(Tri::all(values.iter().copied()), all);
        }

        #[test]
        fn agrees_with_bool_on_known(a in any::<bool>(), b in any::<bool>()) {
            prop_assert_eq!(Tri::from(a).and(Tri::from(b)), Tri::from(a && b));
            prop_assert_eq!(Tri::from(a).or(Tri::from(b)), Tri::from(a || b));
            prop_assert_eq!(Tri::from(a).not(), Tri::from(!a));
        }
    }
}
