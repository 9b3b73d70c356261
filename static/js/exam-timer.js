// The exam countdown, for display only: the server holds the deadline and refuses late writes.
// The seconds left come from the server (no trust in the local clock); at zero the page reloads
// and the server shows the closed session.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("timer");
  if (!box) return;
  var text = document.getElementById("timer-text");
  var end = Date.now() + 1000 * parseInt(box.dataset.secondsLeft, 10);
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    text.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
    box.classList.toggle("timer-low", left < 300);
    if (left === 0) { clearInterval(timer); setTimeout(function () { location.reload(); }, 2500); }
  }
  var timer = setInterval(tick, 1000);
  tick();
});
