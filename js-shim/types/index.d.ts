// Types for exotel-voice-sdk: the exotelsdk.js 3.0.10 API (integration guide wording in the doc
// comments), with our additions marked "Ours". Self-contained: no DOM or Node lib needed.
// The same file is the drop-in's (dist/exotelsdk.d.ts): `exotelSDK` is then a global.

export as namespace exotelSDK;

/** The SDK's version (semver), also written in the first `initWebrtc` log line. */
export declare const version: string;

/** States passed to {@link RegisterEventCallBack}. */
export type RegisterState = 'sent_request' | 'registered' | 'unregistered' | 'terminated';

/**
 * Ours: why a registration ended in `terminated`, the third argument of
 * {@link RegisterEventCallBack} (apps written for 3.0.10 take two arguments and never see it).
 */
export interface RegistrationFailure {
  /**
   * `auth_failed`: 401/403 after credentials (check authUser and secret); `rejected`: another
   * final failure from the registrar; `interval_too_brief`: 423 without a usable Min-Expires;
   * `timeout`: no answer within 32 s; `transport_failed`: the WebSocket could not be opened;
   * `transport_lost`: the WebSocket closed; `csp_wasm`: the page's Content Security Policy
   * refuses WebAssembly (add `'wasm-unsafe-eval'` to script-src); `csp_connect_src`: it refuses
   * the WebSocket (add the server to connect-src); `load_failed`: the SDK's WebAssembly could not
   * be loaded; `sdk_failure`: the SDK's core stopped and restarts (it registers again by itself).
   */
  reason:
    | 'auth_failed'
    | 'rejected'
    | 'interval_too_brief'
    | 'timeout'
    | 'transport_failed'
    | 'transport_lost'
    | 'csp_wasm'
    | 'csp_connect_src'
    | 'load_failed'
    | 'sdk_failure';
  /** A sentence for people (never contains the password). */
  message: string;
  /** The WebSocket URL built from `domain`, `security` and `endpoint` ('' when none was tried). */
  url: string;
  /** For the CSP reasons: the directive the page's policy needs, e.g. `script-src 'wasm-unsafe-eval'`. */
  directive?: string;
}

/** Ours: why checkClientStatus reports `terminated`, `not_initialized` or `websocket_connection_failed`, when the SDK knows. */
export interface ClientStatusReason {
  /** As {@link RegistrationFailure}'s, and `name_in_use`: another client on the page has this userName. */
  reason: 'csp_wasm' | 'csp_connect_src' | 'load_failed' | 'name_in_use';
  /** A sentence for people. */
  message: string;
  /** For the CSP reasons: the directive the page's policy needs. */
  directive?: string;
  /** For `csp_connect_src`: the refused WebSocket URL. */
  url?: string;
}

/** Events passed to {@link CallListenerCallback}. */
export type CallEvent = 'incoming' | 'ringing' | 'connected' | 'callEnded' | 'terminated';

/**
 * States passed to {@link SessionCallback}: this tab's call and media notifications, and with
 * `SessionListener()` other tabs' `incoming`, `connected`, `callEnded` and the app's
 * `re-register`, `logout`, `login-successful` messages.
 */
export type SessionState =
  | 'incoming'
  | 'accepted'
  | 'connected'
  | 'callEnded'
  | 'terminated'
  | 'muted'
  | 'unmuted'
  | 'holdunhold_success'
  | 'holdunhold_failed'
  | 'userMediaFailed'
  | 'media_permission_denied'
  | `ice_gathering_state_${'new' | 'gathering' | 'complete'}`
  | `ice_connection_state_${'new' | 'checking' | 'connected' | 'completed' | 'failed' | 'disconnected' | 'closed'}`
  | 'media_inbound_stalled'
  | 'media_inbound_resumed'
  | 'reconnecting'
  | 'reconnected'
  | 're-register'
  | 'logout'
  | 'login-successful';

