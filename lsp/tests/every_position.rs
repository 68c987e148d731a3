//! No panic on any position: every position-taking feature is asked about every character of
//! every `.trust` file in the repository (the diagnostics corpus is full of broken syntax), and
//! about positions past the end of each line and of the file; every document-wide feature is
//! asked about each file. Answers are not checked here (the protocol cases do that), only that
//! there is one.

use std::path::{Path, PathBuf};

use bona_lsp::session::{Session, Snapshot};
use bona_lsp::{
    code_actions, code_lens, completion, formatting, hover, navigation, rename, semantic_tokens,
    symbols,
};
use tower_lsp_server::ls_types::*;

fn trust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            trust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "trust") {
            out.push(path);
        }
    }
}

fn ask_everything(snap: &Snapshot, uri: &Uri, position: Position) {
    let doc = TextDocumentIdentifier::new(uri.clone());
    let at = TextDocumentPositionParams::new(doc.clone(), position);
    let _ = hover::hover(
        snap,
        &HoverParams {
            text_document_position_params: at.clone(),
            work_done_progress_params: WorkDoneProgressParams::default(),
        },
    );
    let _ = completion::completion(
        snap,
        &CompletionParams {
            text_document_position: at.clone(),
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
            context: None,
        },
    );
    let _ = navigation::definition(
        snap,
        &GotoDefinitionParams {
            text_document_position_params: at.clone(),
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        },
    );
    let _ = navigation::references(
        snap,
        &ReferenceParams {
            text_document_position: at.clone(),
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
            context: ReferenceContext {
                include_declaration: true,
            },
        },
    );
    let _ = rename::prepare(snap, &at);
    let _ = rename::rename(
        snap,
        &RenameParams {
            text_document_position: at,
            new_name: "renamed".into(),
            work_done_progress_params: WorkDoneProgressParams::default(),
        },
        true,
    );
    let _ = code_actions::actions(
        snap,
        &CodeActionParams {
            text_document: doc,
            range: Range::new(position, Position::new(position.line.saturating_add(1), 0)),
            context: CodeActionContext::default(),
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        },
    );
}

/// The most positions asked about in one file: files up to this many characters are asked
/// about at every one.
const MAX_POSITIONS: usize = 1_500;

/// Positions × file length, the work asked of one long file.
const WORK: usize = 20_000_000;

/// The fewest positions asked about in one file, however long.
const MIN_POSITIONS: usize = 200;

#[test]
fn every_feature_answers_at_every_position_of_every_file() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["tests", "examples", "lsp/tests/cases"] {
        trust_files(&repo.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "found only {} files", files.len());
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some(uri) = Uri::from_file_path(&path) else {
            continue;
        };
        let mut session = Session::default();
        session.open(uri.clone(), 1, text.clone());
        let snap = session.snapshot();
        let _ = semantic_tokens::tokens(&snap, &uri, None);
        let _ = symbols::document(
            &snap,
            &DocumentSymbolParams {
                text_document: TextDocumentIdentifier::new(uri.clone()),
                work_done_progress_params: WorkDoneProgressParams::default(),
                partial_result_params: PartialResultParams::default(),
            },
        );
        let _ = formatting::document(&snap, &uri);
        let _ = code_lens::lenses(&snap, &uri);
        // Every character of a short file; of a longer one, evenly spaced characters, which
        // still land in every construct. Features walk the whole file, so the positions of a
        // long file are fewer: asking at every fifth character of the 150 KB of generated tests
        // in examples/provenance took minutes.
        let positions = (WORK / text.len().max(1)).clamp(MIN_POSITIONS, MAX_POSITIONS);
        let step = (text.len() / positions).max(1);
        let mut seen = 0usize;
        for (line, content) in text.split('\n').enumerate() {
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            let units = content.encode_utf16().count();
            for character in 0..=units + 2 {
                seen += 1;
                if seen.is_multiple_of(step) {
                    let character = u32::try_from(character).unwrap_or(u32::MAX);
                    ask_everything(&snap, &uri, Position::new(line, character));
                }
            }
        }
        ask_everything(&snap, &uri, Position::new(u32::MAX, u32::MAX));
    }
}
