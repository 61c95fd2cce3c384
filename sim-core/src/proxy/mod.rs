//! The proxy in front of a cluster (HAProxy): health checks against Patroni's `/primary` and
//! `/replica`, and the backends that writes and reads go to.
pub mod cfg;
use crate::net::{Ep, Net};
use crate::postgres::{Node, Role};

/// An HAProxy-like router: health-checks Patroni's `/primary` and sends writes to nodes marked UP.
#[derive(Clone, Debug, Default)]
pub struct Proxy {
    pub up: Vec<bool>,
    pub oks: Vec<u32>,
    pub fails: Vec<u32>,
    pub write_up: Vec<u16>,
    pub read_up: Vec<u16>,
}

impl Proxy {
    #[inline]
    pub fn pick(&self, write: bool, c: u32) -> Option<u16> {
        let set = if write || self.read_up.is_empty() { &self.write_up } else { &self.read_up };
        (!set.is_empty()).then(|| set[c as usize % set.len()])
    }

    /// One round of health checks against every member's `/primary` from the proxy at `px`: a
    /// backend goes DOWN after `fall` failed checks in a row and UP after `rise` good ones.
    /// Returns the backends that flipped, in member order (`true`: now UP).
    pub fn check(&mut self, nodes: &[Node], net: &Net, px: Ep, fall: u32, rise: u32) -> Vec<(u16, bool)> {
        let mut flips = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let reach = net.reachable(px, i) && net.reachable(i, px);
            let ok = reach && node.agent.up && node.is_running() && node.role == Role::Primary && node.agent.is_leader;
            if ok {
                self.oks[i] += 1;
                self.fails[i] = 0;
                if !self.up[i] && self.oks[i] >= rise {
                    self.up[i] = true;
                    flips.push((i as u16, true));
                }
            } else {
                self.fails[i] += 1;
                self.oks[i] = 0;
                if self.up[i] && self.fails[i] >= fall {
                    self.up[i] = false;
                    flips.push((i as u16, false));
                }
            }
        }
        flips
    }

    /// Where writes (backends marked UP) and reads (running standbys it reaches) go now.
    pub fn refresh(&mut self, nodes: &[Node], net: &Net, px: Ep) {
        self.write_up = (0..nodes.len() as u16).filter(|&n| self.up[n as usize]).collect();
        self.read_up = (0..nodes.len() as u16)
            .filter(|&n| {
                let o = &nodes[n as usize];
                o.is_running() && o.role == Role::Standby && net.reachable(px, n as usize)
            })
            .collect();
    }
}
