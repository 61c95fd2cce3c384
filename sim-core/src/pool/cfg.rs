//! `[pooling]`: the application tier, PgBouncer and the primary's host, as a lesson writes them.
use crate::base::settings::{int_in, Form, Setting, SettingDef, Value};
use crate::base::{check_dur as dur, check_range as range, Dur, Invalid, Seg};
use crate::time::SimDur;
use serde::{Deserialize, Serialize};

/// The most simulated users a lesson may have. Users arrive as one process per app server, so
/// the bound is on the request rate they offer, not on memory per user; see `MAX_OFFERED`.
pub const MAX_USERS: u64 = 2_000_000;
/// The most requests per second the users may offer (`users / think_time`).
pub const MAX_OFFERED: f64 = 100_000.0;
/// The most client connections the app tier may hold (`app_servers × app_pool_size`).
pub const MAX_APP_CONNS: u64 = 100_000;

/// PgBouncer's `pool_mode`: when a server connection goes back to the pool.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PoolMode {
    /// When the client disconnects (the default).
    Session,
    /// At COMMIT or ROLLBACK.
    Transaction,
    /// After each statement: multi-statement transactions are refused.
    Statement,
}

impl PoolMode {
    pub fn name(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
            PoolMode::Statement => "statement",
        }
    }
    pub fn parse(s: &str) -> Result<PoolMode, String> {
        match s.trim().trim_matches(|c| c == '"' || c == '\'') {
            "session" => Ok(PoolMode::Session),
            "transaction" => Ok(PoolMode::Transaction),
            "statement" => Ok(PoolMode::Statement),
            other => Err(format!("unknown pool_mode `{other}`; known: session, transaction, statement")),
        }
    }
}

/// Session state an application keeps on its connection, which transaction pooling breaks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// `SET search_path = tenant_42` once per connection.
    Set,
    /// `pg_advisory_lock()` in one transaction, `pg_advisory_unlock()` in a later one.
    AdvisoryLock,
    /// SQL-level `PREPARE stmt_1 AS …` then `EXECUTE stmt_1`.
    SqlPrepare,
    /// Protocol-level prepared statements (the JDBC driver's `S_1`): kept by PgBouncer 1.21+
    /// when `max_prepared_statements` > 0.
    ProtocolPrepare,
}

/// `[pooling]`: simulated users behind app servers, each app server with its own client-side
/// pool (HikariCP's settings), optionally PgBouncer, and the primary's host.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PoolingCfg {
    /// Simulated users; each sends a request, waits for it, thinks, and sends the next.
    pub users: u64,
    /// Mean think time between a user's answer and their next request (exponential).
    pub think_time: Dur,
    pub app_servers: u32,
    /// HikariCP's `maximumPoolSize` on each app server (its connections are opened at start).
    pub app_pool_size: u32,
    /// HikariCP's `connectionTimeout`: a request waiting this long for a pooled connection fails.
    pub connection_timeout: Dur,
    /// Statements per transaction (a round trip each).
    pub statements: u32,
    /// Share of requests that are one autocommit statement (the rest are `BEGIN … COMMIT`).
    pub single_statement_share: f64,
    /// Mean CPU time one statement needs on the primary with no contention.
    pub cpu_per_statement: Dur,
    /// Round trip from the app through PgBouncer (or straight) to Postgres and back.
    pub rtt: Dur,
    /// The primary's host: CPU cores and memory.
    pub cores: u32,
    pub ram_gb: u64,
    pub shared_buffers_gb: u64,
    /// Memory of one idle backend (its private memory: catalog caches, stack, buffers).
    pub backend_mb: u64,
    /// `work_mem`, and the share of running transactions with a sort or hash using it.
    pub work_mem_mb: u64,
    pub work_mem_share: f64,
    /// Session state the app relies on, and the share of transactions that use it.
    pub session_state: Vec<SessionState>,
    pub session_state_share: f64,
    /// `[pooling.pgbouncer]`: PgBouncer between the app tier and Postgres (absent: the app
    /// servers connect straight to the primary through the proxy).
    pub pgbouncer: Option<BouncerCfg>,
}

impl Default for PoolingCfg {
    fn default() -> Self {
        PoolingCfg {
            users: 1000,
            think_time: Dur(SimDur::secs(30)),
            app_servers: 4,
            app_pool_size: 10,
            connection_timeout: Dur(SimDur::secs(30)),
            statements: 3,
            single_statement_share: 0.0,
            cpu_per_statement: Dur(SimDur(100)),
            rtt: Dur(SimDur(500)),
            cores: 8,
            ram_gb: 32,
            shared_buffers_gb: 8,
            backend_mb: 10,
            work_mem_mb: 4,
            work_mem_share: 0.1,
            session_state: Vec::new(),
            session_state_share: 0.0,
            pgbouncer: None,
        }
    }
}

