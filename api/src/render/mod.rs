//! The printable certificate: the document's types (what the certificates
//! fill in) and the PDF drawn from them. Pure functions of what the services
//! loaded. (The verify page is HTML for the HTTP side: `routes::verify_page`.)

pub mod document;
pub mod pdf;
