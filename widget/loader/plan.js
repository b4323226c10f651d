// Asking the server for a visitor's display plan: main.js for the rules it
// decides by (where they are not in its file), show.js for the texts of what
// is shown.

// Where the API is: data-api (a path, the editor's preview, whose plan comes
// from the dashboard, read against this script's address: the page's scheme
// and host, whatever a proxy in front of Kept calls them), else the origin of
// this script. `base`: the script's directory.
export function apiOf(attrs, base) {
  var api = attrs.api ? new URL(attrs.api, base).href : base.origin;
  while (api.slice(-1) == '/') api = api.slice(0, -1);
  return api;
}

// A promise whose failure is told elsewhere, or not at all: never an
// unhandled rejection on the shop's page.
export function quiet(promise) {
  promise.catch(function () {});
  return promise;
}

function param(name, value) {
  return value ? '&' + name + '=' + encodeURIComponent(value) : '';
}

// Asks for this visitor's plan: [who asks (their language and customer: a
// plan kept for them is theirs), the promise of the response]; with the texts
// the widget shows, or only the rules that decide (`texts=false`, less than
// half the bytes). The visitor's language, which the widget reads too, is
// looked up only here: the first look at `navigator` costs a page about as
// much as deciding (README, Performance), and a page with nothing due needs
// none. Given up after as long as the widget's own requests may take
// (widget/src/browser.rs), body included, where the browser can
// (`AbortSignal.timeout`: Safari from 16).
export function ask(attrs, api, texts) {
  var locale = attrs.locale = attrs.locale || navigator.language || 'en';
  // A signature is sent even without its reference: the plan's warnings then
  // say the reference is missing (wherever a plan is read).
  var visitor = '?locale=' + encodeURIComponent(locale) + param('customer', attrs.customer) +
    param('customer_sig', attrs['customer-sig']);
  // Its options in an object of no prototype: a page's polluted
  // `Object.prototype` (a `method`, a `mode`, `credentials`) had become the
  // request's, and the plan was not had.
  var options = Object.create(null);
  options.signal = AbortSignal.timeout && AbortSignal.timeout(15e3);
  return [visitor, quiet(fetch(api + '/api/v1/widget/' + encodeURIComponent(attrs.key) + '/plan' + visitor +
    (attrs.mode != 'kiosk' ? param('order', attrs.order) + param('order_sig', attrs['order-sig']) : '') +
    (texts ? '' : '&texts=false'), options))];
}
