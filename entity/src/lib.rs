//! sea-orm entities of the continuing-education database, in the style
//! `sea-orm-cli generate entity` writes: data and relations, no logic.

pub mod account;
pub mod accounting_credit_conversion;
pub mod admin_invitation;
pub mod annual_requirement;
pub mod attachment;
pub mod audit_event;
pub mod auth_challenge;
pub mod authority;
pub mod authority_series;
pub mod binding;
pub mod catalogue_course;
pub mod certificate;
pub mod city_base;
pub mod class;
pub mod class_teacher;
pub mod course_plan;
pub mod credit_record;
pub mod enrollment;
pub mod grant;
pub mod legacy_certificate;
pub mod legacy_record;

pub mod notice;
pub mod person;
pub mod person_series;
pub mod platform;
pub mod professional_series;
pub mod provider;
pub mod public_subject;
pub mod qualification;
pub mod record;
pub mod record_batch;
pub mod record_contribution;
pub mod review;
pub mod sms_outbox;
pub mod teacher;
pub mod unit;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_event;
