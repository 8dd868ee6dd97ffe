/** A Monday, 10:00 in Israel: inside every demo business-hours window. */
export const MONDAY_MORNING = new Date('2026-11-23T08:00:00Z')
