import * as v from 'valibot'

/** Voicenter's answer formats as the External Layer page documents them; used to check every answer we send. */
const Layer = v.pipe(v.number(), v.integer(), v.minValue(0))
const CustomData = v.nullish(v.record(v.string(), v.pipe(v.string(), v.maxLength(128))))

export const VoicenterAnswer = v.variant('ACTION', [
  v.strictObject({
    STATUS: v.picklist([0, 1]),
    ACTION: v.literal('GO_TO_LAYER'),
    // "Layer … Mandatory" in the answer table, STATUS 1 included.
    LAYER: Layer,
    CALLER_NAME: v.nullish(v.string()),
    CUSTOM_DATA: CustomData,
  }),
  v.strictObject({
    STATUS: v.picklist([0, 1]),
    ACTION: v.literal('SAY_DIGITS'),
    NEXT_LAYER: Layer,
    NEXT_LAYER_IF_FAILED: v.optional(Layer),
    LANGUAGE: v.picklist(['HE', 'EN', 'AR', 'RU']),
    DATA: v.pipe(
      v.array(
        v.variant('RecordType', [
          v.strictObject({ RecordType: v.literal('Recording'), Content: v.pipe(v.string(), v.nonEmpty()) }),
          v.strictObject({ RecordType: v.literal('Digits'), Content: v.pipe(v.string(), v.regex(/^\d+$/)) }),
          v.strictObject({ RecordType: v.literal('Number'), Content: v.pipe(v.string(), v.regex(/^-?\d+$/)) }),
          v.strictObject({ RecordType: v.literal('Date'), Content: v.pipe(v.string(), v.isoDate()) }),
          v.strictObject({
            RecordType: v.literal('DateTime'),
            Content: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/)),
          }),
        ]),
      ),
      v.minLength(1),
    ),
  }),
  v.strictObject({
    STATUS: v.literal(0),
    ACTION: v.literal('DIAL'),
    // "The phone number that will be shown to dialed destination. Example “0722776772”": a number, not "Anonymous".
    CALLER_ID: v.pipe(v.string(), v.regex(/^\+?\d+$/)),
    CALLER_NAME: v.optional(v.string()),
    MAX_CALL_DURATION: v.pipe(v.number(), v.integer(), v.minValue(1)),
    MAX_DIAL_DURATION: v.pipe(v.number(), v.integer(), v.minValue(1)),
    NEXT_VO_ID: Layer,
    RECORDING: v.picklist(['yes', 'no']),
    TARGETS: v.pipe(
      v.array(v.strictObject({ TYPE: v.picklist(['PHONE', 'EXTENSION']), TARGET: v.pipe(v.string(), v.nonEmpty()) })),
      v.minLength(1),
    ),
    CUSTOM_DATA: CustomData,
  }),
])

export const isVoicenterAnswer = (body: unknown): boolean => v.safeParse(VoicenterAnswer, body).success
