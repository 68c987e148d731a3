//! Progress of long runs on a terminal (docs/commands.md): a bar on stderr that appears only once the
//! run has taken half a second, so short runs print nothing extra, and never when stderr is
//! not a terminal (a pipe, a CI log).

use std::cell::Cell;
use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar that stays hidden for [`Delayed::DELAY`].
pub struct Delayed {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: Cell<bool>,
}

impl Delayed {
    /// How long a run goes before its bar appears.
    pub const DELAY: Duration = Duration::from_millis(500);

    /// A bar of `len` steps (a spinner when `None`) drawn with the indicatif `template`;
    /// nothing unless stderr is a terminal.
    pub fn new(len: Option<u64>, template: &str) -> Self {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Delayed {
            bar,
            started: Instant::now(),
            shown: Cell::new(false),
        }
    }

    /// The bar to update, once it is shown (after the delay, on a terminal).
    pub fn visible(&self) -> Option<&ProgressBar> {
        let bar = self.bar.as_ref()?;
        if !self.shown.get() && self.started.elapsed() >= Self::DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown.set(true);
        }
        self.shown.get().then_some(bar)
    }

    /// The bar, shown or not, to keep its position current.
    pub fn bar(&self) -> Option<&ProgressBar> {
        self.bar.as_ref()
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Removes the bar before anything else is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
