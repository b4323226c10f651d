// kept.js, the one script a shop embeds on every page:
//   <script src="https://kept.example.com/widget/kept.js?key=pk_..." defer></script>
// Attributes: data-key (the shop's public key, when the src does not name it),
// data-api (default: the origin of this script),
// data-customer, data-order, data-customer-sig and data-order-sig (the shop's
// signatures of them: the loyalty card and what only the server knows of them
// need these), data-locale (default: navigator.language),
// data-survey (comma-separated ids: this page asks these), data-loyalty (show the
// customer's loyalty card here), data-mode ("inline", "kiosk" or "link": a personal
// link's page), data-store (the store a kiosk stands in), data-preview
// ("true": the owner's preview, nothing is sent), data-target (CSS selector to
// mount into; default: right after this script), data-kiosk-thanks-seconds (6),
// data-kiosk-idle-seconds (60).
//
// It decides with the rules of shared/targeting.md (decide.js) whether a survey
// is due on this page, and loads the widget (wasm) only when something is to be
// shown: a due survey, a loyalty card, or answers waiting in this browser to be
// sent. Loaded as kept.js?key=…, this file carries the shop's rules; otherwise
// (or for a page that names a customer, whose plan only the server knows) it
// asks the server for this visitor's display plan. A page with nothing due costs
// this file, and at most one small, cacheable request.
//
// It never throws into the shop's page: whatever goes wrong is said in one console
// line starting with "[kept] ", and nothing empty is left on the page.
import { decide, draw } from './decide.js';

// scripts/build-widget.sh writes the content-hashed names of the glue and the
// wasm here; they may be cached for a year.
var GLUE = '__KEPT_GLUE__';
var WASM = '__KEPT_WASM__';
// As long as the widget's own requests may take (widget/src/browser.rs).
var TIMEOUT_MS = 15e3;
// The server writes the shop's rules here when this file is asked for as
// kept.js?key=… (server/src/http/shop_loader.rs): {key, rules}, the plan of a
// visitor it knows nothing of. Left as it is, a string: no rules in this file.
var SHOP = '__KEPT_SHOP__';

// `what`: words, or an error (its message).
function say(how, what) {
  console[how]('[kept] ' + (what.message || what));
}

