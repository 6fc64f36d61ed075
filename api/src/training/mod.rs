//! Training (R-CP-*, R-CL-*): the professional-subject catalogue, course
//! plans and their review, classes, enrolments and closing a class into
//! records. Depends on parties and the ledger.

pub mod catalogue;
pub mod classes;
pub mod plans;
