//! Checks of the repository's shape that read the sources (issue 18): the
//! rules the code cites are written down in `docs/DOMAIN.md`, and the
//! files it names exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The rule ids (`R-RC-8`, `R-T-1`) in `text`.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'R' && b[i + 1] == b'-' && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_uppercase() {
                j += 1;
            }
            let letters = j - (i + 2);
            if (1..=4).contains(&letters) && j < b.len() && b[j] == b'-' {
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                if k > j + 1 && (k == b.len() || !b[k].is_ascii_alphanumeric()) {
                    out.insert(text[i..k].to_string());
                }
            }
        }
        i += 1;
    }
    out
}

#[test]
fn every_rule_the_code_cites_is_in_docs_domain() {
    let doc = std::fs::read_to_string(root().join("docs/DOMAIN.md")).expect("docs/DOMAIN.md");
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(|l| l.trim().to_string())
        .collect();
    let mut missing = Vec::new();
    for dir in ["api/src", "entity/src", "migration/src", "sdk/src", "tests"] {
        for file in sources(&root().join(dir)) {
            // This file's own examples are not citations.
            if file.ends_with("tests/architecture.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for id in rule_ids(&text) {
                if !documented.contains(&id) {
                    missing.push(format!(
                        "{id} ({})",
                        file.strip_prefix(root()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rule ids cited but not in docs/DOMAIN.md: {missing:#?}"
    );
    assert!(documented.len() > 40, "{documented:?}");
}

#[test]
fn the_files_docs_name_exist() {
    for doc in ["docs/DOMAIN.md", "docs/ARCHITECTURE.md"] {
        let Ok(text) = std::fs::read_to_string(root().join(doc)) else {
            continue;
        };
        for part in text.split('`').skip(1).step_by(2) {
            let looks_like_a_file = (part.starts_with("api/")
                || part.starts_with("tests/")
                || part.starts_with("migration/")
                || part.starts_with("entity/")
                || part.starts_with("sdk/"))
                && !part.contains(' ')
                && !part.contains('*');
            if looks_like_a_file {
                let path = part.split("::").next().unwrap();
                assert!(
                    root().join(path).exists(),
                    "{doc} names {path}, which does not exist"
                );
            }
        }
    }
}

#[test]
fn rule_ids_are_found_where_they_are_and_only_there() {
    let ids = rule_ids("R-RC-8 and (R-T-1), not XR-RC-8 nor R-rc-1 nor R-ABCDE-1, R-CE-10.");
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(ids, ["R-CE-10", "R-RC-8", "R-T-1"]);
}