/** Tones whose volume can be set. */
export type ToneName = 'ringtone' | 'ringbacktone' | 'dtmftone' | 'beeptone';
/** The `type` of a logger line. */
export type LogType = 'log' | 'info' | 'warn' | 'error';
/** Names accepted by setPreferredCodec, in lower or upper case. */
export type CodecName = 'opus' | 'pcmu' | 'pcma' | 'g722';
/** Ours: how Call.sendDTMF sends a key. */
export type DtmfMode = 'info' | 'rfc4733';
/** Ours: the host of our Contact and Via headers. */
export type ContactHost = 'testnet' | 'invalid';
/** A key sendDTMF accepts: one of 0-9 * # A-D (a-d too), or a number 0-9. */
export type DtmfDigit =
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#'
  | 'A' | 'B' | 'C' | 'D' | 'a' | 'b' | 'c' | 'd'
  | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/** What checkClientStatus reports, in the guide's order of checks (§5.15). */
export type ClientStatus =
  /** Either the media device is not available, or permission was not given. */
  | 'media_permission_denied'
  /** The SDK is not initialized (no successful initWebrtc). */
  | 'not_initialized'
  /** The WebSocket connection is failing, due to network connectivity. */
  | 'websocket_connection_failed'
  /** Either the credentials are invalid or the registration keep-alive failed. */
  | 'unregistered'
  | 'terminated'
  /** Registration is in progress. */
  | 'initial'
  /** Ready to receive calls. */
  | 'registered'
  /** Something went wrong. */
  | 'unknown'
  /** The WebSocket is not connected. */
  | 'disconnected'
  /** Trying to connect the WebSocket. */
  | 'connecting';

/** An ICE server, as RTCIceServer (declared here so that no DOM lib is needed). */
export interface IceServer {
  /** `stun:` or `turn:` URLs. */
  urls: string | string[];
  /** TURN user name. */
  username?: string;
  /** TURN password. */
  credential?: string;
}

/**
 * The SIP account (guide §6, "Messages"). Exact: a misspelt field is a type error.
 * The WebSocket URL is `<security>://<domain>/<endpoint>`, as 3.0.10 builds it.
 */
export interface SipAccountInfo {
  /** Used as a unique map index for phones. Same as authUser. One client per userName per page. */
  userName: string;
  /** SIP username to register (digest user and AOR user). Default: userName. */
  authUser?: string;
  /** SIP public domain (AOR domain and registrar). */
  sipdomain: string;
  /**
   * `"HostServer:Port"`: the WebSocket host and port. Without a port, 8089 on https pages and
   * 8088 otherwise (3.0.10's rule).
   */
  domain: string;
  /** SIP password. Never logged, never stored. */
  secret: string;
  /** `"wss"`/`"ws"`, typically `"wss"` (the default). */
  security?: 'wss' | 'ws';
  /** The WebSocket path; default `"wss"`. */
  endpoint?: string;
  /** Local display name on the dialer (not sent on the wire, as in 3.0.10). */
  displayName?: string;
  /** The guide's spelling of displayName. */
  displayname?: string;
  /**
   * "443 for Websockets" (guide §6). As in 3.0.10 it is not used for the WebSocket URL, whose
   * port comes from `domain`; a port that `domain` does not carry is logged as a warning.
   */
  port?: string | number;
  /** Complete SIP URI: internally constructed, leave it blank (ignored, as in 3.0.10). */
  sipUri?: string;
  /**
   * The host of our Contact and Via headers (the guide: "internally found, customer can leave
   * this blank"). Ours: `'testnet'` (the default) sends a random 192.0.2.N address as 3.0.10
   * does; `'invalid'` a random RFC 7118 `<token>.invalid` name. Any other value makes
   * initWebrtc resolve false.
   */
  contactHost?: ContactHost | '';
  /** Ours: ICE servers for calls. Default: `[{ urls: 'stun:stun.l.google.com:19302' }]`, as 3.0.10. */
  iceServers?: IceServer[];
  /**
   * Ours: `'info'` (default, as 3.0.10) sends DTMF by SIP INFO `application/dtmf-relay`;
   * `'rfc4733'` sends it in RTP (RTCDTMFSender) and falls back to SIP INFO when the far end did
   * not negotiate telephone-event.
   */
  dtmfMode?: DtmfMode;
  /**
   * Ours: upper bound of the keep-alive ping interval in seconds (RFC 5626 CRLF ping, 10 s
   * pong timeout); default 30, 0 turns it off. A registrar's Flow-Timer takes precedence.
   */
  keepAliveInterval?: number;
  /**
   * Ours: the `transport` parameter of our Contact. Default: the WebSocket's scheme (`'wss'` for
   * wss://, what 3.0.10 sends; `'ws'` for ws://). `'ws'` is RFC 7118's only defined value.
   */
  contactTransport?: 'ws' | 'wss';
  /**
   * Ours: seconds a call may stay without a signalling or media path before it ends (default
   * 30); meanwhile SessionCallback gets `reconnecting`, then `reconnected`.
   */
  reconnectTimeout?: number;
  /** Ours: RFC 5626 outbound (reg-id, `ob`) for edges that support it; off by default, as 3.0.10. */
  outbound?: boolean;
}