/// `[pooling.pgbouncer]`: PgBouncer's settings, with its defaults.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct BouncerCfg {
    pub pool_mode: PoolMode,
    pub default_pool_size: u32,
    pub max_client_conn: u32,
    pub reserve_pool_size: u32,
    pub reserve_pool_timeout: Dur,
    pub query_wait_timeout: Dur,
    pub server_idle_timeout: Dur,
    pub server_login_retry: Dur,
    pub max_prepared_statements: u32,
}

impl Default for BouncerCfg {
    fn default() -> Self {
        BouncerCfg {
            pool_mode: PoolMode::Session,
            default_pool_size: 20,
            max_client_conn: 100,
            reserve_pool_size: 0,
            reserve_pool_timeout: Dur(SimDur::secs(5)),
            query_wait_timeout: Dur(SimDur::secs(120)),
            server_idle_timeout: Dur(SimDur::secs(600)),
            server_login_retry: Dur(SimDur::secs(15)),
            max_prepared_statements: 200,
        }
    }
}

fn at(field: &'static str) -> Vec<Seg> {
    vec![Seg::Key("pooling"), Seg::Key(field)]
}
fn at_bouncer(field: &'static str) -> Vec<Seg> {
    vec![Seg::Key("pooling"), Seg::Key("pgbouncer"), Seg::Key(field)]
}

fn share(path: Vec<Seg>, name: &str, v: f64) -> Result<(), Invalid> {
    if !(0.0..=1.0).contains(&v) {
        return Err(crate::base::invalid(path, format!("{name} = {v} must be between 0 and 1")));
    }
    Ok(())
}

impl PoolingCfg {
    /// The settings groups this section gives a lesson: PgBouncer's, with `[pooling.pgbouncer]`.
    pub fn setting_groups(&self) -> impl Iterator<Item = &'static str> {
        self.pgbouncer.as_ref().map(|_| "pgbouncer").into_iter()
    }

    /// The primary's host as the section describes it, for the request pipeline's CPU stage.
    pub fn host(&self) -> crate::pipeline::HostCfg {
        crate::pipeline::HostCfg {
            cores: self.cores,
            ram_mb: self.ram_gb * 1024,
            shared_buffers_mb: self.shared_buffers_gb * 1024,
            backend_mb: self.backend_mb,
            work_mem_mb: self.work_mem_mb,
            work_mem_share: self.work_mem_share,
        }
    }

    /// The section's semantic checks, each naming its field.
    pub fn check(&self, max_connections: u64) -> Result<(), Invalid> {
        range(at("users"), "users", self.users, 1, MAX_USERS)?;
        dur(at("think_time"), "think_time", self.think_time, SimDur::ms(100), SimDur::secs(3600))?;
        let offered = self.offered_per_s();
        if offered > MAX_OFFERED {
            return Err(crate::base::invalid(
                at("users"),
                format!("users / think_time = {} / {} offers {offered:.0} requests/s, more than the {MAX_OFFERED:.0} a lesson may simulate", self.users, self.think_time.0.human()),
            ));
        }
        range(at("app_servers"), "app_servers", self.app_servers.into(), 1, 10_000)?;
        range(at("app_pool_size"), "app_pool_size", self.app_pool_size.into(), 1, 10_000)?;
        let conns = u64::from(self.app_servers) * u64::from(self.app_pool_size);
        if conns > MAX_APP_CONNS {
            return Err(crate::base::invalid(at("app_pool_size"), format!("app_servers × app_pool_size = {conns} connections, more than {MAX_APP_CONNS}")));
        }
        dur(at("connection_timeout"), "connection_timeout", self.connection_timeout, SimDur::ms(250), SimDur::secs(3600))?;
        range(at("statements"), "statements", self.statements.into(), 1, 100)?;
        share(at("single_statement_share"), "single_statement_share", self.single_statement_share)?;
        dur(at("cpu_per_statement"), "cpu_per_statement", self.cpu_per_statement, SimDur(1), SimDur::secs(10))?;
        dur(at("rtt"), "rtt", self.rtt, SimDur(1), SimDur::secs(1))?;
        range(at("cores"), "cores", self.cores.into(), 1, 1024)?;
        range(at("ram_gb"), "ram_gb", self.ram_gb, 1, 65_536)?;
        if self.shared_buffers_gb >= self.ram_gb {
            return Err(crate::base::invalid(at("shared_buffers_gb"), format!("shared_buffers_gb = {} must be below ram_gb = {}", self.shared_buffers_gb, self.ram_gb)));
        }
        range(at("backend_mb"), "backend_mb", self.backend_mb, 1, 4096)?;
        range(at("work_mem_mb"), "work_mem_mb", self.work_mem_mb, 0, 65_536)?;
        share(at("work_mem_share"), "work_mem_share", self.work_mem_share)?;
        share(at("session_state_share"), "session_state_share", self.session_state_share)?;
        if self.session_state_share > 0.0 && self.session_state.is_empty() {
            return Err(crate::base::invalid(at("session_state"), "session_state_share > 0 needs at least one kind of session_state"));
        }
        if !(4..=100_000).contains(&max_connections) {
            return Err(crate::base::invalid(vec![Seg::Key("postgres"), Seg::Key("max_connections")], format!("max_connections = {max_connections} must be 4 to 100000")));
        }
        if let Some(b) = &self.pgbouncer {
            b.check()?;
        }
        Ok(())
    }

    /// Requests per second the users offer when none is waiting: `users / think_time`.
    pub fn offered_per_s(&self) -> f64 {
        self.users as f64 * 1e6 / self.think_time.0 .0.max(1) as f64
    }
}

