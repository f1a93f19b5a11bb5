//! Embeds the templates under `modules/` (one folder per Terraform module) and `templates/`
//! (environment roots and the app README) into the binary, and names the build: `TFBLUEPRINT_BUILD`
//! is the SHA-256 of everything that determines what the binary renders (the package version,
//! the templates, the sources under `src/`, `Cargo.lock` and this file). A manifest records it
//! (inside its `inputs_sha256`), so that `check` may trust the files' digests instead of
//! rendering again only when the same code and templates rendered them.

use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut entries = Vec::new();
    for dir in ["modules", "templates"] {
        println!("cargo:rerun-if-changed={dir}");
        let base = root.join(dir);
        if !base.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
            let entry = entry.expect("readable template folder");
            let path = entry.path();
            if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "j2") {
                let name = path
                    .strip_prefix(&base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                entries.push((format!("{dir}/{name}"), path.to_path_buf()));
            }
        }
    }
    let mut code = String::from(
        "/// Every template: (name, source).\npub static TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in entries {
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("templates.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rustc-env=TFBLUEPRINT_BUILD={}", build_digest(root));
}

/// The SHA-256 of the version, and of the path and text of every file under `modules/`,
/// `templates/` and `src/`, of `Cargo.lock` and of this file, in path order. Line endings are
/// read as `\n`, so that a checkout with CRLF line endings names the same build.
fn build_digest(root: &Path) -> String {
    let mut files = Vec::new();
    for dir in ["modules", "templates", "src"] {
        println!("cargo:rerun-if-changed={dir}");
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.expect("readable source folder");
            if entry.file_type().is_file() {
                files.push(entry.path().to_path_buf());
            }
        }
    }
    for file in ["Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={file}");
        if root.join(file).is_file() {
            files.push(root.join(file));
        }
    }
    let mut hash = Sha256::new();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    hash.update(format!("{version}\n").as_bytes());
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(&path).expect("readable source file");
        let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
        hash.update(format!("{rel}\n{}\n", text.len()).as_bytes());
        hash.update(text.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
