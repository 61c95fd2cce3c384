//! `[patroni]`: Patroni's timings and modes, with Patroni's own limits.
use crate::base::settings::{boolean, int, Form, Setting, SettingDef, Value};
use crate::base::{dur_ms, Dur};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PatroniCfg {
    pub ttl: u64,
    pub loop_wait: u64,
    pub retry_timeout: u64,
    pub maximum_lag_on_failover: u64,
    pub synchronous_mode: bool,
    pub synchronous_mode_strict: bool,
    pub use_pg_rewind: bool,
    pub fencing: bool,
    pub dcs_attempt: Dur,
}

impl Default for PatroniCfg {
    fn default() -> Self {
        PatroniCfg {
            ttl: 30,
            loop_wait: 10,
            retry_timeout: 10,
            maximum_lag_on_failover: 1_048_576,
            synchronous_mode: false,
            synchronous_mode_strict: false,
            use_pg_rewind: true,
            fencing: true,
            dcs_attempt: dur_ms(1000),
        }
    }
}

impl PatroniCfg {
    /// Patroni's own limits and the rule `loop_wait + 2 * retry_timeout <= ttl`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (field, v) in [("ttl", self.ttl), ("loop_wait", self.loop_wait), ("retry_timeout", self.retry_timeout)] {
            if v > 86_400 {
                return Err((field, format!("{field} = {v} s is more than a day")));
            }
        }
        if self.ttl < 20 {
            return Err(("ttl", format!("ttl = {} is below Patroni's minimum of 20 s", self.ttl)));
        }
        if self.loop_wait < 1 {
            return Err(("loop_wait", "loop_wait must be at least 1 s".into()));
        }
        if self.retry_timeout < 3 {
            return Err(("retry_timeout", format!("retry_timeout = {} is below Patroni's minimum of 3 s", self.retry_timeout)));
        }
        if self.loop_wait + 2 * self.retry_timeout > self.ttl {
            return Err((
                "ttl",
                format!(
                    "loop_wait + 2 * retry_timeout = {} + 2 * {} = {} exceeds ttl = {}: a leader cut off from the DCS could not demote itself before its key expires, so two primaries could run",
                    self.loop_wait,
                    self.retry_timeout,
                    self.loop_wait + 2 * self.retry_timeout,
                    self.ttl
                ),
            ));
        }
        Ok(())
    }
}

/// Patroni's settings a running cluster takes (`patronictl edit-config`).
pub const SETTINGS: &[SettingDef] = &[
    SettingDef { name: "synchronous_mode", group: "replication", options: &["true", "false"], offered: true, form: Form::Bool, sample: "true", parse: boolean },
    SettingDef { name: "synchronous_mode_strict", group: "replication", options: &["true", "false"], offered: true, form: Form::Bool, sample: "false", parse: boolean },
    SettingDef { name: "ttl", group: "patroni", options: &[], offered: true, form: Form::Whole, sample: "25", parse: |v| int(v).map(Value::Int) },
    SettingDef { name: "loop_wait", group: "patroni", options: &[], offered: true, form: Form::Whole, sample: "5", parse: |v| int(v).map(Value::Int) },
    SettingDef { name: "retry_timeout", group: "patroni", options: &[], offered: true, form: Form::Whole, sample: "10", parse: |v| int(v).map(Value::Int) },
    SettingDef { name: "maximum_lag_on_failover", group: "patroni", options: &[], offered: false, form: Form::Whole, sample: "1048576", parse: |v| int(v).map(Value::Int) },
    SettingDef { name: "fencing", group: "patroni", options: &["true", "false"], offered: false, form: Form::Bool, sample: "false", parse: boolean },
];

/// What a Patroni setting changes (checked as a whole by `PatroniCfg::check`).
pub fn set(p: &mut PatroniCfg, s: &Setting) {
    match (s.name, &s.value) {
        ("ttl", Value::Int(v)) => p.ttl = *v,
        ("loop_wait", Value::Int(v)) => p.loop_wait = *v,
        ("retry_timeout", Value::Int(v)) => p.retry_timeout = *v,
        ("maximum_lag_on_failover", Value::Int(v)) => p.maximum_lag_on_failover = *v,
        ("synchronous_mode", Value::Bool(v)) => p.synchronous_mode = *v,
        ("synchronous_mode_strict", Value::Bool(v)) => p.synchronous_mode_strict = *v,
        ("fencing", Value::Bool(v)) => p.fencing = *v,
        _ => {}
    }
}

/// A Patroni setting's value now.
pub fn read(p: &PatroniCfg, name: &str) -> Option<Value> {
    Some(match name {
        "ttl" => Value::Int(p.ttl),
        "loop_wait" => Value::Int(p.loop_wait),
        "retry_timeout" => Value::Int(p.retry_timeout),
        "maximum_lag_on_failover" => Value::Int(p.maximum_lag_on_failover),
        "synchronous_mode" => Value::Bool(p.synchronous_mode),
        "synchronous_mode_strict" => Value::Bool(p.synchronous_mode_strict),
        "fencing" => Value::Bool(p.fencing),
        _ => return None,
    })
}
