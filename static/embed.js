/*! feedback-widget embed.js: mount the chat widget in an iframe on any page. No dependencies.
 *
 *   var widget = FeedbackWidget.mount("#chat", {
 *     baseUrl: "https://feedback.example.com",   // where feedback-widget runs
 *     sessionId: "web-session-xyz",
 *     token: "<JWT signed by your backend>",     // omit in dev mode; sent by postMessage
 *     launcher: true,                            // a floating button opens a chat panel
 *     locale: "de", theme: "auto",               // "auto" (default), "light" or "dark"
 *     themeVars: { accent: "#0b6e4f", radius: "6px", font: "Inter, sans-serif" }
 *   });
 *   widget.on("auth-expired", function () { widget.setToken(freshToken()); });
 *   widget.open(); widget.close(); widget.setLocale("fr"); widget.setTheme("dark");
 *
 * Events (also dispatched as `feedback-widget:<name>` DOM events from the container): ready,
 * task-completed, feedback-submitted, auth-expired, open, close.
 *
 * The token never goes into the iframe's URL: the frame says `ready`, and the token is posted
 * to the widget's origin alone; messages are accepted only from that origin and that frame.
 */
(function () {
  "use strict";

  var PREFIX = "feedback-widget:";
  var PHONE = "(max-width: 480px)";

  function px(value) { return typeof value === "number" ? value + "px" : value; }

  function style(element, properties) {
    Object.keys(properties).forEach(function (name) { element.style[name] = properties[name]; });
  }

  function stateKey() { return PREFIX + "open:" + window.location.pathname; }

  function remembered() {
    try { return window.sessionStorage.getItem(stateKey()) === "1"; } catch (e) { return false; }
  }

  function remember(open) {
    try { window.sessionStorage.setItem(stateKey(), open ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  function mount(target, options) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw new Error("FeedbackWidget.mount: no element " + target);
    if (!options || !options.baseUrl || !options.sessionId) {
      throw new Error("FeedbackWidget.mount: baseUrl and sessionId are required");
    }
    var base = String(options.baseUrl).replace(/\/+$/, "");
    var widgetOrigin = new URL(base, window.location.href).origin;
    var launcher = !!options.launcher;
    var autoHeight = !launcher && (!options.height || options.height === "auto");
    var token = options.token || null;
    var locale = options.locale || null;
    var theme = options.theme || null;
    var themeVars = options.themeVars || null;
    var handlers = {};
    var isOpen = false;

    function frameUrl() {
      var query = new URLSearchParams();
      query.set("parent_origin", window.location.origin);
      if (token) query.set("handoff", "1");  // the token follows by postMessage
      if (locale) query.set("lang", locale);
      if (theme) query.set("theme", theme);
      if (themeVars) query.set("theme_vars", JSON.stringify(themeVars));
      if (autoHeight) query.set("autoheight", "1");
      return base + "/embed/" + encodeURIComponent(options.sessionId) + "?" + query.toString();
    }

    var iframe = document.createElement("iframe");
    iframe.title = options.title || "Chat";
    iframe.src = frameUrl();
    style(iframe, { width: "100%", border: "0", display: "block" });
    style(iframe, { height: launcher ? "100%" : autoHeight ? px(options.minHeight || 320) : options.height });
    if (autoHeight) iframe.setAttribute("scrolling", "no");
    // The Copy button on code blocks writes to the clipboard, which a frame may do only if allowed.
    iframe.setAttribute("allow", "clipboard-write");

    function post(message) {
      if (iframe.contentWindow) iframe.contentWindow.postMessage(message, widgetOrigin);
    }

    function emit(name, detail) {
      container.dispatchEvent(new CustomEvent(PREFIX + name, { bubbles: true, detail: detail || {} }));
      (handlers[name] || []).forEach(function (handler) { handler(detail || {}); });
    }

    // --- Launcher: a floating button and the panel it opens ----------------------------------
    var button = null;
    var panel = null;
    var phone = window.matchMedia ? window.matchMedia(PHONE) : null;

    function fitPanel() {
      if (!panel) return;
      var small = phone && phone.matches;
      var viewport = window.visualViewport;
      if (small) {
        // The whole screen; above the on-screen keyboard, which shrinks the visual viewport.
        style(panel, { left: "0", right: "0", bottom: "auto", width: "100%", borderRadius: "0",
          top: px(viewport ? viewport.offsetTop : 0), height: viewport ? px(viewport.height) : "100dvh" });
      } else {
        style(panel, { left: "auto", top: "auto", right: "20px", bottom: "88px", borderRadius: "14px",
          width: "min(400px, calc(100vw - 40px))", height: "min(640px, calc(100dvh - 108px))" });
      }
      button.style.display = isOpen && small ? "none" : "inline-flex";
    }

    function buildLauncher() {
      panel = document.createElement("div");
      panel.id = "feedback-widget-panel-" + Math.random().toString(36).slice(2);
      panel.hidden = true;
      style(panel, { position: "fixed", zIndex: "2147483000", overflow: "hidden",
        boxShadow: "0 12px 40px rgba(15, 23, 42, 0.3)", background: "#fff" });
      panel.appendChild(iframe);
      button = document.createElement("button");
      button.type = "button";
      button.textContent = options.launcherLabel || "Chat";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", panel.id);
      style(button, { position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483001",
        minHeight: "48px", minWidth: "48px", padding: "0 20px", border: "0", borderRadius: "24px",
        alignItems: "center", justifyContent: "center", cursor: "pointer", font: "600 16px system-ui, sans-serif",
        background: (themeVars && themeVars.accent) || "#2f5bea",
        color: (themeVars && themeVars["accent-text"]) || "#fff",
        boxShadow: "0 6px 20px rgba(15, 23, 42, 0.3)" });
      button.addEventListener("click", function () { if (isOpen) close(); else open(); });
      panel.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
      container.appendChild(panel);
      container.appendChild(button);
      if (phone && phone.addEventListener) phone.addEventListener("change", fitPanel);
      if (window.visualViewport) {
        window.visualViewport.addEventListener("resize", fitPanel);
        window.visualViewport.addEventListener("scroll", fitPanel);
      }
      fitPanel();
    }

    function open() {
      if (!launcher || isOpen) return;
      isOpen = true;
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      remember(true);
      fitPanel();
      iframe.focus();
      post({ type: PREFIX + "focus" });
      emit("open");
    }

    function close() {
      if (!launcher || !isOpen) return;
      isOpen = false;
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      remember(false);
      fitPanel();
      button.focus();  // focus returns to what opened the panel
      emit("close");
    }

    if (launcher) buildLauncher(); else container.appendChild(iframe);

    // --- Messages from the frame -------------------------------------------------------------
    function onMessage(event) {
      // Only the widget itself, from its own origin, may speak to us.
      if (event.origin !== widgetOrigin || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data.type !== "string" || data.type.indexOf(PREFIX) !== 0) return;
      var name = data.type.slice(PREFIX.length);
      var detail = data.detail || {};
      if (name === "resize") {
        if (autoHeight && detail.height > 0) iframe.style.height = Math.ceil(detail.height) + "px";
      } else if (name === "ready" && detail.needsToken) {
        if (token) post({ type: PREFIX + "set-token", token: token });  // the handshake
      } else if (name === "escape") {
        close();
      } else {
        emit(name, detail);
      }
    }
    window.addEventListener("message", onMessage);
    if (launcher && remembered()) open();

    return {
      iframe: iframe,
      button: button,
      open: open,
      close: close,
      isOpen: function () { return isOpen; },
      on: function (name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
      setToken: function (newToken) {
        token = newToken;
        post({ type: PREFIX + "set-token", token: newToken });
      },
      setTheme: function (newTheme, newVars) {
        if (newTheme) theme = newTheme;
        if (newVars) themeVars = newVars;
        post({ type: PREFIX + "set-theme", theme: theme, vars: themeVars });
      },
      setLocale: function (newLocale) {
        // Text is rendered by the server in the reader's language: load the frame again
        // (replacing its history entry; the token follows by postMessage as at first).
        locale = newLocale;
        if (iframe.contentWindow) iframe.contentWindow.location.replace(frameUrl());
        else iframe.src = frameUrl();
      },
      destroy: function () {
        window.removeEventListener("message", onMessage);
        if (panel) panel.remove();
        if (button) button.remove();
        iframe.remove();
      }
    };
  }

  window.FeedbackWidget = { mount: mount };
})();
