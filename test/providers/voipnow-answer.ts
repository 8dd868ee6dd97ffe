/** VoipNow Call Interactive answers: an XML `<Response>` holding only the elements VoipNow executes. */
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
  const match = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response>(.*)<\/Response>$/s.exec(body)
  if (!match) return false
  const inner = match[1] as string
  let consumed = 0
  for (const element of inner.matchAll(ELEMENT)) {
    if (element.index !== consumed) return false
    const allowed = ALLOWED[element[1] as string]
    if (!allowed) return false
    const attributes = [...(element[2] ?? '').matchAll(/(\w+)="/g)].map((attribute) => attribute[1] as string)
    if (attributes.some((name) => !allowed.includes(name))) return false
    if (element[1] === 'SetCaller' && !(attributes.includes('name') && attributes.includes('number'))) return false
    consumed += element[0].length
  }
  return consumed === inner.length
}

export const isEmptyResponse = (body: string) => /<Response><\/Response>$/.test(body)
