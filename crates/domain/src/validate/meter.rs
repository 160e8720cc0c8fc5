//! Whether a paid product's usage dimensions and the metering agent's configuration agree: a
//! priced dimension the agent never measures is never billed, and a measured key that is not a
//! dimension is refused by the Metering Service. Warnings, since the agent config ships in the
//! AMI and may lag the spec on purpose.

use crate::spec::ProductSpec;

use super::report::Findings;
use crate::spec::path::FieldPath;

/// The agent configuration as read by the caller: the path to show and its text, or why it
/// could not be read.
pub type AgentConfig<'a> = Result<(&'a str, &'a str), String>;

/// Checks `spec` against its agent configuration (`None` when the spec names none).
pub fn agreement(spec: &ProductSpec, agent: Option<AgentConfig<'_>>) -> Findings {
    let mut f = Findings::default();
    let pricing = FieldPath::root().key("pricing");
    let dims = &spec.pricing.dimensions;
    if spec.pricing.model != "paid" || dims.is_empty() {
        return f;
    }
    let keys: Vec<&str> = dims.iter().map(|d| d.key.as_str()).collect();
    let (shown, text) = match agent {
        None => {
            f.warning(
                &pricing.key("dimensions"),
                "pricing.meter_config.missing",
                format!(
                    "the product bills usage dimensions ({}) but names no metering agent configuration",
                    keys.join(", ")
                ),
                "every custom dimension must be reported hourly by amipub-meter",
                "set pricing.meter_config to the amipub-meter config shipped in the AMI (relative to this file)",
            );
            return f;
        }
        Some(Err(why)) => {
            f.warning(
                &pricing.key("meter_config"),
                "pricing.meter_config.unreadable",
                why,
                "the agent configuration must be readable to compare",
                "fix the path (it is relative to this spec file)",
            );
            return f;
        }
        Some(Ok(a)) => a,
    };
    let measured = match measured_keys(text) {
        Ok(m) => m,
        Err(e) => {
            f.warning(
                &pricing.key("meter_config"),
                "pricing.meter_config.unreadable",
                format!("{shown} is not a valid amipub-meter configuration: {e}"),
                "TOML with [[dimension]] tables",
                "run amipub-meter check --config on it",
            );
            return f;
        }
    };
    for (i, d) in dims.iter().enumerate() {
        if !measured.iter().any(|m| m == &d.key) {
            f.warning(
                &pricing.key("dimensions").index(i).key("key"),
                "pricing.dimensions.unmetered",
                format!(
                    "dimension {} is priced but {shown} does not measure it: buyers would never be billed for it",
                    d.key
                ),
                "each custom dimension needs a [[dimension]] with the same key in the agent config",
                format!("add a [[dimension]] with key = \"{}\" and its source to {shown}", d.key),
            );
        }
    }
    for m in measured.iter().filter(|m| !keys.contains(&m.as_str())) {
        f.warning(
            &pricing.key("meter_config"),
            "pricing.meter_config.unknown_dimension",
            format!(
                "{shown} measures {m}, which is not a dimension of this product: MeterUsage would refuse it"
            ),
            "the agent may only report the product's own dimension keys",
            format!("remove {m} from {shown} or add it to pricing.dimensions"),
        );
    }
    f
}

/// The `key` of every `[[dimension]]` of an agent configuration.
pub fn measured_keys(text: &str) -> Result<Vec<String>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let Some(dims) = doc.get("dimension") else {
        return Ok(Vec::new());
    };
    let list = dims
        .as_array()
        .ok_or("dimension must be an array of tables ([[dimension]])")?;
    list.iter()
        .map(|d| {
            d.get("key")
                .and_then(|k| k.as_str())
                .map(str::to_owned)
                .ok_or_else(|| "a [[dimension]] has no key".to_owned())
        })
        .collect()
}
