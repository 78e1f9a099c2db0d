// Proof that the test Kamailio works, independent of the SDK: raw SIP over WebSocket.
//   scripts/kamailio.sh start 5066 && node tests/kamailio/smoke.mjs 5066; scripts/kamailio.sh stop
// Checks: 401 challenge (realm = From domain) -> digest REGISTER -> binding in `ul.dump`;
// replayed nc refused (nonce_count on; KAMAILIO_NONCE_COUNT=0 for both server and this
// script flips that); un-REGISTER with a larger nc removes the binding;
// wrong password / unknown user never get 200; an authenticated INVITE 1001 -> 1002 is
// routed to 1002's WebSocket and ACK/BYE follow the Record-Route back (WS alias handling).
// Exit 0 on success; non-zero with a message otherwise. No npm dependencies.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Node 20 has WebSocket only behind a flag (global from Node 22): re-run ourselves with it.
if (typeof WebSocket === 'undefined') {
  const r = spawnSync(process.execPath, ['--experimental-websocket', '--no-warnings',
    ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const PORT = Number(process.argv[2] || 5066);
const RUNDIR = process.argv[3]; // optional, as for scripts/kamailio.sh
const DOMAIN = '127.0.0.1';     // the SDK's sipdomain in tests; any domain works
const NC_CHECK = process.env.KAMAILIO_NONCE_COUNT !== '0';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const md5 = (s) => createHash('md5').update(s).digest('hex');
const rnd = () => randomBytes(6).toString('hex');
const fail = (msg) => { console.error(`smoke: FAIL: ${msg}`); process.exit(1); };
const ok = (msg) => console.log(`smoke: ok   ${msg}`);

function dump() {
  const args = [path.join(ROOT, 'scripts/kamailio.sh'), 'dump'];
  if (RUNDIR) args.push(RUNDIR);
  return execFileSync('bash', args, { encoding: 'utf8' });
}

function parse(text) {
  const [head, body = ''] = text.split('\r\n\r\n');
  const [first, ...lines] = head.split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    (headers[k] ??= []).push(l.slice(i + 1).trim());
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  const h = (k) => headers[k]?.[0];
  return { first, status: m ? Number(m[1]) : 0, method: m ? null : first.split(' ')[0], headers, h, body, text };
}

// One SIP-over-WS client: a socket plus a queue of received messages.
async function connect(name) {
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}/wss`, 'sip');
  const inbox = [];
  let wake = null;
  ws.onmessage = (ev) => { inbox.push(parse(String(ev.data))); wake?.(); };
  await new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = () => rej(new Error(`${name}: WebSocket connect to port ${PORT} failed`));
  });
  if (ws.protocol !== 'sip') fail(`${name}: server chose subprotocol '${ws.protocol}'`);
  const host = `${rnd()}.invalid`;
  return {
    name, host, contact: `<sip:${name}@${host};transport=ws>`,
    send: (msg) => ws.send(msg),
    // Next message matching pred (skipping 100 Trying), within ms.
    async next(pred = () => true, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const i = inbox.findIndex((m) => m.status !== 100 && pred(m));
        if (i >= 0) return inbox.splice(i, 1)[0];
        if (Date.now() > end) fail(`${name}: timed out waiting for a message`);
        await new Promise((r) => { wake = r; setTimeout(r, 50); });
      }
    },
    close: () => ws.close(),
  };
}

// Challenge params from WWW-/Proxy-Authenticate.
function challenge(res) {
  const v = res.h('www-authenticate') ?? res.h('proxy-authenticate');
  if (!v) fail(`${res.status} without a challenge header`);
  const p = {};
  for (const m of v.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) p[m[1]] = m[2] ?? m[3];
  return p;
}

function digest(ch, { user, pass, method, uri, nc }) {
  const ncs = nc.toString(16).padStart(8, '0');
  const cnonce = rnd();
  const ha1 = md5(`${user}:${ch.realm}:${pass}`);
  const ha2 = md5(`${method}:${uri}`);
  const resp = md5(`${ha1}:${ch.nonce}:${ncs}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", ` +
    `response="${resp}", algorithm=MD5, qop=auth, nc=${ncs}, cnonce="${cnonce}"` +
    (ch.opaque ? `, opaque="${ch.opaque}"` : '');
}

function request(c, { method, ruri, from, to, callId, cseq, fromTag, toTag, extra = [], body = '', branch = rnd() }) {
  return [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/WS ${c.host};branch=z9hG4bK${branch};rport`,
    'Max-Forwards: 70',
    `From: <${from}>;tag=${fromTag}`,
    `To: <${to}>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '', body,
  ].join('\r\n');
}

// A REGISTER dialog for one user: keeps Call-ID, CSeq and the last challenge (for nc reuse).
function registrar(c, user, domain = DOMAIN) {
  const aor = `sip:${user}@${domain}`;
  const st = { callId: rnd(), cseq: 0, tag: rnd(), ch: null, nc: 0 };
  return async (expires, { pass, auth = true, nc } = {}) => {
    const extra = [`Contact: ${c.contact};expires=${expires}`, `Expires: ${expires}`];
    if (auth) {
      st.nc = nc ?? st.nc + 1;
      extra.push(`Authorization: ${digest(st.ch, { user, pass, method: 'REGISTER', uri: `sip:${domain}`, nc: st.nc })}`);
    }
    c.send(request(c, { method: 'REGISTER', ruri: `sip:${domain}`, from: aor, to: aor,
      callId: st.callId, cseq: ++st.cseq, fromTag: st.tag, extra }));
    const res = await c.next((m) => m.h('call-id') === st.callId);
    if (res.status === 401 || res.status === 407) { st.ch = challenge(res); st.nc = 0; }
    return res;
  };
}

async function main() {
  const a = await connect('1001');
  ok(`WebSocket to ws://127.0.0.1:${PORT}/wss with subprotocol sip`);

  // Keep-alive OPTIONS to the server itself.
  a.send(request(a, { method: 'OPTIONS', ruri: `sip:${DOMAIN}`, from: `sip:1001@${DOMAIN}`,
    to: `sip:${DOMAIN}`, callId: rnd(), cseq: 1, fromTag: rnd() }));
  if ((await a.next()).status !== 200) fail('OPTIONS to the server not answered 200');

  const reg = registrar(a, '1001');
  let r = await reg(600, { auth: false });
  if (r.status !== 401) fail(`unauthenticated REGISTER got ${r.status}, want 401`);
  if (challenge(r).realm !== DOMAIN || !/auth/.test(challenge(r).qop)) fail(`bad challenge ${r.h('www-authenticate')}`);
  ok(`401 with realm="${DOMAIN}" (the From domain), qop=auth`);

  r = await reg(600, { pass: 'pass1001' });
  if (r.status !== 200) fail(`digest REGISTER got ${r.first}`);
  if (!/xyz|\.invalid/.test(r.h('contact') ?? '')) fail(`200 lacks our Contact: ${r.h('contact')}`);
  let d = dump();
  if (!/AoR: 1001\b/.test(d) || !d.includes(`sip:1001@${a.host}`)) fail(`ul.dump lacks 1001's binding:\n${d}`);
  if (!/Received: sip:127\.0\.0\.1:\d+;transport=ws/.test(d)) fail(`binding has no WS received address:\n${d}`);
  ok('REGISTER 200 (nc=1); ul.dump shows 1001 with its WS received address');

  if (NC_CHECK) {
    r = await reg(600, { pass: 'pass1001', nc: 1 });  // replay nc=1 on the same nonce
    if (r.status !== 401 || challenge(r).stale !== 'true') fail(`reused nc got ${r.first}, want 401 stale=true`);
    ok('reused nc=1 refused with 401 stale=true (nonce_count is on)');
    r = await reg(600, { pass: 'pass1001' });         // fresh nonce from that 401, nc=1
    if (r.status !== 200) fail(`REGISTER after stale challenge got ${r.first}`);
  } else {                                            // server started with KAMAILIO_NONCE_COUNT=0
    r = await reg(600, { pass: 'pass1001', nc: 1 });
    if (r.status !== 200) fail(`reused nc with nonce_count off got ${r.first}`);
    ok('reused nc=1 accepted (KAMAILIO_NONCE_COUNT=0: nonce_count is off)');
  }

  r = await reg(0, { pass: 'pass1001' });              // same nonce, nc incremented
  if (r.status !== 200) fail(`un-REGISTER got ${r.first}`);
  d = dump();
  if (/AoR: 1001\b/.test(d)) fail(`binding still present after un-REGISTER:\n${d}`);
  ok('un-REGISTER (expires=0, same nonce, nc=2) 200; binding gone');

  // Wrong password, any domain: realm follows the From domain, result must not be 200.
  const bad = registrar(a, '1002', 'voice.example.test');
  r = await bad(600, { auth: false });
  if (r.status !== 401 || challenge(r).realm !== 'voice.example.test') fail(`challenge for other domain: ${r.first}`);
  r = await bad(600, { pass: 'wrong' });
  if (r.status !== 401 && r.status !== 403) fail(`wrong password got ${r.first}, want 401/403`);
  ok(`wrong password refused (${r.status}); realm followed From domain voice.example.test`);
  r = await registrar(a, '9999')(600, { auth: false });
  if (r.status !== 403) fail(`unknown user got ${r.first}, want 403`);
  ok('unknown user refused (403)');

  await call(a);
  a.close();
  console.log('smoke: PASS');
  process.exit(0);
}

// 1002 registers on its own socket; 1001 calls it through the proxy (407 + digest), then
// ACK and BYE must reach 1002 via Record-Route + the ;alias Kamailio put on its Contact.
async function call(a) {
  const b = await connect('1002');
  const regB = registrar(b, '1002');
  await regB(600, { auth: false });
  if ((await regB(600, { pass: 'pass1002' })).status !== 200) fail('1002 REGISTER failed');

  const dlg = { callId: rnd(), fromTag: rnd(), from: `sip:1001@${DOMAIN}`, to: `sip:1002@${DOMAIN}` };
  const sdp = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n';
  const branch1 = rnd(); // the ACK to the 407 is hop-by-hop: same branch as the INVITE
  const invite = (cseq, extra = [], branch = rnd()) => a.send(request(a, { method: 'INVITE', ruri: dlg.to,
    ...dlg, cseq, branch, extra: [`Contact: ${a.contact}`, 'Content-Type: application/sdp', ...extra], body: sdp }));
  invite(1, [], branch1);
  let r = await a.next((m) => m.h('call-id') === dlg.callId);
  if (r.status !== 407) fail(`unauthenticated INVITE got ${r.first}, want 407`);
  a.send(request(a, { method: 'ACK', ruri: dlg.to, ...dlg, cseq: 1, branch: branch1, toTag: /tag=([^;>]+)/.exec(r.h('to'))[1] }));
  const auth = digest(challenge(r), { user: '1001', pass: 'pass1001', method: 'INVITE', uri: dlg.to, nc: 1 });
  invite(2, [`Proxy-Authorization: ${auth}`]);

  const inv = await b.next((m) => m.method === 'INVITE', 5000);
  if (inv.h('proxy-authorization')) fail('credentials leaked to the callee');
  if (!/;alias=/.test(inv.h('contact'))) fail(`caller Contact not aliased: ${inv.h('contact')}`);
  const bTag = rnd();
  const reply = (req, code, reason, extra = []) => b.send([
    `SIP/2.0 ${code} ${reason}`, ...req.headers.via.map((v) => `Via: ${v}`),
    ...(req.headers['record-route'] ?? []).map((v) => `Record-Route: ${v}`),
    `From: ${req.h('from')}`, /tag=/.test(req.h('to')) ? `To: ${req.h('to')}` : `To: ${req.h('to')};tag=${bTag}`, `Call-ID: ${req.h('call-id')}`,
    `CSeq: ${req.h('cseq')}`, ...extra, 'Content-Length: 0', '', ''].join('\r\n'));
  reply(inv, 200, 'OK', [`Contact: ${b.contact}`]);

  r = await a.next((m) => m.h('call-id') === dlg.callId && m.status === 200);
  const route = (r.headers['record-route'] ?? []).slice().reverse().map((v) => `Route: ${v}`);
  if (!route.length) fail('200 OK has no Record-Route');
  const target = /<([^>]+)>/.exec(r.h('contact'))[1];
  if (!/;alias=/.test(target)) fail(`callee Contact not aliased in the 200: ${target}`);
  const toTag = /tag=([^;>]+)/.exec(r.h('to'))[1];
  const inDlg = (method, cseq) => request(a, { method, ruri: target, ...dlg, cseq, toTag, extra: route });
  a.send(inDlg('ACK', 2));
  await b.next((m) => m.method === 'ACK');
  ok('INVITE 407 -> authenticated INVITE reached 1002 over WS; 200 and ACK routed');

  a.send(inDlg('BYE', 3));
  const bye = await b.next((m) => m.method === 'BYE');
  reply(bye, 200, 'OK');
  r = await a.next((m) => m.h('call-id') === dlg.callId && /BYE/.test(m.h('cseq') ?? ''));
  if (r.status !== 200) fail(`BYE got ${r.first}`);
  ok('in-dialog BYE routed via Record-Route to 1002 and its 200 back');

  await regB(0, { pass: 'pass1002' });
  b.close();
}

main().catch((e) => fail(e.stack || e));
