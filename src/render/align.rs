//! Placeholder until the aligner lands.
pub fn format_hcl(src: &str) -> String {
    src.to_string()
}
