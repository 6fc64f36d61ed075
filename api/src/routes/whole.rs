//! JSON Schema counts `9.0` as an integer; serde's `i32` does not. Body
//! fields documented as integers take either spelling through these.

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use serde_json::Number;

fn to_i32(n: &Number) -> Option<i32> {
    if let Some(i) = n.as_i64() {
        return i32::try_from(i).ok();
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f >= f64::from(i32::MIN) && f <= f64::from(i32::MAX)).then_some(f as i32)
}

/// An `i32` written as `9` or `9.0`.
pub fn i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = Number::deserialize(d)?;
    to_i32(&n).ok_or_else(|| D::Error::custom(format!("{n} is not a whole number in range")))
}

/// An optional `i32` written as `9` or `9.0`; with `#[serde(default)]`,
/// absent is `None` and an explicit `null` is refused, as the schema says.
pub fn opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    i32(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "super::i32")]
        a: i32,
        #[serde(default, deserialize_with = "super::opt_i32")]
        b: Option<i32>,
    }

    #[test]
    fn integral_floats_are_integers_fractions_are_not() {
        let t: T = serde_json::from_str(r#"{"a": 9.0, "b": 7}"#).unwrap();
        assert_eq!((t.a, t.b), (9, Some(7)));
        let t: T = serde_json::from_str(r#"{"a": -3}"#).unwrap();
        assert_eq!((t.a, t.b), (-3, None));
        assert!(serde_json::from_str::<T>(r#"{"a": 1, "b": null}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a": 9.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a": 1e12}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a": "9"}"#).is_err());
    }
}

#[cfg(test)]
mod no_null_tests {
    #[derive(Debug, serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "crate::routes::no_null")]
        a: Option<Vec<u32>>,
    }

    #[test]
    fn absent_is_none_and_null_is_refused() {
        assert!(serde_json::from_str::<T>("{}").unwrap().a.is_none());
        assert_eq!(
            serde_json::from_str::<T>(r#"{"a": [1]}"#).unwrap().a,
            Some(vec![1])
        );
        assert!(serde_json::from_str::<T>(r#"{"a": null}"#).is_err());
    }
}