/** What callDetails() returns: the current or last call. */
export interface CallDetails {
  /** The SIP Call-ID. */
  callId: string;
  /** The far end's number or user (from From; when From is anonymous, from assertedIdentity). */
  remoteId: string;
  /** The far end's display name, else its number. */
  remoteDisplayName: string;
  /** `'incoming'` or `'outgoing'`. */
  callDirection: 'incoming' | 'outgoing' | '';
  /** Where the call is: `'incoming'`, `'ringing'`, `'answering'`, `'connected'`, `'ended'`. */
  callState: string;
  /** Seconds connected, as a string. */
  callDuration: string;
  /** ISO time the call started ('' until then). */
  callStartedTime: string;
  /** ISO time the call connected ('' until then). */
  callEstablishedTime: string;
  /** ISO time the call ended ('' until then). */
  callEndedTime: string;
  /** ISO time the call was answered here ('' until then). */
  callAnswerTime: string;
  /** Why it ended: `local_hangup`, `local_reject`, `remote_hangup`, `cancelled`, `rejected`, ... */
  callEndReason: string;
  /** The SDK's handle of the call. */
  sessionId: string;
  /** Exotel's call id, from the INVITE's `X-Exotel-Callsid`. */
  callSid: string;
  /** Exotel's leg id, from the INVITE's `Legsid`. */
  legSid: string;
  /**
   * Ours: the caller's number or user from the INVITE's P-Asserted-Identity, else its
   * Remote-Party-ID; '' when it has neither.
   */
  assertedIdentity: string;
  /** Every header of the INVITE; an array when the header repeats. */
  sipHeaders: Record<string, string | string[]>;
}

/**
 * The call object: `exWebClient.getCall()`, and the first argument of CallListenerCallback.
 * Every method acts on the client's current call; with none, it logs and does nothing.
 */
export interface Call {
  /** Accepts the incoming call. Success results in a `connected` event. */
  Answer(): void;
  /**
   * Rejects the incoming call (486) or hangs up the call. A local hangup gives `callEnded`;
   * a hangup by the remote user gives `callEnded` then `terminated`.
   */
  Hangup(): void;
  /**
   * Mutes the mic. Call remains `connected` but with the mic muted (no signalling).
   * SessionCallback('muted') once; nothing when already muted. Each new call starts unmuted.
   */
  Mute(): void;
  /** Unmutes the mic. SessionCallback('unmuted') once; nothing when not muted. */
  UnMute(): void;
  /** A single API to toggle the mic: Mute() when unmuted, UnMute() when muted. */
  MuteToggle(): void;
  /**
   * Sets the remote user on hold (re-INVITE sendonly); the mic is silenced while held.
   * SessionCallback('holdunhold_success') or 'holdunhold_failed'.
   */
  Hold(): void;
  /** Resumes the held call (re-INVITE sendrecv). */
  UnHold(): void;
  /** A single API to hold or resume the remote caller. */
  HoldToggle(): void;
  /**
   * Sends one DTMF key to the connected call, with a local key tone ('dtmftone' volume): by SIP
   * INFO, or RFC 4733 in RTP (see SipAccountInfo.dtmfMode). Anything else is logged as an
   * error, never thrown.
   */
  sendDTMF(digit: DtmfDigit): void;
  /** The details of the current or last call. */
  callDetails(): CallDetails;
}

