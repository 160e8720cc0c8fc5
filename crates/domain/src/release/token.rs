//! Deterministic idempotency tokens: derived from the release id, the step and the retry
//! generation, so a restarted worker repeats exactly the request it made before (and AWS answers
//! with the first result), while `amipub retry` after a failure makes a fresh request.

use crate::ids::digest_hex;

/// A token of at most 64 printable ASCII characters (EC2 `ClientToken`, Catalog
/// `ClientRequestToken`).
pub fn token(release_id: &str, step: &str, generation: u32) -> String {
    let generation = generation.to_le_bytes();
    let hex = digest_hex(&[release_id.as_bytes(), step.as_bytes(), &generation], 24);
    format!("amipub-{step}-{hex}").chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_short_and_distinct() {
        let a = token("rel-1", "mirror", 0);
        assert_eq!(a, token("rel-1", "mirror", 0));
        assert!(a.len() <= 64 && a.bytes().all(|b| (b'!'..=b'~').contains(&b)));
        assert_ne!(a, token("rel-1", "mirror", 1));
        assert_ne!(a, token("rel-2", "mirror", 0));
        assert_ne!(a, token("rel-1", "submit", 0));
        // Tokens of releases already under way never change between versions of amipub.
        assert_eq!(
            token("r1", "mirror", 2),
            "amipub-mirror-60d3b1768d22a11976d0f3eb18e737affbb196873b1eaf3f"
        );
    }
}
