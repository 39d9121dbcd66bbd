// The demo host page: create a session (dev mode), mount the widget, list its events.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var log = document.getElementById("events");
    ["ready", "task-completed", "feedback-submitted", "auth-expired", "open", "close"].forEach(function (name) {
      document.addEventListener("feedback-widget:" + name, function (event) {
        var item = document.createElement("li");
        item.textContent = name + " " + JSON.stringify(event.detail);
        log.appendChild(item);
      });
    });
    fetch("/api/v1/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}"
    }).then(function (response) { return response.json(); }).then(function (session) {
      window.demoWidget = FeedbackWidget.mount("#chat", {
        baseUrl: window.location.origin, sessionId: session.id, height: "auto"
      });
    });
  });
})();
