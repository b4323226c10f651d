// kept.js?key=…, the snippet Kept gives a shop: the loader with the shop's
// rules written in by the server (server/src/http/shop_loader.rs, from the
// file scripts/build-widget.sh makes of this one, kept-shop.js), the plan of a
// visitor the server knows nothing of. Every page of the shop runs it, so it
// holds only what the page of such a visitor needs: find answers waiting to
// be sent, decide by the rules what is due, and load the second half (show.js
// with the widget's glue) only when something is to be shown or sent. A page
// that asks for more (names a customer, a survey, another shop's key, or is a
// kiosk, a personal link or a preview: main.js says what each attribute
// means) is handed over
// to the whole loader (main.js, content-hashed, cached for a year), which the
// file's rules go with.
import { attributes, pendingAnswers, say, unloaded } from './common.js';
import { decider, settle } from './settle.js';

// scripts/build-widget.sh writes the content-hashed name of the whole loader here.
var FULL = '__KEPT_FULL__';
// The server writes {key, rules} here. Left as it is, a string: no rules in
// this file, and the whole loader asks for them. Read only where the server
// wrote them: a string has `charAt`, the rules have it only from a page's
// polluted `Object.prototype`, and are then not read. (Not `typeof SHOP`:
// the minifier would settle that, on this file as built, for good.)
var SHOP = '__KEPT_SHOP__';
var inFile = SHOP.charAt ? Object.create(null) : SHOP;

try {
  var script = document.currentScript, attrs = attributes(script), mode = attrs.mode;
  var key = inFile.key, base = new URL('.', script.src);
  if (!key || attrs.key && attrs.key != key || attrs.customer || attrs.survey || attrs.preview ||
    mode == 'kiosk' || mode == 'link') {
    import(base + FULL).then(function (m) { m.run(script, inFile); }).catch(unloaded);
  } else {
    attrs.key = key;
    // Every member the decision and the second half read is its own (none
    // looked up in a polluted `Object.prototype`: a `mode` there had made
    // every survey due on every page, a `card` had loaded the widget on each).
    settle({
      script: script, attrs: attrs, base: base, remembers: true, card: false,
      decide: decider(key, { path: location.pathname, order: attrs.order, named: null, mode: null }, true)
    }, inFile.rules, pendingAnswers(key));
  }
} catch (e) {
  say('error', e);
}
