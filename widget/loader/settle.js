// What a loader does with a visitor's rules, whichever loader has them
// (shop.js, with the shop's rules in its file; main.js, with the server's or
// with those the file handed it):
// it decides what is due on this page, claims it, and loads the second half
// (show.js with the widget's glue, and the wasm) only when something is to be
// shown or sent.
//
// `loading` is what the second half is handed (show.js says what it reads):
// {script, attrs, base (the script's directory), remembers (whether this page
// keeps the visitor's history), card, decide (below)}; `load` adds the rest.
import { decide, draw } from './decide.js';
import { claim, own, say, seen, unloaded } from './common.js';

// scripts/build-widget.sh writes the content-hashed names of the glue and the
// wasm here; they may be cached for a year.
var GLUE = '__KEPT_GLUE__';
var WASM = '__KEPT_WASM__';

// This page view's decision by a plan: each with the history and the time as
// they are then (another tab may have shown a survey since this page began,
// or since the rules decided, before the texts came: its display is neither
// to be missed nor in this page's future). The history only once a survey
// could be due: a page with nothing for this visitor reads none. The
// visitor's draws by the seed this page read first: where storage keeps
// nothing, each read makes a new one. What the server says the page got
// wrong (a signature that is not the shop's: what only it knows of that
// reference untold, the answers unverified) is said once, from the first
// plan that says it, whichever half reads it.
export function decider(key, page, remembers) {
  var history, seed, warned;
  var recall = function () { return history = history || (remembers ? seen(key) : { surveys: Object.create(null) }); };
  return function (plan) {
    // The plan's own (a polluted prototype's `warnings` had been said).
    if (!warned && (warned = own(plan, 'warnings'))) warned.forEach(say.bind(0, 'warn'));
    history = 0;
    return decide(plan, page, recall, Date.now(), function (id) {
      return draw(seed == null ? seed = recall().seed : seed, id);
    });
  };
}

// Loads the second half: `show`, the ids due by the rules, or none to decide
// there by the plan with the texts (kiosks, links, previews, and a page whose
// rules could not be had: then the plan kept for this visitor decides);
// `delay`, with `show`. The wasm downloads alongside the glue; it is read by
// the glue's init: should the glue itself fail to load, its failure (said
// here) is the one to tell.
export function load(loading, show, delay) {
  var wasm = fetch(loading.base + WASM);
  wasm.catch(function () {});
  loading.wasm = wasm;
  loading.show = show;
  loading.delay = delay;
  // Handed over: the glue's bundle need not carry it.
  loading.claim = claim;
  return import(loading.base + GLUE).then(function (m) { return m.show(loading); }).catch(unloaded);
}

// What this page does with `rules` (a plan): decided at once (a promise's
// turn costs a slow phone a millisecond); of the due, those no other kept.js
// of the shop on this page shows (the snippet twice on a page had asked
// twice, and both answers were kept); the second half loaded for something
// to show (a survey, the card) or answers `pending` to send.
export function settle(loading, rules, pending) {
  var decision = loading.decide(rules), show = claim(loading.attrs.key, decision.show);
  // What was decided, on the script tag: for the shop's developer (and the tests).
  loading.script.setAttribute('data-kept-due', show.join(' '));
  if (show.length || loading.card || pending) return load(loading, show, decision.delay_seconds);
}
