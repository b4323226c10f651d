// What the loader keeps in the visitor's browser, read past a page's polluted
// `Object.prototype` (an old library's additions, or a careless query parser's
// `?__proto__[…]=…`), with node's own test runner: node --test widget/loader/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { own, seen } from './common.js';
import { decide } from './decide.js';

// The browser's local storage, as much of it as `seen` uses.
const stored = new Map();
globalThis.localStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => stored.set(k, String(v)),
};

// `Object.prototype` holding `members` while `f` runs.
function polluted(members, f) {
  Object.assign(Object.prototype, members);
  try {
    return f();
  } finally {
    for (const name of Object.keys(members)) delete Object.prototype[name];
  }
}

test('a survey named on the prototype is not read as its display on this order', () => {
  stored.set('kept:v1:pk:seen', JSON.stringify({ seed: 1, surveys: {} }));
  const plan = {
    cooldown_days: 0,
    surveys: [{
      id: 'csat', audience_match: true, answered: false,
      targeting: { pages: [], sample_percent: 0, recontact_days: 0, once_per_order: true, delay_seconds: 0 },
    }],
  };
  const page = { path: '/thanks', order: 'o-1', named: null, mode: null };
  const got = polluted({ csat: { order: 'o-1', outcome: false, orders: [] } }, () =>
    decide(plan, page, () => seen('pk'), 0, () => 0));
  // Sampled out (0 %): a display on this order would have made it due again.
  assert.deepEqual(got.show, []);
});

test("only a plan's own warnings are its warnings", () => {
  polluted({ warnings: ['data-customer-sig is not the shop\'s'] }, () => {
    assert.equal(own({}, 'warnings'), undefined);
    assert.deepEqual(own({ warnings: ['said'] }, 'warnings'), ['said']);
  });
});