/**
 * Handles registration states as they change: `registered` (successful registration),
 * `unregistered` (successful unregistration), `terminated` (registration/unregistration
 * failed), `sent_request` (registration/unregistration request sent). `phone` is the userName.
 * Ours: with `terminated`, a third argument says why.
 */
export type RegisterEventCallBack = (state: RegisterState, phone: string, failure?: RegistrationFailure) => void;
/**
 * Handles call events as they occur: `incoming` (show the incoming call message), `ringing`,
 * `connected` (open the dialer), `callEnded` (close the dialer; every end), and `terminated`
 * after it when the far end ended or refused the call. `phone` identifies the phone.
 */
export type CallListenerCallback = (call: Call, eventType: CallEvent, phone: string) => void;
/**
 * Handles notifications for multiple tab sessions and this tab's call media (see SessionState;
 * ours: `media_inbound_stalled`/`media_inbound_resumed`, `reconnecting`/`reconnected`).
 */
export type SessionCallback = (state: SessionState, phone: string) => void;
/** Receives every SDK log line (guide §5.17); `args` are the line's extra values. */
export type LoggerCallback = (type: LogType, message: string, args: unknown[]) => void;

/** diagnosticsReportCallback(logStatus, logData): the whole troubleshooting log so far. */
export type DiagnosticsReportCallback = (logStatus: 'troubleShootReport', logData: string) => void;
/**
 * diagnosticsKeyValueCallback(key, status, description): `key` indicates the type of response
 * (`browserVersion`, `micInfo`, `speakerInfo`, `speaker`, `mic`, `wss`, `userReg`, `tcp`, `udp`,
 * `host`, `srflx`, `ipv6`); `status` is the value specific to the key (the `mic` and `speaker`
 * levels are numbers); `description` is specific to the key. The guide's shape, with `status`
 * typed `string`, is accepted.
 */
export type DiagnosticsKeyValueCallback = {
  // A method's parameters are compared both ways, so the guide's `status: string` fits too.
  bivarianceHack(key: string, status: string | number, description: string): void;
}['bivarianceHack'];
/** Ours: the state of tab leadership. */
export type TabLeadership = 'off' | 'pending' | 'leader' | 'follower' | 'unsupported';

/** What every device onError receives (ours; 3.0.10 passed a string or a DOMException). */
export interface DeviceError extends Error {
  /** Always `'DeviceError'`. */
  name: 'DeviceError';
  /** `invalidArgument`, `deviceIdNotFound`, `notSupported` (no setSinkId) or `deviceChangeFailed`. */
  code: 'invalidArgument' | 'deviceIdNotFound' | 'notSupported' | 'deviceChangeFailed';
}

/** The `devicechange` Event, as far as the SDK promises (a DOM Event where there is a DOM). */
export interface DeviceChangeEvent {
  /** `'devicechange'`. */
  readonly type: string;
}
/** Declared as a method so that a handler taking the DOM's `Event` is accepted. */
type DeviceChangeHandler = { bivarianceHack(event: DeviceChangeEvent): void }['bivarianceHack'];

/** The audio device members (guide §5.16); in `exotel-voice-sdk/core`, added by `withDevices`. */
export interface AudioDevices {
  /**
   * Registers callbacks that get the device ID when the default device changed. Without
   * onDeviceChangeCallback the SDK switches to the new input/output device itself (with
   * automatic handling on: initWebrtc's 5th argument) and reports each switch; with it, the SDK
   * does not change the device and the callback gets every `devicechange` Event. Works before
   * initWebrtc.
   */
  registerAudioDeviceChangeCallback(
    audioInputDeviceChangeCallback: (deviceId: string) => void,
    audioOutputDeviceChangeCallback: (deviceId: string) => void,
    onDeviceChangeCallback?: DeviceChangeHandler,
  ): void;
  /**
   * During the call or before the call, changes the audio input device: mid-call the new
   * microphone replaces the old one without renegotiation, mute and hold kept. `'default'` is
   * the system default. `forceDeviceChange` true bypasses the automatic switching.
   */
  changeAudioInputDevice(
    deviceId: string,
    onSuccess?: (deviceId: string) => void,
    onError?: (error: DeviceError) => void,
    forceDeviceChange?: boolean,
  ): void;
  /**
   * During the call or before the call, changes the audio output device (setSinkId) of the
   * call audio, and of the tones where the browser can. `forceDeviceChange` true bypasses the
   * automatic switching. onError with code `notSupported` in browsers without setSinkId.
   */
  changeAudioOutputDevice(
    deviceId: string,
    onSuccess?: (deviceId: string) => void,
    onError?: (error: DeviceError) => void,
    forceDeviceChange?: boolean,
  ): void;
  /** Ours: the chosen devices, `'default'` when none was chosen. */
  getAudioDevices(): { input: string; output: string };
}

