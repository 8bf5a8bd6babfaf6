/* SLA clocks: every element with data-sla-due (an ISO due time) shows the time left and counts
   down every second, turning "overdue" once the due time passes. The server renders the first
   text and the state class (sla-running / sla-at_risk / sla-breached); elements swapped in by
   htmx (live refreshes, paging) are picked up on the next tick, so nothing needs re-binding.
   Labels come from this script tag's data attributes (translated by the server). No inline
   script: the CSP allows only files from our origin. */
(function () {
  "use strict";
  var tag = document.currentScript;
  var units = ((tag && tag.dataset.units) || "d h m s").split(" ");
  var leftText = (tag && tag.dataset.left) || "{t} left";
  var overdueText = (tag && tag.dataset.overdue) || "overdue by {t}";

  function span(seconds) {
    var s = Math.abs(Math.trunc(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + units[0] + " " + h + units[1];
    if (h > 0) return h + units[1] + " " + (m < 10 ? "0" : "") + m + units[2];
    return m + units[2] + " " + (sec < 10 ? "0" : "") + sec + units[3];
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("[data-sla-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-sla-due"));
      if (isNaN(due)) continue;
      var left = (due - now) / 1000;
      var out = el.querySelector("[data-sla-left]") || el;
      var text = left >= 0 ? leftText.replace("{t}", span(left)) : overdueText.replace("{t}", span(left));
      if (out.textContent !== text) out.textContent = text;
      if (left < 0 && !el.classList.contains("sla-breached")) {
        el.classList.remove("sla-running", "sla-at_risk");
        el.classList.add("sla-breached", "sla-overdue");
        stale(el);
      }
    }
  }

  // A clock of the ticket page's side panel just passed its due time: ask the panel to refresh
  // (its own "ticket-side-stale" trigger), so the server's view of the breach replaces ours.
  // The per-minute job records the breach itself; its timeline event refreshes the panel again.
  function stale(el) {
    var side = el.closest("#ticket-side");
    if (!side) return;
    window.setTimeout(function () {
      if (document.body.contains(side)) side.dispatchEvent(new CustomEvent("ticket-side-stale"));
    }, 1500);
  }

  tick();
  window.setInterval(tick, 1000);
})();
