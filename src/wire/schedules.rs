//! Business-hours schedules over the wire: each with the teams and queues that keep it. The
//! schedule itself is `domain::schedule`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::schedule::ScheduleSpec;

/// A schedule as kept, with the teams and queues that keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KeptSchedule {
    pub schedule: ScheduleSpec,
    pub teams: Vec<String>,
    pub queues: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScheduleList {
    /// By name, each with the teams and queues that keep it.
    pub schedules: Vec<KeptSchedule>,
}
