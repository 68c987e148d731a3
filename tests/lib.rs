//! Shared helpers of the corpus harnesses.
