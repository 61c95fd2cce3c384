//! HAProxy's health checks in the world: the proxy's own state changes in `Proxy::check`; the world adds the notes and closes the sessions on a backend gone DOWN.
use crate::world::NoteKind;
use crate::world::{Ev, World};

impl World {
    /// HAProxy's health checks against Patroni's `/primary` (and `/replica` for reads). The
    /// proxy's own state changes in `Proxy::check`, which borrows only the members and the
    /// network; the world adds the notes and closes the sessions on a backend gone DOWN.
    #[inline(never)]
    pub(crate) fn on_proxy_check(&mut self) -> u64 {
        self.after(self.proxy_interval(), Ev::ProxyCheck);
        let c = &mut *self.c;
        let flips = c.proxy.check(&c.nodes, &c.net, c.eps.proxy, c.proxy_fall, c.proxy_rise);
        for &(n, up) in &flips {
            if up {
                self.note(Some(n), NoteKind::Proxy, "proxy: primary backend is UP".into());
            } else {
                self.note(Some(n), NoteKind::Proxy, "proxy: primary backend is DOWN (sessions shut down)".into());
                self.shutdown_sessions(n);
            }
        }
        self.refresh_routes();
        for &(n, up) in &flips {
            if !up {
                self.broadcast(crate::event::Fact::BackendDown { n });
            }
        }
        flips.len() as u64
    }

    pub(crate) fn refresh_routes(&mut self) {
        let c = &mut *self.c;
        c.proxy.refresh(&c.nodes, &c.net, c.eps.proxy);
    }
}
