import ivrPostForm from '../fixtures/voipnow/ucom4b-call-interactive-ivr-post-form.json' with { type: 'json' }
import type { ProviderContract } from './provider-contract.ts'
import { isEmptyResponse, isVoipNowAnswer } from './voipnow-answer.ts'

/** Parameters as VoipNow sends them (names from its Call Events docs), plus our static layer parameter. */
export const voipnowContract: ProviderContract = {
  provider: 'voipnow',
  answerFormat: 'text',
  requests: [
    {
      name: 'Dial-In from a known caller, form-encoded',
      body: 'CallID=5205dc1ee6&CallAPIID=3584705175:5205dc1ee6&CallerIDNum=0501234567&CallerIDName=Dana&CalledDID=0722776772&CalledNumber=0722776772&CallStatus=CALLING&CallFlow=IN&layer=1',
      contentType: 'application/x-www-form-urlencoded',
    },
    {
      name: 'digits collected into an IVR variable, JSON',
      body: {
        CallID: 'c-2',
        CallerIDNum: '0501234567',
        CalledDID: '0722776772',
        CallStatus: 'CALLING',
        CallFlow: 'IN',
        layer: '5',
        digits: '12345678',
      },
    },
    // The corpus: VoipNow's own IVR request (CallStatus ANSWER), a routing step, not a hang-up.
    { name: 'corpus: Call Interactive IVR request, POST form', body: ivrPostForm.body, contentType: ivrPostForm.contentType },
  ],
  hostileRequests: (text) => [
    {
      name: 'caller number and name, JSON',
      body: {
        CallID: `c-${text}`,
        CallerIDNum: `050${text}`,
        CallerIDName: text,
        CalledDID: '0722776772',
        CallStatus: 'CALLING',
        CallFlow: 'IN',
        layer: '1',
      },
    },
    // The third wrong account number goes to reception with SetCaller, which echoes the caller's number.
    ...['1st', '2nd', '3rd'].map((attempt) => ({
      name: `caller number and digits, form-encoded, ${attempt} try`,
      body: new URLSearchParams({
        CallID: `c-${text.length}`,
        CallerIDNum: text,
        CalledDID: '0722776772',
        CallStatus: 'CALLING',
        layer: '5',
        digits: text,
      }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    })),
  ],
  isValidAnswer: (body) => typeof body === 'string' && isVoipNowAnswer(body),
  isProviderDefault: (body) => typeof body === 'string' && isEmptyResponse(body),
}
