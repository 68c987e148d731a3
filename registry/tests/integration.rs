//! `bona-registry` against registries of the tests' own on 127.0.0.1: one test binary, one
//! module per area.

mod referrers;
