// WebAuthn glue for forms rendered from Avnology ID UI nodes (served by the idflows mock).
// A button with onclick_trigger "avnlWebAuthnLogin" or "avnlWebAuthnRegistration" calls the
// function of that name; it reads the options from the flow's hidden webauthn_*_options input,
// runs the browser ceremony, writes the result into webauthn_login / webauthn_register and
// submits the form with method "webauthn".
(function () {
  'use strict';
  function toBuffer(s) {
    var b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) { b64 += '='; }
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toBase64url(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function formOf(event) {
    var el = (event && event.target) || document.activeElement;
    return (el && el.closest && el.closest('form')) || document.querySelector('form');
  }
  function field(form, name) { return form.querySelector('input[name="' + name + '"]'); }
  function submitAs(form, resultName, credential) {
    field(form, resultName).value = JSON.stringify(credential);
    var method = document.createElement('input');
    method.type = 'hidden'; method.name = 'method'; method.value = 'webauthn';
    form.appendChild(method);
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }
  function encode(cred, extra) {
    var out = {id: cred.id, rawId: toBase64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}, response: {}};
    out.response.clientDataJSON = toBase64url(cred.response.clientDataJSON);
    extra(out.response, cred.response);
    return out;
  }
  window.avnlWebAuthnLogin = function (event) {
    var form = formOf(event), opts = JSON.parse(field(form, 'webauthn_login_options').value).publicKey;
    opts.challenge = toBuffer(opts.challenge);
    (opts.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return navigator.credentials.get({publicKey: opts}).then(function (cred) {
      submitAs(form, 'webauthn_login', encode(cred, function (out, r) {
        out.authenticatorData = toBase64url(r.authenticatorData);
        out.signature = toBase64url(r.signature);
        if (r.userHandle) { out.userHandle = toBase64url(r.userHandle); }
      }));
    });
  };
  window.avnlWebAuthnRegistration = function (event) {
    var form = formOf(event), opts = JSON.parse(field(form, 'webauthn_register_options').value).publicKey;
    opts.challenge = toBuffer(opts.challenge);
    opts.user.id = toBuffer(opts.user.id);
    (opts.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return navigator.credentials.create({publicKey: opts}).then(function (cred) {
      submitAs(form, 'webauthn_register', encode(cred, function (out, r) {
        out.attestationObject = toBase64url(r.attestationObject);
        if (r.getTransports) { out.transports = r.getTransports(); }
      }));
    });
  };
})();
