// Once django-otp-webauthn's script has registered a passkey (its "register_complete" event),
// post the page's hidden form: the server then shows backup codes or the sign-in methods.
document.addEventListener("otp_webauthn.register_complete", () => {
  const form = document.getElementById("passkey-added-form");
  if (form) {
    form.submit();
  }
});
