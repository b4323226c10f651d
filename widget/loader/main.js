// kept.js, the one script a shop embeds on every page:
//   <script src="https://kept.example.com/widget/kept.js?key=pk_..." defer></script>
// Attributes: data-key (the shop's public key, when the src does not name it),
// data-api (default: the origin of this script; a path is read against its address),
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
// is due on this page, and loads the widget (wasm, with the loader's second
// half, show.js) only when something is to be shown: a due survey, a loyalty
// card, or answers waiting in this browser to be sent; or, the server out of
// reach, a plan kept in this browser for this visitor. Loaded as
// kept.js?key=…, this file carries the shop's rules; otherwise (or for a page
// that names a customer, whose plan only the server knows) it asks the server
// for this visitor's display plan. A page with nothing due costs this file,
// and at most one small, cacheable request.
//
// It never throws into the shop's page: whatever goes wrong is said in one console
// line starting with "[kept] ", and nothing empty is left on the page.
import { decide, draw } from './decide.js';
import { claim, read, refused, say, seen, stored } from './common.js';

// scripts/build-widget.sh writes the content-hashed names of the glue and the
// wasm here; they may be cached for a year.
var GLUE = '__KEPT_GLUE__';
var WASM = '__KEPT_WASM__';
// The server writes the shop's rules here when this file is asked for as
// kept.js?key=… (server/src/http/shop_loader.rs): {key, rules}, the plan of a
// visitor it knows nothing of. Left as it is, a string: no rules in this file.
var SHOP = '__KEPT_SHOP__';
// Nothing this file reads of its own is looked up past it in the page's
// `Object.prototype` (an old library's, or a page's polluted one: a `key` there
// had become the shop's key, an `api` would send the visitor's answers
// elsewhere): the rules only where the server wrote them, the attributes in
// an object of no prototype. (Not `typeof SHOP`: the minifier would settle
// that, on this file as built, for good. A string has `charAt`; the rules have
// it only from a polluted prototype, and are then not read.)
var inFile = SHOP.charAt ? Object.create(null) : SHOP;

