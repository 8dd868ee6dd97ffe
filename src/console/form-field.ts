import { html, raw } from 'hono/html'
import type { BaseIssue } from 'valibot'
import { plainMessage } from '../lib/issues.ts'
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

/**
 * Where a form's errors go: beside the field they name, or at the top (`_`) when they name none of the
 * form's fields. `renames` maps the checks' column names onto the form's (a menu key's `target` is the
 * compiled rule's `dial` or `to_layer`).
 */
export const fieldErrorSink = (fields: ReadonlySet<string>, renames: Readonly<Record<string, string>> = {}) => {
  const add = (errors: FieldErrors, field: string, message: string) => {
    const key = fields.has(field) ? field : '_'
    errors[key] = [...(errors[key] ?? []), key === '_' && field ? `${field}: ${message}` : message]
  }
  return {
    add,
    /** The checks' `field: problem; …`; a problem of a part of a field (`options.sms: …`) is said whole. */
    problems(problem: string, errors: FieldErrors) {
      for (const part of problem.split(/; (?=[\w.]+: )/)) {
        const match = /^(\w+)((?:\.[\w.]+)?): (.*)$/s.exec(part)
        const field = match ? (renames[match[1] as string] ?? (match[1] as string)) : ''
        if (match && fields.has(field)) add(errors, field, match[2] ? part : (match[3] as string))
        else add(errors, '', part)
      }
    },
    /** valibot's issues, in the words every boundary uses (src/lib/issues.ts), beside their fields. */
    issues(issues: readonly BaseIssue<unknown>[], errors: FieldErrors) {
      for (const issue of issues) add(errors, String(issue.path?.[0]?.key ?? ''), plainMessage(issue))
    },
  }
}
