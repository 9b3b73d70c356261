// The quiz timer counts down every second between the server's updates. Display only: the
// server closes the attempt at its deadline whatever this shows, and every update it sends
// (hx-trigger "every 10s") resets the count to the server's clock.
(function () {
  "use strict";

  function format(seconds) {
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function start(timer) {
    const seconds = Number(timer.dataset.remaining);
    const clock = timer.querySelector("[data-clock]");
    if (!Number.isFinite(seconds) || !clock) return;
    const end = performance.now() + seconds * 1000;
    clearTimeout(timer.quizTimerTick);
    function tick() {
      const leftMs = Math.max(0, end - performance.now());
      const left = Math.ceil(leftMs / 1000);
      clock.textContent = format(left);
      timer.classList.toggle("timer-low", left <= 60);
      if (leftMs > 0) {
        timer.quizTimerTick = setTimeout(tick, leftMs % 1000 || 1000);
      } else if (window.htmx) {
        window.htmx.trigger(timer, "expired"); // ask the server now rather than in 10 s
      }
    }
    tick();
  }

  function startAll(root) {
    if (root.matches && root.matches("[data-remaining]")) start(root);
    if (root.querySelectorAll) root.querySelectorAll("[data-remaining]").forEach(start);
  }

  document.addEventListener("DOMContentLoaded", () => startAll(document));
  document.addEventListener("htmx:load", (event) => startAll(event.target));
})();
