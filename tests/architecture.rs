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
                && !part.contains('*')
                && !part.contains('<');
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

/// The module path of a source file of `api/src`: `service::records`,
/// `routes` (for `routes/mod.rs`), `crate` for `lib.rs`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    if parts.is_empty() {
        "crate".into()
    } else {
        parts.join("::")
    }
}

/// The text without comments, string literals and `#[cfg(test)]` items
/// (tests may reach anywhere).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The paths a `use crate::…;` tree names: `crate::a::{b, c::d}` gives
/// `a::b` and `a::c::d`.
fn use_paths(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = if head.is_empty() {
            prefix.to_string()
        } else if prefix.is_empty() {
            head.to_string()
        } else {
            format!("{prefix}::{head}")
        };
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    use_paths(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        use_paths(&inner[start..], &base, out);
    } else {
        let item = tree.split(" as ").next().unwrap().trim();
        if item.is_empty() || item == "self" {
            if !prefix.is_empty() {
                out.push(prefix.to_string());
            }
            return;
        }
        out.push(if prefix.is_empty() {
            item.to_string()
        } else {
            format!("{prefix}::{item}")
        });
    }
}

/// The import graph of `api/src`: module → the modules it names with a
/// `use crate::…` or an inline `crate::…::` path (the longest module
/// prefix of each path).
fn import_graph() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let src = root().join("api/src");
    let files = sources(&src);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let resolve = |path: &str| -> Option<String> {
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=segs.len())
            .rev()
            .map(|n| segs[..n].join("::"))
            .find(|m| modules.contains(m))
    };
    let mut graph = std::collections::BTreeMap::new();
    for f in &files {
        let me = module_of(&src, f);
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        let mut paths = Vec::new();
        let mut rest = code.as_str();
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let is_use = rest[..i].trim_end().ends_with("use");
            if is_use {
                let end = after.find(';').unwrap_or(after.len());
                use_paths(&after[..end], "", &mut paths);
                rest = &after[end..];
            } else {
                let end = after
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(after.len());
                paths.push(after[..end].trim_end_matches(':').to_string());
                rest = &after[end..];
            }
        }
        let deps: BTreeSet<String> = paths
            .iter()
            .filter_map(|p| resolve(p))
            .filter(|m| *m != me && m != "crate")
            .collect();
        graph.insert(me, deps);
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(graph: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a std::collections::BTreeMap<String, BTreeSet<String>>,
        index: std::collections::HashMap<&'a str, usize>,
        low: std::collections::HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.g.contains_key(w) {
                    continue;
                }
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let l = self.low[w].min(self.low[v]);
                    self.low.insert(v, l);
                } else if self.on.contains(w) {
                    let l = self.index[w].min(self.low[v]);
                    self.low.insert(v, l);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g: graph,
        index: Default::default(),
        low: Default::default(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v.as_str());
        }
    }
    t.out
}

#[test]
fn the_modules_of_api_import_each_other_without_a_cycle() {
    let graph = import_graph();
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between the files of api/src (a `use crate::…` or an inline `crate::…::` path is an edge): {found:#?}"
    );
}

#[test]
fn the_cycle_check_sees_a_cycle_through_use_trees_and_inline_paths() {
    let mut paths = Vec::new();
    use_paths(
        "service::{records::{self, view}, push as p}",
        "",
        &mut paths,
    );
    assert_eq!(
        paths,
        [
            "service::records",
            "service::records::view",
            "service::push"
        ]
    );
    let mut g = std::collections::BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    g.insert("d".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        cycles(&g),
        vec![vec!["a".to_string(), "b".into(), "c".into()]]
    );
    // The real graph is read at all.
    assert!(import_graph()["routes::records"].contains("ledger::records"));
}

/// The contexts of `api/src`, lowest first (docs/ARCHITECTURE.md). A module
/// may import its own context and any context of a lower rank, never one
/// above it; contexts of the same rank do not import each other.
const CONTEXTS: &[(usize, &str, &[&str])] = &[
    // What every use case stands on; no use case lives here.
    (
        0,
        "foundation",
        &[
            "config",
            "crypto",
            "db",
            "domain",
            "error",
            "observe",
            "telemetry",
            "pagination",
            "reference",
            "render",
            "ports",
            "outbox",
            "idempotency",
            "audit",
            "auth",
            "authz",
            "cache",
            "proxies",
            "review",
            "state",
        ],
    ),
    (1, "parties", &["parties"]),
    (2, "ledger", &["ledger"]),
    (3, "training", &["training"]),
    (3, "certificates", &["certificates"]),
    (4, "platforms", &["platforms"]),
    (5, "oversight", &["oversight"]),
    // HTTP in and out, the OpenAPI document, the wiring.
    (6, "http", &["routes", "openapi", "startup", "bin", "crate"]),
];

