// Types for the exotelsdk.js 3.0.10-compatible API. Members marked "ours" do not exist in 3.0.10.

export type RegisterState = 'sent_request' | 'registered' | 'unregistered' | 'terminated';
export type CallEvent = 'incoming' | 'ringing' | 'connected' | 'callEnded' | 'terminated';
export type ToneName = 'ringtone' | 'ringbacktone' | 'dtmftone' | 'beeptone';
export type LogType = 'log' | 'info' | 'warn' | 'error';
/** Names accepted by setPreferredCodec, in any case. */
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
export type ClientStatus =
  | 'media_permission_denied'
  | 'not_initialized'
  | 'websocket_connection_failed'
  | 'unregistered'
  | 'terminated'
  | 'initial'
  | 'registered'
  | 'unknown'
  | 'disconnected'
  | 'connecting';

export interface SipAccountInfo {
  /** Names the phone in callbacks; one client per userName per page. */
  userName: string;
  /** Digest user and AOR user; defaults to userName. */
  authUser?: string;
  /** AOR domain and registrar. */
  sipdomain: string;
  /** WebSocket "host[:port]" (no port: 8089 on https pages, 8088 otherwise). */
  domain: string;
  /** SIP password. Never logged, never stored. */
  secret: string;
  /** "wss" (default) or "ws". */
  security?: 'wss' | 'ws' | string;
  /** WebSocket path; default "wss". */
  endpoint?: string;
  displayName?: string;
  displayname?: string;
  port?: string | number;
  /** Ours: ICE servers for calls. Default: [{urls: 'stun:stun.l.google.com:19302'}], as 3.0.10. */
  iceServers?: RTCIceServer[];
  /**
   * Ours: 'info' (default, as 3.0.10) sends DTMF by SIP INFO `application/dtmf-relay`;
   * 'rfc4733' sends it in RTP (RTCDTMFSender) and falls back to SIP INFO when the far end did
   * not negotiate telephone-event.
   */
  dtmfMode?: DtmfMode;
  /**
   * Ours: upper bound of the keep-alive ping interval in seconds (RFC 5626 CRLF ping, 10 s
   * pong timeout); default 30, 0 turns it off. A registrar's Flow-Timer takes precedence.
   */
  keepAliveInterval?: number;
  /**
   * Ours: the `transport` parameter of our Contact. Default: the WebSocket's scheme ('wss' for
   * wss://, what 3.0.10 sends; 'ws' for ws://). 'ws' is RFC 7118's only defined value.
   */
  contactTransport?: 'ws' | 'wss';
  /**
   * Ours: the host of our Contact and Via. 'testnet' (default): a random 192.0.2.N address, what
   * 3.0.10 sends; 'invalid': a random RFC 7118 `<token>.invalid` name.
   */
  contactHost?: ContactHost;
  [other: string]: unknown;
}

export interface CallDetails {
  callId: string;
  remoteId: string;
  remoteDisplayName: string;
  callDirection: string;
  callState: string;
  callDuration: string;
  callStartedTime: string;
  callEstablishedTime: string;
  callEndedTime: string;
  callAnswerTime: string;
  callEndReason: string;
  sessionId: string;
  callSid: string;
  legSid: string;
  /**
   * Ours: the caller's number or user from the INVITE's P-Asserted-Identity, else its
   * Remote-Party-ID; '' when it has neither. remoteId and remoteDisplayName come from From, as in
   * 3.0.10, except when From is anonymous: then from this identity.
   */
  assertedIdentity: string;
  sipHeaders: Record<string, string | string[]>;
}

/** Every method acts on the client's current call; with none, it logs and does nothing. */
export interface Call {
  Answer(): void;
  Hangup(): void;
  /**
   * Silences the microphone (no signalling) of the call being answered, connected, or placed.
   * SessionCallback('muted') once; nothing when already muted. Each new call starts unmuted.
   */
  Mute(): void;
  /** SessionCallback('unmuted') once; nothing when not muted. */
  UnMute(): void;
  /** Mute() when unmuted, UnMute() when muted. */
  MuteToggle(): void;
  Hold(): void;
  UnHold(): void;
  HoldToggle(): void;
  /**
   * One key to the connected call, with a local key tone ('dtmftone' volume). SIP INFO, or RFC
   * 4733 in RTP (see SipAccountInfo.dtmfMode). Anything else is logged as an error, never thrown.
   */
  sendDTMF(digit: DtmfDigit | string | number): void;
  callDetails(): CallDetails;
}

export type DiagnosticsReportCallback = (status: 'troubleShootReport', report: string) => void;
export type DiagnosticsKeyValueCallback = (key: string, status: string | number, description: string) => void;
export type TabLeadership = 'off' | 'pending' | 'leader' | 'follower' | 'unsupported';

/** What every device onError receives (ours; 3.0.10 passed a string or a DOMException). */
export interface DeviceError extends Error {
  name: 'DeviceError';
  code: 'invalidArgument' | 'deviceIdNotFound' | 'notSupported' | 'deviceChangeFailed';
}

export type RegisterEventCallBack = (state: RegisterState, phone: string) => void;
export type CallListenerCallback = (call: Call, eventType: CallEvent, phone: string) => void;
/**
 * `state`: this tab's 'incoming', 'accepted', 'terminated', 'muted', 'unmuted',
 * 'holdunhold_success', 'holdunhold_failed', 'userMediaFailed', 'media_permission_denied',
 * 'ice_gathering_state_*', 'ice_connection_state_*', ours 'media_inbound_stalled' /
 * 'media_inbound_resumed'; other tabs' 'incoming', 'connected', 'callEnded', and 're-register',
 * 'logout', 'login-successful' (see SessionListener).
 */
