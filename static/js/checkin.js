// The check-in screen: fetch a fresh QR code every few seconds (the server signs each one with
// the time, so an old photo of the screen stops working). Without this script the page shows
// one code, and reloading the page shows a new one.
(function () {
  "use strict";
  var image = document.getElementById("checkin-qr");
  if (!image) { return; }
  var refresh = parseInt(image.getAttribute("data-refresh"), 10) || 30;

  function update() {
    fetch(image.getAttribute("data-code-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (code) {
        if (!code) { return; }
        image.src = code.qr;
        image.setAttribute("data-url", code.url);
        document.getElementById("count-present").textContent = code.present;
        document.getElementById("count-late").textContent = code.late;
      })
      .catch(function () { /* keep the current code; the next tick tries again */ });
  }
  window.setInterval(update, refresh * 1000);
})();
