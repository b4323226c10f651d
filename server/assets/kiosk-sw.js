// The kiosk's service worker (scope /kiosk/): keeps the kiosk page, its app, the
// widget's files and the kiosk's plan, so that a tablet that reloads or restarts
// without network still shows the kiosk; the widget's own queue keeps the answers
// until the network is back. The server writes this build's version and files in
// below: a new release is a new worker, which takes over when it is fetched
// (online) and deletes the caches of the old one.
var VERSION = '{{version}}';
var CACHE = 'kept-kiosk-' + VERSION;
var PRECACHE = {{precache}};
// How long a request waits for the network before the kept copy is used: a
// network that hangs must not leave the respondent before a blank screen.
var NETWORK_MS = 4000;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE);
  }).then(function () { return self.skipWaiting(); }));
});

// The kiosk pages the old version kept move to the new cache (a release must not
// leave a tablet that restarts offline without its page); the rest goes with it.
self.addEventListener('activate', function (event) {
  event.waitUntil(Promise.all([caches.open(CACHE), caches.keys()]).then(function (opened) {
    var cache = opened[0], old = opened[1].filter(function (name) {
      return name.indexOf('kept-kiosk-') == 0 && name != CACHE;
    });
    return Promise.all(old.map(function (name) {
      return caches.open(name).then(function (previous) {
        return previous.keys().then(function (requests) {
          return Promise.all(requests.filter(function (r) {
            return /^\/kiosk\/[^/]+$/.test(new URL(r.url).pathname) && !/\.js$/.test(r.url);
          }).map(function (r) {
            return cache.match(r).then(function (hit) {
              return hit || previous.match(r).then(function (page) { return cache.put(r, page); });
            });
          }));
        }).then(function () { return caches.delete(name); });
      });
    }));
  }).then(function () { return self.clients.claim(); }));
});

// The page asks for its own URL to be kept (it was loaded before this worker ran).
self.addEventListener('message', function (event) {
  var urls = (event.data && event.data.keep) || [];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.filter(kept).map(function (url) {
      return fetch(url).then(function (response) {
        if (response.ok) return cache.put(url, response);
      }).catch(function () {});
    }));
  }));
});

// What the kiosk needs to start: its pages and app, the widget's files, and the
// widget's reads (the plan); answers and heartbeats (POST) are never cached.
// A respondent's own plan (the kiosk identified them by their receipt) is never
// kept: nothing of theirs stays on the tablet.
function kept(url) {
  var u = new URL(url, self.location.href), path = u.pathname;
  return path.indexOf('/kiosk/') == 0 || path.indexOf('/widget/') == 0 || path == '/favicon.svg' ||
    (/^\/api\/v1\/widget\/[^/]+\/(plan|surveys)$/.test(path) && !u.searchParams.has('customer'));
}

// Files named by their content never change: from the cache first.
function immutable(url) {
  return /[-_.][0-9a-f]{8,}[-_.]/.test(new URL(url).pathname);
}

function fromNetwork(request, cache) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error('network timeout')); }, NETWORK_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      if (response.ok) cache.put(request, response.clone());
      resolve(response);
    }, function (e) { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method != 'GET' || !kept(request.url)) return;
  event.respondWith(caches.open(CACHE).then(function (cache) {
    var copy = function () {
      // The plan's query names the language: any kept plan beats none.
      return cache.match(request).then(function (hit) {
        return hit || cache.match(request, { ignoreSearch: true });
      });
    };
    if (immutable(request.url)) {
      return cache.match(request).then(function (hit) { return hit || fromNetwork(request, cache); });
    }
    // Fresh when the network answers; the kept copy when it does not.
    return fromNetwork(request, cache).catch(function (e) {
      return copy().then(function (hit) {
        if (hit) return hit;
        throw e;
      });
    });
  }));
});