export type SessionCallback = (state: string, phone: string) => void;
export type LoggerCallback = (type: LogType, message: string, args: unknown[]) => void;

export declare class ExotelWebClient {
  constructor();
  /** Resolves false (with the reason logged) for bad input; never rejects. */
  initWebrtc(
    sipAccountInfo: SipAccountInfo,
    registerEventCallBack: RegisterEventCallBack,
    callListenerCallback?: CallListenerCallback,
    sessionCallback?: SessionCallback,
    enableAutoAudioDeviceChangeHandling?: boolean,
  ): Promise<boolean>;
  /** Queued until initWebrtc has finished; false when initWebrtc was never called. */
  DoRegister(): boolean;
  UnRegister(): void;
  /** Ours: calls a number, user or sip: URI. False (logged) when it cannot be placed. */
  makeCall(target: string | number, options?: Record<string, never>): Promise<boolean>;
  /** Never throws; before initWebrtc its methods log and do nothing. */
  getCall(): Call;
  /** Noise suppression for the next call's microphone. Default off, as in 3.0.10. */
  setNoiseSuppression(enabled?: boolean): void;
  /**
   * Codec to put first in the next calls' offers and answers (setCodecPreferences; the others
   * stay offered). Unknown names are logged and change nothing. Works before initWebrtc.
   */
  setPreferredCodec(codecName: CodecName | Uppercase<CodecName> | string): void;
  /** Volume (clamped to 0..1) of the call audio, now and for later calls. Never throws. */
  setCallAudioOutputVolume(value: number): void;
  /** The call audio volume; default 1. */
  getCallAudioOutputVolume(): number;
  checkClientStatus(callback: (status: ClientStatus) => void): void;
  /** Instance form shown in the integration guide; same single slot as the static one. */
  registerLoggerCallback(callback: LoggerCallback | null): void;
  /** Saves the last 1000 log lines as webrtc_sdk_logs_<yyyy-mm-dd>.txt (secrets redacted). */
  downloadLogs(): void;

  /** Diagnostics (guide §5.13): browserVersion at once, micInfo/speakerInfo after. */
  initDiagnostics(reportCallback: DiagnosticsReportCallback, keyValueCallback: DiagnosticsKeyValueCallback): void;
  closeDiagnostics(): void;
  startSpeakerDiagnosticsTest(): void;
  stopSpeakerDiagnosticsTest(response?: 'yes' | 'no' | string): void;
  startMicDiagnosticsTest(): void;
  stopMicDiagnosticsTest(response?: 'yes' | 'no' | string): void;
  /** Measured: wss (a real connection attempt), userReg, udp/tcp/host/srflx/ipv6 from ICE. */
  startNetworkDiagnostics(): void;
  stopNetworkDiagnostics(): void;

  /**
   * Audio devices (guide §5.16). With automatic handling (initWebrtc's 5th argument), the first
   * two callbacks receive the id of each device the SDK switched to after a devicechange; with
   * onDeviceChangeCallback the app gets the Event and the SDK switches nothing.
   */
  registerAudioDeviceChangeCallback(
    audioInputDeviceChangeCallback: (deviceId: string) => void,
    audioOutputDeviceChangeCallback: (deviceId: string) => void,
    onDeviceChangeCallback?: (event: Event) => void,
  ): void;
  /** The microphone: switched mid-call (replaceTrack, no re-INVITE) or used from the next call. */
  changeAudioInputDevice(
    deviceId: string,
    onSuccess?: (deviceId: string) => void,
    onError?: (error: DeviceError) => void,
    forceDeviceChange?: boolean,
  ): void;
  /** The call audio's speaker (setSinkId), now and for later calls; tones too where possible. */
  changeAudioOutputDevice(
    deviceId: string,
    onSuccess?: (deviceId: string) => void,
    onError?: (error: DeviceError) => void,
    forceDeviceChange?: boolean,
  ): void;
  /** Ours: the chosen devices, 'default' when none was chosen. */
  getAudioDevices(): { input: string; output: string };

  /** Multi-tab (guide §5.12): shares incoming/connected/callEnded with other tabs. */
  SessionListener(): boolean;
  SessionListenerMethod(): boolean;
  /** Ours: one tab per account registers and rings; another takes over with 're-register'. */
  enableTabLeadership(): boolean;
  disableTabLeadership(): void;
  getTabLeadership(): TabLeadership;

  /** 3.0.10 members kept for old integrations. */
  initWebRTC: ExotelWebClient['initWebrtc'];
  getCallController(): { setCallListener(listener: unknown): void } | null;
  setEventListener(listener: { onRegistrationStateChanged(state: RegisterState, phone: string): void }): void;
  registerEventCallback(event: string, phone?: string): void;
  callEventCallback(event: string, phone?: string): void;
  /** 'audioRemote' is the call audio; other names are tones. */
  setAudioOutputVolume(name: ToneName | 'audioRemote', value: number): void;
  getAudioOutputVolume(name: ToneName | 'audioRemote'): number | undefined;
  setSoundVolume(name: ToneName | 'audioRemote', value: number): void;
  readonly currentSIPUserName: string;
  readonly callFromNumber: string | null;
  readonly registrationInProgress: boolean;
  readonly isReadyToRegister: boolean;

  static clientSDKLoggerCallback: LoggerCallback | null;
  static registerLoggerCallback(callback: LoggerCallback | null): void;
  static setEnableConsoleLogging(enable: boolean): void;
  /** Volume (0..1) of a synthesized tone, for every client on the page. Never throws. */
  static setAudioOutputVolume(name: ToneName, value: number): void;
  /** The tone's volume (default 1); undefined (logged) for an unknown name. */
  static getAudioOutputVolume(name: ToneName): number | undefined;
}