fn context_of(module: &str) -> (usize, &'static str) {
    let top = module.split("::").next().unwrap();
    CONTEXTS
        .iter()
        .find(|(_, _, modules)| modules.contains(&top))
        .map(|(rank, name, _)| (*rank, *name))
        .unwrap_or_else(|| {
            panic!("{module} belongs to no context: add it to CONTEXTS and docs/ARCHITECTURE.md")
        })
}

/// The imports that go up or sideways between contexts.
fn against_the_order(graph: &std::collections::BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in graph {
        let (rank, context) = context_of(from);
        for to in tos {
            let (to_rank, to_context) = context_of(to);
            if to_context != context && to_rank >= rank {
                wrong.push(format!("{from} ({context}) imports {to} ({to_context})"));
            }
        }
    }
    wrong
}

#[test]
fn contexts_import_only_downwards() {
    let wrong = against_the_order(&import_graph());
    assert!(
        wrong.is_empty(),
        "imports against the order of contexts (docs/ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_order_check_sees_an_import_upwards_or_sideways() {
    let mut g = std::collections::BTreeMap::new();
    g.insert(
        "ledger::records".to_string(),
        BTreeSet::from([
            "parties::persons".to_string(),
            "domain::hours".to_string(),
            "ledger::standing".to_string(),
            "certificates".to_string(),
        ]),
    );
    g.insert(
        "training::classes".to_string(),
        BTreeSet::from(["certificates::documents".to_string()]),
    );
    g.insert(
        "routes::records".to_string(),
        BTreeSet::from(["oversight::exports".to_string()]),
    );
    assert_eq!(
        against_the_order(&g),
        [
            "ledger::records (ledger) imports certificates (certificates)",
            "training::classes (training) imports certificates::documents (certificates)",
        ]
    );
}

#[test]
fn docs_architecture_names_every_context() {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    for (_, name, modules) in CONTEXTS {
        assert!(
            doc.contains(&format!("| {name} |")),
            "docs/ARCHITECTURE.md has no row for the context {name}"
        );
        for m in *modules {
            if *m == "crate" || *m == "bin" {
                continue;
            }
            let dir = root().join("api/src").join(m);
            let file = root().join("api/src").join(format!("{m}.rs"));
            assert!(
                dir.is_dir() || file.is_file(),
                "CONTEXTS names {m}, which is not a module of api/src"
            );
            let shown = if dir.is_dir() {
                format!("`{m}/`")
            } else {
                format!("`{m}.rs`")
            };
            assert!(
                doc.contains(&shown),
                "docs/ARCHITECTURE.md does not place {shown} in a context"
            );
        }
    }
}

/// Every stored state's name, as `entity/src/state.rs` spells it
/// (`Approved = "approved",`).
fn state_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("entity/src/state.rs")).unwrap();
    text.lines()
        .filter_map(|l| {
            let (_, name) = l.trim().split_once(" = \"")?;
            name.strip_suffix("\",").map(str::to_string)
        })
        .collect()
}

/// The places in `text` (before its `#[cfg(test)]` items, comments left
/// out) that spell a state by hand: `'approved'` inside a string (SQL),
/// or `"approved"` given to a filter, a column or a comparison.
fn state_literals(text: &str, states: &BTreeSet<String>) -> Vec<String> {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for s in states {
            let sql = format!("'{s}'");
            let quoted = format!("\"{s}\"");
            let mut hit = code.contains(&sql);
            for (i, _) in code.match_indices(&quoted) {
                let before = code[..i].trim_end();
                hit |= ["eq(", "ne(", "Set(", "value(", "==", "!=", "status:"]
                    .iter()
                    .any(|p| before.ends_with(p));
            }
            if hit {
                found.push(format!("{}: {}", n + 1, code.trim()));
            }
        }
    }
    found
}

