//! The model's types the front ends may name, and only these. The web crate does not depend on
//! `sim-core`: it reads runs through the session and its views, and names the model only through
//! this list (the command type, times and LSNs, and the plain-data reports the pages draw), so
//! what a page can reach is decided here. Paths mirror `sim-core`'s.
pub use sim_core::{Command, Lsn, Setting, SimDur, SimTime};

pub mod command {
    pub use sim_core::command::{action_command, log_from_toml, split_log};
}

pub mod drill {
    pub use sim_core::drill::{Drill, DrillResult};
}

pub mod lsn {
    pub use sim_core::lsn::{Lsn, SEGMENT_BYTES};
}

pub mod migrate {
    pub mod cfg {
        pub use sim_core::migrate::cfg::is_migration;
    }
}

pub mod report {
    pub use sim_core::report::Hop;
}

pub mod runner {
    pub mod replicas {
        pub use sim_core::runner::replicas::ShardHa;
    }
    pub mod sharded {
        pub use sim_core::runner::sharded::is_sharding;
    }
}

pub mod scenario {
    pub use sim_core::scenario::Ability;
}

pub mod shard {
    pub mod cluster {
        pub use sim_core::shard::cluster::{shard_names, Config, Move, Reshard, ReshardPhase, Run, Vindex};
    }
    pub mod query {
        pub use sim_core::shard::query::Route;
    }
    pub mod front {
        pub use sim_core::shard::front::ClusterStatus;
    }
    pub mod placement {
        pub use sim_core::shard::placement::{strategy_name, Placement};
    }
}
