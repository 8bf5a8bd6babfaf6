/* Zabota agent workspace: the keyboard layer shared by every page.
 *
 * Pages declare their shortcuts in markup, so this file knows no page:
 *   data-shortcut="r"        pressing r clicks the element (or focuses it, for a form field)
 *   data-shortcut-focus="/"  pressing / focuses the element
 *   data-nav-list            a list moved through with j / k; its rows carry data-nav-item;
 *                            Enter follows the row's [data-nav-open] link, x toggles its checkbox
 *   window.zabota.rowShortcuts  a page's shortcuts on the selected row: {a: function (row) {...}}
 * Global: ? shows the help dialog, g then i goes to the inbox, Esc leaves a text field.
 * Shortcuts never fire while typing in a field.
 *
 * Keys are matched by their physical position (event.code: KeyJ, KeyK ...), not by the
 * character they type, so the shortcuts work in any keyboard layout: in the Russian one the J
 * key types "о" and still moves down. ? and / are matched by character too (Shift+7 types ? in
 * the Russian layout) and by the US key position (the Slash key types "." and "," there).
 */
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function visible(el) {
    return !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
  }

  function find(selector) {
    const all = document.querySelectorAll(selector);
    for (const el of all) if (visible(el)) return el;
    return null;
  }

  function activate(el) {
    if (typing(el)) {
      el.focus();
      if (el.select && el.type !== "file" && el.tagName !== "SELECT") el.select();
    } else {
      el.click();
    }
  }

  // --- j/k lists ------------------------------------------------------------------------------
  function navItems() {
    const list = find("[data-nav-list]");
    return list ? Array.from(list.querySelectorAll("[data-nav-item]")) : [];
  }

  function selectItem(items, index) {
    items.forEach((row, i) => {
      const on = i === index;
      row.classList.toggle("is-selected", on);
      row.setAttribute("aria-selected", on ? "true" : "false");
      if (on) {
        // Remembered so that the same ticket stays selected when htmx swaps the list.
        document.body.dataset.selectedTicket = row.dataset.ticket || "";
        row.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function move(delta) {
    const items = navItems();
    if (!items.length) return;
    let index = items.findIndex((row) => row.classList.contains("is-selected"));
    index = index < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, index + delta));
    selectItem(items, index);
  }

  function selected() {
    return navItems().find((row) => row.classList.contains("is-selected")) || null;
  }

  window.zabota = window.zabota || {};
  window.zabota.selectedRow = selected;

  // The shortcut an event stands for, whatever the layout: "j", "?", "Enter" ...; a capital
  // letter for Shift+letter (which is no shortcut).
  function shortcutKey(event) {
    const key = event.key;
    if (key === "?" || key === "/") return key;
    const code = event.code || "";
    const letter = /^Key([A-Z])$/.exec(code);
    if (letter) return event.shiftKey ? letter[1] : letter[1].toLowerCase();
    if (code === "Slash") return event.shiftKey ? "?" : "/";
    return key;
  }

  let pendingG = 0;

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "Escape") {
      if (typing(target)) target.blur();
      return;
    }
    if (typing(target)) return;
    const key = shortcutKey(event);
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (key === "i") {
        event.preventDefault();
        window.location.href = "/inbox/";
        return;
      }
    }
    pendingG = 0;
    if (key === "g") {
      pendingG = Date.now();
      return;
    }
    if (key === "?") {
      const help = document.getElementById("shortcut-help");
      if (help && help.showModal) {
        event.preventDefault();
        help.open ? help.close() : help.showModal();
      }
      return;
    }
    if (key === "j" || key === "k") {
      if (navItems().length) {
        event.preventDefault();
        move(key === "j" ? 1 : -1);
        return;
      }
    }
    const rowShortcut = (window.zabota.rowShortcuts || {})[key];
    if (rowShortcut && selected()) {
      event.preventDefault();
      rowShortcut(selected());
      return;
    }
    if (key === "Enter" || key === "x") {
      const row = selected();
      if (row) {
        event.preventDefault();
        if (key === "Enter") {
          const link = row.querySelector("[data-nav-open]") || row.querySelector("a[href]");
          if (link) link.click();
        } else {
          const box = row.querySelector("input[type=checkbox]");
          if (box) {
            box.click();
          }
        }
        return;
      }
    }
    const focusTarget = find('[data-shortcut-focus="' + CSS.escape(key) + '"]');
    if (focusTarget) {
      event.preventDefault();
      focusTarget.focus();
      return;
    }
    const el = find('[data-shortcut="' + CSS.escape(key) + '"]');
    if (el) {
      event.preventDefault();
      activate(el);
    }
  });

  // Keep a row selected after htmx swaps the list (live updates, paging).
  document.addEventListener("htmx:afterSwap", function () {
    const items = navItems();
    if (items.length && !items.some((row) => row.classList.contains("is-selected"))) {
      const wanted = document.body.dataset.selectedTicket;
      const index = wanted ? items.findIndex((row) => row.dataset.ticket === wanted) : -1;
      if (index >= 0) selectItem(items, index);
    }
  });
  document.addEventListener("click", function (event) {
    const row = event.target.closest && event.target.closest("[data-nav-item]");
    if (row) selectItem(navItems(), navItems().indexOf(row));
  });
})();