/// Issue 18: a state is named through its enum (`entity/src/state.rs`),
/// never by hand — not in a filter, not in SQL, not in a migration's
/// partial index — so that renaming or adding one cannot miss a place.
/// `api/src/domain` re-exports the enums and is not scanned; tests are not
/// scanned (they may arrange rows by hand).
#[test]
fn states_are_spelled_only_by_their_enums() {
    let states = state_names();
    assert!(
        ["approved", "valid", "pending_unit_review", "cancelled"]
            .iter()
            .all(|s| states.contains(*s)),
        "{states:?}"
    );
    let mut wrong = Vec::new();
    for dir in ["api/src", "migration/src"] {
        for file in sources(&root().join(dir)) {
            if file.starts_with(root().join("api/src/domain")) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for hit in state_literals(&text, &states) {
                wrong.push(format!(
                    "{}:{hit}",
                    file.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "states spelled by hand (use the enum of entity/src/state.rs): {wrong:#?}"
    );
}

#[test]
fn the_state_check_sees_sql_filters_and_comparisons() {
    let states: BTreeSet<String> = ["approved".to_string()].into();
    let text = r#"
        // status = 'approved' in a comment is prose
        let a = "SELECT 1 FROM bindings WHERE status = 'approved'";
        q.filter(binding::Column::Status.eq("approved"));
        m.status = Set("approved".into());
        if b.status == "approved" {}
        Change::new("binding", id, "approved");
        #[cfg(test)]
        q.filter(binding::Column::Status.eq("approved"));
    "#;
    let hits = state_literals(text, &states);
    assert_eq!(hits.len(), 4, "{hits:#?}");
    assert!(hits[0].starts_with("3:"), "{hits:#?}");
}

/// The files of `api/src` (relative, `/`-separated) whose code (comments,
/// strings and `#[cfg(test)]` items left out) names any of `words`.
fn files_naming(words: &[&str]) -> Vec<String> {
    let src = root().join("api/src");
    let mut out = Vec::new();
    for file in sources(&src) {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let names = code.split(|c: char| !(c.is_alphanumeric() || c == '_'));
        let hit = names.into_iter().any(|w| words.contains(&w));
        if hit {
            let rel = file.strip_prefix(&src).unwrap();
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    out
}

/// Whether `file` (relative to `api/src`) is `dir/…`, or is `dir` itself.
fn under(file: &str, places: &[&str]) -> bool {
    places.iter().any(|p| {
        if let Some(dir) = p.strip_suffix('/') {
            file.starts_with(&format!("{dir}/"))
        } else {
            file == *p
        }
    })
}

/// Where the OpenAPI derives may be, besides the routes: the value types of
/// `domain/` (state and category enums, `Hours`, `Year`: their spelling is
/// the contract and is defined once), the document itself, and `error.rs`,
/// which is the web boundary of errors already (it maps `ServiceError` to
/// `ApiError`, a `ResponseError`): its `Problem` and `FieldError` are the
/// problem+json body that mapping writes, not a service's answer.
const SCHEMA_PLACES: &[&str] = &["routes/", "domain/", "openapi.rs", "error.rs"];

/// Issue 18: services know nothing of HTTP. Wire types — whatever derives
/// `ToSchema` or `IntoParams` — live with the routes, which convert the
/// services' plain domain structs with `From` impls.
#[test]
fn wire_types_live_with_the_routes() {
    let wrong: Vec<String> = files_naming(&["ToSchema", "IntoParams"])
        .into_iter()
        .filter(|f| !under(f, SCHEMA_PLACES))
        .collect();
    assert!(
        wrong.is_empty(),
        "ToSchema/IntoParams outside routes/ and domain/ (move the wire type to routes/views/ and convert with From): {wrong:#?}"
    );
}

/// Where `actix_web` may be named: the routes (handlers and the extractors
/// of `routes/extract.rs`), the wiring (`startup.rs`, `main.rs`, `bin/`,
/// `openapi.rs`), the HTTP mapping of errors (`error.rs`: `ApiError` as a
/// `ResponseError`, the problem+json answers of extractor failures) and the
/// request middleware (`observe.rs`). `state.rs` is the one more:
/// `check_rate` reads the peer address of the request; it is pinned here as
/// it is, not as it should be.
const ACTIX_PLACES: &[&str] = &[
    "routes/",
    "bin/",
    "startup.rs",
    "main.rs",
    "openapi.rs",
    "error.rs",
    "observe.rs",
    "state.rs",
];

#[test]
fn services_know_nothing_of_actix() {
    let wrong: Vec<String> =
        files_naming(&["actix_web", "actix_http", "HttpRequest", "HttpResponse"])
            .into_iter()
            .filter(|f| !under(f, ACTIX_PLACES))
            .collect();
    assert!(
        wrong.is_empty(),
        "actix outside the routes and the wiring (services take a plain caller and return domain structs): {wrong:#?}"
    );
}

#[test]
fn the_wire_type_check_sees_a_derive_in_a_service() {
    let code =
        code_of("/// ToSchema in prose\n#[derive(Serialize, utoipa::ToSchema)]\npub struct A;\n");
    let names: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    assert!(names.contains(&"ToSchema"));
    let prose = code_of("// ToSchema\nlet s = \"ToSchema\";\n");
    assert!(!prose.contains("ToSchema"), "{prose}");
    assert!(under("routes/views/ledger.rs", SCHEMA_PLACES));
    assert!(!under("ledger/records.rs", SCHEMA_PLACES));
    assert!(!under("routes.rs", &["routes/"]));
    // The real sources are read: the routes name ToSchema.
    assert!(
        files_naming(&["ToSchema"])
            .iter()
            .any(|f| f == "routes/views/ledger.rs")
    );
}

/// Handlers read bodies and queries through `routes::extract::{Json,
/// Query}`, which name the field in a problem and refuse unknown body
/// fields (issue 19); actix's own extractors would quietly bring back the
/// unnamed error and the dropped field.
#[test]
fn handlers_take_the_strict_extractors() {
    let src = root().join("api/src");
    let mut wrong = Vec::new();
    for file in sources(&src) {
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        if code.contains("web::Json<") || code.contains("web::Query<") {
            wrong.push(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "web::Json / web::Query in {wrong:?}: use routes::extract::Json / Query"
    );
}