try {
  var script = document.currentScript, attrs = Object.create(null);
  if (!script || !script.src) throw 'kept.js needs a plain <script src> tag';
  var base = new URL('.', script.src);
  [].forEach.call(script.attributes, function (a) {
    if (!a.name.indexOf('data-')) attrs[a.name.slice(5)] = a.value.trim();
  });
  // The key: data-key, or the one the server wrote in with the rules, or (the
  // server sent this file without them: unknown key, limits) the src's ?key=.
  var key = attrs.key = attrs.key || inFile.key || new URL(script.src).searchParams.get('key');
  var order = attrs.order, mode = attrs.mode;
  if (!key) throw 'the shop\'s public key is missing: kept.js?key=... or data-key';
  // No regular expressions on every page: the first one costs a page
  // milliseconds of setup on a slow phone (README, Performance).
  // A path (the editor's preview: its plan comes from the dashboard) is read
  // against this script's address: the page's scheme and host, whatever a
  // proxy in front of Kept calls them.
  var api = attrs.api ? new URL(attrs.api, base).href : base.origin;
  while (api.slice(-1) == '/') api = api.slice(0, -1);
  attrs.api = api;
  var preview = attrs.preview == 'true';
  var remembers = !preview && mode != 'kiosk';
  // Answers queued on an earlier page, to be sent from this one.
  var pending = false, waiting = stored(key, 'pending:');
  try {
    for (var i = 0; i < localStorage.length; i++) if (!localStorage.key(i).indexOf(waiting)) pending = true;
  } catch (e) {}

  // A promise whose failure is told elsewhere, or not at all: never an
  // unhandled rejection on the shop's page.
  var quiet = function (promise) {
    promise.catch(function () {});
    return promise;
  };
  var param = function (name, value) { return value ? '&' + name + '=' + encodeURIComponent(value) : ''; };
  // Asks for this visitor's plan: [who asks (their language and customer: a
  // plan kept for them is theirs), the promise of the response]; with the
  // texts the widget shows, or only the rules that decide (`texts=false`,
  // less than half the bytes). The visitor's language, which the widget reads
  // too, is looked up only here: the first look at `navigator` costs a page
  // about as much as deciding (README, Performance), and a page with nothing
  // due needs none. Given up after as long as the widget's own requests may
  // take (widget/src/browser.rs), body included, where the browser can
  // (`AbortSignal.timeout`: Safari from 16).
  var ask = function (texts) {
    var locale = attrs.locale = attrs.locale || navigator.language || 'en';
    // A signature is sent even without its reference: the plan's warnings
    // then say the reference is missing (wherever a plan is read).
    var visitor = '?locale=' + encodeURIComponent(locale) + param('customer', attrs.customer) +
      param('customer_sig', attrs['customer-sig']);
    // Its options in an object of no prototype: a page's polluted
    // `Object.prototype` (a `method`, a `mode`, `credentials`) had become
    // the request's, and the plan was not had.
    var options = Object.create(null);
    options.signal = AbortSignal.timeout && AbortSignal.timeout(15e3);
    return [visitor, quiet(fetch(api + '/api/v1/widget/' + encodeURIComponent(key) + '/plan' + visitor +
      (mode != 'kiosk' ? param('order', order) + param('order_sig', attrs['order-sig']) : '') +
      (texts ? '' : '&texts=false'), options))];
  };
  // Kiosks, personal links and previews show whatever is due by the plan with
  // its texts, which this file asks for at once and the second half reads.
  var always = preview || mode == 'kiosk' || mode == 'link';
  // The rules in this file are this visitor's unless the page names a customer
  // (known, lapsed: only the server can say). A signed order can only make a
  // survey answered, not due: the plan fetched with the texts says so.
  var rules = !always && !attrs.customer && inFile.key == key && inFile.rules;
  // The history only once a survey could be due: a page with nothing for
  // this visitor reads none.
  var history;
  var recall = function () { return history = history || (remembers ? seen(key) : { surveys: {} }); };
  var named = attrs.survey && attrs.survey.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  var page = { path: location.pathname, order: order, named: named, mode: preview ? 'preview' : mode };
  // What the server says the page got wrong (a signature that is not the
  // shop's: what only it knows of that reference untold, the answers
  // unverified), said once, from the first plan that says it, whichever half
  // reads it.
  // Each decision with the history and the time as they are then: another
  // tab may have shown a survey since this page began (or since the rules
  // decided, before the texts came), and its display is neither to be missed
  // nor in this page's future.
  // The visitor's draws by the seed this page read first: where storage
  // keeps nothing, each read makes a new one.
  var warned, seed;
  var decideBy = function (plan) {
    // The plan's own (a polluted prototype's `warnings` had been said), read
    // by `Object`'s own function: a prototype's `hasOwnProperty` may be anything.
    var own = Object.getOwnPropertyDescriptor(plan, 'warnings');
    if (!warned && own && (warned = own.value)) warned.forEach(say.bind(0, 'warn'));
    history = 0;
    return decide(plan, page, recall, Date.now(), function (id) {
      return draw(seed == null ? seed = recall().seed : seed, id);
    });
  };
  var card = attrs.customer && attrs.loyalty != null && attrs.loyalty != 'false';
  if (card && !attrs['customer-sig']) {
    say('warn', 'data-loyalty needs data-customer-sig');
    card = false;
  }
  // The second half (show.js, with the widget's glue): `show`, the ids due by
  // the rules, or none to decide by the plan with the texts (kiosks, links,
  // previews, and a page whose rules could not be had: then the plan kept
  // for this visitor decides); `texts`, the plan with them asked for (none:
  // only the queue to send). The wasm and the texts download alongside the
  // glue. The wasm is read by the glue's init: should the glue itself fail to
  // load, its failure (said below) is the one to tell.
  var load = function (show, delay, texts) {
    var wasm = quiet(fetch(base + WASM));
    return import(base + GLUE).then(function (m) {
      return m.show({
        script: script, attrs: attrs, wasm: wasm, show: show, card: card, delay: delay, texts: texts,
        remembers: remembers, decide: decideBy, claim: claim
      });
    }).catch(function (e) {
      say('error', 'the widget could not load: ' + (e.message || e));
    });
  };
  // What this page does with the rules: decided at once with the rules in this
  // file (a promise's turn costs a slow phone a millisecond), else once the
  // server's are here.
  var settle = function (rules) {
    // Of the due, those no other kept.js of the shop on this page shows (the
    // snippet twice on a page had asked twice, and both answers were kept).
    var decision = decideBy(rules), show = claim(key, decision.show);
    // What was decided, on the script tag: for the shop's developer (and the tests).
    script.setAttribute('data-kept-due', show.join(' '));
    // The texts only for something to show; for answers waiting alone, the
    // queue is sent.
    var shown = show.length || card;
    if (shown || pending) return load(show, decision.delay_seconds, shown && ask(1));
  };
  var asked;
  if (rules) settle(rules);
  else if (always) load(null, 0, ask(1));
  else (asked = ask())[1].then(function (response) {
    return response.text().then(function (text) {
      if (response.ok) return settle(JSON.parse(text));
      refused(text);
    });
  }).catch(function (e) {
    // Offline, the server out of reach, or its answer unreadable: with
    // something for the second half to do (a plan kept for this visitor to
    // decide by, answers to send, a card), the plan with the texts is asked
    // for once more, else the one kept decides; with nothing, nothing more
    // is downloaded.
    if (pending || card || read(key, 'plan').q == asked[0]) return load(null, 0, ask(1));
    say('warn', 'could not reach ' + api + ' (' + (e.message || e) + ')');
    // Decided all the same: nothing is due.
    settle({ surveys: [] });
  });
} catch (e) {
  say('error', e);
}
