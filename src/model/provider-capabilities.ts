import type { DecisionAction, DialTarget } from './call-event.ts'

/**
 * What a provider can do at all, declared by the provider and read by rule validation (admin API and
 * `rules:check`), so a rule that can never answer on a provider is refused when it is written.
 */
export interface ProviderCapabilities {
  /** The answers it can give. */
  actions: readonly DecisionAction[]
  /** What a dial can ring (empty when it cannot dial). */
  dialTargets: readonly DialTarget['type'][]
  /**
   * What a collect needs for a caller who types nothing: `callback` when the provider posts back with no
   * digits (the rules answer then), `in-answer` when the answer itself must carry the no-input path
   * (Routee posts nothing without digits).
   */
  noInput: 'callback' | 'in-answer'
}
