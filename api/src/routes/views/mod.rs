//! The wire types the routes answer with (issue 18): what the OpenAPI
//! document names, each converted from the service's plain domain struct
//! with a `From` impl. One file per context; types used by a single route
//! file may live next to its handlers instead.

pub mod certificates;
pub mod ledger;
pub mod oversight;
pub mod parties;
pub mod platforms;
pub mod review;
pub mod training;
