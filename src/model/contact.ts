/** The one shape every CRM plugin returns a contact in. */
export interface Contact {
  id: string
  /** Plugin id the contact came from. */
  source: string
  name: string
  company?: string
  owner?: ContactOwner
  segment?: string
  tags: string[]
  /** Free fields for rules, templates and the screen pop (balance, last ticket, ...). */
  fields: Record<string, string>
  /** ISO time the CRM last changed the record; the newest wins when several match. */
  updatedAt?: string
}

export interface ContactOwner {
  id?: string
  name?: string
  email?: string
  extension?: string
  phone?: string
  layer?: string
}

export interface CallLogEntry {
  provider: string
  callId: string
  contact: Contact
  direction: 'inbound' | 'outbound'
  from: string
  to: string
  at: Date
  /** Human readable: which rule fired and what the caller was answered. */
  summary: string
  durationMs?: number
  status?: string
}
