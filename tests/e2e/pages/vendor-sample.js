// Behaviour of tests/e2e/pages/vendor-sample.html, in the vendor sample app's style: globals,
// no awaits on SDK calls, UI strings set from the callbacks. `window.seen` records what the
// callbacks and alerts received, for the test.
const exWebClient = new exotelSDK.ExotelWebClient();
var call = null;
var shouldAutoRetry = false;
window.seen = { alerts: [], keyValues: [], reports: 0, sessions: [] };
window.alert = function (text) {
  window.seen.alerts.push(String(text));
};

function UserAgentRegistration() {
  var info = JSON.parse(phone)[0];
  var sipAccountInfo = {
    userName: info.Username,
    authUser: info.Username,
    sipdomain: info.Domain,
    domain: info.HostServer + ':' + info.Port,
    displayname: info.DisplayName,
    secret: info.Password,
    port: info.Port,
    security: info.Security,
    endpoint: info.EndPoint,
    iceServers: [], // ours: loopback-only test machine, no STUN
  };
  exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, true);
  exWebClient.DoRegister();
}

function registerToggle() {
  if (document.getElementById('registerButton').innerHTML === 'REGISTER') {
    shouldAutoRetry = true;
    UserAgentRegistration();
    exWebClient.registerAudioDeviceChangeCallback(CurrentInputDeviceCallback, CurrentOutputDeviceCallback);
  } else {
    shouldAutoRetry = false;
    exWebClient.unregister();
  }
}

function RegisterEventCallBack(state, phoneNumber) {
  document.getElementById('status').innerHTML = state;
  if (state === 'registered') {
    document.getElementById('registerButton').innerHTML = 'UNREGISTER';
  } else {
    document.getElementById('registerButton').innerHTML = 'REGISTER';
    if (shouldAutoRetry) exWebClient.DoRegister(); // as the vendor's demo: on every other state
  }
}

function CallListenerCallback(callObj, eventType, phoneNumber) {
  call = exWebClient.getCall();
  document.getElementById('call_status').innerHTML = eventType;
}

function SessionCallback(state, phoneNumber) {
  window.seen.sessions.push(state);
}

function CurrentInputDeviceCallback(id) {
  document.getElementById('current_input_device').innerHTML = id;
}

function CurrentOutputDeviceCallback(id) {
  document.getElementById('current_output_device').innerHTML = id;
}

function acceptCall() {
  if (call) call.Answer();
}

function rejectCall() {
  if (call) call.Hangup();
}

function toggleMuteButton() {
  if (call) {
    call.MuteToggle();
    var b = document.getElementById('muteButton');
    b.innerHTML = b.innerHTML === 'MUTE' ? 'UNMUTE' : 'MUTE';
  }
}

function toggleHoldButton() {
  if (call) {
    call.HoldToggle();
    var b = document.getElementById('holdButton');
    b.innerHTML = b.innerHTML === 'HOLD' ? 'UNHOLD' : 'HOLD';
  }
}

function sendDTMF(digit) {
  if (call) call.sendDTMF(digit);
}

function changeAudioInputDevice() {
  var id = document.getElementById('inputDevices').value;
  exWebClient.changeAudioInputDevice(
    id,
    (deviceId) => alert(`Input device changed successfully to: ${deviceId}`),
    (error) => alert(`Failed to change input device: ${error}`),
    true,
  );
}

function changeAudioOutputDevice() {
  var id = document.getElementById('outputDevices').value;
  exWebClient.changeAudioOutputDevice(
    id,
    (deviceId) => alert(`Output device changed successfully to: ${deviceId}`),
    (error) => alert(`Failed to change output device: ${error}`),
    true,
  );
}

function setCallVolume(v) {
  exWebClient.setCallAudioOutputVolume(v / 100);
}

function setRingVolume(v) {
  exotelSDK.ExotelWebClient.setAudioOutputVolume('ringtone', v / 100);
}

// The vendor's demo calls these instance forms, which 3.0.10 lacked.
function setRemoteVolume(v) {
  exWebClient.setAudioOutputVolume('audioRemote', v / 100);
  exWebClient.setSoundVolume('ringtone', exWebClient.getAudioOutputVolume('ringtone'));
}

function checkStatus() {
  exWebClient.checkClientStatus(function (status) {
    document.getElementById('client_status').innerHTML = status;
  });
}

function initDiagnostics() {
  exWebClient.initDiagnostics(
    function (status, report) {
      window.seen.reports++;
      document.getElementById('report').textContent = report;
    },
    function (key, status, description) {
      window.seen.keyValues.push([key, String(status)]);
    },
  );
}

async function populateDeviceDropdowns() {
  var devices = await navigator.mediaDevices.enumerateDevices();
  for (var [kind, select] of [['audioinput', 'inputDevices'], ['audiooutput', 'outputDevices']]) {
    var el = document.getElementById(select);
    el.innerHTML = '';
    devices.filter((d) => d.kind === kind).forEach((d) => {
      var option = document.createElement('option');
      option.value = d.deviceId;
      option.textContent = d.label || d.deviceId;
      el.appendChild(option);
    });
  }
}

window.addEventListener('load', populateDeviceDropdowns);
navigator.mediaDevices.addEventListener('devicechange', populateDeviceDropdowns);
