// feedback-widget client behaviour. No inline scripts: everything is wired here by data attributes.
(function () {
  "use strict";

  var dialog = null;
  var opener = null;
  var awaitedStatus = null;  // feedback sent for this task: focus its status line once shown

  function $(selector, root) { return (root || document).querySelector(selector); }

  // The page's words in its language (templates/partials/_script_words.html).
  function word(name) {
    var words = JSON.parse(document.body.getAttribute("data-words") || "{}");
    return words[name] || "";
  }

  function errorSlot(form) { return form ? $("[data-error-slot]", form) : null; }

  function showError(form, message) {
    var slot = errorSlot(form);
    if (slot) slot.textContent = message;
  }

  function nearBottom() {
    var doc = document.scrollingElement || document.documentElement;
    return doc.scrollHeight - doc.scrollTop - doc.clientHeight < 160;
  }

  function scrollToEnd() {
    var doc = document.scrollingElement || document.documentElement;
    doc.scrollTop = doc.scrollHeight;
  }

  // --- The feedback dialog -------------------------------------------------------------------
  function openFeedback(button) {
    dialog = document.getElementById("feedback-dialog");
    if (!dialog) return;
    var controls = button.closest("[data-task-id]");
    var form = $("form", dialog);
    var rating = button.getAttribute("data-feedback-open");
    var prompt = document.getElementById("feedback-dialog-prompt");
    form.reset();
    form.elements["task_id"].value = controls.getAttribute("data-task-id");
    form.elements["rating"].value = rating;
    var reasons = null;
    dialog.querySelectorAll("[data-reasons-for]").forEach(function (fieldset) {
      var shown = fieldset.getAttribute("data-reasons-for") === rating;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;  // a disabled fieldset's checkboxes are not submitted
      if (shown) reasons = fieldset;
    });
    prompt.textContent = prompt.getAttribute("data-prompt-" + rating);
    showError(form, "");
    updateCount();
    opener = button;
    dialog.showModal();
    if (document.body.classList.contains("auto-height")) {
      // The frame is as tall as the whole chat, so the viewport's centre may be off-screen
      // on the host page: open beside the button instead.
      var rect = button.getBoundingClientRect();
      var height = dialog.offsetHeight;
      var top = rect.top - height - 12;
      if (top < 8) top = rect.bottom + 12;
      top = Math.max(8, top);
      // Make room for it; embed.js grows the frame to fit, and it shrinks back on close.
      document.body.style.minHeight = top + height + 16 + "px";
      // Absolute, not fixed: a fixed box never scrolls the host page, which may show only part
      // of the frame; this one can be brought into view.
      dialog.style.position = "absolute";
      dialog.style.margin = "0 auto";
      dialog.style.top = top + "px";
      dialog.scrollIntoView({ block: "nearest" });
    }
    // The first control in the dialog's order: the first reason, else the comment.
    var first = reasons && $("input", reasons);
    (first || form.elements["comment"]).focus();
  }

  // Submitted feedback reaches this page as every other page does, over the stream: the
  // controls replace themselves, locked, saying so. That may come before or after the post's
  // answer; whichever is last moves focus to the status line (unless the reader moved on).
  function focusStatus() {
    var controls = document.getElementById("controls-" + awaitedStatus);
    if (!controls || controls.getAttribute("data-state") !== "submitted") return;  // not yet
    var status = document.getElementById("feedback-status-" + awaitedStatus);
    var here = document.activeElement;
    // Focus still in the dialog being closed counts as nowhere: Chrome may fire `close`
    // before it moves focus out.
    var nowhere = !here || here === document.body || (dialog && dialog.contains(here));
    if (nowhere || controls.contains(here)) status.focus();
    awaitedStatus = null;
  }

  function restoreFocus() {
    // The button that opened the dialog, or its replacement (same id) if the controls changed.
    var button = opener && document.getElementById(opener.id);
    if (!awaitedStatus && button && !button.disabled) {
      button.focus();
    } else if (dialog) {
      // Submitted here, or from another page while the dialog was open.
      awaitedStatus = $("form", dialog).elements["task_id"].value;
      focusStatus();
    }
    opener = null;
  }

  function updateCount() {
    var box = document.getElementById("feedback-comment");
    var count = $("#feedback-comment-count [data-count]");
    if (box && count) count.textContent = String(box.value.length);
  }

  document.addEventListener("click", function (event) {
    var open = event.target.closest("[data-feedback-open]");
    if (open && document.getElementById("feedback-dialog")) {
      event.preventDefault();
      if (!open.disabled) openFeedback(open);
      return;
    }
    var cancel = event.target.closest("[data-dialog-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.closest("dialog").close();
      return;
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.id !== "feedback-dialog") return;
    document.body.style.minHeight = "";
    restoreFocus();
  }, true);

  document.addEventListener("input", function (event) {
    if (event.target.id === "feedback-comment") updateCount();
  });

  // The post's answer (HX-Trigger): the feedback is stored.
  document.addEventListener("feedback-widget:submitted", function (event) {
    awaitedStatus = event.detail.taskId;
    var open = document.getElementById("feedback-dialog");
    if (open && open.open) open.close();
  });

  document.addEventListener("htmx:load", function () {
    if (awaitedStatus) focusStatus();
  });

  // --- The composer --------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "message" || event.key !== "Enter") return;
    if (event.shiftKey || event.isComposing) return;
    event.preventDefault();
    var form = event.target.form;
    if (event.target.value.trim()) form.requestSubmit();
  });

  // --- Answers to the widget's posts ---------------------------------------------------------
  // A post answers 204: what it changed reaches this page over the stream, like every other
  // page of the chat. The answer only names an event (HX-Trigger) for this page's own UI.
  document.addEventListener("feedback-widget:sent", function (event) {
    var form = event.target;
    if (form.id === "composer") {
      form.reset();
      showError(form, "");
      form.elements["message"].focus();
    }
    scrollToEnd();  // the new turn goes at the end; once there, the stream keeps it in view
  });

  document.addEventListener("htmx:responseError", function (event) {
    var text = event.detail.xhr.responseText || word("failed");
    showError(event.detail.elt.closest("form"), text);
  });

  document.addEventListener("htmx:sendError", function (event) {
    showError(event.detail.elt.closest("form"), word("offline"));
  });

  // --- Earlier messages ----------------------------------------------------------------------
  // Older turns arrive above what the reader is looking at: keep it where it is on screen.
  var keptFromBottom = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target.classList.contains("earlier")) return;
    var doc = document.scrollingElement || document.documentElement;
    keptFromBottom = doc.scrollHeight - doc.scrollTop;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (keptFromBottom === null) return;
    var doc = document.scrollingElement || document.documentElement;
    doc.scrollTop = doc.scrollHeight - keptFromBottom;
    keptFromBottom = null;
  });

  // --- Live updates --------------------------------------------------------------------------
  function rememberPosition(target, lastId) {
    var source = target.closest("[sse-connect]");
    if (source && lastId) {
      // If the extension has to reopen the stream, resume from here rather than from page load.
      var url = source.getAttribute("sse-connect").replace(/([?&]after=)[^&]*/, "$1" + encodeURIComponent(lastId));
      source.setAttribute("sse-connect", url);
    }
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    rememberPosition(event.target, event.detail && event.detail.lastEventId);
    // Follow the conversation only if the reader was already at the end of it.
    if (nearBottom()) window.setTimeout(scrollToEnd, 30);
  });

  // --- The host page bridge (embed.js) -------------------------------------------------------
  // The server renders data-parent-origin only for an origin in embed.allowed_origins, and we
  // post to that origin alone, never "*", and take messages from it alone.
  var bridgeRoot = document.querySelector(".widget[data-parent-origin]");
  var parentOrigin = bridgeRoot && window.parent !== window ? bridgeRoot.getAttribute("data-parent-origin") : null;
  var announced = {};

  function tell(type, detail) {
    if (parentOrigin) window.parent.postMessage({ type: "feedback-widget:" + type, detail: detail || {} }, parentOrigin);
  }

  function currentToken() {
    var headers = document.body.getAttribute("hx-headers");
    var match = headers && /Bearer ([^"]+)/.exec(headers);
    return match ? match[1] : null;
  }

  function showExpired(expired) {
    var banner = document.querySelector("[data-auth-expired]");
    var wasShown = banner && !banner.hidden;
    if (banner) banner.hidden = !expired;
    if (expired && !wasShown) tell("auth-expired", {});  // ask the host once, not per failure
  }

  // --- The live stream and the token that opened it --------------------------------------------
  // The server ends the stream when its token expires, with an `auth-expired` event, which the
  // stream element names in sse-close: htmx's SSE extension closes the EventSource, so neither
  // the browser nor the extension reconnects with the dead token. The stream stays parked
  // until the host sends a new token; then it reopens from the last event seen (`after=`).
  var streamRoot = document.querySelector("[sse-connect]");
  var liveSource = null;   // the EventSource now in use
  var parked = null;       // {source, url}: closed for want of a valid token

  function tokenOf(url) {
    return new URL(url, window.location.href).searchParams.get("token");
  }

  function reopen(source) {
    // The extension reconnects a failed source after a backoff (0.5 s the first time),
    // reading sse-connect again and re-subscribing every sse-swap: the path we want.
    source.close();
    source.dispatchEvent(new Event("error"));
  }

  function park(source) {
    if (!streamRoot || parked) return;
    source.close();
    // Without sse-connect, a retry the extension already scheduled opens nothing.
    parked = { source: source, url: streamRoot.getAttribute("sse-connect") };
    streamRoot.removeAttribute("sse-connect");
    showExpired(true);
  }

  function unpark() {
    if (!parked) return;
    var source = parked.source;
    streamRoot.setAttribute("sse-connect", parked.url);
    parked = null;
    reopen(source);
  }

  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.detail.source;
    // At most one stream: a retry that raced a reconnect closes the older one.
    if (liveSource && liveSource !== source) liveSource.close();
    liveSource = source;
  });

  document.addEventListener("htmx:sseClose", function (event) {
    if (event.detail.type !== "message" || !streamRoot) return;  // only sse-close's event
    var source = event.detail.source;
    var current = currentToken();
    if (current && current !== tokenOf(source.url)) reopen(source);  // the host was quicker
    else park(source);
  });

  function applyToken(token) {
    document.body.setAttribute("hx-headers", JSON.stringify({ Authorization: "Bearer " + token }));
    if (streamRoot) {
      var attribute = parked ? parked.url : streamRoot.getAttribute("sse-connect");
      var url = new URL(attribute, window.location.href);
      url.searchParams.set("token", token);
      var next = url.pathname + url.search;  // used on its next (re)connect
      if (parked) parked.url = next; else streamRoot.setAttribute("sse-connect", next);
    }
    showExpired(false);
    unpark();
  }

  // --- The token by postMessage -------------------------------------------------------------
  // embed.js opens the frame without a token: the server sends the page without the chat
  // (data-awaiting-token), we say `ready`, the host answers with the token, and we fetch the
  // chat with it in a header. It stays in memory (hx-headers); only the stream's URL carries
  // it, as EventSource cannot send headers.
  var handedOff = null;  // the chat fetched with the host's token, until it is in place

  function fetchWidget(token) {
    var pending = document.querySelector("[data-awaiting-token]");
    document.body.setAttribute("hx-headers", JSON.stringify({ Authorization: "Bearer " + token }));
    handedOff = true;
    window.htmx.ajax("GET", window.location.pathname + window.location.search, {
      source: pending, target: pending, swap: "outerHTML",
      headers: { Authorization: "Bearer " + token }
    });
  }

  function widgetArrived(widget) {
    handedOff = null;
    streamRoot = document.querySelector("[sse-connect]");
    announceCompleted(widget, true);
    scrollToEnd();
    tell("ready", { sessionId: widget.getAttribute("data-session-id") });
  }

  // --- Theme from the host (embed.js setTheme) ----------------------------------------------
  // Values are checked here too, as they arrive by postMessage: the same rules as the server's
  // (app/config/theme.py). setProperty cannot leave its declaration, and the CSP allows it.
  var N = "\\d{1,4}(?:\\.\\d{1,4})?";
  var VALUE = {
    colour: [/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/,
      new RegExp("^(?:rgb|rgba|hsl|hsla)\\(\\s*" + N + "(?:deg|%)?(?:\\s*[,\\s]\\s*" + N + "%?){2}(?:\\s*[,/]\\s*" + N + "%?)?\\s*\\)$")],
    length: [new RegExp("^" + N + "(?:px|rem|em)$")],
    font: [/^[A-Za-z0-9 ,"'-]{1,200}$/]
  };
  var THEME_VARS = {
    "accent": "colour", "accent-text": "colour", "bg": "colour", "surface": "colour",
    "text": "colour", "muted": "colour", "border": "colour", "user-bubble": "colour",
    "user-text": "colour", "agent-bubble": "colour", "radius": "length", "space": "length",
    "font": "font"
  };

  function applyThemeVars(vars) {
    if (!vars || typeof vars !== "object") return;
    Object.keys(vars).forEach(function (name) {
      var kind = Object.prototype.hasOwnProperty.call(THEME_VARS, name) ? THEME_VARS[name] : null;
      var value = vars[name];
      if (!kind || typeof value !== "string") return;
      if (VALUE[kind].some(function (pattern) { return pattern.test(value); })) {
        document.body.style.setProperty("--" + name, value);
      }
    });
  }

  function applyTheme(theme) {
    if (["auto", "light", "dark"].indexOf(theme) < 0) return;
    document.body.classList.remove("theme-auto", "theme-light", "theme-dark");
    document.body.classList.add("theme-" + theme);
    var meta = document.querySelector('meta[name="color-scheme"]');
    if (meta) meta.setAttribute("content", theme === "auto" ? "light dark" : theme);
  }

  var configured = document.body.getAttribute("data-theme-vars");
  if (configured) applyThemeVars(JSON.parse(configured));

  window.addEventListener("message", function (event) {
    if (!parentOrigin || event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (!data) return;
    if (data.type === "feedback-widget:set-token" && typeof data.token === "string") {
      if (document.querySelector("[data-awaiting-token]")) fetchWidget(data.token);
      else applyToken(data.token);
    }
    if (data.type === "feedback-widget:focus") {
      var box = document.getElementById("message");
      if (box) box.focus();
    }
    if (data.type === "feedback-widget:set-theme") {
      applyTheme(data.theme);
      applyThemeVars(data.vars);
    }
  });

  // In a launcher panel, Escape closes it (unless it is closing the feedback dialog).
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !document.querySelector("dialog[open]")) tell("escape", {});
  });

  // A finished reply is read out once, politely, when it completes (streamed tokens are not:
  // the transcript is no live region). Errors are alerts where they appear.
  function announce(reply) {
    var announcer = document.querySelector("[data-announcer]");
    var text = reply.querySelector(".markdown");
    var name = reply.querySelector(".agent-name");
    if (!announcer || !text) return;
    announcer.textContent = (name ? name.textContent.trim() + ": " : "") + text.textContent.trim();
  }

  function announceCompleted(root, quietly) {
    var replies = root.querySelectorAll ? root.querySelectorAll('.bubble.agent[data-status="completed"]') : [];
    var list = Array.prototype.slice.call(replies);
    if (root.matches && root.matches('.bubble.agent[data-status="completed"]')) list.push(root);
    list.forEach(function (reply) {
      var id = reply.getAttribute("data-task-id");
      if (!id || announced[id]) return;
      announced[id] = true;
      if (quietly) return;
      announce(reply);
      tell("task-completed", { taskId: id });
    });
  }

  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (handedOff && elt.matches && elt.matches(".widget[data-session-id]")) widgetArrived(elt);
    else if (elt !== document.body) announceCompleted(elt, false);
  });

  document.addEventListener("feedback-widget:submitted", function (event) {
    tell("feedback-submitted", { taskId: event.detail.taskId, rating: event.detail.rating });
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status === 401) showExpired(true);
  });

  document.addEventListener("htmx:sseError", function (event) {
    // EventSource hides the status; ask whether the token still works. If not (it expired
    // while the stream was down), park the stream instead of retrying with it.
    var token = currentToken();
    var source = event.detail.source;
    if (!token || parked || !source || source.readyState !== EventSource.CLOSED) return;
    if (token !== tokenOf(source.url)) return;  // a reconnect with a newer token is under way
    fetch("/api/v1/me", { headers: { Authorization: "Bearer " + token } }).then(function (response) {
      if (response.status === 401 && token === currentToken()) park(source);
    }, function () {});
  });

  if (parentOrigin && window.ResizeObserver) {
    var lastHeight = 0;
    new ResizeObserver(function () {
      var height = document.documentElement.scrollHeight;
      if (height !== lastHeight) { lastHeight = height; tell("resize", { height: height }); }
    }).observe(document.body);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("transcript")) scrollToEnd();
    announceCompleted(document, true);  // what the page already shows is not news
    if (document.querySelector("[data-awaiting-token]")) tell("ready", { needsToken: true });
    else tell("ready", { sessionId: bridgeRoot ? bridgeRoot.getAttribute("data-session-id") : null });
  });
})();
