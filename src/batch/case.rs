//! One case of a batch: analysed as `analyze` would, its report model redacted and made visible
//! as the run requires, and its JSON and HTML reports written into the output's `cases/`.

use super::discover::{CaseEntry, case_inputs};
use super::key::sanitise;
use super::options::{BatchOptions, lock};
use super::results::{CASES, ReportPaths, report_files};
use crate::artifacts::ArtifactMap;
use crate::limits::Limits;
use crate::matcher::MatcherSet;
use crate::pipeline;
use crate::report::outfile::write_atomic;
use crate::report::{self, Format, Report, ReportError};

/// Final state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
        }
    }
}

/// What became of a case, for its line of `results.jsonl`.
pub(super) struct Finished {
    pub(super) status: Status,
    pub(super) error: Option<String>,
    pub(super) inputs: Vec<String>,
    pub(super) reports: Option<ReportPaths>,
    pub(super) report: Option<serde_json::Value>,
}

/// Analyses one case and writes its reports.
pub(super) fn analyse_case(
    opts: &BatchOptions<'_>,
    limits: &Limits,
    map: &ArtifactMap,
    matcher: &MatcherSet,
    entry: &CaseEntry,
) -> Finished {
    if let Some(why) = &entry.refused {
        return Finished {
            status: Status::Error,
            error: Some(format!("{}: {why}", entry.path.display())),
            inputs: vec![opts.shown(&entry.path.display().to_string())],
            reports: None,
            report: None,
        };
    }
    let inputs = case_inputs(&entry.path);
    let shown: Vec<String> = inputs
        .iter()
        .map(|i| opts.shown(&i.display().to_string()))
        .collect();
    let fail = |error: String| Finished {
        status: Status::Error,
        error: Some(error),
        inputs: shown.clone(),
        reports: None,
        report: None,
    };
    let analysis = pipeline::analyze_with(&inputs, map, opts.rules, matcher, limits);
    if analysis.nothing_read() {
        let reason = if analysis.case.errors.is_empty() {
            format!("nothing usable could be read from {}", shown.join(", "))
        } else {
            analysis.case.errors.join("; ")
        };
        return fail(reason);
    }
    let report = Report::new(
        &analysis.case,
        &analysis.findings,
        &analysis.not_evaluated,
        &analysis.passed,
        opts.rules,
    );
    drop(analysis);
    let model = match opts.redactor {
        Some(r) => report.redacted(&mut lock(r)),
        None => serde_json::to_value(&report).map_err(ReportError::from),
    };
    let mut model = match model {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    // The model is kept in results.jsonl too, and read back for the summary and the index.
    report::escape::visible_value(&mut model);
    let json = match report::render(&model, Format::Json, None) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    let html = match report::render_named_in(
        &model,
        "report",
        Format::Html,
        opts.templates.as_deref(),
        opts.lang,
    ) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    let stem = sanitise(&opts.shown(&entry.name));
    let paths = ReportPaths {
        json: format!("{CASES}/{stem}.json"),
        html: format!("{CASES}/{stem}.html"),
    };
    let [json_path, html_path] = report_files(&opts.out, &paths);
    if let Err(e) = write_atomic(&json_path, json.as_bytes())
        .and_then(|()| write_atomic(&html_path, html.as_bytes()))
    {
        return fail(format!("cannot write the reports: {e}"));
    }
    Finished {
        status: Status::Ok,
        error: None,
        inputs: shown,
        reports: Some(paths),
        report: Some(model),
    }
}
