//! The loader never panics: arbitrary text and mutated real blueprints either load or return
//! diagnostics, and what loads builds a model and renders. This is the bounded, `cargo test`
//! twin of the cargo-fuzz target in fuzz/ (see fuzz/README.md).

use crate::support::repo;
use proptest::prelude::*;
use std::sync::LazyLock;
use tfblueprint::render::Renderer;

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

static SEEDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut seeds = Vec::new();
    for dir in ["blueprints", "tests/blueprints"] {
        let mut paths: Vec<_> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
            .collect();
        paths.sort();
        for p in paths {
            seeds.push(std::fs::read_to_string(p).unwrap());
        }
    }
    seeds
});

/// Loads `src` and, when it is accepted, builds and renders it; a panic fails the test.
fn load_and_render(src: &str) {
    match tfblueprint::blueprint::load_str(src, "fuzz.hcl") {
        Ok(bp) => {
            let model = tfblueprint::model::build(&bp);
            if let Err(e) = tfblueprint::generate::render_model(&RENDERER, &model, 1) {
                panic!("an accepted blueprint does not render: {e:#}\n{src}");
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "rejected with no diagnostic:\n{src}");
            for d in &diags {
                let text = d.to_string();
                assert!(
                    !debug_dump(&text),
                    "a diagnostic that looks like a debug dump: {text}"
                );
            }
        }
    }
}

/// Whether `text` looks like Rust's `{:?}` of a value: `Some(..)`, `Err(..)` or
/// `Name { field: ..`.
fn debug_dump(text: &str) -> bool {
    if [
        "Some(",
        "Ok(",
        "Err(",
        "None,",
        "panicked",
        "RUST_BACKTRACE",
    ]
    .iter()
    .any(|p| text.contains(p))
    {
        return true;
    }
    text.match_indices(" { ").any(|(i, _)| {
        let before = text[..i].rsplit(' ').next().unwrap_or_default();
        let after = &text[i + 3..];
        let field: String = after
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        before.starts_with(|c: char| c.is_ascii_uppercase())
            && !field.is_empty()
            && after[field.len()..].starts_with(": ")
    })
}

/// Tokens that stress the reader: structure, odd literals, expressions the language rejects.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "#",
    "//",
    "/*",
    "*/",
    "0",
    "-1",
    "1.5",
    "1e400",
    "99999999999999999999",
    "65536",
    "4294967296",
    "true",
    "null",
    "var.x",
    "local.y",
    "upper(\"a\")",
    "1 + 2",
    "a ? b : c",
    "[for x in y : x]",
    "\"${x}\"",
    "\"%{if x}y%{endif}\"",
    "<<EOT\nx\nEOT\n",
    "<<-EOT\n  x\n  EOT\n",
    "\"\\u00e9\"",
    "\"\\q\"",
    "service \"s\" {}",
    "environment \"e\" {}",
    "network {}",
    "cluster {}",
    "database \"d\" {}",
    "cache \"c\" {}",
    "file_system \"f\" {}",
    "dns {}",
    "bastion {}",
    "allow {}",
    "load_balancer \"l\" {}",
    "listener \"h\" {}",
    "route {}",
    "autoscaling {}",
    "container \"c\" {}",
    "\"service.web\"",
    "\"database.nope\"",
    "\"10.0.0.0/8\"",
    "\"eu-west-1z\"",
    "\"\"",
    "é",
    "🚀",
    "\u{0}",
    "\r",
    "\t",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn char_boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(src: &str, edits: &[Edit]) -> String {
    let mut s = src.to_string();
    for e in edits {
        match e {
            Edit::Delete(at, len) => {
                let a = char_boundary(&s, *at);
                let b = char_boundary(&s, (a + len).min(s.len()));
                if b >= a {
                    s.replace_range(a..b, "");
                }
            }
            Edit::Insert(at, t) => {
                let a = char_boundary(&s, *at);
                s.insert_str(a, t);
            }
            Edit::DuplicateLine(i) => {
                let mut lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = i % lines.len();
                    lines.insert(i, lines[i]);
                }
                s = lines.join("\n");
            }
            Edit::SwapLines(a, b) => {
                let mut lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let n = lines.len();
                    lines.swap(a % n, b % n);
                }
                s = lines.join("\n");
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_blueprints_never_panic(
        seed in 0usize..64,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let base = &SEEDS[seed % SEEDS.len()];
        load_and_render(&apply(base, &edits));
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        load_and_render(&src);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..40)) {
        let body = tokens.concat();
        load_and_render(&body);
        load_and_render(&format!("app \"x\" {{\n  region = \"eu-west-1\"\n{body}\n}}\n"));
    }
}

/// Inputs that once panicked or that stress a corner, kept as regression cases.
#[test]
fn known_hard_inputs_do_not_panic() {
    for src in [
        "",
        "app",
        "app \"\" {}",
        "app \"x\" {",
        "\u{feff}app \"x\" {}",
        "app \"x\" {\n  region = \"eu-west-1\"\n  network {\n    cidr = \"\"\n    azs  = [\"eu-west-1a\", \"eu-west-1b\"]\n  }\n}\n",
        "app \"x\" {\n  region = \"eu-west-1\"\n  network {\n    cidr = \"10.0.0.0/016\"\n    azs  = [\"eu-west-1a\", \"eu-west-1b\"]\n  }\n}\n",
        "app \"x\" { region = \"eu-west-1\" network { cidr = \"10.0.0.0/33\" azs = [] } }",
        "app \"x\" {\n  region = \"eu-west-1\"\n  network {\n    cidr = \"10.0.0.0/16\"\n    azs  = [\"eu-west-1a\"]\n  }\n  service \"s\" {\n    cpu = 99999999999999999999\n  }\n}\n",
    ] {
        load_and_render(src);
    }
}

/// Item 6 of the hardening pass: every string attribute of every seed blueprint set to the
/// empty string (once `cidr = ""` passed validation and panicked in generate) is rejected or
/// renders, and never panics.
#[test]
fn an_empty_string_in_any_attribute_of_any_seed_never_panics() {
    let mut cases = 0;
    for seed in SEEDS.iter() {
        let mut at = 0;
        while let Some(i) = seed[at..].find("= \"") {
            let start = at + i + 3;
            let Some(len) = seed[start..].find('"') else {
                break;
            };
            let mutated = format!("{}{}", &seed[..start], &seed[start + len..]);
            load_and_render(&mutated);
            cases += 1;
            at = start + len.max(1);
        }
    }
    assert!(cases > 200, "only {cases} string attributes in the seeds");
}
