/**
 * Caps per purpose, in code points. Values from CRMs and callers have no length of their own: a CRM record
 * can hold a 200,000-character name, and a caller controls every field of a webhook. Each cap is well above
 * what the purpose ever needs and well below what would swell an answer past a provider's limits.
 */
export const TEXT_CAPS = {
  /** A caller name for a phone display or a screen pop: displays show one short line (CNAM carries 15). */
  name: 128,
  /** Ids, phone numbers, extensions, layers, languages: real ones are a few tens of characters. */
  id: 128,
  /** A screen-pop key, which VoipNow makes an IVR variable name. */
  key: 64,
  /** A screen-pop value: Voicenter takes CUSTOM_DATA values up to 128, and the rules already cut there. */
  field: 128,
  /** Text to speech: about a minute of speech, more than any prompt needs and more than a caller waits for. */
  text: 1000,
  /** A recording's URL: the longest URL browsers and most servers accept. */
  url: 2048,
} as const

export type TextPurpose = keyof typeof TEXT_CAPS

/**
 * What no answer may carry: C0 and C1 controls and DEL (XML 1.0 refuses C0 but tab, line feed and carriage
 * return; C1 and DEL are "discouraged" and mean nothing to a phone display or a TTS engine), U+FFFE and
 * U+FFFF (not XML characters), and lone surrogates (\p{Cs} in a /u pattern matches only unpaired halves;
 * they are not Unicode text, cannot be UTF-8 encoded and make encodeURIComponent throw).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff\p{Cs}]/u
const REMOVED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]/g
const LINE_BREAKS = /[\t\n\r]/g

/**
 * A string any provider format can carry, capped for its purpose: lone surrogates become U+FFFD, tab, line
 * feed and carriage return become a space except in text to speech (where they are harmless pauses), other
 * controls and U+FFFE/U+FFFF are removed, and the result holds at most `TEXT_CAPS[purpose]` code points
 * (a surrogate pair is never split). Normal text comes back unchanged, as the same string.
 */
export const safeText = (value: string, purpose: TextPurpose): string => {
  // Cut first, so a huge value is scanned only up to its cap.
  const capped = capCodePoints(value, TEXT_CAPS[purpose])
  if (!UNSAFE.test(capped)) return capped
  const wellFormed = capped.toWellFormed()
  return (purpose === 'text' ? wellFormed : wellFormed.replace(LINE_BREAKS, ' ')).replace(REMOVED, '')
}

/**
 * The value without what no answer may carry (as `safeText` removes it, lone surrogates becoming U+FFFD),
 * keeping tab and line breaks, and uncapped: for a format's writer (VoipNow's XML), which must never write a
 * document its parser refuses, whatever it is handed. Normal text comes back unchanged, as the same string.
 */
export const withoutControls = (value: string): string => (UNSAFE.test(value) ? value.toWellFormed().replace(REMOVED, '') : value)

/** True when `safeText` would give the value back unchanged: for ids that must be refused rather than altered. */
export const isSafeText = (value: string, purpose: TextPurpose): boolean => safeText(value, purpose) === value

const capCodePoints = (value: string, max: number): string => {
  // A string has at least as many UTF-16 units as code points.
  if (value.length <= max) return value
  let index = 0
  for (let count = 0; count < max && index < value.length; count++) {
    const unit = value.charCodeAt(index)
    const next = value.charCodeAt(index + 1)
    index += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1
  }
  return value.slice(0, index)
}
