//! The simulated network: endpoints in regions and zones, latency with jitter, cuts and drops.
use crate::rng::SimRng;
use crate::time::SimDur;

/// Index of an endpoint (a Postgres host, the DCS, the proxy, or the client group).
pub type Ep = usize;

/// Dense matrices over endpoints, so a send costs O(1).
#[derive(Clone, Debug)]
pub struct Net {
    n: usize,
    base_us: Vec<u64>,
    jitter_us: Vec<u64>,
    extra_us: Vec<u64>,
    drop_ppm: Vec<u32>,
    cut: Vec<bool>,
}

impl Net {
    /// `one_way(a, b) -> (base µs, jitter µs)` gives each pair's latency.
    pub fn new(n: usize, one_way: impl Fn(Ep, Ep) -> (u64, u64)) -> Self {
        let mut base_us = vec![0; n * n];
        let mut jitter_us = vec![0; n * n];
        for a in 0..n {
            for b in 0..n {
                let (l, j) = if a == b { (0, 0) } else { one_way(a, b) };
                base_us[a * n + b] = l;
                jitter_us[a * n + b] = j;
            }
        }
        Net { n, base_us, jitter_us, extra_us: vec![0; n * n], drop_ppm: vec![0; n * n], cut: vec![false; n * n] }
    }
    fn ix(&self, a: Ep, b: Ep) -> usize {
        a * self.n + b
    }
    /// Whether `a` can currently reach `b` (ignoring random drops).
    #[inline]
    pub fn reachable(&self, a: Ep, b: Ep) -> bool {
        !self.cut[self.ix(a, b)]
    }
    /// Delay of one message from `a` to `b`, or `None` if it is cut or dropped.
    #[inline]
    pub fn send(&self, a: Ep, b: Ep, rng: &mut SimRng) -> Option<SimDur> {
        let i = self.ix(a, b);
        if self.cut[i] || (self.drop_ppm[i] > 0 && rng.chance_ppm(self.drop_ppm[i])) {
            return None;
        }
        Some(SimDur(self.base_us[i] + self.extra_us[i] + jitter(self.jitter_us[i], rng)))
    }
    /// Mean round trip, without jitter: what a well-behaved RPC costs.
    pub fn rtt(&self, a: Ep, b: Ep) -> SimDur {
        let (i, j) = (self.ix(a, b), self.ix(b, a));
        SimDur(self.base_us[i] + self.extra_us[i] + self.base_us[j] + self.extra_us[j])
    }
    pub fn drop_ppm(&self, a: Ep, b: Ep) -> u32 {
        self.drop_ppm[self.ix(a, b)]
    }
    pub fn set_cut(&mut self, a: Ep, b: Ep, cut: bool) {
        let i = self.ix(a, b);
        self.cut[i] = cut;
    }
    pub fn heal_all(&mut self) {
        self.cut.iter_mut().for_each(|c| *c = false);
    }
    pub fn add_latency(&mut self, a: Ep, b: Ep, us: u64) {
        let i = self.ix(a, b);
        self.extra_us[i] = us;
    }
    pub fn set_drop(&mut self, a: Ep, b: Ep, ppm: u32) {
        let i = self.ix(a, b);
        self.drop_ppm[i] = ppm;
    }
}

#[inline]
fn jitter(max: u64, rng: &mut SimRng) -> u64 {
    if max == 0 {
        0
    } else {
        rng.below(max + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn cuts_are_directional_and_heal() {
        let mut net = Net::new(3, |_, _| (500, 0));
        let mut rng = SimRng::derive(1, "n");
        net.set_cut(0, 1, true);
        assert!(net.send(0, 1, &mut rng).is_none());
        assert_eq!(net.send(1, 0, &mut rng), Some(SimDur(500)));
        net.heal_all();
        assert!(net.reachable(0, 1));
        net.add_latency(0, 2, 1000);
        assert_eq!(net.rtt(0, 2), SimDur(2000));
    }
}
