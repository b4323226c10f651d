// The whole loader: what kept.js does on any page (generic.js runs it as the
// generic `kept.js`), and what the loader with a shop's rules (shop.js, served
// as kept.js?key=…) hands a page it does not settle alone over to. A shop
// embeds on every page:
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
// reach, a plan kept in this browser for this visitor. With the rules of the
// file kept.js?key=… it decides by them; otherwise (or for a page that names a
// customer, whose plan only the server knows) it asks the server for this
// visitor's display plan. A page with nothing due costs the loader (and,
// handed over by the shop's, this file, cached a year), and at most one
// small, cacheable request.
//
// It never throws into the shop's page: whatever goes wrong is said in one console
// line starting with "[kept] ", and nothing empty is left on the page.
import { attributes, pendingAnswers, read, refused, say } from './common.js';
import { apiOf, ask } from './plan.js';
import { decider, load, settle } from './settle.js';

// `script`: the kept.js script tag; `inFile`: the rules kept.js?key=… carries,
// {key, rules}, the plan of a visitor the server knows nothing of (an object
// of no prototype with neither, from the generic kept.js).
export function run(script, inFile) {
  try {
    var attrs = attributes(script), base = new URL('.', script.src);
    // The key: data-key, or the one the server wrote in with the rules, or
    // (the server sent the generic file: unknown key, limits) the src's ?key=.
    var keys = new URL(script.src).searchParams.getAll('key');
    var key = attrs.key = attrs.key || inFile.key || keys[0];
    var mode = attrs.mode;
    if (!key) throw 'the shop\'s public key is missing: kept.js?key=... or data-key';
    // A snippet that names more than one shop (kept.js?key=… twice, or
    // beside another data-key) had gone on with one of them unsaid.
    var others = keys.filter(function (k) { return k != key; });
    if (others.length) say('warn', 'the snippet names more than one shop\'s key: ' + key + ' is used, not ' + others.join(', '));
    var api = apiOf(attrs, base);
    var preview = attrs.preview == 'true';
    var remembers = !preview && mode != 'kiosk';
    var pending = pendingAnswers(key);
    // Kiosks, personal links and previews show whatever is due by the plan
    // with its texts, which the second half asks for.
    var always = preview || mode == 'kiosk' || mode == 'link';
    // The rules in the file are this visitor's unless the page names a
    // customer (known, lapsed: only the server can say). A signed order can
    // only make a survey answered, not due: the plan with the texts says so.
    var rules = !always && !attrs.customer && inFile.key == key && inFile.rules;
    var named = attrs.survey && attrs.survey.split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    var page = { path: location.pathname, order: attrs.order, named: named, mode: preview ? 'preview' : mode };
    var card = attrs.customer && attrs.loyalty != null && attrs.loyalty != 'false';
    if (card && !attrs['customer-sig']) {
      say('warn', 'data-loyalty needs data-customer-sig');
      card = false;
    }
    var loading = {
      script: script, attrs: attrs, base: base, card: card, remembers: remembers,
      decide: decider(key, page, remembers)
    };
    var asked;
    if (rules) settle(loading, rules, pending);
    else if (always) load(loading, null, 0);
    else (asked = ask(attrs, api))[1].then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) return settle(loading, JSON.parse(text), pending);
        refused(text);
      });
    }).catch(function (e) {
      // Offline, the server out of reach, or its answer unreadable: with
      // something for the second half to do (a plan kept for this visitor to
      // decide by, answers to send, a card), it asks for the plan with the
      // texts once more, else the one kept decides; with nothing, nothing
      // more is downloaded.
      if (pending || card || read(key, 'plan').q == asked[0]) return load(loading, null, 0);
      say('warn', 'could not reach ' + api + ' (' + (e.message || e) + ')');
      // Decided all the same: nothing is due.
      settle(loading, { surveys: [] }, pending);
    });
  } catch (e) {
    say('error', e);
  }
}
