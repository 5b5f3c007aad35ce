//! Cal.com API v2, as the project's contract sheet describes it: the [`client`] the
//! scheduler calls, and the [`webhook`] payloads Cal.com sends, parsed at the door into
//! typed events.

pub mod client;
pub mod webhook;

pub use client::{Attendee, CalBooking, CalError, Calcom, REFERENCE_KEY};
pub use webhook::CalendarEvent;
