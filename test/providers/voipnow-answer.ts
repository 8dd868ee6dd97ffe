import { XMLValidator } from 'fast-xml-parser'

/** XML 1.0's Char production: what a document may hold at all, even escaped (XMLValidator does not check it). */
const isXmlChar = (code: number) =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || code >= 0x10000
const onlyXmlChars = (body: string) => {
  // By code point: a lone surrogate comes out as its own code, outside the production.
  for (const char of body) if (!isXmlChar(char.codePointAt(0) ?? 0)) return false
  return true
}

/**
 * VoipNow Call Interactive answers: a well-formed XML 1.0 `<Response>` holding only the elements VoipNow
 * executes, with the attributes each needs.
 */
const ELEMENT = /<(\w+)((?:\s+\w+="[^"<>]*")*)\s*(?:\/>|>([^<]*)<\/\1>)/g
const ALLOWED: Record<string, string[]> = {
  Jump: ['context', 'option', 'priority'],
  SetCaller: ['name', 'number'],
  SetVar: ['name'],
  PlaySound: ['language', 'loop', 'view', 'folder', 'where', 'digitvar'],
  PlayTTS: ['voice', 'volume'],
  Pause: ['length'],
  Hangup: [],
}

export const isVoipNowAnswer = (body: string): boolean => {
  if (XMLValidator.validate(body) !== true || !onlyXmlChars(body)) return false
  const match = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response>(.*)<\/Response>$/s.exec(body)
  if (!match) return false
  const inner = match[1] as string
  let consumed = 0
  for (const element of inner.matchAll(ELEMENT)) {
    if (element.index !== consumed) return false
    const allowed = ALLOWED[element[1] as string]
    if (!allowed) return false
    const attributes = new Map(
      [...(element[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((attribute) => [attribute[1] as string, attribute[2]]),
    )
    if ([...attributes.keys()].some((name) => !allowed.includes(name))) return false
    // VoipNow aborts parsing the answer when SetCaller lacks its name or its number: both must hold something.
    if (element[1] === 'SetCaller' && !(attributes.get('name')?.trim() && attributes.get('number')?.trim())) return false
    consumed += element[0].length
  }
  return consumed === inner.length
}

export const isEmptyResponse = (body: string) => /<Response><\/Response>$/.test(body)
