//! Ctrl-C during `fitview batch`, sent as a real SIGINT to a real run: the first stops new items,
//! finishes those in flight, writes the report and exits 130 with how to resume; the second quits
//! at once. Either way the journal stays whole, and the same command finishes the batch with
//! nothing lost and nothing generated twice.

use crate::batch_support::*;

#[test]
fn the_first_ctrl_c_finishes_the_items_in_flight_writes_the_report_and_the_same_command_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava", "bea"], &PRODUCTS);
    let config = mock_config(dir.path(), 600);
    let args = ["--concurrency", "2", "--config", config.to_str().unwrap()];

    let mut run = Watched::spawn(&manifest, &out, &args);
    run.wait_until("two journaled items", |_| journal(&out).len() >= 2);
    run.interrupt();
    let (code, stderr) = run.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the items in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains("to resume, run the same command:\n  fitview batch "),
        "{stderr}"
    );

    let done = journal_is_consistent(&out);
    let finished = done.len();
    assert!(
        (2..12).contains(&finished),
        "stopped mid-run: {finished} of 12 items done"
    );
    let report = report(&out);
    assert_eq!(report["stopped"], "interrupted (Ctrl-C)", "{report:#}");
    assert_eq!(count(&report, "generated") as usize, finished);
    assert_eq!(count(&report, "not_run") as usize, 12 - finished);
    assert!(
        stderr.contains(&format!("interrupted with {} items left", 12 - finished)),
        "{stderr}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("class=\"thumb\"").count(), finished);

    let resumed = batch(&manifest, &out, &args);
    assert!(resumed.status.success(), "{}", outputs(&resumed));
    let report = crate::batch_support::report(&out);
    assert_eq!(count(&report, "reused") as usize, finished);
    assert_eq!(count(&report, "generated") as usize, 12 - finished);
    assert_eq!(journal_is_consistent(&out).len(), 12);
    assert!(report.get("stopped").is_none(), "{report:#}");
}

#[test]
fn a_second_ctrl_c_quits_at_once_and_the_items_in_flight_run_again_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = dir.path().join("shop.toml");
    write_manifest(&manifest, &["ava", "bea"], &PRODUCTS[..3]);
    // Long calls: the second Ctrl-C comes while the second pair of items is still in flight.
    let config = mock_config(dir.path(), 2500);
    let args = ["--concurrency", "2", "--config", config.to_str().unwrap()];

    let mut run = Watched::spawn(&manifest, &out, &args);
    run.wait_until("two journaled items", |_| journal(&out).len() >= 2);
    let before = journal(&out).len();
    run.interrupt();
    run.wait_until("the first Ctrl-C to be seen", |run| {
        run.stderr().contains("interrupted: finishing")
    });
    run.interrupt();
    let (code, stderr) = run.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("quitting now"), "{stderr}");
    assert!(
        stderr.contains("to resume, run the same command:\n  fitview batch "),
        "{stderr}"
    );
    let done = journal_is_consistent(&out);
    assert_eq!(
        done.len(),
        before,
        "the items in flight were dropped, not journaled"
    );
    assert!(
        !out.join("report.json").exists(),
        "quitting at once writes no report"
    );

    let resumed = batch(&manifest, &out, &args);
    assert!(resumed.status.success(), "{}", outputs(&resumed));
    let report = report(&out);
    assert_eq!(count(&report, "reused") as usize, before);
    assert_eq!(count(&report, "generated") as usize, 6 - before);
    assert_eq!(journal_is_consistent(&out).len(), 6);
    for item in report["items"].as_array().unwrap() {
        assert!(
            out.join(item["result"]["files"][0].as_str().unwrap())
                .is_file()
        );
    }
}
