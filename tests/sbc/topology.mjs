// The SBC topology the sbc*.test.mjs files share, started once per file and stopped after it:
//
//   Chromium (dist/exotelsdk.js, agent.html, 440 Hz microphone)
//      │ SIP over ws://127.0.0.1:25080            ▲ ICE + DTLS-SRTP + rtcp-mux
//   Kamailio edge (tests/sbc/edge.cfg) ── ng ──▶ rtpengine (userspace, 25100-25199)
//      │ SIP over UDP 127.0.0.1:25060              ▼ plain RTP/AVP
//   baresip 2001 (25070, 1 kHz tone)   or   SIPp as 3001 (25064, RTP 25066, 1 kHz PCMU)
//
// Fixed ports below 32768: the other e2e files take random ephemeral ports (support.mjs
// freePort), and Chromium's ICE ports are ephemeral too, so these never collide with them.
// After each test: far-end calls hung up, SIPp runs and pages closed, and media sessions a
// failed test left in rtpengine deleted (a passing test checks its own call was released).
import path from 'node:path';
import fs from 'node:fs';
import { before, after, afterEach } from 'node:test';
import * as S from '../e2e/support.mjs';
import { openAgentPage } from '../e2e/agent.mjs';
import { instrument } from '../e2e/rig.mjs';
import { reapOrphans } from './daemon.mjs';
import { startRtpengine } from './rtpengine.mjs';
import { startEdge } from './edge.mjs';
import { startBaresip } from './baresip.mjs';
import { runSipp } from './sipp.mjs';

export const PORTS = {
  udp: 25060, // the edge's SIP/UDP (trunk side)
  rtpengine: 25061, // rtpengine's ng control
  sipp: 25064,
  sippControl: 25065,
  sippMedia: 25066, // SIPp's RTP (and 25067-25069)
  baresip: 25070, // baresip also takes 25071 (TLS)
  baresipCtrl: 25072,
  ws: 25080, // the edge's WebSocket (browser side)
  rtpMin: 25100,
  rtpMax: 25199,
  baresipRtp: '25200-25299',
};

export const AGENT = '1001';
export const BARESIP_USER = '2001';
export const SIPP_USER = '3001';

/**
 * Registers the file's hooks; returns the rig { stack, edge, rtpe, baresip?, opened,
 * openAgent(query), sipp(scenario, opts) }; its files go to tests/.run/sbc-<name>-<pid>.
 * `baresip: true` starts the baresip far end.
 */
export function sbcRig(name, { baresip = false } = {}) {
  const rig = { stack: new S.Stack(), opened: [], perTest: new S.Stack() };
  const rundir = path.join(S.RUN_BASE, `sbc-${name}-${process.pid}`);
  before(async () => {
    for (const tool of ['kamailio', 'rtpengine', 'baresip', 'sipp']) {
      if (!onPath(tool)) throw new Error(`${tool} is not installed: run scripts/setup.sh (Debian kamailio, rtpengine-daemon, baresip-core, sip-tester)`);
    }
    await reapOrphans('sbc');
    fs.rmSync(rundir, { recursive: true, force: true });
    // SBC_KEEP_RUN=1 keeps the logs, SIP traces and recordings for a look after the run.
    if (!process.env.SBC_KEEP_RUN) rig.stack.defer('run dir', () => fs.rmSync(rundir, { recursive: true, force: true }));
    rig.rtpe = await startRtpengine(rig.stack, rundir, { ng: PORTS.rtpengine, min: PORTS.rtpMin, max: PORTS.rtpMax });
    rig.edge = await startEdge(rig.stack, rundir, PORTS);
    if (baresip) {
      rig.baresip = await startBaresip(rig.stack, rundir, {
        user: BARESIP_USER,
        ports: { sip: PORTS.baresip, ctrl: PORTS.baresipCtrl, rtp: PORTS.baresipRtp },
        toneFile: S.toneWav(1000, { rate: 8000, seconds: 60 }), // each call plays it from the start
      });
    }
    rig.http = await S.startHttp(rig.stack);
    rig.browser = await S.launchChromium(rig.stack, { fakeAudioFile: S.toneWav(440) });
  });
  after(() => rig.stack.close());
  afterEach(async () => {
    if (rig.baresip) await hangupAll(rig.baresip);
    await rig.perTest.close();
    for (const o of rig.opened) await o.w.page.close().catch(() => {});
    rig.opened.length = 0;
    for (const callId of await rig.rtpe.list()) await rig.rtpe.ng('delete', { 'call-id': callId });
  });

  /** The agent page for 1001 with `query` (e.g. '&dtmfMode=info'), registered at the edge. */
  rig.openAgent = (query = '') =>
    openAgentPage({ ctx: rig.browser, http: rig.http, kam: rig.edge, user: AGENT, opened: rig.opened, init: instrument, query });
  /** One SIPp call from scenario `name` to the agent; stopped after the test. */
  rig.sipp = (scenario, opts = {}) =>
    runSipp(rig.perTest, rundir, scenario, {
      edge: PORTS.udp,
      user: AGENT,
      ports: { sip: PORTS.sipp, media: PORTS.sippMedia, control: PORTS.sippControl },
      ...opts,
    });
  return rig;
}

const onPath = (cmd) => (process.env.PATH || '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));

/** Hangs up every call baresip still has (a failed test may leave one). */
async function hangupAll(b) {
  for (let i = 0; i < 4; i++) {
    const r = await b.cmd('listcalls').catch(() => null);
    if (!r || /Active calls \(0\)/.test(r.data)) return;
    await b.cmd('hangup').catch(() => {});
  }
}
