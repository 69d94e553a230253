// The inspector's few buttons: they call the control plane as a test would (state changes say
// they are JSON, D13) and reload the page. "live" reloads it every two seconds.
(function () {
  'use strict';
  function call(method, path, body) {
    return fetch(path, {method: method, credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body)}).then(function () { location.reload(); });
  }
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-advance], button[data-post], button[data-delete]');
    if (!b) { return; }
    ev.preventDefault();
    if (b.dataset.advance) { call('POST', '/_mock/clock:advance', {seconds: Number(b.dataset.advance)}); }
    if (b.dataset.post) { call('POST', b.dataset.post); }
    if (b.dataset.delete) { call('DELETE', b.dataset.delete); }
  });
  var live = document.getElementById('live');
  live.checked = sessionStorage.getItem('idflows-live') === 'true';
  live.addEventListener('change', function () { sessionStorage.setItem('idflows-live', String(live.checked)); if (live.checked) { location.reload(); } });
  if (live.checked) { setTimeout(function () { location.reload(); }, 2000); }
})();
