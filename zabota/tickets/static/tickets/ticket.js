/* The ticket page: composer mode switch, pasted and chosen attachments, tier badge colours.
 *
 * Markup hooks (no inline script or style: the page's CSP forbids them):
 *   form[data-composer]           the composer; data-mode="reply|note" drives its colours
 *   input[data-mode-input]        the reply / note radios (their labels carry data-shortcut r / n)
 *   textarea[data-composer-body]  pasting an image here attaches it
 *   input[data-composer-files]    the file input pasted files are added to (DataTransfer)
 *   ul[data-composer-previews]    thumbnails / names of the files about to be sent
 *   .tier-badge[data-color]       background colour from the tier's setting
 *   form[data-draft-key]          the text typed is kept in sessionStorage until it is sent
 * htmx swaps the composer and the side panel after each write, so everything is delegated
 * from document and re-applied on htmx:afterSwap.
 */
(function () {
  "use strict";

  function composerOf(el) {
    return el && el.closest ? el.closest("form[data-composer]") : null;
  }

  function setMode(form, mode) {
    if (!form) return;
    form.dataset.mode = mode;
  }

  function focusBody(form) {
    const body = form && form.querySelector("[data-composer-body]");
    if (body) {
      body.focus();
      body.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (input.matches && input.matches("[data-mode-input]")) {
      setMode(composerOf(input), input.value);
    } else if (input.matches && input.matches("[data-composer-files]")) {
      renderPreviews(composerOf(input));
    }
  });

  // r / n click the mode labels (data-shortcut): switch and put the cursor in the text.
  document.addEventListener("click", function (event) {
    const label = event.target.closest && event.target.closest(".mode-option");
    if (!label) return;
    const form = composerOf(label);
    const input = label.querySelector("input");
    if (input) {
      input.checked = true;
      setMode(form, input.value);
    }
    window.setTimeout(function () { focusBody(form); }, 0);
  });

  // Ctrl/Cmd+Enter sends.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const body = event.target;
    if (!body.matches || !body.matches("[data-composer-body]")) return;
    const form = composerOf(body);
    if (form) {
      event.preventDefault();
      const send = form.querySelector("[data-composer-send]");
      if (form.requestSubmit) form.requestSubmit(send || undefined); else form.submit();
    }
  });

  // --- Attachments: paste into the text, or choose files --------------------------------------
  function addFiles(form, files) {
    const input = form && form.querySelector("[data-composer-files]");
    if (!input || !files.length || typeof DataTransfer === "undefined") return;
    const dt = new DataTransfer();
    for (const f of input.files) dt.items.add(f);
    let n = 0;
    for (const f of files) {
      let file = f;
      if (!f.name || f.name === "image.png") {
        // Pasted screenshots all arrive as "image.png": give each a distinct name.
        const ext = (f.type.split("/")[1] || "png").replace(/[^a-z0-9]/gi, "");
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        file = new File([f], "pasted-" + stamp + (n ? "-" + n : "") + "." + ext, { type: f.type });
      }
      n += 1;
      dt.items.add(file);
    }
    input.files = dt.files;
    renderPreviews(form);
  }

  function removeFile(form, index) {
    const input = form.querySelector("[data-composer-files]");
    if (!input || typeof DataTransfer === "undefined") return;
    const dt = new DataTransfer();
    Array.from(input.files).forEach(function (f, i) { if (i !== index) dt.items.add(f); });
    input.files = dt.files;
    renderPreviews(form);
  }

  function renderPreviews(form) {
    if (!form) return;
    const list = form.querySelector("[data-composer-previews]");
    const input = form.querySelector("[data-composer-files]");
    if (!list || !input) return;
    list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    list.replaceChildren();
    Array.from(input.files).forEach(function (file, index) {
      const li = document.createElement("li");
      li.className = "composer-preview";
      if (/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
        const img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        li.appendChild(img);
      }
      const name = document.createElement("span");
      name.textContent = file.name;
      li.appendChild(name);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link-button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", (list.dataset.removeLabel || "Remove") + " " + file.name);
      remove.addEventListener("click", function () { removeFile(form, index); });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  document.addEventListener("paste", function (event) {
    const body = event.target;
    if (!body.matches || !body.matches("[data-composer-body]")) return;
    const data = event.clipboardData;
    if (!data) return;
    const files = Array.from(data.files || []);
    if (!files.length) return;
    const hasText = Array.from(data.types || []).includes("text/plain");
    if (!hasText) event.preventDefault();
    addFiles(composerOf(body), files);
  });

  // --- Drafts: what is typed survives a reload or a wrong click (per tab, sessionStorage) ---------
  function draftKey(form) {
    return form && form.dataset.draftKey;
  }

  function saveDraft(form) {
    const key = draftKey(form);
    const body = form && form.querySelector("[data-composer-body]");
    if (!key || !body) return;
    try {
      if (body.value.trim()) {
        sessionStorage.setItem(key, JSON.stringify({ body: body.value, mode: form.dataset.mode || "" }));
      } else {
        sessionStorage.removeItem(key);
      }
    } catch (e) { /* storage full or disabled: drafts are a convenience */ }
  }

  function restoreDraft(form) {
    const key = draftKey(form);
    const body = form && form.querySelector("[data-composer-body]");
    if (!key || !body || body.value) return;
    let draft = null;
    try { draft = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { draft = null; }
    if (!draft || !draft.body) return;
    body.value = draft.body;
    const radio = form.querySelector('[data-mode-input][value="' + CSS.escape(draft.mode || "") + '"]');
    if (radio) {
      radio.checked = true;
      setMode(form, radio.value);
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-composer-body]")) saveDraft(composerOf(event.target));
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    const form = event.detail && event.detail.elt;
    const xhr = event.detail && event.detail.xhr;
    // Sent: the server answers with a fresh composer and asks the page to refresh.
    if (form && form.matches && form.matches("form[data-composer]") && xhr && xhr.status === 200 &&
        (xhr.getResponseHeader("HX-Trigger") || "").indexOf("ticket-refresh") >= 0) {
      try { sessionStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ }
    }
  });

  // --- Tier badges take their tier's colour (a CSSOM write, allowed by the CSP) ----------------
  function paintBadges(root) {
    (root || document).querySelectorAll(".tier-badge[data-color]").forEach(function (el) {
      const c = el.dataset.color || "";
      if (/^#[0-9a-f]{3,8}$/i.test(c)) el.style.backgroundColor = c;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    paintBadges(document);
    document.querySelectorAll("form[data-composer]").forEach(function (form) {
      const checked = form.querySelector("[data-mode-input]:checked");
      if (checked) setMode(form, checked.value);
      restoreDraft(form);
    });
  });
  // A live refresh of the side panel must not throw away a tag being typed. While a text field
  // in the panel has focus, a refresh is neither started nor, if one was already under way when
  // the agent began typing, swapped in; the panel catches up when the field loses focus.
  let sideRefreshSkipped = false;

  function typingInSide(side) {
    const active = document.activeElement;
    return !!(active && side.contains(active) && active.matches("input[type=text], input:not([type]), textarea"));
  }

  function isSideRefresh(detail) {
    const elt = detail && detail.elt;
    return !!(elt && elt.id === "ticket-side" && ((detail.requestConfig || {}).verb || "get") === "get");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isSideRefresh(event.detail) && typingInSide(event.detail.elt)) {
      sideRefreshSkipped = true;
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isSideRefresh(event.detail) && typingInSide(event.detail.elt)) {
      sideRefreshSkipped = true;
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("focusout", function (event) {
    const side = document.getElementById("ticket-side");
    if (!sideRefreshSkipped || !side || !side.contains(event.target)) return;
    window.setTimeout(function () {
      if (typingInSide(side) || !window.htmx) return;
      sideRefreshSkipped = false;
      window.htmx.trigger(side, "ticket-side-stale");
    }, 0);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    paintBadges(event.target);
  });
})();
