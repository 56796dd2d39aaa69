// Quiz attempt enhancements: a countdown to the server's deadline and autosave per question.
// The page works without this file: its form saves the answers on every page change.
(function () {
  "use strict";

  var form = document.querySelector("form.attempt-form");

  // Countdown. The server sent the seconds left; when they run out the page submits itself,
  // and the server, which keeps the real clock, decides what still counts.
  var timer = document.querySelector("[data-timer]");
  if (timer) {
    var value = timer.querySelector("[data-timer-value]");
    var ends = Date.now() + parseInt(timer.getAttribute("data-seconds"), 10) * 1000;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var hours = Math.floor(left / 3600), minutes = Math.floor(left / 60) % 60;
      value.textContent = (hours ? hours + ":" : "") + pad(minutes) + ":" + pad(left % 60);
      timer.classList.toggle("urgent", left <= 60);
      if (left > 0) { return; }
      window.clearInterval(interval);
      value.textContent = timer.getAttribute("data-msg-up");
      var target = form || document.querySelector("form[data-attempt]");
      if (target) {
        if (form) {
          var go = document.createElement("input");
          go.type = "hidden"; go.name = "go"; go.value = "submit";
          form.appendChild(go);
        }
        target.submit();
      }
    };
    var interval = window.setInterval(tick, 1000);
    tick();
  }

  // Autosave: each question is saved as soon as it changes.
  var url = form && form.getAttribute("data-autosave-url");
  if (!url) { return; }
  var token = form.querySelector("[name=csrfmiddlewaretoken]").value;

  var save = function (fieldset) {
    var position = fieldset.getAttribute("data-position");
    var status = fieldset.querySelector("[data-save-status]");
    var body = new FormData();
    body.append("position", position);
    fieldset.querySelectorAll("[name='q-" + position + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.type === "hidden") { return; }
      body.append("answer", input.value);
    });
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (data.redirect) { window.location.href = data.redirect; return; }
        if (!response.ok) { throw new Error(data.error); }
        if (status) { status.textContent = form.getAttribute("data-msg-saved") + " " + data.saved; }
      });
    }).catch(function (error) {
      if (status) { status.textContent = error.message || form.getAttribute("data-msg-error"); }
    });
  };

  var pending = {};
  form.querySelectorAll("[data-question]").forEach(function (fieldset) {
    var position = fieldset.getAttribute("data-position");
    fieldset.addEventListener("change", function (event) {
      if (event.target.closest("[data-question]") !== fieldset) { return; }
      window.clearTimeout(pending[position]);
      save(fieldset);
    });
    fieldset.addEventListener("input", function (event) {
      if (event.target.closest("[data-question]") !== fieldset) { return; }
      if (event.target.type !== "text" && event.target.tagName !== "TEXTAREA") { return; }
      window.clearTimeout(pending[position]);
      pending[position] = window.setTimeout(function () { save(fieldset); }, 1000);
    });
  });
})();
