import { safeText } from '../lib/safe-text.ts'
import type { Decision } from '../model/call-event.ts'
import type { ProviderCapabilities } from '../model/provider-capabilities.ts'
import type { ProviderHandler } from './provider.ts'

/**
 * Refuses, on a provider whose capabilities send no SMS, a decision that asks for one (a rule's options.sms):
 * the next rule is tried, as rule validation said when the row was written (capability-check.ts), rather than
 * the call being answered as if the text had gone. Applied by the service to every provider it creates, so a
 * provider's own check only has to know its own formats.
 */
export const withSmsGuard = <Handler extends ProviderHandler>(handler: Handler, capabilities: ProviderCapabilities): Handler =>
  capabilities.sms
    ? handler
    : {
        ...handler,
        // Judged as render would see it: an SMS that was nothing but control characters is no SMS. Most
        // decisions carry none, so the text is only cleaned when there is one (this runs per rule tried).
        check: (decision: Decision) => {
          const sms = 'sms' in decision ? decision.sms : undefined
          return sms && safeText(sms, 'text').trim() ? 'options.sms: this provider sends no SMS' : handler.check(decision)
        },
      }
