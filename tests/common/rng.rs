//! xorshift64*: small, seedable, good enough to pick random actions in the stress tests.
//! Shared by the Qt tests (`mod common;`) and the core tests (`#[path]`-included), so it uses
//! nothing but `std`. `QWORKER_SEED=<n>` replays a run.

/// The seed for a stress run: `QWORKER_SEED` if set (and a number), else from the clock.
pub fn seed() -> u64 {
    std::env::var("QWORKER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

/// xorshift64*; the same seed gives the same sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
