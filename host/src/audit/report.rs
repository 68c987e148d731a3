//! An audit's output, held back until the whole inventory has been read: rendered issues stay
//! in memory up to [`SPOOL_MEMORY`], then go to an unnamed temporary file. What [`Report::print`]
//! writes is byte for byte what rendering a whole [`Audit`] at once gives
//! (`serde_json::to_string_pretty`, or [`audit_text`]); the tests compare them.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

use bona_runtime::output::{Audit, PostureIssue};
use serde::Serialize;

use super::html;
use super::policyreport::ReportApi;
use super::yaml;

/// Rendered output kept in memory before it moves to a temporary file.
const SPOOL_MEMORY: usize = 4 << 20;

/// How an audit is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"issues": [...]}`, pretty-printed.
    Json,
    /// One paragraph per issue and a count ([`audit_text`]).
    Text,
    /// One self-contained page (docs/reports.md#html).
    Html,
    /// A `v1` `List` of one report per asset (docs/reports.md), as JSON or YAML.
    Reports {
        /// PolicyReport or openreports.
        api: ReportApi,
        /// YAML rather than JSON.
        yaml: bool,
    },
}

/// An audit as text: each issue, then the count.
pub fn audit_text(audit: &Audit) -> String {
    let mut s = String::new();
    if audit.issues.is_empty() {
        s.push_str("no posture issues\n");
        return s;
    }
    for issue in &audit.issues {
        posture_issue_text(issue, &mut s);
    }
    let _ = writeln!(s, "\n{} posture issue(s)", audit.issues.len());
    s
}

/// One posture issue as text: its title, policy and reason, then its description.
pub fn posture_issue_text(issue: &PostureIssue, s: &mut String) {
    let _ = writeln!(
        s,
        "[posture] {} — policy \"{}\" ({})",
        issue.title,
        issue.policy,
        issue.reason.as_str()
    );
    let _ = writeln!(s, "  {}", issue.description);
}

/// The issues of a batch, rendered in the report's format.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    bytes: Vec<u8>,
    issues: usize,
}

impl Rendered {
    /// Appends `issue`; `scratch` is a buffer kept between calls.
    pub(super) fn push(
        &mut self,
        format: Format,
        issue: &PostureIssue,
        scratch: &mut Vec<u8>,
    ) -> io::Result<()> {
        match format {
            Format::Json => json_item(issue, scratch, &mut self.bytes)?,
            Format::Text => {
                let mut text = String::new();
                posture_issue_text(issue, &mut text);
                self.bytes.extend_from_slice(text.as_bytes());
            }
            // Reports and pages are rendered per asset ([`Rendered::push_report`],
            // [`Rendered::push_rows`]).
            Format::Reports { .. } | Format::Html => return Ok(()),
        }
        self.issues += 1;
        Ok(())
    }

    /// Appends the page's rows of one asset's images.
    pub(super) fn push_rows(
        &mut self,
        asset: &bona_runtime::input::Asset,
        images: &[bona_runtime::output::ImageAudit],
    ) -> io::Result<()> {
        self.issues += html::rows(asset, images, &mut self.bytes)?;
        Ok(())
    }

    /// Appends one asset's report as an item of the `List`.
    pub(super) fn push_report(
        &mut self,
        yaml: bool,
        report: &impl Serialize,
        scratch: &mut Vec<u8>,
    ) -> io::Result<()> {
        if yaml {
            self.bytes
                .extend_from_slice(yaml::list_item(report)?.as_bytes());
        } else {
            json_item(report, scratch, &mut self.bytes)?;
        }
        self.issues += 1;
        Ok(())
    }
}

/// Appends `,` and `item` as the pretty printer writes an element of `issues` in
/// `{"issues": [...]}` (or of `items` in a `List`): on its own lines, indented by four spaces. A pretty-printed JSON value
/// has no raw newline inside its strings (they are escaped), so indenting after each newline is
/// exact.
fn json_item(item: &impl Serialize, scratch: &mut Vec<u8>, out: &mut Vec<u8>) -> io::Result<()> {
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, item)?;
    out.extend_from_slice(b",\n    ");
    for &byte in scratch.iter() {
        out.push(byte);
        if byte == b'\n' {
            out.extend_from_slice(b"    ");
        }
    }
    Ok(())
}

/// The rendered issues, in memory up to [`SPOOL_MEMORY`], then in an unnamed temporary file;
/// printed only once the whole input has been read.
#[derive(Debug)]
pub struct Report {
    format: Format,
    issues: usize,
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
}

