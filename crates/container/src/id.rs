//! Container ids.
//!
//! An id names a directory under `--root` and appears in socket paths and log lines,
//! so it is restricted the way runc restricts it: one or more of ASCII letters, digits,
//! `_`, `+`, `-` and `.`, but not `.` or `..` alone, and at most [`MAX_ID_LEN`] bytes.
//! This rules out `/`, NUL, whitespace and every path trick.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 1024;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is the empty string.
    #[error("invalid container id: the id is empty")]
    Empty,
    /// The id is longer than [`MAX_ID_LEN`].
    #[error("invalid container id: {len} bytes long, at most {MAX_ID_LEN} allowed")]
    TooLong {
        /// Length of the refused id.
        len: usize,
    },
    /// The id is `.` or `..`.
    #[error("invalid container id {0:?}: \".\" and \"..\" are not allowed")]
    Reserved(String),
    /// The id contains a character outside the allowed set.
    #[error(
        "invalid container id {id:?}: {ch:?} is not allowed \
         (use letters, digits, '_', '+', '-' and '.')"
    )]
    BadChar {
        /// The refused id.
        id: String,
        /// The first offending character.
        ch: char,
    },
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-' | '.')
}

/// Checks `id` against the rules above.
pub fn validate(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { len: id.len() });
    }
    if id == "." || id == ".." {
        return Err(IdError::Reserved(id.to_owned()));
    }
    if let Some(ch) = id.chars().find(|c| !allowed(*c)) {
        return Err(IdError::BadChar {
            id: id.to_owned(),
            ch,
        });
    }
    Ok(())
}

/// A validated container id: holding one proves it is safe as a path component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ContainerId(String);

impl ContainerId {
    /// Validates and wraps `id`.
    pub fn new(id: impl Into<String>) -> Result<ContainerId, IdError> {
        let id = id.into();
        validate(&id)?;
        Ok(ContainerId(id))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps into the inner string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ContainerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ContainerId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContainerId::new(s)
    }
}

impl TryFrom<String> for ContainerId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ContainerId::new(s)
    }
}

impl<'de> Deserialize<'de> for ContainerId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ContainerId::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_runc_style_ids() {
        for id in [
            "a",
            "web",
            "my-container_1",
            "a.b+c",
            "...",
            ".hidden",
            "x".repeat(MAX_ID_LEN).as_str(),
        ] {
            assert_eq!(validate(id), Ok(()), "{id:?}");
        }
    }

    #[test]
    fn rejects_bad_ids_with_a_reason() {
        assert_eq!(validate(""), Err(IdError::Empty));
        assert_eq!(validate("."), Err(IdError::Reserved(".".into())));
        assert_eq!(validate(".."), Err(IdError::Reserved("..".into())));
        assert_eq!(
            validate("a/b"),
            Err(IdError::BadChar {
                id: "a/b".into(),
                ch: '/'
            })
        );
        assert_eq!(
            validate("../etc"),
            Err(IdError::BadChar {
                id: "../etc".into(),
                ch: '/'
            })
        );
        for bad in ["a b", "a\0b", "é", "a:b", "a\nb", "*"] {
            assert!(
                matches!(validate(bad), Err(IdError::BadChar { .. })),
                "{bad:?}"
            );
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        assert_eq!(
            validate(&long),
            Err(IdError::TooLong {
                len: MAX_ID_LEN + 1
            })
        );
    }

    #[test]
    fn messages_name_the_id_and_the_character() {
        let msg = validate("a/b").unwrap_err().to_string();
        assert!(msg.contains("\"a/b\"") && msg.contains("'/'"), "{msg}");
        let msg = validate("..").unwrap_err().to_string();
        assert!(msg.contains("\"..\""), "{msg}");
    }

    #[test]
    fn newtype_validates_on_deserialize() {
        let ok: ContainerId = serde_json::from_str("\"web\"").unwrap();
        assert_eq!(ok.as_str(), "web");
        assert!(serde_json::from_str::<ContainerId>("\"a/b\"").is_err());
        assert!("..".parse::<ContainerId>().is_err());
    }
}
