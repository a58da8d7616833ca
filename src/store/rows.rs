//! Reading portable column types (UUID text, microsecond times, JSON text, enum names) back
//! into domain types.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::{Result, StoreError};
use crate::domain::time::{from_micros, Timestamp};

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

pub fn col_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub fn col_opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub fn col_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub fn col_uuid(row: &AnyRow, col: &str) -> Result<Uuid> {
    let s = col_str(row, col)?;
    Uuid::parse_str(&s).map_err(|e| corrupt(col, e))
}

pub fn col_opt_uuid(row: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    col_opt_str(row, col)?.map(|s| Uuid::parse_str(&s).map_err(|e| corrupt(col, e))).transpose()
}

pub fn col_ts(row: &AnyRow, col: &str) -> Result<Timestamp> {
    Ok(from_micros(col_i64(row, col)?))
}

pub fn col_opt_ts(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_micros))
}

pub fn col_enum<T: FromStr>(row: &AnyRow, col: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    col_str(row, col)?.parse().map_err(|e| corrupt(col, e))
}

pub fn col_opt_enum<T: FromStr>(row: &AnyRow, col: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    col_opt_str(row, col)?.map(|s| s.parse().map_err(|e| corrupt(col, e))).transpose()
}

pub fn col_json<T: DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    let s = col_str(row, col)?;
    serde_json::from_str(&s).map_err(|e| corrupt(col, e))
}

pub fn to_json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).expect("serialising plain data to JSON cannot fail")
}
