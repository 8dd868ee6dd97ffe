import { html, raw } from 'hono/html'
import type { Html } from './console-layout.ts'

/** Errors of a form, by field name; `_` holds those that belong to no one field. */
export type FieldErrors = Record<string, string[]>

export interface FormFieldOptions {
  /** The control's id (and its label's `for`). */
  id: string
  /** The form field's name. */
  name: string
  label: string
  hint?: string
  value: unknown
  problems?: readonly string[]
  /** A control of its own (select, textarea), given the id and the ARIA attributes; else a text input. */
  control?: (id: string, attributes: Html) => Html
}

/**
 * One form field: the label names the control alone; the error and the hint are its description (what a
 * screen reader adds), and an invalid field is marked for the eye and for assistive technology.
 */
export const formField = ({ id, name, label, hint, value, problems = [], control }: FormFieldOptions) => {
  const describedBy = [problems.length > 0 ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
  const attributes = raw(`${describedBy ? ` aria-describedby="${describedBy}"` : ''}${problems.length > 0 ? ' aria-invalid="true"' : ''}`)
  return html`<div class="field${problems.length > 0 ? ' invalid' : ''}">
      <label for="${id}">${label}</label>
      ${control ? control(id, attributes) : html`<input id="${id}" name="${name}" value="${value === null || value === undefined ? '' : String(value)}"${attributes} />`}
      ${problems.length > 0 ? html`<span class="error" id="${id}-error">${problems.join('; ')}</span>` : ''}
      ${hint ? html`<span class="hint muted" id="${id}-hint">${hint}</span>` : ''}
    </div>`
}
