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
    /** The fake Pipedrive (test/helpers/fake-pipedrive.ts) over test/fixtures/pipedrive/company.json, and its API token. */
    pipedrive: { url: string; apiToken: string }
    /** The fake in-house CRM of the generic HTTP plugin (test/helpers/fake-http-crm.ts). */
    httpCrmUrl: string
    /** The fake Salesforce org (test/helpers/fake-salesforce.ts): login URL, connected app and JWT bearer key. */
    salesforce: { url: string; clientId: string; clientSecret: string; username: string; audience: string; privateKeyPem: string }
  }
}
