import type { ProviderDefinition } from './provider.ts'
import { ringcentral } from './ringcentral/index.ts'
import { routee } from './routee/index.ts'
import { stringee } from './stringee/index.ts'
import { voicenter } from './voicenter/index.ts'
import { voipnow } from './voipnow/index.ts'

/**
 * Every telephony provider this build knows, one line each. Listed by hand on purpose: Workers has no
 * filesystem to scan. A provider's id is its webhook path (/webhooks/<id>) and what rules' `provider` names.
 */
export const builtinProviders: readonly ProviderDefinition[] = [voicenter, routee, voipnow, stringee, ringcentral]
