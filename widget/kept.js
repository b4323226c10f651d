// The Kept widget loader: the one script a shop embeds.
//   <script src="https://kept.example.com/widget/kept.js" defer data-key="pk_..."></script>
// Attributes: data-key (required), data-api (default: the origin of this script),
// data-survey (comma-separated ids; default: the shop's surveys for everyone),
// data-customer, data-order, data-locale (default: navigator.language),
// data-mode ("inline" or "kiosk"), data-target (CSS selector to mount into;
// default: right after this script), data-kiosk-thanks-seconds (6),
// data-kiosk-idle-seconds (60).
// It mounts the widget into its own element (an open shadow root, so neither the
// shop's CSS nor the widget's leaks across) and never throws into the shop's page.
// Whatever goes wrong is said in one console line starting with "[kept] ", and the
// widget's element is removed: a visitor never sees an empty box.
(function () {
  'use strict';
  // scripts/build-widget.sh writes the content-hashed names of the glue and the
  // wasm here (in widget/dist/kept.js); they may be cached for a year.
  var GLUE = '__KEPT_GLUE__';
  var WASM = '__KEPT_WASM__';
  // As long as the widget's own requests may take (widget/src/browser.rs).
  var TIMEOUT_MS = 15000;
  var script, base, attrs = {};
  try {
    script = document.currentScript;
    if (!script || !script.src) { console.error('[kept] kept.js must be loaded with a plain <script src> tag'); return; }
    base = new URL('.', script.src);
    for (var i = 0; i < script.attributes.length; i++) {
      var a = script.attributes[i];
      if (a.name.indexOf('data-') === 0) attrs[a.name.slice(5)] = a.value;
    }
    if (!attrs.key || !attrs.key.trim()) {
      console.error('[kept] the widget is not shown: data-key (the shop\'s public key) is missing on the kept.js script tag');
      return;
    }
    attrs.api = (attrs.api || base.origin).replace(/\/+$/, '');
    if (!attrs.locale) attrs.locale = navigator.language || 'en';
  } catch (e) {
    console.error('[kept] the widget could not start: ' + e);
    return;
  }

  // Ask for the surveys now, while the wasm downloads, not after it: the widget
  // takes this response instead of asking again (it still shows its saved copy
  // first). The no-op catch only keeps a failure from being reported twice: the
  // widget reads the same promise and says what went wrong.
  var surveys;
  try {
    var controller = new AbortController();
    setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    surveys = fetch(attrs.api + '/api/v1/widget/' + encodeURIComponent(attrs.key.trim()) + '/surveys',
      { mode: 'cors', signal: controller.signal });
    surveys.catch(function () {});
  } catch (e) {
    surveys = undefined;
  }

  function start() {
    var host = document.createElement('div');
    host.className = 'kept-host';
    function fail(e) {
      if (host.parentNode) host.parentNode.removeChild(host);
      console.error('[kept] the widget could not load: ' + (e && e.message ? e.message : e));
    }
    try {
      var target = null;
      if (attrs.target) {
        try { target = document.querySelector(attrs.target); } catch (e) { target = null; }
        if (!target) console.warn('[kept] data-target ' + attrs.target + ' not found; mounting after the script');
      }
      if (target) target.appendChild(host);
      else if (script.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
      else document.body.appendChild(host);
      if (attrs.mode === 'kiosk') host.setAttribute('data-mode', 'kiosk');
      import(new URL(GLUE, base).href)
        .then(function (m) {
          return m.default({ module_or_path: new URL(WASM, base).href }).then(function () {
            m.mount(host, attrs, surveys);
          });
        })
        .catch(fail);
    } catch (e) {
      fail(e);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
