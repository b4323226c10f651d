// The dashboard's one script: nothing depends on it. It brings the current
// section into view on a phone, lets a table wider than the screen be scrolled
// by keyboard, and shows an import's progress, read from the server's stream,
// instead of a page that waits, then the outcome the server rendered.
(function () {
  'use strict';
  // On a phone the sections scroll sideways: the current one is brought into view.
  var current = document.querySelector('.sections [aria-current="page"]');
  if (current && current.scrollIntoView) current.scrollIntoView({ block: 'nearest', inline: 'center' });
  // What the page says of what the owner just did (a refused form's errors,
  // "Saved.", a sign-in refused) is where their eyes and a screen reader go
  // first, wherever on the page it is (beside one item of the inbox): a
  // message already on the page as it loads is read by no screen reader
  // unless focused.
  var said = document.querySelector('[data-focus-on-load]');
  if (said) {
    said.focus();
    if (said.scrollIntoView) said.scrollIntoView({ block: 'center' });
  }
  // Each field an error names is described by it: a screen reader on the
  // field says why it is invalid, not only that it is.
  [].forEach.call(document.querySelectorAll('#errors li'), function (item, i) {
    var link = item.querySelector('a[href^="#"]');
    var field = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    item.id = 'error-' + i;
    var by = field.getAttribute('aria-describedby');
    field.setAttribute('aria-describedby', (by ? by + ' ' : '') + item.id);
  });
  // A table wider than its box is a named region a keyboard can focus and
  // scroll, while it is wider (WCAG 2.1.1): a tab stop on every table that fits
  // would only be noise. It is named by what the server says
  // (`data-labelledby`), else by its caption or the nearest heading before it;
  // tables added later (an import's problems) or shown later (a chart's
  // numbers, opened) are fitted when they come.
  var title = function (w) {
    var caption = w.querySelector('caption');
    if (caption) return caption;
    for (var e = w; e && e.tagName != 'MAIN'; e = e.parentElement) {
      for (var s = e.previousElementSibling; s; s = s.previousElementSibling) {
        if (/^(H[1-6]|LEGEND)$/.test(s.tagName)) return s;
        var inner = s.querySelectorAll('h1, h2, h3, h4, h5, h6, legend');
        if (inner.length) return inner[inner.length - 1];
      }
    }
    return document.querySelector('main h1');
  };
  var fit = function () {
    [].forEach.call(document.querySelectorAll('.table-wrap'), function (w) {
      var wider = w.scrollWidth > w.clientWidth + 1;
      // Focused, it keeps its tab stop: taking it would drop focus to the page.
      if (!wider && (w === document.activeElement || w.hasAttribute('data-keep'))) {
        w.setAttribute('data-keep', '');
        return;
      }
      if (wider) {
        var by = w.getAttribute('data-labelledby');
        var heading = !by && title(w), name = heading && heading.textContent.trim();
        w.setAttribute('tabindex', '0');
        if (by) {
          w.setAttribute('role', 'region');
          w.setAttribute('aria-labelledby', by);
        } else if (name) {
          w.setAttribute('role', 'region');
          w.setAttribute('aria-label', name);
        }
      } else {
        w.removeAttribute('tabindex');
        w.removeAttribute('role');
        w.removeAttribute('aria-label');
        w.removeAttribute('aria-labelledby');
      }
    });
    // For tests: the width the tables were last fitted to.
    document.documentElement.setAttribute('data-tables-fitted', String(innerWidth));
  };
  fit();
  // A chart's numbers opened (a details element: its toggle does not bubble).
  document.addEventListener('toggle', fit, true);
  // Once a frame at most, however many resize events come.
  var pending = false;
  addEventListener('resize', function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; fit(); });
  });
  // A kept tab stop goes once focus leaves it.
  document.addEventListener('focusout', function (e) {
    if (e.target.hasAttribute && e.target.hasAttribute('data-keep')) {
      e.target.removeAttribute('data-keep');
      fit();
    }
  });
  var form = document.querySelector('form[data-import]');
  // A browser that cannot read a response as it streams keeps the plain form.
  if (!form || !window.fetch || !window.TextDecoder || !window.ReadableStream ||
      !('body' in Response.prototype)) return;
  var button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', function (e) {
    var file = form.querySelector('input[type=file]').files[0];
    if (!file) return;
    e.preventDefault();
    // One import at a time: a second click would send the file again.
    if (button.disabled) return;
    button.disabled = true;
    var out = document.getElementById('import-progress');
    var bar = out.querySelector('progress');
    var text = out.querySelector('[data-progress-text]');
    var result = document.getElementById('import-result');
    // Once the server has begun the import, the outcome is its to say, and the
    // file is never sent again from here (it was, after a stream cut short).
    var answered = false, shown = false;
    var show = function (html) {
      result.innerHTML = html;
      fit();
      out.hidden = true;
      shown = true;
      button.disabled = false;
      result.focus();
    };
    var cutOff = function () {
      var p = document.createElement('p');
      p.className = 'errors';
      p.setAttribute('role', 'alert');
      p.textContent = form.getAttribute('data-cut-off');
      result.textContent = '';
      result.appendChild(p);
      out.hidden = true;
      button.disabled = false;
      result.focus();
    };
    result.textContent = '';
    // Sending and checking the file: no count yet, so the bar only moves.
    bar.removeAttribute('value');
    text.textContent = '';
    out.hidden = false;
    fetch(form.action, {
      method: 'POST',
      headers: {
        'content-type': 'text/csv',
        'accept': 'application/x-ndjson',
        'x-csrf-token': form.querySelector('input[name=csrf]').value
      },
      body: file,
      credentials: 'same-origin'
    }).then(function (resp) {
      answered = true;
      // Signed out meanwhile: sent to sign in (nothing was imported).
      if (resp.redirected) { location.href = resp.url; return; }
      // Refused before any import (the session's form token, the size):
      // nothing is stored, and the plain form's answer says why, in the page's
      // words.
      if (!resp.ok) { form.submit(); return; }
      var reader = resp.body.getReader(), decoder = new TextDecoder(), buffer = '';
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { if (!shown) cutOff(); return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split('\n');
          buffer = lines.pop();
          lines.forEach(function (line) {
            if (!line) return;
            var m = JSON.parse(line);
            if (m.rows) { bar.max = m.rows; }
            if (m.stage === 'writing') { bar.value = m.written; text.textContent = m.written + ' / ' + m.rows; }
            if (m.stage === 'checked') { bar.value = 0; text.textContent = '0 / ' + m.rows; }
            // The server rendered the outcome, as it does for the page without script.
            if (m.html) show(m.html);
          });
          return read();
        });
      }
      return read();
    }).catch(function () {
      // No answer at all: the plain form tries once. An answer cut short: say so.
      if (!answered) form.submit(); else if (!shown) cutOff();
    });
  });
})();
