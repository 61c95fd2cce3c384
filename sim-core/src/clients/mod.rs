//! The client workload: closed-loop clients that write and read through the proxy, and reconnect.
pub mod cfg;
use crate::rng::{SimRng, Zipf};
use crate::time::{SimDur, SimTime};
use cfg::{KeyDist, WorkloadCfg};

/// One client session and its request in flight.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub gen: u32,
    pub busy: bool,
    pub node: u16,
    pub write: bool,
    pub sent_at: SimTime,
    /// The row the current request writes, and (for the router's connections) the version.
    pub key: u64,
    pub ver: u64,
    pub next_at: SimTime,
}

/// The client workload: its sessions, its settings and its own random stream. Its methods
/// borrow only this; the world's handlers below wire it to the proxy, the servers and the metrics.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
    pub list: Vec<Client>,
    pub wl: WorkloadCfg,
    pub rng: SimRng,
    pub zipf: Option<Zipf>,
    /// The sessions are the shard router's connections: they send only what the router hands
    /// them, and their answers go back to the router.
    pub driven: bool,
}

/// A request that ended with an answer: what it was and when the client may send the next.
pub(crate) struct Done {
    pub write: bool,
    pub sent_at: SimTime,
    pub next_at: SimTime,
}

impl Clients {
    /// Whether the workload sends anything at all.
    pub fn active(&self) -> bool {
        self.wl.clients > 0 && (self.wl.write_tps + self.wl.read_tps) > 0.0
    }

    #[inline]
    fn mean_gap_us(&self) -> u64 {
        let tps = self.wl.write_tps + self.wl.read_tps;
        (self.wl.clients as f64 * 1e6 / tps) as u64
    }

    /// The key a write touches (kept for later chapters; zipf or uniform).
    #[inline]
    fn key(&mut self) -> u64 {
        match (&self.zipf, self.wl.distribution) {
            (Some(z), KeyDist::Zipf) => z.sample(&mut self.rng),
            _ => 1 + self.rng.below(self.wl.keys.max(1)),
        }
    }

    /// Client `c`'s next request, if it is idle: whether it writes, and the key.
    #[inline]
    pub fn draw(&mut self, c: u32) -> Option<(bool, u64)> {
        if self.list[c as usize].busy {
            return None;
        }
        let total = self.wl.write_tps + self.wl.read_tps;
        let write = self.rng.unit() * total < self.wl.write_tps;
        Some((write, self.key()))
    }

    /// Client `c` sends its request to node `n` at `now`; its generation, so a late timeout or
    /// reply of an earlier request can never end this one. Draws its think time.
    #[inline]
    pub fn start(&mut self, c: u32, write: bool, key: u64, n: u16, now: SimTime) -> u32 {
        let gen = self.send(c, write, key, n, now);
        let gap = self.rng.exp(self.mean_gap_us());
        self.list[c as usize].next_at = now + SimDur(gap);
        gen
    }

    /// Client `c` waits for its request to node `n` (sent at `now`): the request's generation.
    /// (A router's connection sends what the router hands it, with no think time.)
    #[inline]
    pub fn send(&mut self, c: u32, write: bool, key: u64, n: u16, now: SimTime) -> u32 {
        let cl = &mut self.list[c as usize];
        cl.busy = true;
        cl.write = write;
        cl.node = n;
        cl.sent_at = now;
        cl.key = key;
        cl.gen = cl.gen.wrapping_add(1);
        cl.gen
    }

    /// The answer to request `gen` of client `c` arrives; `None` if the client stopped waiting.
    #[inline]
    pub fn finish(&mut self, c: u32, gen: u32) -> Option<Done> {
        let cl = &mut self.list[c as usize];
        if cl.gen != gen || !cl.busy {
            return None;
        }
        cl.busy = false;
        Some(Done { write: cl.write, sent_at: cl.sent_at, next_at: cl.next_at })
    }

    /// Client `c` stops waiting for request `gen`: whether it wrote, and the node it waited on.
    #[inline]
    pub fn give_up(&mut self, c: u32, gen: u32) -> Option<(bool, u16)> {
        let cl = &mut self.list[c as usize];
        if cl.gen != gen || !cl.busy {
            return None;
        }
        cl.gen += 1;
        cl.busy = false;
        Some((cl.write, cl.node))
    }

    /// What client `c`'s current request does on the server: a read, or a write of its key.
    #[inline]
    pub fn work(&self, c: u32) -> crate::pipeline::Work {
        let cl = &self.list[c as usize];
        if cl.write {
            crate::pipeline::Work::Write { key: cl.key }
        } else {
            crate::pipeline::Work::Read
        }
    }

    /// When client `c` stops waiting for its current request, and that request's generation.
    #[inline]
    pub fn deadline(&self, c: u32) -> (SimTime, u32) {
        let cl = &self.list[c as usize];
        (cl.sent_at + self.wl.timeout.0, cl.gen)
    }

    /// The deadline of request `gen` of client `c`, if the client still waits for it.
    #[inline]
    pub fn waiting(&self, c: u32, gen: u32) -> Option<SimTime> {
        let cl = &self.list[c as usize];
        (cl.gen == gen && cl.busy).then(|| cl.sent_at + self.wl.timeout.0)
    }

    /// Closes the sessions waiting on node `n`: each client and the generation its answer (the
    /// connection's termination) carries.
    pub fn close_on(&mut self, n: u16) -> Vec<(u32, u32)> {
        let mut closed = Vec::new();
        for (c, cl) in self.list.iter_mut().enumerate() {
            if cl.busy && cl.node == n {
                cl.gen += 1;
                closed.push((c as u32, cl.gen));
            }
        }
        closed
    }
}

pub use crate::pipeline::{Answer, NO_BACKEND, OK, READ_ONLY, REFUSED, TERMINATED, UNDEFINED_TABLE};

/// The table the clients write, in the shared catalog: `accounts (id bigint primary key, balance
/// bigint)` with one row per workload key, sized as PostgreSQL packs it.
pub fn accounts(cfg: &WorkloadCfg) -> sim_catalog::TableInfo {
    let col = |name: &str| sim_catalog::Column { name: name.into(), ty: sim_catalog::ColType::Bigint, text: None };
    sim_catalog::TableInfo::fixed("accounts", vec![col("id"), col("balance")], cfg.keys)
}

/// WAL records are 8-byte aligned (MAXALIGN).
pub(crate) fn align8(v: u64) -> u64 {
    (v + 7) & !7
}
