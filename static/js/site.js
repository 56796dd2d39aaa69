// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Large-text toggle for older readers, remembered for a year in a cookie.
  document.querySelectorAll("[data-text-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var large = document.documentElement.classList.toggle("text-large");
      button.setAttribute("aria-pressed", large ? "true" : "false");
      document.cookie = "text_size=" + (large ? "large" : "normal") + "; path=/; max-age=31536000; samesite=lax";
    });
  });

  // Language selector submits itself.
  document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Copy a link (the certificate verification address); the text stays selectable without it.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () { button.textContent = button.getAttribute("data-copied"); };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(done, function () { window.prompt("", text); });
      } else {
        window.prompt("", text);
      }
    });
  });

  // A "select all" checkbox ticks every checkbox of its form named by data-check-all.
  document.querySelectorAll("[data-check-all]").forEach(function (all) {
    var boxes = all.form.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-check-all") + '"]');
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });

  // Progress polling for background jobs (roster import and later exports).
  document.querySelectorAll("[data-poll][data-progress-url]").forEach(function (box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector(".progress");
    var fill = box.querySelector(".progress-fill");
    function tick() {
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        var total = Math.max(data.total, 1);
        fill.style.width = Math.round(100 * data.processed / total) + "%";
        bar.setAttribute("aria-valuenow", data.processed);
        box.querySelector("[data-status]").textContent = data.status_label;
        if (data.finished) { window.location.href = data.url; } else { setTimeout(tick, 1000); }
      }).catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 1000);
  });
})();