/** Device and network diagnostics (guide §5.13); in `exotel-voice-sdk/core`, added by `withDiagnostics`. */
export interface Diagnostics {
  /**
   * Initializes diagnostics with two callbacks: one for troubleshooting logs, one to get the
   * responses of the diagnostics back. Immediately reports `browserVersion`, then `micInfo` and
   * `speakerInfo`, through keyValueSetCallback.
   */
  initDiagnostics(diagnosticsReportCallback: DiagnosticsReportCallback, keyValueSetCallback: DiagnosticsKeyValueCallback): void;
  /** Stops every test, forgets the callbacks and clears the report. */
  closeDiagnostics(): void;
  /** Starts a test by playing a ring tone; the volume levels come as key `speaker`. */
  startSpeakerDiagnosticsTest(): void;
  /**
   * Ends the speaker test. `'yes'`: the user heard the speaker's sound; `'no'`: did not. Without
   * an argument, only the test is terminated and the log is not updated.
   */
  stopSpeakerDiagnosticsTest(speakerTestResponse?: 'yes' | 'no'): void;
  /** Starts a test capturing the audio spoken on the mic; the volume levels come as key `mic`. */
  startMicDiagnosticsTest(): void;
  /**
   * Ends the mic test. `'yes'`: the user's voice was captured; `'no'`: it could not be.
   * Without an argument, only the test is terminated and the log is not updated.
   */
  stopMicDiagnosticsTest(micTestResponse?: 'yes' | 'no'): void;
  /**
   * Starts network operations testing: `wss` (a real WebSocket attempt; description the URL),
   * `userReg` (the registration state), and `udp`, `tcp`, `host`, `srflx`, `ipv6` from ICE
   * gathering against the configured servers.
   */
  startNetworkDiagnostics(): void;
  /** Cancels the network tests. */
  stopNetworkDiagnostics(): void;
}

/** Multi-tab sessions (guide §5.12); in `exotel-voice-sdk/core`, added by `withMultiTab`. */
export interface MultiTab {
  /**
   * To be called during initialization: creates a broadcast channel and sends each child tab
   * the `incoming`, `connected`, `callEnded` and `re-register` events, which arrive through
   * SessionCallback. Returns true when listening.
   */
  SessionListener(): boolean;
  /** 3.0.10's name of SessionListener(). */
  SessionListenerMethod(): boolean;
  /**
   * Ours: one tab per account registers and rings (Web Locks); when it closes, another takes
   * over and gets `re-register`. Call it after initWebrtc and before DoRegister, in every tab.
   * False when it cannot be on (no initWebrtc yet, or no Web Locks: every tab registers).
   */
  enableTabLeadership(): boolean;
  /** Ours: gives tab leadership up; a DoRegister() waiting for it registers now. */
  disableTabLeadership(): void;
  /** Ours: whether this tab leads. */
  getTabLeadership(): TabLeadership;
}

/** 3.0.10's `getCallController()` object (a dummy that stores a listener). */
export interface CallController {
  /** What setCallListener stored. */
  listener: unknown;
  /** Stores `listener` (nothing calls it, as in 3.0.10). */
  setCallListener(listener: unknown): void;
}

