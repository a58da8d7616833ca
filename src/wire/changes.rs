//! Entries of the change feed, as the server gives them and the console pulls them (the feed
//! itself: `store::changes`).

use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::named_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Case,
    Note,
    RasaEntry,
    Followup,
}
named_enum!(Entity, "entity", { Case => "case", Note => "note", RasaEntry => "rasa_entry", Followup => "followup" });

/// One change: the entity as it stands after the write.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Change {
    /// Position in the feed; strictly increasing, without gaps.
    pub seq: i64,
    pub entity: Entity,
    pub entity_id: Uuid,
    pub case_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The case, note, RASA entry or follow-up as it now is.
    #[schema(value_type = Object)]
    pub body: Box<RawValue>,
}