impl BouncerCfg {
    pub fn check(&self) -> Result<(), Invalid> {
        range(at_bouncer("default_pool_size"), "default_pool_size", self.default_pool_size.into(), 1, 10_000)?;
        range(at_bouncer("max_client_conn"), "max_client_conn", self.max_client_conn.into(), 1, MAX_APP_CONNS)?;
        range(at_bouncer("reserve_pool_size"), "reserve_pool_size", self.reserve_pool_size.into(), 0, 10_000)?;
        dur(at_bouncer("reserve_pool_timeout"), "reserve_pool_timeout", self.reserve_pool_timeout, SimDur::ZERO, SimDur::secs(3600))?;
        dur(at_bouncer("query_wait_timeout"), "query_wait_timeout", self.query_wait_timeout, SimDur::ms(100), SimDur::secs(86_400))?;
        dur(at_bouncer("server_idle_timeout"), "server_idle_timeout", self.server_idle_timeout, SimDur::secs(1), SimDur::secs(86_400))?;
        dur(at_bouncer("server_login_retry"), "server_login_retry", self.server_login_retry, SimDur::ms(100), SimDur::secs(3600))?;
        range(at_bouncer("max_prepared_statements"), "max_prepared_statements", self.max_prepared_statements.into(), 0, 100_000)?;
        Ok(())
    }
}

/// PgBouncer's settings a running pool takes, applied as a `RELOAD` applies them (the lesson needs `[pooling.pgbouncer]`).
pub const SETTINGS: &[SettingDef] = &[
    SettingDef {
        name: "pool_mode",
        group: "pgbouncer",
        options: &["session", "transaction", "statement"],
        offered: true,
        form: Form::Choice,
        sample: "transaction",
        parse: |v| PoolMode::parse(v).map(|m| Value::Choice(m.name().into())),
    },
    SettingDef { name: "default_pool_size", group: "pgbouncer", options: &[], offered: true, form: Form::Whole, sample: "20", parse: |v| int_in("default_pool_size", v, 1, 10_000) },
    SettingDef { name: "reserve_pool_size", group: "pgbouncer", options: &[], offered: true, form: Form::Whole, sample: "5", parse: |v| int_in("reserve_pool_size", v, 0, 10_000) },
    SettingDef { name: "max_client_conn", group: "pgbouncer", options: &[], offered: false, form: Form::Whole, sample: "1000", parse: |v| int_in("max_client_conn", v, 1, MAX_APP_CONNS) },
    SettingDef { name: "max_prepared_statements", group: "pgbouncer", options: &[], offered: true, form: Form::Whole, sample: "100", parse: |v| int_in("max_prepared_statements", v, 0, 100_000) },
    SettingDef {
        name: "query_wait_timeout",
        group: "pgbouncer",
        options: &[],
        offered: true,
        form: Form::Dur,
        sample: "250ms",
        parse: |v| {
            let d = crate::time::parse_duration(v)?;
            if d < SimDur::ms(100) || d > SimDur::secs(86_400) {
                return Err(format!("query_wait_timeout = {} must be 100ms to 1 day", d.human()));
            }
            Ok(Value::Dur(d))
        },
    },
];

/// What a PgBouncer setting changes.
pub fn set(b: &mut BouncerCfg, s: &Setting) {
    let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    match (s.name, &s.value) {
        ("pool_mode", Value::Choice(v)) => b.pool_mode = PoolMode::parse(v).unwrap_or(b.pool_mode),
        ("default_pool_size", Value::Int(v)) => b.default_pool_size = small(*v),
        ("reserve_pool_size", Value::Int(v)) => b.reserve_pool_size = small(*v),
        ("max_client_conn", Value::Int(v)) => b.max_client_conn = small(*v),
        ("max_prepared_statements", Value::Int(v)) => b.max_prepared_statements = small(*v),
        ("query_wait_timeout", Value::Dur(d)) => b.query_wait_timeout = Dur(*d),
        _ => {}
    }
}

/// A PgBouncer setting's value now.
pub fn read(b: &BouncerCfg, name: &str) -> Option<Value> {
    Some(match name {
        "pool_mode" => Value::Choice(b.pool_mode.name().into()),
        "default_pool_size" => Value::Int(b.default_pool_size.into()),
        "reserve_pool_size" => Value::Int(b.reserve_pool_size.into()),
        "max_client_conn" => Value::Int(b.max_client_conn.into()),
        "max_prepared_statements" => Value::Int(b.max_prepared_statements.into()),
        "query_wait_timeout" => Value::Dur(b.query_wait_timeout.0),
        _ => return None,
    })
}
