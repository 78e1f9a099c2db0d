// The SDK side of the call tests: a guide-style agent page (pages/agent.html), registered and
// with its binding in Kamailio, plus readers of the events it records.
import * as S from './support.mjs';

/**
 * Opens agent.html for `user` in `ctx`, unlocks audio with a click, waits until registered.
 * `init`: a function or script text run before the page's scripts; `query`: extra `&k=v`.
 */
export async function openAgentPage({ ctx, http, kam, user, opened, init, query = '' }) {
  const page = await ctx.newPage();
  const w = S.watchPage(page);
  const o = { w, page, user };
  opened.push(o);
  if (init) await page.addInitScript(init);
  await page.goto(http.url(`/tests/e2e/pages/agent.html${S.registerQuery(kam, user)}${query}`));
  await page.click('#unlock'); // user gesture: the SDK's audio element and tones may play
  await S.waitFor(async () => (await page.evaluate(() => window.regEvents)).some((e) => e[0] === 'registered'), {
    timeout: 15000,
    message: `agent ${user} registered`,
  });
  await waitBinding(kam, user);
  return o;
}

export function waitBinding(kam, user) {
  return S.waitFor(async () => (await kam.contacts(user)).length > 0, { message: `binding of ${user} in Kamailio` });
}

export const callEvents = (o) => o.page.evaluate(() => window.callEvents);
export const types = (evs) => evs.map((e) => e.type);