/** What setEventListener takes. */
export interface RegistrationEventListener {
  /** Called with every registration state change, as RegisterEventCallBack. */
  onRegistrationStateChanged(state: RegisterState, phone: string): void;
}

/**
 * The web client: registration, calls, tones and logs (`exotel-voice-sdk/core`). The default
 * entry's {@link ExotelWebClient} adds the audio devices, diagnostics and multi-tab members.
 */
declare class ExotelWebClientCore {
  /** One client per SIP account (userName) on a page. */
  constructor();
  /**
   * Initializes the client with the SIP account details and the callbacks: RegisterEventCallBack
   * handles registration states as they change, CallListenerCallback call events as they occur,
   * SessionCallback notifications for multiple tab sessions. The 5th argument true enables
   * automatic audio device change handling. Resolves false, with the reason logged, for bad
   * input; never rejects. Called again with the same account, it only updates the callbacks.
   * @example
   * const exWebClient = new exotelSDK.ExotelWebClient();
   * exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback);
   */
  initWebrtc(
    sipAccountInfo: SipAccountInfo,
    RegisterEventCallBack: RegisterEventCallBack,
    CallListenerCallback?: CallListenerCallback,
    SessionCallback?: SessionCallback,
    enableAutoAudioDeviceChangeHandling?: boolean,
  ): Promise<boolean>;
  /** The guide's spelling (§5.16) of initWebrtc. */
  initWebRTC: ExotelWebClientCore['initWebrtc'];
  /**
   * Registers the SIP phone; needed before receiving or making any call. The response comes in
   * RegisterEventCallBack (`sent_request`, then `registered` or `terminated`). Queued until
   * initWebrtc has finished; returns false (logged) when initWebrtc was never called.
   */
  DoRegister(): boolean;
  /**
   * Unregisters the SIP phone, to stop getting calls: un-REGISTER, then the WebSocket is closed
   * once the server answered. The response comes in RegisterEventCallBack as `unregistered`.
   */
  UnRegister(): void;
  /**
   * Ours: ends this client for good: hangs up its call, removes its binding (un-REGISTER, waited
   * for a few seconds at most), releases its microphone, sockets and core, and frees its userName
   * for a new client at once; its callbacks hear nothing more. Idempotent (the same promise).
   * For React, call it in the effect's cleanup (StrictMode mounts twice); at logout, before
   * creating the next client.
   * @example
   * useEffect(() => {
   *   const client = new ExotelWebClient();
   *   client.initWebrtc(sipAccountInfo, RegisterEventCallBack).then((ok) => ok && client.DoRegister());
   *   return () => client.destroy();
   * }, [sipAccountInfo]);
   */
  destroy(): Promise<void>;
  /** 3.0.10's implementation behind DoRegister; the arguments are ignored. */
  initialize(...ignored: unknown[]): boolean;
  /** 3.0.10's implementation behind UnRegister; the argument is ignored. */
  unregister(...ignored: unknown[]): void;
  /** The call object (Answer, Hangup, Mute, Hold, sendDTMF, ...). Never throws. */
  getCall(): Call;
  /** The same call object as getCall(). */
  readonly call: Call;
  /**
   * Ours (3.0.10 has no outbound calls): calls a number, user name or `sip:` URI. Resolves true
   * once the call is placed, false (logged) when it cannot be; progress arrives through
   * CallListenerCallback as for incoming calls.
   */
  makeCall(target: string | number, options?: Record<string, never>): Promise<boolean>;
  /**
   * Noise suppression for the microphone of the next call. Default off, as in 3.0.10; called
   * without an argument it turns it off.
   */
  setNoiseSuppression(enabled: boolean): void;
  /**
   * Makes the codec the preferred one (guide §5.2: `setPreferredCodec("opus")`) in the next
   * calls' offers and answers (setCodecPreferences; the others stay offered). An unknown name
   * is logged and changes nothing. Works before initWebrtc.
   */
  setPreferredCodec(codecName: CodecName | Uppercase<CodecName>): void;
  /** Volume (clamped to 0..1) of the call audio, now and for later calls. Never throws. */
  setCallAudioOutputVolume(value: number): void;
  /** The call audio volume; default 1. */
  getCallAudioOutputVolume(): number;
  /**
   * Checks whether the SDK is ready to receive a call: first the microphone, then the
   * WebSocket, then the registration (guide §5.15). Never opens the microphone. Ours: a second
   * argument says why, when the SDK knows (a refusal by the page's Content Security Policy names
   * the directive to add).
   */
  checkClientStatus(callback: (status: ClientStatus, why?: ClientStatusReason) => void): void;
  /** Registers the app's logger (guide §5.17); one slot for the page, as the static form. */
  registerLoggerCallback(callback: LoggerCallback | null): void;
  /**
   * Downloads a ".txt" file (e.g. "webrtc_sdk_logs_2025-04-03.txt") with the last 1000 log
   * lines, to share with support. Secrets are redacted.
   */
  downloadLogs(): void;

