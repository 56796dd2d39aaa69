// Lesson page: reports study time to the server, which alone decides what counts.
// Time counts only while the page is visible (and, for a video, playing); the video
// cannot be dragged past the furthest point already watched.
(function () {
  "use strict";
  var box = document.querySelector("[data-heartbeat-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-heartbeat-url");
  var video = box.querySelector("[data-lesson-video]");
  var status = box.querySelector("[data-lesson-status]");
  var furthest = parseFloat(box.getAttribute("data-furthest")) || 0;
  var resume = parseFloat(box.getAttribute("data-resume")) || 0;
  var INTERVAL = 15000;
  var done = false;

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function say(text, ok) {
    if (!status) { return; }
    status.textContent = text;
    status.className = ok ? "success" : "muted";
  }

  function studying() {
    if (document.visibilityState !== "visible") { return false; }
    return video ? !video.paused && !video.ended : true;
  }

  function beat(visible) {
    var body = JSON.stringify({ position: video ? video.currentTime : null, visible: visible });
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true, body: body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { say(data.error || box.getAttribute("data-msg-error"), false); return; }
        furthest = Math.max(furthest, data.furthest || 0);
        if (data.course_completed) {
          say(box.getAttribute("data-msg-course-completed"), true); done = true;
        } else if (data.lesson_completed && !done) {
          say(box.getAttribute("data-msg-completed"), true); done = true;
        }
      });
    }).catch(function () { say(box.getAttribute("data-msg-error"), false); });
  }

  if (video) {
    video.addEventListener("loadedmetadata", function () {
      if (resume > 0 && resume < video.duration - 1) { video.currentTime = resume; }
    });
    video.addEventListener("seeking", function () {
      if (video.currentTime > furthest + 2) {
        video.currentTime = furthest;
        say(box.getAttribute("data-msg-no-skipping"), false);
      }
    });
    video.addEventListener("timeupdate", function () {
      // Playing forward extends what may be revisited; the server keeps its own account.
      if (!video.seeking && video.currentTime <= furthest + 2) {
        furthest = Math.max(furthest, video.currentTime);
      }
    });
    video.addEventListener("pause", function () { beat(true); });
    video.addEventListener("ended", function () { beat(true); });
    video.addEventListener("play", function () { beat(false); });
  }
  document.addEventListener("visibilitychange", function () {
    beat(document.visibilityState === "hidden" ? true : false);
  });
  beat(false);  // opens the session; the time before it is not counted
  setInterval(function () { beat(studying()); }, INTERVAL);
})();
