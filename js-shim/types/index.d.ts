// Types for the exotelsdk.js 3.0.10-compatible API. Members marked "ours" do not exist in 3.0.10.

export type RegisterState = 'sent_request' | 'registered' | 'unregistered' | 'terminated';
export type CallEvent = 'incoming' | 'ringing' | 'connected' | 'callEnded' | 'terminated';
export type ToneName = 'ringtone' | 'ringbacktone' | 'dtmftone' | 'beeptone';
export type LogType = 'log' | 'info' | 'warn' | 'error';
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
  sipHeaders: Record<string, string | string[]>;
}

export interface Call {
  Answer(): void;
  Hangup(): void;
  Mute(): void;
  UnMute(): void;
  MuteToggle(): void;
  Hold(): void;
  UnHold(): void;
  HoldToggle(): void;
  sendDTMF(digit: string | number): void;
  callDetails(): CallDetails;
}

export type RegisterEventCallBack = (state: RegisterState, phone: string) => void;
export type CallListenerCallback = (call: Call, eventType: CallEvent, phone: string) => void;
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
  /** Noise suppression for the next answered call's microphone. Default on (3.0.10: off). */
  setNoiseSuppression(enabled?: boolean): void;
  checkClientStatus(callback: (status: ClientStatus) => void): void;
  /** Instance form shown in the integration guide; same single slot as the static one. */
  registerLoggerCallback(callback: LoggerCallback | null): void;
  static registerLoggerCallback(callback: LoggerCallback | null): void;
  static setEnableConsoleLogging(enable: boolean): void;
  /** Volume (0..1) of a synthesized tone, for every client on the page. Never throws. */
  static setAudioOutputVolume(name: ToneName, value: number): void;
  /** The tone's volume (default 1); undefined (logged) for an unknown name. */
  static getAudioOutputVolume(name: ToneName): number | undefined;
}
