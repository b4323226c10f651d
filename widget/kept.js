// The Kept widget loader: the one script a shop embeds.
//   <script src="https://kept.example.com/widget/kept.js" defer data-key="pk_..."></script>
// Attributes: data-key (required), data-api (default: the origin of this script),
// data-survey (comma-separated ids; default: all the shop's active surveys),
// data-customer, data-order, data-locale (default: navigator.language),
// data-mode ("inline" or "kiosk"), data-target (CSS selector to mount into;
// default: right after this script), data-kiosk-thanks-seconds (6),
// data-kiosk-idle-seconds (60).
// It mounts the widget into its own element (an open shadow root, so neither the
// shop's CSS nor the widget's leaks across) and never throws into the shop's page.
(function () {
  'use strict';
  try {
    var script = document.currentScript;
    if (!script || !script.src) { console.error('[kept] kept.js must be loaded with a plain <script src> tag'); return; }
    var base = new URL('.', script.src);
    var attrs = {};
    for (var i = 0; i < script.attributes.length; i++) {
      var a = script.attributes[i];
      if (a.name.indexOf('data-') === 0) attrs[a.name.slice(5)] = a.value;
    }
    if (!attrs.key || !attrs.key.trim()) {
      console.error('[kept] the widget is not shown: data-key (the shop\'s public key) is missing on the kept.js script tag');
      return;
    }
    if (!attrs.api) attrs.api = base.origin;
    if (!attrs.locale) attrs.locale = navigator.language || 'en';
  } catch (e) {
    console.error('[kept] the widget could not start:', e);
    return;
  }

  function start() {
    try {
      var host = document.createElement('div');
      host.className = 'kept-host';
      var target = null;
      if (attrs.target) {
        try { target = document.querySelector(attrs.target); } catch (e) { target = null; }
        if (!target) console.warn('[kept] data-target ' + attrs.target + ' not found; mounting after the script');
      }
      if (target) target.appendChild(host);
      else if (script.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
      else document.body.appendChild(host);
      if (attrs.mode === 'kiosk') host.setAttribute('data-mode', 'kiosk');
      import(new URL('kept-widget.js', base).href)
        .then(function (m) {
          return m.default({ module_or_path: new URL('kept-widget_bg.wasm', base).href }).then(function () {
            m.mount(host, JSON.stringify(attrs));
          });
        })
        .catch(function (e) { console.warn('[kept] the widget could not load:', e); });
    } catch (e) {
      console.warn('[kept] the widget could not load:', e);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
