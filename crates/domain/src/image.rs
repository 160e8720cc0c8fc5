//! What EC2 says of an image, as types: its state and its architecture. EC2 reports both as
//! strings (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html>); they are
//! read once where the answer arrives and compared as values everywhere else. A value EC2 may add
//! later is kept as it came (`Other`), never refused.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The state of an AMI.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImageState {
    /// Being created or copied.
    Pending,
    /// Ready to launch.
    Available,
    /// The creation or copy failed.
    Failed,
    /// Deregistered (deleted).
    Deregistered,
    /// Any other state (`invalid`, `transient`, `error`, `disabled`, …).
    Other(String),
}

impl ImageState {
    /// The state as EC2 writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ImageState::Pending => "pending",
            ImageState::Available => "available",
            ImageState::Failed => "failed",
            ImageState::Deregistered => "deregistered",
            ImageState::Other(s) => s,
        }
    }
}

impl From<&str> for ImageState {
    fn from(s: &str) -> Self {
        match s {
            "pending" => ImageState::Pending,
            "available" => ImageState::Available,
            "failed" => ImageState::Failed,
            "deregistered" => ImageState::Deregistered,
            other => ImageState::Other(other.to_owned()),
        }
    }
}

/// The processor architecture of an image or product.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Architecture {
    /// 64-bit x86 (`x86_64`).
    X86_64,
    /// 64-bit Arm (`arm64`).
    Arm64,
    /// Any other (`i386`, `x86_64_mac`, `arm64_mac`, …).
    Other(String),
}

impl Architecture {
    /// The architecture as EC2 writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
            Architecture::Other(s) => s,
        }
    }
}

impl From<&str> for Architecture {
    fn from(s: &str) -> Self {
        match s {
            "x86_64" => Architecture::X86_64,
            "arm64" => Architecture::Arm64,
            other => Architecture::Other(other.to_owned()),
        }
    }
}

/// Display, serde (as the plain string) and conversions for both types.
macro_rules! as_text {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<String> for $t {
            fn from(s: String) -> Self {
                Self::from(s.as_str())
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from(String::deserialize(d)?))
            }
        }
    };
}

as_text!(ImageState);
as_text!(Architecture);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_goes_both_ways_and_unknown_values_are_kept() {
        for s in ["pending", "available", "failed", "deregistered", "disabled"] {
            assert_eq!(ImageState::from(s).as_str(), s);
        }
        assert_eq!(ImageState::from("available"), ImageState::Available);
        for s in ["x86_64", "arm64", "i386"] {
            assert_eq!(Architecture::from(s).to_string(), s);
        }
        let json = serde_json::to_string(&Architecture::Arm64).unwrap();
        assert_eq!(json, "\"arm64\"");
        let back: Architecture = serde_json::from_str("\"x86_64_mac\"").unwrap();
        assert_eq!(back, Architecture::Other("x86_64_mac".into()));
    }
}
