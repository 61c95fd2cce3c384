//! The proxy in front of a cluster (HAProxy): health checks against Patroni's `/primary` and
//! `/replica`, and the backends that writes and reads go to.
use crate::postgres::Role;
use crate::world::NoteKind;
use crate::world::{Ev, World};

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
    pub fn pick(&self, write: bool, c: u32) -> Option<u16> {
        let set = if write || self.read_up.is_empty() { &self.write_up } else { &self.read_up };
        (!set.is_empty()).then(|| set[c as usize % set.len()])
    }
}

impl World {
    /// HAProxy's health checks against Patroni's `/primary` (and `/replica` for reads).
    pub(crate) fn on_proxy_check(&mut self) -> u64 {
        self.after(self.proxy_interval(), Ev::ProxyCheck);
        let (fall, rise) = (self.c.proxy_fall, self.c.proxy_rise);
        let mut changed = 0;
        for n in 0..self.c.nodes.len() as u16 {
            let node = &self.c.nodes[n as usize];
            let reach = self.c.net.reachable(self.c.eps.proxy, n as usize) && self.c.net.reachable(n as usize, self.c.eps.proxy);
            let ok = reach && node.agent.up && node.is_running() && node.role == Role::Primary && node.agent.is_leader;
            let i = n as usize;
            if ok {
                self.c.proxy.oks[i] += 1;
                self.c.proxy.fails[i] = 0;
                if !self.c.proxy.up[i] && self.c.proxy.oks[i] >= rise {
                    self.c.proxy.up[i] = true;
                    changed += 1;
                    self.note(Some(n), NoteKind::Proxy, "proxy: primary backend is UP".into());
                }
            } else {
                self.c.proxy.fails[i] += 1;
                self.c.proxy.oks[i] = 0;
                if self.c.proxy.up[i] && self.c.proxy.fails[i] >= fall {
                    self.c.proxy.up[i] = false;
                    changed += 1;
                    self.note(Some(n), NoteKind::Proxy, "proxy: primary backend is DOWN (sessions shut down)".into());
                    self.shutdown_sessions(n);
                }
            }
        }
        self.refresh_routes();
        changed
    }

    pub(crate) fn refresh_routes(&mut self) {
        let px = self.c.eps.proxy;
        self.c.proxy.write_up = (0..self.c.nodes.len() as u16).filter(|&n| self.c.proxy.up[n as usize]).collect();
        self.c.proxy.read_up = (0..self.c.nodes.len() as u16)
            .filter(|&n| {
                let o = &self.c.nodes[n as usize];
                o.is_running() && o.role == Role::Standby && self.c.net.reachable(px, n as usize)
            })
            .collect();
    }
}
