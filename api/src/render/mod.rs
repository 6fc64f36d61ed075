//! Certificates as people see them: the public verify page (HTML) and the
//! printable PDF. Pure functions of what the services loaded.

pub mod document;
pub mod pdf;
pub mod verify_page;
