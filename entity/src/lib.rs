//! sea-orm entities of the continuing-education database, in the style
//! `sea-orm-cli generate entity` writes: data and relations, no logic.

pub mod account;
pub mod accounting_credit_conversion;
pub mod annual_requirement;
pub mod auth_challenge;
pub mod city_base;
pub mod grant;
pub mod person;
pub mod platform;
pub mod professional_series;
pub mod public_subject;
pub mod sms_outbox;
