import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localDirectory } from '../../plugins/local-directory.ts'
import type { CrmClient } from '../../src/crm/plugin.ts'
import { seedDemoData } from '../../src/db/demo-seed.ts'
import { createRevisionReader } from '../../src/db/revision-reader.ts'
import { type NodeDatabase, openDatabase } from '../../src/runtime/node.ts'
import { recordingLogger } from '../helpers/test-server.ts'
import { testCrmPluginContract } from './plugin-contract.ts'

const openDirectory = async () => {
  const directory = mkdtempSync(join(tmpdir(), 'local-directory-'))
  const database = openDatabase(join(directory, 'test.db'))
  await seedDemoData(database.db)
  const { log, entries } = recordingLogger()
  // Revisions read on every lookup (RULES_REFRESH_MS=0), as the tests' servers do.
  const client = await localDirectory().setup({ config: {}, db: database.db, revisions: createRevisionReader(database.db, 0), log, fetch })
  return {
    client,
    database,
    logs: entries,
    close: async () => {
      database.sqlite.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

testCrmPluginContract({
  pluginId: 'local-directory',
  setup: openDirectory,
  known: { phone: '+972501234567', pin: '12345678', name: 'Dana Levi' },
  unknown: { phone: '+972539999999', pin: '000000' },
})

describe('local directory', () => {
  let client: CrmClient
  let database: NodeDatabase
  let logs: Awaited<ReturnType<typeof openDirectory>>['logs']
  let close: () => Promise<void>
  const options = { signal: new AbortController().signal }
  beforeAll(async () => {
    ;({ client, database, logs, close } = await openDirectory())
  })
  afterAll(() => close())

  it('joins the owner map for the contact owner', async () => {
    expect(await client.findByPhone?.('+972501234567', options)).toMatchObject({
      id: '1',
      company: 'Acme Ltd',
      segment: 'VIP',
      tags: ['vip', 'enterprise'],
      fields: { CRM_client_ID: '12345', Last_ticket_ID: '222', balance: '0' },
      owner: { id: '1042', name: 'John Doe', email: 'john@example.com', extension: '101', phone: '+972541000101', layer: '22' },
    })
  })

  it('matches the mobile number as well as the phone', async () => {
    expect(await client.findByPhone?.('+972771112233', options)).toMatchObject({ name: 'Moshe Cohen' })
  })

  it('has no owner when the contact has none', async () => {
    expect((await client.findByPhone?.('+972527654321', options))?.owner).toBeUndefined()
  })

  it('prefers the most recently updated contact when several share a number', async () => {
    database.sqlite
      .prepare(
        `INSERT INTO contacts (name, phone, updated_at) VALUES ('Old switchboard', '+97231234567', '2020-01-01T00:00:00Z'), ('New switchboard', '+97231234567', '2026-01-01T00:00:00Z')`,
      )
      .run()
    expect(await client.findByPhone?.('+97231234567', options)).toMatchObject({ name: 'New switchboard' })
  })

  it('ignores fields that are not a JSON object, with a warning', async () => {
    database.sqlite.prepare(`INSERT INTO contacts (name, phone, fields) VALUES ('Broken', '+97239999999', '{oops')`).run()
    expect(await client.findByPhone?.('+97239999999', options)).toMatchObject({ name: 'Broken', fields: {} })
    expect(logs.some((entry) => entry.level === 'warn' && entry.message.includes('not a JSON object'))).toBe(true)
  })
})

describe('local directory: answers kept in memory per directory revision', () => {
  let client: CrmClient
  let database: NodeDatabase
  let close: () => Promise<void>
  /** Another program editing the file (an SQLite tool, the admin API of another process). */
  let tool: BetterSqlite3.Database
  const options = { signal: new AbortController().signal }
  beforeAll(async () => {
    ;({ client, database, close } = await openDirectory())
    tool = new BetterSqlite3(database.sqlite.name)
  })
  afterAll(async () => {
    tool.close()
    await close()
  })

  it('serves a repeated lookup from memory, as one shared object nobody can change', async () => {
    const first = await client.findByPhone?.('+972501234567', options)
    const second = await client.findByPhone?.('+972501234567', options)
    if (!first?.owner) throw new Error('the demo contact and its owner were not found')
    expect(second).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    const { tags, owner } = first
    expect(() => {
      ;(tags as string[]).push('changed')
    }).toThrow(TypeError)
    expect(() => {
      ;(owner as { extension?: string }).extension = '999'
    }).toThrow(TypeError)
  })

  it('sees a contact edited, added or removed by another program on the next lookup', async () => {
    expect(await client.findByPin?.('12345678', options)).toMatchObject({ name: 'Dana Levi' })
    expect(await client.findByPhone?.('+97233333333', options)).toBeNull()

    tool.prepare(`UPDATE contacts SET name = 'Dana Levi-Cohen' WHERE pin = '12345678'`).run()
    expect(await client.findByPin?.('12345678', options)).toMatchObject({ name: 'Dana Levi-Cohen' })
    expect(await client.findByPhone?.('+972501234567', options)).toMatchObject({ name: 'Dana Levi-Cohen' })

    tool.prepare(`INSERT INTO contacts (name, phone) VALUES ('New caller', '+97233333333')`).run()
    expect(await client.findByPhone?.('+97233333333', options)).toMatchObject({ name: 'New caller' })

    tool.prepare(`DELETE FROM contacts WHERE phone = '+97233333333'`).run()
    expect(await client.findByPhone?.('+97233333333', options)).toBeNull()
  })

  it("sees an owner's new extension on the next lookup of their contacts", async () => {
    expect((await client.findByPhone?.('+972501234567', options))?.owner?.extension).toBe('101')
    tool.prepare(`UPDATE owners SET extension = '111' WHERE email = 'john@example.com'`).run()
    expect((await client.findByPhone?.('+972501234567', options))?.owner?.extension).toBe('111')
  })
})
