import { parseArgs } from 'node:util'
import { builtinPlugins } from '../../plugins/index.ts'
import { createApp } from '../app.ts'
import { silentLogger } from '../lib/logger.ts'
import { DEFAULT_DATABASE_PATH, openDatabase } from './node.ts'

/**
 * `npm run simulate -- --provider voicenter|routee|voipnow|stringee|<any registered id> --did 0722776772 --caller 0501234567 --dtmf 1234 --layer 5
 *  --at 2026-11-22T10:00:00Z [--attempt 2] [--db path]`: what the service would answer, and why, with no
 * side effects (nothing is written; the CRM is only read).
 */
const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'voicenter' },
    did: { type: 'string' },
    caller: { type: 'string' },
    dtmf: { type: 'string' },
    layer: { type: 'string' },
    attempt: { type: 'string' },
    at: { type: 'string' },
    db: { type: 'string', default: process.env.DATABASE_PATH || DEFAULT_DATABASE_PATH },
  },
})

const { sqlite, db } = openDatabase(values.db as string)
try {
  const service = await createApp({ db, env: process.env, plugins: builtinPlugins, log: silentLogger })
  const result = await service.simulate({
    provider: values.provider as string,
    did: values.did,
    caller: values.caller,
    dtmf: values.dtmf,
    layer: values.layer,
    attempt: values.attempt ? Number(values.attempt) : undefined,
    at: values.at ? new Date(values.at).toISOString() : undefined,
  })
  console.log(JSON.stringify(result, null, 2))
} finally {
  sqlite.close()
}
