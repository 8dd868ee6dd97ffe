import type { CrmPlugin } from '../src/crm/plugin.ts'
import { httpCrm } from './http.ts'
import { hubspot } from './hubspot.ts'
import { localDirectory } from './local-directory.ts'
import { pipedrive } from './pipedrive.ts'
import { salesforce } from './salesforce.ts'

/**
 * Every CRM plugin this build can use. Listed by hand on purpose: Workers has no filesystem to scan, and a
 * plugin should never run because a file happened to be lying around.
 */
export const builtinPlugins: readonly CrmPlugin[] = [localDirectory(), hubspot(), httpCrm(), pipedrive(), salesforce()]
