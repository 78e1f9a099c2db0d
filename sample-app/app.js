// The sample app talks to the SDK exactly as the integration guide shows.
(function () {
  const q = new URLSearchParams(location.search);
  const form = document.getElementById('account');
  if (q.get('user')) {
    form.user.value = q.get('user');
    form.pass.value = 'pass' + q.get('user');
  }
  if (q.get('port')) form.domain.value = '127.0.0.1:' + q.get('port');
  if (q.get('user') === '1002') document.getElementById('dial').value = '1001';

  const logEl = document.getElementById('log');
  function show(type, message) {
    const line = document.createElement('div');
    line.className = type;
    line.textContent = `${new Date().toISOString().slice(11, 23)} [${type}] ${message}`;
    logEl.appendChild(line);
    logEl.scrollTop = logEl.scrollHeight;
  }
  exotelSDK.ExotelWebClient.setEnableConsoleLogging(false);
  exotelSDK.ExotelWebClient.registerLoggerCallback(show);

  const exWebClient = new exotelSDK.ExotelWebClient();
  let shouldAutoRetry = false;

  const $ = (id) => document.getElementById(id);
  function showCall(state) {
    $('call-state').textContent = state;
    const d = exWebClient.getCall().callDetails();
    $('call-peer').textContent = d.remoteId ? `${d.callDirection} ${d.remoteDisplayName || d.remoteId}` : '';
    const live = state !== 'idle';
    $('mute-btn').disabled = state !== 'connected';
    $('hold-btn').disabled = state !== 'connected';
    if (!live) {
      $('mute-btn').textContent = 'Mute';
      $('hold-btn').textContent = 'Hold';
    }
    $('answer-btn').disabled = state !== 'incoming';
    $('hangup-btn').disabled = !live;
    $('call-btn').disabled = live || $('reg-state').textContent.indexOf('registered') !== 0;
  }

  function RegisterEventCallBack(state, phone) {
    document.getElementById('reg-state').textContent = `${state} (${phone})`;
    document.getElementById('unregister').disabled = state !== 'registered';
    $('call-btn').disabled = state !== 'registered';
    // Guide §5.14: re-register on failure. The SDK paces such retries with a backoff.
    if (state === 'terminated' && shouldAutoRetry) exWebClient.DoRegister();
  }
  function CallListenerCallback(callObj, eventType, phone) {
    show('info', `call event ${eventType} for ${phone}`);
    if (eventType === 'incoming') showCall('incoming');
    else if (eventType === 'ringing') showCall(callObj.callDetails().callDirection === 'outgoing' ? 'ringing' : 'incoming');
    else if (eventType === 'connected') showCall('connected');
    else if (eventType === 'callEnded') showCall('idle');
  }
  function SessionCallback(state, phone) {
    // Per-call states from the SDK: mute and hold results drive the buttons.
    if (state === 'muted' || state === 'unmuted') $('mute-btn').textContent = state === 'muted' ? 'Unmute' : 'Mute';
    if (state === 'holdunhold_success') {
      held = !held;
      $('hold-btn').textContent = held ? 'Resume' : 'Hold';
    }
    if (state === 'holdunhold_failed') show('warn', 'hold/resume failed; the call goes on');
    if (state === 'terminated') held = false;
  }
  let held = false;

  document.getElementById('register').addEventListener('click', async () => {
    const sipAccountInfo = {
      userName: form.user.value,
      authUser: form.user.value,
      sipdomain: form.sipdomain.value,
      domain: form.domain.value,
      displayname: 'Agent ' + form.user.value,
      secret: form.pass.value,
      port: form.domain.value.split(':')[1] || '',
      security: form.security.value,
      endpoint: form.security.value,
    };
    // 5th argument: follow plugged and unplugged headsets automatically.
    const ok = await exWebClient.initWebrtc(sipAccountInfo, RegisterEventCallBack, CallListenerCallback, SessionCallback, true);
    if (!ok) return;
    exWebClient.registerAudioDeviceChangeCallback(
      (id) => show('info', `microphone switched to ${id}`),
      (id) => show('info', `speaker switched to ${id}`),
    );
    shouldAutoRetry = true;
    exWebClient.DoRegister();
  });
  document.getElementById('unregister').addEventListener('click', () => {
    shouldAutoRetry = false;
    exWebClient.UnRegister();
  });
  $('call-btn').addEventListener('click', async () => {
    showCall('calling');
    if (!(await exWebClient.makeCall($('dial').value))) showCall('idle');
  });
  $('answer-btn').addEventListener('click', () => exWebClient.getCall().Answer());
  $('mute-btn').addEventListener('click', () => exWebClient.getCall().MuteToggle());
  $('hold-btn').addEventListener('click', () => exWebClient.getCall().HoldToggle());
  $('volume').addEventListener('input', (e) => exWebClient.setCallAudioOutputVolume(Number(e.target.value)));
  $('codec').addEventListener('change', (e) => e.target.value && exWebClient.setPreferredCodec(e.target.value));
  $('dtmf-pad').addEventListener('click', (e) => {
    if (e.target.tagName === 'BUTTON') exWebClient.getCall().sendDTMF(e.target.textContent);
  });
  $('hangup-btn').addEventListener('click', () => exWebClient.getCall().Hangup());
  // Device pickers: the lists are refreshed on every device change; labels appear once the page
  // has microphone permission (after the first call or the status check).
  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const chosen = exWebClient.getAudioDevices();
    for (const [kind, id, current] of [['audioinput', 'mic', chosen.input], ['audiooutput', 'speaker', chosen.output]]) {
      const select = $(id);
      select.replaceChildren(
        ...devices
          .filter((d) => d.kind === kind)
          .map((d) => new Option(d.label || `${kind} ${d.deviceId.slice(0, 8)}`, d.deviceId, false, d.deviceId === current)),
      );
    }
  }
  if (navigator.mediaDevices) {
    listDevices();
    navigator.mediaDevices.addEventListener('devicechange', listDevices);
  }
  for (const [id, method] of [['mic', 'changeAudioInputDevice'], ['speaker', 'changeAudioOutputDevice']]) {
    $(id).addEventListener('change', (e) =>
      exWebClient[method](e.target.value, (dev) => show('info', `${id}: ${dev}`), (err) => show('error', `${id}: ${err.message}`)),
    );
  }
  $('logs-btn').addEventListener('click', () => exWebClient.downloadLogs());
  document.getElementById('status-check').addEventListener('click', () => {
    exWebClient.checkClientStatus((s) => (document.getElementById('client-status').textContent = `status: ${s}`));
  });
})();
