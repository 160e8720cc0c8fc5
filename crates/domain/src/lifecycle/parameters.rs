//! The one rule for a Region's SSM parameters, shared by releases and alias promotion: nothing is
//! written where the Marketplace AMI is not launchable (no parameter ever leads buyers to an image
//! they cannot start); a parameter already holding the AMI is left alone (a write is a new
//! parameter version); a versioned parameter holding another AMI is a conflict, never
//! overwritten; an alias is simply moved.

/// One parameter of a Region: its name, whether it is versioned (immutable), and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<'a> {
    /// The parameter's name.
    pub name: &'a str,
    /// Versioned parameters name one version for good; aliases move.
    pub versioned: bool,
    /// Its value, if it exists.
    pub value: Option<&'a str>,
}

/// What a Region's parameters need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionPlan {
    /// The AMI is not launchable there: leave every parameter as it is.
    NotLaunchable,
    /// A versioned parameter holds another AMI: stop, write nothing.
    Conflict {
        /// The parameter.
        name: String,
        /// What it holds.
        held: String,
    },
    /// These parameters (in order) must be written; the others already hold the AMI.
    Write(Vec<String>),
}

/// The plan for pointing `params` at `ami` in one Region.
pub fn plan_region(launchable: bool, ami: &str, params: &[Held<'_>]) -> RegionPlan {
    if !launchable {
        return RegionPlan::NotLaunchable;
    }
    if let Some(p) = params
        .iter()
        .find(|p| p.versioned && p.value.is_some_and(|v| v != ami))
    {
        return RegionPlan::Conflict {
            name: p.name.to_owned(),
            held: p.value.unwrap_or_default().to_owned(),
        };
    }
    RegionPlan::Write(
        params
            .iter()
            .filter(|p| p.value != Some(ami))
            .map(|p| p.name.to_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held<'a>(name: &'a str, versioned: bool, value: Option<&'a str>) -> Held<'a> {
        Held {
            name,
            versioned,
            value,
        }
    }

    #[test]
    fn only_what_differs_is_written_and_versioned_parameters_never_move() {
        let fresh = [
            held("/v/1", true, None),
            held("/latest", false, Some("ami-old")),
        ];
        assert_eq!(
            plan_region(true, "ami-new", &fresh),
            RegionPlan::Write(vec!["/v/1".into(), "/latest".into()])
        );
        let done = [
            held("/v/1", true, Some("ami-new")),
            held("/latest", false, Some("ami-new")),
        ];
        assert_eq!(
            plan_region(true, "ami-new", &done),
            RegionPlan::Write(vec![])
        );
        let taken = [
            held("/v/1", true, Some("ami-other")),
            held("/latest", false, None),
        ];
        assert_eq!(
            plan_region(true, "ami-new", &taken),
            RegionPlan::Conflict {
                name: "/v/1".into(),
                held: "ami-other".into()
            }
        );
        assert_eq!(
            plan_region(false, "ami-new", &fresh),
            RegionPlan::NotLaunchable
        );
    }
}
