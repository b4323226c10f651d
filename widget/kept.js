// The Kept widget loader: the one script a shop embeds.
//   <script src="https://kept.example.com/widget/kept.js" defer data-key="pk_..."></script>
// It mounts the widget into its own element (a shadow root, so neither the shop's
// CSS nor the widget's leaks across) and never throws into the shop's page.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) { console.error('[kept] kept.js must be loaded with a plain <script> tag'); return; }
  var base = new URL('.', script.src);
  var attrs = {};
  for (var i = 0; i < script.attributes.length; i++) {
    var a = script.attributes[i];
    if (a.name.indexOf('data-') === 0) attrs[a.name.slice(5)] = a.value;
  }
  if (!attrs.api) attrs.api = base.origin;
  if (!attrs.locale) attrs.locale = navigator.language || 'en';

  function start() {
    var host = document.createElement('div');
    host.className = 'kept-host';
    var target = attrs.target && document.querySelector(attrs.target);
    if (attrs.target && !target) console.warn('[kept] data-target ' + attrs.target + ' not found; mounting after the script');
    if (target) target.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    if (attrs.mode === 'kiosk') host.setAttribute('data-mode', 'kiosk');
    import(new URL('kept-widget.js', base).href)
      .then(function (m) {
        return m.default({ module_or_path: new URL('kept-widget_bg.wasm', base).href }).then(function () {
          m.mount(host, JSON.stringify(attrs));
        });
      })
      .catch(function (e) { console.warn('[kept] the widget could not load:', e); });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
