/* Inbox page: tier badge colours, select-all, the bulk bar's selection count, and keeping the
 * selection when the list refreshes (live updates, bulk results). Keyboard (j/k/Enter/x) is
 * zabota/web/static/web/app.js; this file only adds what the inbox needs.
 * CSP: no inline styles in markup; colours are set here through the CSSOM (allowed). */
(function () {
  "use strict";

  // htmx copies "style" from old to new elements while settling a swap: with a strict CSP
  // (no inline style attributes) that is only a violation report, never a style.
  if (window.htmx && window.htmx.config) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

  function paintTiers(root) {
    root.querySelectorAll("[data-tier-color]").forEach(function (el) {
      const color = el.dataset.tierColor;
      if (COLOR.test(color)) el.style.backgroundColor = color;
    });
  }

  function boxes() {
    return Array.from(document.querySelectorAll('#inbox-results input[type=checkbox][name="ticket"]'));
  }

  function updateCount() {
    const counter = document.querySelector("[data-bulk-count]");
    const chosen = boxes().filter(function (b) { return b.checked; });
    document.querySelectorAll('#inbox-results tr[data-nav-item]').forEach(function (row) {
      const box = row.querySelector('input[name="ticket"]');
      row.classList.toggle("is-checked", !!(box && box.checked));
    });
    const all = document.querySelector("[data-select-all]");
    if (all) {
      const total = boxes().length;
      all.checked = total > 0 && chosen.length === total;
      all.indeterminate = chosen.length > 0 && chosen.length < total;
    }
    const form = document.getElementById("bulk-form");
    if (form) form.classList.toggle("has-selection", chosen.length > 0);
    if (!counter) return;
    if (!counter.dataset.idle) counter.dataset.idle = counter.textContent;
    counter.textContent = chosen.length
      ? (counter.dataset.selectedLabel || "Selected: ") + chosen.length
      : counter.dataset.idle;
  }

  let remembered = [];
  let selectedTicket = "";  // the keyboard selection (app.js's j/k), kept across refreshes

  document.addEventListener("change", function (event) {
    const t = event.target;
    if (t.matches && t.matches("[data-select-all]")) {
      boxes().forEach(function (b) { b.checked = t.checked; });
    }
    if (t.matches && (t.matches("[data-select-all]") || t.matches('input[name="ticket"]'))) updateCount();
  });
  // app.js's "x" clicks the checkbox, which fires change as well.

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "inbox-results") {
      remembered = boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      const current = document.querySelector("#inbox-results [data-nav-item].is-selected");
      selectedTicket = current ? current.dataset.ticket : selectedTicket;
    }
  });

  // htmx:load fires on each piece of content htmx inserts (also after an outerHTML swap,
  // whose old target is already detached when the settle events run).
  document.addEventListener("htmx:load", function (event) {
    const root = event.detail.elt || event.target;
    if (!root || !root.querySelectorAll) return;
    paintTiers(root);
    if (root.id === "inbox-results" || root.querySelector("#inbox-results")) {
      // Keep the selection across a live refresh, unless a bulk action just used it.
      boxes().forEach(function (b) { if (remembered.indexOf(b.value) >= 0) b.checked = true; });
      updateCount();
      // The same ticket stays selected, so the next Enter opens what the agent was looking at.
      if (selectedTicket && !document.querySelector("#inbox-results [data-nav-item].is-selected")) {
        document.querySelectorAll("#inbox-results [data-nav-item]").forEach(function (row) {
          const on = row.dataset.ticket === selectedTicket;
          row.classList.toggle("is-selected", on);
          row.setAttribute("aria-selected", on ? "true" : "false");
        });
      }
    }
  });

  // a: assign the row selected with j/k to me, through the bulk endpoint (the checked boxes
  // stay as they are). Only where the bulk bar is: a collaborator changes no fields.
  let rowAction = false;
  window.zabota = window.zabota || {};
  window.zabota.rowShortcuts = window.zabota.rowShortcuts || {};
  window.zabota.rowShortcuts.a = function (row) {
    const box = row.querySelector('input[name="ticket"]');
    const form = document.getElementById("bulk-form");
    if (!box || !form || !document.getElementById("bulk-bar") || !window.htmx) return;
    rowAction = true;
    window.htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: document.body,  // not inside the form: only this ticket is sent
      target: "#bulk-summary",
      swap: "innerHTML",
      values: { action: "assign_me", ticket: box.value },
    });
  };

  // A bulk action consumes the selection: the list that comes back starts empty.
  document.addEventListener("htmx:afterRequest", function (event) {
    // (Recognised by its path: after an outerHTML swap htmx reports the list's own request on
    // the list's parent, the bulk form.)
    const path = (event.detail.pathInfo && event.detail.pathInfo.requestPath) || "";
    if (path.indexOf("/inbox/bulk") === 0 && rowAction) {
      rowAction = false;
      return;
    }
    if (path.indexOf("/inbox/bulk") === 0 && event.detail.successful) {
      remembered = [];
      boxes().forEach(function (b) { b.checked = false; });
      updateCount();
    }
  });

  function init() {
    paintTiers(document);
    updateCount();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