try {
  var script = document.currentScript, attrs = {}, store;
  if (!script || !script.src) throw 'kept.js needs a plain <script src> tag';
  var base = new URL('.', script.src);
  [].forEach.call(script.attributes, function (a) {
    if (!a.name.indexOf('data-')) attrs[a.name.slice(5)] = a.value.trim();
  });
  // The key: data-key, or the one the server wrote in with the rules, or (the
  // server sent this file without them: unknown key, limits) the src's ?key=.
  var key = attrs.key = attrs.key || SHOP.key || new URL(script.src).searchParams.get('key');
  var order = attrs.order, mode = attrs.mode;
  if (!key) throw 'the shop\'s public key is missing: kept.js?key=... or data-key';
  // No regular expressions on every page: the first one costs a page
  // milliseconds of setup on a slow phone (README, Performance).
  var api = attrs.api || base.origin;
  while (api.slice(-1) == '/') api = api.slice(0, -1);
  attrs.api = api;
  var preview = attrs.preview == 'true';
  var remembers = !preview && mode != 'kiosk';
  var prefix = 'kept:v1:' + key + ':';
  try { store = localStorage; } catch (e) {}

  var read = function (name) {
    try { return JSON.parse(store.getItem(prefix + name)) || {}; } catch (e) { return {}; }
  };
  var write = function (name, value) {
    try { store.setItem(prefix + name, JSON.stringify(value)); } catch (e) {}
  };
  // The visitor's display history (shared/targeting.md), read afresh before each
  // change: another tab may have written it.
  var seen = function () {
    var h = read('seen');
    h.surveys = h.surveys || {};
    if (h.seed == null) { h.seed = Math.random() * 1e9 | 0; write('seen', h); }
    return h;
  };
  var pending = false;
  try {
    for (var i = 0; i < store.length; i++) if (!store.key(i).indexOf(prefix + 'pending:')) pending = true;
  } catch (e) {}

  var param = function (name, value) { return value ? '&' + name + '=' + encodeURIComponent(value) : ''; };
  // The plan (a promise of its text): with the texts the widget shows, or only
  // the rules that decide (`texts=false`, less than half the bytes: where this
  // file has no rules for this visitor). Each is kept for when the server
  // cannot be reached. The visitor's language, which the widget reads too, is
  // looked up only here: the first look at `navigator` costs a page about as
  // much as deciding (README, Performance), and a page with nothing due needs none.
  var plan = function (texts) {
    var kept = texts ? 'plan' : 'rules', controller = new AbortController();
    var locale = attrs.locale = attrs.locale || navigator.language || 'en';
    var visitor = '?locale=' + encodeURIComponent(locale) + param('customer', attrs.customer) +
      param('customer_sig', attrs.customer && attrs['customer-sig']);
    var query = visitor + (order && mode != 'kiosk' ? param('order', order) + param('order_sig', attrs['order-sig']) : '');
    setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(api + '/api/v1/widget/' + encodeURIComponent(key) + '/plan' + query + (texts ? '' : '&texts=false'),
      { signal: controller.signal }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) {
          write(kept, { q: visitor, o: order, text: text });
          return text;
        }
        // The server will not serve this widget (unknown key, origin not allowed):
        // its own words say why.
        var message = text;
        try { message = JSON.parse(text).message; } catch (e) {}
        throw 'the widget is not shown: ' + message;
      });
    }, function (e) {
      // Offline or unreachable: the last plan for this visitor still works (for
      // another order, without the server's word on what that order answered;
      // this browser's history still keeps each order to one answer).
      // Said here only without one: a widget that loads says it itself, once.
      var cached = read(kept);
      if (cached.q == visitor) {
        if (cached.o == order) return cached.text;
        var plan = JSON.parse(cached.text);
        plan.surveys.forEach(function (s) { s.answered = false; });
        return JSON.stringify(plan);
      }
      say('warn', 'could not reach ' + api + ' (' + (e.message || e) + ')');
    });
  };
  // Kiosks, personal links and previews show whatever is due: their texts at once.
  var always = preview || mode == 'kiosk' || mode == 'link';
  // The rules in this file are this visitor's unless the page names a customer
  // (known, lapsed: only the server can say). A signed order can only make a
  // survey answered, not due: the plan fetched with the texts says so.
  var inFile = !always && !attrs.customer && SHOP.key == key;
  // What this page does with the rules: decided at once with the rules in this
  // file (a promise's turn costs a slow phone a millisecond), else once the
  // server's plan is here.
  var settle = function (text) {
    var rules = inFile ? SHOP.rules : text ? JSON.parse(text) : { surveys: [] };
    // The history only once a survey could be due: a page with nothing for
    // this visitor reads none.
    var history, now = Date.now();
    var recall = function () { return history = history || (remembers ? seen() : { surveys: {} }); };
    var named = attrs.survey && attrs.survey.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    var page = { path: location.pathname, order: order, named: named, mode: preview ? 'preview' : mode };
    var decideBy = function (plan) {
      return decide(plan, page, recall, now, function (id) { return draw(recall().seed, id); });
    };
    var decision = decideBy(rules);
    var show = decision.show;
    // What was decided, on the script tag: for the shop's developer (and the tests).
    script.setAttribute('data-kept-due', show.join(' '));
    var card = attrs.customer && attrs.loyalty != null && attrs.loyalty != 'false';
    if (card && !attrs['customer-sig']) {
      say('warn', 'data-loyalty needs data-customer-sig');
      card = false;
    }
    var shown = show.length || card || mode == 'kiosk';
    if (!shown && !pending) return;

    // The wasm downloads alongside the glue, which brings the rest of this
    // loader (show.js), and the texts alongside both (refused: only the queue
    // is sent).
    var wasm = fetch(base + WASM);
    // Read by the glue's init; should the glue itself fail to load, its failure
    // (said below) is the one to tell, not this one's unhandled rejection.
    wasm.catch(function () {});
    var texts = shown && (always ? text : plan(true).catch(function (e) { say('warn', e); }));
    return import(base + GLUE).then(function (m) {
      return m.show({
        script: script, attrs: attrs, wasm: wasm, texts: texts, show: show, card: card,
        delay: decision.delay_seconds * 1e3, remembers: remembers, order: order, seen: seen, write: write,
        decide: decideBy
      });
    }).catch(function (e) {
      say('error', 'the widget could not load: ' + (e.message || e));
    });
  };
  if (inFile) settle();
  else plan(always).then(settle).catch(function (e) { say('error', e); });
} catch (e) {
  say('error', e);
}
