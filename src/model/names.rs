//! AWS names built from blueprint names, shortened deterministically to fit AWS's limits.

use sha2::{Digest, Sha256};

/// The prefix of every AWS name in one environment: `<app>-<env>`.
pub fn prefix(app: &str, env: &str) -> String {
    format!("{app}-{env}")
}

/// `name` when it fits in `max` characters; otherwise its head and a 6-hex-digit digest of the
/// whole name, so two long names that share a head stay distinct and the result never changes.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest.iter().take(3).map(|b| format!("{b:02x}")).collect();
    let head = name[..max - hash.len() - 1].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// `SERVICE_NAME` form of a blueprint name, for environment variables.
pub fn env_var(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_stay_distinct() {
        assert_eq!(fit("websight-prod-public", 32), "websight-prod-public");
        let a = fit("a-very-long-application-name-production-public", 32);
        let b = fit("a-very-long-application-name-production-private", 32);
        assert!(a.len() <= 32 && b.len() <= 32, "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, fit("a-very-long-application-name-production-public", 32));
        assert!(!a.contains("--"));
    }
}
