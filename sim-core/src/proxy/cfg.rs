//! `[proxy]`: where HAProxy runs and how often it checks the members.
use crate::base::{dur_ms, Dur};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ProxyCfg {
    pub region: Option<String>,
    pub zone: Option<String>,
    pub check_interval: Dur,
    pub fall: u32,
    pub rise: u32,
}

impl Default for ProxyCfg {
    fn default() -> Self {
        ProxyCfg { region: None, zone: None, check_interval: dur_ms(3000), fall: 3, rise: 2 }
    }
}
