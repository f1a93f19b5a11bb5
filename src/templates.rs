//! `tfblueprint templates list|show`: the built-in templates, named as an overlay names them,
//! to start an overlay from.

use crate::cli::TemplatesCommand;
use crate::render::overlay::Overlay;
use crate::render::{builtin_names, builtin_source};
use crate::{Error, Result};
use anyhow::anyhow;
use std::io::Write;

pub fn run(command: TemplatesCommand) -> Result<()> {
    let load = |dir: &Option<std::path::PathBuf>| -> Result<Option<Overlay>> {
        dir.as_deref()
            .map(Overlay::load)
            .transpose()
            .map_err(Error::Blueprint)
    };
    let mut stdout = std::io::stdout().lock();
    match command {
        TemplatesCommand::List { templates } => {
            let overlay = load(&templates.dir)?;
            let mut text = String::new();
            for name in builtin_names() {
                let mark = match &overlay {
                    Some(o) if o.has(name) => "  (replaced by the overlay)",
                    _ => "",
                };
                text.push_str(&format!("{name}{mark}\n"));
            }
            if let Some(o) = &overlay {
                for (name, _) in &o.templates {
                    if builtin_source(name).is_none() {
                        text.push_str(&format!("{name}  (added by the overlay)\n"));
                    }
                }
            }
            let _ = stdout.write_all(text.as_bytes());
            Ok(())
        }
        TemplatesCommand::Show { path, templates } => {
            let overlay = load(&templates.dir)?;
            let name = path.trim_start_matches("./");
            let source = overlay
                .as_ref()
                .and_then(|o| o.source(name))
                .or_else(|| builtin_source(name));
            match source {
                Some(s) => {
                    let _ = stdout.write_all(s.as_bytes());
                    Ok(())
                }
                None => {
                    let hint = crate::diag::did_you_mean(name, builtin_names())
                        .map(|s| format!("did you mean {s}? "))
                        .unwrap_or_default();
                    Err(anyhow!(
                        "no template {name}; {hint}`tfblueprint templates list` names them all"
                    )
                    .into())
                }
            }
        }
    }
}
