/** How a call ended, whatever words the telephony provider used for it: what CRM call logs are mapped from. */
export type CallOutcome = 'completed' | 'busy' | 'no_answer' | 'failed' | 'canceled' | 'voicemail'

// Providers' status words (Voicenter, Routee, VoipNow, Stringee, RingCentral), upper-cased, letters only.
const OUTCOMES: Readonly<Record<string, CallOutcome>> = {
  BUSY: 'busy',
  NOANSWER: 'no_answer',
  NORESPONSE: 'no_answer',
  UNANSWERED: 'no_answer',
  TIMEOUT: 'no_answer',
  FAILED: 'failed',
  CONGESTION: 'failed',
  UNSENT: 'failed',
  REJECTED: 'failed',
  CANCEL: 'canceled',
  CANCELED: 'canceled',
  CANCELLED: 'canceled',
  ABANDONED: 'canceled',
  VOICEMAIL: 'voicemail',
}

/** A provider's final call status as one of a few outcomes; a status it does not name is a completed call. */
export const callOutcome = (status: string | undefined): CallOutcome =>
  OUTCOMES[(status ?? '').toUpperCase().replace(/[^A-Z]/g, '')] ?? 'completed'
