// Compiled (not run) by `make lint`: code written the way the integration guide shows must
// type-check against dist/npm/index.d.ts, and misuse must not.
import exotelSDK, { ExotelWebClient, type SipAccountInfo, type Call } from '../../dist/npm/index.js';

const sipAccountInfo: SipAccountInfo = {
  userName: 'agent1',
  authUser: 'agent1',
  sipdomain: 'voip.example.com',
  domain: 'voip.example.com:443',
  displayname: 'Agent One',
  secret: 'not-a-real-secret',
  port: '443',
  security: 'wss',
  iceServers: [{ urls: 'stun:stun.example.com:3478' }],
  keepAliveInterval: 25,
  contactHost: 'invalid',
  dtmfMode: 'rfc4733',
};

const exWebClient = new ExotelWebClient();
function RegisterEventCallBack(state: string, phone: string): void {
  if (state === 'registered') console.log(phone);
}
function CallListenerCallback(callObj: Call, eventType: string, phone: string): void {
  if (eventType === 'incoming') callObj.Answer();
  console.log(callObj.callDetails().callSid, phone);
}
function SessionCallback(state: string, phone: string): void {
  console.log(state, phone);
}

async function main(): Promise<void> {
  const ok: boolean = await exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback);
  if (ok) exWebClient.DoRegister();
  const call = exWebClient.getCall();
  call.Mute();
  call.HoldToggle();
  call.sendDTMF(5);
  exWebClient.setPreferredCodec('opus');
  exWebClient.checkClientStatus((s) => console.log(s));
  exWebClient.initDiagnostics((status, report) => console.log(status, report), (k, v, d) => console.log(k, v, d));
  ExotelWebClient.setAudioOutputVolume('ringtone', 0.5);
  ExotelWebClient.registerLoggerCallback((type, message, args) => console.log(type, message, args));
  await exWebClient.makeCall('1002');
  // Guide §5.16, as written there.
  exWebClient.registerAudioDeviceChangeCallback(
    (deviceId) => console.log(`input ${deviceId}`),
    (deviceId) => console.log(`output ${deviceId}`),
  );
  exWebClient.changeAudioOutputDevice('default', () => console.log('ok'), (error) => console.log(`${error} ${error.code}`), true);
  exWebClient.changeAudioInputDevice('default', () => console.log('ok'), (error) => console.log(error.message));
  const chosen: string = exWebClient.getAudioDevices().input;
  console.log(chosen);
  // @ts-expect-error: tone names are checked
  ExotelWebClient.setAudioOutputVolume('ringtones', 0.5);
  // @ts-expect-error: keepAliveInterval is a number of seconds
  const bad: SipAccountInfo = { ...sipAccountInfo, keepAliveInterval: '25s' };
  console.log(bad);
  // @ts-expect-error: contactHost is 'testnet' or 'invalid'
  const badHost: SipAccountInfo = { ...sipAccountInfo, contactHost: '192.0.2.1' };
  console.log(badHost, exWebClient.getCall().callDetails().assertedIdentity);
  // @ts-expect-error: initWebrtc needs the account
  await exWebClient.initWebrtc();
  // @ts-expect-error: SipAccountInfo is exact: a misspelt field is caught
  const typo: SipAccountInfo = { ...sipAccountInfo, displayNmae: 'x' };
  // @ts-expect-error: codec names are a literal union
  exWebClient.setPreferredCodec('opuss');
  console.log(typo);
  // 3.0.10 members the sample apps use, and ours: the version, the failure reason.
  exWebClient.initialize();
  exWebClient.unregister();
  console.log(exWebClient.call, exWebClient.sipAccountInfo, exWebClient.userName, exotelSDK.version);
  await exWebClient.initWebrtc(sipAccountInfo, (state, phone, failure) => console.log(state, phone, failure?.reason, failure?.url));
  // Ours: why, with the CSP directive to add; destroy() for React cleanups and logouts.
  exWebClient.checkClientStatus((s, why) => console.log(s, why?.reason === 'csp_wasm' ? why.directive : why?.message));
  // @ts-expect-error: the reasons are a literal union
  exWebClient.checkClientStatus((s, why) => why?.reason === 'csp');
  await exWebClient.destroy();
}
void main;
