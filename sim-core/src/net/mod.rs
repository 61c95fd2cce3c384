//! The simulated network: endpoints in regions and zones, latency with jitter, cuts and drops.
use crate::rng::SimRng;
use crate::time::SimDur;

/// Index of an endpoint (a Postgres host, the DCS, the proxy, or the client group).
pub type Ep = usize;

/// One directed link: its latency, the latency an operator added, its drop rate and whether it
/// is cut.
#[derive(Clone, Copy, Debug, Default)]
struct Link {
    base_us: u64,
    jitter_us: u64,
    extra_us: u64,
    drop_ppm: u32,
    cut: bool,
}

/// A dense matrix of links over endpoints, so a send costs O(1) and reads one link.
#[derive(Clone, Debug)]
pub struct Net {
    n: usize,
    links: Vec<Link>,
}

impl Net {
    /// `one_way(a, b) -> (base µs, jitter µs)` gives each pair's latency.
    pub fn new(n: usize, one_way: impl Fn(Ep, Ep) -> (u64, u64)) -> Self {
        let mut links = vec![Link::default(); n * n];
        for a in 0..n {
            for b in 0..n {
                let (l, j) = if a == b { (0, 0) } else { one_way(a, b) };
                links[a * n + b] = Link { base_us: l, jitter_us: j, ..Link::default() };
            }
        }
        Net { n, links }
    }
    #[inline]
    fn link(&self, a: Ep, b: Ep) -> &Link {
        &self.links[a * self.n + b]
    }
    #[inline]
    fn link_mut(&mut self, a: Ep, b: Ep) -> &mut Link {
        &mut self.links[a * self.n + b]
    }
    /// Whether `a` can currently reach `b` (ignoring random drops).
    #[inline]
    pub fn reachable(&self, a: Ep, b: Ep) -> bool {
        !self.link(a, b).cut
    }
    /// Delay of one message from `a` to `b`, or `None` if it is cut or dropped.
    #[inline]
    pub fn send(&self, a: Ep, b: Ep, rng: &mut SimRng) -> Option<SimDur> {
        let l = self.link(a, b);
        if l.cut || (l.drop_ppm > 0 && rng.chance_ppm(l.drop_ppm)) {
            return None;
        }
        Some(SimDur(l.base_us + l.extra_us + jitter(l.jitter_us, rng)))
    }
    /// Mean round trip, without jitter: what a well-behaved RPC costs.
    pub fn rtt(&self, a: Ep, b: Ep) -> SimDur {
        let (i, j) = (self.link(a, b), self.link(b, a));
        SimDur(i.base_us + i.extra_us + j.base_us + j.extra_us)
    }
    pub fn drop_ppm(&self, a: Ep, b: Ep) -> u32 {
        self.link(a, b).drop_ppm
    }
    pub fn set_cut(&mut self, a: Ep, b: Ep, cut: bool) {
        self.link_mut(a, b).cut = cut;
    }
    pub fn heal_all(&mut self) {
        self.links.iter_mut().for_each(|l| l.cut = false);
    }
    pub fn add_latency(&mut self, a: Ep, b: Ep, us: u64) {
        self.link_mut(a, b).extra_us = us;
    }
    pub fn set_drop(&mut self, a: Ep, b: Ep, ppm: u32) {
        self.link_mut(a, b).drop_ppm = ppm;
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
