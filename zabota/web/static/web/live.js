/* Zabota live layer: one WebSocket per page (/ws/workspace/).
 *
 * - watches the ticket of every [data-live-ticket="<id>"] element and the inbox when a
 *   [data-live-inbox] element exists (rescanned after htmx swaps);
 * - turns server pushes into DOM CustomEvents on document.body, which pages use as htmx
 *   triggers (hx-trigger="live-ticket from:body"):
 *     live-ticket        detail {ticket, number, what}   what: message | changed | merged
 *     live-inbox         detail {ticket}
 *   (after a reconnect, once: live-ticket {what: "changed"} per watched ticket and live-inbox
 *   {ticket: null}, since pushes may have been missed while offline)
 *     live-notification  detail {unread}               (also updates #notification-count)
 *     live-presence      detail {ticket, agents}
 * - fills [data-presence] boxes: "Alice is viewing", "Bob is typing…" (class presence-typing
 *   on the box while someone else is typing: the collision notice);
 * - reports typing in textarea[data-typing] (throttled; stops after 5 s idle).
 *
 * Translated strings come from data- attributes of this script's tag (base.html) or of the
 * [data-presence] box itself: data-viewing="{name} is viewing", data-typing="{name} is typing…".
 * State for tests and styling: body[data-live="connecting|open|closed"],
 * body[data-live-watching="<ticket ids the server confirmed>"], body[data-live-inbox-state="watching"].
 * No inline script and no innerHTML: names are set with textContent only.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.getElementById("live-js");
  var body = document.body;
  if (!body || !body.dataset.agentId || !("WebSocket" in window)) return;

  var TYPING_IDLE_MS = 5000;   // typing stops after this long without a keystroke
  var TYPING_REPEAT_MS = 3000; // while typing, tell the server again this often (it expires at 8 s)
  var COALESCE_MS = 150;       // identical events arriving together are dispatched once
  var BACKOFF_MIN_MS = 1000, BACKOFF_MAX_MS = 30000;

  var socket = null;
  var backoff = BACKOFF_MIN_MS;
  var reconnectTimer = null;
  var watched = {};          // ticket id -> true, as told to the server on this socket
  var inboxWatched = false;
  var presence = {};         // ticket id -> last agents list
  var typing = {};           // ticket id -> {idle: timer, sentAt: ms}
  var pending = {};          // coalescing key -> timer
  var confirmed = {};        // ticket id -> true once the server answered the watch
  var everOpened = false;    // a reconnect (not the first connect) refreshes the page's parts

  function str(name, fallback, box) {
    var value = (box && box.getAttribute("data-" + name)) || (script && script.getAttribute("data-" + name));
    return value || fallback;
  }

  function setState(state) { body.setAttribute("data-live", state); }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function ticketIds() {
    var ids = {};
    document.querySelectorAll("[data-live-ticket]").forEach(function (el) {
      var id = parseInt(el.getAttribute("data-live-ticket"), 10);
      if (id > 0) ids[id] = true;
    });
    return ids;
  }

  /* Tell the server what this page shows now (after connecting and after every swap). */
  function sync() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    var ids = ticketIds();
    Object.keys(watched).forEach(function (id) {
      if (!ids[id]) {
        send({type: "unwatch-ticket", ticket: +id});
        delete watched[id];
        delete presence[id];
        delete confirmed[id];
        body.setAttribute("data-live-watching", Object.keys(confirmed).join(" "));
      }
    });
    Object.keys(ids).forEach(function (id) {
      if (!watched[id]) {
        send({type: "watch-ticket", ticket: +id});
        watched[id] = true;
      }
    });
    if (!inboxWatched && document.querySelector("[data-live-inbox]")) {
      send({type: "watch-inbox"});
      inboxWatched = true;
    }
    renderAllPresence();
  }

  function dispatch(name, detail, key) {
    if (pending[key]) clearTimeout(pending[key]);
    pending[key] = setTimeout(function () {
      delete pending[key];
      body.dispatchEvent(new CustomEvent(name, {detail: detail, bubbles: true}));
    }, COALESCE_MS);
  }

  function updateBell(unread) {
    var bell = document.getElementById("notification-bell");
    if (!bell) return;
    var badge = document.getElementById("notification-count");
    if (unread > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.id = "notification-count";
        badge.className = "badge";
        bell.appendChild(badge);
      }
      badge.textContent = unread > 99 ? "99+" : String(unread);
    } else if (badge) {
      badge.remove();
    }
  }

  /* --- Presence ------------------------------------------------------------------------ */

  function boxesFor(ticket) {
    var out = [];
    document.querySelectorAll("[data-presence]").forEach(function (box) {
      var own = box.getAttribute("data-presence");
      var scope = box.closest("[data-live-ticket]");
      var id = own ? parseInt(own, 10) : scope ? parseInt(scope.getAttribute("data-live-ticket"), 10) : NaN;
      if (isNaN(id)) {
        var ids = Object.keys(watched);
        id = ids.length === 1 ? +ids[0] : NaN;
      }
      if (id === ticket) out.push(box);
    });
    return out;
  }

  function render(box, agents) {
    var list = document.createElement("ul");
    list.className = "presence-list";
    var anyTyping = false;
    agents.forEach(function (agent) {
      var li = document.createElement("li");
      var text = agent.typing ? str("typing", "{name} is typing…", box) : str("viewing", "{name} is viewing", box);
      li.textContent = text.replace("{name}", agent.name);
      li.className = agent.typing ? "presence-agent is-typing" : "presence-agent";
      li.setAttribute("data-agent", agent.id);
      if (agent.typing) anyTyping = true;
      list.appendChild(li);
    });
    box.replaceChildren();
    if (agents.length) box.appendChild(list);
    box.classList.toggle("presence-active", agents.length > 0);
    box.classList.toggle("presence-typing", anyTyping);
    box.classList.toggle("presence-empty", agents.length === 0);
    if (!box.hasAttribute("aria-live")) box.setAttribute("aria-live", "polite");
  }

  function renderAllPresence() {
    Object.keys(presence).forEach(function (id) {
      boxesFor(+id).forEach(function (box) { render(box, presence[id]); });
    });
  }

  /* --- Typing -------------------------------------------------------------------------- */

  function typingTicket(area) {
    var own = parseInt(area.getAttribute("data-typing"), 10);
    if (own > 0) return own;
    var scope = area.closest("[data-live-ticket]");
    if (scope) return parseInt(scope.getAttribute("data-live-ticket"), 10);
    var ids = Object.keys(watched);
    return ids.length ? +ids[0] : 0;
  }

  function stopTyping(ticket) {
    var state = typing[ticket];
    if (!state) return;
    clearTimeout(state.idle);
    delete typing[ticket];
    send({type: "typing", ticket: ticket, on: false});
  }

  function onInput(event) {
    var area = event.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.matches("textarea[data-typing]")) return;
    var ticket = typingTicket(area);
    if (!(ticket > 0)) return;
    var now = Date.now();
    var state = typing[ticket] || (typing[ticket] = {idle: null, sentAt: 0});
    if (now - state.sentAt >= TYPING_REPEAT_MS) {
      if (send({type: "typing", ticket: ticket, on: true})) state.sentAt = now;
    }
    clearTimeout(state.idle);
    state.idle = setTimeout(function () { stopTyping(ticket); }, TYPING_IDLE_MS);
  }

  function onSubmit(event) {
    var area = event.target.querySelector && event.target.querySelector("textarea[data-typing]");
    if (area) stopTyping(typingTicket(area));
  }

  /* --- Socket -------------------------------------------------------------------------- */

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (!data || typeof data !== "object") return;
    switch (data.type) {
      case "ticket":
        dispatch("live-ticket", {ticket: data.ticket, number: data.number, what: data.what},
                 "t" + data.ticket + data.what);
        break;
      case "inbox":
        dispatch("live-inbox", {ticket: data.ticket}, "i" + data.ticket);
        break;
      case "notification":
        updateBell(data.unread | 0);
        dispatch("live-notification", {unread: data.unread | 0}, "n");
        break;
      case "watching":
        body.setAttribute("data-live-inbox-state", "watching");
        break;
      case "presence":
        if (!watched[data.ticket]) return;
        if (!confirmed[data.ticket]) {
          confirmed[data.ticket] = true;
          body.setAttribute("data-live-watching", Object.keys(confirmed).join(" "));
        }
        presence[data.ticket] = data.agents || [];
        boxesFor(data.ticket).forEach(function (box) { render(box, presence[data.ticket]); });
        body.dispatchEvent(new CustomEvent("live-presence", {detail: {ticket: data.ticket, agents: presence[data.ticket]}, bubbles: true}));
        break;
    }
  }

  function connect() {
    reconnectTimer = null;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    setState("connecting");
    try {
      socket = new WebSocket(scheme + location.host + "/ws/workspace/");
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      backoff = BACKOFF_MIN_MS;
      watched = {};
      inboxWatched = false;
      setState("open");
      sync();
      if (everOpened) resync();
      everOpened = true;
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function () {
      socket = null;
      watched = {};
      inboxWatched = false;
      presence = {};
      confirmed = {};
      body.setAttribute("data-live-watching", "");
      body.removeAttribute("data-live-inbox-state");
      document.querySelectorAll("[data-presence]").forEach(function (box) { render(box, []); });
      setState("closed");
      scheduleReconnect();
    });
  }

  /* Back after a network blip or a server restart: pushes may have been missed, so ask the
   * page's live parts to refresh themselves once. */
  function resync() {
    document.querySelectorAll("[data-live-ticket]").forEach(function (el) {
      var id = parseInt(el.getAttribute("data-live-ticket"), 10);
      var number = parseInt(el.getAttribute("data-ticket-number"), 10);
      if (id > 0) dispatch("live-ticket", {ticket: id, number: number > 0 ? number : null, what: "changed"}, "t" + id + "changed");
    });
    if (document.querySelector("[data-live-inbox]")) dispatch("live-inbox", {ticket: null}, "i-resync");
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    var delay = backoff * (0.75 + Math.random() * 0.5);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    reconnectTimer = setTimeout(connect, delay);
  }

  function loadStyles() {
    var href = script && script.getAttribute("data-css");
    if (!href || document.querySelector('link[data-live-css]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.setAttribute("data-live-css", "");
    document.head.appendChild(link);
  }

  loadStyles();
  document.addEventListener("input", onInput);
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("htmx:afterSettle", sync);
  window.addEventListener("pagehide", function () {
    Object.keys(typing).forEach(function (id) { stopTyping(+id); });
  });
  connect();
})();
