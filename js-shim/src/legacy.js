// The rest of the 3.0.10 surface (exotel-api.md §2): internal routers that were publicly
// reachable, dummy controllers, data fields apps read, and tolerant aliases for members the
// guide or the vendor's sample apps call although 3.0.10 lacked them. None of them throws.

import { logger } from './logger.js';

function define(Client, name, value) {
  Object.defineProperty(Client.prototype, name, { value, writable: true, configurable: true });
}

function getter(Client, name, get) {
  Object.defineProperty(Client.prototype, name, { get, configurable: true });
}

/** Adds this feature's members to ExotelWebClient. */
export function installLegacy(Client) {
  // The guide (§5.16) spells it initWebRTC.
  define(Client, 'initWebRTC', function initWebRTC(...args) {
    return this.initWebrtc(...args);
  });

  // 3.0.10's implementations behind DoRegister/UnRegister; only the account argument mattered.
  define(Client, 'initialize', function initialize() {
    return this.DoRegister();
  });
  define(Client, 'unregister', function unregister() {
    return this.UnRegister();
  });

  // Internal event routers that apps could call; they forward to the app's callbacks.
  define(Client, 'registerEventCallback', function registerEventCallback(event, phone) {
    this._safe('RegisterEventCallBack', this._callbacks.register, [event, phone === undefined ? this.userName : phone]);
  });
  define(Client, 'callEventCallback', function callEventCallback(event, phone) {
    this._safe('CallListenerCallback', this._callbacks.call, [this._call, event, phone === undefined ? this.userName : phone]);
  });
  define(Client, 'diagnosticEventCallback', function diagnosticEventCallback(event) {
    logger.info(`diagnosticEventCallback(${String(event)}): diagnostics report through initDiagnostics callbacks`);
  });
  define(Client, 'webRTCStatusCallbackHandler', function webRTCStatusCallbackHandler(a, b) {
    logger.log(`webRTCStatusCallbackHandler(${String(a)}, ${String(b)})`);
  });

  // A dummy controller, as in 3.0.10: null before initWebrtc.
  define(Client, 'getCallController', function getCallController() {
    if (!this._ready) return null;
    if (!this._callController) {
      this._callController = {
        listener: null,
        setCallListener(l) {
          this.listener = l;
        },
      };
    }
    return this._callController;
  });

  // setEventListener({onRegistrationStateChanged(state, phone)}): also told of every register
  // state change (3.0.10 replaced its internal listener with it).
  define(Client, 'setEventListener', function setEventListener(listener) {
    if (!listener || typeof listener.onRegistrationStateChanged !== 'function') {
      logger.error('setEventListener: the listener needs an onRegistrationStateChanged(state, phone) method');
      return;
    }
    this.eventListener = listener;
    if (!this._eventListenerHooked) {
      this._eventListenerHooked = true;
      this._on('registration', (state) => {
        const l = this.eventListener;
        if (l) this._safe('onRegistrationStateChanged', l.onRegistrationStateChanged.bind(l), [state, this.userName]);
      });
    }
  });

  // The demo calls these on the instance, with 'audioRemote' meaning the call audio.
  define(Client, 'setAudioOutputVolume', function setAudioOutputVolume(name, value) {
    if (name === 'audioRemote') this.setCallAudioOutputVolume(value);
    else Client.setAudioOutputVolume(name, value);
  });
  define(Client, 'getAudioOutputVolume', function getAudioOutputVolume(name) {
    return name === 'audioRemote' ? this.getCallAudioOutputVolume() : Client.getAudioOutputVolume(name);
  });
  define(Client, 'setSoundVolume', function setSoundVolume(name, value) {
    this.setAudioOutputVolume(name, value);
  });

  // Data fields 3.0.10 apps read, derived from the real state instead of stored copies.
  getter(Client, 'currentSIPUserName', function () {
    return this.userName || '';
  });
  getter(Client, 'callFromNumber', function () {
    const rec = this._callRecord;
    return rec && !rec.ended ? rec.details.remoteId || null : null;
  });
  getter(Client, 'registrationInProgress', function () {
    return Boolean(this._core) && this._core.registrationState() === 'registering';
  });
  getter(Client, 'isReadyToRegister', function () {
    if (!this._core) return true;
    const s = this._core.registrationState();
    return s !== 'registering' && s !== 'registered';
  });
  getter(Client, 'call', function () {
    return this._call;
  });
}
