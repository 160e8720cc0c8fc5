//! Who a request comes from, once known: the caller's name, role and how it proved them. The
//! vocabulary `access` decides with and `keys` signs.

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read pages and the API.
    Viewer,
    /// Read, and retry, cancel, promote and approve.
    Operator,
}

impl Role {
    /// The role's name in files and pages.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }

    /// The role a name stands for.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Nothing: an anonymous reader on loopback.
    Loopback,
    /// An `Authorization: Bearer` header.
    Token,
    /// The session cookie made at sign-in.
    Session,
    /// A trusted proxy's identity headers.
    Proxy,
}

/// A caller the console knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who, as timelines record it (`anonymous` for a loopback reader).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// How it proved it.
    pub proof: Proof,
}

impl Caller {
    /// Whether it may retry, cancel, promote and approve.
    pub fn may_act(&self) -> bool {
        self.role == Role::Operator
    }
}
