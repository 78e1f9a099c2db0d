// The Call object of 3.0.10 (`getCall()`, first argument of CallListenerCallback).
// Incoming calls arrive with the call machinery (next milestone); until then every method
// is a logged no-op, never a throw, so legacy pages that wire their buttons keep working.

import { logger } from './logger.js';

const DETAIL_KEYS = [
  'callId', 'remoteId', 'remoteDisplayName', 'callDirection', 'callState', 'callDuration',
  'callStartedTime', 'callEstablishedTime', 'callEndedTime', 'callAnswerTime', 'callEndReason',
  'sessionId', 'callSid', 'legSid',
];

export class Call {
  constructor(client) {
    const noCall = (name) => () => logger.warn(`Call.${name}: no active call`);
    for (const name of ['Answer', 'Hangup', 'Mute', 'UnMute', 'MuteToggle', 'Hold', 'UnHold', 'HoldToggle']) {
      this[name] = noCall(name);
    }
    this.sendDTMF = (digit) => logger.warn(`Call.sendDTMF(${String(digit)}): no active call`);
    this.callDetails = () => {
      const d = {};
      for (const k of DETAIL_KEYS) d[k] = '';
      d.sipHeaders = {};
      return d;
    };
    Object.defineProperty(this, '_client', { value: client, enumerable: false });
  }
}
