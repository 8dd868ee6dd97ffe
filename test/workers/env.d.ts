/// <reference types="@cloudflare/vitest-plugin/types" />
import type { D1Migration } from '@cloudflare/vitest-plugin'

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}

declare module 'vitest' {
  interface ProvidedContext {
    hubspotUrl: string
    hubspotToken: string
    ringcentralUrl: string
    ringcentralToken: string
    /** The fake Stringee SMS API and the API key and brandname it takes. */
    stringeeSms: { url: string; keySid: string; keySecret: string; brandname: string }
  }
}
