// The report page's script (render/html.cpp), progressive enhancement only.
// The form submits normally; this only disables the button and counts seconds
// until the next page replaces this one. pageshow also fires when the back button
// restores the page from the bfcache, which would otherwise keep the spinner
// running. It also places the trace timeline's bars, whose offsets and widths the
// page carries as data-begin/data-width percentages: a style attribute in the
// markup would need a Content-Security-Policy with 'unsafe-inline'.
(function () {
  "use strict";
  var bars = document.querySelectorAll(".bar[data-begin]");
  for (var i = 0; i < bars.length; i++) {
    bars[i].style.marginLeft = bars[i].getAttribute("data-begin") + "%";
    bars[i].style.width = bars[i].getAttribute("data-width") + "%";
  }

  var form = document.getElementById("run-form");
  if (!form) return;
  var button = form.querySelector("button[type=submit]");
  var wait = document.getElementById("wait");
  var secs = document.getElementById("wait-secs");
  var timer = null;
  function reset() {
    if (timer) { clearInterval(timer); timer = null; }
    button.disabled = false;
    wait.hidden = true;
  }
  form.addEventListener("submit", function () {
    var start = Date.now();
    // Disabled after the submission has begun, so it still goes out.
    setTimeout(function () { button.disabled = true; }, 0);
    secs.textContent = "0.0";
    wait.hidden = false;
    timer = setInterval(function () {
      secs.textContent = ((Date.now() - start) / 1000).toFixed(1);
    }, 100);
  });
  window.addEventListener("pageshow", reset);
})();
