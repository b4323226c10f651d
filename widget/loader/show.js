// The loader's second half: what happens once something is to be shown or
// sent. scripts/build-widget.sh bundles it with the widget's glue, which the
// loader imports only then: a page with nothing to show or send never
// downloads it, and kept.js, which every page of a shop runs, stays small.
//
// `loading`, from kept.js (main.js): {script, attrs, wasm (the promise of its
// response), texts (the promise of the plan's text with its texts; none: only
// the queue to send), show (the ids due by the rules), card, delay (ms from the
// page's start), decide(plan) (main.js's decision by that plan), seen(),
// write(name, value), remembers, order}.
import init, { mount } from 'kept-glue';

export function show(loading) {
  var order = loading.order, seen = loading.seen, write = loading.write;
  // The widget calls this when a visitor answers or skips a survey.
  var record = function (survey) {
    if (!loading.remembers) return;
    var h = seen(), s = h.surveys[survey];
    if (s) {
      s.outcome = true;
      if (order && s.orders.indexOf(order) < 0) s.orders = s.orders.concat(order).slice(-50);
      write('seen', h);
    }
  };
  var widget = init({ module_or_path: loading.wasm });
  var ready = new Promise(function (done) {
    if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', done);
    else done();
  });
  // The delay counts from when the page began to load (past: at once); the
  // wasm and the texts download meanwhile.
  var delayed = new Promise(function (done) { setTimeout(done, loading.delay - performance.now()); });
  return Promise.all([widget, loading.texts, ready, delayed]).then(function (loaded) {
    var text = loaded[1];
    // Only what is still due by the plan with the texts (the rules were
    // another answer, maybe older, or the file's, without the server's word on
    // this order); without texts (offline, none kept), only the queue is sent.
    var still = text ? loading.decide(JSON.parse(text)).show : [];
    var shown = loading.show.filter(function (id) { return still.indexOf(id) >= 0; });
    if (shown.length && loading.remembers) {
      var h = seen(), now = Date.now();
      h.last = now;
      shown.forEach(function (id) {
        var s = h.surveys[id] || { orders: [] };
        h.surveys[id] = { shown_at: now, order: order || null, outcome: false, orders: s.orders };
      });
      write('seen', h);
    }
    mount(loading.script, loading.attrs, text || null, shown, loading.card, record);
    // What was shown, after the server's last word (for the shop's developer).
    loading.script.setAttribute('data-kept-shown', shown.join(' '));
  });
}
