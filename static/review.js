// feedback-widget: the review queue's keyboard. Every key stands for a control the page has
// anyway (a link, a button, a field, a checkbox), so the page works the same without it.
// Single keys never act while focus is in a text field, and they can be turned off in the
// help dialog (WCAG 2.1.4); the choice is kept in this browser.
(function () {
  "use strict";

  var STORAGE = "feedback-widget.review-shortcuts";

  function shortcutsOn() {
    try { return window.localStorage.getItem(STORAGE) !== "off"; } catch (e) { return true; }
  }

  function setShortcuts(on) {
    try { window.localStorage.setItem(STORAGE, on ? "on" : "off"); } catch (e) { /* private mode */ }
  }

  // Typing: text inputs, text areas, selects and editable content keep their keys.
  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    var kind = (target.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(kind) === -1;
  }

  function help() { return document.getElementById("review-help"); }

  function openHelp() {
    var dialog = help();
    if (dialog && !dialog.open) dialog.showModal();
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) link.click();
  }

  function press(value) {
    var button = document.querySelector('#review-form button[name="action"][value="' + value + '"]');
    if (button && !button.disabled) button.click();
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (field) { field.focus(); }
  }

  function toggleLabel(number) {
    var box = document.querySelector('input[data-label-key="' + number + '"]');
    if (!box) return;
    box.checked = !box.checked;
    var announcer = document.getElementById("review-announcer");
    var label = document.querySelector('label[for="' + box.id + '"]');
    if (announcer && label) {
      var words = announcer.getAttribute(box.checked ? "data-on" : "data-off") || "";
      announcer.textContent = words.replace("%(label)s", label.textContent.trim());
    }
  }

  var ACTIONS = {
    j: function () { follow("next-item"); },
    k: function () { follow("previous-item"); },
    r: function () { press("reviewed"); },
    d: function () { press("dismissed"); },
    c: function () { focusField("correction"); },
    n: function () { focusField("note"); },
    "?": openHelp
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      // Escape leaves a text field, so the single keys work again.
      if (event.key === "Escape" && target.tagName !== "SELECT") target.blur();
      return;
    }
    var dialog = help();
    if (dialog && dialog.open) return; // the dialog has the keyboard; Escape closes it
    if (!shortcutsOn()) return;
    var action = ACTIONS[event.key];
    if (!action && /^[1-9]$/.test(event.key)) {
      action = function () { toggleLabel(event.key); };
    }
    if (!action) return;
    event.preventDefault(); // "c" and "n" would otherwise type into the field they focus
    action();
  });

  function ready() {
    var opener = document.querySelector("[data-help]");
    if (opener) {
      opener.hidden = false; // without this script there is no dialog to open
      opener.addEventListener("click", openHelp);
    }
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    if (toggle) {
      toggle.checked = shortcutsOn();
      toggle.addEventListener("change", function () { setShortcuts(toggle.checked); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
