//! Embeds the templates under `modules/` (one folder per Terraform module) and `templates/`
//! (environment roots and the app README) into the binary.

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
}
