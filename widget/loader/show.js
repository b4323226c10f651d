// The loader's second half: what happens once something is to be shown or
// sent. scripts/build-widget.sh bundles it with the widget's glue, which the
// loader imports only then: a page with nothing to show or send never
// downloads it, and kept.js, which every page of a shop runs, stays small.
// So what is done with the plan's texts, and when the server cannot be
// reached (with a plan kept for this visitor, or answers to send), is here.
//
// `loading`, from the loader (settle.js says what it holds): {script, attrs,
// base, wasm (the promise of its response), show (the ids due by the rules;
// none: decide here, by the plan with the texts), delay (seconds from the
// page's start, with `show`), card, decide(plan) (the loader's decision by
// that plan), claim (common.js's, handed over: this bundle need not carry it;
// not in a kiosk or a preview, which show each survey again on one page, to
// each respondent or after each save), remembers (whether this page keeps
// the visitor's history)}. The plan with the texts is asked for here, for
// something to show (none due by the rules: to decide by it), while the wasm
// downloads: the loader every page runs need not carry the asking.
import init, { mount } from 'kept-glue';
import { forget, own, read, refused, say, seen, write } from './common.js';
import { apiOf, ask } from './plan.js';

// The text of the plan with its texts (a promise; none: nothing to show it
// with, and the queue is sent all the same), kept for when the server cannot
// be reached.
function planText(loading) {
  var visitor = loading.texts[0], key = loading.attrs.key, order = loading.attrs.order;
  return loading.texts[1].then(function (response) {
    return response.text().then(function (text) {
      if (response.ok) {
        write(key, 'plan', { q: visitor, o: order, text: text });
        return text;
      }
      refused(text);
    });
  }, function (e) {
    // Offline or unreachable: the last plan for this visitor still works (for
    // another order, without the server's word on what that order answered;
    // this browser's history still keeps each order to one answer). Said here
    // only without one: a widget that loads says it itself, once.
    var cached = read(key, 'plan'), q = cached.q || '';
    // Kept for this customer in another language (a shop's language switch):
    // its surveys' texts are not this page's, but the card needs none.
    var cardOnly = loading.card && q.slice(q.indexOf('&')) == visitor.slice(visitor.indexOf('&'));
    if (q == visitor || cardOnly) {
      var plan = JSON.parse(cached.text);
      if (q != visitor) plan.surveys = [];
      if (cached.o != order) plan.surveys.forEach(function (s) { s.answered = false; });
      // Its warnings were of the signatures of the page that asked for it
      // (an order's is not in `visitor`), said there.
      plan.warnings = 0;
      return JSON.stringify(plan);
    }
    say('warn', 'could not reach ' + loading.attrs.api + ' (' + (e.message || e) + ')');
  }).catch(function (e) {
    // A body cut short, a kept plan unreadable: said, and the queue still sent.
    say('warn', e);
  });
}

export function show(loading) {
  var attrs = loading.attrs, key = attrs.key, order = attrs.order, card = loading.card;
  // The widget sends to it: the loader's reading of data-api.
  attrs.api = apiOf(attrs, loading.base);
  // [visitor, the promise of the response] of the plan with its texts; none:
  // only the queue is sent.
  loading.texts = (!loading.show || loading.show.length || card) && ask(attrs, attrs.api, 1);
  // The widget calls this when a visitor answers or skips a survey.
  var record = function (survey) {
    if (!loading.remembers) return;
    var h = seen(key), s = h.surveys[survey];
    if (s) {
      s.outcome = true;
      if (order && s.orders.indexOf(order) < 0) s.orders = s.orders.concat(order).slice(-50);
      write(key, 'seen', h);
    }
  };
  var widget = init({ module_or_path: loading.wasm });
  var ready = new Promise(function (done) {
    if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', done);
    else done();
  });
  return Promise.all([widget, loading.texts && planText(loading), ready]).then(function (loaded) {
    var text = loaded[1];
    // What is due by the plan with the texts (the rules were another answer,
    // maybe older, or the file's, without the server's word on this order):
    // of what the rules made due, only what still is; without texts
    // (offline, none kept), only the queue is sent.
    var decision = { show: [], delay_seconds: 0 };
    try {
      if (text) {
        var plan = JSON.parse(text);
        decision = loading.decide(plan);
        // The plan says the customer's signature is not the shop's: no card,
        // whose request would be refused (a line of the browser's own in the
        // console, beside the plan's warning), and the card kept for them
        // forgotten, as that refusal would have it.
        // The plan's own warnings: a polluted prototype's had taken a signed
        // customer's card away.
        if (card && (own(plan, 'warnings') || []).some(function (w) { return !w.indexOf('data-customer-sig '); })) {
          card = false;
          forget(key, 'loyalty:' + loading.attrs.customer);
        }
      }
    } catch (e) {
      // A plan kept that no longer reads: the queue is still sent.
      say('warn', e);
      text = null;
    }
    var shown = loading.show ? loading.show.filter(function (id) { return decision.show.indexOf(id) >= 0; }) : loading.remembers ? loading.claim(key, decision.show) : decision.show;
    // Decided here (kiosks, links, previews, the server out of reach), it is
    // written on the script tag here, as kept.js writes what it decides.
    if (!loading.show) loading.script.setAttribute('data-kept-due', shown.join(' '));
    // The delay counts from when the page began to load (past: at once).
    var delay = (loading.show ? loading.delay : decision.delay_seconds) * 1e3;
    return new Promise(function (done) { setTimeout(done, delay - performance.now()); }).then(function () {
      if (shown.length && loading.remembers) {
        var h = seen(key), now = Date.now();
        h.last = now;
        shown.forEach(function (id) {
          var s = h.surveys[id] || { orders: [] };
          h.surveys[id] = { shown_at: now, order: order || null, outcome: false, orders: s.orders };
        });
        write(key, 'seen', h);
      }
      // The widget's element, defined: a page that hides elements not yet
      // defined (`:not(:defined)`, as web-component libraries advise) would
      // hide it for good.
      var name = 'kept-widget';
      customElements.get(name) || customElements.define(name, class extends HTMLElement {});
      mount(loading.script, loading.attrs, text || null, shown, card, record);
      // What was shown, after the server's last word (for the shop's developer).
      loading.script.setAttribute('data-kept-shown', shown.join(' '));
    });
  });
}
