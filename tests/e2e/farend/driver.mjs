// Node side of the far end: opens tests/e2e/farend/farend.html (JsSIP, see farend.js) in a
// browser context, starts its UA against the test Kamailio and wraps window.far for tests.
import { watchPage, waitFor, USERS } from '../support.mjs';
import { FAREND_PAGE } from './bundle.mjs';

export { bundleFarEnd, FAREND_PAGE, FAREND_BUNDLE } from './bundle.mjs';

/**
 * Opens a far end for `user` in `ctx` and starts it (registered unless register:false).
 * Returns { user, page, w (watchPage collectors), call, hangup, answer, info, waitEvent, stats,
 * waitRtpFlowing, errors, stop }.
 */
export async function openFarEnd(ctx, http, kam, user, { register = true, displayName } = {}) {
  const page = await ctx.newPage();
  const w = watchPage(page);
  await page.goto(http.url(FAREND_PAGE));
  await page.click('#unlock'); // user gesture: the remote <audio> may play
  await page.evaluate(
    (o) => window.far.start(o),
    { port: kam.port, user: String(user), pass: USERS[user], register, displayName },
  );
  const far = {
    user: String(user),
    page,
    w,
    /** Calls `target` (default sip:1001@127.0.0.1); returns the call id. */
    call: (target = 'sip:1001@127.0.0.1', opts = {}) => page.evaluate(([t, o]) => window.far.call(t, o), [target, opts]),
    hangup: (id) => page.evaluate((i) => window.far.hangup(i), id),
    cancel: (id) => page.evaluate((i) => window.far.cancel(i), id),
    answer: (id) => page.evaluate((i) => window.far.answer(i), id),
    info: (id) => page.evaluate((i) => window.far.info(i), id),
    incoming: () => page.evaluate(() => window.far.incoming.slice()),
    stats: (id) => page.evaluate((i) => window.far.stats(i), id),
    errors: () => page.evaluate(() => window.far.errors.slice()),
    now: () => page.evaluate(() => window.far.now()),
    /** Waits for event `name` of call `id` (optionally matching `pred(info)`); returns far.info(id). */
    waitEvent: (id, name, { timeout = 15000, pred } = {}) =>
      waitFor(
        async () => {
          const i = await far.info(id);
          const hit = i.events.find((e) => e[0] === name && (!pred || pred(e[1])));
          return hit ? i : null;
        },
        { timeout, message: `far end ${user}: event '${name}' on call ${id}` },
      ).catch(async (e) => {
        const i = await far.info(id).catch(() => null);
        throw new Error(`${e.message}; far end ${user} call ${id} events: ${JSON.stringify(i && i.events)}`);
      }),
    /** Waits until the call is over (ended or failed); returns far.info(id). */
    waitEnded: (id, timeout = 15000) =>
      waitFor(async () => {
        const i = await far.info(id);
        return i.ended ? i : null;
      }, { timeout, message: `far end ${user}: call ${id} to end` }),
    stop: () => page.evaluate(() => window.far.stop()).catch(() => {}),
  };
  return far;
}

/**
 * Bounded check that audio RTP arrives on a peer connection: `sample()` returns
 * { bytesReceived, ... }; waits for a first sample > 0, then for a later sample larger than
 * that one. Returns [first, second].
 */
export async function waitRtpGrowing(sample, what, timeout = 15000) {
  const first = await waitFor(async () => {
    const s = await sample();
    return s.bytesReceived > 0 ? s : null;
  }, { timeout, message: `${what}: first inbound RTP bytes` });
  const second = await waitFor(async () => {
    const s = await sample();
    return s.bytesReceived > first.bytesReceived ? s : null;
  }, { timeout, message: `${what}: inbound RTP bytes growing past ${first.bytesReceived}` });
  return [first, second];
}
