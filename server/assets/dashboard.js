// The dashboard's one script: nothing depends on it. It shows an import's
// progress, read from the server's stream, instead of a page that waits, then the
// outcome the server rendered.
(function () {
  'use strict';
  var form = document.querySelector('form[data-import]');
  if (!form || !window.fetch || !window.TextDecoder) return;
  form.addEventListener('submit', function (e) {
    var file = form.querySelector('input[type=file]').files[0];
    if (!file) return;
    e.preventDefault();
    var out = document.getElementById('import-progress');
    var bar = out.querySelector('progress');
    var text = out.querySelector('[data-progress-text]');
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
      var reader = resp.body.getReader(), decoder = new TextDecoder(), buffer = '';
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split('\n');
          buffer = lines.pop();
          lines.forEach(function (line) {
            if (!line) return;
            var m = JSON.parse(line);
            if (m.rows) { bar.max = m.rows; }
            if (m.stage === 'writing') { bar.value = m.written; text.textContent = m.written + ' / ' + m.rows; }
            if (m.html) {
              // The server rendered the outcome, as it does for the page without script.
              var result = document.getElementById('import-result');
              result.innerHTML = m.html;
              out.hidden = true;
              result.focus();
            }
          });
          return read();
        });
      }
      return read();
    }).catch(function () { form.submit(); });
  });
})();
