// exotel-voice-sdk/core: the client without the audio devices, diagnostics and multi-tab members
// (add them with withDevices, withDiagnostics, withMultiTab from the feature entries).
import type { ExotelWebClientCore } from './index.js';

export type {
  RegisterState, RegistrationFailure, ClientStatusReason, CallEvent, SessionState, ToneName, LogType, CodecName, DtmfMode,
  ContactHost, DtmfDigit, ClientStatus, IceServer, SipAccountInfo, CallDetails, Call, RegisterEventCallBack,
  CallListenerCallback, SessionCallback, LoggerCallback, CallController, RegistrationEventListener,
} from './index.js';

/** The web client: registration, calls, tones and logs (the whole 3.0.10 surface but devices, diagnostics and multi-tab). */
export declare const ExotelWebClient: typeof ExotelWebClientCore;
export type ExotelWebClient = ExotelWebClientCore;
/** The SDK's version (semver). */
export declare const version: string;
