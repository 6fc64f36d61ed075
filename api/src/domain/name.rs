//! A person's name.

use std::fmt;

use super::DomainError;

const CODE: &str = "name_invalid";

/// Maximum name length in characters.
const MAX_LEN: usize = 50;

/// The middle dot used in transliterated names (e.g. `阿依古丽·买买提`).
const MIDDLE_DOT: char = '·';

/// A validated person's name: 1 to 50 characters of letters (including
/// Chinese characters), spaces and the middle dot `·`. Stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name, trimming surrounding whitespace.
    ///
    /// # Errors
    /// Returns `name_invalid` if the name is empty, longer than 50
    /// characters, or contains a control character or any character other
    /// than letters, spaces and `·`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let name = s.trim();
        let len = name.chars().count();
        if len == 0 {
            return Err(err("the name must not be empty"));
        }
        if len > MAX_LEN {
            return Err(err(format!(
                "the name must be at most {MAX_LEN} characters long, got {len}"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(err("the name must not contain control characters"));
        }
        if let Some(bad) = name
            .chars()
            .find(|&c| !(c.is_alphabetic() || c == ' ' || c == MIDDLE_DOT))
        {
            return Err(err(format!(
                "the name contains '{}', but only letters, spaces and '{MIDDLE_DOT}' are allowed",
                bad.escape_debug()
            )));
        }
        Ok(Self(name.to_owned()))
    }

    /// The masked form: the first character (the surname) followed by one
    /// `*` for each remaining character (e.g. `张三丰` → `张**`).
    pub fn masked(&self) -> String {
        let mut chars = self.0.chars();
        let mut out = String::with_capacity(self.0.len());
        if let Some(first) = chars.next() {
            out.push(first);
        }
        out.extend(chars.map(|_| '*'));
        out
    }
}

fn err(message: impl Into<String>) -> DomainError {
    DomainError::new(CODE, message)
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(s: &str) -> DomainError {
        let err = PersonName::parse(s).unwrap_err();
        assert_eq!(err.code, "name_invalid");
        err
    }

    #[test]
    fn accepts_valid_names() {
        for s in [
            "张三",
            "张",
            "欧阳娜娜",
            "阿依古丽·买买提",
            "John Smith",
            "José",
            "Ng",
        ] {
            assert_eq!(PersonName::parse(s).unwrap().as_ref(), s);
        }
    }

    #[test]
    fn trims_whitespace() {
        let name = PersonName::parse("  张三丰\n").unwrap();
        assert_eq!(name.as_ref(), "张三丰");
        assert_eq!(name.to_string(), "张三丰");
    }

    #[test]
    fn length_is_counted_in_characters() {
        let fifty = "张".repeat(50); // 150 bytes
        assert!(PersonName::parse(&fifty).is_ok());
        let err = parse_err(&"张".repeat(51));
        assert!(err.message.contains("at most 50"), "{err}");
    }

    #[test]
    fn rejects_empty() {
        for s in ["", "   ", "\t\n"] {
            assert!(parse_err(s).message.contains("empty"));
        }
    }

    #[test]
    fn rejects_control_characters() {
        for s in ["张\u{0}三", "张\n三", "张\u{7f}三"] {
            assert!(parse_err(s).message.contains("control"), "{s:?}");
        }
    }

    #[test]
    fn rejects_other_characters() {
        for s in ["张三1", "<script>", "张-三", "O'Neil", "张三😀"] {
            assert!(parse_err(s).message.contains("only letters"), "{s}");
        }
    }

    #[test]
    fn masked() {
        let mask = |s: &str| PersonName::parse(s).unwrap().masked();
        assert_eq!(mask("张三丰"), "张**");
        assert_eq!(mask("张三"), "张*");
        assert_eq!(mask("张"), "张");
        assert_eq!(mask("阿依古丽·买买提"), "阿*******");
    }
}
