//! Deterministic identifiers: AMI, snapshot, request and entity ids drawn from a seeded
//! SplitMix64 stream, so a sandbox started with the same seed and fed the same requests hands out
//! the same ids (tests can rely on that; nothing real should).

/// A seeded generator of ids.
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }

    /// `n` lower-case letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[(self.next_u64() % CHARS.len() as u64) as usize] as char)
            .collect()
    }

    /// A version-4-shaped UUID.
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    /// An id with a prefix and 17 hex digits (`ami-…`, `snap-…`, `vol-…`).
    pub fn resource(&mut self, prefix: &str) -> String {
        format!("{prefix}-{}", self.hex(17))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_ids() {
        let (mut a, mut b) = (IdGen::new(7), IdGen::new(7));
        assert_eq!(a.resource("ami"), b.resource("ami"));
        assert_ne!(a.uuid(), IdGen::new(8).uuid());
    }

    #[test]
    fn ids_have_the_aws_shapes() {
        let mut g = IdGen::new(1);
        let ami = g.resource("ami");
        assert!(ami.len() == 21 && ami.starts_with("ami-"));
        let u = g.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert!((0.0..1.0).contains(&g.next_f64()));
    }
}
