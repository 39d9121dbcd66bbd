/*! feedback-widget embed.js: mount the chat widget in an iframe on any page. No dependencies.
 *
 *   var widget = FeedbackWidget.mount("#chat", {
 *     baseUrl: "https://feedback.example.com",   // where feedback-widget runs
 *     sessionId: "web-session-xyz",
 *     token: "<JWT signed by your backend>",     // omit in dev mode
 *     height: "auto",                            // "auto" follows the content, or e.g. "600px"
 *     theme: "auto"                              // the default; or "light", "dark"
 *   });
 *   document.addEventListener("feedback-widget:feedback-submitted", function (e) { ... });
 *   widget.setToken(newToken);                   // after feedback-widget:auth-expired
 */
(function () {
  "use strict";

  var PREFIX = "feedback-widget:";

  function mount(target, options) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw new Error("FeedbackWidget.mount: no element " + target);
    if (!options || !options.baseUrl || !options.sessionId) {
      throw new Error("FeedbackWidget.mount: baseUrl and sessionId are required");
    }
    var base = String(options.baseUrl).replace(/\/+$/, "");
    var widgetOrigin = new URL(base, window.location.href).origin;
    var autoHeight = !options.height || options.height === "auto";
    var token = options.token || null;

    var query = new URLSearchParams();
    if (token) query.set("token", token);
    query.set("parent_origin", window.location.origin);
    if (options.theme) query.set("theme", options.theme);
    if (autoHeight) query.set("autoheight", "1");

    var iframe = document.createElement("iframe");
    iframe.title = options.title || "Chat";
    iframe.src = base + "/embed/" + encodeURIComponent(options.sessionId) + "?" + query.toString();
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.display = "block";
    iframe.style.height = autoHeight ? (options.minHeight || 320) + "px" : options.height;
    if (autoHeight) iframe.setAttribute("scrolling", "no");
    // The Copy button on code blocks writes to the clipboard, which a frame may do only if allowed.
    iframe.setAttribute("allow", "clipboard-write");
    container.appendChild(iframe);

    function onMessage(event) {
      // Only the widget itself, from its own origin, may speak to us.
      if (event.origin !== widgetOrigin || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data.type !== "string" || data.type.indexOf(PREFIX) !== 0) return;
      if (data.type === PREFIX + "resize") {
        if (autoHeight && data.detail && data.detail.height > 0) {
          iframe.style.height = Math.ceil(data.detail.height) + "px";
        }
        return;
      }
      container.dispatchEvent(new CustomEvent(data.type, { bubbles: true, detail: data.detail || {} }));
    }
    window.addEventListener("message", onMessage);

    return {
      iframe: iframe,
      setToken: function (newToken) {
        token = newToken;
        iframe.contentWindow.postMessage({ type: PREFIX + "set-token", token: newToken }, widgetOrigin);
      },
      destroy: function () {
        window.removeEventListener("message", onMessage);
        iframe.remove();
      }
    };
  }

  window.FeedbackWidget = { mount: mount };
})();
