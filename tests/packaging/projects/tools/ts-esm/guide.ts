// The integration guide's code (§5.1-5.17) as a TypeScript app writes it, parameters typed
// `string` as the guide's untyped JavaScript implies; compiled with --strict and no DOM lib.
import exotelSDK, { ExotelWebClient, version, type SipAccountInfo, type Call, type RegistrationFailure } from 'exotel-voice-sdk';

const sipAccountInfo: SipAccountInfo = {
  userName: 'Username',
  authUser: 'Username',
  sipdomain: 'Domain',
  domain: 'HostServer' + ':' + '443',
  displayname: 'DisplayName',
  secret: 'Password',
  port: 'Port',
  security: 'wss',
  iceServers: [{ urls: 'stun:stun.example.com:3478' }],
  dtmfMode: 'rfc4733',
  keepAliveInterval: 25,
  contactTransport: 'wss',
  contactHost: 'invalid',
  endpoint: 'wss',
  sipUri: '',
};

const exWebClient = new exotelSDK.ExotelWebClient();
let unregisterWait = 'false';
function setRegState(on: boolean): void {
  console.log(on, unregisterWait);
}

// §5.4 / §5.5, with ours: the failure reason.
function RegisterEventCallBack(state: string, phone: string, failure?: RegistrationFailure): void {
  if (state === 'registered') setRegState(true);
  else if (state === 'unregistered') setRegState(false);
  else if (state === 'terminated') setRegState(false);
  else if (state === 'sent_request' && unregisterWait === 'true') {
    unregisterWait = 'false';
    setRegState(false);
  }
  if (failure && failure.reason === 'auth_failed') console.log(phone, failure.message, failure.url);
}
// §5.6-5.8
function CallListenerCallback(callObj: Call, eventType: string, phone: string): void {
  if (eventType === 'incoming') callObj.Answer();
  else if (eventType === 'connected' || eventType === 'callEnded' || eventType === 'terminated' || eventType === 'activeSession') {
    console.log(callObj.callDetails().callSid, phone);
  }
}
// §5.12
function SessionCallback(callState: string, phone: string): void {
  switch (callState) {
    case 'incoming':
    case 'callEnded':
    case 'connected':
    case 're-register':
      console.log(callState, phone);
  }
}
// §5.13
function diagnosticsReportCallback(logStatus: string, logData: string): void {
  console.log(logStatus, logData);
}
function diagnosticsKeyValueCallback(key: string, status: string, description: string): void {
  console.log(key, status, description);
}

async function main(): Promise<void> {
  const ok: boolean = await exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback);
  exWebClient.initWebRTC(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, true); // §5.16
  exWebClient.setPreferredCodec('opus'); // §5.2
  exWebClient.downloadLogs(); // §5.3
  if (ok) exWebClient.DoRegister(); // §5.4
  exWebClient.UnRegister(); // §5.5
  const call = exWebClient.getCall(); // §5.7-5.11
  call.Answer();
  call.Hangup();
  call.MuteToggle();
  call.Mute();
  call.UnMute();
  call.HoldToggle();
  call.Hold();
  call.UnHold();
  call.sendDTMF('5');
  exWebClient.SessionListener(); // §5.12
  exWebClient.initDiagnostics(diagnosticsReportCallback, diagnosticsKeyValueCallback); // §5.13
  exWebClient.startSpeakerDiagnosticsTest();
  exWebClient.stopSpeakerDiagnosticsTest('yes');
  exWebClient.startMicDiagnosticsTest();
  exWebClient.stopMicDiagnosticsTest();
  exWebClient.startNetworkDiagnostics();
  exWebClient.checkClientStatus(function (status) { // §5.15
    console.log('SDK Status ' + status);
  });
  exWebClient.registerAudioDeviceChangeCallback( // §5.16
    function (deviceId) { console.log(`input ${deviceId}`); },
    function (deviceId) { console.log(`output ${deviceId}`); },
  );
  exWebClient.changeAudioOutputDevice('default', () => console.log('ok'), (error) => console.log(`${error} ${error.code}`), true);
  exWebClient.changeAudioInputDevice('default', () => console.log('ok'), (error) => console.log(error.message), true);
  exWebClient.registerLoggerCallback(function (type, message, args) { // §5.17
    switch (type) {
      case 'log': console.log(`demo: ${message}`, args); break;
      case 'info': console.info(`demo: ${message}`, args); break;
      case 'error': console.error(`demo: ${message}`, args); break;
      case 'warn': console.warn(`demo: ${message}`, args); break;
    }
  });
  // The members 3.0.10 apps and the vendor's sample use.
  exWebClient.initialize();
  exWebClient.unregister();
  console.log(exWebClient.call, exWebClient.sipAccountInfo, exWebClient.userName, version);
  exWebClient.webRTCStatusCallbackHandler('a', 'b');
  exWebClient.diagnosticEventCallback('e');
  ExotelWebClient.setAudioOutputVolume('ringtone', 0.5);
  exWebClient.setAudioOutputVolume('audioRemote', 0.5);

  // Mistakes the types catch.
  // @ts-expect-error: a misspelt field
  const typo: SipAccountInfo = { ...sipAccountInfo, displayNmae: 'x' };
  // @ts-expect-error: security is 'ws' or 'wss'
  const scheme: SipAccountInfo = { ...sipAccountInfo, security: 'https' };
  // @ts-expect-error: keepAliveInterval is a number of seconds
  const ka: SipAccountInfo = { ...sipAccountInfo, keepAliveInterval: '25s' };
  // @ts-expect-error: unknown codec
  exWebClient.setPreferredCodec('opuss');
  // @ts-expect-error: not a DTMF key
  call.sendDTMF('x');
  // @ts-expect-error: tone names are checked
  ExotelWebClient.setAudioOutputVolume('ringtones', 0.5);
  exWebClient.initWebrtc(sipAccountInfo, (state) => {
    // @ts-expect-error: no such register state
    if (state === 'registred') console.log(state);
  }, undefined, (state) => {
    // @ts-expect-error: no such session state
    if (state === 'mutted') console.log(state);
  });
  console.log(typo, scheme, ka);
}
void main;