  /** 3.0.10's dummy controller: null before initWebrtc. */
  getCallController(): CallController | null;
  /** Also tells `listener` of every registration state change. */
  setEventListener(listener: RegistrationEventListener): void;
  /** The listener given to setEventListener, if any. */
  eventListener?: RegistrationEventListener;
  /** 3.0.10's internal router: calls RegisterEventCallBack(event, phone). */
  registerEventCallback(event: RegisterState, phone?: string): void;
  /** 3.0.10's internal router: calls CallListenerCallback(call, event, phone). */
  callEventCallback(event: CallEvent, phone?: string): void;
  /** 3.0.10's internal router (it threw there); only logs: diagnostics report through initDiagnostics. */
  diagnosticEventCallback(event: unknown, phone?: unknown, param?: unknown): void;
  /** 3.0.10's status handler; only logs. */
  webRTCStatusCallbackHandler(a?: unknown, b?: unknown): void;
  /** `'audioRemote'` is the call audio; the other names are tones. */
  setAudioOutputVolume(name: ToneName | 'audioRemote', value: number): void;
  /** `'audioRemote'` is the call audio; the other names are tones. */
  getAudioOutputVolume(name: ToneName | 'audioRemote'): number | undefined;
  /** The vendor sample's name for setAudioOutputVolume. */
  setSoundVolume(name: ToneName | 'audioRemote', value: number): void;

  /** The object given to the latest initWebrtc (never modified), or null. */
  readonly sipAccountInfo: SipAccountInfo | null;
  /** The account's userName once initWebrtc accepted it, else null. */
  readonly userName: string | null;
  /** The userName, or ''. */
  readonly currentSIPUserName: string;
  /** The caller of the call in progress, or null. */
  readonly callFromNumber: string | null;
  /** True while a REGISTER is in progress. */
  readonly registrationInProgress: boolean;
  /** False while registering or registered. */
  readonly isReadyToRegister: boolean;

  /** The callback given to registerLoggerCallback (3.0.10's static field). */
  static clientSDKLoggerCallback: LoggerCallback | null;
  /** Registers the app's logger for every client on the page (guide §5.17). */
  static registerLoggerCallback(callback: LoggerCallback | null): void;
  /** Console output on (the default) or off; the logger callback and the log ring are unaffected. */
  static setEnableConsoleLogging(enable: boolean): void;
  /** Volume (0..1) of a synthesized tone, for every client on the page. Never throws. */
  static setAudioOutputVolume(name: ToneName, value: number): void;
  /** The tone's volume (default 1); undefined (logged) for an unknown name. */
  static getAudioOutputVolume(name: ToneName): number | undefined;
}
export type { ExotelWebClientCore };

/**
 * The web client of exotelsdk.js 3.0.10: one per SIP account on a page.
 * @example
 * const exWebClient = new exotelSDK.ExotelWebClient();
 * exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback);
 * exWebClient.DoRegister();
 */
export declare class ExotelWebClient extends ExotelWebClientCore {}
export interface ExotelWebClient extends AudioDevices, Diagnostics, MultiTab {}

/** `import exotelSDK from 'exotel-voice-sdk'`: the namespace, as the drop-in's global. */
declare const exotelSDK: {
  readonly ExotelWebClient: typeof ExotelWebClient;
  readonly version: string;
};
export default exotelSDK;
