// The loader's part of the targeting rules against the one table of cases
// (shared/targeting-cases.json), with node's own test runner:
//   node --test widget/loader/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decide, draw, pageMatches } from './decide.js';

const table = JSON.parse(readFileSync(new URL('../../shared/targeting-cases.json', import.meta.url)));

// The server always sends every rule; the table lists only what differs.
function complete(plan) {
  return {
    ...plan,
    surveys: plan.surveys.map((s) => ({ ...s, targeting: { ...table.defaults, ...s.targeting } })),
  };
}

for (const c of table.display_cases) {
  test(c.name, () => {
    const draws = c.draws || {};
    const got = decide(complete(c.plan), c.page, () => c.history || {}, c.now, (id) => draws[id] || 0);
    assert.deepEqual(got, c.expect);
  });
}

test('the history is read once, and only when a survey is for this visitor and this page', () => {
  const plan = complete({
    cooldown_days: 7,
    surveys: [
      { id: 'thanks', audience_match: true, targeting: { pages: [{ match: 'exact', path: '/thanks' }] } },
      { id: 'lapsed', audience_match: false, targeting: {} },
    ],
  });
  let reads = 0;
  const recall = () => { reads++; return {}; };
  assert.deepEqual(decide(plan, { path: '/products' }, recall, 0, () => 0).show, []);
  assert.equal(reads, 0);
  plan.surveys.push({ ...plan.surveys[0], id: 'also-thanks' });
  assert.deepEqual(decide(plan, { path: '/thanks' }, recall, 0, () => 0).show, ['thanks', 'also-thanks']);
  assert.equal(reads, 1);
});

test('a draw is stable for a visitor and a survey, and spread over 0-99', () => {
  assert.equal(draw(42, 'nps'), draw(42, 'nps'));
  const counts = new Array(10).fill(0);
  for (let seed = 0; seed < 10000; seed++) {
    const d = draw(seed, 'nps');
    assert.ok(d >= 0 && d < 100 && Number.isInteger(d));
    counts[Math.floor(d / 10)]++;
  }
  // Each tenth holds about a tenth of the visitors (1000 ± 15%).
  for (const n of counts) assert.ok(n > 850 && n < 1150, String(counts));
  // Surveys draw independently: being out of one sample says nothing of another.
  let both = 0;
  for (let seed = 0; seed < 10000; seed++) if (draw(seed, 'nps') < 50 && draw(seed, 'csat') < 50) both++;
  assert.ok(both > 2200 && both < 2800, String(both));
});

test('page patterns with characters a regular expression would read are literal', () => {
  assert.ok(pageMatches({ match: 'glob', path: '/a+(b)/[x]/*' }, '/a+(b)/[x]/y'));
  assert.ok(!pageMatches({ match: 'glob', path: '/a+(b)/*' }, '/aa(b)/y'));
  assert.ok(pageMatches({ match: 'glob', path: '/**' }, '/'));
  assert.ok(pageMatches({ match: 'glob', path: '/$x^' }, '/$x^'));
});
