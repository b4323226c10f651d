// Which surveys are due on this page view: the loader's part of shared/targeting.md
// (its cases: display_cases of shared/targeting-cases.json, run by decide.test.js).
// Small on purpose: it is in kept.js, which every page of a shop loads.

var DAY = 864e5;

// Whether a page rule {match, path} matches the path (a regular expression only
// for a glob: the first one a page makes costs it milliseconds on a slow phone).
export function pageMatches(rule, path) {
  var p = rule.path;
  if (rule.match == 'exact') return path == p;
  if (rule.match == 'prefix') return path.indexOf(p) == 0;
  return new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*?/g, function (m) { return m[1] ? '.*' : '[^/]*'; }) + '$').test(path);
}

// FNV-1a over UTF-16 code units: a visitor's stable draw (0-99) for a survey.
export function draw(seed, survey) {
  var s = seed + ':' + survey, h = 2166136261;
  for (var i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0) % 100;
}

// plan: {cooldown_days, surveys: [{id, targeting, audience_match, answered}]};
// page: {path, order, named, mode}; recall(): the history (shared/targeting.md),
// asked for only once a survey is for this visitor and this page (a page with
// nothing for this visitor neither reads nor, on a first visit, writes it:
// README, Performance); now: ms;
// drawFor(id): the visitor's draw. Returns {show: [ids], delay_seconds}.
export function decide(plan, page, recall, now, drawFor) {
  var all = plan.surveys, order = page.order, named = page.named, history, path = page.path;
  // Its escapes in capitals, as the rules' (shared/targeting.md): a link may
  // write them small (a shop's Cyrillic addresses, as WordPress writes them).
  if (path.indexOf('%') >= 0) path = path.replace(/%[\da-f]{2}/gi, function (e) { return e.toUpperCase(); });
  var picked = named
    ? named.map(function (id) { return all.filter(function (s) { return s.id == id; })[0]; }).filter(Boolean)
    : all;
  var free = ['kiosk', 'preview', 'link'].indexOf(page.mode) >= 0;
  var due = picked.filter(function (s) {
    var t = s.targeting, h;
    if (!named && !s.audience_match) return false;
    if (free) return true;
    if (!named && t.pages.length && !t.pages.some(function (r) { return pageMatches(r, path); })) return false;
    history = history || recall();
    h = (history.surveys || {})[s.id];
    if (order && t.once_per_order && (s.answered || (h && h.orders.indexOf(order) >= 0))) return false;
    if (order && h && h.order == order && !h.outcome) return true;
    return drawFor(s.id) < t.sample_percent &&
      (!h || now - h.shown_at >= t.recontact_days * DAY) &&
      (history.last == null || now - history.last >= plan.cooldown_days * DAY);
  });
  return { show: due.map(function (s) { return s.id; }), delay_seconds: free || !due.length ? 0 : due[0].targeting.delay_seconds };
}
