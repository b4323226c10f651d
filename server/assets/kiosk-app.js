// The kiosk app around the widget (/kiosk/{public_key}): installs the service
// worker that keeps the kiosk working offline (kiosk-sw.js), sets the tablet up
// behind the owner's PIN (store, surveys, language, idle times), keeps the screen
// on and full, reports the device's state to the owner, and starts the widget.
//
// What a tablet keeps, in localStorage["kept-kiosk:v1:{public_key}"], once the
// staff start it (a setup left half-way keeps nothing: the PIN is asked again):
//   {device, device_sig, pin: {salt, hash}, store, surveys, locale, idle, thanks,
//    choices: {stores, surveys}}
// and under "…:tries" the wrong PINs typed to leave it, {tries, notBefore}, so
// that a reload does not start the count afresh.
// The PIN is kept only as a salted PBKDF2 hash, so that leaving the kiosk can be
// checked offline.
//
// A respondent may identify themselves by the QR code of their receipt (a
// personal link, /s/{token}): the camera reads it where the browser has the
// BarcodeDetector, a hand scanner types it into the field. The server vouches for
// the link; the widget is then started for that respondent alone (their order,
// their loyalty card), and the kiosk starts afresh, anonymous, once they are done.
(function () {
  'use strict';
  var root = document.getElementById('kiosk');
  var key = root.getAttribute('data-key');
  var version = root.getAttribute('data-version');
  var pinSet = root.getAttribute('data-pin') == 'set';
  var page = JSON.parse(root.getAttribute('data-widget') || '{}');
  var heartbeatSeconds = +root.getAttribute('data-heartbeat-seconds') || 60;
  var api = location.origin + '/api/v1/widget/' + encodeURIComponent(key);
  var storeKey = 'kept-kiosk:v1:' + key;
  // The wrong PINs typed to leave the kiosk (below).
  var triesKey = storeKey + ':tries';
  var queuePrefix = 'kept:v1:' + key + ':';
  var $ = function (id) { return document.getElementById(id); };

  // --- The staff's words: in the kiosk's language once it has one, before that
  // in the browser's. (The respondents' are the widget's, and the receipt's below.)
  var STAFF_TEXTS = {
    en: { page: 'Kept kiosk', title: 'Set up this kiosk', ownerPin: 'The owner\'s kiosk PIN', next: 'Continue', store: 'Store',
      surveys: 'Surveys to ask', language: 'Language', idle: 'Seconds without a touch before the next respondent',
      thanks: 'Seconds the thank-you screen stays', start: 'Start the kiosk', leave: 'Leave full screen',
      settings: 'Kiosk settings (staff)', pin: 'Kiosk PIN', unlock: 'Unlock', cancel: 'Cancel', back: 'Back to the kiosk',
      wrongPin: 'Wrong PIN. Try again: the shop owner sets it under Stores & kiosks in the dashboard.', wait: 'Too many wrong PINs: try again in {s} s.',
      offline: 'The server cannot be reached: the first setup needs the network.',
      removed: 'The shop\'s owner removed this tablet, or replaced the shop\'s keys: set it up again with the kiosk PIN.',
      noPin: 'The shop has no kiosk PIN: its owner sets one in the dashboard, under Stores & kiosks.' },
    ru: { page: 'Киоск Kept', title: 'Настройка киоска', ownerPin: 'PIN-код киоска от владельца', next: 'Продолжить', store: 'Магазин',
      surveys: 'Какие опросы задавать', language: 'Язык', idle: 'Секунд без касания до следующего посетителя',
      thanks: 'Секунд показывать благодарность', start: 'Запустить киоск', leave: 'Выйти из полноэкранного режима',
      settings: 'Настройки киоска (для сотрудников)', pin: 'PIN-код киоска', unlock: 'Открыть', cancel: 'Отмена', back: 'Вернуться к киоску',
      wrongPin: 'Неверный PIN-код. Попробуйте ещё раз: его задаёт владелец магазина в панели, в разделе «Магазины и киоски».', wait: 'Слишком много неверных PIN-кодов: попробуйте через {s} с.',
      offline: 'Сервер недоступен: для первой настройки нужна сеть.',
      removed: 'Владелец магазина удалил этот планшет или заменил ключи магазина: настройте его заново с PIN-кодом киоска.',
      noPin: 'У магазина нет PIN-кода киоска: владелец задаёт его в панели, в разделе «Магазины и киоски».' },
    uk: { page: 'Кіоск Kept', title: 'Налаштування кіоску', ownerPin: 'PIN-код кіоску від власника', next: 'Продовжити', store: 'Магазин',
      surveys: 'Які опитування ставити', language: 'Мова', idle: 'Секунд без дотику до наступного відвідувача',
      thanks: 'Секунд показувати подяку', start: 'Запустити кіоск', leave: 'Вийти з повноекранного режиму',
      settings: 'Налаштування кіоску (для працівників)', pin: 'PIN-код кіоску', unlock: 'Відкрити', cancel: 'Скасувати', back: 'Повернутися до кіоску',
      wrongPin: 'Неправильний PIN-код. Спробуйте ще раз: його задає власник магазину в панелі, у розділі «Магазини та кіоски».', wait: 'Забагато неправильних PIN-кодів: спробуйте за {s} с.',
      offline: 'Сервер недоступний: для першого налаштування потрібна мережа.',
      removed: 'Власник магазину видалив цей планшет або замінив ключі магазину: налаштуйте його знову з PIN-кодом кіоску.',
      noPin: 'У магазину немає PIN-коду кіоску: власник задає його в панелі, у розділі «Магазини та кіоски».' },
  };
  var staff = STAFF_TEXTS.en;
  // Which of the kiosk's languages `locale` is (English for any other).
  function language(locale) {
    var code = (locale || '').slice(0, 2);
    return STAFF_TEXTS[code] ? code : 'en';
  }
  function showStaffTexts(locale) {
    staff = STAFF_TEXTS[language(locale)];
    document.documentElement.lang = language(locale);
    document.title = staff.page;
    [].forEach.call(document.querySelectorAll('[data-t]'), function (e) { e.textContent = staff[e.getAttribute('data-t')]; });
    [].forEach.call(document.querySelectorAll('[data-t-label]'), function (e) {
      e.setAttribute('aria-label', staff[e.getAttribute('data-t-label')]);
    });
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save(setup) {
    try { localStorage.setItem(storeKey, JSON.stringify(setup)); } catch (e) {}
  }
  // A tablet is set up once the staff have started it: a device signed by the
  // server, and the setup's times (the widget needs them).
  function isSetUp(setup) {
    return !!(setup.device_sig && setup.idle && setup.thanks);
  }

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/kiosk/sw.js', { scope: '/kiosk/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // The page itself, loaded before any worker ran: the worker keeps it for a
      // reload without network; and again for each new worker (a release).
      var keep = function (worker) { if (worker) worker.postMessage({ keep: [location.href] }); };
      keep(reg.active);
      navigator.serviceWorker.addEventListener('controllerchange', function () {
        keep(navigator.serviceWorker.controller);
      });
    }).catch(function (e) { console.warn('[kept] the kiosk will not work offline: ' + e); });
  }

  function hex(buffer) {
    return [].map.call(new Uint8Array(buffer), function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  // PBKDF2 (SHA-256, 200 000 rounds): a PIN is short, so what the tablet keeps
  // must be slow to try against; leaving the kiosk also waits after wrong tries.
  function pinHash(salt, pin) {
    var text = new TextEncoder();
    return crypto.subtle.importKey('raw', text.encode(pin), 'PBKDF2', false, ['deriveBits']).then(function (k) {
      return crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: text.encode(salt), iterations: 2e5 }, k, 256);
    }).then(hex);
  }

  // --- Setup -----------------------------------------------------------------
  // The setup the staff are making: kept in this page alone until they start
  // the kiosk, so that one left half-way (a reload, a power cut, staff called
  // away) leaves a tablet that asks for the PIN, not one without its settings.
  var draft = null;

  // A PIN field's error, said in the element that describes it (its
  // `aria-describedby`) and marked on it for a screen reader; none, to clear it.
  function pinError(field, message) {
    $($(field).getAttribute('aria-describedby')).textContent = message || '';
    if (message) $(field).setAttribute('aria-invalid', 'true');
    else $(field).removeAttribute('aria-invalid');
  }

  function showPinForm() {
    draft = null;
    $('pin').value = '';
    // Why a tablet that was set up asks again.
    pinError('pin', load().removed ? staff.removed : '');
    $('setup').hidden = false;
    $('pin-form').hidden = false;
    $('setup-form').hidden = true;
    $('pin').focus();
    sendWaiting();
  }

  // Answers this tablet still holds (it was removed, or its setup lost) are
  // sent while it waits for the PIN: the widget, asked for a survey no shop
  // has (`-`), shows nothing and loads only to send its queue.
  function sendWaiting() {
    if (!pending() || document.querySelector('script[data-send-only]')) return;
    var script = document.createElement('script');
    script.src = '/widget/kept.js';
    script.setAttribute('data-key', key);
    script.setAttribute('data-survey', '-');
    script.setAttribute('data-send-only', '');
    document.body.appendChild(script);
  }

  $('pin-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var pin = $('pin').value.trim(), setup = load();
    setup.device = setup.device || crypto.randomUUID();
    pinError('pin');
    fetch(api + '/kiosk', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // The tablet's language once set up (the staff's choice), before the
      // address's and the browser's.
      body: JSON.stringify({ pin: pin, device: setup.device, locale: setup.locale || page.locale || navigator.language }),
    }).then(function (response) {
      return response.json().then(function (body) {
        // The staff's own words for what they can act on; the server's for the rest.
        if (response.status == 401) throw staff.wrongPin;
        if (response.status == 409) throw staff.noPin;
        if (response.status == 429) throw staff.wait.replace('{s}', response.headers.get('retry-after') || 60);
        if (!response.ok) throw body.message || response.statusText;
        var salt = hex(crypto.getRandomValues(new Uint8Array(16)));
        return pinHash(salt, pin).then(function (hash) {
          setup.device_sig = body.device_sig;
          setup.pin = { salt: salt, hash: hash };
          setup.choices = { stores: body.stores, surveys: body.surveys };
          // The server took the PIN: the waits of wrong ones typed to leave end.
          try { localStorage.removeItem(triesKey); } catch (e) {}
          showSetupForm(setup);
        });
      });
    }).catch(function (e) {
      pinError('pin', typeof e == 'string' ? e : staff.offline);
    });
  });

  function option(value, label, selected) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    o.selected = !!selected;
    return o;
  }

  // The setup form, for the staff alone: it goes back (to the kiosk as it was
  // set up, or to the PIN) after the kiosk's idle time without a touch, as the
  // PIN dialog closes, so that a customer never finds it open.
  function showSetupForm(setup) {
    draft = setup;
    $('setup-back').hidden = !isSetUp(load());
    watchIdle(setup.idle || 60);
    $('setup').hidden = false;
    $('pin-form').hidden = true;
    $('setup-form').hidden = false;
    var stores = $('store'), surveys = $('surveys-list');
    stores.textContent = '';
    stores.appendChild(option('', '—', !setup.store));
    setup.choices.stores.forEach(function (s) { stores.appendChild(option(s.id, s.name, s.id == setup.store)); });
    surveys.textContent = '';
    setup.choices.surveys.forEach(function (s) {
      var label = document.createElement('label'), box = document.createElement('input');
      box.type = 'checkbox';
      box.value = s.id;
      box.name = 'survey';
      box.checked = setup.surveys ? setup.surveys.indexOf(s.id) >= 0 : s.kind != 'churn_reason';
      label.appendChild(box);
      label.appendChild(document.createTextNode(' '));
      var title = document.createElement('span');
      title.setAttribute('data-titles', JSON.stringify(s.titles || {}));
      title.textContent = s.title;
      label.appendChild(title);
      surveys.appendChild(label);
    });
    $('locale').value = setup.locale || language(page.locale || navigator.language);
    sayInChosenLanguage();
    $('idle').value = setup.idle || 60;
    $('thanks').value = setup.thanks || 6;
    $('store').focus();
  }

  // The form in the language the staff choose in it, the surveys' questions
  // too (where a survey has that language): it had stayed in the browser's.
  function sayInChosenLanguage() {
    var chosen = $('locale').value;
    showStaffTexts(chosen);
    [].forEach.call(document.querySelectorAll('#surveys-list [data-titles]'), function (e) {
      var titles = JSON.parse(e.getAttribute('data-titles'));
      // A survey without that language: its English, as the widget would ask it.
      e.textContent = titles[chosen] || titles.en || e.textContent;
    });
  }
  $('locale').addEventListener('change', sayInChosenLanguage);

  // Back to the kiosk as it was: a fresh page, the widget with it.
  function leaveSetup() {
    if (isSetUp(load())) location.reload();
    else showPinForm();
  }
  $('setup-back').addEventListener('click', leaveSetup);

  $('setup-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var setup = draft;
    draft = null;
    delete setup.removed;
    setup.store = $('store').value || null;
    setup.surveys = [].filter.call(document.querySelectorAll('#surveys-list input'), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    setup.locale = $('locale').value;
    setup.idle = Math.min(3600, Math.max(1, +$('idle').value || 60));
    setup.thanks = Math.min(3600, Math.max(1, +$('thanks').value || 6));
    save(setup);
    fullScreen();
    $('setup').hidden = true;
    start(setup);
  });

  $('leave').addEventListener('click', function () {
    if (document.fullscreenElement) document.exitFullscreen();
  });

  // --- Identifying a respondent by their receipt ---------------------------------
  var SCAN_TEXTS = {
    en: { open: 'Scan your receipt', title: 'Scan your receipt',
      hint: 'Hold the QR code on your receipt to the camera: your answer then counts for your order, and your points show.',
      code: 'Or type the code under it', use: 'Continue', cancel: 'Answer without it',
      invalid: 'This code is not one of our receipts.', expired: 'This receipt\'s survey has expired.',
      answered: 'You have already answered for this receipt. Thank you!',
      offline: 'Receipts cannot be checked right now: please answer without it.' },
    ru: { open: 'Сканировать чек', title: 'Сканируйте чек',
      hint: 'Поднесите QR-код с чека к камере: ответ будет засчитан к вашему заказу, и вы увидите свои баллы.',
      code: 'Или введите код под ним', use: 'Продолжить', cancel: 'Ответить без чека',
      invalid: 'Этот код не с нашего чека.', expired: 'Опрос по этому чеку уже закрыт.',
      answered: 'Вы уже ответили по этому чеку. Спасибо!',
      offline: 'Сейчас чек не проверить: ответьте, пожалуйста, без него.' },
    uk: { open: 'Сканувати чек', title: 'Скануйте чек',
      hint: 'Піднесіть QR-код із чека до камери: відповідь буде зараховано до вашого замовлення, і ви побачите свої бали.',
      code: 'Або введіть код під ним', use: 'Продовжити', cancel: 'Відповісти без чека',
      invalid: 'Цей код не з нашого чека.', expired: 'Опитування за цим чеком уже закрите.',
      answered: 'Ви вже відповіли за цим чеком. Дякуємо!',
      offline: 'Зараз чек не перевірити: дайте відповідь, будь ласка, без нього.' },
  };
  var scanTexts = SCAN_TEXTS.en, stream = null, scanning = false, identified = false;
  // The last sign of someone at the kiosk: a touch, a key, or a new code read by the camera.
  var lastTouch = Date.now();
  function touched() { lastTouch = Date.now(); }

  function showScanTexts(locale) {
    scanTexts = SCAN_TEXTS[language(locale)];
    $('scan-open').textContent = scanTexts.open;
    $('scan-title').textContent = scanTexts.title;
    $('scan-hint').textContent = scanTexts.hint;
    $('scan-code-label').textContent = scanTexts.code;
    $('scan-use').textContent = scanTexts.use;
    $('scan-cancel').textContent = scanTexts.cancel;
  }

  // A dialog over the kiosk (the receipt's scan, the staff's PIN): while it is
  // open, the rest of the page is inert (Tab stays in it, a screen reader
  // reads it alone), Escape closes it, and focus goes back to the button that
  // opened it.
  var inert = [];
  function openDialog(dialog, field) {
    for (var e = dialog; e != document.body; e = e.parentElement) {
      [].forEach.call(e.parentElement.children, function (other) {
        if (other != e && !other.inert) { other.inert = true; inert.push(other); }
      });
    }
    dialog.hidden = false;
    field.focus();
  }
  function closeDialog(dialog, opener) {
    if (dialog.hidden) return;
    dialog.hidden = true;
    inert.forEach(function (e) { e.inert = false; });
    inert = [];
    (opener.hidden ? $('kiosk') : opener).focus();
  }
  document.addEventListener('keydown', function (event) {
    if (event.key != 'Escape') return;
    closeScan();
    closeUnlock();
  });

  // Closed, it keeps nothing typed: a receipt's code is the respondent's link.
  function closeScan() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    $('scan-video').hidden = true;
    $('scan-code').value = '';
    $('scan-error').textContent = '';
    closeDialog($('scan'), $('scan-open'));
  }

  // The camera, where the browser can read QR codes itself.
  function watchCamera() {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return;
    var detector = new BarcodeDetector({ formats: ['qr_code'] }), video = $('scan-video');
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
      if (!scanning) { s.getTracks().forEach(function (t) { t.stop(); }); return; }
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      // Looks until the dialog closes; each new code is tried once.
      var tried = null;
      return video.play().then(function look() {
        if (!scanning) return;
        detector.detect(video).then(function (codes) {
          var code = codes.length && codes[0].rawValue;
          // Someone holding a receipt up touches nothing, yet is there: a code
          // read counts as a touch. Only a new one: a code that stays in view (a
          // poster, a receipt left on the counter) must not keep the dialog open.
          if (code && code != tried) {
            touched();
            identify(tried = code);
          }
        }, function () {}).then(function () { setTimeout(look, 250); });
      });
    }).catch(function () { video.hidden = true; });
  }

  $('scan-open').addEventListener('click', function () {
    $('scan-code').value = '';
    $('scan-error').textContent = '';
    openDialog($('scan'), $('scan-code'));
    scanning = true;
    watchCamera();
  });
  $('scan-cancel').addEventListener('click', closeScan);
  $('scan-form').addEventListener('submit', function (event) {
    event.preventDefault();
    identify($('scan-code').value);
  });

  // The link's token from what was read: the whole link, or the token alone.
  function tokenOf(text) {
    text = text.trim();
    var at = text.indexOf('/s/');
    return (at >= 0 ? text.slice(at + 3) : text).split(/[?#/]/)[0];
  }

  function identify(text) {
    var token = tokenOf(text);
    if (!token) return;
    fetch(api + '/links/' + encodeURIComponent(token)).then(function (response) {
      if (response.status == 404) throw scanTexts.invalid;
      if (response.status == 410) throw scanTexts.expired;
      if (!response.ok) throw scanTexts.offline;
      return response.json();
    }, function () { throw scanTexts.offline; }).then(function (who) {
      if (who.answered) throw scanTexts.answered;
      // Hidden before the dialog closes: focus goes to the kiosk, not to a
      // button that is gone (it had dropped to the page).
      $('scan-open').hidden = true;
      closeScan();
      startWidget(load(), {
        customer: who.customer, 'customer-sig': who.customer_sig,
        order: who.order, 'order-sig': who.order_sig, survey: who.survey, loyalty: 'card',
      });
      identified = true;
    }).catch(function (message) {
      $('scan-error').textContent = typeof message == 'string' ? message : scanTexts.offline;
    });
  }

  // What the widget keeps of an identified respondent for a page that reloads
  // offline, their loyalty card and their plan, is not for the kiosk's next
  // one: gone whenever the kiosk starts anonymous. (Their answer, while it waits
  // to be sent, stays in the queue: it is never lost.)
  function forgetRespondents() {
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var name = localStorage.key(i);
        if (!name.indexOf(queuePrefix + 'loyalty:')) localStorage.removeItem(name);
      }
      var plan = JSON.parse(localStorage.getItem(queuePrefix + 'plan'));
      if (plan && (plan.q || '').indexOf('&customer=') >= 0) localStorage.removeItem(queuePrefix + 'plan');
    } catch (e) {}
  }

  // The identified respondent is done (answered, skipped, or away for the idle
  // time: the widget ends their turn): nothing of theirs stays for the next one.
  // (Only a widget on the page says so: the one taken off for them cannot.)
  document.addEventListener('kept:next', function () {
    if (!identified) return;
    forgetRespondents();
    location.reload();
  });

  // --- Running -----------------------------------------------------------------
  function fullScreen() {
    var el = document.documentElement;
    if (el.requestFullscreen && !document.fullscreenElement) el.requestFullscreen().catch(function () {});
  }

  var wakeLock = null;
  function keepAwake() {
    if (!navigator.wakeLock || wakeLock || document.visibilityState != 'visible') return;
    navigator.wakeLock.request('screen').then(function (lock) {
      wakeLock = lock;
      lock.addEventListener('release', function () { wakeLock = null; });
    }).catch(function () {});
  }

  function pending() {
    var n = 0;
    try {
      for (var i = 0; i < localStorage.length; i++) if (!localStorage.key(i).indexOf(queuePrefix + 'pending:')) n++;
    } catch (e) {}
    return n;
  }

  // The server no longer knows this tablet (the owner removed it, or made a
  // new widget secret): it is set up again with the PIN, once nobody is
  // answering (the idle time without a touch).
  var removed = false;
  // The queue's length last reported (or tried: a tablet out of reach tries
  // again when it changes, or at the next report), and whether a report is
  // on its way: one at a time, so that two cannot arrive out of order.
  var reported = null, reporting = false;

  function heartbeat(setup) {
    if (reporting) return;
    reporting = true;
    var synced = null, waiting = pending();
    try { synced = +localStorage.getItem(queuePrefix + 'synced') || null; } catch (e) {}
    fetch(api + '/devices/' + encodeURIComponent(setup.device), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sig: setup.device_sig, version: version, store: setup.store || null,
        pending: waiting, last_sync_ms: synced,
      }),
    }).then(function (response) {
      if (response.status == 401) removed = true;
    }).catch(function () {}).then(function () {
      reported = waiting;
      reporting = false;
    });
  }

  // Between reports, the queue is looked at every few seconds, and a change
  // reported at once: a report sent as the network came back, just before the
  // queue was sent, had left the owner's list saying answers were waiting
  // until the next report, a minute later.
  var QUEUE_LOOK_MS = 2000;
  function reportChanges(setup) {
    setInterval(function () {
      if (reported != null && pending() != reported) heartbeat(setup);
    }, QUEUE_LOOK_MS);
  }

  // Starts the widget (again) in kiosk mode with the tablet's setup, and for an
  // identified respondent their references (`person`).
  function startWidget(setup, person) {
    [].forEach.call(document.querySelectorAll('.kept-host, script[data-mode=kiosk]'), function (el) {
      el.parentNode.removeChild(el);
    });
    var attrs = {};
    Object.keys(page).forEach(function (k) { attrs[k] = page[k]; });
    if (setup.device_sig) {
      if (setup.store) attrs.store = setup.store;
      if (setup.surveys && setup.surveys.length) attrs.survey = setup.surveys.join(',');
      if (setup.locale) attrs.locale = setup.locale;
      attrs['kiosk-idle-seconds'] = String(setup.idle);
      attrs['kiosk-thanks-seconds'] = String(setup.thanks);
    }
    Object.keys(person || {}).forEach(function (k) { attrs[k] = person[k]; });
    var script = document.createElement('script');
    script.src = '/widget/kept.js';
    script.setAttribute('data-key', key);
    script.setAttribute('data-mode', 'kiosk');
    Object.keys(attrs).forEach(function (k) { script.setAttribute('data-' + k, attrs[k]); });
    document.body.appendChild(script);
    return attrs;
  }

  // What is left open after the kiosk's idle time without a touch (or a new
  // code read) closes, emptied, as the widget's screens start afresh: a
  // dialog (a receipt's code typed, a PIN begun), so that the next respondent
  // finds nothing of the last one's, and the staff's setup form.
  var idleSeconds = 0;
  function watchIdle(seconds) {
    if (!idleSeconds) {
      ['pointerdown', 'keydown', 'input'].forEach(function (type) {
        document.addEventListener(type, touched, true);
      });
      setInterval(function () {
        if (Date.now() - lastTouch <= idleSeconds * 1e3) return;
        if (removed) {
          var setup = load();
          delete setup.device_sig;
          setup.removed = true;
          save(setup);
          location.reload();
          return;
        }
        if (!$('scan').hidden || !$('unlock').hidden) {
          closeScan();
          closeUnlock();
        }
        if (!$('setup-form').hidden) leaveSetup();
      }, 1e3);
    }
    idleSeconds = seconds;
    touched();
  }

  function start(setup) {
    forgetRespondents();
    var attrs = startWidget(setup), locale = attrs.locale || navigator.language;
    showScanTexts(locale);
    showStaffTexts(locale);

    keepAwake();
    document.addEventListener('visibilitychange', keepAwake);
    // After a reload the browser leaves full screen; the next touch restores it.
    document.addEventListener('pointerdown', fullScreen);
    if (setup.device_sig) {
      watchIdle(+attrs['kiosk-idle-seconds'] || 60);
      $('unlock-open').hidden = false;
      $('scan-open').hidden = false;
      document.body.classList.add('scannable');
      heartbeat(setup);
      setInterval(function () { heartbeat(setup); }, heartbeatSeconds * 1e3);
      reportChanges(setup);
      addEventListener('online', function () { heartbeat(setup); });
    }
  }

  // --- Leaving: the PIN, checked on the tablet (it works offline) --------------
  $('unlock-open').addEventListener('click', function () {
    $('unlock-pin').value = '';
    pinError('unlock-pin');
    openDialog($('unlock'), $('unlock-pin'));
  });
  function closeUnlock() {
    $('unlock-pin').value = '';
    pinError('unlock-pin');
    closeDialog($('unlock'), $('unlock-open'));
  }
  $('unlock-cancel').addEventListener('click', closeUnlock);
  // After three wrong PINs, each further try waits twice as long (from 30 s),
  // counted on the tablet: the kiosk's own reloads (after each identified
  // respondent) do not start it again.
  $('unlock').addEventListener('submit', function (event) {
    event.preventDefault();
    var setup = load(), tries = {};
    try { tries = JSON.parse(localStorage.getItem(triesKey)) || {}; } catch (e) {}
    var wait = Math.ceil(((tries.notBefore || 0) - Date.now()) / 1e3);
    if (wait > 0) {
      pinError('unlock-pin', staff.wait.replace('{s}', wait));
      return;
    }
    pinHash(setup.pin.salt, $('unlock-pin').value.trim()).then(function (hash) {
      if (hash != setup.pin.hash) {
        tries.tries = (tries.tries || 0) + 1;
        // At most an hour: the owner's PIN, set up again, ends it anyway.
        if (tries.tries >= 3) tries.notBefore = Date.now() + Math.min(3600e3, 30e3 * Math.pow(2, tries.tries - 3));
        try { localStorage.setItem(triesKey, JSON.stringify(tries)); } catch (e) {}
        pinError('unlock-pin', staff.wrongPin);
        return;
      }
      try { localStorage.removeItem(triesKey); } catch (e) {}
      // The widget goes with the page: the settings open on a fresh one, once
      // (a reload of the form is the kiosk again).
      sessionStorage.setItem(storeKey + ':unlocked', '1');
      location.reload();
    });
  });

  var setup = load(), unlocked = sessionStorage.getItem(storeKey + ':unlocked');
  sessionStorage.removeItem(storeKey + ':unlocked');
  // The staff's language: the tablet's setup, else its address's (?locale=), else the browser's.
  showStaffTexts(setup.locale || page.locale || navigator.language);
  // A removed tablet asks for the PIN even where the shop has none now: the
  // server's answer then says the owner must set one.
  if ((pinSet || setup.removed) && !isSetUp(setup)) showPinForm();
  else if (unlocked && isSetUp(setup)) showSetupForm(setup);
  else start(setup);
})();