impl Report {
    pub fn new(format: Format) -> Self {
        Report {
            format,
            issues: 0,
            memory: Vec::new(),
            file: None,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The number of issues so far.
    pub fn issues(&self) -> usize {
        self.issues
    }

    pub(super) fn append(&mut self, rendered: &Rendered) -> io::Result<()> {
        let mut bytes = rendered.bytes.as_slice();
        if self.issues == 0
            && matches!(
                self.format,
                Format::Json | Format::Html | Format::Reports { yaml: false, .. }
            )
        {
            // The first issue follows `[` without a comma.
            bytes = bytes.strip_prefix(b",").unwrap_or(bytes);
        }
        self.issues += rendered.issues;
        if self.file.is_none() && self.memory.len() + bytes.len() > SPOOL_MEMORY {
            // Without a temporary directory, memory it is: a complete result matters more.
            if let Ok(file) = tempfile::tempfile() {
                let mut file = BufWriter::with_capacity(1 << 16, file);
                file.write_all(&self.memory)?;
                self.memory = Vec::new();
                self.file = Some(file);
            }
        }
        match &mut self.file {
            Some(file) => file.write_all(bytes),
            None => {
                self.memory.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Writes the whole output: exactly what rendering the complete audit at once prints.
    ///
    /// # Errors
    /// Writing to `out`, or reading back the temporary file, failed.
    pub fn print(self, out: &mut dyn Write) -> io::Result<()> {
        let (head, tail) = match self.format {
            Format::Json if self.issues == 0 => ("{\n  \"issues\": []\n}\n".to_owned(), None),
            Format::Json => (
                "{\n  \"issues\": [".to_owned(),
                Some("\n  ]\n}\n".to_owned()),
            ),
            Format::Text if self.issues == 0 => ("no posture issues\n".to_owned(), None),
            Format::Text => (
                String::new(),
                Some(format!("\n{} posture issue(s)\n", self.issues)),
            ),
            Format::Html => (html::HEAD.to_owned(), Some(html::TAIL.to_owned())),
            Format::Reports { yaml: true, .. } if self.issues == 0 => {
                ("apiVersion: v1\nkind: List\nitems: []\n".to_owned(), None)
            }
            Format::Reports { yaml: true, .. } => {
                ("apiVersion: v1\nkind: List\nitems:\n".to_owned(), None)
            }
            Format::Reports { yaml: false, .. } if self.issues == 0 => (
                "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n"
                    .to_owned(),
                None,
            ),
            Format::Reports { yaml: false, .. } => (
                "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [".to_owned(),
                Some("\n  ]\n}\n".to_owned()),
            ),
        };
        out.write_all(head.as_bytes())?;
        match self.file {
            Some(file) => {
                let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.rewind()?;
                io::copy(&mut file, out)?;
            }
            None => out.write_all(&self.memory)?,
        }
        if let Some(tail) = tail {
            out.write_all(tail.as_bytes())?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use bona_runtime::input::AssetType;
    use bona_runtime::output::{AssetRef, PostureReason};

    use super::*;

    fn issue(n: usize, reason: PostureReason) -> PostureIssue {
        let asset = AssetRef {
            asset_type: AssetType::Workload,
            cloud: "aws".into(),
            cluster: "prod \"eu\"\n1".into(),
            namespace: "payments".into(),
            kind: "Deployment".into(),
            name: format!("api-{n}"),
        };
        PostureIssue::new(
            asset,
            &format!("Kubernetes workload payments/api-{n}"),
            "docker.io/library/nginx:1.27".into(),
            format!("p\u{e9}{n}"),
            reason,
        )
    }

    /// Renders `issues` through the report, in batches of `per_batch`.
    fn through_report(format: Format, issues: &[PostureIssue], per_batch: usize) -> String {
        let mut report = Report::new(format);
        let mut scratch = Vec::new();
        for chunk in issues.chunks(per_batch.max(1)) {
            let mut rendered = Rendered::default();
            for issue in chunk {
                rendered.push(format, issue, &mut scratch).unwrap();
            }
            report.append(&rendered).unwrap();
        }
        let mut out = Vec::new();
        report.print(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_report_prints_what_the_whole_audit_prints() {
        for n in [0, 1, 2, 7] {
            let issues: Vec<PostureIssue> = (0..n)
                .map(|i| {
                    issue(
                        i,
                        [PostureReason::Untrusted, PostureReason::MissingInformation][i % 2],
                    )
                })
                .collect();
            let audit = Audit {
                issues: issues.clone(),
            };
            let json = serde_json::to_string_pretty(&audit).unwrap() + "\n";
            let text = audit_text(&audit);
            for per_batch in [1, 3] {
                assert_eq!(through_report(Format::Json, &issues, per_batch), json);
                assert_eq!(through_report(Format::Text, &issues, per_batch), text);
            }
        }
    }

    #[test]
    fn a_large_report_spills_to_a_file_and_comes_back_whole() {
        let issues: Vec<PostureIssue> = (0..12_000)
            .map(|i| issue(i, PostureReason::Untrusted))
            .collect();
        let audit = Audit {
            issues: issues.clone(),
        };
        let json = serde_json::to_string_pretty(&audit).unwrap() + "\n";
        assert!(json.len() > SPOOL_MEMORY, "the test must spill");
        assert_eq!(through_report(Format::Json, &issues, 500), json);
    }
}
