// feedback-widget: the Copy button on highlighted code blocks, on the widget and the console.
(function () {
  "use strict";

  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
    if (ok) button.setAttribute("data-copied", ""); else button.removeAttribute("data-copied");
    window.setTimeout(function () {
      button.textContent = "Copy";
      button.removeAttribute("data-copied");
    }, 2000);
  }

  // Without the clipboard API (a plain-http page, a frame not allowed clipboard-write), copy
  // the selection instead; if even that is refused the code stays selected for Ctrl+C.
  function fallbackCopy(button, code) {
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (ok) selection.removeAllRanges();
    copied(button, ok);
  }

  function copyCode(button) {
    var block = button.closest(".code-block");
    var code = block && block.querySelector("pre");
    if (!code) return;
    var text = code.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); }, function () { fallbackCopy(button, code); });
    } else {
      fallbackCopy(button, code);
    }
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) copyCode(copy);
  });
})();
