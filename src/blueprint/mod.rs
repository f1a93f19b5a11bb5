//! The blueprint language: parsing with positions, typed decoding, and validation.

pub mod decode;
pub mod operations;
pub mod reader;
pub mod syntax;
pub mod types;
pub mod validate;

pub use types::*;

use crate::diag::{Diagnostic, Diagnostics};

/// [`load_str`] for the bytes of a file: text that is not UTF-8 is an error at its first bad
/// byte, and a byte order mark is skipped.
pub fn load_bytes(bytes: &[u8], display: &str) -> Result<Blueprint, Vec<Diagnostic>> {
    match std::str::from_utf8(bytes) {
        Ok(src) => load_str(src, display),
        Err(e) => {
            let good = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let mut d = Diagnostics::new(display);
            d.error(
                crate::diag::Pos::at(good, good.len()),
                format!(
                    "the file is not UTF-8: byte 0x{:02x} here starts no UTF-8 character; save the blueprint as UTF-8",
                    bytes[e.valid_up_to()]
                ),
            );
            Err(d.into_sorted())
        }
    }
}

/// The name generated files give the blueprint shown as `display`: its file name.
pub fn source_name(display: &str) -> String {
    std::path::Path::new(display)
        .file_name()
        .map_or_else(|| display.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Parses and validates one blueprint. `display` is the path shown in messages; the file name
/// part of it is what generated headers name.
pub fn load_str(src: &str, display: &str) -> Result<Blueprint, Vec<Diagnostic>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut d = Diagnostics::new(display);
    let source = source_name(display);
    let decoded =
        syntax::parse(src, &mut d).and_then(|tree| decode::decode_tainted(&tree, &source, &mut d));
    let blueprint = decoded.map(|(bp, tainted)| {
        // The rules run even when decoding found errors, so that one run reports every
        // problem; but not about a part that decoding rejected something of, whose value was
        // left at its default.
        let mut v = Diagnostics::new(display);
        validate::check_app(&bp.app, &bp.environments, &mut v);
        let clean = d.is_empty();
        for diag in v.into_sorted() {
            if clean || !tainted.iter().any(|t| diag.message.contains(t.as_str())) {
                d.push(diag);
            }
        }
        bp
    });
    match blueprint {
        Some(bp) if d.is_empty() => Ok(bp),
        _ => Err(d.into_sorted()),
    }
}
