//! The blueprint language: parsing with positions, typed decoding, and validation.

pub mod decode;
pub mod reader;
pub mod syntax;
pub mod types;
pub mod validate;

pub use types::*;

use crate::diag::{Diagnostic, Diagnostics};

/// Parses and validates one blueprint. `display` is the path shown in messages; the file name
/// part of it is what generated headers name.
pub fn load_str(src: &str, display: &str) -> Result<Blueprint, Vec<Diagnostic>> {
    let mut d = Diagnostics::new(display);
    let source = std::path::Path::new(display)
        .file_name()
        .map_or_else(|| display.to_string(), |n| n.to_string_lossy().into_owned());
    let blueprint =
        syntax::parse(src, &mut d).and_then(|tree| decode::decode(&tree, &source, &mut d));
    if let Some(bp) = &blueprint
        && d.is_empty()
    {
        validate::check_app(&bp.app, &bp.environments, &mut d);
    }
    match blueprint {
        Some(bp) if d.is_empty() => Ok(bp),
        _ => Err(d.into_sorted()),
    }
}
