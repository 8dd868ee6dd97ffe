import { XMLValidator } from 'fast-xml-parser'
import type { RawResponse } from './server-process.ts'

export type Provider = 'voicenter' | 'routee' | 'voipnow' | 'stringee' | 'ringcentral'
export const PROVIDERS: readonly Provider[] = ['voicenter', 'routee', 'voipnow', 'stringee', 'ringcentral']

/**
 * Whether an answer is one the provider can act on, in its own format, whatever the request was. Shapes from
 * src/providers/<provider>.ts; each returns what is wrong, or undefined. Deliberately looser than the contract
 * tests (test/providers/*-answer.ts): a fuzzed request may be refused, but never with something the provider
 * cannot read (a Hono 404 JSON, Node's bare 431, an HTML error page, broken XML).
 */
export const checkAnswer: Record<Provider, (answer: RawResponse) => string | undefined> = {
  voicenter: (answer) => {
    const parsed = jsonAnswer(answer)
    if (!parsed.ok) return parsed.problem
    const json = parsed.value
    if (!isObject(json)) return 'not a JSON object'
    if (typeof json.STATUS !== 'number') return 'STATUS is not a number'
    if (json.STATUS !== 0 && json.STATUS !== 1) return `STATUS ${json.STATUS} is neither 0 nor 1`
    if (!['GO_TO_LAYER', 'SAY_DIGITS', 'DIAL'].includes(String(json.ACTION)))
      return `ACTION ${String(json.ACTION)} is not a Voicenter action`
    return undefined
  },
  routee: (answer) => {
    const parsed = jsonAnswer(answer)
    if (!parsed.ok) return parsed.problem
    const json = parsed.value
    if (!isObject(json)) return 'not a JSON object'
    // Status callbacks are acknowledged with {} (the providers' status answers).
    if (Object.keys(json).length === 0) return undefined
    const verbs = json.verbs
    if (!Array.isArray(verbs) || verbs.length === 0) return 'verbs is not a non-empty array'
    const bad = verbs.find((verb) => !isObject(verb) || !['SAY', 'PLAY', 'PAUSE', 'COLLECT', 'DIAL'].includes(String(verb.type)))
    return bad === undefined ? undefined : `verb ${JSON.stringify(bad).slice(0, 80)} is not a Routee verb`
  },
  voipnow: (answer) => {
    if (!/^text\/xml\b/.test(answer.contentType)) return `content-type "${answer.contentType}" is not text/xml`
    if (!/^<\?xml version="1\.0"[^>]*\?>\s*<Response[\s>/]/.test(answer.body)) return 'the root element is not <Response>'
    const valid = XMLValidator.validate(answer.body)
    if (valid !== true) return `XML does not validate: ${valid.err.code} ${valid.err.msg}`.slice(0, 160)
    // XMLValidator lets these through, but XML 1.0 forbids them even escaped: VoipNow's parser would reject the answer.
    const illegal = XML_ILLEGAL.exec(answer.body)
    if (illegal) return `character U+${(illegal[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')} is not allowed in XML 1.0`
    for (const reference of answer.body.matchAll(/&#(x[0-9a-f]+|\d+);/gi)) {
      const digits = reference[1] as string
      const code = digits[0] === 'x' || digits[0] === 'X' ? Number.parseInt(digits.slice(1), 16) : Number(digits)
      if (!isXmlChar(code)) return `character reference ${reference[0]} names a character XML 1.0 forbids`
    }
    return undefined
  },
  stringee: (answer) => {
    const parsed = jsonAnswer(answer)
    if (!parsed.ok) return parsed.problem
    const json = parsed.value
    if (Array.isArray(json)) {
      if (json.length === 0) return 'empty SCCO'
      const bad = json.find(
        (action) => !isObject(action) || !['talk', 'play', 'stream', 'input', 'connect', 'record'].includes(String(action.action)),
      )
      return bad === undefined ? undefined : `action ${JSON.stringify(bad).slice(0, 80)} is not an SCCO action`
    }
    if (!isObject(json)) return 'neither an SCCO array nor an object'
    // event_url notices are acknowledged with {}; the queue's agent list gets {version: 2, calls: [...]}.
    if (Object.keys(json).length === 0) return undefined
    if (json.version === 2 && Array.isArray(json.calls)) return undefined
    return 'an object that is neither {} nor an agent list'
  },
  ringcentral: (answer) => {
    // RingCentral wants an empty 204; refusals (401, 413) and the failover carry the adapter's empty command list.
    if (answer.status === 204) return answer.body === '' ? undefined : 'a 204 with a body'
    if (answer.body === '[]') return undefined
    return `status ${answer.status} with a body other than the adapter's ('' or [])`
  },
}

// Outside XML 1.0's Char production (lone surrogates cannot reach the wire: they become U+FFFD in UTF-8).
const XML_ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/

const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff)

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const jsonAnswer = (answer: RawResponse): { ok: true; value: unknown } | { ok: false; problem: string } => {
  if (!/^application\/json\b/.test(answer.contentType))
    return { ok: false, problem: `content-type "${answer.contentType}" is not application/json` }
  try {
    return { ok: true, value: JSON.parse(answer.body) as unknown }
  } catch {
    return { ok: false, problem: `body is not JSON: ${JSON.stringify(answer.body.slice(0, 80))}` }
  }
}
