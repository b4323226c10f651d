// What every part of the loader uses (shop.js, main.js, show.js with the
// glue; each bundle has its copy of what it takes of this file): their one
// way of speaking, the script tag's attributes, and what they keep in this
// browser's local storage, under `kept:v1:<shop's key>:` (where the widget
// keeps its queue too).

// `what`: words, or an error (its message).
export function say(how, what) {
  console[how]('[kept] ' + (what.message || what));
}

// The second half (the widget's glue, or main.js for shop.js) did not load.
export function unloaded(e) {
  say('error', 'the widget could not load: ' + (e.message || e));
}

// The script tag's `data-` attributes, by name without the prefix, in an
// object of no prototype: nothing read of them is looked up past it in the
// page's `Object.prototype` (an old library's, or a page's polluted one: a
// `key` there had become the shop's key, an `api` would send the visitor's
// answers elsewhere).
export function attributes(script) {
  var attrs = Object.create(null);
  if (!script || !script.src) throw 'kept.js needs a plain <script src> tag';
  [].forEach.call(script.attributes, function (a) {
    if (!a.name.indexOf('data-')) attrs[a.name.slice(5)] = a.value.trim();
  });
  return attrs;
}

// The server will not serve this widget (unknown key, origin not allowed,
// too many requests, its store down): its own words (`text`, the API's error)
// say why. An error, whichever half hears it: the widget is not shown.
export function refused(text) {
  var message = text;
  try { message = JSON.parse(text).message; } catch (e) {}
  say('error', 'the widget is not shown: ' + message);
}

// Of `ids`, the surveys of the shop whose public key is `key` that no other
// kept.js on this page view has claimed, claimed now: a survey shows once on
// a page, whatever its snippets. By the page's address: a single-page shop
// that puts the snippet in again on its next page (the next order's
// thank-you) asks again. Under a symbol, which no element of the page's
// (`<form name=...>`) can stand in for.
export function claim(key, ids) {
  var shown = Symbol.for('kept.shown');
  var claimed = window[shown] || (window[shown] = Object.create(null));
  return ids.filter(function (id) {
    var k = [key, id, location.href].join(' ');
    return !claimed[k] && (claimed[k] = 1);
  });
}

// The storage key of `name` for the shop whose public key is `key`.
export function stored(key, name) {
  return 'kept:v1:' + key + ':' + name;
}

// Whether answers queued on an earlier page wait in this browser to be sent
// (from this page, whatever it shows).
export function pendingAnswers(key) {
  var waiting = stored(key, 'pending:');
  try {
    for (var i = 0; i < localStorage.length; i++) if (!localStorage.key(i).indexOf(waiting)) return true;
  } catch (e) {}
  return false;
}

// In an object of no prototype: what it does not hold (a history's `last`,
// its `seed`) is not looked up in a page's polluted `Object.prototype`.
export function read(key, name) {
  var kept = Object.create(null);
  try { return Object.assign(kept, JSON.parse(localStorage.getItem(stored(key, name)))); } catch (e) { return kept; }
}

export function write(key, name, value) {
  try { localStorage.setItem(stored(key, name), JSON.stringify(value)); } catch (e) {}
}

export function forget(key, name) {
  try { localStorage.removeItem(stored(key, name)); } catch (e) {}
}

// `object`'s own `name` (a polluted prototype's is not read; by `Object`'s
// own function: a prototype's `hasOwnProperty` may be anything).
export function own(object, name) {
  var d = Object.getOwnPropertyDescriptor(object, name);
  return d && d.value;
}

// The visitor's display history (shared/targeting.md), read afresh before each
// change: another tab may have written it. Its seed, the visitor's draws, is
// made on the first read.
export function seen(key) {
  var h = read(key, 'seen');
  // By survey id, in an object of no prototype too: a polluted prototype's
  // member named as a survey had been read as its display on this order,
  // and made it due past its sample.
  h.surveys = Object.assign(Object.create(null), h.surveys);
  if (h.seed == null) { h.seed = Math.random() * 1e9 | 0; write(key, 'seen', h); }
  return h;
}
