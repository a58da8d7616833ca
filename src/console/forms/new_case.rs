//! The new-case form: a subject, the channel and the priority, for the customer found by search
//! or whose timeline is open.

use uuid::Uuid;

use super::{names, Drafts, Field, Form, FormKind, FormWrite};
use crate::domain::case::{CaseStatus, Channel, Priority, MAX_SUBJECT_CHARS};
use crate::domain::{required_text, Invalid};
use crate::wire::requests::NewCaseRequest;

impl Form {
    /// A new case for a customer (found by search, or whose timeline is open).
    pub fn new_case(customer: Uuid, customer_name: &str, drafts: &Drafts) -> Form {
        let channels = names(Channel::ALL, |c| c.as_str());
        let priorities = names(Priority::ALL, |p| p.as_str());
        let normal = Priority::ALL.iter().position(|p| *p == Priority::Normal).unwrap_or(0);
        Form {
            kind: FormKind::NewCase { customer, customer_name: customer_name.to_string() },
            title: format!("New case for {customer_name}"),
            banner: None,
            fields: vec![
                Field::text("subject", "Subject", drafts.get("subject"), "what the customer needs, in a line", true),
                Field::choice("channel", "Channel", channels, 0),
                Field::choice("priority", "Priority", priorities, normal),
            ],
            focus: 0,
            error: None,
            scope: format!("customer/{customer}/new-case"),
            dirty: false,
            presets: vec![],
        }
    }

    pub(super) fn submit_new_case(&self, customer: Uuid) -> Result<FormWrite, Invalid> {
        let subject = required_text("subject", &self.field("subject").text_value(), MAX_SUBJECT_CHARS)?;
        let mut req = NewCaseRequest::new(customer, &subject);
        req.channel = Some(Channel::ALL[self.field("channel").index()]);
        req.priority = Some(Priority::ALL[self.field("priority").index()]);
        req.status = Some(CaseStatus::Open);
        Ok(FormWrite::OpenCase(req))
    }
}
