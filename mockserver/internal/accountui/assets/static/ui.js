// Progressive enhancement of the account pages: a button whose UI node names an onclick_trigger
// (a WebAuthn ceremony) calls the function of that name, which the flow's script defines. The
// pages work without this file, but for passkeys, which need JavaScript in every browser.
document.addEventListener('click', function (ev) {
  var button = ev.target.closest && ev.target.closest('button[data-ceremony]');
  if (!button) { return; }
  var run = window[button.dataset.ceremony];
  if (typeof run !== 'function') { return; }
  ev.preventDefault();
  Promise.resolve(run(ev)).catch(function (err) {
    var note = document.createElement('p');
    note.className = 'message error';
    note.textContent = 'The passkey ceremony did not finish: ' + err;
    button.closest('form').prepend(note);
  });
});
