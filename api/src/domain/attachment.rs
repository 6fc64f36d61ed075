//! Attachments: the type is read from the bytes, never from the name or
//! the declared content type; file names are plain names, not paths.

use super::DomainError;

/// The file types an attachment may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentType {
    Pdf,
    Png,
    Jpeg,
}

impl AttachmentType {
    /// The type the magic bytes say, if it is one we keep.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

/// Longest file name kept, in characters.
pub const FILENAME_MAX: usize = 200;

/// A file name without path separators or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filename(String);

impl Filename {
    /// # Errors
    /// `filename_invalid` when empty, too long, a path, or not printable.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let err = |m: &str| DomainError::new("filename_invalid", m);
        let n = s.chars().count();
        if n == 0 || n > FILENAME_MAX {
            return Err(err("the file name must be 1 to 200 characters"));
        }
        if s.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
            return Err(err(
                "the file name must not contain path separators or control characters",
            ));
        }
        // Blank names and dot-only names (`.`, `..`) name nothing.
        if !s.chars().any(|c| !c.is_whitespace() && c != '.') {
            return Err(err("the file name must name a file"));
        }
        Ok(Self(s.to_string()))
    }
}

impl AsRef<str> for Filename {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `attachment; filename*=UTF-8''…` (RFC 6266, RFC 8187), with an ASCII
/// fallback `filename` for old clients.
pub fn content_disposition(filename: &str) -> String {
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_magic_bytes() {
        assert_eq!(
            AttachmentType::sniff(b"%PDF-1.7\n..."),
            Some(AttachmentType::Pdf)
        );
        assert_eq!(
            AttachmentType::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(AttachmentType::Png)
        );
        assert_eq!(
            AttachmentType::sniff(b"\xFF\xD8\xFF\xE0"),
            Some(AttachmentType::Jpeg)
        );
        assert_eq!(AttachmentType::sniff(b"MZ\x90\0"), None);
        assert_eq!(AttachmentType::sniff(b"%PD"), None);
        assert_eq!(AttachmentType::sniff(b""), None);
    }

    #[test]
    fn file_names_are_names_not_paths() {
        assert!(Filename::parse("资格证明.pdf").is_ok());
        assert!(Filename::parse(".profile").is_ok());
        for bad in [
            "",
            "../etc/passwd",
            "a\\b",
            "a\nb",
            "a\u{85}b",
            "..",
            " . ",
            " ",
            &"x".repeat(201),
        ] {
            assert_eq!(
                Filename::parse(bad).unwrap_err().code,
                "filename_invalid",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn content_disposition_is_rfc_8187_encoded() {
        assert_eq!(
            content_disposition("证明 1.pdf"),
            "attachment; filename=\"___1.pdf\"; filename*=UTF-8''%E8%AF%81%E6%98%8E%201.pdf"
        );
        assert!(!content_disposition("a\";b").contains("a\";"));
    }
}
