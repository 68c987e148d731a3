//! Edits cancel stale work: a reader computing on a snapshot of an older revision unwinds with
//! `salsa::Cancelled` when an edit comes in, and the edit then applies (it does not wait for
//! the reader to finish its work, only to notice the edit).

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use bona_compiler::compile::compile;
use bona_compiler::syntax::parse;
use bona_lsp::session::Session;
use salsa::Database;
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

#[test]
fn an_edit_cancels_readers_of_the_old_revision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let path = root.join("a.trust");
    let text = "policy \"a\" {\n  action issue\n  trust pinned\n}\n";
    std::fs::write(&path, text).expect("write");
    let uri = Uri::from_file_path(&path).expect("uri");
    let mut session = Session::default();
    assert_eq!(session.scan(std::slice::from_ref(&root)), 1);
    let file = session.open(uri.clone(), 1, text.to_owned());

    let snapshot = session.snapshot();
    let (started, wait_started) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let outcome = salsa::Cancelled::catch(AssertUnwindSafe(|| {
            assert!(!compile(&snapshot.db, snapshot.ws).has_errors());
            let _ = started.send(());
            // A long computation that checks for cancellation as salsa queries do.
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                snapshot.db.unwind_if_revision_cancelled();
                std::thread::sleep(Duration::from_millis(1));
            }
        }));
        drop(snapshot);
        outcome.is_err()
    });
    wait_started.recv().expect("the reader started");

    let started_edit = Instant::now();
    let edit = TextDocumentContentChangeEvent {
        range: None,
        range_length: None,
        text: "policy \"b\" {\n  action issue\n  trust pinned\n}\n".to_owned(),
    };
    assert!(session.change(&uri, 2, &[edit]).is_some());
    assert!(
        started_edit.elapsed() < Duration::from_secs(10),
        "the edit waited for the reader to finish instead of cancelling it"
    );
    assert!(
        reader.join().expect("reader thread"),
        "the reader was not cancelled"
    );
    let now = session.snapshot();
    assert!(matches!(
        parse(&now.db, file).file.items.first(),
        Some(bona_compiler::syntax::ast::Item::Policy(p)) if p.name.value == "b"
    ));
}
